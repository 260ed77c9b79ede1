package handlers

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/carts"
	"github.com/acme/customers/pkg/id"
)

const (
	cartRoute      = "GET /v2/carts/{cartId}"
	cartItemsRoute = "/v2/carts/{cartId}/items"
	cartItemRoute  = "/v2/carts/{cartId}/items/{itemId}"
)

// aCustomItem is a custom item body: quantity 2 at 19.99 in the store currency.
const aCustomItem = `{"data":{"type":"custom_item","name":"Lagavulin 16","sku":"lagavulin-16","description":"Islay single malt","quantity":2,"price":{"amount":1999,"includes_tax":true}}}`

// cartPath is the path parameters of a cart's routes.
func cartPath(cartID string, itemID ...string) map[string]string {
	p := map[string]string{"cartId": cartID}
	if len(itemID) > 0 {
		p["itemId"] = itemID[0]
	}
	return p
}

// addItem adds body to the cart with the implicit token and returns the id of the line
// it added (the newest).
func (h *harness) addItem(cartID, body string) string {
	h.t.Helper()
	r := h.do(req{Route: "POST " + cartItemsRoute, Path: cartPath(cartID), Headers: bearer(h.implicit), Body: body})
	if r.Status != 201 {
		h.t.Fatalf("add to cart %s: %d %s", cartID, r.Status, r.Body)
	}
	items := r.JSON["data"].([]any)
	return items[len(items)-1].(map[string]any)["id"].(string)
}

// cartItems reads a cart's items with the implicit token.
func (h *harness) cartItems(cartID string) response {
	h.t.Helper()
	r := h.do(req{Route: "GET " + cartItemsRoute, Path: cartPath(cartID), Headers: bearer(h.implicit)})
	expect(h.t, r, 200)
	return r
}

