package handlers

import (
	"crypto/ed25519"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/testenv"
)

// The authorization matrix: every endpoint (row) against every kind of caller (column), with
// the status SPEC.md ("Tokens and who may do what") says the cell must answer. Adding an
// endpoint to template.yaml without a row here fails TestAuthorizationMatrix.

// matrixClass is what an endpoint asks of its caller.
type matrixClass int

const (
	// matrixPublic takes no bearer at all: POST /oauth/access_token.
	matrixPublic matrixClass = iota
	// matrixApplication takes any valid access token and ignores a customer token
	// (Tokens.Application): sign-up, log-in, and carts (whoever knows a cart's id may use it).
	matrixApplication
	// matrixAdminOnly takes client_credentials without a customer token.
	matrixAdminOnly
	// matrixCustomerScoped takes client_credentials on any customer, or a customer token on
	// its own customer only.
	matrixCustomerScoped
	// matrixOrder reads one order: client_credentials any, a customer's token its own; a
	// valid customer token on another's order finds nothing (404), an implicit token alone
	// or a bad customer token is refused (403).
	matrixOrder
	// matrixOrderList lists orders: client_credentials all, a valid customer token its own
	// customer's; an implicit token alone or a bad customer token is refused (403).
	matrixOrderList
	// matrixOrderStaff changes one order: client_credentials alone (an unknown order is a
	// 404); every other caller with a valid access token is refused (403), a customer's
	// token on its own order included.
	matrixOrderStaff
	// matrixNoRoute is no endpoint: the $default route gives every caller the same answer,
	// without authentication (NotFound).
	matrixNoRoute
)

// matrixRow is one endpoint and a valid request to it. Path parameters point at the
// caller's target customer and address.
type matrixRow struct {
	route   string
	variant string // tells apart several rows of one route
	// credentials: the request changes the customer's email or password, which a customer
	// token older than REAUTH_MAX_AGE_SECONDS may not do without data.current_password.
	credentials bool
	call        string // the method and path sent, for the $default route (testenv.Request.Call)
	class       matrixClass
	ok          int               // the status of an allowed call
	headers     map[string]string // added to the caller's headers
	body        func(w *matrixWorld) string
	query       func(w *matrixWorld) string
}

