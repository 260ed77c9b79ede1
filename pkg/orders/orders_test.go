package orders

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/acme/customers/pkg/addresses"
	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/filter"
	"github.com/acme/customers/pkg/problem"
)

func TestMatches(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	o := &Order{ID: "b", Customer: Customer{ID: "c-1", Name: "Ron Swanson", Email: "Ron@Example.com"},
		CreatedAt: t0, UpdatedAt: t0.Add(time.Hour)}
	guest := &Order{ID: "a", Customer: Customer{Name: "Guest", Email: "g@example.com"}, CreatedAt: t0}
	for _, tc := range []struct {
		filter string
		order  *Order
		want   bool
	}{
		{"eq(customer_id,c-1)", o, true},
		{"eq(customer_id,c-2)", o, false},
		{"eq(customer_id,c-1)", guest, false},
		{"eq(email,ron@example.com)", o, true},
		{"like(email,ron*)", o, false}, // like is case-sensitive
		{"like(email,Ron*)", o, true},
		{"eq(name,Ron Swanson)", o, true},
		{"eq(name,ron swanson)", o, false},
		{"like(name,*Swan*)", o, true},
		{"gt(created_at,2026-11-29)", o, true},
		{"gt(created_at,2026-11-30)", o, false},
		{"ge(created_at,2026-11-30)", o, true},
		{"lt(created_at,2026-11-30)", o, false},
		{"le(created_at,2026-11-30)", o, true},
		{"eq(updated_at,2026-11-30T13:00:00Z)", o, true},
		{"eq(updated_at,2026-11-30T12:00:00Z)", o, false},
		{"eq(customer_id,c-1):like(name,Ron*)", o, true},
		{"eq(customer_id,c-1):like(name,Les*)", o, false},
	} {
		f, err := filter.Parse(tc.filter, FilterSchema)
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		if got := Matches(tc.order, f); got != tc.want {
			t.Errorf("%s on %s: %v, want %v", tc.filter, tc.order.Customer.Name, got, tc.want)
		}
	}
	if Matches(o, filter.Filter{{Field: "nope", Op: filter.Eq, Values: []string{"x"}}}) {
		t.Error("an unknown field matched")
	}
}

func TestBefore(t *testing.T) {
	t0 := time.Now()
	a, b := &Order{ID: "a", CreatedAt: t0}, &Order{ID: "b", CreatedAt: t0}
	c := &Order{ID: "0", CreatedAt: t0.Add(time.Nanosecond)}
	if !Before(a, b) || Before(b, a) || Before(a, a) {
		t.Error("equal times: by id")
	}
	if !Before(b, c) || Before(c, a) {
		t.Error("by time first")
	}
}

func TestParseFilter(t *testing.T) {
	for _, raw := range []string{"eq(customer_id,not-an-id)", "eq(id,x)", "gt(email,a)", "eq(customer_id"} {
		if _, err := ParseFilter(raw); !problem.Is(err, problem.BadRequest) {
			t.Errorf("%s: err %v, want a 400", raw, err)
		}
	}
	if f, err := ParseFilter("eq(customer_id,6f1c3c2e-0a5b-4b8e-9d3a-2f7e1c9b0a11)"); err != nil || len(f) != 1 {
		t.Errorf("a customer id: %v, %v", f, err)
	}
}