// exact decodes a body keeping numbers exact (float64 would round totals past 2^53).
func exact(t *testing.T, body string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// at walks a decoded JSON value along keys (object members) and indexes (array elements).
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// price is {amount, currency, formatted} as a string, for comparisons.
func priceOf(v any) string {
	return fmt.Sprintf("%v %v %v", at(v, "amount"), at(v, "currency"), at(v, "formatted"))
}

func TestCartContract(t *testing.T) {
	h := newHarness(t)
	shop := bearer(h.implicit)

	t.Run("a cart never written is an empty cart", func(t *testing.T) {
		r := h.do(req{Route: cartRoute, Path: cartPath("fresh-cart_1"), Headers: shop})
		expect(t, r, 200)
		d := exact(t, r.Body)["data"]
		if at(d, "id") != "fresh-cart_1" || at(d, "type") != "cart" || at(d, "links", "self") != "https://api.example.test/v2/carts/fresh-cart_1" {
			t.Errorf("%s", r.Body)
		}
		for _, k := range []string{"with_tax", "without_tax", "tax"} {
			if got := priceOf(at(d, "meta", "display_price", k)); got != "0 USD $0.00" {
				t.Errorf("%s: %s", k, got)
			}
		}
		if items, ok := at(d, "relationships", "items", "data").([]any); !ok || len(items) != 0 {
			t.Errorf("relationships %v", at(d, "relationships"))
		}
		ts := at(d, "meta", "timestamps").(map[string]any)
		if ts["created_at"] == "" || ts["updated_at"] == "" || ts["expires_at"] == "" {
			t.Errorf("timestamps %v", ts)
		}
		r = h.cartItems("fresh-cart_1")
		if items := r.JSON["data"].([]any); len(items) != 0 || priceOf(at(exact(t, r.Body), "meta", "display_price", "with_tax")) != "0 USD $0.00" {
			t.Errorf("%s", r.Body)
		}
	})

	var first, second string
	t.Run("add answers 201 with the cart's items", func(t *testing.T) {
		r := h.do(req{Route: "POST " + cartItemsRoute, Path: cartPath("c1"), Headers: shop, Body: aCustomItem})
		expect(t, r, 201)
		body := exact(t, r.Body)
		item := at(body, "data", 0)
		first, _ = at(item, "id").(string)
		if !id.Valid(first) || at(item, "type") != "custom_item" || at(item, "name") != "Lagavulin 16" || at(item, "sku") != "lagavulin-16" ||
			at(item, "description") != "Islay single malt" || at(item, "quantity") != json.Number("2") || at(item, "slug") != "" ||
			at(item, "manage_stock") != false || at(item, "image", "href") != "" {
			t.Errorf("%s", r.Body)
		}
		if fmt.Sprint(at(item, "unit_price")) != "map[amount:1999 currency:USD includes_tax:true]" ||
			fmt.Sprint(at(item, "value")) != "map[amount:3998 currency:USD includes_tax:true]" {
			t.Errorf("unit_price %v, value %v", at(item, "unit_price"), at(item, "value"))
		}
		for _, k := range []string{"with_tax", "without_tax"} {
			if u, v := priceOf(at(item, "meta", "display_price", k, "unit")), priceOf(at(item, "meta", "display_price", k, "value")); u != "1999 USD $19.99" || v != "3998 USD $39.98" {
				t.Errorf("item %s: unit %s, value %s", k, u, v)
			}
		}
		if v := priceOf(at(item, "meta", "display_price", "tax", "value")); v != "0 USD $0.00" {
			t.Errorf("item tax %s", v)
		}
		if ts := at(item, "meta", "timestamps", "created_at"); ts == nil || ts == "" {
			t.Errorf("item timestamps %v", at(item, "meta"))
		}
		for _, k := range []string{"with_tax", "without_tax"} {
			if got := priceOf(at(body, "meta", "display_price", k)); got != "3998 USD $39.98" {
				t.Errorf("cart %s %s", k, got)
			}
		}
		if got := priceOf(at(body, "meta", "display_price", "tax")); got != "0 USD $0.00" {
			t.Errorf("cart tax %s", got)
		}
		if at(body, "meta", "timestamps", "expires_at") == "" {
			t.Errorf("%s", r.Body)
		}
		// The SDK's AddCustomItem sends no includes_tax when the storefront gives none: the
		// original's default, true.
		second = h.addItem("c1", `{"data":{"type":"custom_item","name":"Glass","quantity":1,"price":{"amount":250}}}`)
	})
	t.Run("items and the cart list the lines oldest first", func(t *testing.T) {
		r := h.cartItems("c1")
		items := r.JSON["data"].([]any)
		if len(items) != 2 || at(items, 0, "id") != first || at(items, 1, "id") != second {
			t.Fatalf("%s", r.Body)
		}
		if at(items, 1, "unit_price", "includes_tax") != true || at(items, 1, "sku") != "" || at(items, 1, "description") != "" {
			t.Errorf("defaults: %v", items[1])
		}
		if got := priceOf(at(exact(t, r.Body), "meta", "display_price", "with_tax")); got != "4248 USD $42.48" {
			t.Errorf("total %s", got)
		}
		c := h.do(req{Route: cartRoute, Path: cartPath("c1"), Headers: shop})
		expect(t, c, 200)
		if refs := at(c.JSON, "data", "relationships", "items", "data").([]any); len(refs) != 2 ||
			fmt.Sprint(refs[0]) != "map[id:"+first+" type:custom_item]" || at(refs, 1, "id") != second {
			t.Errorf("%s", c.Body)
		}
		if got := priceOf(at(exact(t, c.Body), "data", "meta", "display_price", "without_tax")); got != "4248 USD $42.48" {
			t.Errorf("cart total %s", got)
		}
	})
	t.Run("update is partial, as the SDK sends it", func(t *testing.T) {
		// UpdateItem(id, 5) sends type cart_item, the id and the quantity.
		r := h.do(req{Route: "PUT " + cartItemRoute, Path: cartPath("c1", first), Headers: shop,
			Body: `{"data":{"type":"cart_item","id":"` + first + `","quantity":5}}`})
		expect(t, r, 200)
		if at(r.JSON, "data", 0, "quantity") != float64(5) || at(r.JSON, "data", 0, "name") != "Lagavulin 16" ||
			priceOf(at(exact(t, r.Body), "meta", "display_price", "with_tax")) != "10245 USD $102.45" {
			t.Errorf("%s", r.Body)
		}
		// UpdateItem(id, undefined, {...}) sends a null quantity: left as it is.
		r = h.do(req{Route: "PUT " + cartItemRoute, Path: cartPath("c1", first), Headers: shop,
			Body: `{"data":{"type":"cart_item","id":"` + first + `","quantity":null,"name":"Lagavulin 8","sku":null,"price":{"amount":1000,"includes_tax":false}}}`})
		expect(t, r, 200)
		item := at(r.JSON, "data", 0)
		if at(item, "quantity") != float64(5) || at(item, "name") != "Lagavulin 8" || at(item, "sku") != "" || at(item, "description") != "Islay single malt" ||
			at(item, "unit_price", "amount") != float64(1000) || at(item, "unit_price", "includes_tax") != false {
			t.Errorf("%s", r.Body)
		}
		// No tax engine: a price without tax gets none added.
		if got := priceOf(at(exact(t, r.Body), "meta", "display_price", "with_tax")); got != "5250 USD $52.50" {
			t.Errorf("with_tax %s", got)
		}
		// A price may change one member alone; custom_item is a type too.
		r = h.do(req{Route: "PUT " + cartItemRoute, Path: cartPath("c1", first), Headers: shop,
			Body: `{"data":{"type":"custom_item","price":{"includes_tax":true}}}`})
		expect(t, r, 200)
		if item := at(r.JSON, "data", 0); at(item, "unit_price", "amount") != float64(1000) || at(item, "unit_price", "includes_tax") != true {
			t.Errorf("%s", r.Body)
		}
	})
	t.Run("delete answers 200 with the items left", func(t *testing.T) {
		r := h.do(req{Route: "DELETE " + cartItemRoute, Path: cartPath("c1", second), Headers: shop})
		expect(t, r, 200)
		if items := r.JSON["data"].([]any); len(items) != 1 || at(items, 0, "id") != first {
			t.Errorf("%s", r.Body)
		}
		if got := priceOf(at(exact(t, r.Body), "meta", "display_price", "with_tax")); got != "5000 USD $50.00" {
			t.Errorf("total %s", got)
		}
	})
	t.Run("a missing item is 404", func(t *testing.T) {
		for _, itemID := range []string{second, id.New(), "not-a-uuid"} {
			r := h.do(req{Route: "PUT " + cartItemRoute, Path: cartPath("c1", itemID), Headers: shop, Body: `{"data":{"type":"cart_item","quantity":1}}`})
			expect(t, r, 404)
			expect(t, h.do(req{Route: "DELETE " + cartItemRoute, Path: cartPath("c1", itemID), Headers: shop}), 404)
		}
		// An item of another cart is not in this one.
		other := h.addItem("c2", aCustomItem)
		expect(t, h.do(req{Route: "DELETE " + cartItemRoute, Path: cartPath("c1", other), Headers: shop}), 404)
		expect(t, h.do(req{Route: "PUT " + cartItemRoute, Path: cartPath("never-written", first), Headers: shop, Body: `{"data":{"type":"cart_item","quantity":1}}`}), 404)
		if items := h.cartItems("c1").JSON["data"].([]any); len(items) != 1 || at(items, 0, "quantity") != float64(5) {
			t.Errorf("a refused change changed the cart: %v", items)
		}
	})
	t.Run("empty answers 204; the cart reads empty", func(t *testing.T) {
		r := h.do(req{Route: "DELETE " + cartItemsRoute, Path: cartPath("c1"), Headers: shop})
		expect(t, r, 204)
		if r.Body != "" {
			t.Errorf("body %q", r.Body)
		}
		if items := h.cartItems("c1").JSON["data"].([]any); len(items) != 0 {
			t.Errorf("%v", items)
		}
		expect(t, h.do(req{Route: "DELETE " + cartItemsRoute, Path: cartPath("c1"), Headers: shop}), 204)
		if items := h.cartItems("c2").JSON["data"].([]any); len(items) != 1 {
			t.Errorf("another cart changed: %v", items)
		}
	})
	t.Run("any access token; a customer token is ignored", func(t *testing.T) {
		h.createCustomer("Ron", "ron@example.com")
		tok := h.customerToken("ron@example.com")
		for _, headers := range []map[string]string{bearer(h.admin), withCustomer(h.implicit, tok), withCustomer(h.implicit, "expired-or-forged")} {
			r := h.do(req{Route: "POST " + cartItemsRoute, Path: cartPath("shared"), Headers: headers, Body: aCustomItem})
			expect(t, r, 201)
		}
		if items := h.cartItems("shared").JSON["data"].([]any); len(items) != 3 {
			t.Errorf("%d items", len(items))
		}
		expect(t, h.do(req{Route: cartRoute, Path: cartPath("shared")}), 401)
	})
}

func TestCartIDs(t *testing.T) {
	h := newHarness(t)
	line := id.New()
	for _, cartID := range []string{strings.Repeat("a", carts.MaxIDLen+1), "a.b", "a%20b", "ä", "a/b", "a%2Fb", "cart#1"} {
		for _, rq := range []req{
			{Route: cartRoute},
			{Route: "GET " + cartItemsRoute},
			{Route: "POST " + cartItemsRoute, Body: aCustomItem},
			{Route: "DELETE " + cartItemsRoute},
			{Route: "PUT " + cartItemRoute, Body: `{"data":{"type":"cart_item","quantity":1}}`},
			{Route: "DELETE " + cartItemRoute},
		} {
			rq.Path, rq.Headers = cartPath(cartID, line), bearer(h.implicit)
			h.db.Calls().Reset()
			r := h.do(rq)
			expect(t, r, 400)
			if e := errorsOf(t, r); len(e) != 1 || e[0]["source"] != "cartId" {
				t.Errorf("%s %q: %s", rq.Route, cartID, r.Body)
			}
			if calls := h.db.Calls().ByOp(); len(calls) != 0 {
				t.Errorf("%s %q: DynamoDB calls %v", rq.Route, cartID, calls)
			}
		}
	}
	for _, cartID := range []string{"a", strings.Repeat("Z", carts.MaxIDLen), "AZaz09_-", "2f6a7c1e9b0d4c3a8e5f"} {
		expect(t, h.do(req{Route: cartRoute, Path: cartPath(cartID), Headers: bearer(h.implicit)}), 200)
	}
}

func TestCartBadInput(t *testing.T) {
	h := newHarness(t)
	existing := h.addItem("bad", aCustomItem)
	before := h.cartItems("bad").Body
	long := func(n int) string { return strings.Repeat("x", n) }
	item := func(members string) string {
		return `{"data":{"type":"custom_item","name":"N","quantity":1,"price":{"amount":1}` + members + `}}`
	}
	cases := []struct {
		name    string
		body    string
		sources []string // the errors' sources, in order
		titles  []string
	}{
		{"wrong type", `{"data":{"type":"cart_item","id":"` + id.New() + `","quantity":1}}`, []string{"data.type", "data.name", "data.price"}, []string{"enum", "required", "required"}},
		{"nothing", `{"data":{}}`, []string{"data.type", "data.name", "data.quantity", "data.price"}, []string{"enum", "required", "required", "required"}},
		{"blank name", `{"data":{"type":"custom_item","name":"  ","quantity":1,"price":{"amount":1}}}`, []string{"data.name"}, []string{"required"}},
		{"empty name", `{"data":{"type":"custom_item","name":"","quantity":1,"price":{"amount":1}}}`, []string{"data.name"}, []string{"required"}},
		{"null name", `{"data":{"type":"custom_item","name":null,"quantity":1,"price":{"amount":1}}}`, []string{"data.name"}, []string{"type"}},
		{"name too long", `{"data":{"type":"custom_item","name":"` + long(carts.MaxNameLen+1) + `","quantity":1,"price":{"amount":1}}}`, []string{"data.name"}, []string{"length"}},
		{"name with a control character", `{"data":{"type":"custom_item","name":"a\u0000b","quantity":1,"price":{"amount":1}}}`, []string{"data.name"}, []string{"format"}},
		{"name not a string", `{"data":{"type":"custom_item","name":7,"quantity":1,"price":{"amount":1}}}`, []string{"data.name"}, []string{"type"}},
		{"sku too long", item(`,"sku":"` + long(carts.MaxSKULen+1) + `"`), []string{"data.sku"}, []string{"length"}},
		{"sku with a line break", item(`,"sku":"a\nb"`), []string{"data.sku"}, []string{"format"}},
		{"description too long", item(`,"description":"` + long(carts.MaxDescriptionLen+1) + `"`), []string{"data.description"}, []string{"length"}},
		{"description with a tab", item(`,"description":"a\tb"`), []string{"data.description"}, []string{"format"}},
		{"quantity 0", `{"data":{"type":"custom_item","name":"N","quantity":0,"price":{"amount":1}}}`, []string{"data.quantity"}, []string{"range"}},
		{"quantity 10001", `{"data":{"type":"custom_item","name":"N","quantity":10001,"price":{"amount":1}}}`, []string{"data.quantity"}, []string{"range"}},
		{"quantity negative", `{"data":{"type":"custom_item","name":"N","quantity":-1,"price":{"amount":1}}}`, []string{"data.quantity"}, []string{"range"}},
		{"quantity 1.5", `{"data":{"type":"custom_item","name":"N","quantity":1.5,"price":{"amount":1}}}`, []string{"data.quantity"}, []string{"type"}},
		{"quantity text", `{"data":{"type":"custom_item","name":"N","quantity":"2","price":{"amount":1}}}`, []string{"data.quantity"}, []string{"type"}},
		{"quantity null", `{"data":{"type":"custom_item","name":"N","quantity":null,"price":{"amount":1}}}`, []string{"data.quantity"}, []string{"type"}},
		{"quantity past int64", `{"data":{"type":"custom_item","name":"N","quantity":99999999999999999999,"price":{"amount":1}}}`, []string{"data.quantity"}, []string{"range"}},
		{"amount 10.5", `{"data":{"type":"custom_item","name":"N","quantity":1,"price":{"amount":10.5}}}`, []string{"data.price.amount"}, []string{"type"}},
		{"amount 10.0", `{"data":{"type":"custom_item","name":"N","quantity":1,"price":{"amount":10.0}}}`, []string{"data.price.amount"}, []string{"type"}},
		{"amount 1e2", `{"data":{"type":"custom_item","name":"N","quantity":1,"price":{"amount":1e2}}}`, []string{"data.price.amount"}, []string{"type"}},
		{"amount text", `{"data":{"type":"custom_item","name":"N","quantity":1,"price":{"amount":"10"}}}`, []string{"data.price.amount"}, []string{"type"}},
		{"amount negative", `{"data":{"type":"custom_item","name":"N","quantity":1,"price":{"amount":-1}}}`, []string{"data.price.amount"}, []string{"range"}},
		{"amount past 10^11", `{"data":{"type":"custom_item","name":"N","quantity":1,"price":{"amount":100000000001}}}`, []string{"data.price.amount"}, []string{"range"}},
		{"amount missing", `{"data":{"type":"custom_item","name":"N","quantity":1,"price":{"includes_tax":true}}}`, []string{"data.price.amount"}, []string{"required"}},
		{"includes_tax not a boolean", `{"data":{"type":"custom_item","name":"N","quantity":1,"price":{"amount":1,"includes_tax":"yes"}}}`, []string{"data.price.includes_tax"}, []string{"type"}},
		{"price not an object", `{"data":{"type":"custom_item","name":"N","quantity":1,"price":100}}`, []string{"data.price"}, []string{"type"}},
		{"price null", `{"data":{"type":"custom_item","name":"N","quantity":1,"price":null}}`, []string{"data.price"}, []string{"type"}},
		{"unknown price member", `{"data":{"type":"custom_item","name":"N","quantity":1,"price":{"amount":1,"currency":"EUR"}}}`, []string{"data.price.currency"}, []string{"unknown"}},
		{"a price with too many members", `{"data":{"type":"custom_item","name":"N","quantity":1,"price":{"amount":1,"a":1,"b":2}}}`, []string{"data.price"}, []string{"Bad Request"}},
		{"unknown member", item(`,"custom_inputs":{}`), []string{"data.custom_inputs"}, []string{"unknown"}},
		{"every bad member its own error", `{"data":{"type":"custom_item","name":"","sku":1,"description":"` + long(300) + `","quantity":0,"price":{"amount":1.5,"includes_tax":1}}}`,
			[]string{"data.description", "data.name", "data.price.amount", "data.price.includes_tax", "data.quantity", "data.sku"},
			[]string{"length", "required", "type", "type", "range", "type"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do(req{Route: "POST " + cartItemsRoute, Path: cartPath("bad"), Headers: bearer(h.implicit), Body: c.body})
			expect(t, r, 400)
			errs := errorsOf(t, r)
			if len(errs) != len(c.sources) {
				t.Fatalf("%d errors, want %d: %s", len(errs), len(c.sources), r.Body)
			}
			for i, e := range errs {
				if e["source"] != c.sources[i] || e["title"] != c.titles[i] || e["status"] != float64(400) || e["detail"] == "" {
					t.Errorf("error %d: %v, want %s %s", i, e, c.sources[i], c.titles[i])
				}
			}
		})
	}
	t.Run("updates", func(t *testing.T) {
		for _, c := range []struct{ body, source string }{
			{`{"data":{"type":"cart_item","quantity":0}}`, "data.quantity"},
			{`{"data":{"type":"cart_item","quantity":2.5}}`, "data.quantity"},
			{`{"data":{"type":"cart_item","name":null}}`, "data.name"},
			{`{"data":{"type":"cart_item","name":""}}`, "data.name"},
			{`{"data":{"type":"cart_item","price":{"amount":100000000001}}}`, "data.price.amount"},
			{`{"data":{"type":"cart_item","price":null}}`, "data.price"},
			{`{"data":{"type":"cart_item","id":"` + id.New() + `","quantity":1}}`, "data.id"},
			{`{"data":{"type":"product","quantity":1}}`, "data.type"},
			{`{"data":{"quantity":1}}`, "data.type"},
			{`{"data":{"type":"cart_item","shipping_group_id":"x"}}`, "data.shipping_group_id"},
		} {
			r := h.do(req{Route: "PUT " + cartItemRoute, Path: cartPath("bad", existing), Headers: bearer(h.implicit), Body: c.body})
			expect(t, r, 400)
			if e := errorsOf(t, r); len(e) != 1 || e[0]["source"] != c.source {
				t.Errorf("%s: %s", c.body, r.Body)
			}
		}
	})
	t.Run("echoed members are ignored", func(t *testing.T) {
		r := h.cartItems("bad")
		sent, _ := json.Marshal(map[string]any{"data": at(r.JSON, "data", 0)})
		expect(t, h.do(req{Route: "PUT " + cartItemRoute, Path: cartPath("bad", existing), Headers: bearer(h.implicit), Body: string(sent)}), 200)
	})
	t.Run("more members than an item can have is one error", func(t *testing.T) {
		body := `{"data":{"type":"custom_item"`
		for i := range 40 {
			body += fmt.Sprintf(`,"made_up_%d":%d`, i, i)
		}
		r := h.do(req{Route: "POST " + cartItemsRoute, Path: cartPath("bad"), Headers: bearer(h.implicit), Body: body + `}}`})
		expect(t, r, 400)
		if e := errorsOf(t, r); len(e) != 1 || e[0]["source"] != "data" {
			t.Errorf("%s", r.Body)
		}
	})
	t.Run("nothing was written", func(t *testing.T) {
		after := h.cartItems("bad").Body
		// The echoed PUT above touched the cart's times alone; the lines are as they were.
		var b, a struct{ Data []map[string]any }
		_ = json.Unmarshal([]byte(before), &b)
		_ = json.Unmarshal([]byte(after), &a)
		if len(a.Data) != 1 || fmt.Sprint(a.Data[0]["quantity"], a.Data[0]["name"], a.Data[0]["unit_price"]) !=
			fmt.Sprint(b.Data[0]["quantity"], b.Data[0]["name"], b.Data[0]["unit_price"]) {
			t.Errorf("before %s\nafter %s", before, after)
		}
	})
}

// TestCartLineCap: the cap is the add's condition, so parallel adds cannot pass it.
func TestCartLineCap(t *testing.T) {
	h := newHarness(t)
	for i := range carts.MaxLines - 5 {
		h.addItem("full", fmt.Sprintf(`{"data":{"type":"custom_item","name":"item %d","quantity":1,"price":{"amount":100}}}`, i))
	}
	const parallel = 20
	statuses := make([]response, parallel)
	var wg sync.WaitGroup
	for i := range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = h.do(req{Route: "POST " + cartItemsRoute, Path: cartPath("full"), Headers: bearer(h.implicit),
				Body: fmt.Sprintf(`{"data":{"type":"custom_item","name":"racer %d","quantity":1,"price":{"amount":100}}}`, i)})
		}()
	}
	wg.Wait()
	added := 0
	for _, r := range statuses {
		switch r.Status {
		case 201:
			added++
		case 400:
			if e := errorsOf(t, r); len(e) != 1 || e[0]["title"] != "limit" || e[0]["source"] != "data" {
				t.Errorf("%s", r.Body)
			}
		default:
			t.Errorf("status %d: %s", r.Status, r.Body)
		}
	}
	if added != 5 {
		t.Errorf("%d adds succeeded, want 5", added)
	}
	r := h.cartItems("full")
	if n := len(r.JSON["data"].([]any)); n != carts.MaxLines {
		t.Errorf("%d lines, want %d", n, carts.MaxLines)
	}
	if got := priceOf(at(exact(t, r.Body), "meta", "display_price", "with_tax")); got != "10000 USD $100.00" {
		t.Errorf("total %s", got)
	}
	// Removing a line makes room for one.
	expect(t, h.do(req{Route: "DELETE " + cartItemRoute, Path: cartPath("full", at(r.JSON, "data", 0, "id").(string)), Headers: bearer(h.implicit)}), 200)
	h.addItem("full", aCustomItem)
	expect(t, h.do(req{Route: "POST " + cartItemsRoute, Path: cartPath("full"), Headers: bearer(h.implicit), Body: aCustomItem}), 400)
}

