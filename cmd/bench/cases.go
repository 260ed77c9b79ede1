package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/handlers"
	"github.com/acme/customers/pkg/settings"
	"github.com/acme/customers/pkg/testenv"
)

// benchCase is one endpoint scenario: its handler side; the constructor writes the
// fixtures it needs. The bare sides are made from what the handler calls do (replay.go):
// one when the endpoint reaches DynamoDB, and for the cases that declare bcrypt work,
// another that also does it.
type benchCase struct {
	name     string
	hashes   int // bcrypt hashes per handler call
	compares int // bcrypt comparisons per handler call
	handler  func(context.Context, *env) (*op, error)
}

func (c benchCase) bcryptBound() bool { return c.hashes+c.compares > 0 }

// listOffset is the page[offset] of the "list at an offset" case; seedCustomers makes sure
// a full page exists there. The address lists read the address book, a customer holding
// bookAddresses addresses, at offset 0 and at addressOffset.
const (
	listOffset    = 50
	seedCustomers = 100
	bookAddresses = 2000
	addressOffset = 1900
	// shopperOrders is how many orders the orders cases' customer has: more than a page.
	shopperOrders = 30
)

// settingsPageLength is what update settings writes: the default page length, so that the
// lists' page stays 25 whichever case runs first.
const settingsPageLength = settings.DefaultPageLength

var cases = []benchCase{
	{name: "access token (client_credentials)", handler: accessToken},
	{name: "create customer", hashes: 1, handler: createCustomer},
	{name: "get customer", handler: getCustomer},
	{name: fmt.Sprintf("get customer, %d custom fields", customFields), handler: getCustomerCustom},
	{name: "update (name + password)", hashes: 1, handler: updateCustomer(true)},
	{name: "update (name only)", handler: updateCustomer(false)},
	{name: fmt.Sprintf("update (name only), %d custom fields", customFields), handler: updateCustomerCustom(false)},
	{name: fmt.Sprintf("update (name + %d custom fields)", customFields), handler: updateCustomerCustom(true)},
	{name: "update email", handler: updateEmail},
	{name: "delete customer", handler: deleteCustomer},
	{name: "list, offset 0", handler: listCustomers(0)},
	{name: fmt.Sprintf("list, offset %d", listOffset), handler: listCustomers(listOffset)},
	{name: "log-in, success", compares: 1, handler: login(true, false)},
	{name: "log-in, success after a counted attempt", compares: 1, handler: login(true, true)},
	{name: "log-in, failure", compares: 1, handler: login(false, false)},
	{name: "log-in, failure, unknown email", compares: 1, handler: loginUnknown},
	{name: "create address", handler: createAddress},
	{name: "get address", handler: getAddress},
	{name: "update address (one field)", handler: updateAddress},
	{name: "delete address", handler: deleteAddress},
	{name: fmt.Sprintf("list addresses, offset 0 (of %d)", bookAddresses), handler: listAddresses(0)},
	{name: fmt.Sprintf("list addresses, offset %d (of %d)", addressOffset, bookAddresses), handler: listAddresses(addressOffset)},
	{name: "get settings", handler: getSettings},
	{name: "update settings", handler: updateSettings},
	{name: fmt.Sprintf("get cart (%d items)", cartLines), handler: getCart},
	{name: "add to cart", handler: addToCart},
	{name: "update cart item (quantity)", handler: updateCartItem},
	{name: "remove cart item", handler: removeCartItem},
	{name: "empty cart", handler: emptyCart},
	{name: "checkout, customer token", handler: checkout(true)},
	{name: "checkout, guest", handler: checkout(false)},
	{name: "get order", handler: getOrder(false)},
	{name: "get order, customer token", handler: getOrder(true)},
	{name: "order items, customer token", handler: orderItems},
	{name: fmt.Sprintf("list orders, customer token (of %d)", shopperOrders), handler: listOrders(false, true)},
	{name: "list orders, staff", handler: listOrders(false, false)},
	{name: fmt.Sprintf("list orders, eq(customer_id) (of %d)", shopperOrders), handler: listOrders(true, false)},
	{name: "list OIDC profiles (implicit)", handler: listProfiles},
	{name: "log-in through a provider, returning", handler: ssoLogin(false)},
	{name: "log-in through a provider, first time", handler: ssoLogin(true)},
}

// request describes one API Gateway request.
type request = testenv.Request