// matrixRows are in the order the cells run within one world: the destructive ones last,
// the address before its customer.
func matrixRows() []matrixRow {
	form := map[string]string{"content-type": "application/x-www-form-urlencoded"}
	fixed := func(s string) func(*matrixWorld) string { return func(*matrixWorld) string { return s } }
	return []matrixRow{
		// A method the customer's path does not have: 405 for everyone, whether or not the
		// caller may see that customer, or the customer exists.
		{route: "$default", call: "PATCH /v2/customers/{customerId}", class: matrixNoRoute, ok: 405,
			body: fixed(`{"data":{"type":"customer","name":"Patched"}}`)},
		{route: "POST /oauth/access_token", class: matrixPublic, ok: 200, headers: form,
			body: fixed("grant_type=client_credentials&client_id=" + testClientID + "&client_secret=" + testClientSecret)},
		{route: "POST /v2/customers", class: matrixApplication, ok: 201, body: func(w *matrixWorld) string {
			return fmt.Sprintf(`{"data":{"type":"customer","name":"Sign Up","email":"signup.w%d@example.com"}}`, w.n)
		}},
		{route: "POST /v2/customers/tokens", class: matrixApplication, ok: 200, body: func(w *matrixWorld) string {
			return `{"data":{"type":"token","email":"` + w.b.email + `","password":"` + testPassword + `","authentication_mechanism":"password"}}`
		}},
		{route: "GET /v2/carts/{cartId}", class: matrixApplication, ok: 200},
		{route: "GET /v2/carts/{cartId}/items", class: matrixApplication, ok: 200},
		{route: "POST /v2/carts/{cartId}/items", class: matrixApplication, ok: 201, body: fixed(aCustomItem)},
		{route: "PUT /v2/carts/{cartId}/items/{itemId}", class: matrixApplication, ok: 200,
			body: fixed(`{"data":{"type":"cart_item","quantity":3}}`)},
		{route: "DELETE /v2/carts/{cartId}/items/{itemId}", class: matrixApplication, ok: 200},
		{route: "DELETE /v2/carts/{cartId}/items", class: matrixApplication, ok: 204},
		{route: "GET /v2/customers", class: matrixAdminOnly, ok: 200},
		{route: "GET /v2/settings", class: matrixAdminOnly, ok: 200},
		{route: "PUT /v2/settings", class: matrixAdminOnly, ok: 200, body: fixed(`{"data":{"type":"settings","page_length":25}}`)},
		{route: "GET /v2/customers/{customerId}", class: matrixCustomerScoped, ok: 200},
		{route: "PUT /v2/customers/{customerId}", class: matrixCustomerScoped, ok: 200,
			body: fixed(`{"data":{"type":"customer","external_ref":"matrix-probe"}}`)},
		{route: "PUT /v2/customers/{customerId}", variant: "new email", credentials: true, class: matrixCustomerScoped, ok: 200,
			body: func(w *matrixWorld) string {
				return fmt.Sprintf(`{"data":{"type":"customer","email":"moved.w%d@example.com"}}`, w.n)
			}},
		{route: "PUT /v2/customers/{customerId}", variant: "new email with current_password", class: matrixCustomerScoped, ok: 200,
			body: func(w *matrixWorld) string {
				return fmt.Sprintf(`{"data":{"type":"customer","email":"moved.again.w%d@example.com","current_password":"%s"}}`, w.n, testPassword)
			}},
		{route: "GET /v2/customers/{customerId}/addresses", class: matrixCustomerScoped, ok: 200},
		{route: "POST /v2/customers/{customerId}/addresses", class: matrixCustomerScoped, ok: 201, body: fixed(anAddress)},
		{route: "GET /v2/customers/{customerId}/addresses/{addressId}", class: matrixCustomerScoped, ok: 200},
		{route: "PUT /v2/customers/{customerId}/addresses/{addressId}", class: matrixCustomerScoped, ok: 200,
			body: fixed(`{"data":{"type":"address","city":"Eagleton"}}`)},
		{route: "DELETE /v2/customers/{customerId}/addresses/{addressId}", class: matrixCustomerScoped, ok: 204},
		{route: "POST /v2/carts/{cartId}/checkout", class: matrixCustomerScoped, ok: 201}, // for the target customer
		{route: "GET /v2/orders", class: matrixOrderList, ok: 200},
		{route: "GET /v2/orders/{orderId}", class: matrixOrder, ok: 200},
		{route: "GET /v2/orders/{orderId}/items", class: matrixOrder, ok: 200},
		{route: "PUT /v2/orders/{orderId}", class: matrixOrderStaff, ok: 200,
			body: fixed(`{"data":{"type":"order","payment":"authorized","external_ref":"matrix-probe"}}`)},
		{route: "GET /v2/flows", class: matrixApplication, ok: 200},
		{route: "GET /v2/flows/{flowId}", class: matrixApplication, ok: 200},
		{route: "GET /v2/flows/{flowId}/fields", class: matrixApplication, ok: 200},
		{route: "GET /v2/fields", class: matrixApplication, ok: 200},
		{route: "GET /v2/fields/{fieldId}", class: matrixApplication, ok: 200},
		{route: "POST /v2/flows", class: matrixAdminOnly, ok: 201, body: func(w *matrixWorld) string {
			return fmt.Sprintf(`{"data":{"type":"flow","name":"Probe","slug":"probe-w%d"}}`, w.n)
		}},
		{route: "PUT /v2/flows/{flowId}", class: matrixAdminOnly, ok: 200, body: fixed(`{"data":{"type":"flow","description":"probed"}}`)},
		{route: "POST /v2/fields", class: matrixAdminOnly, ok: 201, body: func(w *matrixWorld) string {
			return `{"data":{"type":"field","name":"Probe","slug":"probe","field_type":"integer","relationships":{"flow":{"data":{"type":"flow","id":"` + w.flow + `"}}}}}`
		}},
		{route: "PUT /v2/fields/{fieldId}", class: matrixAdminOnly, ok: 200, body: fixed(`{"data":{"type":"field","description":"probed"}}`)},
		{route: "DELETE /v2/fields/{fieldId}", class: matrixAdminOnly, ok: 204},
		{route: "DELETE /v2/flows/{flowId}", class: matrixAdminOnly, ok: 409}, // the probe field is still there
		// Single sign-on: the realm and its profiles are read with any access token, changed
		// with client_credentials; the broker's legs take no token at all.
		{route: "GET /v2/settings/customer-authentication", class: matrixAdminOnly, ok: 200},
		{route: "GET /v2/authentication-realms", class: matrixApplication, ok: 200},
		{route: "GET /v2/authentication-realms/{realmId}", class: matrixApplication, ok: 200},
		{route: "PUT /v2/authentication-realms/{realmId}", class: matrixAdminOnly, ok: 200,
			body: fixed(`{"data":{"type":"authentication-realm","name":"Probed"}}`)},
		{route: "GET /v2/authentication-realms/{realmId}/oidc-profiles", class: matrixApplication, ok: 200},
		{route: "GET /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}", class: matrixApplication, ok: 200},
		{route: "POST /v2/authentication-realms/{realmId}/oidc-profiles", class: matrixAdminOnly, ok: 201, body: func(w *matrixWorld) string {
			return `{"data":{"type":"oidc-profile","name":"Probe","discovery_url":"` + w.discovery + `","client_id":"c","client_secret":"s"}}`
		}},
		{route: "PUT /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}", class: matrixAdminOnly, ok: 200,
			body: fixed(`{"data":{"type":"oidc-profile","name":"Probed"}}`)},
		{route: "GET /oidc-idp/login/stores/{storeId}/authentication-realms/{realmId}", class: matrixPublic, ok: 302,
			query: func(w *matrixWorld) string {
				return url.Values{ssoProfileParam: {w.profile}, "client_id": {"customers"}, "redirect_uri": {storefrontURI}, "state": {"s"},
					"response_type": {"code"}, "scope": {"openid email"}, "code_challenge": {challengeOf(testVerifier)},
					"code_challenge_method": {"S256"}}.Encode()
			}},
		// A state nobody issued: the same 400 for everyone.
		{route: "GET /oidc-idp/callback/stores/{storeId}/authentication-realms/{realmId}/oidc-profiles/{profileId}", class: matrixPublic, ok: 400,
			query: fixed("code=c&state=made-up")},
		{route: "GET /oidc-idp/stores/{storeId}/authentication-realms/{realmId}/.well-known/openid-configuration", class: matrixPublic, ok: 200},
		{route: "DELETE /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}", class: matrixAdminOnly, ok: 204},
		// The staff console's files are public: nothing in them is secret.
		{route: "GET /console/{proxy+}", class: matrixPublic, ok: 200},
		// The public key set is public: it is what outside verifiers fetch.
		{route: "GET /.well-known/jwks.json", class: matrixPublic, ok: 200},
		{route: "DELETE /v2/customers/{customerId}", class: matrixCustomerScoped, ok: 204},
	}
}

