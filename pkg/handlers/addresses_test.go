package handlers

import (
	"fmt"
	"strings"
	"testing"
)

func addrRoute(method string, withID bool) string {
	if withID {
		return method + " /v2/customers/{customerId}/addresses/{addressId}"
	}
	return method + " /v2/customers/{customerId}/addresses"
}

func TestCreateAddress(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	path := map[string]string{"customerId": ron}
	long := strings.Repeat("x", 256)
	cases := []struct {
		name    string
		body    string
		status  int
		details []string // expected error details, in order
	}{
		{"complete", anAddress, 201, nil},
		{"instructions may span lines", `{"data":{"type":"address","first_name":"A","last_name":"B","line_1":"1","county":"C","postcode":"P","country":"US","instructions":"ring twice\nthen wait"}}`, 201, nil},
		{"echoed members are ignored", `{"data":{"type":"address","id":"x","links":{},"meta":{},"first_name":"A","last_name":"B","line_1":"1","county":"C","postcode":"P","country":"US"}}`, 201, nil},
		{"every mandatory field missing", `{"data":{"type":"address"}}`, 400,
			[]string{"first_name is required", "last_name is required", "line_1 is required", "county is required", "postcode is required", "country is required"}},
		{"blank counts as missing", `{"data":{"type":"address","first_name":"  ","last_name":"B","line_1":"1","county":"C","postcode":"P","country":"US"}}`, 400,
			[]string{"first_name is required"}},
		{"wrong type", `{"data":{"type":"customer","first_name":"A","last_name":"B","line_1":"1","county":"C","postcode":"P","country":"US"}}`, 400, nil},
		{"unknown member", `{"data":{"type":"address","first_name":"A","last_name":"B","line_1":"1","county":"C","postcode":"P","country":"US","customer_id":"x"}}`, 400, nil},
		{"not a string", `{"data":{"type":"address","first_name":"A","last_name":"B","line_1":"1","county":"C","postcode":47998,"country":"US"}}`, 400, nil},
		{"too long", `{"data":{"type":"address","first_name":"` + long + `","last_name":"B","line_1":"1","county":"C","postcode":"P","country":"US"}}`, 400, nil},
		{"control character", `{"data":{"type":"address","first_name":"A\u0007","last_name":"B","line_1":"1","county":"C","postcode":"P","country":"US"}}`, 400, nil},
		{"malformed", `{"data":{`, 400, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do(req{Route: addrRoute("POST", false), Path: path, Headers: bearer(h.admin), Body: c.body})
			expect(t, r, c.status)
			if c.status != 201 {
				errs := errorsOf(t, r)
				for i, d := range c.details {
					if i >= len(errs) || errs[i]["detail"] != d || errs[i]["title"] != "required" || errs[i]["source"] != "data" || errs[i]["status"] != float64(400) {
						t.Errorf("error %d: %v, want %q", i, errs, d)
					}
				}
				if c.details != nil && len(errs) != len(c.details) {
					t.Errorf("%d errors, want %d", len(errs), len(c.details))
				}
				return
			}
			d := data(r)
			if d["type"] != "address" || d["line_2"] != "" || d["region"] != "" || d["company_name"] != "" {
				t.Errorf("unset fields must come back as \"\": %s", r.Body)
			}
			if self := d["links"].(map[string]any)["self"]; self != "https://api.example.test/v2/customers/"+ron+"/addresses/"+d["id"].(string) {
				t.Errorf("links.self %v", self)
			}
			ts := d["meta"].(map[string]any)["timestamps"].(map[string]any)
			if ts["created_at"] == "" || ts["created_at"] != ts["updated_at"] {
				t.Errorf("timestamps %v", ts)
			}
		})
	}
	t.Run("unknown customer", func(t *testing.T) {
		expect(t, h.do(req{Route: addrRoute("POST", false), Path: map[string]string{"customerId": "00000000-0000-4000-8000-000000000000"},
			Headers: bearer(h.admin), Body: anAddress}), 404)
	})
}

