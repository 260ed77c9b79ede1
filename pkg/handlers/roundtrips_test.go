package handlers

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/acme/customers/pkg/carts"
	"github.com/acme/customers/pkg/cleanup"
	"github.com/acme/customers/pkg/dynamolocal"
	uuid "github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/samtemplate"
	"github.com/acme/customers/pkg/store"
	"github.com/acme/customers/pkg/testenv"
)

// TestRoundTrips holds each request to the DynamoDB calls its design allows (the README's
// per-endpoint table quotes these figures), and checks that its function's IAM policy in
// template.yaml allows each of them, down to the partition keys each touches, and nothing
// else (least privilege that still works: see checkAccess and checkPolicy).
func TestRoundTrips(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	addr := h.createAddress(ron)
	h.createAddress(ron)
	addrPath := map[string]string{"customerId": ron, "addressId": addr}
	h.createCustomer("Leslie", "leslie@example.com")
	id := map[string]string{"customerId": ron}
	// Jerry has log-in attempts to his name when he is deleted.
	jerry := map[string]string{"customerId": h.createCustomer("Jerry", "jerry@example.com")}
	expect(t, h.do(req{Route: "POST /v2/customers/tokens", Headers: bearer(h.implicit),
		Body: `{"data":{"type":"token","email":"jerry@example.com","password":"wrong password"}}`}), 401)
	cart, missing := cartPath("rt"), cartPath("rt", uuid.New())
	first := cartPath("rt", h.addItem("rt", aCustomItem))
	second := cartPath("rt", h.addItem("rt", aCustomItem))
	// A cart past its expires_at that DynamoDB's TTL has not deleted yet.
	old := time.Now().Add(-carts.Lifetime - time.Hour)
	if _, err := store.New(h.db.Client, h.db.Table).AddLine(context.Background(), "expired",
		carts.Line{ID: uuid.NewOrdered(), Name: "old", Quantity: 1, CreatedAt: old}, old); err != nil {
		t.Fatal(err)
	}
	// Orders: carts to check out, and an order of Ron's to read.
	h.put("rt-ron", "Bacon", 1, 100)
	h.put("rt-guest", "Eggs", 1, 100)
	h.put("rt-guest-cold", "Eggs", 1, 100)
	h.put("rt-placed", "Ham", 1, 100)
	h.put("rt-keyed", "Jam", 1, 100)
	// Owen is no other case's: his token stays good.
	owen := h.createCustomer("Owen", "owen@example.com")
	asOwen := withCustomer(h.implicit, h.customerToken("owen@example.com"))
	placed := h.checkout("rt-placed", asOwen, checkoutBody(`{"id":"`+owen+`"}`))
	expect(t, placed, 201)
	order := map[string]string{"orderId": data(placed)["id"].(string)}
	guestOrder := map[string]string{"orderId": h.placeOrder("rt-guest-order", bearer(h.implicit), `{"name":"Guest","email":"guest@example.com"}`)}
	// April's order outlives her history: she was deleted and the cleanup erased it.
	april := h.createCustomer("April", "april@example.com")
	erased := map[string]string{"orderId": h.placeOrder("rt-erased", bearer(h.admin), `{"id":"`+april+`"}`)}
	expect(t, h.do(req{Route: "DELETE /v2/customers/{customerId}", Path: map[string]string{"customerId": april}, Headers: bearer(h.admin)}), 204)
	h.eraseHistory(april)
	// Flows: one with a field, one without (its slug moves, then it goes).
	flow := map[string]string{"flowId": h.createFlow("rt-flow")}
	field := map[string]string{"fieldId": h.createField(flow["flowId"], "rt_field", `"string"`)}
	empty := map[string]string{"flowId": h.createFlow("rt-empty")}
	h.createField(h.createFlow("customers"), "tier", `"string"`)
	keyedFlow := h.createFlow("rt-keyed-fields")
	// Single sign-on: a profile at the test provider, a second one to change and delete,
	// a log-in waiting at the callback, and one-time codes for a new customer, the same
	// identity again, and an identity that links to Leslie (her verified email).
	sso := newSSOOn(t, h, "allowed")
	realm := map[string]string{"realmId": sso.realm}
	profile := map[string]string{"realmId": sso.realm, "profileId": sso.profile}
	spare := map[string]string{"realmId": sso.realm, "profileId": data(h.do(req{Route: "POST /v2/authentication-realms/{realmId}/oidc-profiles",
		Path: realm, Headers: bearer(h.admin), Body: `{"data":{"type":"oidc-profile","name":"Spare","discovery_url":"` + sso.idp.DiscoveryURL() +
			`","client_id":"c","client_secret":"s"}}`}))["id"].(string)}
	sso.user(t, "rt-sub-new", "new.sso@example.com", true, "New")
	callback := sso.callback(t)
	firstCode, againCode := sso.login(t), sso.login(t)
	sso.user(t, "rt-sub-leslie", "leslie@example.com", true, "Leslie")
	linkCode := sso.login(t)
	oidcToken := func(code string) string {
		return `{"data":{"type":"token","authentication_mechanism":"oidc","oauth_authorization_code":"` + code +
			`","oauth_redirect_uri":"` + storefrontURI + `","oauth_code_verifier":"` + testVerifier + `"}}`
	}
	broker := map[string]string{"storeId": sso.store, "realmId": sso.realm}
	// A customer made by single sign-on, to delete: its identity goes with it.
	sso.user(t, "rt-sub-gone", "gone.sso@example.com", true, "Gone")
	gone := map[string]string{"customerId": data(sso.redeem(sso.login(t), storefrontURI, testVerifier))["customer_id"].(string)}
	// Andy changes his email with his password: an attempt counted against his email.
	andy := map[string]string{"customerId": h.createCustomer("Andy", "andy@example.com")}
	asAndy := withCustomer(h.implicit, h.customerToken("andy@example.com"))
	// Tammy's password was hashed at another bcrypt cost: her next log-in makes it anew.
	costly := h.cfg
	costly.BcryptCost++
	_, costlyHandlers := h.on(costly, h.db.Client)
	expect(t, h.doWith(costlyHandlers, req{Route: "POST /v2/customers", Headers: bearer(h.admin),
		Body: `{"data":{"type":"customer","name":"Tammy","email":"tammy@example.com","password":"` + testPassword + `"}}`}), 201)
	// A second page by cursor reads the owner's profile beside it.
	page1 := h.do(req{Route: "GET /v2/customers/{customerId}/addresses", Path: id, Query: "page[limit]=1", Headers: bearer(h.admin)})
	expect(t, page1, 200)
	next, _ := page1.JSON["links"].(map[string]any)["next"].(string)
	addressesByCursor := next[strings.Index(next, "?")+1:]
	cases := []struct {
		name   string
		req    req
		want   map[string]int
		status int  // when not 2xx
		cold   bool // as the first request of a new process: settings not cached yet
	}{
		{"access token", req{Route: "POST /oauth/access_token", Body: "grant_type=implicit&client_id=" + testClientID,
			Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"}}, map[string]int{}, 0, false},
		{"create", req{Route: "POST /v2/customers", Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","name":"Ann","email":"ann@example.com","password":"` + testPassword + `"}}`},
			map[string]int{"TransactWriteItems": 1}, 0, false},
		{"get", req{Route: "GET /v2/customers/{customerId}", Path: id, Headers: bearer(h.admin)}, map[string]int{"GetItem": 1}, 0, false},
		{"update", req{Route: "PUT /v2/customers/{customerId}", Path: id, Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","name":"Ronald"}}`}, map[string]int{"UpdateItem": 1}, 0, false},
		{"update with a password", req{Route: "PUT /v2/customers/{customerId}", Path: id, Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","name":"Ronald","password":"another password"}}`}, map[string]int{"GetItem": 1, "TransactWriteItems": 1}, 0, false},
		{"update email", req{Route: "PUT /v2/customers/{customerId}", Path: id, Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","email":"ronald@example.com"}}`}, map[string]int{"GetItem": 1, "TransactWriteItems": 1}, 0, false},
		{"update email, the customer with its password", req{Route: "PUT /v2/customers/{customerId}", Path: andy, Headers: asAndy,
			Body: `{"data":{"type":"customer","email":"andrew@example.com","current_password":"` + testPassword + `"}}`},
			map[string]int{"GetItem": 1, "UpdateItem": 2, "TransactWriteItems": 1}, 0, false}, // counted, then cleared with the log-in's
		{"list", req{Route: "GET /v2/customers", Headers: bearer(h.admin)}, map[string]int{"Query": 8, "BatchGetItem": 1}, 0, false},
		{"list at an offset", req{Route: "GET /v2/customers", Query: "page[offset]=1", Headers: bearer(h.admin)},
			map[string]int{"Query": 8, "BatchGetItem": 1}, 0, false},
		{"log-in", req{Route: "POST /v2/customers/tokens", Headers: bearer(h.implicit),
			Body: `{"data":{"type":"token","email":"ann@example.com","password":"` + testPassword + `"}}`},
			map[string]int{"UpdateItem": 1, "GetItem": 1}, 0, false},
		{"failed log-in", req{Route: "POST /v2/customers/tokens", Headers: bearer(h.implicit),
			Body: `{"data":{"type":"token","email":"ann@example.com","password":"wrong password"}}`},
			map[string]int{"GetItem": 1, "UpdateItem": 1}, 401, false},
		{"failed log-in, unknown email", req{Route: "POST /v2/customers/tokens", Headers: bearer(h.implicit),
			Body: `{"data":{"type":"token","email":"nobody@example.com","password":"wrong password"}}`},
			map[string]int{"GetItem": 1, "UpdateItem": 1}, 401, false},
		{"does this email have an account?", req{Route: "GET /v2/customers", Query: "filter=eq(email,RON@example.com)", Headers: bearer(h.admin)},
			map[string]int{"Query": 1}, 0, false},
		{"update a custom value", req{Route: "PUT /v2/customers/{customerId}", Path: id, Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","tier":"gold"}}`}, map[string]int{"GetItem": 1, "UpdateItem": 1}, 0, false},
		{"filter by a custom field", req{Route: "GET /v2/customers", Query: "filter=eq(tier,gold)", Headers: bearer(h.admin)},
			map[string]int{"Query": 8}, 0, false}, // row by row: every shard of the sort index, within the budget
		{"filter by external_ref", req{Route: "GET /v2/customers", Query: "filter=eq(external_ref,crm-1)", Headers: bearer(h.admin)},
			map[string]int{"Query": 1}, 0, false},
		{"filter by id", req{Route: "GET /v2/customers", Query: "filter=eq(id," + ron + ")", Headers: bearer(h.admin)},
			map[string]int{"GetItem": 1}, 0, false},
		{"create, fields not cached", req{Route: "POST /v2/customers", Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","name":"Cold","email":"cold@example.com"}}`}, map[string]int{"TransactWriteItems": 1, "Query": 1}, 0, true},
		{"update, fields not cached", req{Route: "PUT /v2/customers/{customerId}", Path: id, Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","name":"Ron"}}`}, map[string]int{"UpdateItem": 1, "Query": 1}, 0, true},
		{"get, fields not cached", req{Route: "GET /v2/customers/{customerId}", Path: id, Headers: bearer(h.admin)},
			map[string]int{"GetItem": 1, "Query": 1}, 0, true},
		// A cold process also reads the customers flow's fields: one Query.
		{"list, settings not cached", req{Route: "GET /v2/customers", Headers: bearer(h.admin)},
			map[string]int{"Query": 8 + 1, "BatchGetItem": 1, "GetItem": 1}, 0, true},
		{"list addresses", req{Route: "GET /v2/customers/{customerId}/addresses", Path: id, Headers: bearer(h.admin)},
			map[string]int{"Query": 1}, 0, false},
		{"list addresses at an offset", req{Route: "GET /v2/customers/{customerId}/addresses", Path: id, Query: "page[offset]=1", Headers: bearer(h.admin)},
			map[string]int{"Query": 2}, 0, false},
		{"list addresses by cursor", req{Route: "GET /v2/customers/{customerId}/addresses", Path: id, Query: addressesByCursor, Headers: bearer(h.admin)},
			map[string]int{"Query": 1, "GetItem": 1}, 0, false},
		// Cold, an address endpoint also reads the addresses flow's fields: one Query more.
		{"list addresses, settings not cached", req{Route: "GET /v2/customers/{customerId}/addresses", Path: id, Headers: bearer(h.admin)},
			map[string]int{"Query": 1 + 1, "GetItem": 1}, 0, true},
		{"create address", req{Route: "POST /v2/customers/{customerId}/addresses", Path: id, Headers: bearer(h.admin), Body: anAddress},
			map[string]int{"TransactWriteItems": 1}, 0, false},
		{"create address, settings not cached", req{Route: "POST /v2/customers/{customerId}/addresses", Path: id, Headers: bearer(h.admin), Body: anAddress},
			map[string]int{"GetItem": 1, "Query": 1, "TransactWriteItems": 1}, 0, true},
		{"get address", req{Route: "GET /v2/customers/{customerId}/addresses/{addressId}", Path: addrPath, Headers: bearer(h.admin)},
			map[string]int{"BatchGetItem": 1}, 0, false},
		{"get address, fields not cached", req{Route: "GET /v2/customers/{customerId}/addresses/{addressId}", Path: addrPath, Headers: bearer(h.admin)},
			map[string]int{"BatchGetItem": 1, "Query": 1}, 0, true},
		{"update address", req{Route: "PUT /v2/customers/{customerId}/addresses/{addressId}", Path: addrPath, Headers: bearer(h.admin),
			Body: `{"data":{"type":"address","city":"Pawnee"}}`}, map[string]int{"BatchGetItem": 1, "TransactWriteItems": 1}, 0, false},
		{"update address, settings not cached", req{Route: "PUT /v2/customers/{customerId}/addresses/{addressId}", Path: addrPath, Headers: bearer(h.admin),
			Body: `{"data":{"type":"address","city":"Eagleton"}}`}, map[string]int{"GetItem": 1, "Query": 1, "BatchGetItem": 1, "TransactWriteItems": 1}, 0, true},
		{"delete address", req{Route: "DELETE /v2/customers/{customerId}/addresses/{addressId}", Path: addrPath, Headers: bearer(h.admin)},
			map[string]int{"TransactWriteItems": 1}, 0, false},
		{"get cart", req{Route: "GET /v2/carts/{cartId}", Path: cart, Headers: bearer(h.implicit)}, map[string]int{"GetItem": 1}, 0, false},
		{"get cart, settings not cached", req{Route: "GET /v2/carts/{cartId}", Path: cart, Headers: bearer(h.implicit)},
			map[string]int{"GetItem": 2}, 0, true},
		{"list cart items", req{Route: "GET /v2/carts/{cartId}/items", Path: cart, Headers: bearer(h.implicit)}, map[string]int{"GetItem": 1}, 0, false},
		{"list cart items, settings not cached", req{Route: "GET /v2/carts/{cartId}/items", Path: cart, Headers: bearer(h.implicit)},
			map[string]int{"GetItem": 2}, 0, true},
		{"add to cart", req{Route: "POST /v2/carts/{cartId}/items", Path: cart, Headers: bearer(h.implicit), Body: aCustomItem},
			map[string]int{"UpdateItem": 1}, 0, false},
		{"add to cart, settings not cached", req{Route: "POST /v2/carts/{cartId}/items", Path: cart, Headers: bearer(h.implicit), Body: aCustomItem},
			map[string]int{"GetItem": 1, "UpdateItem": 1}, 0, true},
		{"add to an expired cart", req{Route: "POST /v2/carts/{cartId}/items", Path: cartPath("expired"), Headers: bearer(h.implicit), Body: aCustomItem},
			map[string]int{"UpdateItem": 2, "DeleteItem": 1}, 0, false},
		{"update cart item", req{Route: "PUT /v2/carts/{cartId}/items/{itemId}", Path: first, Headers: bearer(h.implicit),
			Body: `{"data":{"type":"cart_item","quantity":3}}`}, map[string]int{"UpdateItem": 1}, 0, false},
		{"update cart item, settings not cached", req{Route: "PUT /v2/carts/{cartId}/items/{itemId}", Path: first, Headers: bearer(h.implicit),
			Body: `{"data":{"type":"cart_item","quantity":4}}`}, map[string]int{"GetItem": 1, "UpdateItem": 1}, 0, true},
		{"update a missing cart item", req{Route: "PUT /v2/carts/{cartId}/items/{itemId}", Path: missing, Headers: bearer(h.implicit),
			Body: `{"data":{"type":"cart_item","quantity":3}}`}, map[string]int{"UpdateItem": 1}, 404, false},
		{"delete cart item", req{Route: "DELETE /v2/carts/{cartId}/items/{itemId}", Path: first, Headers: bearer(h.implicit)},
			map[string]int{"UpdateItem": 1}, 0, false},
		{"delete cart item, settings not cached", req{Route: "DELETE /v2/carts/{cartId}/items/{itemId}", Path: second, Headers: bearer(h.implicit)},
			map[string]int{"GetItem": 1, "UpdateItem": 1}, 0, true},
		{"empty cart", req{Route: "DELETE /v2/carts/{cartId}/items", Path: cart, Headers: bearer(h.implicit)}, map[string]int{"DeleteItem": 1}, 0, false},
		{"get settings", req{Route: "GET /v2/settings", Headers: bearer(h.admin)}, map[string]int{"GetItem": 1}, 0, false},
		{"update settings", req{Route: "PUT /v2/settings", Headers: bearer(h.admin),
			Body: `{"data":{"type":"settings","page_length":30}}`}, map[string]int{"UpdateItem": 1}, 0, false},
		{"log-in after failures", req{Route: "POST /v2/customers/tokens", Headers: bearer(h.implicit),
			Body: `{"data":{"type":"token","email":"ann@example.com","password":"` + testPassword + `"}}`},
			map[string]int{"GetItem": 1, "UpdateItem": 2}, 0, false},
		{"log-in, a hash of another cost made anew", req{Route: "POST /v2/customers/tokens", Headers: bearer(h.implicit),
			Body: `{"data":{"type":"token","email":"tammy@example.com","password":"` + testPassword + `"}}`},
			map[string]int{"GetItem": 1, "UpdateItem": 1, "TransactWriteItems": 1}, 0, false},
		{"checkout, a customer", req{Route: "POST /v2/carts/{cartId}/checkout", Path: cartPath("rt-ron"), Headers: asOwen,
			Body: checkoutBody(`{"id":"` + owen + `"}`)}, map[string]int{"GetItem": 2, "TransactWriteItems": 1}, 0, false},
		{"checkout, a guest", req{Route: "POST /v2/carts/{cartId}/checkout", Path: cartPath("rt-guest"), Headers: bearer(h.implicit),
			Body: checkoutBody(`{"name":"Guest","email":"guest@example.com"}`)}, map[string]int{"GetItem": 1, "TransactWriteItems": 1}, 0, false},
		{"checkout, settings not cached", req{Route: "POST /v2/carts/{cartId}/checkout", Path: cartPath("rt-guest-cold"), Headers: bearer(h.implicit),
			Body: checkoutBody(`{"name":"Guest","email":"guest@example.com"}`)}, map[string]int{"GetItem": 2, "Query": 1, "TransactWriteItems": 1}, 0, true},
		{"get order, fields not cached", req{Route: "GET /v2/orders/{orderId}", Path: order, Headers: bearer(h.admin)},
			map[string]int{"BatchGetItem": 1, "Query": 1}, 0, true},
		{"get order, staff", req{Route: "GET /v2/orders/{orderId}", Path: order, Headers: bearer(h.admin)}, map[string]int{"BatchGetItem": 1}, 0, false},
		{"get order, its customer", req{Route: "GET /v2/orders/{orderId}", Path: order, Headers: asOwen}, map[string]int{"BatchGetItem": 1}, 0, false},
		{"order items, staff", req{Route: "GET /v2/orders/{orderId}/items", Path: order, Headers: bearer(h.admin)}, map[string]int{"BatchGetItem": 1}, 0, false},
		{"order items, its customer", req{Route: "GET /v2/orders/{orderId}/items", Path: order, Headers: asOwen},
			map[string]int{"BatchGetItem": 1}, 0, false},
		{"a customer's orders", req{Route: "GET /v2/orders", Headers: asOwen}, map[string]int{"Query": 1}, 0, false},
		// Filtered: the customer's token checked on its profile, then its history (and its
		// redacted orders, none).
		{"a customer's orders, filtered", req{Route: "GET /v2/orders", Query: "filter=ge(created_at,2000-01-01T00:00:00Z)", Headers: asOwen},
			map[string]int{"GetItem": 1, "Query": 2}, 0, false},
		// Cold, an order endpoint also reads the orders flow's fields: one Query more.
		{"a customer's orders, settings not cached", req{Route: "GET /v2/orders", Headers: asOwen},
			map[string]int{"Query": 1 + 1, "GetItem": 1}, 0, true},
		{"every order, staff", req{Route: "GET /v2/orders", Headers: bearer(h.admin)}, map[string]int{"Query": 8, "BatchGetItem": 1}, 0, false},
		{"one customer's orders, staff", req{Route: "GET /v2/orders", Query: "filter=eq(customer_id," + owen + ")", Headers: bearer(h.admin)},
			map[string]int{"Query": 1}, 0, false},
		{"an erased customer's orders, staff", req{Route: "GET /v2/orders", Query: "filter=eq(customer_id," + april + ")", Headers: bearer(h.admin)},
			map[string]int{"Query": 3}, 0, false},
		{"update order", req{Route: "PUT /v2/orders/{orderId}", Path: order, Headers: bearer(h.admin),
			Body: `{"data":{"type":"order","payment":"paid","shipping":"fulfilled"}}`}, map[string]int{"GetItem": 1, "TransactWriteItems": 1}, 0, false},
		{"update order, the same values again", req{Route: "PUT /v2/orders/{orderId}", Path: order, Headers: bearer(h.admin),
			Body: `{"data":{"type":"order","payment":"paid","shipping":"fulfilled"}}`}, map[string]int{"GetItem": 1}, 0, false},
		{"update a guest's order's shipping address", req{Route: "PUT /v2/orders/{orderId}", Path: guestOrder, Headers: bearer(h.admin),
			Body: `{"data":{"type":"order","shipping_address":{"city":"Pawnee"}}}`}, map[string]int{"GetItem": 1, "TransactWriteItems": 1}, 0, false},
		{"update order's shipping address, settings not cached", req{Route: "PUT /v2/orders/{orderId}", Path: guestOrder, Headers: bearer(h.admin),
			Body: `{"data":{"type":"order","shipping_address":{"city":"Eagleton"}}}`}, map[string]int{"GetItem": 2, "Query": 1, "TransactWriteItems": 1}, 0, true},
		{"update order, its history erased", req{Route: "PUT /v2/orders/{orderId}", Path: erased, Headers: bearer(h.admin),
			Body: `{"data":{"type":"order","external_ref":"late"}}`}, map[string]int{"GetItem": 1, "TransactWriteItems": 2}, 0, false},
		{"update order, refused", req{Route: "PUT /v2/orders/{orderId}", Path: order, Headers: bearer(h.admin),
			Body: `{"data":{"type":"order","shipping":"unfulfilled"}}`}, map[string]int{"GetItem": 1}, 400, false},
		{"delete", req{Route: "DELETE /v2/customers/{customerId}", Path: id, Headers: bearer(h.admin)},
			map[string]int{"GetItem": 1, "TransactWriteItems": 1, "Query": 1}, 0, false},
		{"delete, with log-in attempts", req{Route: "DELETE /v2/customers/{customerId}", Path: jerry, Headers: bearer(h.admin)},
			map[string]int{"GetItem": 1, "TransactWriteItems": 1, "Query": 1, "BatchWriteItem": 1}, 0, false},
		{"delete, a customer of single sign-on", req{Route: "DELETE /v2/customers/{customerId}", Path: gone, Headers: bearer(h.admin)},
			map[string]int{"GetItem": 1, "TransactWriteItems": 1, "Query": 1}, 0, false},
		{"create flow", req{Route: "POST /v2/flows", Headers: bearer(h.admin), Body: `{"data":{"type":"flow","name":"New","slug":"rt-new"}}`},
			map[string]int{"TransactWriteItems": 1}, 0, false},
		{"list flows", req{Route: "GET /v2/flows", Headers: bearer(h.implicit)}, map[string]int{"Query": 1}, 0, false},
		{"get flow", req{Route: "GET /v2/flows/{flowId}", Path: flow, Headers: bearer(h.implicit)}, map[string]int{"GetItem": 1}, 0, false},
		{"update flow", req{Route: "PUT /v2/flows/{flowId}", Path: flow, Headers: bearer(h.admin), Body: `{"data":{"type":"flow","enabled":false}}`},
			map[string]int{"GetItem": 1, "TransactWriteItems": 1}, 0, false},
		{"move a flow's slug", req{Route: "PUT /v2/flows/{flowId}", Path: empty, Headers: bearer(h.admin), Body: `{"data":{"type":"flow","slug":"rt-moved"}}`},
			map[string]int{"GetItem": 1, "TransactWriteItems": 1}, 0, false},
		{"a flow's fields, by id", req{Route: "GET /v2/flows/{flowId}/fields", Path: flow, Headers: bearer(h.implicit)},
			map[string]int{"GetItem": 1, "Query": 1}, 0, false},
		{"a flow's fields, by slug", req{Route: "GET /v2/flows/{flowId}/fields", Path: map[string]string{"flowId": "rt-flow"}, Headers: bearer(h.implicit)},
			map[string]int{"Query": 1}, 0, false},
		{"create field", req{Route: "POST /v2/fields", Headers: bearer(h.admin), Body: `{"data":{"type":"field","name":"N","slug":"rt_new","field_type":"integer","relationships":{"flow":{"data":{"type":"flow","id":"` + flow["flowId"] + `"}}}}}`},
			map[string]int{"GetItem": 1, "TransactWriteItems": 1}, 0, false},
		{"list fields", req{Route: "GET /v2/fields", Headers: bearer(h.implicit)}, map[string]int{"Query": 1}, 0, false},
		{"get field", req{Route: "GET /v2/fields/{fieldId}", Path: field, Headers: bearer(h.implicit)}, map[string]int{"GetItem": 2}, 0, false},
		{"update field", req{Route: "PUT /v2/fields/{fieldId}", Path: field, Headers: bearer(h.admin), Body: `{"data":{"type":"field","order":5}}`},
			map[string]int{"GetItem": 2, "TransactWriteItems": 1}, 0, false},
		{"move a field's slug", req{Route: "PUT /v2/fields/{fieldId}", Path: field, Headers: bearer(h.admin), Body: `{"data":{"type":"field","slug":"rt_moved"}}`},
			map[string]int{"GetItem": 2, "TransactWriteItems": 1}, 0, false},
		{"delete a flow with fields", req{Route: "DELETE /v2/flows/{flowId}", Path: flow, Headers: bearer(h.admin)},
			map[string]int{"GetItem": 1, "TransactWriteItems": 1, "Query": 1}, 409, false},
		{"delete field", req{Route: "DELETE /v2/fields/{fieldId}", Path: field, Headers: bearer(h.admin)},
			map[string]int{"GetItem": 2, "TransactWriteItems": 1}, 0, false},
		{"delete flow", req{Route: "DELETE /v2/flows/{flowId}", Path: empty, Headers: bearer(h.admin)},
			map[string]int{"GetItem": 1, "TransactWriteItems": 1}, 0, false},
		{"customer authentication settings", req{Route: "GET /v2/settings/customer-authentication", Headers: bearer(h.admin)},
			map[string]int{}, 0, false},
		{"list realms", req{Route: "GET /v2/authentication-realms", Headers: bearer(h.implicit)}, map[string]int{"GetItem": 1}, 0, false},
		{"get realm", req{Route: "GET /v2/authentication-realms/{realmId}", Path: realm, Headers: bearer(h.implicit)}, map[string]int{"GetItem": 1}, 0, false},
		{"update realm", req{Route: "PUT /v2/authentication-realms/{realmId}", Path: realm, Headers: bearer(h.admin),
			Body: `{"data":{"type":"authentication-realm","name":"Shoppers"}}`}, map[string]int{"GetItem": 1, "UpdateItem": 1}, 0, false},
		{"list OIDC profiles", req{Route: "GET /v2/authentication-realms/{realmId}/oidc-profiles", Path: realm, Headers: bearer(h.implicit)},
			map[string]int{"Query": 1}, 0, false},
		{"get OIDC profile", req{Route: "GET /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}", Path: profile, Headers: bearer(h.implicit)},
			map[string]int{"GetItem": 1}, 0, false},
		{"create OIDC profile", req{Route: "POST /v2/authentication-realms/{realmId}/oidc-profiles", Path: realm, Headers: bearer(h.admin),
			Body: `{"data":{"type":"oidc-profile","name":"More","discovery_url":"` + sso.idp.DiscoveryURL() + `","client_id":"c","client_secret":"s"}}`},
			map[string]int{"TransactWriteItems": 1}, 0, false},
		{"update OIDC profile", req{Route: "PUT /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}", Path: spare, Headers: bearer(h.admin),
			Body: `{"data":{"type":"oidc-profile","client_secret":"another"}}`}, map[string]int{"GetItem": 1, "PutItem": 1}, 0, false},
		{"delete OIDC profile", req{Route: "DELETE /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}", Path: spare, Headers: bearer(h.admin)},
			map[string]int{"GetItem": 1, "TransactWriteItems": 1}, 0, false},
		{"single sign-on: the authorization endpoint", req{Route: "GET /oidc-idp/login/stores/{storeId}/authentication-realms/{realmId}", Path: broker,
			Query: strings.TrimPrefix(sso.authorizeURL("s", storefrontURI, nil), strings.Split(sso.authorizeLink, "?")[0]+"?")},
			map[string]int{"GetItem": 2, "PutItem": 1}, 302, false},
		{"single sign-on: the callback", callback, map[string]int{"DeleteItem": 1, "GetItem": 1, "PutItem": 1}, 302, false},
		{"single sign-on: the discovery document", req{Route: "GET /oidc-idp/stores/{storeId}/authentication-realms/{realmId}/.well-known/openid-configuration",
			Path: broker}, map[string]int{}, 0, false},
		{"log-in through a provider, first time", req{Route: "POST /v2/customers/tokens", Headers: bearer(h.implicit), Body: oidcToken(firstCode)},
			map[string]int{"DeleteItem": 1, "GetItem": 2, "TransactWriteItems": 1}, 0, false},
		{"log-in through a provider, again", req{Route: "POST /v2/customers/tokens", Headers: bearer(h.implicit), Body: oidcToken(againCode)},
			map[string]int{"DeleteItem": 1, "GetItem": 2}, 0, false},
		{"log-in through a provider, linked by email", req{Route: "POST /v2/customers/tokens", Headers: bearer(h.implicit), Body: oidcToken(linkCode)},
			map[string]int{"DeleteItem": 1, "GetItem": 3, "TransactWriteItems": 1}, 0, false},
		// A create with an Idempotency-Key reads the key's record, writes it in its
		// transaction and stores its answer in it; a retry reads the record alone.
		{"create, with an Idempotency-Key", req{Route: "POST /v2/customers", Headers: keyed(bearer(h.admin), "rt-customer"),
			Body: `{"data":{"type":"customer","name":"Kay","email":"kay@example.com"}}`},
			map[string]int{"GetItem": 1, "TransactWriteItems": 1, "UpdateItem": 1}, 0, false},
		{"create, retried with its Idempotency-Key", req{Route: "POST /v2/customers", Headers: keyed(bearer(h.admin), "rt-customer"),
			Body: `{"data":{"type":"customer","name":"Kay","email":"kay@example.com"}}`}, map[string]int{"GetItem": 1}, 0, false},
		{"create address, with an Idempotency-Key", req{Route: "POST /v2/customers/{customerId}/addresses", Path: map[string]string{"customerId": owen},
			Headers: keyed(bearer(h.admin), "rt-address"), Body: anAddress},
			map[string]int{"GetItem": 1, "TransactWriteItems": 1, "UpdateItem": 1}, 0, false},
		{"checkout, with an Idempotency-Key", req{Route: "POST /v2/carts/{cartId}/checkout", Path: cartPath("rt-keyed"), Headers: keyed(bearer(h.implicit), "rt-checkout"),
			Body: checkoutBody(`{"name":"Guest","email":"guest@example.com"}`)}, map[string]int{"GetItem": 2, "TransactWriteItems": 1, "UpdateItem": 1}, 0, false},
		{"add to cart, with an Idempotency-Key", req{Route: "POST /v2/carts/{cartId}/items", Path: cart, Headers: keyed(bearer(h.implicit), "rt-cart-add"), Body: aCustomItem},
			map[string]int{"GetItem": 2, "TransactWriteItems": 1, "UpdateItem": 1}, 0, false},
		{"add to cart, retried with its Idempotency-Key", req{Route: "POST /v2/carts/{cartId}/items", Path: cart, Headers: keyed(bearer(h.implicit), "rt-cart-add"), Body: aCustomItem},
			map[string]int{"GetItem": 1}, 0, false},
		{"create flow, with an Idempotency-Key", req{Route: "POST /v2/flows", Headers: keyed(bearer(h.admin), "rt-flow"),
			Body: `{"data":{"type":"flow","name":"Keyed","slug":"rt-keyed"}}`}, map[string]int{"GetItem": 1, "TransactWriteItems": 1, "UpdateItem": 1}, 0, false},
		{"create field, with an Idempotency-Key", req{Route: "POST /v2/fields", Headers: keyed(bearer(h.admin), "rt-field"),
			Body: `{"data":{"type":"field","name":"K","slug":"rt_keyed","field_type":"integer","relationships":{"flow":{"data":{"type":"flow","id":"` + keyedFlow + `"}}}}}`},
			map[string]int{"GetItem": 2, "TransactWriteItems": 1, "UpdateItem": 1}, 0, false},
		{"create OIDC profile, with an Idempotency-Key", req{Route: "POST /v2/authentication-realms/{realmId}/oidc-profiles", Path: realm, Headers: keyed(bearer(h.admin), "rt-profile"),
			Body: `{"data":{"type":"oidc-profile","name":"Keyed","discovery_url":"` + sso.idp.DiscoveryURL() + `","client_id":"c","client_secret":"s"}}`},
			map[string]int{"GetItem": 1, "TransactWriteItems": 1, "UpdateItem": 1}, 0, false},
		{"the staff console's page", req{Route: "GET /console/{proxy+}", Path: map[string]string{"proxy": "index.html"}}, map[string]int{}, 0, false},
		{"the public key set", req{Route: "GET /.well-known/jwks.json"}, map[string]int{}, 0, false},
		{"the public key set, cold", req{Route: "GET /.well-known/jwks.json"}, map[string]int{}, 0, true},
		// The $default route answers from the route table alone.
		{"unknown route", req{Route: "$default", Call: "GET /v2/nothing", Headers: bearer(h.admin)}, map[string]int{}, 404, false},
		{"wrong method", req{Route: "$default", Call: "PATCH /v2/customers/{customerId}", Path: id, Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","name":"Ron"}}`}, map[string]int{}, 405, false},
	}
	// Settings are cached per process: read them once, as a warm function would have.
	expect(t, h.do(req{Route: "GET /v2/customers", Headers: bearer(h.admin)}), 200)
	used := map[string][]dynamolocal.Access{} // function → what its requests needed
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			handlers := h.handlers
			if c.cold {
				handlers = h.cold()
			}
			h.db.Calls().Reset()
			r := h.doWith(handlers, c.req)
			if (c.status == 0 && r.Status >= 300) || (c.status != 0 && r.Status != c.status) {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			got := h.db.Calls().ByOp()
			fn := routeFunction(t, c.req.Route)
			accesses := h.db.Calls().Accesses()
			// A cold process also reads the published token keys, once (what a case
			// wants is the rest): a warm one never.
			if n := tokenKeyReads(accesses); n > 1 || (n == 1 && !c.cold) {
				t.Errorf("%d reads of the token keys", n)
			} else if got["BatchGetItem"] -= n; got["BatchGetItem"] == 0 {
				delete(got, "BatchGetItem")
			}
			checkAccess(t, fn, accesses)
			used[fn.LogicalID] = append(used[fn.LogicalID], accesses...)
			if len(got) != len(c.want) {
				t.Errorf("calls %v, want %v", got, c.want)
			}
			for op, n := range c.want {
				if got[op] != n {
					t.Errorf("calls %v, want %v", got, c.want)
					break
				}
			}
		})
	}
	// A cold process reads the published token keys at its first verification, and a token
	// function publishes its keys before it first signs (the cases above are warm): each
	// route once more on cold handlers, with an access token of a kid nobody published
	// (two reads: the keys, and again for the unknown kid), or for the token functions a
	// token asked for.
	t.Run("cold processes and the token keys", func(t *testing.T) {
		admin := strings.Split(h.admin, ".")
		ghost := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"EdDSA","kid":"nobody","typ":"JWT"}`)) + "." + admin[1] + "." + admin[2]
		h.createCustomer("Cold", "cold.keys@example.com")
		var routes []string
		for _, fn := range testenv.Template(t).Functions {
			for _, rt := range fn.Routes {
				routes = append(routes, rt.RouteKey())
			}
		}
		for _, route := range routes {
			if route == "$default" {
				continue // answers from the route table alone (above)
			}
			rq := req{Route: route, Headers: bearer(ghost)}
			switch route {
			case "POST /oauth/access_token":
				rq = req{Route: route, Body: "grant_type=implicit&client_id=" + testClientID,
					Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"}}
			case "POST /v2/customers/tokens":
				rq.Headers = bearer(h.implicit)
				rq.Body = `{"data":{"type":"token","email":"cold.keys@example.com","password":"` + testPassword + `"}}`
			}
			if strings.Contains(route, "{proxy+}") {
				rq.Path = map[string]string{"proxy": "index.html"}
			}
			h.db.Calls().Reset()
			r := h.doWith(h.cold(), rq)
			if r.Status >= 500 {
				t.Fatalf("%s: %d %s", route, r.Status, r.Body)
			}
			fn := routeFunction(t, route)
			accesses := h.db.Calls().Accesses()
			checkAccess(t, fn, accesses)
			used[fn.LogicalID] = append(used[fn.LogicalID], accesses...)
		}
	})
	// Functions without a route, by an explicit run each. The scheduled cleanup erases a
	// deleted customer with an address, an order and a keyed sign-up's record (and the
	// customers deleted above).
	t.Run("scheduled cleanup", func(t *testing.T) {
		r := h.do(req{Route: "POST /v2/customers", Headers: keyed(bearer(h.admin), "rt-tom"),
			Body: `{"data":{"type":"customer","name":"Tom","email":"tom@example.com"}}`})
		expect(t, r, 201)
		tom := data(r)["id"].(string)
		h.createAddress(tom)
		h.placeOrder("rt-tom", bearer(h.admin), `{"id":"`+tom+`"}`)
		expect(t, h.do(req{Route: "DELETE /v2/customers/{customerId}", Path: map[string]string{"customerId": tom}, Headers: bearer(h.admin)}), 204)
		const fn = "CleanupDeletedCustomersFunction"
		h.db.Calls().Reset()
		out, err := cleanup.NewHandler(cleanup.New(h.deps.Store, 0), io.Discard, time.Now)(context.Background(), events.EventBridgeEvent{})
		if err != nil {
			t.Fatal(err)
		}
		if rep := out.(cleanup.Report); rep.CustomersErased < 1 || rep.OrdersRedacted < 1 || rep.AddressesDeleted < 1 {
			t.Fatalf("report %+v: want a customer, an order and an address at least", rep)
		}
		accesses := h.db.Calls().Accesses()
		checkAccess(t, templateFunction(t, fn), accesses)
		used[fn] = append(used[fn], accesses...)
	})
	// Least privilege: nothing allowed that no request (or run, for a function without a
	// route) needs.
	for i := range testenv.Template(t).Functions {
		fn := &testenv.Template(t).Functions[i]
		checkPolicy(t, fn, used[fn.LogicalID])
	}
}

// keyed adds an Idempotency-Key to headers.
func keyed(headers map[string]string, key string) map[string]string {
	out := maps.Clone(headers)
	out["Idempotency-Key"] = key
	return out
}

// tokenKeyReads counts the reads of the published token keys among accesses.
func tokenKeyReads(accesses []dynamolocal.Access) int {
	n := 0
	for _, a := range accesses {
		if a.Action == "dynamodb:BatchGetItem" && len(a.LeadingKeys) > 0 &&
			!slices.ContainsFunc(a.LeadingKeys, func(k string) bool { return !strings.HasPrefix(k, "TOKENKEYS#") }) {
			n++
		}
	}
	return n
}

// routeFunction is template.yaml's function serving route.
func routeFunction(t *testing.T, route string) *samtemplate.Function {
	t.Helper()
	fns := testenv.Template(t).Functions
	for i := range fns {
		if fns[i].RouteKey == route {
			return &fns[i]
		}
	}
	t.Fatalf("no function serves %s", route)
	return nil
}

// templateFunction is template.yaml's function logicalID.
func templateFunction(t *testing.T, logicalID string) *samtemplate.Function {
	t.Helper()
	fn, err := testenv.Template(t).Function(logicalID)
	if err != nil {
		t.Fatal(err)
	}
	return fn
}

// checkAccess checks that fn's policy allows each of the accesses its request made: one of
// its statements allows the action, on the table or the index read, for every partition key
// the call touches (dynamodb:LeadingKeys under ForAllValues: IAM evaluates the call's keys
// against one statement at a time; a transaction's items are authorized one by one).
func checkAccess(t *testing.T, fn *samtemplate.Function, accesses []dynamolocal.Access) {
	t.Helper()
	table := testenv.Template(t).Table.LogicalID
	for _, a := range accesses {
		switch {
		case a.Unread != "":
			t.Errorf("%s: the recorder could not read the leading keys of %s", fn.LogicalID, a)
		case a.Action == "dynamodb:Scan":
			t.Errorf("%s: %s: no Scan on a request path", fn.LogicalID, a)
		case !slices.ContainsFunc(fn.Statements, func(s samtemplate.Statement) bool {
			return s.Allows(a.Action, table, a.Index, a.LeadingKeys)
		}):
			t.Errorf("%s needs %s, which no statement of its policy in template.yaml allows", fn.LogicalID, a)
		}
		for _, k := range a.LeadingKeys {
			if family(k) == "" {
				t.Errorf("%s: %s touches %q, of no partition family keyFamilies knows: add its own", fn.LogicalID, a, k)
			}
		}
	}
}

// keyFamilies are the table's partition key families (pkg/store/keys.go), each as the
// tightest pattern that holds them, with a key of the family. checkPolicy holds each
// pattern of a policy to the families its function touches: COUNT#* would also reach the
// orders' count shards, SSO* the log-in states and codes.
var keyFamilies = []struct{ pattern, sample string }{
	{"CUSTOMER#*", "CUSTOMER#" + uuid.New()},
	{"EMAIL#*", "EMAIL#ann@example.com"},
	{"LOGIN#*", "LOGIN#ann@example.com"},
	{"COUNT#customers#*", "COUNT#customers#00"},
	{"COUNT#orders#*", "COUNT#orders#00"},
	{"SETTINGS", "SETTINGS"},
	{"FLOWS", "FLOWS"},
	{"SSO", "SSO"},
	{"SSO#STATE#*", "SSO#STATE#0a1b"},
	{"SSO#CODE#*", "SSO#CODE#0a1b"},
	{"IDENTITY#*", "IDENTITY#p#0a1b"},
	{"CART#*", "CART#rt"},
	{"ORDER#*", "ORDER#" + uuid.New()},
	// Index partitions: customers' write shards, the deleted ones', external_ref's, orders'.
	{"C#*", "C#0"},
	{"DELETED#*", "DELETED#0"},
	{"XREF#*", "XREF#0a1b"},
	{"O#*", "O#0"},
	// The published token keys, a partition per kind (one signer writes each).
	{"IDEMPOTENCY#*", "IDEMPOTENCY#0a1b"},
	{"TOKENKEYS#access", "TOKENKEYS#access"},
	{"TOKENKEYS#customer", "TOKENKEYS#customer"},
}

// family is the pattern of key's family in keyFamilies, "" when none holds it.
func family(key string) string {
	for _, f := range keyFamilies {
		if samtemplate.Like(f.pattern, key) {
			return f.pattern
		}
	}
	return ""
}

// checkPolicy holds fn's policy to least privilege, given every access its requests made:
// every DynamoDB statement is on the table (or its indexes) and has a dynamodb:LeadingKeys
// condition; none allows a Scan (a ForAllValues condition holds when a call has no key, so
// it would not restrict one) or names actions by wildcard; and each of its actions, on each
// of its resources, for each of its key patterns, is what some request did (an access the
// statement allows, of that action on that resource, with a key of that pattern), and no
// pattern reaches a family of partitions (keyFamilies) that none of them touched. So a
// statement that lets a function read SETTINGS and write CUSTOMER#* partitions does not
// also let it write SETTINGS, and COUNT#* does not stand for COUNT#customers#*.
func checkPolicy(t *testing.T, fn *samtemplate.Function, used []dynamolocal.Access) {
	t.Helper()
	table := testenv.Template(t).Table.LogicalID
	for _, p := range fn.OtherPolicies {
		if strings.Contains(strings.ToLower(p), "dynamodb") {
			t.Errorf("%s has the policy %s: give it inline statements with dynamodb:LeadingKeys conditions", fn.LogicalID, p)
		}
	}
	for i, s := range fn.Statements {
		var actions []string
		for _, a := range s.Actions {
			if strings.HasPrefix(strings.ToLower(a), "dynamodb:") {
				actions = append(actions, a)
			}
		}
		if len(actions) == 0 {
			continue
		}
		name := fmt.Sprintf("%s's statement %d %v", fn.LogicalID, i+1, actions)
		if s.AllowsAction("dynamodb:Scan") {
			t.Errorf("%s allows dynamodb:Scan, which dynamodb:LeadingKeys does not restrict", name)
		}
		if slices.ContainsFunc(actions, func(a string) bool { return strings.ContainsAny(a, "*?") }) {
			t.Errorf("%s names actions by wildcard: write them out", name)
		}
		if len(s.LeadingKeys) == 0 {
			t.Errorf("%s has no dynamodb:LeadingKeys condition: it allows every partition", name)
			continue
		}
		for _, r := range s.Resources {
			if r.Table != table {
				t.Errorf("%s is on %v, not the table or its indexes", name, r.Raw)
				continue
			}
			for _, action := range actions {
				for _, p := range s.LeadingKeys {
					if !slices.ContainsFunc(used, func(a dynamolocal.Access) bool {
						return s.Allows(a.Action, table, a.Index, a.LeadingKeys) &&
							samtemplate.Like(strings.ToLower(action), strings.ToLower(a.Action)) && r.Covers(table, a.Index) &&
							slices.ContainsFunc(a.LeadingKeys, func(k string) bool { return s.MatchesPattern(p, k) })
					}) {
						t.Errorf("%s allows %s on %s for %q, which none of its requests needs", name, action, resourceName(r), p)
					}
				}
			}
		}
		// Where families share a prefix, the longer one: no pattern reaches a family the
		// function never touches.
		for _, p := range s.LeadingKeys {
			for _, f := range keyFamilies {
				if s.MatchesPattern(p, f.sample) && !slices.ContainsFunc(used, func(a dynamolocal.Access) bool {
					return s.Allows(a.Action, table, a.Index, a.LeadingKeys) &&
						slices.ContainsFunc(a.LeadingKeys, func(k string) bool { return s.MatchesPattern(p, k) && family(k) == f.pattern })
				}) {
					t.Errorf("%s: %q also reaches %s, which none of its requests touches: narrow it", name, p, f.pattern)
				}
			}
		}
	}
}

// resourceName names a resource of the table for messages.
func resourceName(r samtemplate.Resource) string {
	if r.Suffix == "" {
		return "the table"
	}
	return "the table's " + strings.TrimPrefix(r.Suffix, "/")
}

// TestListsAuthorizeFirst: a caller who may not list gets its 403 before the query is
// parsed (no filter grammar details) and before any DynamoDB call but the read of the
// token keys that verifying the caller needs (settings included: the handlers are cold).
func TestListsAuthorizeFirst(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	leslie := h.createCustomer("Leslie", "leslie@example.com")
	ronToken := h.customerToken("ron@example.com")
	customersOf := func(id string) map[string]string { return map[string]string{"customerId": id} }
	cases := []struct {
		name string
		req  req
	}{
		{"implicit lists customers with a bad filter", req{Route: "GET /v2/customers", Query: "filter=eq(password,x", Headers: bearer(h.implicit)}},
		{"implicit lists customers", req{Route: "GET /v2/customers", Headers: bearer(h.implicit)}},
		{"a customer token lists customers with a bad filter", req{Route: "GET /v2/customers", Query: "filter=nope&sort=age",
			Headers: withCustomer(h.admin, ronToken)}},
		{"a customer token lists another's addresses with a filter", req{Route: "GET /v2/customers/{customerId}/addresses",
			Path: customersOf(leslie), Query: "filter=eq(city,Pawnee)", Headers: withCustomer(h.admin, ronToken)}},
		{"a customer token lists another's addresses", req{Route: "GET /v2/customers/{customerId}/addresses",
			Path: customersOf(leslie), Query: "page[offset]=-1", Headers: withCustomer(h.admin, ronToken)}},
		{"implicit lists addresses", req{Route: "GET /v2/customers/{customerId}/addresses", Path: customersOf(ron), Headers: bearer(h.implicit)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cold := h.cold()
			h.db.Calls().Reset()
			r := h.doWith(cold, c.req)
			expect(t, r, 403)
			if e := errorsOf(t, r); len(e) != 1 || e[0]["source"] != nil {
				t.Errorf("%v", e)
			}
			// Verifying the caller's tokens reads the published keys (cold); nothing else.
			if n, calls := tokenKeyReads(h.db.Calls().Accesses()), h.db.Calls().ByOp(); n > 1 || calls["BatchGetItem"] != n || len(calls) > min(n, 1) {
				t.Errorf("DynamoDB calls %v (%d of the token keys), want those alone", calls, n)
			}
		})
	}
}
