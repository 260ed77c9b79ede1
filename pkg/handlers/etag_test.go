package handlers

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
	"testing"

	"github.com/acme/customers/pkg/testenv"
)

// ETags and If-Match (package etag): every single resource's GET and write answers carry
// "<id>:<version>"; a PUT or DELETE with If-Match lands only at a version it names (412 with
// the current tag otherwise, nothing changed), as part of the write's own condition; and a
// conditional write whose answer was lost, sent again by the SDK, recognises its own change.

// etagResource is one kind of single resource, made fresh by make.
type etagResource struct {
	name     string
	get, put string // routes
	del      string // "" when it cannot be deleted
	make     func(h *harness) (id string, path map[string]string)
	// body is a PUT body that changes the resource (n differs from call to call).
	body func(n int) string
}

var etagWrites int // makes every PUT body a change

func etagResources(t *testing.T) []etagResource {
	customer := func(h *harness) (string, map[string]string) {
		etagWrites++
		id := h.createCustomer("Etag", fmt.Sprintf("etag-%d@example.com", etagWrites))
		return id, map[string]string{"customerId": id}
	}
	return []etagResource{
		{name: "customer", get: "GET /v2/customers/{customerId}", put: "PUT /v2/customers/{customerId}",
			del: "DELETE /v2/customers/{customerId}", make: customer,
			body: func(n int) string { return fmt.Sprintf(`{"data":{"type":"customer","name":"Name %d"}}`, n) }},
		{name: "address", get: addrRoute("GET", true), put: addrRoute("PUT", true), del: addrRoute("DELETE", true),
			make: func(h *harness) (string, map[string]string) {
				c, _ := customer(h)
				a := h.createAddress(c)
				return a, map[string]string{"customerId": c, "addressId": a}
			},
			body: func(n int) string { return fmt.Sprintf(`{"data":{"type":"address","city":"Pawnee %d"}}`, n) }},
		{name: "order", get: "GET /v2/orders/{orderId}", put: "PUT /v2/orders/{orderId}",
			make: func(h *harness) (string, map[string]string) {
				etagWrites++
				cart := fmt.Sprintf("etag-cart-%d", etagWrites)
				h.put(cart, "Bacon", 1, 250)
				r := h.checkout(cart, bearer(h.admin), checkoutBody(`{"email":"guest@example.com","name":"Guest"}`))
				expect(h.t, r, 201)
				id := data(r)["id"].(string)
				return id, map[string]string{"orderId": id}
			},
			body: func(n int) string { return fmt.Sprintf(`{"data":{"type":"order","external_ref":"ref-%d"}}`, n) }},
		{name: "flow", get: "GET /v2/flows/{flowId}", put: "PUT /v2/flows/{flowId}", del: "DELETE /v2/flows/{flowId}",
			make: func(h *harness) (string, map[string]string) {
				etagWrites++
				id := h.createFlow(fmt.Sprintf("etag-flow-%d", etagWrites))
				return id, map[string]string{"flowId": id}
			},
			body: func(n int) string { return fmt.Sprintf(`{"data":{"type":"flow","description":"take %d"}}`, n) }},
		{name: "field", get: "GET /v2/fields/{fieldId}", put: "PUT /v2/fields/{fieldId}", del: "DELETE /v2/fields/{fieldId}",
			make: func(h *harness) (string, map[string]string) {
				etagWrites++
				flow := h.createFlow(fmt.Sprintf("etag-fields-%d", etagWrites))
				id := h.createField(flow, "tier", `"string"`)
				return id, map[string]string{"fieldId": id}
			},
			body: func(n int) string { return fmt.Sprintf(`{"data":{"type":"field","description":"take %d"}}`, n) }},
		{name: "settings", get: "GET /v2/settings", put: "PUT /v2/settings",
			make: func(h *harness) (string, map[string]string) { return "settings", nil },
			body: func(n int) string { return fmt.Sprintf(`{"data":{"type":"settings","page_length":%d}}`, 1+n%100) }},
		{name: "realm", get: "GET /v2/authentication-realms/{realmId}", put: "PUT /v2/authentication-realms/{realmId}",
			make: func(h *harness) (string, map[string]string) {
				_, realm := h.realm()
				return realm, map[string]string{"realmId": realm}
			},
			body: func(n int) string {
				return fmt.Sprintf(`{"data":{"type":"authentication-realm","name":"Realm %d"}}`, n)
			}},
		{name: "oidc profile", get: "GET /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}",
			put: "PUT /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}",
			del: "DELETE /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}",
			make: func(h *harness) (string, map[string]string) {
				_, realm := h.realm()
				path := map[string]string{"realmId": realm}
				r := h.do(req{Route: "POST /v2/authentication-realms/{realmId}/oidc-profiles", Path: path, Headers: bearer(h.admin),
					Body: `{"data":{"type":"oidc-profile","name":"IdP","discovery_url":"` + testenv.Provider(t).DiscoveryURL() +
						`","client_id":"c","client_secret":"s"}}`})
				expect(h.t, r, 201)
				id := data(r)["id"].(string)
				return id, map[string]string{"realmId": realm, "profileId": id}
			},
			body: func(n int) string { return fmt.Sprintf(`{"data":{"type":"oidc-profile","name":"IdP %d"}}`, n) }},
	}
}