func decodeObject(t *testing.T, s string) api.Object {
	t.Helper()
	var o api.Object
	if err := json.Unmarshal([]byte(s), &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestParseCheckout(t *testing.T) {
	const addr = `{"first_name":"Ron","last_name":"Swanson","line_1":"1 Pawnee Way","county":"W","postcode":"47998","country":"US"}`
	const id = "6f1c3c2e-0a5b-4b8e-9d3a-2f7e1c9b0a11"
	body := func(customer, extra string) string {
		return `{"customer":` + customer + `,"billing_address":` + addr + `,"shipping_address":` + addr + extra + `}`
	}
	for _, tc := range []struct {
		name    string
		body    string
		sources []string // nil: valid
	}{
		{"registered", body(`{"id":"`+id+`"}`, ""), nil},
		{"guest", body(`{"name":"G","email":" g@example.com "}`, ""), nil},
		{"with refs", body(`{"name":"G","email":"g@example.com"}`, `,"external_ref":"x","order_number":null,"type":"order"`), nil},
		{"refs of 64 characters", body(`{"name":"G","email":"g@example.com"}`, `,"external_ref":"`+strings.Repeat("é", 64)+`"`), nil},
		{"refs of 65 characters", body(`{"name":"G","email":"g@example.com"}`, `,"order_number":"`+strings.Repeat("x", 65)+`"`), []string{"data.order_number"}},
		{"a ref not a string", body(`{"name":"G","email":"g@example.com"}`, `,"external_ref":5`), []string{"data.external_ref"}},
		{"a ref with a control character", body(`{"name":"G","email":"g@example.com"}`, `,"external_ref":"a\nb"`), []string{"data.external_ref"}},
		{"no customer", `{"billing_address":` + addr + `,"shipping_address":` + addr + `}`, []string{"data"}},
		{"customer null", body(`null`, ""), []string{"data"}},
		{"customer not an object", body(`"x"`, ""), []string{"data.customer"}},
		{"a bad id", body(`{"id":"x"}`, ""), []string{"data.customer.id"}},
		{"id and guest", body(`{"id":"`+id+`","email":"g@example.com"}`, ""), []string{"data.customer"}},
		{"guest without a name", body(`{"email":"g@example.com"}`, ""), []string{"data.customer.name"}},
		{"guest with a blank name", body(`{"name":"  ","email":"g@example.com"}`, ""), []string{"data.customer.name"}},
		{"guest with a name of 256", body(`{"name":"`+strings.Repeat("n", 256)+`","email":"g@example.com"}`, ""), []string{"data.customer.name"}},
		{"guest with a name of 255", body(`{"name":"`+strings.Repeat("n", 255)+`","email":"g@example.com"}`, ""), nil},
		{"guest with a bad email", body(`{"name":"G","email":"nope"}`, ""), []string{"data.customer.email"}},
		{"guest with an extra member", body(`{"name":"G","email":"g@example.com","phone":"1"}`, ""), []string{"data.customer.phone"}},
		{"too many customer members", body(`{"name":"G","email":"g@example.com","a":1,"b":2}`, ""), []string{"data.customer"}},
		{"an unknown member", body(`{"name":"G","email":"g@example.com"}`, `,"coupon":"X"`), []string{"data.coupon"}},
		{"no billing address", `{"customer":{"name":"G","email":"g@example.com"},"shipping_address":` + addr + `}`, []string{"data.billing_address"}},
		{"an address not an object", body(`{"name":"G","email":"g@example.com"}`, "")[:0] + `{"customer":{"name":"G","email":"g@example.com"},"billing_address":[1],"shipping_address":` + addr + `}`, []string{"data.billing_address"}},
		{"a missing mandatory field", `{"customer":{"name":"G","email":"g@example.com"},"billing_address":` + addr + `,"shipping_address":{"first_name":"R"}}`,
			[]string{"data.shipping_address", "data.shipping_address", "data.shipping_address", "data.shipping_address", "data.shipping_address"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := parseCheckout(decodeObject(t, tc.body), Rules{Mandatory: addresses.DefaultMandatory})
			if tc.sources == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if in.billing["first_name"] != "Ron" || len(in.shipping) != len(addresses.Fields) {
					t.Errorf("addresses %v / %v", in.billing, in.shipping)
				}
				if in.customer.ID == "" && in.customer.Email != strings.TrimSpace(in.customer.Email) {
					t.Errorf("the guest's email is not trimmed: %q", in.customer.Email)
				}
				return
			}
			l, ok := problem.Problems(err)
			if !ok {
				t.Fatalf("err %v, want problems at %v", err, tc.sources)
			}
			var got []string
			for _, e := range l {
				got = append(got, e.Source)
				if e.Kind != problem.BadRequest {
					t.Errorf("%s: kind %v, want 400", e.Source, e.Kind)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.sources, ",") {
				t.Errorf("sources %v, want %v", got, tc.sources)
			}
		})
	}
}

// TestFilterValuesFitKeys: a value longer than its field can hold is refused before any
// read (it could make a key DynamoDB refuses: a 500).
func TestFilterValuesFitKeys(t *testing.T) {
	for _, raw := range []string{"eq(email," + strings.Repeat("e", 300) + "@x.com)", "like(name," + strings.Repeat("n", 1100) + "*)",
		"eq(customer_id," + strings.Repeat("a", 37) + ")"} {
		if _, err := ParseFilter(raw); !problem.Is(err, problem.BadRequest) {
			t.Errorf("%.30s…: err %v, want a 400", raw, err)
		}
	}
}
