package soak

import (
	"strings"
	"testing"
	"time"

	"github.com/acme/customers/pkg/store"
)

// newTable builds a table from items as a Scan would return them (numbers as float64).
func newTable(items ...item) *table {
	t := emptyTable()
	for _, it := range items {
		t.add(it)
	}
	return t
}

// A consistent table: one customer with an address and an order, its claim, the counts,
// and a cart.
func consistentItems() []item {
	return []item{
		{"PK": "CUSTOMER#c1", "SK": "#PROFILE", "id": "c1", "email": "A@x.com", "email_key": "a@x.com", "address_count": 1.0, "order_count": 1.0},
		{"PK": "CUSTOMER#c1", "SK": "ADDRESS#a1", "id": "a1", "fields": map[string]any{"name": "m1"}},
		{"PK": "CUSTOMER#c1", "SK": "#ORDER#t\x1fo1", "id": "o1"},
		{"PK": "EMAIL#a@x.com", "SK": "EMAIL", "customer_id": "c1"},
		{"PK": "COUNT#customers#03", "SK": "COUNT", "count": 1.0},
		{"PK": "ORDER#o1", "SK": "ORDER", "id": "o1", "customer_id": "c1", "cart_id": "k1", "total": 500.0},
		{"PK": "ORDER#o1", "SK": "LINES", "lines": []any{map[string]any{}}},
		{"PK": "COUNT#orders#05", "SK": "COUNT", "count": 1.0},
		{"PK": "CART#k2", "SK": "CART", "n": 2.0, "line:i1": map[string]any{}, "line:i2": map[string]any{}},
	}
}

