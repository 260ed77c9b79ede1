package handlers

import (
	"fmt"
	"strings"
	"testing"
)

func TestAccessToken(t *testing.T) {
	h := newHarness(t)
	form := map[string]string{"content-type": "application/x-www-form-urlencoded"}
	cases := []struct {
		name    string
		body    string
		headers map[string]string
		status  int
	}{
		{"client credentials", "grant_type=client_credentials&client_id=test-client&client_secret=" + testClientSecret, form, 200},
		{"implicit", "grant_type=implicit&client_id=test-client", form, 200},
		{"form sent as JSON content type", "grant_type=implicit&client_id=test-client", map[string]string{"content-type": "application/json"}, 200},
		{"JSON object", `{"grant_type":"implicit","client_id":"test-client"}`, map[string]string{"content-type": "application/json"}, 200},
		{"missing grant", "client_id=test-client", form, 400},
		{"unknown grant", "grant_type=password&client_id=test-client", form, 400},
		{"missing client id", "grant_type=implicit", form, 400},
		{"unknown client id", "grant_type=implicit&client_id=other", form, 401},
		{"wrong secret", "grant_type=client_credentials&client_id=test-client&client_secret=nope", form, 401},
		{"missing secret", "grant_type=client_credentials&client_id=test-client", form, 401},
		{"repeated parameter", "grant_type=implicit&grant_type=client_credentials&client_id=test-client", form, 400},
		{"unsupported media type", "grant_type=implicit&client_id=test-client", map[string]string{"content-type": "text/plain"}, 415},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do(req{Route: "POST /oauth/access_token", Body: c.body, Headers: c.headers})
			expect(t, r, c.status)
			if c.status != 200 {
				errorsOf(t, r)
				return
			}
			for _, f := range []string{"access_token", "token_type", "expires_in", "expires", "identifier"} {
				if _, ok := r.JSON[f]; !ok {
					t.Errorf("missing %s in %s", f, r.Body)
				}
			}
			if r.JSON["token_type"] != "Bearer" || r.JSON["expires_in"] != float64(3600) {
				t.Errorf("unexpected token fields: %s", r.Body)
			}
			if _, wrapped := r.JSON["data"]; wrapped {
				t.Errorf("token response must not be wrapped in data")
			}
		})
	}
}