const ssoProfileParam = "elasticpath_commerce_cloud_profile_id"

// matrixCustomer is one customer of a world and its address.
type matrixCustomer struct {
	id, name, email, address, line1, order string
}

// matrixWorld is what one caller's cells run against: customer A (the caller's own, when it
// has a customer) and customer B, another customer whose data must never leak, each with an
// address, and A's customer token; and a cart with an item.
type matrixWorld struct {
	n              int
	a, b           matrixCustomer
	aToken         string
	cart, cartItem string
	checkoutCart   string // a cart with an item, for the checkout row
	flow, field    string // a flow of the world's own with a field
	// Single sign-on: the realm (with the storefront's redirect URI) and a profile at the
	// test provider.
	store, realm, profile, discovery string
}

const matrixSecretAddress = `{"data":{"type":"address","first_name":"Leslie","last_name":"Secret","line_1":"999 Secret Street","county":"Secretshire","postcode":"99999","country":"US"}}`

func newMatrixWorld(h *harness, n int) *matrixWorld {
	h.t.Helper()
	w := &matrixWorld{n: n}
	w.a = matrixCustomer{name: "Ron Private", email: fmt.Sprintf("ron.private.w%d@example.com", n), line1: "1 Pawnee Way"}
	w.b = matrixCustomer{name: "Leslie Secret", email: fmt.Sprintf("leslie.secret.w%d@example.com", n), line1: "999 Secret Street"}
	w.a.id = h.createCustomer(w.a.name, w.a.email)
	w.b.id = h.createCustomer(w.b.name, w.b.email)
	w.a.address = h.createAddress(w.a.id) // anAddress: line_1 "1 Pawnee Way"
	r := h.do(req{Route: "POST /v2/customers/{customerId}/addresses", Path: map[string]string{"customerId": w.b.id},
		Headers: bearer(h.admin), Body: matrixSecretAddress})
	if r.Status != 201 {
		h.t.Fatalf("create B's address: %d %s", r.Status, r.Body)
	}
	w.b.address = data(r)["id"].(string)
	w.aToken = h.customerToken(w.a.email)
	w.cart = fmt.Sprintf("matrix-cart-w%d", n)
	w.cartItem = h.addItem(w.cart, aCustomItem)
	// An order each, checked out by staff.
	for _, c := range []*matrixCustomer{&w.a, &w.b} {
		cart := fmt.Sprintf("matrix-order-%s", c.id)
		h.addItem(cart, aCustomItem)
		r := h.checkout(cart, bearer(h.admin), checkoutBody(`{"id":"`+c.id+`"}`))
		if r.Status != 201 {
			h.t.Fatalf("checkout for %s: %d %s", c.name, r.Status, r.Body)
		}
		c.order = data(r)["id"].(string)
	}
	w.checkoutCart = fmt.Sprintf("matrix-checkout-w%d", n)
	h.addItem(w.checkoutCart, aCustomItem)
	w.flow = h.createFlow(fmt.Sprintf("matrix-w%d", n))
	w.field = h.createField(w.flow, "tier", `"string"`)
	w.store, w.realm = h.realm()
	w.discovery = testenv.Provider(h.t).DiscoveryURL()
	expect(h.t, h.do(req{Route: "PUT /v2/authentication-realms/{realmId}", Path: map[string]string{"realmId": w.realm}, Headers: bearer(h.admin),
		Body: `{"data":{"type":"authentication-realm","redirect_uris":["` + storefrontURI + `"]}}`}), 200)
	r = h.do(req{Route: "POST /v2/authentication-realms/{realmId}/oidc-profiles", Path: map[string]string{"realmId": w.realm},
		Headers: bearer(h.admin), Body: `{"data":{"type":"oidc-profile","name":"World","discovery_url":"` + w.discovery + `","client_id":"c","client_secret":"s"}}`})
	expect(h.t, r, 201)
	w.profile = data(r)["id"].(string)
	return w
}

