package handlers

import (
	"strconv"
	"strings"
	"testing"

	"github.com/acme/customers/pkg/api"
)

// TestErrorsStayBounded: no body, however large, makes an error answer grow with it (a
// Lambda response is at most 6 MB; API Gateway answers a 5xx past it).
func TestErrorsStayBounded(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	// Many made-up members, up to the 1 MiB body limit.
	var many strings.Builder
	many.WriteString(`{"data":{"type":"customer","name":"Ron","email":"a@example.com"`)
	for i := 0; many.Len() < api.MaxBody-100; i++ {
		many.WriteString(`,"member_` + strings.Repeat("x", 20) + strconv.Itoa(i) + `":1`)
	}
	many.WriteString(`}}`)
	long := strings.Repeat("n", 200_000)
	order := map[string]string{"orderId": h.placeOrder("bounds", bearer(h.admin), `{"name":"Guest","email":"g@example.com"}`)}
	var manyFields strings.Builder
	manyFields.WriteString(`{"data":{"type":"order","shipping_address":{"city":"Pawnee"`)
	for i := 0; manyFields.Len() < api.MaxBody-100; i++ {
		manyFields.WriteString(`,"field_` + strconv.Itoa(i) + `":"x"`)
	}
	manyFields.WriteString(`}}}`)
	mandatory := `{"data":{"type":"settings","address_mandatory_fields":["` + strings.Repeat(`nope","`, 5000) + `line_1"]}}`

	for _, c := range []struct {
		name   string
		r      req
		status int
		max    int // errors entries at most
	}{
		{"sign-up with 40,000 unknown members", req{Route: "POST /v2/customers", Headers: bearer(h.admin), Body: many.String()}, 400, 1},
		{"update with 40,000 unknown members", req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": ron},
			Headers: bearer(h.admin), Body: strings.Replace(many.String(), `"type":"customer","name":"Ron","email":"a@example.com"`, `"type":"customer"`, 1)}, 400, 1},
		{"address with 40,000 unknown members", req{Route: "POST /v2/customers/{customerId}/addresses", Path: map[string]string{"customerId": ron},
			Headers: bearer(h.admin), Body: strings.Replace(many.String(), `"type":"customer","name":"Ron","email":"a@example.com"`, `"type":"address"`, 1)}, 400, 1},
		{"a 200 kB member name", req{Route: "POST /v2/customers", Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","name":"Ron","email":"b@example.com","` + long + `":1}}`}, 422, 1},
		{"a 200 kB address member name", req{Route: "POST /v2/customers/{customerId}/addresses", Path: map[string]string{"customerId": ron},
			Headers: bearer(h.admin), Body: `{"data":{"type":"address","` + long + `":1}}`}, 400, 8},
		{"a 200 kB duplicated key", req{Route: "POST /v2/customers", Headers: bearer(h.admin),
			Body: `{"data":{"` + long + `":1,"` + long + `":2}}`}, 400, 1},
		{"order update with 40,000 unknown members", req{Route: "PUT /v2/orders/{orderId}", Path: order, Headers: bearer(h.admin),
			Body: strings.Replace(many.String(), `"type":"customer","name":"Ron","email":"a@example.com"`, `"type":"order"`, 1)}, 400, 1},
		{"a shipping address of 1 MiB of members", req{Route: "PUT /v2/orders/{orderId}", Path: order, Headers: bearer(h.admin),
			Body: manyFields.String()}, 400, 1},
		{"a 200 kB member name in an order update", req{Route: "PUT /v2/orders/{orderId}", Path: order, Headers: bearer(h.admin),
			Body: `{"data":{"type":"order","` + long + `":1,"shipping_address":{"` + long + `":1}}}`}, 400, 2},
		{"5,000 unknown mandatory fields", req{Route: "PUT /v2/settings", Headers: bearer(h.admin), Body: mandatory}, 400, api.MaxErrors + 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := h.do(c.r)
			expect(t, r, c.status)
			errs := errorsOf(t, r)
			if len(errs) > c.max {
				t.Errorf("%d error entries, want at most %d", len(errs), c.max)
			}
			if len(r.Body) > 8192 {
				t.Errorf("a %d-byte error answer: %.300s", len(r.Body), r.Body)
			}
			if c.max == api.MaxErrors+1 {
				if last := errs[len(errs)-1]; !strings.Contains(last["detail"].(string), "4980 more") {
					t.Errorf("the last entry does not say how many were left out: %v", last)
				}
			}
		})
	}
	// Nothing was written.
	r := h.do(req{Route: "GET /v2/customers", Headers: bearer(h.admin)})
	expect(t, r, 200)
	if n := len(r.JSON["data"].([]any)); n != 1 {
		t.Errorf("%d customers after refused bodies, want 1", n)
	}
}
