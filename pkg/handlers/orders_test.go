package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/orders"
	"github.com/acme/customers/pkg/store"
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
	seen = h.followByCursor(t, req{Route: "GET /v2/orders", Headers: asRon})
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

// updateOrder sends PUT /v2/orders/{orderId}.
func (h *harness) updateOrder(orderID string, headers map[string]string, body string) response {
	h.t.Helper()
	return h.updateOrderWith(h.handlers, orderID, headers, body)
}

func (h *harness) updateOrderWith(handlers map[string]api.HandlerFunc, orderID string, headers map[string]string, body string) response {
	h.t.Helper()
	return h.doWith(handlers, req{Route: "PUT /v2/orders/{orderId}", Path: map[string]string{"orderId": orderID}, Headers: headers, Body: body})
}

// getOrder reads an order as staff.
func (h *harness) getOrder(orderID string) response {
	h.t.Helper()
	r := h.do(req{Route: "GET /v2/orders/{orderId}", Path: map[string]string{"orderId": orderID}, Headers: bearer(h.admin)})
	expect(h.t, r, 200)
	return r
}

// historyEntry is the order as its customer's history lists it (GET /v2/orders with the
// customer's token); nil when the history does not hold it.
func (h *harness) historyEntry(headers map[string]string, orderID string) map[string]any {
	h.t.Helper()
	r := h.do(req{Route: "GET /v2/orders", Headers: headers})
	expect(h.t, r, 200)
	for _, o := range r.JSON["data"].([]any) {
		if o.(map[string]any)["id"] == orderID {
			return o.(map[string]any)
		}
	}
	return nil
}

// storedWithID returns every item of the table whose id attribute is id: an order and, for
// a registered customer's, its copy in the customer's history.
func (h *harness) storedWithID(id string) []map[string]types.AttributeValue {
	h.t.Helper()
	out, err := h.db.Scan(context.Background(), &dynamodb.ScanInput{TableName: &h.db.Table, ConsistentRead: aws.Bool(true),
		FilterExpression: aws.String("id = :id"), ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: id}}})
	if err != nil {
		h.t.Fatal(err)
	}
	return out.Items
}

// linesItem reads an order's lines item as stored.
func (h *harness) linesItem(orderID string) map[string]types.AttributeValue {
	h.t.Helper()
	out, err := h.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &h.db.Table, ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "ORDER#" + orderID}, "SK": &types.AttributeValueMemberS{Value: "LINES"}}})
	if err != nil || out.Item == nil {
		h.t.Fatalf("the lines of %s: %v", orderID, err)
	}
	return out.Item
}

// eraseHistory erases a deleted customer as the scheduled cleanup does (store.EraseCustomer):
// its orders redacted, the copies of them in its partition deleted.
func (h *harness) eraseHistory(customerID string) {
	h.t.Helper()
	res, err := store.New(h.db.Client, h.db.Table).EraseCustomer(context.Background(), customerID, time.Now())
	if err != nil || !res.Tombstone || res.Links == 0 {
		h.t.Fatalf("erase %s: %+v, %v", customerID, res, err)
	}
}

// placeOrder checks a one-line cart out with headers for customer (a checkout's JSON
// object) and returns the order's id.
func (h *harness) placeOrder(cartID string, headers map[string]string, customer string) string {
	h.t.Helper()
	h.put(cartID, "Bacon", 2, 250)
	r := h.checkout(cartID, headers, checkoutBody(customer))
	expect(h.t, r, 201)
	return data(r)["id"].(string)
}

func timestampsOf(o map[string]any) map[string]any {
	return o["meta"].(map[string]any)["timestamps"].(map[string]any)
}

// withRonsOrder is a fresh harness with Ron Swanson, his customer token and an order he
// checked out.
func withRonsOrder(t *testing.T) (h *harness, ron string, asRon map[string]string, orderID string) {
	h = newHarness(t)
	ron = h.createCustomer("Ron Swanson", "ron@example.com")
	asRon = withCustomer(h.implicit, h.customerToken("ron@example.com"))
	return h, ron, asRon, h.placeOrder("rons-cart", asRon, `{"id":"`+ron+`"}`)
}