// tagFor is the ETag of id at version.
func tagFor(id string, version int) string { return `"` + id + ":" + strconv.Itoa(version) + `"` }

// versionIn reads the version out of an ETag of id.
func versionIn(t *testing.T, id, tag string) int {
	t.Helper()
	v, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(tag, `"`+id+":"), `"`))
	if err != nil || tagFor(id, v) != tag {
		t.Fatalf("ETag %q is not %q:<version>", tag, id)
	}
	return v
}

func ifMatch(value string) map[string]string { return map[string]string{"If-Match": value} }

// as is admin's headers with extra ones.
func (h *harness) as(extra map[string]string) map[string]string {
	out := bearer(h.admin)
	maps.Copy(out, extra)
	return out
}

// expect412 checks a precondition failure: the contract's error, and the current tag.
func expect412(t *testing.T, r response, current string) {
	t.Helper()
	expect(t, r, 412)
	e := errorsOf(t, r)[0]
	if e["status"] != float64(412) || e["title"] != "Precondition Failed" || e["source"] != "If-Match" {
		t.Errorf("412 body %s", r.Body)
	}
	if r.Headers["ETag"] != current {
		t.Errorf("412 ETag %q, want the current %q", r.Headers["ETag"], current)
	}
}

// unchanged checks that the table is as before.
func unchanged(t *testing.T, h *harness, before map[string]string) {
	t.Helper()
	after := h.db.Snapshot(t)
	for k, v := range after {
		if before[k] != v {
			t.Errorf("changed: %s\n  was %s\n  now %s", k, before[k], v)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			t.Errorf("gone: %s", k)
		}
	}
}

