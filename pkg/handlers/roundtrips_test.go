package handlers

import (
	"testing"

	"github.com/acme/customers/pkg/testenv"
)

// allowedActions is what template.yaml's policies allow the function serving route.
func allowedActions(t *testing.T, route string) map[string]bool {
	t.Helper()
	for _, fn := range testenv.Template(t).Functions {
		if fn.RouteKey == route {
			allowed := map[string]bool{}
			for _, a := range fn.Allowed {
				allowed[a] = true
			}
			return allowed
		}
	}
	t.Fatalf("no function serves %s", route)
	return nil
}

// TestRoundTrips holds each request to the DynamoDB calls its design allows (the README's
// per-endpoint table quotes these figures), and checks that its function's IAM policy in
// template.yaml allows each of them (least privilege that still works).
func TestRoundTrips(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	h.createCustomer("Leslie", "leslie@example.com")
	id := map[string]string{"customerId": ron}
	cases := []struct {
		name   string
		req    req
		want   map[string]int
		status int // when not 2xx
	}{
		{"access token", req{Route: "POST /oauth/access_token", Body: "grant_type=implicit&client_id=" + testClientID,
			Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"}}, map[string]int{}, 0},
		{"create", req{Route: "POST /v2/customers", Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","name":"Ann","email":"ann@example.com","password":"` + testPassword + `"}}`},
			map[string]int{"TransactWriteItems": 1}, 0},
		{"get", req{Route: "GET /v2/customers/{customerId}", Path: id, Headers: bearer(h.admin)}, map[string]int{"GetItem": 1}, 0},
		{"update", req{Route: "PUT /v2/customers/{customerId}", Path: id, Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","name":"Ronald","password":"another password"}}`}, map[string]int{"UpdateItem": 1}, 0},
		{"update email", req{Route: "PUT /v2/customers/{customerId}", Path: id, Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","email":"ronald@example.com"}}`}, map[string]int{"GetItem": 1, "TransactWriteItems": 1}, 0},
		{"list", req{Route: "GET /v2/customers", Headers: bearer(h.admin)}, map[string]int{"Query": 1, "BatchGetItem": 1}, 0},
		{"list at an offset", req{Route: "GET /v2/customers", Query: "page[offset]=1", Headers: bearer(h.admin)},
			map[string]int{"Query": 2, "BatchGetItem": 1}, 0},
		{"log-in", req{Route: "POST /v2/customers/tokens", Headers: bearer(h.implicit),
			Body: `{"data":{"type":"token","email":"ann@example.com","password":"` + testPassword + `"}}`},
			map[string]int{"BatchGetItem": 1, "GetItem": 1}, 0},
		{"failed log-in", req{Route: "POST /v2/customers/tokens", Headers: bearer(h.implicit),
			Body: `{"data":{"type":"token","email":"ann@example.com","password":"wrong password"}}`},
			map[string]int{"BatchGetItem": 1, "GetItem": 1, "UpdateItem": 1, "PutItem": 1}, 401},
		{"failed log-in, unknown email", req{Route: "POST /v2/customers/tokens", Headers: bearer(h.implicit),
			Body: `{"data":{"type":"token","email":"nobody@example.com","password":"wrong password"}}`},
			map[string]int{"BatchGetItem": 1, "GetItem": 1, "UpdateItem": 1, "PutItem": 1}, 401},
		{"log-in after failures", req{Route: "POST /v2/customers/tokens", Headers: bearer(h.implicit),
			Body: `{"data":{"type":"token","email":"ann@example.com","password":"` + testPassword + `"}}`},
			map[string]int{"BatchGetItem": 1, "GetItem": 1, "DeleteItem": 1}, 0},
		{"delete", req{Route: "DELETE /v2/customers/{customerId}", Path: id, Headers: bearer(h.admin)},
			map[string]int{"GetItem": 1, "TransactWriteItems": 1}, 0},
	}
	used := map[string]map[string]bool{} // route → IAM actions its requests needed
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.db.Calls().Reset()
			r := h.do(c.req)
			if (c.status == 0 && r.Status >= 300) || (c.status != 0 && r.Status != c.status) {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			got := h.db.Calls().ByOp()
			allowed := allowedActions(t, c.req.Route)
			if used[c.req.Route] == nil {
				used[c.req.Route] = map[string]bool{}
			}
			for action := range h.db.Calls().Actions() {
				used[c.req.Route][action] = true
				if !allowed[action] {
					t.Errorf("%s needs %s, which template.yaml does not allow its function", c.req.Route, action)
				}
			}
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
	// Least privilege: nothing allowed that no request needs.
	for _, fn := range testenv.Template(t).Functions {
		for _, a := range fn.Allowed {
			if !used[fn.RouteKey][a] {
				t.Errorf("%s is allowed %s, which none of its requests needs", fn.LogicalID, a)
			}
		}
	}
}