// TestUpdateOrder: staff change an order's payment, fulfilment, status, references and
// shipping address, partially; the customer's history shows the order as it is now; the
// original's rules on fulfilled orders hold.
func TestUpdateOrder(t *testing.T) {
	h, ron, asRon, id := withRonsOrder(t)
	staff := bearer(h.admin)
	lines := h.linesItem(id)

	// change updates id with body, checks the answer against want (member → value) and
	// against the order read back and the customer's history, and returns the order.
	change := func(t *testing.T, id, body string, want map[string]any) map[string]any {
		t.Helper()
		before := h.getOrder(id)
		r := h.updateOrder(id, staff, `{"data":{"type":"order",`+body+`}}`)
		expect(t, r, 200)
		got := data(r)
		for k, v := range want {
			if !reflect.DeepEqual(got[k], v) {
				t.Errorf("%s = %v, want %v: %s", k, got[k], v, r.Body)
			}
		}
		if read := data(h.getOrder(id)); !reflect.DeepEqual(read, got) {
			t.Errorf("the answer is not the order as read back:\n%v\n%v", got, read)
		}
		was := timestampsOf(data(before))
		if ts := timestampsOf(got); ts["created_at"] != was["created_at"] || ts["updated_at"] == was["updated_at"] {
			t.Errorf("timestamps %v, before %v", ts, was)
		}
		return got
	}

	t.Run("payment", func(t *testing.T) {
		for _, p := range []string{"authorized", "paid", "refunded", "unpaid"} {
			change(t, id, `"payment":"`+p+`"`, map[string]any{"payment": p, "shipping": "unfulfilled", "status": "incomplete"})
		}
	})
	t.Run("references: set, then cleared with null", func(t *testing.T) {
		change(t, id, `"external_ref":"erp-1001","order_number":"A-1"`, map[string]any{"external_ref": "erp-1001", "order_number": "A-1"})
		change(t, id, `"order_number":"A-2"`, map[string]any{"external_ref": "erp-1001", "order_number": "A-2"})
		change(t, id, `"external_ref":null`, map[string]any{"external_ref": nil, "order_number": "A-2"})
		long := strings.Repeat("é", orders.MaxRefLen)
		change(t, id, `"external_ref":"`+long+`"`, map[string]any{"external_ref": long})
	})
	t.Run("shipping address: the fields named", func(t *testing.T) {
		before := data(h.getOrder(id))
		got := change(t, id, `"shipping_address":{"city":"Eagleton","line_2":"Suite 2","instructions":"Ring twice\nthen wait"}`, nil)
		want := before["shipping_address"].(map[string]any)
		want["city"], want["line_2"], want["instructions"] = "Eagleton", "Suite 2", "Ring twice\nthen wait"
		if !reflect.DeepEqual(got["shipping_address"], want) {
			t.Errorf("shipping_address %v, want %v", got["shipping_address"], want)
		}
		if !reflect.DeepEqual(got["billing_address"], before["billing_address"]) {
			t.Errorf("billing_address changed: %v", got["billing_address"])
		}
		// null clears a field that is not mandatory.
		got = change(t, id, `"shipping_address":{"line_2":null}`, nil)
		if a := got["shipping_address"].(map[string]any); a["line_2"] != "" || a["city"] != "Eagleton" {
			t.Errorf("shipping_address %v", a)
		}
	})
	t.Run("the history copy changes with the order", func(t *testing.T) {
		got := change(t, id, `"payment":"authorized","order_number":"A-3"`, nil)
		if entry := h.historyEntry(asRon, id); !reflect.DeepEqual(entry, got) {
			t.Errorf("Ron's history shows\n%v\nthe order is\n%v", entry, got)
		}
		staffList := h.do(req{Route: "GET /v2/orders", Query: "filter=eq(customer_id," + ron + ")", Headers: staff})
		expect(t, staffList, 200)
		if l := staffList.JSON["data"].([]any); len(l) != 1 || !reflect.DeepEqual(l[0], got) {
			t.Errorf("the staff's view of Ron's history: %s", staffList.Body)
		}
		if items := h.storedWithID(id); len(items) != 2 {
			t.Errorf("%d items carry the order's id, want 2 (the order and its copy)", len(items))
		}
		if !reflect.DeepEqual(h.linesItem(id), lines) {
			t.Error("the order's lines item changed")
		}
	})
	t.Run("a guest's order has no copy", func(t *testing.T) {
		guest := h.placeOrder("u-guest", bearer(h.implicit), `{"name":"Guest","email":"ron@example.com"}`)
		change(t, guest, `"payment":"paid","shipping":"fulfilled","external_ref":"guest-1"`,
			map[string]any{"payment": "paid", "shipping": "fulfilled", "external_ref": "guest-1"})
		if items := h.storedWithID(guest); len(items) != 1 {
			t.Errorf("%d items carry the guest order's id, want 1", len(items))
		}
		if h.historyEntry(asRon, guest) != nil {
			t.Error("the guest's order (Ron's email) joined Ron's history")
		}
	})
	t.Run("a round trip: the order sent back as read changes nothing", func(t *testing.T) {
		read := h.getOrder(id)
		body, _ := json.Marshal(map[string]any{"data": data(read)})
		r := h.updateOrder(id, staff, string(body))
		expect(t, r, 200)
		if !reflect.DeepEqual(data(r), data(read)) {
			t.Errorf("a round trip changed the order:\n%s\n%s", read.Body, r.Body)
		}
		// What the SDK's Orders.Update(id, body) sends: the body and the type.
		expect(t, h.updateOrder(id, staff, `{"data":{"shipping_address":{"first_name":"Ronald"},"type":"order"}}`), 200)
	})
	t.Run("fulfilment: only a paid order; then shipping, its address and status stay", func(t *testing.T) {
		o := h.placeOrder("u-fulfil", asRon, `{"id":"`+ron+`"}`)
		for _, p := range []string{"unpaid", "authorized", "refunded"} {
			r := h.updateOrder(o, staff, `{"data":{"type":"order","payment":"`+p+`","shipping":"fulfilled"}}`)
			expectProblem(t, r, 400, "data.shipping", "not paid")
		}
		change(t, o, `"payment":"paid","shipping":"fulfilled"`, map[string]any{"payment": "paid", "shipping": "fulfilled"})
		for member, body := range map[string]string{
			"shipping":         `"shipping":"unfulfilled"`,
			"shipping_address": `"shipping_address":{"city":"Eagleton"}`,
			"status":           `"status":"cancelled"`,
		} {
			r := h.updateOrder(o, staff, `{"data":{"type":"order",`+body+`}}`)
			expectProblem(t, r, 400, "data."+member, "fulfilled")
		}
		// The same values again are no change; the payment and references still change.
		read := h.getOrder(o)
		same := h.updateOrder(o, staff, `{"data":{"type":"order","shipping":"fulfilled","status":"incomplete","shipping_address":{"city":""}}}`)
		expect(t, same, 200)
		if !reflect.DeepEqual(data(same), data(read)) {
			t.Errorf("sending the order's own values changed it: %s", same.Body)
		}
		change(t, o, `"payment":"refunded","external_ref":"rma-7"`, map[string]any{"payment": "refunded", "shipping": "fulfilled"})
	})
	t.Run("cancelling: final, and never fulfilled", func(t *testing.T) {
		o := h.placeOrder("u-cancel", asRon, `{"id":"`+ron+`"}`)
		expectProblem(t, h.updateOrder(o, staff, `{"data":{"type":"order","status":"cancelled","payment":"paid","shipping":"fulfilled"}}`),
			400, "data.shipping", "cancelled")
		change(t, o, `"status":"cancelled"`, map[string]any{"status": "cancelled", "shipping": "unfulfilled"})
		expectProblem(t, h.updateOrder(o, staff, `{"data":{"type":"order","status":"incomplete"}}`), 400, "data.status", "cancelled")
		expectProblem(t, h.updateOrder(o, staff, `{"data":{"type":"order","payment":"paid","shipping":"fulfilled"}}`), 400, "data.shipping", "cancelled")
		// A cancelled order's payment may still be recorded (a refund is made by hand).
		change(t, o, `"payment":"refunded"`, map[string]any{"status": "cancelled", "payment": "refunded"})
		if entry := h.historyEntry(asRon, o); entry["status"] != "cancelled" {
			t.Errorf("Ron's history shows %v", entry["status"])
		}
	})
	t.Run("unknown orders", func(t *testing.T) {
		for _, unknown := range []string{"00000000-0000-4000-8000-000000000000", "not-an-id"} {
			expect(t, h.updateOrder(unknown, staff, `{"data":{"type":"order","payment":"paid"}}`), 404)
		}
	})
}