func TestAddressLifecycle(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	leslie := h.createCustomer("Leslie", "leslie@example.com")
	ronTok := h.customerToken("ron@example.com")
	own := withCustomer(h.implicit, ronTok)
	a := h.createAddress(ron)
	theirs := h.createAddress(leslie)
	at := func(cid, aid string) map[string]string { return map[string]string{"customerId": cid, "addressId": aid} }

	t.Run("get with the customer's own token", func(t *testing.T) {
		r := h.do(req{Route: addrRoute("GET", true), Path: at(ron, a), Headers: own})
		expect(t, r, 200)
		if data(r)["line_1"] != "1 Pawnee Way" {
			t.Errorf("%s", r.Body)
		}
	})
	t.Run("another customer's address under your own path is not found", func(t *testing.T) {
		for _, route := range []string{addrRoute("GET", true), addrRoute("PUT", true), addrRoute("DELETE", true)} {
			body := ""
			if strings.HasPrefix(route, "PUT") {
				body = `{"data":{"type":"address","city":"Stolen"}}`
			}
			r := h.do(req{Route: route, Path: at(ron, theirs), Headers: own, Body: body})
			expect(t, r, 404)
		}
		r := h.do(req{Route: addrRoute("GET", true), Path: at(leslie, theirs), Headers: bearer(h.admin)})
		if data(r)["city"] != "" {
			t.Errorf("Leslie's address changed: %s", r.Body)
		}
	})
	t.Run("an id that is not a uuid", func(t *testing.T) {
		expect(t, h.do(req{Route: addrRoute("GET", true), Path: at(ron, "nope"), Headers: own}), 404)
	})
	t.Run("partial update", func(t *testing.T) {
		r := h.do(req{Route: addrRoute("PUT", true), Path: at(ron, a), Headers: own, Body: `{"data":{"type":"address","city":"Pawnee","line_2":"Apt 2"}}`})
		expect(t, r, 200)
		d := data(r)
		if d["city"] != "Pawnee" || d["line_2"] != "Apt 2" || d["first_name"] != "Ron" {
			t.Errorf("%s", r.Body)
		}
		r = h.do(req{Route: addrRoute("PUT", true), Path: at(ron, a), Headers: own, Body: `{"data":{"type":"address","line_2":null}}`})
		expect(t, r, 200)
		if data(r)["line_2"] != "" || data(r)["city"] != "Pawnee" {
			t.Errorf("%s", r.Body)
		}
		if r := h.do(req{Route: addrRoute("GET", true), Path: at(ron, a), Headers: own}); data(r)["city"] != "Pawnee" {
			t.Errorf("update not stored: %s", r.Body)
		}
	})
	t.Run("a mandatory field cannot be blanked", func(t *testing.T) {
		r := h.do(req{Route: addrRoute("PUT", true), Path: at(ron, a), Headers: own, Body: `{"data":{"type":"address","postcode":"","county":null}}`})
		expect(t, r, 400)
		if n := len(errorsOf(t, r)); n != 2 {
			t.Errorf("%d errors: %s", n, r.Body)
		}
	})
	t.Run("the id in the body must match the path", func(t *testing.T) {
		expect(t, h.do(req{Route: addrRoute("PUT", true), Path: at(ron, a), Headers: own, Body: `{"data":{"type":"address","id":"` + theirs + `","city":"X"}}`}), 400)
	})
	t.Run("delete", func(t *testing.T) {
		b := h.createAddress(ron)
		expect(t, h.do(req{Route: addrRoute("DELETE", true), Path: at(ron, b), Headers: own}), 204)
		expect(t, h.do(req{Route: addrRoute("GET", true), Path: at(ron, b), Headers: own}), 404)
		expect(t, h.do(req{Route: addrRoute("DELETE", true), Path: at(ron, b), Headers: own}), 404)
		r := h.do(req{Route: addrRoute("GET", false), Path: map[string]string{"customerId": ron}, Headers: own})
		if total := r.JSON["meta"].(map[string]any)["results"].(map[string]any)["total"]; total != float64(1) {
			t.Errorf("total %v", total)
		}
	})
	t.Run("a deleted customer's addresses are gone for every caller", func(t *testing.T) {
		expect(t, h.do(req{Route: "DELETE /v2/customers/{customerId}", Path: map[string]string{"customerId": ron}, Headers: bearer(h.admin)}), 204)
		expect(t, h.do(req{Route: addrRoute("GET", true), Path: at(ron, a), Headers: bearer(h.admin)}), 404)
		expect(t, h.do(req{Route: addrRoute("GET", false), Path: map[string]string{"customerId": ron}, Headers: bearer(h.admin)}), 404)
		expect(t, h.do(req{Route: addrRoute("POST", false), Path: map[string]string{"customerId": ron}, Headers: bearer(h.admin), Body: anAddress}), 404)
		expect(t, h.do(req{Route: addrRoute("PUT", true), Path: at(ron, a), Headers: bearer(h.admin), Body: `{"data":{"type":"address","city":"X"}}`}), 404)
		expect(t, h.do(req{Route: addrRoute("DELETE", true), Path: at(ron, a), Headers: bearer(h.admin)}), 404)
		expect(t, h.do(req{Route: addrRoute("GET", true), Path: at(ron, a), Headers: own}), 403) // the token died with him
	})
}