// done removes what the world added to the realm (a realm holds at most 20 profiles).
func (w *matrixWorld) done(h *harness) {
	h.t.Helper()
	path := map[string]string{"realmId": w.realm}
	for _, p := range h.do(req{Route: "GET /v2/authentication-realms/{realmId}/oidc-profiles", Path: path, Headers: bearer(h.admin)}).JSON["data"].([]any) {
		path["profileId"] = p.(map[string]any)["id"].(string)
		h.do(req{Route: "DELETE /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}", Path: path, Headers: bearer(h.admin)})
	}
}

// realm is the store's id and its authentication realm's.
func (h *harness) realm() (store, realm string) {
	h.t.Helper()
	set := h.do(req{Route: "GET /v2/settings/customer-authentication", Headers: bearer(h.admin)})
	expect(h.t, set, 200)
	return data(set)["id"].(string), data(set)["relationships"].(map[string]any)["authentication-realm"].(map[string]any)["data"].(map[string]any)["id"].(string)
}

// snapshot is what an administrator sees of a customer: the record, its address, its
// address list and its order, as response bodies.
func (w *matrixWorld) snapshot(h *harness, c matrixCustomer) []string {
	h.t.Helper()
	var out []string
	for _, r := range []req{
		{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": c.id}},
		{Route: "GET /v2/customers/{customerId}/addresses", Path: map[string]string{"customerId": c.id}},
		{Route: "GET /v2/customers/{customerId}/addresses/{addressId}", Path: map[string]string{"customerId": c.id, "addressId": c.address}},
		{Route: "GET /v2/orders/{orderId}", Path: map[string]string{"orderId": c.order}},
	} {
		r.Headers = bearer(h.admin)
		resp := h.do(r)
		out = append(out, fmt.Sprintf("%s: %d %s", r.Route, resp.Status, resp.Body))
	}
	return out
}

// matrixTarget is the customer and address a caller's cells name in their paths.
type matrixTarget struct {
	customer, address, order string
}

func (c matrixCustomer) target() matrixTarget { return matrixTarget{c.id, c.address, c.order} }

// matrixCaller is one column: what its tokens are worth, and how to make them and its target
// in a fresh world.
type matrixCaller struct {
	name   string
	access bool // the bearer is a valid access token
	admin  bool // client_credentials without a customer token
	owner  bool // a valid customer token of the target customer
	// shopper: a valid customer token of a live customer (the target's or another's)
	shopper bool
	stale   bool // that token is older than REAUTH_MAX_AGE_SECONDS
	missing bool // the target customer does not exist
	setup   func(h *harness, w *matrixWorld) (map[string]string, matrixTarget)
}

// Callers named in the exception cells.
const (
	callerOwnWithOthersAddress   = "implicit + own token, another customer's address under own path"
	callerAdminWithOthersAddress = "client_credentials, another customer's address under A's path"
)

func matrixCallers() []matrixCaller {
	accessKey := func(h *harness) ed25519.PrivateKey { return matrixKey(h, auth.AccessKind) }
	customerKey := func(h *harness) ed25519.PrivateKey { return matrixKey(h, auth.CustomerKind) }
	_, otherKey := auth.SigningKey("another-signing-secret-0123456789abcdef", auth.AccessKind)
	// The bad access tokens are made from a client_credentials token: if one passed, its
	// cells would succeed.
	expire := func(ttl time.Duration) func(jwt.MapClaims) {
		return func(c jwt.MapClaims) {
			now := time.Now().Unix()
			c["iat"] = now - int64(ttl.Seconds()) - 3600
			c["exp"] = now - 3600
		}
	}
	missing := func() matrixTarget { return matrixTarget{id.New(), id.New(), id.New()} }
	return []matrixCaller{
		{name: "no token", setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return nil, w.b.target()
		}},
		{name: "malformed bearer", setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return map[string]string{"Authorization": "Bearer abc"}, w.b.target()
		}},
		{name: "expired access token", setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return bearer(matrixResign(h.t, h.admin, jwt.SigningMethodEdDSA, accessKey(h), expire(time.Hour))), w.b.target()
		}},
		{name: "forged access token", setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return bearer(matrixResign(h.t, h.admin, jwt.SigningMethodEdDSA, otherKey, nil)), w.b.target()
		}},
		{name: "alg none access token", setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return bearer(matrixResign(h.t, h.admin, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil)), w.b.target()
		}},
		{name: "customer token as bearer", setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return bearer(w.aToken), w.a.target()
		}},
		{name: "implicit alone", access: true, setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return bearer(h.implicit), w.b.target()
		}},
		{name: "implicit + own token", access: true, shopper: true, owner: true, setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return withCustomer(h.implicit, w.aToken), w.a.target()
		}},
		{name: "implicit + own token from a log-in 11 minutes ago", access: true, shopper: true, owner: true, stale: true, setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return withCustomer(h.implicit, h.oldToken(w.a.id, 0)), w.a.target()
		}},
		{name: callerOwnWithOthersAddress, access: true, shopper: true, owner: true, setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return withCustomer(h.implicit, w.aToken), matrixTarget{w.a.id, w.b.address, w.a.order}
		}},
		{name: "implicit + another customer's token on A", access: true, shopper: true, setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return withCustomer(h.implicit, h.customerToken(w.b.email)), w.a.target()
		}},
		{name: "implicit + own token on another customer", access: true, shopper: true, setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return withCustomer(h.implicit, w.aToken), w.b.target()
		}},
		{name: "implicit + own token on an unknown customer", access: true, shopper: true, missing: true, setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return withCustomer(h.implicit, w.aToken), missing()
		}},
		{name: "access token as customer token", access: true, setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return withCustomer(h.implicit, h.admin), w.a.target()
		}},
		{name: "malformed customer token", access: true, setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return withCustomer(h.implicit, "abc"), w.a.target()
		}},
		{name: "expired customer token", access: true, setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return withCustomer(h.implicit, matrixResign(h.t, w.aToken, jwt.SigningMethodEdDSA, customerKey(h), expire(24*time.Hour))), w.a.target()
		}},
		{name: "forged customer token", access: true, setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return withCustomer(h.implicit, matrixResign(h.t, w.aToken, jwt.SigningMethodEdDSA, otherKey, nil)), w.a.target()
		}},
		{name: "alg none customer token", access: true, setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return withCustomer(h.implicit, matrixResign(h.t, w.aToken, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil)), w.a.target()
		}},
		{name: "deleted customer's token", access: true, setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			r := h.do(req{Route: "DELETE /v2/customers/{customerId}", Path: map[string]string{"customerId": w.a.id}, Headers: bearer(h.admin)})
			if r.Status != 204 {
				h.t.Fatalf("delete A: %d %s", r.Status, r.Body)
			}
			return withCustomer(h.implicit, w.aToken), w.a.target()
		}},
		{name: "token issued before a password change", access: true, setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			r := h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": w.a.id}, Headers: bearer(h.admin),
				Body: `{"data":{"type":"customer","password":"a brand new password"}}`})
			if r.Status != 200 {
				h.t.Fatalf("change A's password: %d %s", r.Status, r.Body)
			}
			return withCustomer(h.implicit, w.aToken), w.a.target()
		}},
		{name: "client_credentials", access: true, admin: true, setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return bearer(h.admin), w.a.target()
		}},
		{name: callerAdminWithOthersAddress, access: true, admin: true, setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return bearer(h.admin), matrixTarget{w.a.id, w.b.address, w.a.order}
		}},
		{name: "client_credentials on an unknown customer", access: true, admin: true, missing: true, setup: func(h *harness, w *matrixWorld) (map[string]string, matrixTarget) {
			return bearer(h.admin), missing()
		}},
	}
}