// expectProblem checks a status and that one error entry has source ("": none) and title.
func expectProblem(t *testing.T, r response, status int, source, title string) {
	t.Helper()
	expect(t, r, status)
	for _, e := range errorsOf(t, r) {
		if src, _ := e["source"].(string); src == source && e["title"] == title {
			return
		}
	}
	t.Errorf("no error with source %s and title %q: %s", source, title, r.Body)
}

// TestUpdateOrderBadInput: each bad member is its own 400 naming it, and a refused update
// writes nothing.
func TestUpdateOrderBadInput(t *testing.T) {
	h, _, _, id := withRonsOrder(t)
	before := h.getOrder(id)
	staff := bearer(h.admin)
	for _, c := range []struct {
		name, members, source, title string
	}{
		{"no type", `"payment":"paid"`, "data.type", "enum"},
		{"another type", `"type":"customer","payment":"paid"`, "data.type", "enum"},
		{"another order's id", `"type":"order","id":"00000000-0000-4000-8000-000000000000"`, "data.id", "mismatch"},
		{"an id that is not a string", `"type":"order","id":7`, "data.id", "mismatch"},
		{"a status staff do not set", `"type":"order","status":"complete"`, "data.status", "enum"},
		{"a status that is not a string", `"type":"order","status":true`, "data.status", "enum"},
		{"a payment the original does not have", `"type":"order","payment":"free"`, "data.payment", "enum"},
		{"a null payment", `"type":"order","payment":null`, "data.payment", "enum"},
		{"shipping that is not a fulfilment status", `"type":"order","shipping":"shipped"`, "data.shipping", "enum"},
		{"an overlong external_ref", `"type":"order","external_ref":"` + strings.Repeat("x", orders.MaxRefLen+1) + `"`, "data.external_ref", "format"},
		{"an external_ref that is a number", `"type":"order","external_ref":5`, "data.external_ref", "format"},
		{"an order_number with a control character", `"type":"order","order_number":"A\u0007"`, "data.order_number", "format"},
		{"a null shipping address", `"type":"order","shipping_address":null`, "data.shipping_address", "type"},
		{"a shipping address that is a string", `"type":"order","shipping_address":"1 Pawnee Way"`, "data.shipping_address", "type"},
		{"an unknown address field", `"type":"order","shipping_address":{"planet":"Mars"}`, "data.shipping_address.planet", "unknown"},
		{"an address field that is a number", `"type":"order","shipping_address":{"city":5}`, "data.shipping_address.city", "type"},
		{"an overlong address field", `"type":"order","shipping_address":{"city":"` + strings.Repeat("x", 256) + `"}`, "data.shipping_address.city", "length"},
		{"a mandatory field blanked", `"type":"order","shipping_address":{"first_name":"  "}`, "data.shipping_address", "required"},
		{"a mandatory field cleared", `"type":"order","shipping_address":{"postcode":null}`, "data.shipping_address", "required"},
		{"another customer", `"type":"order","customer":{"name":"Tammy"}`, "data.customer", "immutable"},
		{"a customer's id", `"type":"order","customer":{"id":"00000000-0000-4000-8000-000000000000"}`, "data.customer", "immutable"},
		{"no customer", `"type":"order","customer":null`, "data.customer", "immutable"},
		{"another billing address", `"type":"order","billing_address":{"city":"Eagleton"}`, "data.billing_address", "immutable"},
		{"a billing address that is not an object", `"type":"order","billing_address":[]`, "data.billing_address", "type"},
		{"a member the original outputs and this service does not", `"type":"order","anonymized":false`, "data.anonymized", "unknown"},
		{"an unknown member", `"type":"order","coupon":"FREE"`, "data.coupon", "unknown"},
		{"too many members", `"type":"order","a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13`, "data", "Bad Request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := h.updateOrder(id, staff, `{"data":{`+c.members+`}}`)
			expectProblem(t, r, 400, c.source, c.title)
		})
	}
	t.Run("every bad member its own error", func(t *testing.T) {
		r := h.updateOrder(id, staff, `{"data":{"type":"order","status":"paid","payment":"free","shipping":"shipped","external_ref":7,"shipping_address":{"planet":"Mars","first_name":""},"coupon":1}}`)
		expect(t, r, 400)
		want := []string{"data.status", "data.payment", "data.shipping", "data.external_ref", "data.shipping_address.planet", "data.shipping_address", "data.coupon"}
		var got []string
		for _, e := range errorsOf(t, r) {
			got = append(got, e["source"].(string))
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("sources %v, want %v", got, want)
		}
	})
	if after := h.getOrder(id); after.Body != before.Body {
		t.Errorf("refused updates changed the order:\n%s\n%s", before.Body, after.Body)
	}
}