func TestListAddresses(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	const n = 130 // more than the largest page
	var ids []string
	for i := 0; i < n; i++ {
		r := h.do(req{Route: addrRoute("POST", false), Path: map[string]string{"customerId": ron}, Headers: bearer(h.admin),
			Body: fmt.Sprintf(`{"data":{"type":"address","first_name":"R","last_name":"S","line_1":"%d Main St","county":"C","postcode":"P","country":"US"}}`, i)})
		expect(t, r, 201)
		ids = append(ids, data(r)["id"].(string))
	}
	list := func(query string) response {
		return h.do(req{Route: addrRoute("GET", false), Path: map[string]string{"customerId": ron}, Query: query, Headers: bearer(h.admin)})
	}
	idsOf := func(r response) []string {
		var out []string
		for _, a := range r.JSON["data"].([]any) {
			out = append(out, a.(map[string]any)["id"].(string))
		}
		return out
	}
	t.Run("pages walk every address once, oldest first", func(t *testing.T) {
		var got []string
		for offset := 0; offset < n; offset += 50 {
			r := list(fmt.Sprintf("page[limit]=50&page[offset]=%d", offset))
			expect(t, r, 200)
			got = append(got, idsOf(r)...)
			meta := r.JSON["meta"].(map[string]any)
			if meta["results"].(map[string]any)["total"] != float64(n) || meta["page"].(map[string]any)["total"] != float64(3) {
				t.Errorf("meta %v", meta)
			}
		}
		if strings.Join(got, ",") != strings.Join(ids, ",") {
			t.Errorf("pages gave %d ids, not the %d created in order", len(got), n)
		}
	})
	t.Run("default page length is the store's", func(t *testing.T) {
		if got := idsOf(list("")); len(got) != 25 {
			t.Errorf("%d addresses on a default page", len(got))
		}
		expect(t, h.do(req{Route: "PUT /v2/settings", Headers: bearer(h.admin), Body: `{"data":{"type":"settings","page_length":7}}`}), 200)
		r := list("")
		if got := idsOf(r); len(got) != 7 || r.JSON["meta"].(map[string]any)["page"].(map[string]any)["limit"] != float64(7) {
			t.Errorf("%d addresses on a default page after page_length 7: %v", len(got), r.JSON["meta"])
		}
		if got := idsOf(list("page[limit]=100")); len(got) != 100 {
			t.Errorf("explicit limit: %d", len(got))
		}
	})
	t.Run("limit 0 and offsets past the end", func(t *testing.T) {
		r := list("page[limit]=0")
		if len(idsOf(r)) != 0 || r.JSON["meta"].(map[string]any)["results"].(map[string]any)["total"] != float64(n) {
			t.Errorf("%s", r.Body)
		}
		if got := idsOf(list("page[offset]=129&page[limit]=10")); len(got) != 1 || got[0] != ids[129] {
			t.Errorf("last row: %v", got)
		}
		if got := idsOf(list("page[offset]=130")); len(got) != 0 {
			t.Errorf("past the end: %v", got)
		}
	})
	for _, q := range []string{"page[limit]=101", "page[offset]=-1", "filter=eq(city,x)"} {
		t.Run("bad query "+q, func(t *testing.T) { expect(t, list(q), 400) })
	}
	t.Run("a customer without addresses", func(t *testing.T) {
		other := h.createCustomer("Ann", "ann@example.com")
		r := h.do(req{Route: addrRoute("GET", false), Path: map[string]string{"customerId": other}, Headers: bearer(h.admin)})
		expect(t, r, 200)
		if len(idsOf(r)) != 0 || r.JSON["meta"].(map[string]any)["results"].(map[string]any)["total"] != float64(0) {
			t.Errorf("%s", r.Body)
		}
	})
}