func TestCreateCustomer(t *testing.T) {
	h := newHarness(t)
	h.createCustomer("Taken", "taken@example.com")
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name    string
		headers map[string]string
		body    string
		status  int
		sources []string // expected error sources, in order
	}{
		{"sign-up with an implicit token", bearer(h.implicit), `{"data":{"type":"customer","name":"Ron","email":"ron@example.com","password":"` + testPassword + `"}}`, 201, nil},
		{"admin without password", bearer(h.admin), `{"data":{"type":"customer","name":"Leslie","email":"leslie@example.com"}}`, 201, nil},
		{"external_ref and echoed fields", bearer(h.admin), `{"data":{"type":"customer","name":"April","email":"april@example.com","external_ref":"crm-1","id":"x","meta":{},"authentication_mechanism":"oidc"}}`, 201, nil},
		{"72-byte password", bearer(h.admin), `{"data":{"type":"customer","name":"A","email":"p72@example.com","password":"` + long(72) + `"}}`, 201, nil},
		{"no token", nil, `{"data":{"type":"customer","name":"X","email":"x@example.com"}}`, 401, nil},
		{"forged token", bearer(h.admin + "x"), `{"data":{"type":"customer","name":"X","email":"x@example.com"}}`, 401, nil},
		{"missing name and email", bearer(h.admin), `{"data":{"type":"customer"}}`, 422, []string{"data.name", "data.email"}},
		{"missing type", bearer(h.admin), `{"data":{"name":"X","email":"x@example.com"}}`, 422, []string{"data.type"}},
		{"wrong type", bearer(h.admin), `{"data":{"type":"address","name":"X","email":"x@example.com"}}`, 422, []string{"data.type"}},
		{"invalid email", bearer(h.admin), `{"data":{"type":"customer","name":"X","email":"not-an-email"}}`, 422, []string{"data.email"}},
		{"short password", bearer(h.admin), `{"data":{"type":"customer","name":"X","email":"x@example.com","password":"1234567"}}`, 422, []string{"data.password"}},
		{"73-byte password", bearer(h.admin), `{"data":{"type":"customer","name":"X","email":"x@example.com","password":"` + long(73) + `"}}`, 422, []string{"data.password"}},
		{"password not a string", bearer(h.admin), `{"data":{"type":"customer","name":"X","email":"x@example.com","password":12345678}}`, 422, []string{"data.password"}},
		{"password flag sent back as read is ignored", bearer(h.admin), `{"data":{"type":"customer","name":"Echo","email":"echo@example.com","password":true}}`, 201, nil},
		{"long name", bearer(h.admin), `{"data":{"type":"customer","name":"` + long(256) + `","email":"x@example.com"}}`, 422, []string{"data.name"}},
		{"control character in name", bearer(h.admin), `{"data":{"type":"customer","name":"a\nb","email":"x@example.com"}}`, 422, []string{"data.name"}},
		{"long external_ref", bearer(h.admin), `{"data":{"type":"customer","name":"X","email":"x@example.com","external_ref":"` + long(2049) + `"}}`, 422, []string{"data.external_ref"}},
		{"unknown attribute", bearer(h.admin), `{"data":{"type":"customer","name":"X","email":"x@example.com","password_hash":"$2a$"}}`, 422, []string{"data.password_hash"}},
		{"taken email in another case", bearer(h.admin), `{"data":{"type":"customer","name":"X","email":" TAKEN@Example.com "}}`, 409, nil},
		{"malformed JSON", bearer(h.admin), `{"data":`, 400, nil},
		{"trailing data", bearer(h.admin), `{"data":{"type":"customer","name":"X","email":"x@example.com"}} {}`, 400, nil},
		{"duplicate key", bearer(h.admin), `{"data":{"type":"customer","name":"X","email":"a@example.com","email":"b@example.com"}}`, 400, nil},
		{"case-variant key", bearer(h.admin), `{"data":{"type":"customer","name":"X","email":"a@example.com","Email":"b@example.com"}}`, 400, nil},
		{"data not an object", bearer(h.admin), `{"data":[]}`, 400, nil},
		{"text content type", map[string]string{"Authorization": "Bearer " + h.admin, "content-type": "text/plain"}, `{"data":{"type":"customer","name":"X","email":"x@example.com"}}`, 415, nil},
		{"no content type", map[string]string{"Authorization": "Bearer " + h.admin, "content-type": ""}, `{"data":{"type":"customer","name":"X","email":"x@example.com"}}`, 415, nil},
		{"body over 1 MiB", bearer(h.admin), `{"data":{"type":"customer","name":"X","email":"x@example.com","external_ref":"` + long(1<<20) + `"}}`, 413, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do(req{Route: "POST /v2/customers", Headers: c.headers, Body: c.body})
			expect(t, r, c.status)
			if c.status != 201 {
				errs := errorsOf(t, r)
				if c.sources != nil {
					if len(errs) != len(c.sources) {
						t.Fatalf("got %d errors, want %d: %s", len(errs), len(c.sources), r.Body)
					}
					for i, s := range c.sources {
						if errs[i]["source"] != s || errs[i]["title"] != "Failed Validation" {
							t.Errorf("error %d: %v, want source %s", i, errs[i], s)
						}
					}
				}
				return
			}
			d := data(r)
			if d["type"] != "customer" || d["authentication_mechanism"] != "password" {
				t.Errorf("unexpected customer: %s", r.Body)
			}
			if _, ok := d["password"].(bool); !ok {
				t.Errorf("password must be a boolean: %s", r.Body)
			}
			if strings.Contains(r.Body, "$2a$") || strings.Contains(r.Body, testPassword) {
				t.Errorf("response leaks the password or its hash: %s", r.Body)
			}
			if d["id"] == "x" {
				t.Errorf("a client-sent id was stored")
			}
		})
	}
	// Nothing that was refused was stored: the count is the successful creates plus Taken.
	r := h.do(req{Route: "GET /v2/customers", Headers: bearer(h.admin)})
	expect(t, r, 200)
	if got := r.JSON["meta"].(map[string]any)["results"].(map[string]any)["total"]; got != float64(6) {
		t.Errorf("total %v, want 6", got)
	}
}