// TestETags: the single-resource answers carry "<id>:<version>", one more after each change;
// creates answer version 1.
func TestETags(t *testing.T) {
	h := newHarness(t)
	for _, res := range etagResources(t) {
		t.Run(res.name, func(t *testing.T) {
			id, path := res.make(h)
			get := h.do(req{Route: res.get, Path: path, Headers: bearer(h.admin)})
			expect(t, get, 200)
			v := versionIn(t, id, get.Headers["ETag"])
			put := h.do(req{Route: res.put, Path: path, Headers: bearer(h.admin), Body: res.body(1)})
			expect(t, put, 200)
			if put.Headers["ETag"] != tagFor(id, v+1) {
				t.Errorf("PUT ETag %q, want %q", put.Headers["ETag"], tagFor(id, v+1))
			}
			if again := h.do(req{Route: res.get, Path: path, Headers: bearer(h.admin)}); again.Headers["ETag"] != put.Headers["ETag"] {
				t.Errorf("GET after PUT: ETag %q, want %q", again.Headers["ETag"], put.Headers["ETag"])
			}
		})
	}
	t.Run("creates answer version 1", func(t *testing.T) {
		c := h.do(req{Route: "POST /v2/customers", Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","name":"New","email":"new@example.com"}}`})
		expect(t, c, 201)
		id := data(c)["id"].(string)
		a := h.do(req{Route: addrRoute("POST", false), Path: map[string]string{"customerId": id}, Headers: bearer(h.admin), Body: anAddress})
		expect(t, a, 201)
		h.put("etag-new-cart", "Eggs", 1, 100)
		o := h.checkout("etag-new-cart", bearer(h.admin), checkoutBody(`{"id":"`+id+`"}`))
		expect(t, o, 201)
		f := h.do(req{Route: "POST /v2/flows", Headers: bearer(h.admin),
			Body: `{"data":{"type":"flow","name":"New","slug":"etag-new","description":"d","enabled":true}}`})
		expect(t, f, 201)
		fd := h.fieldCall(data(f)["id"].(string), `"slug":"size","field_type":"integer"`)
		expect(t, fd, 201)
		for _, r := range []response{c, a, o, f, fd} {
			if id := data(r)["id"].(string); r.Headers["ETag"] != tagFor(id, 1) {
				t.Errorf("%s: ETag %q, want %q", data(r)["type"], r.Headers["ETag"], tagFor(id, 1))
			}
		}
	})
	t.Run("lists and 204s carry none", func(t *testing.T) {
		for _, r := range []req{{Route: "GET /v2/customers"}, {Route: "GET /v2/flows"}, {Route: "GET /v2/orders"}} {
			r.Headers = bearer(h.admin)
			if got := h.do(r); got.Status != 200 || got.Headers["ETag"] != "" {
				t.Errorf("%s: %d, ETag %q", r.Route, got.Status, got.Headers["ETag"])
			}
		}
	})
}

// TestIfMatchPut: every PUT with If-Match lands only at a version it names.
func TestIfMatchPut(t *testing.T) {
	h := newHarness(t)
	for _, res := range etagResources(t) {
		t.Run(res.name, func(t *testing.T) {
			id, path := res.make(h)
			n := 100
			current := func() string {
				t.Helper()
				r := h.do(req{Route: res.get, Path: path, Headers: bearer(h.admin)})
				expect(t, r, 200)
				return r.Headers["ETag"]
			}
			put := func(match string) response {
				t.Helper()
				n++
				return h.do(req{Route: res.put, Path: path, Headers: h.as(ifMatch(match)), Body: res.body(n)})
			}
			first := current()
			v := versionIn(t, id, first)

			// Calls: If-Match costs none (the version is in the write's condition).
			h.db.Calls().Reset()
			expect(t, h.do(req{Route: res.put, Path: path, Headers: bearer(h.admin), Body: res.body(n)}), 200)
			plain := h.db.Calls().ByOp()
			cur := current()
			h.db.Calls().Reset()
			r := put(cur)
			expect(t, r, 200)
			if got := h.db.Calls().ByOp(); !maps.Equal(got, plain) {
				t.Errorf("a PUT with If-Match made %v, without %v", got, plain)
			}
			if r.Headers["ETag"] != tagFor(id, v+2) || current() != r.Headers["ETag"] {
				t.Errorf("matching PUT: ETag %q, want %q", r.Headers["ETag"], tagFor(id, v+2))
			}

			for _, tc := range []struct{ name, match string }{
				{"stale", first},
				{"another resource's", tagFor("0196b5a4-0000-7000-8000-000000000000", v+2)},
				{"weak", "W/" + current()},
				{"a version alone", `"` + strconv.Itoa(v+2) + `"`},
				{"a later version", tagFor(id, v+3)},
			} {
				t.Run(tc.name+" is refused", func(t *testing.T) {
					now := current()
					before := h.db.Snapshot(t)
					expect412(t, put(tc.match), now)
					unchanged(t, h, before)
				})
			}
			t.Run("malformed is a 400", func(t *testing.T) {
				for _, bad := range []string{id + ":1", `"` + id + `:1" "` + id + `:2"`, `*, ` + current(), " ,"} {
					before := h.db.Snapshot(t)
					r := put(bad)
					expect(t, r, 400)
					if e := errorsOf(t, r)[0]; e["source"] != "If-Match" {
						t.Errorf("400 for %q: %s", bad, r.Body)
					}
					unchanged(t, h, before)
				}
			})
			t.Run("a list naming the current one", func(t *testing.T) {
				cur := current()
				r := put(first + ", W/" + cur + ", " + cur)
				expect(t, r, 200)
				if versionIn(t, id, r.Headers["ETag"]) != versionIn(t, id, cur)+1 {
					t.Errorf("ETag %q after %q", r.Headers["ETag"], cur)
				}
			})
			t.Run("* matches any version", func(t *testing.T) {
				cur := current()
				r := put("*")
				expect(t, r, 200)
				if versionIn(t, id, r.Headers["ETag"]) != versionIn(t, id, cur)+1 {
					t.Errorf("ETag %q after %q", r.Headers["ETag"], cur)
				}
			})
		})
	}
	t.Run("a customer's own PUT, and one that reads first", func(t *testing.T) {
		id := h.createCustomer("Own", "own@example.com")
		asOwn := withCustomer(h.implicit, h.customerToken("own@example.com"))
		path := map[string]string{"customerId": id}
		g := h.do(req{Route: "GET /v2/customers/{customerId}", Path: path, Headers: asOwn})
		stale := g.Headers["ETag"]
		headers := maps.Clone(asOwn)
		headers["If-Match"] = stale
		expect(t, h.do(req{Route: "PUT /v2/customers/{customerId}", Path: path, Headers: headers,
			Body: `{"data":{"type":"customer","name":"Own 2"}}`}), 200)
		// An email change reads the record first and writes a transaction: the same rule.
		before := h.db.Snapshot(t)
		r := h.do(req{Route: "PUT /v2/customers/{customerId}", Path: path, Headers: headers,
			Body: `{"data":{"type":"customer","email":"own2@example.com"}}`})
		expect412(t, r, tagFor(id, versionIn(t, id, stale)+1))
		unchanged(t, h, before)
		headers["If-Match"] = r.Headers["ETag"]
		expect(t, h.do(req{Route: "PUT /v2/customers/{customerId}", Path: path, Headers: headers,
			Body: `{"data":{"type":"customer","email":"own2@example.com"}}`}), 200)
	})
	t.Run("a missing resource is a 404 whatever If-Match says", func(t *testing.T) {
		gone := "0196b5a4-0000-7000-8000-00000000dead"
		for _, match := range []string{"*", tagFor(gone, 1)} {
			r := h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": gone},
				Headers: h.as(ifMatch(match)), Body: `{"data":{"type":"customer","name":"X"}}`})
			expect(t, r, 404)
		}
	})
}