// matrixExceptions are the cells the class rule does not give: another customer's address
// under one's own path is not found.
var matrixExceptions = map[[2]string]int{
	{"GET /v2/customers/{customerId}/addresses/{addressId}", callerOwnWithOthersAddress}:      404,
	{"PUT /v2/customers/{customerId}/addresses/{addressId}", callerOwnWithOthersAddress}:      404,
	{"DELETE /v2/customers/{customerId}/addresses/{addressId}", callerOwnWithOthersAddress}:   404,
	{"GET /v2/customers/{customerId}/addresses/{addressId}", callerAdminWithOthersAddress}:    404,
	{"PUT /v2/customers/{customerId}/addresses/{addressId}", callerAdminWithOthersAddress}:    404,
	{"DELETE /v2/customers/{customerId}/addresses/{addressId}", callerAdminWithOthersAddress}: 404,
}

// matrixWant is the status SPEC.md gives a cell.
func matrixWant(r matrixRow, c matrixCaller) int {
	if s, ok := matrixExceptions[[2]string{r.route, c.name}]; ok {
		return s
	}
	if r.class == matrixPublic || r.class == matrixNoRoute {
		return r.ok // takes form credentials, or nothing, whatever else the request carries
	}
	if !c.access {
		return 401
	}
	switch r.class {
	case matrixApplication:
		return r.ok // a customer token, good or bad, is ignored
	case matrixAdminOnly:
		if c.admin {
			return r.ok
		}
		return 403
	case matrixOrderList:
		if c.admin || c.owner || c.shopper {
			return r.ok
		}
		return 403
	case matrixOrderStaff:
		switch {
		case c.admin && c.missing:
			return 404
		case c.admin:
			return r.ok
		}
		return 403
	case matrixOrder:
		switch {
		case c.admin && c.missing, c.shopper && !c.owner:
			return 404 // another customer's order is none of theirs to know of
		case c.admin, c.owner:
			return r.ok
		}
		return 403
	}
	switch {
	case c.admin && c.missing:
		return 404
	case c.owner && c.stale && r.credentials:
		return 403 // prove it is you: data.current_password, or log in again
	case c.admin, c.owner:
		return r.ok
	}
	return 403 // whether or not the target exists
}