func TestCustomerLifecycle(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron Swanson", "Ron@Example.com")
	leslie := h.createCustomer("Leslie Knope", "leslie@example.com")
	ronTok := h.customerToken("ron@example.com") // emails match case-insensitively
	get := func(id string, headers map[string]string) response {
		return h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": id}, Headers: headers})
	}
	put := func(id string, headers map[string]string, body string) response {
		return h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": id}, Headers: headers, Body: body})
	}
	del := func(id string, headers map[string]string) response {
		return h.do(req{Route: "DELETE /v2/customers/{customerId}", Path: map[string]string{"customerId": id}, Headers: headers})
	}

	t.Run("get", func(t *testing.T) {
		r := get(ron, bearer(h.admin))
		expect(t, r, 200)
		if d := data(r); d["email"] != "Ron@Example.com" || d["password"] != true || d["external_ref"] != nil {
			t.Errorf("unexpected customer %s", r.Body)
		}
		expect(t, get(ron, withCustomer(h.implicit, ronTok)), 200)
	})
	t.Run("partial update keeps the other fields", func(t *testing.T) {
		r := put(ron, withCustomer(h.implicit, ronTok), `{"data":{"type":"customer","external_ref":"crm-7"}}`)
		expect(t, r, 200)
		d := data(r)
		if d["name"] != "Ron Swanson" || d["external_ref"] != "crm-7" || d["email"] != "Ron@Example.com" {
			t.Errorf("unexpected customer %s", r.Body)
		}
		r = put(ron, bearer(h.admin), `{"data":{"type":"customer","external_ref":null,"name":"Ron"}}`)
		expect(t, r, 200)
		if d := data(r); d["external_ref"] != nil || d["name"] != "Ron" {
			t.Errorf("unexpected customer %s", r.Body)
		}
	})
	t.Run("email change to a taken email changes nothing", func(t *testing.T) {
		r := put(ron, bearer(h.admin), `{"data":{"type":"customer","email":"LESLIE@example.com","name":"Changed"}}`)
		expect(t, r, 409)
		if d := data(get(ron, bearer(h.admin))); d["name"] != "Ron" || d["email"] != "Ron@Example.com" {
			t.Errorf("a refused update changed the customer: %v", d)
		}
	})
	t.Run("email change frees the old email", func(t *testing.T) {
		expect(t, put(ron, withCustomer(h.implicit, ronTok), `{"data":{"type":"customer","email":"ron.s@example.com"}}`), 200)
		expect(t, h.login("ron.s@example.com", testPassword), 200)
		expect(t, h.login("ron@example.com", testPassword), 401)
		other := h.createCustomer("Other Ron", "ron@example.com")
		if other == ron {
			t.Fatal("same id")
		}
		// Changing only the letter case keeps the claim.
		expect(t, put(ron, bearer(h.admin), `{"data":{"type":"customer","email":"RON.S@example.com"}}`), 200)
	})
	t.Run("id in the body must match the path", func(t *testing.T) {
		expect(t, put(ron, bearer(h.admin), `{"data":{"type":"customer","id":"`+leslie+`","name":"X"}}`), 422)
		expect(t, put(ron, bearer(h.admin), `{"data":{"type":"customer","id":"`+ron+`","name":"Ron"}}`), 200)
	})
	t.Run("a password change kills older tokens", func(t *testing.T) {
		old := h.customerToken("ron.s@example.com")
		expect(t, put(ron, withCustomer(h.implicit, old), `{"data":{"type":"customer","password":"a brand new password"}}`), 200)
		expect(t, get(ron, withCustomer(h.implicit, old)), 403)
		expect(t, put(ron, withCustomer(h.implicit, old), `{"data":{"type":"customer","name":"X"}}`), 403)
		expect(t, h.login("ron.s@example.com", testPassword), 401)
		r := h.login("ron.s@example.com", "a brand new password")
		expect(t, r, 200)
		ronTok = data(r)["token"].(string)
		expect(t, get(ron, withCustomer(h.implicit, ronTok)), 200)
	})
	t.Run("a first password can be added", func(t *testing.T) {
		r := h.do(req{Route: "POST /v2/customers", Headers: bearer(h.admin), Body: `{"data":{"type":"customer","name":"Ann","email":"ann@example.com"}}`})
		expect(t, r, 201)
		ann := data(r)["id"].(string)
		expect(t, h.login("ann@example.com", testPassword), 401)
		r = put(ann, bearer(h.admin), `{"data":{"type":"customer","password":"`+testPassword+`"}}`)
		expect(t, r, 200)
		if data(r)["password"] != true {
			t.Errorf("password flag not set: %s", r.Body)
		}
		expect(t, h.login("ann@example.com", testPassword), 200)
	})
	t.Run("delete", func(t *testing.T) {
		expect(t, del(ron, withCustomer(h.implicit, ronTok)), 204)
		expect(t, get(ron, bearer(h.admin)), 404)
		expect(t, put(ron, bearer(h.admin), `{"data":{"type":"customer","name":"Ghost"}}`), 404)
		expect(t, del(ron, bearer(h.admin)), 404)
		expect(t, get(ron, withCustomer(h.implicit, ronTok)), 403) // its tokens are dead
		expect(t, h.login("ron.s@example.com", "a brand new password"), 401)
		h.createCustomer("New Ron", "RON.S@example.com") // the email is free again
	})
}