// TestCartTotals: exact integer sums in minor units, formatted with the store currency's
// exponent, up to the largest cart.
func TestCartTotals(t *testing.T) {
	h := newHarness(t)
	setCurrency := func(code string) {
		t.Helper()
		expect(t, h.do(req{Route: "PUT /v2/settings", Headers: bearer(h.admin), Body: `{"data":{"type":"settings","currency":"` + code + `"}}`}), 200)
	}
	add := func(cartID string, quantity, amount int64) {
		t.Helper()
		h.addItem(cartID, fmt.Sprintf(`{"data":{"type":"custom_item","name":"x","quantity":%d,"price":{"amount":%d,"includes_tax":false}}}`, quantity, amount))
	}
	for _, c := range []struct {
		currency string
		lines    [][2]int64 // quantity, unit amount
		unit     string     // the first line's unit price
		total    string
	}{
		{"USD", [][2]int64{{3, 333}, {1, 1}}, "333 USD $3.33", "1000 USD $10.00"},
		{"EUR", [][2]int64{{2, 995}, {1, 10}}, "995 EUR €9.95", "2000 EUR €20.00"},
		{"GBP", [][2]int64{{1, 1}}, "1 GBP £0.01", "1 GBP £0.01"},
		{"JPY", [][2]int64{{3, 1234}, {1, 0}}, "1234 JPY ¥1234", "3702 JPY ¥3702"},
		{"KWD", [][2]int64{{7, 1001}, {1, 5}}, "1001 KWD KWD 1.001", "7012 KWD KWD 7.012"},
		{"USD", [][2]int64{{carts.MaxQuantity, carts.MaxAmount}}, "100000000000 USD $1000000000.00", "1000000000000000 USD $10000000000000.00"},
	} {
		t.Run(c.currency, func(t *testing.T) {
			setCurrency(c.currency)
			cartID := "totals-" + c.currency + fmt.Sprint(len(c.lines))
			for _, l := range c.lines {
				add(cartID, l[0], l[1])
			}
			body := exact(t, h.cartItems(cartID).Body)
			if got := priceOf(at(body, "data", 0, "meta", "display_price", "without_tax", "unit")); got != c.unit {
				t.Errorf("unit %s, want %s", got, c.unit)
			}
			for _, k := range []string{"with_tax", "without_tax"} {
				if got := priceOf(at(body, "meta", "display_price", k)); got != c.total {
					t.Errorf("%s %s, want %s", k, got, c.total)
				}
			}
			if got := at(body, "data", 0, "unit_price", "currency"); got != c.currency {
				t.Errorf("unit_price currency %v", got)
			}
		})
	}
	t.Run("the largest cart", func(t *testing.T) {
		setCurrency("USD")
		for range carts.MaxLines {
			add("largest", carts.MaxQuantity, carts.MaxAmount)
		}
		body := exact(t, h.cartItems("largest").Body)
		want := "100000000000000000 USD $1000000000000000.00"
		if got := priceOf(at(body, "meta", "display_price", "with_tax")); got != want {
			t.Errorf("total %s, want %s", got, want)
		}
		r := h.do(req{Route: cartRoute, Path: cartPath("largest"), Headers: bearer(h.implicit)})
		if got := priceOf(at(exact(t, r.Body), "data", "meta", "display_price", "with_tax")); got != want {
			t.Errorf("cart total %s, want %s", got, want)
		}
		setCurrency("KWD")
		if got := priceOf(at(exact(t, h.cartItems("largest").Body), "meta", "display_price", "with_tax")); got != "100000000000000000 KWD KWD 100000000000000.000" {
			t.Errorf("in KWD: %s", got)
		}
	})
}