func TestAuthorizationMatrix(t *testing.T) {
	rows := matrixRows()
	callers := matrixCallers()

	t.Run("every route has a row", func(t *testing.T) {
		byRoute := map[string]bool{}
		for _, r := range rows {
			if byRoute[r.route+r.variant] {
				t.Errorf("two rows for %s %s", r.route, r.variant)
			}
			byRoute[r.route+r.variant], byRoute[r.route] = true, true
			if _, ok := endpoints()[r.route]; !ok {
				t.Errorf("row %s is not in Routes", r.route)
			}
		}
		inTemplate := map[string]bool{}
		for _, fn := range testenv.Template(t).Functions {
			for _, route := range fn.Routes {
				key := route.RouteKey()
				inTemplate[key] = true
				if !byRoute[key] {
					t.Errorf("route %s (%s) has no row in the authorization matrix", key, fn.LogicalID)
				}
			}
		}
		for _, r := range rows {
			if !inTemplate[r.route] {
				t.Errorf("row %s is not a route of template.yaml", r.route)
			}
		}
	})

	h := newHarness(t)

	// The forgeries differ from a good token only where they mean to: the same claims,
	// re-signed with the service's own key and method, are accepted.
	t.Run("forgery control", func(t *testing.T) {
		ht := *h
		ht.t = t
		w := newMatrixWorld(&ht, -1)
		admin := matrixResign(t, h.admin, jwt.SigningMethodEdDSA, matrixKey(h, auth.AccessKind), nil)
		expect(t, ht.do(req{Route: "GET /v2/customers", Headers: bearer(admin)}), 200)
		own := matrixResign(t, w.aToken, jwt.SigningMethodEdDSA, matrixKey(h, auth.CustomerKind), nil)
		expect(t, ht.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": w.a.id},
			Headers: withCustomer(h.implicit, own)}), 200)
	})

	cells := 0
	for n, c := range callers {
		w := newMatrixWorld(h, n)
		headers, target := c.setup(h, w)
		beforeA, beforeB := w.snapshot(h, w.a), w.snapshot(h, w.b)
		for _, row := range rows {
			cells++
			want := matrixWant(row, c)
			t.Run(strings.TrimSpace(row.route+" "+row.variant)+"/"+c.name, func(t *testing.T) {
				ht := *h
				ht.t = t
				rq := req{Route: row.route, Call: row.call, Headers: map[string]string{}}
				for k, v := range headers {
					rq.Headers[k] = v
				}
				for k, v := range row.headers {
					rq.Headers[k] = v
				}
				if strings.Contains(row.route+row.call, "{customerId}") {
					rq.Path = map[string]string{"customerId": target.customer}
					if strings.Contains(row.route+row.call, "{addressId}") {
						rq.Path["addressId"] = target.address
					}
				}
				if strings.Contains(row.route, "{cartId}") {
					rq.Path = cartPath(w.cart, w.cartItem)
				}
				if row.route == "POST /v2/carts/{cartId}/checkout" {
					rq.Path = cartPath(w.checkoutCart)
					rq.Body = checkoutBody(`{"id":"` + target.customer + `"}`)
				}
				if strings.Contains(row.route, "{orderId}") {
					rq.Path = map[string]string{"orderId": target.order}
				}
				if strings.Contains(row.route, "{flowId}") {
					rq.Path = map[string]string{"flowId": w.flow}
				}
				if strings.Contains(row.route, "{fieldId}") {
					rq.Path = map[string]string{"fieldId": w.field}
				}
				if strings.Contains(row.route, "{proxy+}") {
					rq.Path = map[string]string{"proxy": "index.html"}
				}
				if strings.Contains(row.route, "{realmId}") {
					rq.Path = map[string]string{"storeId": w.store, "realmId": w.realm, "profileId": w.profile}
				}
				if row.body != nil {
					rq.Body = row.body(w)
				}
				if row.query != nil {
					rq.Query = row.query(w)
				}
				r := ht.do(rq)
				if r.Status != want {
					t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
				}
				if r.Status >= 400 {
					errs := errorsOf(t, r)
					if errs[0]["status"] != float64(r.Status) {
						t.Errorf("error status %v, response status %d", errs[0]["status"], r.Status)
					}
					// A refused call tells nothing about either customer.
					matrixNoLeak(t, r, w.a, w.b)
					return
				}
				if row.class == matrixCustomerScoped && !c.admin {
					// A customer's own answers carry nothing of another customer.
					matrixNoLeak(t, r, w.b)
				}
				if row.class == matrixCustomerScoped && r.Body != "" && !strings.Contains(r.Body, target.customer) {
					t.Errorf("the answer is not about the target customer %s: %s", target.customer, r.Body)
				}
			})
		}
		t.Run("nothing else changed/"+c.name, func(t *testing.T) {
			ht := *h
			ht.t = t
			// No caller is allowed anything on B: B, its address and its list are as before.
			matrixSame(t, "B", beforeB, w.snapshot(&ht, w.b))
			// A caller refused on A's record changed nothing of it.
			if !(c.access && (c.admin || c.owner) && !c.missing) {
				matrixSame(t, "A", beforeA, w.snapshot(&ht, w.a))
			}
			w.done(&ht)
		})
	}
	t.Logf("%d cells: %d routes × %d callers", cells, len(rows), len(callers))
}

