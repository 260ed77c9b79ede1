package cleanup

import (
	"context"
	"testing"
	"time"

	"github.com/acme/customers/pkg/seed"
)

// 10,000 deleted customers (one in ten with an address, one in a hundred with an order):
// a run held to a short deadline stops at its margin, and the next erases the rest.
func TestRunTenThousand(t *testing.T) {
	const n = 10_000
	specs := make([]seed.Spec, n)
	for i := range specs {
		specs[i] = seed.Spec{Mark: gonemark(i % 4), N: i}
		if i%10 == 0 {
			specs[i].Addresses = 1
		}
		if i%100 == 0 {
			specs[i].Orders = 1
		}
	}
	start := time.Now()
	w := newWorldOf(t, specs)
	t.Logf("seeded %d deleted customers in %v", n, time.Since(start))

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second) // a 2 s margin
	defer cancel()
	start = time.Now()
	first, err := New(w.s, 0).Run(ctx, time.Now().UTC())
	if err != nil || !first.StoppedEarly || first.CustomersErased == 0 {
		t.Fatalf("a run with 4 s: %+v, %v; want it to erase some and stop early", first, err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("a run with 4 s took %v", took)
	}
	rest := runUntilDone(t, New(w.s, 0), 1)
	took := time.Since(start)
	sum := first.Add(rest)
	if sum.CustomersErased != n || sum.AddressesDeleted != n/10 || sum.OrdersRedacted != n/100 {
		t.Errorf("runs %+v then %+v: want %d customers, %d addresses and %d orders", first, rest, n, n/10, n/100)
	}
	t.Logf("erased %d customers in %v (%.0f a second); the first run, 4 s, erased %d", n, took,
		float64(n)/took.Seconds(), first.CustomersErased)
	w.check()
}

// One deleted customer with 5,000 addresses and 5,000 orders.
func TestRunLargeCustomer(t *testing.T) {
	start := time.Now()
	w := newWorldOf(t, []seed.Spec{{Mark: gonemark(0), Addresses: 5000, Orders: 5000}})
	t.Logf("seeded 5,000 addresses and 5,000 orders in %v", time.Since(start))
	start = time.Now()
	rep := runUntilDone(t, New(w.s, 0), 1)
	t.Logf("erased in %v: %+v", time.Since(start), rep)
	if rep.CustomersErased != 1 || rep.AddressesDeleted != 5000 || rep.LinksDeleted != 5000 || rep.OrdersRedacted != 5000 {
		t.Errorf("report %+v", rep)
	}
	w.check()
}