// An add with an Idempotency-Key adds once: a retry gets the first answer again, another
// item under the key is a 422, parallel adds with one key make one line, and an add whose
// answer the network lost (the SDK sends the transaction again) counts once.
func TestCartAddIdempotent(t *testing.T) {
	h := newHarness(t)
	add := func(handlers map[string]api.HandlerFunc, cart, key, body string) response {
		return h.doWith(handlers, req{Route: "POST " + cartItemsRoute, Path: cartPath(cart), Headers: keyed(bearer(h.implicit), key), Body: body})
	}
	lines := func(cart string) int {
		r := h.do(req{Route: "GET " + cartItemsRoute, Path: cartPath(cart), Headers: bearer(h.implicit)})
		expect(t, r, 200)
		return len(r.JSON["data"].([]any))
	}
	first := add(h.handlers, "keyed", "add-1", aCustomItem)
	expect(t, first, 201)
	again := add(h.handlers, "keyed", "add-1", aCustomItem)
	expect(t, again, 201)
	if again.Body != first.Body || again.Headers["Idempotent-Replayed"] != "true" {
		t.Errorf("the retry: %v %s, want the first answer %s", again.Headers, again.Body, first.Body)
	}
	expect(t, add(h.handlers, "keyed", "add-1", strings.Replace(aCustomItem, `"quantity":2`, `"quantity":3`, 1)), 422)
	expect(t, add(h.handlers, "keyed", "add-2", aCustomItem), 201) // another key: another line
	if n := lines("keyed"); n != 2 {
		t.Errorf("%d lines, want 2", n)
	}

	var wg sync.WaitGroup
	statuses := make(chan int, 10)
	for range 10 {
		wg.Go(func() { statuses <- add(h.handlers, "parallel", "add-p", aCustomItem).Status })
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != 201 {
			t.Errorf("a parallel add: %d", s)
		}
	}
	if n := lines("parallel"); n != 1 {
		t.Errorf("10 parallel adds with one key: %d lines, want 1", n)
	}

	client, lost := h.db.Losing()
	_, losing := h.on(h.cfg, client)
	lost.Lose("TransactWriteItems", 1)
	expect(t, add(losing, "lost", "add-l", aCustomItem), 201)
	if lost.Lost() != 1 {
		t.Fatalf("%d answers lost, want 1", lost.Lost())
	}
	if n := lines("lost"); n != 1 {
		t.Errorf("an add whose answer was lost: %d lines, want 1", n)
	}
}