// TestUpdateOrderAccess: staff alone change orders; a shopper, with or without a customer
// token, cannot (not even their own order), nor staff acting for a customer.
func TestUpdateOrderAccess(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron Swanson", "ron@example.com")
	ronToken := h.customerToken("ron@example.com")
	id := h.placeOrder("access", withCustomer(h.implicit, ronToken), `{"id":"`+ron+`"}`)
	before := h.getOrder(id)
	body := `{"data":{"type":"order","payment":"paid"}}`
	for _, c := range []struct {
		name    string
		headers map[string]string
		status  int
	}{
		{"no token", nil, 401},
		{"implicit alone", bearer(h.implicit), 403},
		{"implicit with the order's own customer token", withCustomer(h.implicit, ronToken), 403},
		{"client_credentials with a customer token", withCustomer(h.admin, ronToken), 403},
		{"client_credentials with a bad customer token", withCustomer(h.admin, "abc"), 403},
	} {
		t.Run(c.name, func(t *testing.T) {
			h.db.Calls().Reset()
			r := h.updateOrder(id, c.headers, body)
			expect(t, r, c.status)
			if calls := h.db.Calls().ByOp(); len(calls) != 0 {
				t.Errorf("DynamoDB calls %v before the refusal", calls)
			}
			if strings.Contains(r.Body, id) || strings.Contains(r.Body, "Ron") {
				t.Errorf("the refusal tells of the order: %s", r.Body)
			}
		})
	}
	if after := h.getOrder(id); after.Body != before.Body {
		t.Errorf("a refused caller changed the order: %s", after.Body)
	}
}