// matrixNoLeak fails if r carries any of the customers' ids, names, emails or address lines.
func matrixNoLeak(t *testing.T, r response, customers ...matrixCustomer) {
	t.Helper()
	body := strings.ToLower(r.Body)
	for _, c := range customers {
		for _, s := range []string{c.id, c.address, c.name, c.email, c.line1} {
			if s != "" && strings.Contains(body, strings.ToLower(s)) {
				t.Errorf("the response carries %q: %s", s, r.Body)
			}
		}
	}
}

func matrixSame(t *testing.T, who string, before, after []string) {
	t.Helper()
	for i := range before {
		if before[i] != after[i] {
			t.Errorf("%s changed:\nbefore %s\nafter  %s", who, before[i], after[i])
		}
	}
}

// matrixKey derives a token kind's key from the signing secret, as auth.NewTokens does.
func matrixKey(h *harness, kind auth.Kind) ed25519.PrivateKey {
	id := map[auth.Kind]string{auth.AccessKind: h.cfg.Secrets.AccessTokenKeys, auth.CustomerKind: h.cfg.Secrets.CustomerTokenKeys}[kind]
	_, key := auth.SigningKey(h.secrets[id].Current, kind)
	return key
}

// matrixResign signs raw's claims, changed by edit, with method and key, under raw's kid.
func matrixResign(t testing.TB, raw string, method jwt.SigningMethod, key any, edit func(jwt.MapClaims)) string {
	t.Helper()
	return signedAs(t, raw, method, key, nil, edit)
}
