package store

import (
	"context"
	"testing"

	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/flows"
)

// TestRangeOnTimes: time keys run from year 1 to the end of year 9999. A bound past every
// key leaves an empty range (List reads nothing); one that every key meets is no bound.
func TestRangeOnTimes(t *testing.T) {
	const day = "2018-04-16T00:00:00.000000000Z"
	cases := []struct {
		filter string
		field  customers.SortField
		found  bool
		empty  bool
		lo, hi string // "" for no bound
	}{
		{"gt(created_at,9999-12-31)", customers.SortCreatedAt, true, true, "", ""},
		{"gt(created_at,253402300799999)", customers.SortCreatedAt, true, true, "", ""},
		{"gt(updated_at,9999-12-31T23:59:59.999999999Z)", customers.SortUpdatedAt, true, true, "", ""},
		{"gt(updated_at,9999-12-31T23:59:59.999999998Z)", customers.SortUpdatedAt, true, false, "9999-12-31T23:59:59.999999999Z", ""},
		{"ge(created_at,253402300799999)", customers.SortCreatedAt, true, false, "9999-12-31T23:59:59.999000000Z", ""},
		{"eq(created_at,9999-12-31)", customers.SortCreatedAt, true, false, "9999-12-31T00:00:00.000000000Z", ""},
		{"le(created_at,9999-12-31)", customers.SortCreatedAt, false, false, "", ""},
		{"le(created_at,9999-12-31T23:59:59.999999998Z)", customers.SortCreatedAt, true, false, "", "9999-12-31T23:59:59.999999998Z" + idMax},
		{"lt(created_at,9999-12-31T23:59:59.999999999Z)", customers.SortCreatedAt, true, false, "", "9999-12-31T23:59:59.999999998Z" + idMax},
		{"le(created_at,253402300799999)", customers.SortCreatedAt, false, false, "", ""},
		{"lt(created_at,0001-01-01)", customers.SortCreatedAt, true, true, "", ""},
		{"lt(created_at,0)", customers.SortCreatedAt, true, false, "", "1969-12-31T23:59:59.999999999Z" + idMax},
		{"ge(created_at,0001-01-01)", customers.SortCreatedAt, false, false, "", ""},
		{"gt(created_at,0001-01-01T00:00:00Z)", customers.SortCreatedAt, true, false, "0001-01-01T00:00:01.000000000Z", ""},
		{"ge(created_at,2018-04-16):le(created_at,9999-12-31)", customers.SortCreatedAt, true, false, day, ""},
		{"gt(created_at,2018-04-16):lt(created_at,2018-04-16)", customers.SortCreatedAt, true, true, "2018-04-17T00:00:00.000000000Z", "2018-04-15T23:59:59.999999999Z" + idMax},
		{"eq(created_at,2018-04-16)", customers.SortCreatedAt, true, false, day, "2018-04-16T23:59:59.999999999Z" + idMax},
		{"gt(created_at,9999-12-31)", customers.SortUpdatedAt, false, false, "", ""}, // another field's range
		{"le(updated_at,9999-12-31):lt(updated_at,9999-12-31T23:59:59.999999999Z)", customers.SortUpdatedAt, true, false, "", "9999-12-31T23:59:59.999999998Z" + idMax},
	}
	for _, c := range cases {
		t.Run(c.filter+" on "+string(c.field), func(t *testing.T) {
			f, err := customers.ParseFilter(c.filter, flows.Schema{})
			if err != nil {
				t.Fatal(err)
			}
			r, found := customerList.rangeOn(f, string(c.field))
			deref := func(p *string) string {
				if p == nil {
					return ""
				}
				return *p
			}
			if found != c.found || r.empty() != c.empty || deref(r.lo) != c.lo || deref(r.hi) != c.hi {
				t.Errorf("found %v, empty %v, [%q, %q]; want %v, %v, [%q, %q]", found, r.empty(), deref(r.lo), deref(r.hi),
					c.found, c.empty, c.lo, c.hi)
			}
		})
	}
}

// TestCursorFormat: a customer cursor reads as it did before the list engine (a fingerprint
// of sort, direction and filter; positions; matches passed), so that links.next made by a
// function of the previous deployment still opens.
func TestCursorFormat(t *testing.T) {
	f, err := customers.ParseFilter("like(name,*son*):gt(created_at,2024-01-01)", flows.Schema{})
	if err != nil {
		t.Fatal(err)
	}
	if fp := fingerprint(listQuery{sort: "name", desc: true, filter: f}); fp != 3831959522 {
		t.Errorf("fingerprint %d", fp)
	}
	if fp := fingerprint(listQuery{sort: "created_at"}); fp != 5658382 {
		t.Errorf("fingerprint %d", fp)
	}
	const old = "eyJmIjo3LCJwIjpbIiIsIlx1MDAwMGRvbmUiLCJhXHUwMDFmMDEyMyIsIiIsIiIsIiIsIiIsIiJdLCJiIjozfQ" // unsealed
	want := cursor{F: 7, P: []string{"", cursorDone, "a\x1f0123", "", "", "", "", ""}, B: 3}
	s := &Store{}
	if got, _ := s.encodeCursor(context.Background(), want); got != old {
		t.Errorf("encoded %s", got)
	}
}