func TestAddressCap(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	path := map[string]string{"customerId": ron}
	setCap := func(v string) {
		t.Helper()
		r := h.do(req{Route: "PUT /v2/settings", Headers: bearer(h.admin), Body: `{"data":{"type":"settings","max_addresses_per_customer":` + v + `}}`})
		expect(t, r, 200)
	}
	create := func(headers map[string]string) response {
		return h.do(req{Route: addrRoute("POST", false), Path: path, Headers: headers, Body: anAddress})
	}
	total := func() any {
		r := h.do(req{Route: addrRoute("GET", false), Path: path, Headers: bearer(h.admin)})
		return r.JSON["meta"].(map[string]any)["results"].(map[string]any)["total"]
	}
	refusedAtCap := func(t *testing.T, r response, limit string) {
		t.Helper()
		expect(t, r, 400)
		errs := errorsOf(t, r)
		if len(errs) != 1 || errs[0]["source"] != "data" || !strings.Contains(errs[0]["detail"].(string), "at most "+limit+" addresses") ||
			!strings.Contains(errs[0]["detail"].(string), "max_addresses_per_customer") {
			t.Errorf("%s", r.Body)
		}
	}

	a := h.createAddress(ron)
	h.createAddress(ron)
	setCap("2")
	t.Run("past the cap a create is a 400 naming it", func(t *testing.T) {
		refusedAtCap(t, create(bearer(h.admin)), "2")
		if n := total(); n != float64(2) {
			t.Errorf("total %v after a refused create", n)
		}
	})
	t.Run("a delete makes room", func(t *testing.T) {
		expect(t, h.do(req{Route: addrRoute("DELETE", true), Path: map[string]string{"customerId": ron, "addressId": a}, Headers: bearer(h.admin)}), 204)
		expect(t, create(bearer(h.admin)), 201)
		refusedAtCap(t, create(bearer(h.admin)), "2")
	})
	t.Run("the cap is per customer", func(t *testing.T) {
		other := h.createCustomer("Ann", "ann@example.com")
		h.createAddress(other)
		h.createAddress(other)
	})
	t.Run("a cap below what a customer has keeps the addresses and refuses more", func(t *testing.T) {
		setCap("1")
		refusedAtCap(t, create(bearer(h.admin)), "1")
		if n := total(); n != float64(2) {
			t.Errorf("total %v", n)
		}
	})
	t.Run("null lifts the cap", func(t *testing.T) {
		setCap("null")
		expect(t, create(bearer(h.admin)), 201)
		setCap("3")
	})
	t.Run("an owner failure is told apart from the cap", func(t *testing.T) {
		old := h.customerToken("ron@example.com")
		expect(t, h.do(req{Route: "PUT /v2/customers/{customerId}", Path: path, Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","password":"a new password"}}`}), 200)
		expect(t, create(withCustomer(h.implicit, old)), 403) // at the cap, with a revoked token
		expect(t, h.do(req{Route: "DELETE /v2/customers/{customerId}", Path: path, Headers: bearer(h.admin)}), 204)
		expect(t, create(bearer(h.admin)), 404) // at the cap, deleted
	})
}
