package cleanup

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/seed"
	"github.com/acme/customers/pkg/store"
	"github.com/acme/customers/pkg/telemetry"
	"github.com/acme/customers/pkg/testenv"
)

type fixture struct {
	t  *testing.T
	db *testenv.DB
	s  *store.Store
}

func newFixture(t *testing.T) *fixture {
	db := testenv.NewDB(t)
	return &fixture{t: t, db: db, s: store.New(db.Client, db.Table)}
}

// customer signs up a customer named name with an address; deleted, when not zero, is
// when it was deleted.
func (f *fixture) customer(name string, deleted time.Time) string {
	f.t.Helper()
	ids := f.seed(seed.Spec{Mark: name, Addresses: 1, Deleted: deleted})
	return ids[0]
}

// seed seeds the customers specs describes.
func (f *fixture) seed(specs ...seed.Spec) []string {
	f.t.Helper()
	ids, err := seed.Customers(context.Background(), f.s, specs)
	if err != nil {
		f.t.Fatal(err)
	}
	return ids
}

// items counts the items of a customer's partition (profile or tombstone, addresses, links).
func (f *fixture) items(customerID string) int {
	f.t.Helper()
	out, err := f.db.Query(context.Background(), &dynamodb.QueryInput{TableName: &f.db.Table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "CUSTOMER#" + customerID}}})
	if err != nil {
		f.t.Fatal(err)
	}
	return len(out.Items)
}

// world is a table with deleted customers to erase (gone) and live ones to keep, among them
// one who signed up with a deleted customer's email after the deletion; erasure is what the
// table must look like once the gone are erased.
type world struct {
	*fixture
	gone    []string
	orders  int // the gone customers' orders
	erasure testenv.Erasure
}

// newWorld seeds n deleted customers (mark Gonemark<k>, the k-th of every marks) with
// addresses and orders each, deleted an hour ago, and three live customers (newWorldOf).
func newWorld(t *testing.T, n, marks, addresses, orders int) *world {
	var specs []seed.Spec
	for i := range n {
		specs = append(specs, seed.Spec{Mark: gonemark(i % marks), N: i, Addresses: addresses, Orders: orders})
	}
	return newWorldOf(t, specs)
}

func gonemark(k int) string { return fmt.Sprintf("Gonemark%c", 'a'+k) }

// newWorldOf seeds the customers gone describes, deleted an hour ago, and three live
// customers, one of them re-using the first deleted customer's email.
func newWorldOf(t *testing.T, gone []seed.Spec) *world {
	w := &world{fixture: newFixture(t)}
	deleted := time.Now().UTC().Add(-time.Hour)
	marks := map[string]bool{}
	for i := range gone {
		gone[i].Deleted = deleted
		marks[gone[i].Mark] = true
		w.orders += gone[i].Orders
	}
	w.gone = w.seed(gone...)
	w.seed(seed.Spec{Mark: "Live", Addresses: 2, Orders: 1}, seed.Spec{Mark: "Live", N: 1, Addresses: 1},
		seed.Spec{Mark: "Reuser", Email: gone[0].EmailAddress(), Addresses: 1, Orders: 1})
	w.erasure = testenv.Erasure{Erased: map[string]bool{}, Before: w.db.Snapshot(t), Redacted: store.Redacted}
	for m := range marks {
		w.erasure.Marks = append(w.erasure.Marks, m)
	}
	for _, id := range w.gone {
		w.erasure.Erased[id] = true
	}
	return w
}

// check walks the whole table: everything of the gone customers erased but their orders,
// redacted, and nothing else changed.
func (w *world) check() {
	w.t.Helper()
	if got := w.erasure.Check(w.t, w.db); got != w.orders {
		w.t.Errorf("%d redacted orders of erased customers, want %d", got, w.orders)
	}
}

// runUntilDone runs c until a run finishes without error and with nothing left (at most
// runs times) and returns the sum of the reports.
func runUntilDone(t *testing.T, c *Cleaner, runs int) Report {
	t.Helper()
	var sum Report
	for range runs {
		rep, err := c.Run(context.Background(), time.Now().UTC())
		sum = sum.Add(rep)
		if err == nil && !rep.StoppedEarly {
			return sum
		}
	}
	t.Fatalf("not done after %d runs: %+v", runs, sum)
	return sum
}