// interposed is a DynamoDB client that runs before once, just before its first transaction:
// another request landing between an update's read and its write.
type interposed struct {
	store.API
	once   sync.Once
	before func()
}

func (i *interposed) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	i.once.Do(i.before)
	return i.API.TransactWriteItems(ctx, in, opts...)
}

// TestUpdateOrderConcurrency: an update that lost a race to another is a 409 and writes
// nothing; parallel updates of one order are each applied in full or refused, never lost.
func TestUpdateOrderConcurrency(t *testing.T) {
	h, _, asRon, id := withRonsOrder(t)
	staff := bearer(h.admin)

	t.Run("a change between the read and the write", func(t *testing.T) {
		_, late := h.on(h.cfg, &interposed{API: h.db.Client, before: func() {
			expect(t, h.updateOrder(id, staff, `{"data":{"type":"order","external_ref":"first"}}`), 200)
		}})
		r := h.updateOrderWith(late, id, staff, `{"data":{"type":"order","payment":"paid","external_ref":"second"}}`)
		expectProblem(t, r, 409, "", "Conflict")
		o := data(h.getOrder(id))
		if o["external_ref"] != "first" || o["payment"] != "unpaid" {
			t.Errorf("after the conflict: %v %v", o["external_ref"], o["payment"])
		}
		if entry := h.historyEntry(asRon, id); !reflect.DeepEqual(entry, o) {
			t.Errorf("Ron's history shows %v, the order is %v", entry, o)
		}
	})
	t.Run("parallel updates of different members", func(t *testing.T) {
		// Through a client that cancels overlapping transactions, as DynamoDB does.
		client, _ := h.db.Conflicting()
		_, racing := h.on(h.cfg, client)
		tally := map[string]int{}
		for round := range 8 {
			bodies := []string{
				fmt.Sprintf(`{"data":{"type":"order","external_ref":"ref-%d"}}`, round),
				fmt.Sprintf(`{"data":{"type":"order","order_number":"no-%d"}}`, round),
			}
			statuses := make([]int, len(bodies))
			var wg sync.WaitGroup
			for i, b := range bodies {
				wg.Go(func() { statuses[i] = h.updateOrderWith(racing, id, staff, b).Status })
			}
			wg.Wait()
			o := data(h.getOrder(id))
			applied := []bool{o["external_ref"] == fmt.Sprintf("ref-%d", round), o["order_number"] == fmt.Sprintf("no-%d", round)}
			for i, s := range statuses {
				if s != 200 && s != 409 || (s == 200) != applied[i] {
					t.Fatalf("round %d: statuses %v, the order has external_ref %v, order_number %v", round, statuses, o["external_ref"], o["order_number"])
				}
			}
			tally[fmt.Sprint(statuses)]++
			if statuses[0] != 200 && statuses[1] != 200 {
				t.Fatalf("round %d: neither update went through: %v", round, statuses)
			}
			if entry := h.historyEntry(asRon, id); !reflect.DeepEqual(entry, o) {
				t.Fatalf("round %d: Ron's history shows %v, the order is %v", round, entry, o)
			}
		}
		t.Logf("statuses of the 8 rounds: %v", tally)
	})
}

