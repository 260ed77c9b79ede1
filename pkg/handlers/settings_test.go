package handlers

import (
	"encoding/json"
	"fmt"
	"strings"
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
		if r.Body != `{"data":{"type":"settings","address_mandatory_fields":["first_name","last_name","line_1","county","postcode","country"],"page_length":25,`+
			`"list_child_products":true,"additional_languages":[],"calculation_method":"simple","include_organization_resources":false,`+
			`"max_addresses_per_customer":null,"currency":"USD","currency_limit":10},"meta":{"owner":"store"}}` {
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
		{"unknown setting", `{"data":{"type":"settings","default_currency":"EUR"}}`, []string{"data.default_currency"}},
		{"currency in lower case", `{"data":{"type":"settings","currency":"eur"}}`, []string{"data.currency"}},
		{"currency not in the table", `{"data":{"type":"settings","currency":"XXX"}}`, []string{"data.currency"}},
		{"currency not a string", `{"data":{"type":"settings","currency":978}}`, []string{"data.currency"}},
		{"currency null", `{"data":{"type":"settings","currency":null}}`, []string{"data.currency"}},
		{"a read-only limit other than currency_limit", `{"data":{"type":"settings","field_limit":100}}`, []string{"data.field_limit"}},
		{"list_child_products not a boolean", `{"data":{"type":"settings","list_child_products":"false"}}`, []string{"data.list_child_products"}},
		{"list_child_products null", `{"data":{"type":"settings","list_child_products":null}}`, []string{"data.list_child_products"}},
		{"include_organization_resources not a boolean", `{"data":{"type":"settings","include_organization_resources":1}}`, []string{"data.include_organization_resources"}},
		{"additional_languages not a list", `{"data":{"type":"settings","additional_languages":"fr"}}`, []string{"data.additional_languages"}},
		{"additional_languages null", `{"data":{"type":"settings","additional_languages":null}}`, []string{"data.additional_languages"}},
		{"additional_languages not strings", `{"data":{"type":"settings","additional_languages":[1]}}`, []string{"data.additional_languages"}},
		{"additional_languages unknown codes", `{"data":{"type":"settings","additional_languages":["fr","xx","french"]}}`,
			[]string{"data.additional_languages", "data.additional_languages"}},
		{"additional_languages upper case", `{"data":{"type":"settings","additional_languages":["FR"]}}`, []string{"data.additional_languages"}},
		{"six additional_languages", `{"data":{"type":"settings","additional_languages":["fr","de","es","it","nl","pt"]}}`, []string{"data.additional_languages"}},
		{"calculation_method unknown", `{"data":{"type":"settings","calculation_method":"exact"}}`, []string{"data.calculation_method"}},
		{"calculation_method not a string", `{"data":{"type":"settings","calculation_method":1}}`, []string{"data.calculation_method"}},
		{"currency_limit not a number", `{"data":{"type":"settings","currency_limit":"10"}}`, []string{"data.currency_limit"}},
		{"max_addresses_per_customer 0", `{"data":{"type":"settings","max_addresses_per_customer":0}}`, []string{"data.max_addresses_per_customer"}},
		{"max_addresses_per_customer 10001", `{"data":{"type":"settings","max_addresses_per_customer":10001}}`, []string{"data.max_addresses_per_customer"}},
		{"max_addresses_per_customer 2.5", `{"data":{"type":"settings","max_addresses_per_customer":2.5}}`, []string{"data.max_addresses_per_customer"}},
		{"max_addresses_per_customer text", `{"data":{"type":"settings","max_addresses_per_customer":"5"}}`, []string{"data.max_addresses_per_customer"}},
		{"one error per bad member", `{"data":{"type":"settings","page_length":0,"calculation_method":"line","list_child_products":"no"}}`,
			[]string{"data.list_child_products", "data.page_length"}},
	} {
		t.Run("refused: "+c.name, func(t *testing.T) {
			r := put(c.body)
			expect(t, r, 400)
			errs := errorsOf(t, r)
			if len(errs) != len(c.sources) {
				t.Fatalf("%d errors, want %d: %s", len(errs), len(c.sources), r.Body)
			}
			for i, e := range errs {
				if e["source"] != c.sources[i] || e["status"] != float64(400) || e["title"] == "" || e["detail"] == "" {
					t.Errorf("error %d: %v, want source %s", i, e, c.sources[i])
				}
			}
		})
	}
	t.Run("titles say what is wrong", func(t *testing.T) {
		for body, title := range map[string]string{
			`{"data":{"type":"settings","list_child_products":"false"}}`:        "type",
			`{"data":{"type":"settings","calculation_method":"exact"}}`:         "enum",
			`{"data":{"type":"settings","currency":"usd"}}`:                     "enum",
			`{"data":{"type":"settings","currency":1}}`:                         "type",
			`{"data":{"type":"settings","additional_languages":["xx"]}}`:        "enum",
			`{"data":{"type":"settings","page_length":101}}`:                    "range",
			`{"data":{"type":"settings","page_length":"10"}}`:                   "type",
			`{"data":{"type":"settings","max_addresses_per_customer":10001}}`:   "range",
			`{"data":{"type":"settings","additional_languages":["a","b","c"]}}`: "enum",
		} {
			r := put(body)
			expect(t, r, 400)
			if got := errorsOf(t, r)[0]["title"]; got != title {
				t.Errorf("%s: title %v, want %s", body, got, title)
			}
		}
	})
	t.Run("more members than settings can have is one error", func(t *testing.T) {
		body := `{"data":{"type":"settings"`
		for i := 0; i < 30; i++ {
			body += fmt.Sprintf(`,"made_up_%d":%d`, i, i)
		}
		r := put(body + `}}`)
		expect(t, r, 400)
		if errs := errorsOf(t, r); len(errs) != 1 || errs[0]["source"] != "data" || !strings.Contains(errs[0]["detail"].(string), "31 members") {
			t.Errorf("%s", r.Body)
		}
	})
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
	t.Run("every documented setting is stored and returned", func(t *testing.T) {
		r := put(`{"data":{"type":"settings","list_child_products":false,"additional_languages":["fr","de","fr"],` +
			`"calculation_method":"line","include_organization_resources":true,"max_addresses_per_customer":12,"currency":"JPY"}}`)
		expect(t, r, 200)
		want := `{"data":{"type":"settings","address_mandatory_fields":["region","country"],"page_length":50,` +
			`"list_child_products":false,"additional_languages":["fr","de"],"calculation_method":"line","include_organization_resources":true,` +
			`"max_addresses_per_customer":12,"currency":"JPY","currency_limit":10},"meta":{"owner":"store"}}`
		if r.Body != want {
			t.Errorf("PUT answered\n%s\nwant\n%s", r.Body, want)
		}
		if r := get(); r.Body != want {
			t.Errorf("GET answered\n%s\nwant\n%s", r.Body, want)
		}
		// Back to the defaults, each in its own way: [] and null are values, not "unset".
		r = put(`{"data":{"type":"settings","list_child_products":true,"additional_languages":[],"calculation_method":"simple",` +
			`"include_organization_resources":false,"max_addresses_per_customer":null,"currency":"USD"}}`)
		expect(t, r, 200)
		if d := data(r); d["list_child_products"] != true || len(d["additional_languages"].([]any)) != 0 ||
			d["calculation_method"] != "simple" || d["include_organization_resources"] != false || d["max_addresses_per_customer"] != nil ||
			d["currency"] != "USD" {
			t.Errorf("%s", r.Body)
		}
	})
	t.Run("currency_limit is read-only: a number is accepted and ignored", func(t *testing.T) {
		r := put(`{"data":{"type":"settings","currency_limit":50}}`)
		expect(t, r, 200)
		if data(r)["currency_limit"] != float64(10) || data(get())["currency_limit"] != float64(10) {
			t.Errorf("%s", r.Body)
		}
	})
	t.Run("what GET gives, PUT takes back unchanged (the SDK's round trip)", func(t *testing.T) {
		before := get()
		expect(t, before, 200)
		body, err := json.Marshal(map[string]any{"data": data(before)})
		if err != nil {
			t.Fatal(err)
		}
		r := put(string(body))
		expect(t, r, 200)
		if r.Body != before.Body {
			t.Errorf("round trip changed the settings:\n%s\n%s", before.Body, r.Body)
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
