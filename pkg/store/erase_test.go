package store_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/orders"
	"github.com/acme/customers/pkg/seed"
	"github.com/acme/customers/pkg/store"
	"github.com/acme/customers/pkg/testenv"
)

// eraseFixture is a table with a deleted customer (gone: addresses and orders), a live one,
// and a new customer who signed up with gone's email after the deletion.
type eraseFixture struct {
	db                 *testenv.DB
	s                  *store.Store
	gone, live, reuser string
	goneOrders         []string
	erasure            testenv.Erasure
}

// goneMark is in every personal value of the deleted customer.
const goneMark = "Gonestreet"

func newEraseFixture(t *testing.T) *eraseFixture {
	t.Helper()
	db := testenv.NewDB(t)
	f := &eraseFixture{db: db, s: store.New(db.Client, db.Table)}
	ctx := context.Background()
	gone := seed.Spec{Mark: goneMark, Addresses: 3, Orders: 2, Deleted: time.Now().UTC()}
	ids, err := seed.Customers(ctx, f.s, []seed.Spec{gone, {Mark: "Live", Addresses: 1, Orders: 1}})
	if err != nil {
		t.Fatal(err)
	}
	f.gone, f.live = ids[0], ids[1]
	// The same email, claimed again, in another case.
	if f.reuser, err = seed.Customer(ctx, f.s, seed.Spec{Mark: "Reuse", Email: strings.ToUpper(gone.EmailAddress()), Addresses: 1, Orders: 1}); err != nil {
		t.Fatal(err)
	}
	for _, it := range db.Items(t) {
		if testenv.Str(it, "customer_id") == f.gone && testenv.Str(it, "SK") == "ORDER" {
			f.goneOrders = append(f.goneOrders, testenv.Str(it, "id"))
		}
	}
	f.erasure = testenv.Erasure{Erased: map[string]bool{f.gone: true}, Before: db.Snapshot(t), Marks: []string{goneMark}, Redacted: store.Redacted}
	return f
}

// checkErased walks the whole table: nothing of gone is left but its orders, redacted, and
// everything else is as it was; the re-used email's claim is the new customer's.
func (f *eraseFixture) checkErased(t *testing.T) {
	t.Helper()
	if n := f.erasure.Check(t, f.db); n != len(f.goneOrders) {
		t.Errorf("%d redacted orders of the deleted customer, want %d", n, len(f.goneOrders))
	}
	if claims := emailClaims(t, f.db); claims["EMAIL#gonestreet-0@example.com"] != f.reuser {
		t.Errorf("the re-used email's claim is %q, want the new customer's %s", claims["EMAIL#gonestreet-0@example.com"], f.reuser)
	}
	for _, c := range []string{f.live, f.reuser} {
		if _, err := f.s.Get(context.Background(), c); err != nil {
			t.Errorf("live customer %s: %v", c, err)
		}
	}
}

func TestEraseCustomer(t *testing.T) {
	f := newEraseFixture(t)
	ctx, now := context.Background(), time.Now().UTC()
	res, err := f.s.EraseCustomer(ctx, f.gone, now)
	if err != nil {
		t.Fatal(err)
	}
	want := store.Erased{Addresses: 3, Links: 2, Orders: 2, Tombstone: true}
	if res != want {
		t.Errorf("erased %+v, want %+v", res, want)
	}
	f.checkErased(t)

	before := f.db.Snapshot(t)
	res, err = f.s.EraseCustomer(ctx, f.gone, now.Add(time.Minute))
	if err != nil || res != (store.Erased{NotDeleted: true}) {
		t.Errorf("second run: %+v, %v", res, err)
	}
	if !maps.Equal(before, f.db.Snapshot(t)) {
		t.Error("a second run changed the table")
	}
	// The redacted orders are still readable.
	for _, oid := range f.goneOrders {
		o, err := f.s.Order(ctx, oid)
		if err != nil || o.Customer.ID != f.gone || o.Customer.Email != store.Redacted {
			t.Errorf("order %s: %+v, %v", oid, o, err)
		}
	}
}

func TestEraseLiveCustomer(t *testing.T) {
	f := newEraseFixture(t)
	before := f.db.Snapshot(t)
	for _, c := range []string{f.live, f.reuser, id.New()} {
		res, err := f.s.EraseCustomer(context.Background(), c, time.Now())
		if err != nil || res != (store.Erased{NotDeleted: true}) {
			t.Errorf("erase %s: %+v, %v", c, res, err)
		}
	}
	if !maps.Equal(before, f.db.Snapshot(t)) {
		t.Error("erasing live customers changed the table")
	}
}

func TestEraseConcurrently(t *testing.T) {
	f := newEraseFixture(t)
	ctx, now := context.Background(), time.Now().UTC()
	var wg sync.WaitGroup
	results := make([]store.Erased, 4)
	errs := make([]error, len(results))
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = f.s.EraseCustomer(ctx, f.gone, now)
		}()
	}
	wg.Wait()
	orders, tombstones := 0, 0
	for i, r := range results {
		if errs[i] != nil {
			t.Errorf("run %d: %v", i, errs[i])
		}
		orders += r.Orders
		if r.Tombstone {
			tombstones++
		}
	}
	if orders != len(f.goneOrders) || tombstones != 1 {
		t.Errorf("runs redacted %d orders and deleted %d tombstones, want %d and 1: %+v", orders, tombstones, len(f.goneOrders), results)
	}
	f.checkErased(t)
}

func TestEraseAfterStaffRead(t *testing.T) {
	f := newEraseFixture(t)
	ctx := context.Background()
	cur, err := f.s.Order(ctx, f.goneOrders[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.EraseCustomer(ctx, f.gone, time.Now()); err != nil {
		t.Fatal(err)
	}
	next := *cur
	next.Status, next.Version, next.UpdatedAt = "complete", cur.Version+1, time.Now()
	if err := f.s.UpdateOrder(ctx, cur, &next); !errors.Is(err, orders.ErrStale) {
		t.Errorf("an update read before the redaction: %v, want ErrStale", err)
	}
	f.checkErased(t)
}

func TestDeletedBefore(t *testing.T) {
	db := testenv.NewDB(t)
	s := store.New(db.Client, db.Table)
	ctx := context.Background()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var want []string
	for i := range 7 {
		c := create(t, s, fmt.Sprintf("d%d@example.com", i))
		if err := s.Delete(ctx, c, base.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
		want = append(want, c.ID)
	}
	create(t, s, "alive@example.com")
	cutoff := base.Add(5 * time.Hour) // deletions 0..4 are before it; 5 is at it
	all, next, err := s.DeletedBefore(ctx, cutoff, 100, "")
	if err != nil || next != "" || strings.Join(all, ",") != strings.Join(want[:5], ",") {
		t.Fatalf("one page: %v next %q, %v; want %v", all, next, err, want[:5])
	}
	var got []string
	after, pages := "", 0
	for {
		ids, n, err := s.DeletedBefore(ctx, cutoff, 2, after)
		if err != nil {
			t.Fatal(err)
		}
		got, after, pages = append(got, ids...), n, pages+1
		if after == "" || pages > 5 {
			break
		}
	}
	if strings.Join(got, ",") != strings.Join(want[:5], ",") {
		t.Errorf("pages of 2: %v, want %v", got, want[:5])
	}
	if ids, _, err := s.DeletedBefore(ctx, base, 10, ""); err != nil || len(ids) != 0 {
		t.Errorf("before the first deletion: %v, %v", ids, err)
	}
}