func TestAccessRules(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	leslie := h.createCustomer("Leslie", "leslie@example.com")
	ronTok := h.customerToken("ron@example.com")
	missing := "00000000-0000-4000-8000-000000000000"
	cases := []struct {
		name    string
		id      string
		headers map[string]string
		status  int
	}{
		{"admin", leslie, bearer(h.admin), 200},
		{"admin, unknown id", missing, bearer(h.admin), 404},
		{"admin, id that is not a uuid", "not-a-uuid", bearer(h.admin), 404},
		{"implicit alone", ron, bearer(h.implicit), 403},
		{"own token", ron, withCustomer(h.implicit, ronTok), 200},
		{"own token on another customer", leslie, withCustomer(h.implicit, ronTok), 403},
		{"own token on an unknown id", missing, withCustomer(h.implicit, ronTok), 403},
		{"own token on a bad id", "not-a-uuid", withCustomer(h.implicit, ronTok), 403},
		{"no token", ron, nil, 401},
		{"lower-case bearer", ron, map[string]string{"Authorization": "bearer " + h.admin}, 200},
		{"basic auth", ron, map[string]string{"Authorization": "Basic " + h.admin}, 401},
		{"customer token as bearer", ron, bearer(ronTok), 401},
		{"access token as customer token", ron, withCustomer(h.implicit, h.implicit), 403},
		{"two customer tokens", ron, withCustomer(h.implicit, ronTok+","+ronTok), 403},
		{"malformed customer token", ron, withCustomer(h.implicit, "abc.def.ghi"), 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, route := range []string{"GET /v2/customers/{customerId}", "PUT /v2/customers/{customerId}"} {
				body := ""
				if strings.HasPrefix(route, "PUT") {
					body = `{"data":{"type":"customer","external_ref":"probe"}}`
				}
				r := h.do(req{Route: route, Path: map[string]string{"customerId": c.id}, Headers: c.headers, Body: body})
				expect(t, r, c.status)
				if c.status >= 400 && strings.Contains(r.Body, "leslie@example.com") {
					t.Errorf("refused response carries another customer's data: %s", r.Body)
				}
			}
		})
	}
	t.Run("a customer token scopes a client_credentials token to that customer", func(t *testing.T) {
		scoped := withCustomer(h.admin, ronTok)
		expect(t, h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": ron}, Headers: scoped}), 200)
		expect(t, h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": leslie}, Headers: scoped}), 403)
		expect(t, h.do(req{Route: "GET /v2/customers", Headers: scoped}), 403)
	})
	t.Run("list is for client_credentials only", func(t *testing.T) {
		expect(t, h.do(req{Route: "GET /v2/customers", Headers: bearer(h.implicit)}), 403)
		expect(t, h.do(req{Route: "GET /v2/customers", Headers: withCustomer(h.implicit, ronTok)}), 403)
		expect(t, h.do(req{Route: "GET /v2/customers", Headers: nil}), 401)
	})
	t.Run("delete of another customer", func(t *testing.T) {
		r := h.do(req{Route: "DELETE /v2/customers/{customerId}", Path: map[string]string{"customerId": leslie}, Headers: withCustomer(h.implicit, ronTok)})
		expect(t, r, 403)
		expect(t, h.do(req{Route: "DELETE /v2/customers/{customerId}", Path: map[string]string{"customerId": leslie}, Headers: bearer(h.implicit)}), 403)
		expect(t, h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": leslie}, Headers: bearer(h.admin)}), 200)
	})
}

func TestListCustomers(t *testing.T) {
	h := newHarness(t)
	var ids []string
	for i := 0; i < 7; i++ {
		ids = append(ids, h.createCustomer(fmt.Sprintf("Customer %d", 7-i), fmt.Sprintf("c%d@example.com", i)))
	}
	list := func(query string) response {
		return h.do(req{Route: "GET /v2/customers", Query: query, Headers: bearer(h.admin)})
	}
	idsOf := func(r response) []string {
		var out []string
		for _, c := range r.JSON["data"].([]any) {
			out = append(out, c.(map[string]any)["id"].(string))
		}
		return out
	}
	t.Run("default: newest first, page of 25", func(t *testing.T) {
		r := list("")
		expect(t, r, 200)
		got := idsOf(r)
		if len(got) != 7 || got[0] != ids[6] || got[6] != ids[0] {
			t.Errorf("order %v", got)
		}
		meta := r.JSON["meta"].(map[string]any)
		page := meta["page"].(map[string]any)
		if page["limit"] != float64(25) || page["current"] != float64(1) || page["total"] != float64(1) {
			t.Errorf("meta %v", meta)
		}
	})
	t.Run("pages and links", func(t *testing.T) {
		r := list("page[limit]=3&page[offset]=3&sort=created_at")
		expect(t, r, 200)
		if got := idsOf(r); len(got) != 3 || got[0] != ids[3] || got[2] != ids[5] {
			t.Errorf("page %v", got)
		}
		links := r.JSON["links"].(map[string]any)
		want := map[string]any{
			"current": "https://api.example.test/v2/customers?page[limit]=3&page[offset]=3&sort=created_at",
			"first":   "https://api.example.test/v2/customers?page[limit]=3&page[offset]=0&sort=created_at",
			"last":    "https://api.example.test/v2/customers?page[limit]=3&page[offset]=6&sort=created_at",
			// next also carries a continuation (checked in TestCursor)
			"prev": "https://api.example.test/v2/customers?page[limit]=3&page[offset]=0&sort=created_at",
		}
		for k, v := range want {
			if links[k] != v {
				t.Errorf("links.%s = %v, want %v", k, links[k], v)
			}
		}
		if next, _ := links["next"].(string); !strings.HasPrefix(next, "https://api.example.test/v2/customers?page[limit]=3&page[offset]=6&page[cursor]=") ||
			!strings.HasSuffix(next, "&sort=created_at") {
			t.Errorf("links.next = %v", links["next"])
		}
		page := r.JSON["meta"].(map[string]any)["page"].(map[string]any)
		if page["current"] != float64(2) || page["total"] != float64(3) {
			t.Errorf("page %v", page)
		}
	})
	t.Run("sorts", func(t *testing.T) {
		r := list("sort=name")
		if got := idsOf(r); got[0] != ids[6] { // "Customer 1"
			t.Errorf("sort=name %v", got)
		}
		r = list("sort=-email")
		if got := idsOf(r); got[0] != ids[6] { // c6@
			t.Errorf("sort=-email %v", got)
		}
		for _, s := range []string{"id", "-id", "updated_at", "-updated_at", "-created_at"} {
			expect(t, list("sort="+s), 200)
		}
	})
	t.Run("limit 0 returns only meta", func(t *testing.T) {
		r := list("page[limit]=0")
		expect(t, r, 200)
		if len(r.JSON["data"].([]any)) != 0 || r.JSON["meta"].(map[string]any)["results"].(map[string]any)["total"] != float64(7) {
			t.Errorf("%s", r.Body)
		}
	})
	t.Run("offset past the end", func(t *testing.T) {
		r := list("page[offset]=100")
		expect(t, r, 200)
		if len(r.JSON["data"].([]any)) != 0 {
			t.Errorf("%s", r.Body)
		}
	})
	for _, q := range []string{"page[limit]=abc", "page[limit]=-1", "page[limit]=101", "page[offset]=10001",
		"page[offset]=1.5", "sort=password", "sort=", "filter=ne(email,x)", "filter=eq(password,x)", "page[limit]=1&page[limit]=2",
		"page[cursor]=garbage"} {
		t.Run("bad query "+q, func(t *testing.T) {
			r := list(q)
			expect(t, r, 400)
			errorsOf(t, r)
		})
	}
	t.Run("unknown parameters are ignored", func(t *testing.T) {
		expect(t, list("include=addresses&page[total_method]=exact"), 200)
	})
	t.Run("deleted customers leave the list and the total", func(t *testing.T) {
		expect(t, h.do(req{Route: "DELETE /v2/customers/{customerId}", Path: map[string]string{"customerId": ids[0]}, Headers: bearer(h.admin)}), 204)
		r := list("")
		if got := idsOf(r); len(got) != 6 || r.JSON["meta"].(map[string]any)["results"].(map[string]any)["total"] != float64(6) {
			t.Errorf("%s", r.Body)
		}
	})
}

func TestEmptyList(t *testing.T) {
	h := newHarness(t)
	r := h.do(req{Route: "GET /v2/customers", Headers: bearer(h.admin)})
	expect(t, r, 200)
	if r.Body != `{"data":[],"links":{"current":"https://api.example.test/v2/customers?page[limit]=25&page[offset]=0","first":"https://api.example.test/v2/customers?page[limit]=25&page[offset]=0","last":null,"next":null,"prev":null},"meta":{"page":{"limit":25,"offset":0,"current":1,"total":0},"results":{"total":0}}}` {
		t.Errorf("empty list: %s", r.Body)
	}
}
