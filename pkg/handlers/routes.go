package handlers

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/problem"
)

// Routes maps the route keys of template.yaml to the endpoints serving them, as the
// template maps them to functions; the $default route (NotFound) is not among them. A test
// holds the keys equal to the template's routes.
var Routes = map[string]app.Endpoint{
	"POST /oauth/access_token":          AccessToken,
	"POST /v2/customers":                CreateCustomer,
	"GET /v2/customers":                 ListCustomers,
	"GET /v2/customers/{customerId}":    GetCustomer,
	"PUT /v2/customers/{customerId}":    UpdateCustomer,
	"DELETE /v2/customers/{customerId}": DeleteCustomer,
	"POST /v2/customers/tokens":         CreateCustomerToken,

	"GET /v2/customers/{customerId}/addresses":                ListAddresses,
	"POST /v2/customers/{customerId}/addresses":               CreateAddress,
	"GET /v2/customers/{customerId}/addresses/{addressId}":    GetAddress,
	"PUT /v2/customers/{customerId}/addresses/{addressId}":    UpdateAddress,
	"DELETE /v2/customers/{customerId}/addresses/{addressId}": DeleteAddress,

	"GET /v2/carts/{cartId}":                   GetCart,
	"GET /v2/carts/{cartId}/items":             ListCartItems,
	"POST /v2/carts/{cartId}/items":            AddCartItem,
	"DELETE /v2/carts/{cartId}/items":          EmptyCart,
	"PUT /v2/carts/{cartId}/items/{itemId}":    UpdateCartItem,
	"DELETE /v2/carts/{cartId}/items/{itemId}": DeleteCartItem,

	"GET /v2/settings": GetSettings,
	"PUT /v2/settings": UpdateSettings,

	"POST /v2/carts/{cartId}/checkout": Checkout,
	"GET /v2/orders":                   ListOrders,
	"GET /v2/orders/{orderId}":         GetOrder,
	"PUT /v2/orders/{orderId}":         UpdateOrder,
	"GET /v2/orders/{orderId}/items":   GetOrderItems,

	"POST /v2/flows":                CreateFlow,
	"GET /v2/flows":                 ListFlows,
	"GET /v2/flows/{flowId}":        GetFlow,
	"PUT /v2/flows/{flowId}":        UpdateFlow,
	"DELETE /v2/flows/{flowId}":     DeleteFlow,
	"GET /v2/flows/{flowId}/fields": ListFlowFields,
	"POST /v2/fields":               CreateField,
	"GET /v2/fields":                ListFields,
	"GET /v2/fields/{fieldId}":      GetField,
	"PUT /v2/fields/{fieldId}":      UpdateField,
	"DELETE /v2/fields/{fieldId}":   DeleteField,

	"GET /v2/settings/customer-authentication":                                                          GetAuthenticationSettings,
	"GET /v2/authentication-realms":                                                                     ListRealms,
	"GET /v2/authentication-realms/{realmId}":                                                           GetRealm,
	"PUT /v2/authentication-realms/{realmId}":                                                           UpdateRealm,
	"GET /v2/authentication-realms/{realmId}/oidc-profiles":                                             ListOIDCProfiles,
	"POST /v2/authentication-realms/{realmId}/oidc-profiles":                                            CreateOIDCProfile,
	"GET /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}":                                 GetOIDCProfile,
	"PUT /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}":                                 UpdateOIDCProfile,
	"DELETE /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}":                              DeleteOIDCProfile,
	"GET /oidc-idp/login/stores/{storeId}/authentication-realms/{realmId}":                              OIDCLogin,
	"GET /oidc-idp/callback/stores/{storeId}/authentication-realms/{realmId}/oidc-profiles/{profileId}": OIDCCallback,
	"GET /oidc-idp/stores/{storeId}/authentication-realms/{realmId}/.well-known/openid-configuration":   OIDCDiscovery,

	"GET /console/{proxy+}": Console,

	"GET /.well-known/jwks.json": JWKS,
}

// maxEcho bounds the request text (path, method) an error detail quotes, in bytes.
const maxEcho = 100

// NotFound serves the $default route: every request that no route of Routes takes, as API
// Gateway routes by method and path. A path that some route has answers 405 with an Allow
// header listing that path's methods; any other path answers 404. Both come before and
// without authentication, as API Gateway's own answer would: they depend only on the
// route table, which is public, never on who asks or what exists, and they touch no data.
func NotFound(*app.Deps) api.HandlerFunc {
	paths := routePaths(Routes)
	return func(ctx context.Context, r *api.Request) (api.Response, error) {
		if r.Method == http.MethodGet && (r.Path == "/console" || r.Path == "/console/") {
			return api.Redirect(consoleHome)
		}
		if allow := paths.allowed(r.Path); len(allow) > 0 {
			return api.Response{}, &problem.Error{Kind: problem.MethodNotAllowed, Title: "Method Not Allowed",
				Detail: fmt.Sprintf("%s is not allowed on this path; it takes %s", clip(r.Method, maxEcho), strings.Join(allow, ", ")),
				Allow:  allow}
		}
		if isFlowEntries(r.Path) {
			return api.Response{}, problem.New(problem.NotFound, "Not Found", "flow entries are not supported here: "+
				"the fields of the customers, addresses and orders flows are read and written on those objects, as top-level keys")
		}
		return api.Response{}, problem.New(problem.NotFound, "Not Found", "there is no endpoint at "+clip(r.Path, maxEcho))
	}
}

// isFlowEntries reports a path under /v2/flows/{flow}/entries (the SDK's Flows.GetEntry
// and friends), which this service does not have.
func isFlowEntries(path string) bool {
	rest, ok := strings.CutPrefix(path, "/v2/flows/")
	if !ok {
		return false
	}
	_, after, ok := strings.Cut(rest, "/")
	return ok && (after == "entries" || strings.HasPrefix(after, "entries/"))
}

// pathMethods is a path pattern of the routes ("/v2/customers/{customerId}", split on
// "/") and the methods it has.
type pathMethods struct {
	segments []string
	methods  []string
}

type pathTable []pathMethods

func routePaths(routes map[string]app.Endpoint) pathTable {
	byPath := map[string][]string{}
	for key := range routes {
		method, path, _ := strings.Cut(key, " ")
		byPath[path] = append(byPath[path], method)
	}
	var t pathTable
	for path, methods := range byPath {
		t = append(t, pathMethods{strings.Split(strings.TrimPrefix(path, "/"), "/"), methods})
	}
	return t
}

// allowed returns the methods of every route whose pattern matches path, sorted.
func (t pathTable) allowed(path string) []string {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var allow []string
	for _, p := range t {
		if matchPath(p.segments, parts) {
			allow = append(allow, p.methods...)
		}
	}
	slices.Sort(allow)
	return slices.Compact(allow)
}

// matchPath reports whether a path split on "/" fits a pattern: a literal segment matches
// itself, {name} any non-empty segment, a last {name+} one or more segments.
func matchPath(pattern, parts []string) bool {
	for i, seg := range pattern {
		variable := strings.HasPrefix(seg, "{")
		switch {
		case variable && strings.HasSuffix(seg, "+}"):
			return i < len(parts) && strings.Join(parts[i:], "") != ""
		case i >= len(parts), variable && parts[i] == "", !variable && parts[i] != seg:
			return false
		}
	}
	return len(parts) == len(pattern)
}

// clip returns s as valid UTF-8 of at most n bytes, cut on a character boundary; "…"
// marks a cut.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