// handlerOp calls the endpoint's handler the way the Lambda runtime does (api.Handle is
// what app.Start passes to lambda.Start) with the event next builds, and checks the status.
func handlerOp(e *env, function string, ep app.Endpoint, want int, next func(context.Context) (request, error)) *op {
	return handlerOpOn(e.deps, function, ep, want, next)
}

// handlerOpOn is handlerOp with the handler on d.
func handlerOpOn(d *app.Deps, function string, ep app.Endpoint, want int, next func(context.Context) (request, error)) *op {
	h := api.Handle(function, ep(d))
	var ev events.APIGatewayV2HTTPRequest
	return &op{
		function: function,
		prepare: func(ctx context.Context) error {
			r, err := next(ctx)
			ev = testenv.Event(r)
			return err
		},
		run: func(ctx context.Context) error {
			out, err := h(ctx, ev)
			if err != nil {
				return fmt.Errorf("%s: %w", function, err)
			}
			if out.StatusCode != want {
				return fmt.Errorf("%s: status %d, want %d: %s", function, out.StatusCode, want, out.Body)
			}
			return nil
		},
	}
}

func fixed(r request) func(context.Context) (request, error) {
	return func(context.Context) (request, error) { return r, nil }
}

func bearer(token string) map[string]string {
	return map[string]string{"authorization": "Bearer " + token}
}

func accessToken(_ context.Context, e *env) (*op, error) {
	return handlerOp(e, "AccessTokenFunction", handlers.AccessToken, 200, fixed(request{
		Route:   "POST /oauth/access_token",
		Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"},
		Body:    "grant_type=client_credentials&client_id=" + clientID + "&client_secret=" + clientSecret,
	})), nil
}

func createCustomer(_ context.Context, e *env) (*op, error) {
	return handlerOp(e, "CreateCustomerFunction", handlers.CreateCustomer, 201, func(context.Context) (request, error) {
		return request{Route: "POST /v2/customers", Headers: bearer(e.admin),
			Body: `{"data":{"type":"customer","name":"Ann Perkins","email":"` + e.email("create") +
				`","password":"` + fixturePassword + `"}}`}, nil
	}), nil
}

func getCustomer(ctx context.Context, e *env) (*op, error) {
	c, err := e.customer(ctx, "get")
	if err != nil {
		return nil, err
	}
	return handlerOp(e, "GetCustomerFunction", handlers.GetCustomer, 200, fixed(request{
		Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": c.ID}, Headers: bearer(e.admin),
	})), nil
}

func updateCustomer(password bool) func(context.Context, *env) (*op, error) {
	return func(ctx context.Context, e *env) (*op, error) {
		c, err := e.customer(ctx, "update")
		if err != nil {
			return nil, err
		}
		body := `{"data":{"type":"customer","name":"Ronald Swanson"}}`
		if password {
			body = `{"data":{"type":"customer","name":"Ronald Swanson","password":"another password"}}`
		}
		return handlerOp(e, "UpdateCustomerFunction", handlers.UpdateCustomer, 200, fixed(request{
			Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": c.ID},
			Headers: bearer(e.admin), Body: body,
		})), nil
	}
}

// The custom-field cases run against e.custom (customDeps): a second warm process on the
// same table whose customers flow has customFields fields, on a customer with a value for
// each; the get and update cases above are the same calls on a customer without any.

func getCustomerCustom(ctx context.Context, e *env) (*op, error) {
	d, err := e.customDeps(ctx)
	if err != nil {
		return nil, err
	}
	c, err := e.customCustomer(ctx, "get")
	if err != nil {
		return nil, err
	}
	return handlerOpOn(d, "GetCustomerFunction", handlers.GetCustomer, 200, fixed(request{
		Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": c.ID}, Headers: bearer(e.admin),
	})), nil
}

// updateCustomerCustom renames a customer holding customFields values; with values, the
// body also sets every field (to the values it holds: each call writes the same).
func updateCustomerCustom(values bool) func(context.Context, *env) (*op, error) {
	return func(ctx context.Context, e *env) (*op, error) {
		d, err := e.customDeps(ctx)
		if err != nil {
			return nil, err
		}
		c, err := e.customCustomer(ctx, "update")
		if err != nil {
			return nil, err
		}
		data := map[string]any{"type": "customer", "name": "Ronald Swanson"}
		if values {
			maps.Copy(data, customValues())
		}
		b, err := json.Marshal(map[string]any{"data": data})
		if err != nil {
			return nil, err
		}
		return handlerOpOn(d, "UpdateCustomerFunction", handlers.UpdateCustomer, 200, fixed(request{
			Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": c.ID},
			Headers: bearer(e.admin), Body: string(b),
		})), nil
	}
}

