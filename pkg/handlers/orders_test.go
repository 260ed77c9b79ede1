package handlers

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// put puts a custom item in a cart.
func (h *harness) put(cartID, name string, quantity, amount int) {
	h.t.Helper()
	h.addItem(cartID, fmt.Sprintf(`{"data":{"type":"custom_item","name":%q,"sku":"sku-%s","description":"a thing","quantity":%d,"price":{"amount":%d,"includes_tax":true}}}`,
		name, strings.ToLower(name), quantity, amount))
}

const anOrderAddress = `{"first_name":"Ron","last_name":"Swanson","line_1":"1 Pawnee Way","county":"Wamapoke","postcode":"47998","country":"US"}`

// checkoutBody is a checkout of customer (a JSON object) to anOrderAddress.
func checkoutBody(customer string) string {
	return `{"data":{"customer":` + customer + `,"billing_address":` + anOrderAddress + `,"shipping_address":` + anOrderAddress + `}}`
}

func (h *harness) checkout(cartID string, headers map[string]string, body string) response {
	h.t.Helper()
	return h.do(req{Route: "POST /v2/carts/{cartId}/checkout", Path: map[string]string{"cartId": cartID}, Headers: headers, Body: body})
}

func TestCheckout(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron Swanson", "ron@example.com")
	leslie := h.createCustomer("Leslie Knope", "leslie@example.com")
	ronToken := h.customerToken("ron@example.com")
	asRon := withCustomer(h.implicit, ronToken)

	t.Run("a customer checks out their own cart", func(t *testing.T) {
		h.put("cart-ron", "Bacon", 3, 250)
		h.put("cart-ron", "Eggs", 2, 1099)
		r := h.checkout("cart-ron", asRon, checkoutBody(`{"id":"`+ron+`"}`))
		expect(t, r, 201)
		o := data(r)
		cust := o["customer"].(map[string]any)
		if o["type"] != "order" || o["status"] != "incomplete" || o["payment"] != "unpaid" || o["shipping"] != "unfulfilled" ||
			cust["id"] != ron || cust["name"] != "Ron Swanson" || cust["email"] != "ron@example.com" {
			t.Errorf("order %s", r.Body)
		}
		rel := o["relationships"].(map[string]any)
		if rel["customer"].(map[string]any)["data"].(map[string]any)["id"] != ron || len(rel["items"].(map[string]any)["data"].([]any)) != 2 {
			t.Errorf("relationships %v", rel)
		}
		prices := o["meta"].(map[string]any)["display_price"].(map[string]any)
		for name, want := range map[string]int{"with_tax": 3*250 + 2*1099, "without_tax": 3*250 + 2*1099, "balance_owing": 3*250 + 2*1099,
			"tax": 0, "paid": 0, "authorized": 0, "discount": 0, "shipping": 0} {
			if got := prices[name].(map[string]any)["amount"]; got != float64(want) {
				t.Errorf("display_price.%s %v, want %d", name, got, want)
			}
		}
		if rel["cart"].(map[string]any)["data"].(map[string]any)["id"] != "cart-ron" {
			t.Errorf("relationships.cart %v", rel["cart"])
		}
		// The cart is empty now: checking it out again is a 400, not a second order.
		expect(t, h.checkout("cart-ron", asRon, checkoutBody(`{"id":"`+ron+`"}`)), 400)
		// The order is Ron's: in his history, readable with his token.
		id := o["id"].(string)
		expect(t, h.do(req{Route: "GET /v2/orders/{orderId}", Path: map[string]string{"orderId": id}, Headers: asRon}), 200)
		items := h.do(req{Route: "GET /v2/orders/{orderId}/items", Path: map[string]string{"orderId": id}, Headers: asRon})
		expect(t, items, 200)
		if n := len(items.JSON["data"].([]any)); n != 2 {
			t.Errorf("%d items, want 2: %s", n, items.Body)
		}
		list := h.do(req{Route: "GET /v2/orders", Headers: asRon})
		expect(t, list, 200)
		if got := list.JSON["data"].([]any); len(got) != 1 || got[0].(map[string]any)["id"] != id {
			t.Errorf("history %s", list.Body)
		}
	})
	t.Run("a guest checks out; the order is nobody's, even with a customer's email", func(t *testing.T) {
		h.put("cart-guest", "Waffles", 1, 500)
		r := h.checkout("cart-guest", bearer(h.implicit), checkoutBody(`{"name":"Guest","email":"leslie@example.com"}`))
		expect(t, r, 201)
		o := data(r)
		if c := o["customer"].(map[string]any); c["id"] != nil || c["email"] != "leslie@example.com" || o["relationships"].(map[string]any)["customer"] != nil {
			t.Errorf("guest order %s", r.Body)
		}
		list := h.do(req{Route: "GET /v2/orders", Headers: withCustomer(h.implicit, h.customerToken("leslie@example.com"))})
		expect(t, list, 200)
		if n := len(list.JSON["data"].([]any)); n != 0 {
			t.Errorf("Leslie's history holds the guest's order: %s", list.Body)
		}
	})
	t.Run("who may check out whom", func(t *testing.T) {
		h.put("cart-who", "Steak", 1, 2000)
		for _, c := range []struct {
			name    string
			headers map[string]string
			id      string
			status  int
		}{
			{"implicit alone for a customer", bearer(h.implicit), ron, 403},
			{"another customer's token", withCustomer(h.implicit, h.customerToken("leslie@example.com")), ron, 403},
			{"a customer's token on an unknown customer", asRon, "00000000-0000-4000-8000-000000000000", 403},
			{"no access token", nil, ron, 401},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := h.checkout("cart-who", c.headers, checkoutBody(`{"id":"`+c.id+`"}`))
				expect(t, r, c.status)
				if strings.Contains(r.Body, "Ron") || strings.Contains(r.Body, "ron@") {
					t.Errorf("the refusal tells of Ron: %s", r.Body)
				}
			})
		}
		expect(t, h.checkout("cart-who", bearer(h.admin), checkoutBody(`{"id":"00000000-0000-4000-8000-000000000000"}`)), 404)
		// Staff may check out any customer.
		r := h.checkout("cart-who", bearer(h.admin), checkoutBody(`{"id":"`+leslie+`"}`))
		expect(t, r, 201)
	})
	// A storefront that ships to a saved address passes it to the SDK's Checkout as it read
	// it (the SDK's type for it is Partial<CustomerAddress>, id and type included): the
	// members the API outputs besides the fields are ignored, as the address endpoints do.
	t.Run("a saved address as read", func(t *testing.T) {
		addressID := h.createAddress(ron)
		read := h.do(req{Route: "GET /v2/customers/{customerId}/addresses/{addressId}",
			Path: map[string]string{"customerId": ron, "addressId": addressID}, Headers: asRon})
		expect(t, read, 200)
		saved, _ := json.Marshal(data(read)) // type, id, the fields, links, meta
		h.put("cart-saved", "Whisky", 1, 5000)
		r := h.checkout("cart-saved", asRon, `{"data":{"customer":{"id":"`+ron+`"},"billing_address":`+string(saved)+`,"shipping_address":`+string(saved)+`}}`)
		expect(t, r, 201)
		for _, which := range []string{"billing_address", "shipping_address"} {
			a := data(r)[which].(map[string]any)
			if a["line_1"] != "1 Pawnee Way" || a["country"] != "US" || a["id"] != nil || a["type"] != nil || a["links"] != nil {
				t.Errorf("%s %v", which, a)
			}
		}
	})
	t.Run("bad bodies change nothing", func(t *testing.T) {
		h.put("cart-bad", "Ham", 1, 100)
		for _, c := range []struct{ name, body, source string }{
			{"no customer", `{"data":{"billing_address":` + anOrderAddress + `,"shipping_address":` + anOrderAddress + `}}`, "data"},
			{"guest without email", checkoutBody(`{"name":"Guest"}`), "data.customer.email"},
			{"guest with a bad email", checkoutBody(`{"name":"Guest","email":"nope"}`), "data.customer.email"},
			{"id and guest", checkoutBody(`{"id":"` + ron + `","name":"Guest","email":"g@example.com"}`), "data.customer"},
			{"no billing address", `{"data":{"customer":{"name":"G","email":"g@example.com"},"shipping_address":` + anOrderAddress + `}}`, "data.billing_address"},
			{"a mandatory field missing", `{"data":{"customer":{"name":"G","email":"g@example.com"},"billing_address":{"first_name":"Ron","last_name":"S","line_1":"1","county":"W","postcode":"1"},"shipping_address":` + anOrderAddress + `}}`, "data.billing_address"},
			{"an unknown address field", `{"data":{"customer":{"name":"G","email":"g@example.com"},"billing_address":{"planet":"Mars"},"shipping_address":` + anOrderAddress + `}}`, "data.billing_address.planet"},
			{"an address of another type", `{"data":{"customer":{"name":"G","email":"g@example.com"},"billing_address":` + anOrderAddress + `,"shipping_address":{"type":"customer","first_name":"Ron","last_name":"Swanson","line_1":"1 Pawnee Way","county":"Wamapoke","postcode":"47998","country":"US"}}}`, "data.shipping_address.type"},
			{"an address with too many members", `{"data":{"customer":{"name":"G","email":"g@example.com"},"billing_address":{` + manyMembers(30) + `},"shipping_address":` + anOrderAddress + `}}`, "data.billing_address"},
			{"an unknown member", `{"data":{"customer":{"name":"G","email":"g@example.com"},"billing_address":` + anOrderAddress + `,"shipping_address":` + anOrderAddress + `,"coupon":"FREE"}}`, "data.coupon"},
			{"an overlong external_ref", `{"data":{"customer":{"name":"G","email":"g@example.com"},"billing_address":` + anOrderAddress + `,"shipping_address":` + anOrderAddress + `,"external_ref":"` + strings.Repeat("x", 65) + `"}}`, "data.external_ref"},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := h.checkout("cart-bad", bearer(h.admin), c.body)
				expect(t, r, 400)
				found := false
				for _, e := range errorsOf(t, r) {
					found = found || e["source"] == c.source
				}
				if !found {
					t.Errorf("no error with source %s: %s", c.source, r.Body)
				}
			})
		}
		// The cart still holds its item.
		r := h.do(req{Route: "GET /v2/carts/{cartId}/items", Path: map[string]string{"cartId": "cart-bad"}, Headers: bearer(h.implicit)})
		expect(t, r, 200)
		if n := len(r.JSON["data"].([]any)); n != 1 {
			t.Errorf("the cart holds %d items after refused checkouts", n)
		}
	})
	t.Run("an empty cart", func(t *testing.T) {
		expect(t, h.checkout("never-written", bearer(h.admin), checkoutBody(`{"name":"G","email":"g@example.com"}`)), 400)
	})
}

