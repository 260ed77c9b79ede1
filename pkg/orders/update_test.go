package orders

import (
	"encoding/json"
	"testing"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/problem"
)

// TestUpdateRules: what an update may change, from every state an order can be in.
func TestUpdateRules(t *testing.T) {
	order := func(status, payment, shipping string) *Order {
		return &Order{ID: "o", Status: status, Payment: payment, Fulfilment: shipping,
			Customer: Customer{ID: "c", Name: "Ron", Email: "ron@example.com"},
			Billing:  map[string]string{"first_name": "Ron"}, Shipping: map[string]string{"first_name": "Ron", "city": "Pawnee"}}
	}
	open := order(StatusIncomplete, PaymentUnpaid, ShippingPending)
	paid := order(StatusIncomplete, PaymentPaid, ShippingPending)
	done := order(StatusIncomplete, PaymentPaid, ShippingFulfilled)
	cancelled := order(StatusCancelled, PaymentPaid, ShippingPending)
	guest := order(StatusIncomplete, PaymentUnpaid, ShippingPending)
	guest.Customer.ID = ""
	for _, c := range []struct {
		name   string
		cur    *Order
		body   string
		source string // of the refusal; "" when accepted
		title  string
		same   bool // accepted, and changes nothing
	}{
		{"pay", open, `"payment":"paid"`, "", "", false},
		{"fulfil an unpaid order", open, `"shipping":"fulfilled"`, "data.shipping", "not paid", false},
		{"pay and fulfil at once", open, `"payment":"paid","shipping":"fulfilled"`, "", "", false},
		{"fulfil a paid order", paid, `"shipping":"fulfilled"`, "", "", false},
		{"fulfil while refunding", paid, `"payment":"refunded","shipping":"fulfilled"`, "data.shipping", "not paid", false},
		{"cancel", open, `"status":"cancelled"`, "", "", false},
		{"cancel and fulfil", paid, `"status":"cancelled","shipping":"fulfilled"`, "data.shipping", "cancelled", false},
		{"fulfil a cancelled order", cancelled, `"shipping":"fulfilled"`, "data.shipping", "cancelled", false},
		{"reopen a cancelled order", cancelled, `"status":"incomplete"`, "data.status", "cancelled", false},
		{"refund a cancelled order", cancelled, `"payment":"refunded"`, "", "", false},
		{"move a cancelled order's address", cancelled, `"shipping_address":{"city":"Eagleton"}`, "", "", false},
		{"unfulfil", done, `"shipping":"unfulfilled"`, "data.shipping", "fulfilled", false},
		{"cancel a fulfilled order", done, `"status":"cancelled"`, "data.status", "fulfilled", false},
		{"move a fulfilled order's address", done, `"shipping_address":{"city":"Eagleton"}`, "data.shipping_address", "fulfilled", false},
		{"a fulfilled order's own values", done, `"shipping":"fulfilled","status":"incomplete","shipping_address":{"city":"Pawnee","line_2":null}`, "", "", true},
		{"refund a fulfilled order", done, `"payment":"refunded","external_ref":"rma-1"`, "", "", false},
		{"its own customer and billing address", open, `"customer":{"id":"c","name":"Ron","email":"ron@example.com"},"billing_address":{"first_name":"Ron","city":null}`, "", "", true},
		{"a guest's own customer", guest, `"customer":{"name":"Ron","email":"ron@example.com"}`, "", "", true},
		{"another customer name", open, `"customer":{"name":"Ronald"}`, "data.customer", "immutable", false},
		{"a customer id on a guest's order", guest, `"customer":{"id":"c"}`, "data.customer", "immutable", false},
		{"a member the customer does not have", open, `"customer":{"phone":"555"}`, "data.customer", "immutable", false},
		{"another billing address", open, `"billing_address":{"city":"Eagleton"}`, "data.billing_address", "immutable", false},
		{"the same external_ref cleared twice", open, `"external_ref":null`, "", "", true},
		{"nothing", open, `"meta":{},"links":{},"relationships":{}`, "", "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body api.Object
			if err := json.Unmarshal([]byte(`{"type":"order",`+c.body+`}`), &body); err != nil {
				t.Fatal(err)
			}
			p, err := parseUpdate(body, "o", Rules{Mandatory: []string{"first_name"}})
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			next, err := p.apply(c.cur)
			if c.source == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if same(c.cur, next) != c.same {
					t.Errorf("same = %v, want %v", !c.same, c.same)
				}
				return
			}
			l, ok := problem.Problems(err)
			if !ok || len(l) != 1 || l[0].Source != c.source || l[0].Title != c.title || l[0].Kind != problem.BadRequest {
				t.Errorf("got %v, want a 400 %q at %s", err, c.title, c.source)
			}
		})
	}
}