func updateEmail(ctx context.Context, e *env) (*op, error) {
	c, err := e.customer(ctx, "email")
	if err != nil {
		return nil, err
	}
	return handlerOp(e, "UpdateCustomerFunction", handlers.UpdateCustomer, 200, func(context.Context) (request, error) {
		return request{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": c.ID},
			Headers: bearer(e.admin), Body: `{"data":{"type":"customer","email":"` + e.email("email") + `"}}`}, nil
	}), nil
}

func deleteCustomer(_ context.Context, e *env) (*op, error) {
	return handlerOp(e, "DeleteCustomerFunction", handlers.DeleteCustomer, 204, func(ctx context.Context) (request, error) {
		c, err := e.customer(ctx, "delete")
		if err != nil {
			return request{}, err
		}
		return request{Route: "DELETE /v2/customers/{customerId}", Path: map[string]string{"customerId": c.ID},
			Headers: bearer(e.admin)}, nil
	}), nil
}

func listCustomers(offset int) func(context.Context, *env) (*op, error) {
	return func(_ context.Context, e *env) (*op, error) {
		q := ""
		if offset > 0 {
			q = fmt.Sprintf("page[offset]=%d", offset)
		}
		return handlerOp(e, "ListCustomersFunction", handlers.ListCustomers, 200, fixed(request{
			Route: "GET /v2/customers", Query: q, Headers: bearer(e.admin),
		})), nil
	}
}

// login logs a fixture customer in with the right or a wrong password. Before every call
// the window's counts for the email are cleared, and with counted one attempt is counted
// (without a password check), so that a success clears it afterwards.
func login(ok, counted bool) func(context.Context, *env) (*op, error) {
	return func(ctx context.Context, e *env) (*op, error) {
		c, err := e.customer(ctx, "login")
		if err != nil {
			return nil, err
		}
		return loginAs(e, c.Email, ok, counted), nil
	}
}

// loginUnknown fails to log in with an email nobody holds.
func loginUnknown(_ context.Context, e *env) (*op, error) {
	return loginAs(e, e.email("unknown"), false, false), nil
}

func loginAs(e *env, email string, ok, counted bool) *op {
	password, want := fixturePassword, 200
	if !ok {
		password, want = "wrong password", 401
	}
	o := handlerOp(e, "CreateCustomerTokenFunction", handlers.CreateCustomerToken, want, fixed(request{
		Route: "POST /v2/customers/tokens", Headers: bearer(e.implicit),
		Body: `{"data":{"type":"token","email":"` + email + `","password":"` + password +
			`","authentication_mechanism":"password"}}`,
	}))
	o.prepare = chain(func(ctx context.Context) error { return e.loginCounts(ctx, email, counted) }, o.prepare)
	return o
}

// addressBody is an address with addressValues.
func addressBody() string {
	data := map[string]string{"type": "address"}
	maps.Copy(data, addressValues)
	b, _ := json.Marshal(map[string]any{"data": data})
	return string(b)
}

func addressPath(customerID, addressID string) map[string]string {
	return map[string]string{"customerId": customerID, "addressId": addressID}
}

func createAddress(ctx context.Context, e *env) (*op, error) {
	c, err := e.customer(ctx, "address")
	if err != nil {
		return nil, err
	}
	return handlerOp(e, "CreateAddressFunction", handlers.CreateAddress, 201, fixed(request{
		Route: "POST /v2/customers/{customerId}/addresses", Path: map[string]string{"customerId": c.ID},
		Headers: bearer(e.admin), Body: addressBody(),
	})), nil
}

func getAddress(ctx context.Context, e *env) (*op, error) {
	c, aid, err := e.customerWithAddress(ctx)
	if err != nil {
		return nil, err
	}
	return handlerOp(e, "GetAddressFunction", handlers.GetAddress, 200, fixed(request{
		Route: "GET /v2/customers/{customerId}/addresses/{addressId}", Path: addressPath(c, aid), Headers: bearer(e.admin),
	})), nil
}

func updateAddress(ctx context.Context, e *env) (*op, error) {
	c, aid, err := e.customerWithAddress(ctx)
	if err != nil {
		return nil, err
	}
	return handlerOp(e, "UpdateAddressFunction", handlers.UpdateAddress, 200, fixed(request{
		Route: "PUT /v2/customers/{customerId}/addresses/{addressId}", Path: addressPath(c, aid),
		Headers: bearer(e.admin), Body: `{"data":{"type":"address","city":"Eagleton"}}`,
	})), nil
}

