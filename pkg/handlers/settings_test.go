package handlers

import (
	"testing"
)

func TestSettings(t *testing.T) {
	h := newHarness(t)
	get := func() response { return h.do(req{Route: "GET /v2/settings", Headers: bearer(h.admin)}) }
	put := func(body string) response {
		return h.do(req{Route: "PUT /v2/settings", Headers: bearer(h.admin), Body: body})
	}
	t.Run("defaults", func(t *testing.T) {
		r := get()
		expect(t, r, 200)
		if r.Body != `{"data":{"type":"settings","address_mandatory_fields":["first_name","last_name","line_1","county","postcode","country"],"page_length":25},"meta":{"owner":"store"}}` {
			t.Errorf("%s", r.Body)
		}
	})
	for _, c := range []struct {
		name, body string
		sources    []string
	}{
		{"unknown field name", `{"data":{"type":"settings","address_mandatory_fields":["first_name","planet"]}}`, []string{"data.address_mandatory_fields"}},
		{"not a list", `{"data":{"type":"settings","address_mandatory_fields":"first_name"}}`, []string{"data.address_mandatory_fields"}},
		{"null list", `{"data":{"type":"settings","address_mandatory_fields":null}}`, []string{"data.address_mandatory_fields"}},
		{"page_length 0", `{"data":{"type":"settings","page_length":0}}`, []string{"data.page_length"}},
		{"page_length 101", `{"data":{"type":"settings","page_length":101}}`, []string{"data.page_length"}},
		{"page_length 1.5", `{"data":{"type":"settings","page_length":1.5}}`, []string{"data.page_length"}},
		{"page_length text", `{"data":{"type":"settings","page_length":"10"}}`, []string{"data.page_length"}},
		{"wrong type", `{"data":{"type":"setting","page_length":10}}`, []string{"data.type"}},
		{"unknown setting", `{"data":{"type":"settings","currency":"EUR"}}`, []string{"data.currency"}},
	} {
		t.Run("refused: "+c.name, func(t *testing.T) {
			r := put(c.body)
			expect(t, r, 400)
			errs := errorsOf(t, r)
			if len(errs) != len(c.sources) || errs[0]["source"] != c.sources[0] {
				t.Errorf("%s", r.Body)
			}
		})
	}
	t.Run("a refused change changes nothing", func(t *testing.T) {
		put(`{"data":{"type":"settings","page_length":10,"address_mandatory_fields":["planet"]}}`)
		if data(get())["page_length"] != float64(25) {
			t.Error("page_length changed by a refused request")
		}
	})
	t.Run("partial update", func(t *testing.T) {
		r := put(`{"data":{"type":"settings","page_length":50}}`)
		expect(t, r, 200)
		d := data(r)
		if d["page_length"] != float64(50) || len(d["address_mandatory_fields"].([]any)) != 6 {
			t.Errorf("%s", r.Body)
		}
		r = put(`{"data":{"type":"settings","address_mandatory_fields":["region","region","country"]}}`)
		expect(t, r, 200)
		if d := data(r); d["page_length"] != float64(50) || len(d["address_mandatory_fields"].([]any)) != 2 {
			t.Errorf("%s", r.Body)
		}
		if r := get(); data(r)["page_length"] != float64(50) {
			t.Errorf("not stored: %s", r.Body)
		}
	})
	t.Run("only client_credentials", func(t *testing.T) {
		h.createCustomer("Ron", "ron@example.com")
		tok := h.customerToken("ron@example.com")
		for _, headers := range []map[string]string{bearer(h.implicit), withCustomer(h.implicit, tok)} {
			expect(t, h.do(req{Route: "GET /v2/settings", Headers: headers}), 403)
			expect(t, h.do(req{Route: "PUT /v2/settings", Headers: headers, Body: `{"data":{"type":"settings","page_length":1}}`}), 403)
		}
		expect(t, h.do(req{Route: "GET /v2/settings"}), 401)
	})
}

func TestMandatoryFieldsComeFromSettings(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	path := map[string]string{"customerId": ron}
	old := h.createAddress(ron) // no region
	r := h.do(req{Route: "PUT /v2/settings", Headers: bearer(h.admin),
		Body: `{"data":{"type":"settings","address_mandatory_fields":["line_1","region"]}}`})
	expect(t, r, 200)

	r = h.do(req{Route: addrRoute("POST", false), Path: path, Headers: bearer(h.admin), Body: `{"data":{"type":"address","line_1":"1 Main St"}}`})
	expect(t, r, 400)
	if errs := errorsOf(t, r); len(errs) != 1 || errs[0]["detail"] != "region is required" {
		t.Errorf("%s", r.Body)
	}
	expect(t, h.do(req{Route: addrRoute("POST", false), Path: path, Headers: bearer(h.admin),
		Body: `{"data":{"type":"address","line_1":"1 Main St","region":"Indiana"}}`}), 201)

	// Existing addresses are untouched: still readable, and changes that leave the newly
	// mandatory field alone are accepted.
	at := map[string]string{"customerId": ron, "addressId": old}
	r = h.do(req{Route: addrRoute("GET", true), Path: at, Headers: bearer(h.admin)})
	expect(t, r, 200)
	if data(r)["region"] != "" {
		t.Errorf("%s", r.Body)
	}
	expect(t, h.do(req{Route: addrRoute("PUT", true), Path: at, Headers: bearer(h.admin), Body: `{"data":{"type":"address","city":"Pawnee"}}`}), 200)
	expect(t, h.do(req{Route: addrRoute("PUT", true), Path: at, Headers: bearer(h.admin), Body: `{"data":{"type":"address","region":""}}`}), 400)
	// What is no longer mandatory may be blanked.
	expect(t, h.do(req{Route: addrRoute("PUT", true), Path: at, Headers: bearer(h.admin), Body: `{"data":{"type":"address","postcode":""}}`}), 200)

	// An empty set makes nothing mandatory.
	expect(t, h.do(req{Route: "PUT /v2/settings", Headers: bearer(h.admin), Body: `{"data":{"type":"settings","address_mandatory_fields":[]}}`}), 200)
	expect(t, h.do(req{Route: addrRoute("POST", false), Path: path, Headers: bearer(h.admin), Body: `{"data":{"type":"address"}}`}), 201)
}