// TestIfMatchDelete: every DELETE with If-Match lands only at a version it names.
func TestIfMatchDelete(t *testing.T) {
	h := newHarness(t)
	for _, res := range etagResources(t) {
		if res.del == "" {
			continue
		}
		t.Run(res.name, func(t *testing.T) {
			del := func(path map[string]string, match string) response {
				return h.do(req{Route: res.del, Path: path, Headers: h.as(ifMatch(match))})
			}
			_, path := res.make(h)
			first := h.do(req{Route: res.get, Path: path, Headers: bearer(h.admin)}).Headers["ETag"]
			put := h.do(req{Route: res.put, Path: path, Headers: bearer(h.admin), Body: res.body(1)})
			expect(t, put, 200)
			before := h.db.Snapshot(t)
			expect412(t, del(path, first), put.Headers["ETag"])
			unchanged(t, h, before)
			expect412(t, del(path, "W/"+put.Headers["ETag"]), put.Headers["ETag"])
			unchanged(t, h, before)
			r := del(path, strings.Trim(put.Headers["ETag"], `"`))
			expect(t, r, 400)
			unchanged(t, h, before)
			expect(t, del(path, first+", "+put.Headers["ETag"]), 204)
			expect(t, h.do(req{Route: res.get, Path: path, Headers: bearer(h.admin)}), 404)
			expect(t, del(path, put.Headers["ETag"]), 404) // gone: 404, If-Match or not

			_, path = res.make(h)
			expect(t, del(path, "*"), 204)
			expect(t, h.do(req{Route: res.get, Path: path, Headers: bearer(h.admin)}), 404)
		})
	}
}