// A run erases the customers deleted before the retention, and only them; a second run
// finds nothing more to do.
func TestRunRetention(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC()
	old := []string{f.customer("Olda", now.Add(-10*24*time.Hour)), f.customer("Oldb", now.Add(-8*24*time.Hour))}
	recent := f.customer("Recent", now.Add(-24*time.Hour))
	live := f.customer("Live", time.Time{})
	c := New(f.s, 7*24*time.Hour)
	rep, err := c.Run(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	if rep.CustomersErased != 2 || rep.AddressesDeleted != 2 || rep.Skipped != 0 || rep.StoppedEarly {
		t.Errorf("report %+v, want 2 customers and their 2 addresses erased", rep)
	}
	if rep.DurationMs <= 0 { // a dozen calls to DynamoDB Local take a few milliseconds at least
		t.Errorf("report %+v: no duration", rep)
	}
	if !rep.Cutoff.Equal(now.Add(-7 * 24 * time.Hour)) {
		t.Errorf("cutoff %v", rep.Cutoff)
	}
	for _, id := range old {
		if n := f.items(id); n != 0 {
			t.Errorf("an erased customer keeps %d items", n)
		}
	}
	if f.items(recent) != 2 || f.items(live) != 2 {
		t.Errorf("recent keeps %d items, live %d: want both tombstone or profile and address", f.items(recent), f.items(live))
	}
	again, err := c.Run(context.Background(), now)
	if err != nil || again.CustomersErased != 0 || again.AddressesDeleted != 0 || again.StoppedEarly {
		t.Errorf("second run %+v, %v: want nothing done", again, err)
	}
}

// A run that reaches its safety margin stops between customers, and the next run erases
// the rest without any state passed between them.
func TestRunStopsAtMargin(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC()
	var ids []string
	for _, n := range []string{"Aa", "Bb", "Cc", "Dd", "Ee"} {
		ids = append(ids, f.customer(n, now.Add(-time.Hour)))
	}
	deadline := time.Now().Add(time.Hour)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	c := New(f.s, 0)
	c.Margin = 5 * time.Minute
	// Each look at the clock is a minute later: 8 minutes before the deadline, then 7, ...
	fake := deadline.Add(-9 * time.Minute)
	c.clock = func() time.Time { fake = fake.Add(time.Minute); return fake }
	first, err := c.Run(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if !first.StoppedEarly || first.CustomersErased == 0 || first.CustomersErased >= len(ids) {
		t.Fatalf("first run %+v: want it to stop early after some customers", first)
	}
	second, err := New(f.s, 0).Run(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	if second.StoppedEarly || first.CustomersErased+second.CustomersErased != len(ids) {
		t.Errorf("runs %+v then %+v: want the second to finish the %d", first, second, len(ids))
	}
	for _, id := range ids {
		if n := f.items(id); n != 0 {
			t.Errorf("an erased customer keeps %d items", n)
		}
	}
	// Already inside the margin: the run starts nothing.
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Second)
	defer cancel2()
	if rep, err := New(f.s, 0).Run(ctx2, now); err != nil || !rep.StoppedEarly || rep.CustomersErased != 0 {
		t.Errorf("a run with 1 s left: %+v, %v", rep, err)
	}
}

func TestMargin(t *testing.T) {
	c := New(nil, 0)
	start := time.Now()
	for timeout, want := range map[time.Duration]time.Duration{300 * time.Second: 30 * time.Second, 10 * time.Second: MinMargin} {
		ctx, cancel := context.WithDeadline(context.Background(), start.Add(timeout))
		if got := c.margin(ctx, start); got != want {
			t.Errorf("timeout %v: margin %v, want %v", timeout, got, want)
		}
		cancel()
	}
}

// The handler logs one report line and one metric line, with counts and no personal data.
func TestHandlerLog(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC()
	gone := f.customer("Secretname", now.Add(-time.Hour))
	var log bytes.Buffer
	h := NewHandler(New(f.s, 0), &log, func() time.Time { return now })
	out, err := h(context.Background(), events.EventBridgeEvent{DetailType: "Scheduled Event", Source: "aws.events"})
	if err != nil {
		t.Fatal(err)
	}
	if rep, ok := out.(Report); !ok || rep.CustomersErased != 1 {
		t.Errorf("answer %#v", out)
	}
	text := log.String()
	for _, secret := range []string{gone, "Secretname", "secretname", "example.com", "Road", "AB1"} {
		if strings.Contains(text, secret) {
			t.Errorf("the log has %q: %s", secret, text)
		}
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want the report and the metrics: %s", len(lines), text)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rep); err != nil || rep["customers_erased"] != 1.0 ||
		rep["addresses_deleted"] != 1.0 || rep["stopped_early"] != false || rep["failed"] != false {
		t.Errorf("report line %s, %v", lines[0], err)
	}
	var emf struct {
		AWS struct {
			CloudWatchMetrics []struct {
				Namespace string
				Metrics   []struct{ Name string }
			}
		} `json:"_aws"`
		CustomersErased, OrdersRedacted, StoppedEarly *int
	}
	if err := json.Unmarshal([]byte(lines[1]), &emf); err != nil || len(emf.AWS.CloudWatchMetrics) != 1 ||
		emf.AWS.CloudWatchMetrics[0].Namespace != telemetry.Namespace() || len(emf.AWS.CloudWatchMetrics[0].Metrics) != 3 ||
		emf.CustomersErased == nil || *emf.CustomersErased != 1 || emf.OrdersRedacted == nil || emf.StoppedEarly == nil {
		t.Errorf("metric line %s, %v", lines[1], err)
	}
}

// A second run, and two runs at once, erase every customer exactly once (each tombstone
// and order counted by one run), leave nothing of them but redacted orders, and touch
// nothing else, the live customer with a re-used email included.
func TestRunsAtOnce(t *testing.T) {
	w := newWorld(t, 40, 3, 2, 2)
	reps := make([]Report, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], errs[i] = New(w.s, 0).Run(context.Background(), time.Now().UTC())
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil || reps[i].StoppedEarly {
			t.Errorf("run %d: %+v, %v", i, reps[i], err)
		}
	}
	sum := reps[0].Add(reps[1])
	if sum.CustomersErased != 40 || sum.OrdersRedacted != 80 {
		t.Errorf("two runs erased %d customers and redacted %d orders, want 40 and 80: %+v", sum.CustomersErased, sum.OrdersRedacted, reps)
	}
	w.check()
	before := w.db.Snapshot(t)
	again, err := New(w.s, 0).Run(context.Background(), time.Now().UTC())
	if err != nil || again != (Report{Cutoff: again.Cutoff, DurationMs: again.DurationMs}) {
		t.Errorf("a run after them: %+v, %v: want nothing done", again, err)
	}
	if after := w.db.Snapshot(t); len(after) != len(before) {
		t.Errorf("a run after them changed the table: %d items, then %d", len(before), len(after))
	}
}

// With BatchWriteItem throttled (a share of its attempts refused with
// ProvisionedThroughputExceededException, a share of its calls half unprocessed), runs
// still converge: each run does what it can, and the next one finishes.
func TestRunThrottled(t *testing.T) {
	w := newWorld(t, 12, 2, 30, 2) // 32 rows a customer: two batches each
	faults := &testenv.Throttling{Refused: 0.5, Partial: 0.5}
	c := New(store.New(w.db.Throttled(faults), w.db.Table), 0)
	sum := runUntilDone(t, c, 30)
	refused, partial := faults.Injected()
	if refused == 0 || partial == 0 {
		t.Errorf("injected %d refusals and %d partial batches: want some of each", refused, partial)
	}
	if sum.CustomersErased != 12 || sum.OrdersRedacted != 24 {
		t.Errorf("runs erased %d customers and redacted %d orders, want 12 and 24", sum.CustomersErased, sum.OrdersRedacted)
	}
	t.Logf("%d refused attempts, %d partial batches; runs: %+v", refused, partial, sum)
	w.check()
}
