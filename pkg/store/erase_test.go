package store_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/addresses"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/orders"
	"github.com/acme/customers/pkg/store"
	"github.com/acme/customers/pkg/testenv"
)

// eraseFixture is a table with a deleted customer (gone: addresses and orders), a live one,
// and a new customer who signed up with gone's email after the deletion.
type eraseFixture struct {
	db                   *testenv.DB
	s                    *store.Store
	gone, live, reuser   *customers.Customer
	goneOrders           []string
	deletedAt            time.Time
	liveItems, reuserRow map[string]string
}

// goneMark is in every personal value of the deleted customer: no item may hold it after
// the erasure.
const goneMark = "Gonestreet"

func addressOf(mark string) map[string]string {
	v := map[string]string{}
	for _, f := range addresses.Fields {
		v[f] = ""
	}
	v["first_name"], v["last_name"], v["line_1"] = mark+" First", mark+" Last", "1 "+mark
	v["postcode"], v["county"], v["country"] = "AB1 2CD", mark+"shire", "GB"
	return v
}

func addAddress(t *testing.T, s *store.Store, c *customers.Customer, mark string) {
	t.Helper()
	now := time.Now().UTC()
	a := &addresses.Address{ID: id.NewOrdered(), CustomerID: c.ID, Values: addressOf(mark), Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateAddress(context.Background(), addresses.Owner{CustomerID: c.ID}, a, 0); err != nil {
		t.Fatal(err)
	}
}

// placeOrder checks out a one-line cart for c, billed and shipped to an address of mark.
func placeOrder(t *testing.T, s *store.Store, c *customers.Customer, mark string) string {
	t.Helper()
	ctx, now := context.Background(), time.Now().UTC()
	cartID := id.New()
	l := newLine("thing", 1, 250, now)
	addLine(t, s, cartID, l)
	cart, err := s.Cart(ctx, cartID)
	if err != nil {
		t.Fatal(err)
	}
	o := &orders.Order{ID: id.NewOrdered(), Customer: orders.Customer{ID: c.ID, Name: c.Name, Email: c.Email},
		Billing: addressOf(mark), Shipping: addressOf(mark), LineIDs: []string{l.ID}, Lines: cart.Lines,
		Currency: "GBP", Total: 250, Status: "pending", Payment: "unpaid", Fulfilment: "unfulfilled",
		CartID: cartID, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.PlaceOrder(ctx, o, cart, customers.Guard{}); err != nil {
		t.Fatal(err)
	}
	return o.ID
}

func newEraseFixture(t *testing.T) *eraseFixture {
	t.Helper()
	db := testenv.NewDB(t)
	f := &eraseFixture{db: db, s: store.New(db.Client, db.Table)}
	ctx := context.Background()
	gone := newCustomer("gone@example.com")
	gone.Name = goneMark + " Person"
	if err := f.s.Create(ctx, gone); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		addAddress(t, f.s, gone, goneMark)
	}
	for range 2 {
		f.goneOrders = append(f.goneOrders, placeOrder(t, f.s, gone, goneMark))
	}
	cur, err := f.s.Get(ctx, gone.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.deletedAt = time.Now().UTC()
	if err := f.s.Delete(ctx, cur, f.deletedAt); err != nil {
		t.Fatal(err)
	}
	f.gone = gone
	f.live = create(t, f.s, "live@example.com")
	addAddress(t, f.s, f.live, "Live")
	placeOrder(t, f.s, f.live, "Live")
	f.reuser = newCustomer("Gone@Example.com") // the same email, claimed again
	f.reuser.Name = "Reuser"
	if err := f.s.Create(ctx, f.reuser); err != nil {
		t.Fatal(err)
	}
	addAddress(t, f.s, f.reuser, "Reuse")
	placeOrder(t, f.s, f.reuser, "Reuse")
	f.liveItems = f.others(t)
	return f
}

// snapshot renders every item of the table by key.
func snapshot(t *testing.T, db *testenv.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, it := range items(t, db) {
		out[str(it, "PK")+"|"+str(it, "SK")] = render(it)
	}
	return out
}

func render(it map[string]types.AttributeValue) string {
	names := make([]string, 0, len(it))
	for k := range it {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, "%s=%s;", k, renderAV(it[k]))
	}
	return b.String()
}

func renderAV(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprint(v.Value)
	case *types.AttributeValueMemberM:
		return "{" + render(v.Value) + "}"
	case *types.AttributeValueMemberL:
		var parts []string
		for _, e := range v.Value {
			parts = append(parts, renderAV(e))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return fmt.Sprintf("%T", v)
}

// others is every item that is not the deleted customer's (its partition, or its orders).
func (f *eraseFixture) others(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range snapshot(t, f.db) {
		if strings.HasPrefix(k, "CUSTOMER#"+f.gone.ID+"|") || strings.Contains(v, "customer_id="+f.gone.ID+";") ||
			strings.HasPrefix(k, "COUNT#") {
			continue
		}
		out[k] = v
	}
	return out
}

// checkErased walks the whole table: nothing of gone is left but its orders (order and
// lines), redacted, and everything else is as it was.
func (f *eraseFixture) checkErased(t *testing.T) {
	t.Helper()
	orderItems := 0
	for _, it := range items(t, f.db) {
		pk, sk, r := str(it, "PK"), str(it, "SK"), render(it)
		if strings.Contains(r, goneMark) {
			t.Errorf("%s|%s still holds the deleted customer's data: %s", pk, sk, r)
		}
		if strings.HasPrefix(pk, "CUSTOMER#"+f.gone.ID) {
			t.Errorf("%s|%s of the deleted customer remains", pk, sk)
		}
		if str(it, "customer_id") != f.gone.ID {
			continue
		}
		if !strings.HasPrefix(pk, "ORDER#") {
			t.Errorf("%s|%s of the deleted customer remains", pk, sk)
			continue
		}
		orderItems++
		if strings.Contains(strings.ToLower(r), "gone@example.com") { // GSI8 sorts orders by email
			t.Errorf("order item %s|%s still holds the deleted customer's email: %s", pk, sk, r)
		}
		if sk != "ORDER" {
			continue
		}
		if str(it, "customer_name") != store.Redacted || str(it, "customer_email") != store.Redacted || str(it, "redacted_at") == "" {
			t.Errorf("order %s not redacted: %s", pk, r)
		}
		for _, a := range []string{"billing_address", "shipping_address"} {
			m, _ := it[a].(*types.AttributeValueMemberM)
			if m == nil || len(m.Value) != len(addresses.Fields) {
				t.Errorf("order %s: %s is %v", pk, a, it[a])
				continue
			}
			for k, v := range m.Value {
				if s := renderAV(v); s != "" && s != store.Redacted {
					t.Errorf("order %s: %s.%s is %q", pk, a, k, s)
				}
			}
		}
	}
	if orderItems != 2*len(f.goneOrders) {
		t.Errorf("%d order items of the deleted customer, want %d (orders and lines)", orderItems, 2*len(f.goneOrders))
	}
	if got := f.others(t); !equalMaps(got, f.liveItems) {
		t.Errorf("other customers' items changed:\nbefore %v\nafter  %v", f.liveItems, got)
	}
	claims := emailClaims(t, f.db)
	if claims["EMAIL#gone@example.com"] != f.reuser.ID {
		t.Errorf("the re-used email's claim is %q, want the new customer's %s", claims["EMAIL#gone@example.com"], f.reuser.ID)
	}
	for _, c := range []*customers.Customer{f.live, f.reuser} {
		if _, err := f.s.Get(context.Background(), c.ID); err != nil {
			t.Errorf("live customer %s: %v", c.Email, err)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestEraseCustomer(t *testing.T) {
	f := newEraseFixture(t)
	ctx, now := context.Background(), time.Now().UTC()
	res, err := f.s.EraseCustomer(ctx, f.gone.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	want := store.Erased{Addresses: 3, Links: 2, Orders: 2, Tombstone: true}
	if res != want {
		t.Errorf("erased %+v, want %+v", res, want)
	}
	f.checkErased(t)

	before := snapshot(t, f.db)
	res, err = f.s.EraseCustomer(ctx, f.gone.ID, now.Add(time.Minute))
	if err != nil || res != (store.Erased{NotDeleted: true}) {
		t.Errorf("second run: %+v, %v", res, err)
	}
	if !equalMaps(before, snapshot(t, f.db)) {
		t.Error("a second run changed the table")
	}
	// The redacted orders are still readable.
	for _, oid := range f.goneOrders {
		o, err := f.s.Order(ctx, oid)
		if err != nil || o.Customer.ID != f.gone.ID || o.Customer.Email != store.Redacted {
			t.Errorf("order %s: %+v, %v", oid, o, err)
		}
	}
}

func TestEraseLiveCustomer(t *testing.T) {
	f := newEraseFixture(t)
	before := snapshot(t, f.db)
	for _, c := range []string{f.live.ID, f.reuser.ID, id.New()} {
		res, err := f.s.EraseCustomer(context.Background(), c, time.Now())
		if err != nil || res != (store.Erased{NotDeleted: true}) {
			t.Errorf("erase %s: %+v, %v", c, res, err)
		}
	}
	if !equalMaps(before, snapshot(t, f.db)) {
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
			results[i], errs[i] = f.s.EraseCustomer(ctx, f.gone.ID, now)
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
	if _, err := f.s.EraseCustomer(ctx, f.gone.ID, time.Now()); err != nil {
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