// TestLostAnswers: a conditional write whose answer is lost after it landed, and which the
// SDK sends again, answers success (not a false 409 or 412), and changed the record once.
func TestLostAnswers(t *testing.T) {
	h := newHarness(t)
	h.customFlow() // a customer update with custom values reads the record first
	client, lost := h.db.Losing()
	_, lossy := h.on(h.cfg, client)
	byName := map[string]etagResource{}
	for _, res := range etagResources(t) {
		byName[res.name] = res
	}
	for _, tc := range []struct {
		name, resource, op string
		match              bool   // send If-Match
		body               string // instead of the resource's
	}{
		{"customer update with If-Match (one UpdateItem)", "customer", "UpdateItem", true, ""},
		{"customer update that reads first (custom values: at the version read)", "customer", "UpdateItem", false,
			`{"data":{"type":"customer","points":5}}`},
		{"customer email change (a transaction)", "customer", "TransactWriteItems", true,
			`{"data":{"type":"customer","email":"moved-%d@example.com"}}`},
		{"address update (a transaction)", "address", "TransactWriteItems", false, ""},
		{"address update with If-Match", "address", "TransactWriteItems", true, ""},
		{"order update (a transaction)", "order", "TransactWriteItems", true, ""},
		{"settings with If-Match (one UpdateItem)", "settings", "UpdateItem", true, ""},
		{"realm (one UpdateItem)", "realm", "UpdateItem", false, ""},
		{"oidc profile (one PutItem)", "oidc profile", "PutItem", true, ""},
		{"field (a transaction)", "field", "TransactWriteItems", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := byName[tc.resource]
			id, path := res.make(h)
			tag := h.do(req{Route: res.get, Path: path, Headers: bearer(h.admin)}).Headers["ETag"]
			v := versionIn(t, id, tag)
			body := res.body(7)
			if tc.body != "" {
				body = tc.body
				if strings.Contains(body, "%d") {
					body = fmt.Sprintf(body, v)
				}
			}
			headers := bearer(h.admin)
			if tc.match {
				headers = h.as(ifMatch(tag))
			}
			before := lost.Lost()
			lost.Lose(tc.op, 1)
			r := h.doWith(lossy, req{Route: res.put, Path: path, Headers: headers, Body: body})
			if lost.Lost() != before+1 {
				t.Fatalf("no answer was lost (%d %s)", r.Status, r.Body)
			}
			expect(t, r, 200)
			if r.Headers["ETag"] != tagFor(id, v+1) {
				t.Errorf("ETag %q, want %q: the change landed once", r.Headers["ETag"], tagFor(id, v+1))
			}
			if after := h.do(req{Route: res.get, Path: path, Headers: bearer(h.admin)}); after.Headers["ETag"] != tagFor(id, v+1) {
				t.Errorf("ETag read after %q, want %q", after.Headers["ETag"], tagFor(id, v+1))
			}
		})
	}
	t.Run("cart line removal (one UpdateItem): not a 404", func(t *testing.T) {
		gone := h.addItem("lost-cart", aCustomItem)
		h.addItem("lost-cart", aCustomItem)
		before := lost.Lost()
		lost.Lose("UpdateItem", 1)
		r := h.doWith(lossy, req{Route: "DELETE " + cartItemsRoute + "/{itemId}", Path: cartPath("lost-cart", gone), Headers: bearer(h.implicit)})
		if lost.Lost() != before+1 {
			t.Fatalf("no answer was lost (%d %s)", r.Status, r.Body)
		}
		expect(t, r, 200)
		left := h.cartItems("lost-cart").JSON["data"].([]any)
		if len(r.JSON["data"].([]any)) != 1 || len(left) != 1 || left[0].(map[string]any)["id"] == gone {
			t.Errorf("answered %s; the cart holds %v", r.Body, left)
		}
	})
}