// Each invariant Consistency holds is broken once, and found; the consistent table passes.
func TestConsistency(t *testing.T) {
	tests := []struct {
		name   string
		change func([]item) []item
		want   string // in a violation
	}{
		{"consistent", func(its []item) []item { return its }, ""},
		{"claim missing", func(its []item) []item { return its[:3:3] }, "has no claim"},
		{"claim of another", func(its []item) []item { its[3]["customer_id"] = "c2"; return its }, "names c2"},
		{"two customers, one email", func(its []item) []item {
			return append(its, item{"PK": "CUSTOMER#c2", "SK": "#PROFILE", "id": "c2", "email_key": "a@x.com"},
				item{"PK": "COUNT#customers#04", "SK": "COUNT", "count": 1.0})
		}, "2 live customers"},
		{"customer count", func(its []item) []item { its[4]["count"] = 2.0; return its }, "count shards add up to 2"},
		{"address count", func(its []item) []item { its[0]["address_count"] = 2.0; return its }, "address_count 2, 1 addresses"},
		{"order count", func(its []item) []item { its[0]["order_count"] = 0.0; return its }, "order_count 0, 1 history links"},
		{"order lines missing", func(its []item) []item { return append(its[:6:6], its[7:]...) }, "no lines item"},
		{"order not in history", func(its []item) []item { return append(its[:2:2], its[3:]...) }, "not in its customer's history"},
		{"live customer's order redacted", func(its []item) []item { its[5]["redacted_at"] = "2026-12-01T00:00:00Z"; return its }, "order o1 of live customer c1 is redacted"},
		{"two orders for a cart", func(its []item) []item {
			return append(its, item{"PK": "ORDER#o2", "SK": "ORDER", "id": "o2", "cart_id": "k1"}, item{"PK": "ORDER#o2", "SK": "LINES"})
		}, "cart k1 has 2 orders"},
		{"cart count", func(its []item) []item { its[8]["n"] = 3.0; return its }, "n = 3, 2 lines"},
		{"address of no customer", func(its []item) []item {
			return append(its, item{"PK": "CUSTOMER#gone", "SK": "ADDRESS#a9", "fields": map[string]any{}})
		}, "no live profile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var all []string
			for _, c := range Consistency(newTable(tt.change(consistentItems())...)) {
				all = append(all, c.Violations...)
			}
			got := strings.Join(all, "\n")
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("violations:\n%s\nwant one with %q", got, tt.want)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[int]time.Duration{50: 50 * time.Millisecond, 95: 95 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond} {
		if got := pct(ds, p); got != want {
			t.Errorf("p%d = %s, want %s", p, got, want)
		}
	}
	if pct(nil, 50) != 0 || pct(ds[:1], 99) != time.Millisecond {
		t.Error("short samples")
	}
}

// A table after an erasure: live customer c1 (consistentItems), c2 deleted and erased,
// its order o2 redacted and kept.
func erasedItems() []item {
	redacted := map[string]any{"first_name": store.Redacted, "line_2": ""}
	return append(consistentItems(),
		item{"PK": "ORDER#o2", "SK": "ORDER", "id": "o2", "customer_id": "c2", "cart_id": "k3", "customer_name": store.Redacted,
			"customer_email": store.Redacted, "redacted_at": "2026-12-01T00:00:00Z", "billing_address": redacted, "shipping_address": redacted},
		item{"PK": "ORDER#o2", "SK": "LINES", "lines": []any{map[string]any{}}},
		item{"PK": "COUNT#orders#06", "SK": "COUNT", "count": 1.0},
		item{"PK": "LOGIN#gone-2@x.com", "SK": "W#1"}, // a log-in tried after the delete: TTL's
	)
}

func erasedLedger() *ledger {
	ref := "crm-2"
	led := newLedger()
	led.Customers = []*customerRec{
		{ID: "c1", Acked: customerValues{Name: "Live", Email: "A@x.com"}, Sent: []customerValues{{Name: "Live", Email: "A@x.com"}}},
		{ID: "c2", Deleted: true, Sent: []customerValues{{Name: "Gone Shopper 2", Email: "gone-2@x.com"}, {Name: "Gone Shopper 2 renamed", Email: "gone-2@x.com", ExternalRef: &ref}},
			Addresses: map[string]*addressRec{"a2": {ID: "a2", Marker: "soak r c00 a2"}}, Orders: []string{"o2"}},
	}
	return led
}

// The erasure's checks pass an erased customer, and find each thing an erasure must not
// leave; Consistency takes a redacted order without its history link.
func TestErasure(t *testing.T) {
	tests := []struct {
		name   string
		change func([]item) []item
		want   string // in a failing check's violation
		info   string // in an Info check's
	}{
		{"erased", func(its []item) []item { return its }, "", ""},
		{"tombstone left", func(its []item) []item {
			return append(its, item{"PK": "CUSTOMER#c2", "SK": "#PROFILE", "id": "c2", "deleted_at": "2026-12-01T00:00:00Z"})
		}, "c2 is still a tombstone", ""},
		{"address left", func(its []item) []item {
			return append(its, item{"PK": "CUSTOMER#c2", "SK": "ADDRESS#a2", "fields": map[string]any{"name": "soak r c00 a2"}})
		}, "has 1 addresses left", ""},
		{"history link left", func(its []item) []item {
			return append(its, item{"PK": "CUSTOMER#c2", "SK": "#ORDER#t\x1fo2", "id": "o2"})
		}, "has 1 history links left", ""},
		{"claim left", func(its []item) []item {
			return append(its, item{"PK": "EMAIL#gone-2@x.com", "SK": "EMAIL", "customer_id": "c2"})
		}, "holds the claim on gone-2@x.com", ""},
		{"order not redacted", func(its []item) []item { its[len(its)-4]["customer_name"] = "Gone Shopper 2"; return its }, "not redacted", ""},
		{"order address not redacted", func(its []item) []item {
			its[len(its)-4]["shipping_address"] = map[string]any{"line_1": "1 Gone Road"}
			return its
		}, `shipping_address.line_1 is "1 Gone Road"`, ""},
		{"a mark in a key", func(its []item) []item {
			return append(its, item{"PK": "CUSTOMER#c1", "SK": "X", "GSI2SK": "gone shopper 2 renamed\x1fc2"})
		}, `holds "gone shopper 2 renamed"`, ""},
		{"a mark in a stored answer", func(its []item) []item {
			return append(its, item{"PK": "IDEMPOTENCY#k", "SK": "IDEMPOTENCY", "body": `{"data":{"external_ref":"CRM-2"}}`})
		}, `holds "crm-2"`, ""},
		{"a longer value is no mark", func(its []item) []item {
			return append(its, item{"PK": "CART#k9", "SK": "CART", "name": "Gone Shopper 20", "n": 0.0})
		}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := newTable(tt.change(erasedItems())...)
			led := erasedLedger()
			var failing, info []string
			for _, c := range append(Consistency(tab), reconcileErasure(tab, led, erasedCustomers(tab, led))...) {
				if c.Info {
					info = append(info, c.Violations...)
				} else {
					failing = append(failing, c.Violations...)
				}
			}
			for _, w := range []struct {
				got  []string
				want string
			}{{failing, tt.want}, {info, tt.info}} {
				got := strings.Join(w.got, "\n")
				if w.want == "" && got != "" || w.want != "" && !strings.Contains(got, w.want) {
					t.Errorf("violations:\n%s\nwant one with %q", got, w.want)
				}
			}
		})
	}
}