func deleteAddress(ctx context.Context, e *env) (*op, error) {
	c, err := e.customer(ctx, "address")
	if err != nil {
		return nil, err
	}
	return handlerOp(e, "DeleteAddressFunction", handlers.DeleteAddress, 204, func(ctx context.Context) (request, error) {
		aid, err := e.address(ctx, c.ID)
		return request{Route: "DELETE /v2/customers/{customerId}/addresses/{addressId}", Path: addressPath(c.ID, aid),
			Headers: bearer(e.admin)}, err
	}), nil
}

// listAddresses lists the address book's customer's addresses, a page of the default
// length (the settings' page_length, 25).
func listAddresses(offset int) func(context.Context, *env) (*op, error) {
	return func(_ context.Context, e *env) (*op, error) {
		q := ""
		if offset > 0 {
			q = fmt.Sprintf("page[offset]=%d", offset)
		}
		return handlerOp(e, "ListAddressesFunction", handlers.ListAddresses, 200, fixed(request{
			Route: "GET /v2/customers/{customerId}/addresses", Path: map[string]string{"customerId": e.book},
			Query: q, Headers: bearer(e.admin),
		})), nil
	}
}

func getSettings(_ context.Context, e *env) (*op, error) {
	return handlerOp(e, "GetSettingsFunction", handlers.GetSettings, 200, fixed(request{
		Route: "GET /v2/settings", Headers: bearer(e.admin),
	})), nil
}

func updateSettings(_ context.Context, e *env) (*op, error) {
	return handlerOp(e, "UpdateSettingsFunction", handlers.UpdateSettings, 200, fixed(request{
		Route: "PUT /v2/settings", Headers: bearer(e.admin),
		Body: fmt.Sprintf(`{"data":{"type":"settings","page_length":%d}}`, settingsPageLength),
	})), nil
}

// The cart cases work on carts of cartLines lines made through the store (untimed), each
// case on its own; every call gets the cart as the case found it (see each case).

func cartPath(cartID string, itemID ...string) map[string]string {
	p := map[string]string{"cartId": cartID}
	if len(itemID) > 0 {
		p["itemId"] = itemID[0]
	}
	return p
}

// cartOf fills a new cart with cartLines lines and returns its id and its lines' ids.
func cartOf(ctx context.Context, e *env) (string, []string, error) {
	cartID := e.cartID()
	lines, err := e.fillCart(ctx, cartID, cartLines)
	return cartID, lines, err
}

func getCart(ctx context.Context, e *env) (*op, error) {
	cartID, _, err := cartOf(ctx, e)
	if err != nil {
		return nil, err
	}
	return handlerOp(e, "GetCartFunction", handlers.GetCart, 200, fixed(request{
		Route: "GET /v2/carts/{cartId}", Path: cartPath(cartID), Headers: bearer(e.implicit),
	})), nil
}

// addToCart adds a custom item to a cart of cartLines lines; before every call the line the
// call before added is removed (untimed), so that every add finds the same cart.
func addToCart(ctx context.Context, e *env) (*op, error) {
	cartID, lines, err := cartOf(ctx, e)
	if err != nil {
		return nil, err
	}
	o := handlerOp(e, "AddCartItemFunction", handlers.AddCartItem, 201, fixed(request{
		Route: "POST /v2/carts/{cartId}/items", Path: cartPath(cartID), Headers: bearer(e.implicit),
		Body: `{"data":{"type":"custom_item","name":"Lagavulin 16","sku":"lagavulin-16","description":"a bottle",` +
			`"quantity":1,"price":{"amount":8999,"includes_tax":true}}}`,
	}))
	o.prepare = chain(func(ctx context.Context) error {
		c, err := e.fixtures.Cart(ctx, cartID)
		if err != nil {
			return err
		}
		for _, l := range c.Lines {
			if !slices.Contains(lines, l.ID) {
				if _, err := e.fixtures.RemoveLine(ctx, cartID, l.ID, time.Now()); err != nil {
					return err
				}
			}
		}
		return nil
	}, o.prepare)
	return o, nil
}

func updateCartItem(ctx context.Context, e *env) (*op, error) {
	cartID, lines, err := cartOf(ctx, e)
	if err != nil {
		return nil, err
	}
	return handlerOp(e, "UpdateCartItemFunction", handlers.UpdateCartItem, 200, fixed(request{
		Route: "PUT /v2/carts/{cartId}/items/{itemId}", Path: cartPath(cartID, lines[0]), Headers: bearer(e.implicit),
		Body: `{"data":{"type":"cart_item","id":"` + lines[0] + `","quantity":3}}`,
	})), nil
}