// TestCheckoutRaces: one cart checked out 20 times at once makes one order; a customer
// deleted while checking out gets none.
func TestCheckoutRaces(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	h.put("race", "Bacon", 1, 100)
	const n = 20
	var wg sync.WaitGroup
	statuses := make(chan int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- h.checkout("race", bearer(h.admin), checkoutBody(`{"id":"`+ron+`"}`)).Status
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[201] != 1 || count[201]+count[400]+count[409] != n {
		t.Errorf("statuses %v: want one order, the others 400 (empty cart) or 409 (cart changed)", count)
	}
	list := h.do(req{Route: "GET /v2/orders", Query: "filter=eq(customer_id," + ron + ")", Headers: bearer(h.admin)})
	expect(t, list, 200)
	if got := len(list.JSON["data"].([]any)); got != 1 {
		t.Errorf("%d orders in Ron's history, want 1", got)
	}

	// Deleted before the checkout lands: no order linked to a dead customer.
	leslie := h.createCustomer("Leslie", "leslie@example.com")
	token := h.customerToken("leslie@example.com")
	h.put("doomed", "Waffles", 1, 100)
	expect(t, h.do(req{Route: "DELETE /v2/customers/{customerId}", Path: map[string]string{"customerId": leslie}, Headers: bearer(h.admin)}), 204)
	expect(t, h.checkout("doomed", withCustomer(h.implicit, token), checkoutBody(`{"id":"`+leslie+`"}`)), 403)
	expect(t, h.checkout("doomed", bearer(h.admin), checkoutBody(`{"id":"`+leslie+`"}`)), 404)
}

// TestOrderAccess: who reads which order.
func TestOrderAccess(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	h.createCustomer("Leslie", "leslie@example.com")
	asRon := withCustomer(h.implicit, h.customerToken("ron@example.com"))
	asLeslie := withCustomer(h.implicit, h.customerToken("leslie@example.com"))
	h.put("c1", "Bacon", 1, 100)
	r := h.checkout("c1", asRon, checkoutBody(`{"id":"`+ron+`"}`))
	expect(t, r, 201)
	id := data(r)["id"].(string)
	for _, route := range []string{"GET /v2/orders/{orderId}", "GET /v2/orders/{orderId}/items"} {
		path := map[string]string{"orderId": id}
		expect(t, h.do(req{Route: route, Path: path, Headers: asRon}), 200)
		expect(t, h.do(req{Route: route, Path: path, Headers: bearer(h.admin)}), 200)
		other := h.do(req{Route: route, Path: path, Headers: asLeslie})
		expect(t, other, 404)
		if strings.Contains(other.Body, "Ron") || strings.Contains(other.Body, id) {
			t.Errorf("a refusal tells of Ron's order: %s", other.Body)
		}
		expect(t, h.do(req{Route: route, Path: path, Headers: bearer(h.implicit)}), 403)
		expect(t, h.do(req{Route: route, Path: path}), 401)
		expect(t, h.do(req{Route: route, Path: map[string]string{"orderId": "00000000-0000-4000-8000-000000000000"}, Headers: bearer(h.admin)}), 404)
	}
	expect(t, h.do(req{Route: "GET /v2/orders", Headers: bearer(h.implicit)}), 403)
	all := h.do(req{Route: "GET /v2/orders", Headers: bearer(h.admin)})
	expect(t, all, 200)
	if got := all.JSON["data"].([]any); len(got) != 1 || got[0].(map[string]any)["id"] != id {
		t.Errorf("the staff list: %s", all.Body)
	}
}

// TestOrderHistoryPages: newest first, paged, with the total kept on the customer.
func TestOrderHistoryPages(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	asRon := withCustomer(h.implicit, h.customerToken("ron@example.com"))
	var ids []string
	for i := 0; i < 5; i++ {
		cart := fmt.Sprintf("history-%d", i)
		h.put(cart, "Bacon", 1, 100+i)
		r := h.checkout(cart, asRon, checkoutBody(`{"id":"`+ron+`"}`))
		expect(t, r, 201)
		ids = append([]string{data(r)["id"].(string)}, ids...) // newest first
	}
	var seen []string
	for offset := 0; offset < 6; offset += 2 {
		r := h.do(req{Route: "GET /v2/orders", Query: fmt.Sprintf("page[limit]=2&page[offset]=%d", offset), Headers: asRon})
		expect(t, r, 200)
		if total := r.JSON["meta"].(map[string]any)["results"].(map[string]any)["total"]; total != float64(5) {
			t.Errorf("total %v, want 5", total)
		}
		for _, o := range r.JSON["data"].([]any) {
			seen = append(seen, o.(map[string]any)["id"].(string))
		}
	}
	if strings.Join(seen, ",") != strings.Join(ids, ",") {
		t.Errorf("pages gave %v, want %v (newest first)", seen, ids)
	}
	// The same by following links.next: each link carries a cursor, and a page reached by
	// it reads from there (the profile alongside), not past the offset.
	seen = nil
	query := "page[limit]=2"
	for page := 0; query != ""; page++ {
		h.db.Calls().Reset()
		r := h.do(req{Route: "GET /v2/orders", Query: query, Headers: asRon})
		expect(t, r, 200)
		if calls := h.db.Calls().ByOp(); page > 0 && (calls["Query"] != 1 || calls["GetItem"] != 1) {
			t.Errorf("page %d by cursor made %v, want one Query and one GetItem", page+1, calls)
		}
		for _, o := range r.JSON["data"].([]any) {
			seen = append(seen, o.(map[string]any)["id"].(string))
		}
		query = ""
		if next, _ := r.JSON["links"].(map[string]any)["next"].(string); next != "" {
			if !strings.Contains(next, "page[cursor]=") {
				t.Fatalf("next link without a cursor: %s", next)
			}
			query = next[strings.Index(next, "?")+1:]
		}
		if page > 5 {
			t.Fatal("links.next never ends")
		}
	}
	if strings.Join(seen, ",") != strings.Join(ids, ",") {
		t.Errorf("following links.next gave %v, want %v", seen, ids)
	}
	// Another customer's cursor, or a forged one, is a 400.
	other := h.do(req{Route: "GET /v2/orders", Query: "page[limit]=2", Headers: asRon})
	next := other.JSON["links"].(map[string]any)["next"].(string)
	h.createCustomer("Leslie", "leslie@example.com")
	asLeslie := withCustomer(h.implicit, h.customerToken("leslie@example.com"))
	expect(t, h.do(req{Route: "GET /v2/orders", Query: next[strings.Index(next, "?")+1:], Headers: asLeslie}), 400)
	expect(t, h.do(req{Route: "GET /v2/orders", Query: "page[limit]=2&page[offset]=2&page[cursor]=forged", Headers: asRon}), 400)
	// The customer's addresses are not read with the orders, nor the orders with them.
	h.createAddress(ron)
	r := h.do(req{Route: "GET /v2/customers/{customerId}/addresses", Path: map[string]string{"customerId": ron}, Headers: asRon})
	expect(t, r, 200)
	if n := len(r.JSON["data"].([]any)); n != 1 {
		t.Errorf("%d addresses, want 1: %s", n, r.Body)
	}
}

// manyMembers is n distinct JSON object members, without the braces.
func manyMembers(n int) string {
	m := make([]string, n)
	for i := range m {
		m[i] = fmt.Sprintf(`"m%d":"x"`, i)
	}
	return strings.Join(m, ",")
}