// TestUpdateOrderWithoutHistory: once the cleanup of a deleted customer has erased its
// history, staff still update its orders, and the history is not written again.
func TestUpdateOrderWithoutHistory(t *testing.T) {
	h := newHarness(t)
	april := h.createCustomer("April Ludgate", "april@example.com")
	id := h.placeOrder("gone", bearer(h.admin), `{"id":"`+april+`"}`)
	expect(t, h.do(req{Route: "DELETE /v2/customers/{customerId}", Path: map[string]string{"customerId": april}, Headers: bearer(h.admin)}), 204)
	// Before the cleanup, the copy still changes with the order.
	expect(t, h.updateOrder(id, bearer(h.admin), `{"data":{"type":"order","payment":"authorized"}}`), 200)
	if items := h.storedWithID(id); len(items) != 2 {
		t.Fatalf("%d items carry the order's id, want the order and its copy", len(items))
	}
	h.eraseHistory(april)
	h.db.Calls().Reset()
	r := h.updateOrder(id, bearer(h.admin), `{"data":{"type":"order","payment":"paid"}}`)
	expect(t, r, 200)
	if data(r)["payment"] != "paid" || data(h.getOrder(id))["payment"] != "paid" {
		t.Errorf("the order was not updated: %s", r.Body)
	}
	if calls := h.db.Calls().ByOp(); calls["TransactWriteItems"] != 2 {
		t.Errorf("calls %v: want the transaction with the copy, then the order's alone", calls)
	}
	if items := h.storedWithID(id); len(items) != 1 {
		t.Errorf("%d items carry the order's id: the erased copy came back", len(items))
	}
}

// TestDeletedCustomersOrders: deleting a customer keeps its orders (the cleanup erases what
// is personal in them later): staff still read and list them; the customer's token, dead,
// reads nothing.
func TestDeletedCustomersOrders(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	token := h.customerToken("ron@example.com")
	h.put("gone", "Bacon", 1, 100)
	r := h.checkout("gone", withCustomer(h.implicit, token), checkoutBody(`{"id":"`+ron+`"}`))
	expect(t, r, 201)
	id := data(r)["id"].(string)
	expect(t, h.do(req{Route: "DELETE /v2/customers/{customerId}", Path: map[string]string{"customerId": ron}, Headers: bearer(h.admin)}), 204)
	expect(t, h.do(req{Route: "GET /v2/orders/{orderId}", Path: map[string]string{"orderId": id}, Headers: bearer(h.admin)}), 200)
	list := h.do(req{Route: "GET /v2/orders", Query: "filter=eq(customer_id," + ron + ")", Headers: bearer(h.admin)})
	expect(t, list, 200)
	if n := len(list.JSON["data"].([]any)); n != 1 {
		t.Errorf("staff see %d of the deleted customer's orders, want 1", n)
	}
	expect(t, h.do(req{Route: "GET /v2/orders/{orderId}", Path: map[string]string{"orderId": id}, Headers: withCustomer(h.implicit, token)}), 403)
	expect(t, h.do(req{Route: "GET /v2/orders", Headers: withCustomer(h.implicit, token)}), 403)
	if m := data(h.getOrder(id))["meta"].(map[string]any); m["redacted_at"] != nil {
		t.Errorf("an order not erased yet shows redacted_at: %v", m)
	}
	// The cleanup erases Ron: staff still read and list the order, without his personal data.
	h.eraseHistory(ron)
	for _, o := range []map[string]any{data(h.getOrder(id)), h.do(req{Route: "GET /v2/orders", Query: "filter=eq(customer_id," + ron + ")",
		Headers: bearer(h.admin)}).JSON["data"].([]any)[0].(map[string]any)} {
		c, m := o["customer"].(map[string]any), o["meta"].(map[string]any)
		if c["id"] != ron || c["name"] != store.Redacted || c["email"] != store.Redacted || m["redacted_at"] == nil {
			t.Errorf("an erased customer's order: customer %v, meta %v", c, m)
		}
		if a := o["shipping_address"].(map[string]any); a["first_name"] != store.Redacted || a["line_2"] != "" {
			t.Errorf("an erased customer's order: shipping address %v", a)
		}
		if rel := o["relationships"].(map[string]any)["customer"].(map[string]any)["data"].(map[string]any); rel["id"] != ron {
			t.Errorf("relationships.customer %v: want the id kept", rel)
		}
	}
	expect(t, h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": ron}, Headers: bearer(h.admin)}), 404)
}