// removeCartItem removes a line added (untimed) before every call to a cart of cartLines
// lines.
func removeCartItem(ctx context.Context, e *env) (*op, error) {
	cartID, _, err := cartOf(ctx, e)
	if err != nil {
		return nil, err
	}
	return handlerOp(e, "DeleteCartItemFunction", handlers.DeleteCartItem, 200, func(ctx context.Context) (request, error) {
		added, err := e.fillCart(ctx, cartID, 1)
		if err != nil {
			return request{}, err
		}
		return request{Route: "DELETE /v2/carts/{cartId}/items/{itemId}", Path: cartPath(cartID, added[0]),
			Headers: bearer(e.implicit)}, nil
	}), nil
}

// emptyCart empties a cart filled (untimed) with cartLines lines before every call.
func emptyCart(_ context.Context, e *env) (*op, error) {
	cartID := e.cartID()
	return handlerOp(e, "EmptyCartFunction", handlers.EmptyCart, 204, func(ctx context.Context) (request, error) {
		_, err := e.fillCart(ctx, cartID, cartLines)
		return request{Route: "DELETE /v2/carts/{cartId}/items", Path: cartPath(cartID), Headers: bearer(e.implicit)}, err
	}), nil
}

// checkout checks out a fresh cart of cartLines lines (filled untimed before every call):
// registered, a customer of its own with its customer token (each call adds to its
// history), or as a guest.
func checkout(registered bool) func(context.Context, *env) (*op, error) {
	return func(ctx context.Context, e *env) (*op, error) {
		headers, customer := bearer(e.implicit), `{"name":"Guest Shopper","email":"`+e.email("guest")+`"}`
		if registered {
			c, err := e.customer(ctx, "checkout")
			if err != nil {
				return nil, err
			}
			if headers, err = e.asCustomer(ctx, c); err != nil {
				return nil, err
			}
			customer = `{"id":"` + c.ID + `"}`
		}
		return handlerOp(e, "CheckoutFunction", handlers.Checkout, 201, func(ctx context.Context) (request, error) {
			cartID, _, err := cartOf(ctx, e)
			return request{Route: "POST /v2/carts/{cartId}/checkout", Path: cartPath(cartID), Headers: headers,
				Body: `{"data":` + checkoutBody(customer) + `}`}, err
		}), nil
	}
}

// shopperHeaders are the headers of the orders cases: the shopper's own (a customer token)
// or a client_credentials token.
func shopperHeaders(e *env, customerToken bool) map[string]string {
	if customerToken {
		return e.asShopper
	}
	return bearer(e.admin)
}

// getOrder reads the shopper's newest order.
func getOrder(customerToken bool) func(context.Context, *env) (*op, error) {
	return func(_ context.Context, e *env) (*op, error) {
		return handlerOp(e, "GetOrderFunction", handlers.GetOrder, 200, fixed(request{
			Route: "GET /v2/orders/{orderId}", Path: map[string]string{"orderId": e.shopperOrders[len(e.shopperOrders)-1]},
			Headers: shopperHeaders(e, customerToken),
		})), nil
	}
}

func orderItems(_ context.Context, e *env) (*op, error) {
	return handlerOp(e, "GetOrderItemsFunction", handlers.GetOrderItems, 200, fixed(request{
		Route: "GET /v2/orders/{orderId}/items", Path: map[string]string{"orderId": e.shopperOrders[len(e.shopperOrders)-1]},
		Headers: e.asShopper,
	})), nil
}

// listOrders lists the first page (the default length, 25): the shopper's history with its
// customer token, every order with client_credentials, or the shopper's orders by
// filter=eq(customer_id,...) with client_credentials.
func listOrders(byCustomerID, customerToken bool) func(context.Context, *env) (*op, error) {
	return func(_ context.Context, e *env) (*op, error) {
		q := ""
		if byCustomerID {
			q = "filter=eq(customer_id," + e.shopper + ")"
		}
		return handlerOp(e, "ListOrdersFunction", handlers.ListOrders, 200, fixed(request{
			Route: "GET /v2/orders", Query: q, Headers: shopperHeaders(e, customerToken),
		})), nil
	}
}

func chain(fs ...func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		for _, f := range fs {
			if err := f(ctx); err != nil {
				return err
			}
		}
		return nil
	}
}
