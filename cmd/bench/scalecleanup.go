package main

// The scheduled cleanup at scale: N deleted customers, each with addresses and orders,
// erased by pkg/cleanup's runner as CleanupDeletedCustomersFunction runs it, with the
// items erased per second and the read and write capacity DynamoDB reports per customer.
//
// The customers are seeded by pkg/seed, through the store's own methods (store.Create,
// store.CreateAddress, a one-line cart by store.AddLine checked out by store.PlaceOrder,
// store.Delete), 8 at a time. Seeding is not measured: the meter and the call counter are
// reset after it.

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/acme/customers/pkg/cleanup"
	"github.com/acme/customers/pkg/samtemplate"
	"github.com/acme/customers/pkg/seed"
	"github.com/acme/customers/pkg/store"
)

// cleanupOptions are the cleanup run's sizes (flags -cleanup...).
type cleanupOptions struct {
	deleted   int // customers due for erasure; 0 for no cleanup run
	addresses int // addresses of every seeded customer
	orders    int // orders of every seeded customer
	kept      int // customers the run must leave alone: half live, half deleted within the retention
}

// cleanupRetention is the retention the run is given; due customers were deleted more
// than that ago, the kept deleted ones less.
const cleanupRetention = 7 * 24 * time.Hour

const cleanupFunction = "CleanupDeletedCustomersFunction"

// cleanupRun is what the cleanup run seeded and measured.
type cleanupRun struct {
	o       cleanupOptions
	seeded  time.Duration // seeding, not measured
	timeout time.Duration // the function's Timeout, each run's deadline
	reports []cleanup.Report
	total   cleanup.Report // the runs' counts summed
	wall    time.Duration  // from the first run's start to the last one's end
	calls   map[string]int // DynamoDB calls by operation, all runs
	read    reading        // capacity, all runs
}

// cleanupSpecs are the customers the cleanup run seeds: o.deleted due ones (deleted
// retention + i minutes before now), then o.kept others, half live and half deleted an hour
// ago.
func cleanupSpecs(o cleanupOptions, now time.Time) []seed.Spec {
	specs := make([]seed.Spec, 0, o.deleted+o.kept)
	for i := range o.deleted + o.kept {
		sp := seed.Spec{Mark: "Gone", N: i, Addresses: o.addresses, Orders: o.orders}
		switch {
		case i < o.deleted:
			sp.Deleted = now.Add(-cleanupRetention - time.Duration(i+1)*time.Minute)
		case (i-o.deleted)%2 == 1:
			sp.Mark, sp.Deleted = "Kept", now.Add(-time.Hour)
		default:
			sp.Mark = "Live"
		}
		specs = append(specs, sp)
	}
	return specs
}

// partitionItems counts the items of a customer's partition (profile or tombstone,
// addresses, history links).
func partitionItems(ctx context.Context, e *env, customerID string) (int, error) {
	out, err := e.base.Query(ctx, &dynamodb.QueryInput{TableName: &e.table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: item{":pk": str("CUSTOMER#" + customerID)}, Select: "COUNT"})
	if err != nil {
		return 0, err
	}
	return int(out.Count), nil
}

// runCleanup seeds a fresh table and runs the cleanup on it, as the function does (a
// deadline of its Timeout, the default margin), again while a run stops early; then checks
// that the runs erased every due customer and nothing else.
func (sr *scaleReport) runCleanup(ctx context.Context, root string, tpl *samtemplate.Template, o cleanupOptions) (*cleanupRun, error) {
	fn, err := tpl.Function(cleanupFunction)
	if err != nil {
		return nil, err
	}
	meter := newCapacity()
	e, closeEnv, err := newEnv(ctx, root, tpl, meter.install)
	if err != nil {
		return nil, err
	}
	defer closeEnv()
	sr.env = e
	run := &cleanupRun{o: o, timeout: time.Duration(fn.Timeout) * time.Second}
	fmt.Fprintf(os.Stderr, "bench: cleanup: seeding %d deleted customers and %d kept, %d addresses and %d orders each, into %s\n",
		o.deleted, o.kept, o.addresses, o.orders, e.table)
	t0 := time.Now()
	ids, err := seed.Customers(ctx, e.fixtures, cleanupSpecs(o, time.Now().UTC()))
	if err != nil {
		return nil, err
	}
	due, kept := ids[:o.deleted], ids[o.deleted:]
	run.seeded = time.Since(t0)
	fmt.Fprintf(os.Stderr, "bench: cleanup: seeded in %s; running the cleanup\n", run.seeded.Round(time.Millisecond))

	s := store.New(e.db, e.table)
	meter.reset()
	e.calls.Reset()
	t0 = time.Now()
	for {
		rctx, cancel := context.WithTimeout(ctx, run.timeout)
		rep, err := cleanup.New(s, cleanupRetention).Run(rctx, time.Now().UTC())
		cancel()
		if err != nil {
			return nil, fmt.Errorf("cleanup run %d: %w", len(run.reports)+1, err)
		}
		run.reports = append(run.reports, rep)
		run.total = run.total.Add(rep)
		run.total.DurationMs += rep.DurationMs // Add keeps the counts; here the runs' time adds up too
		if !rep.StoppedEarly || rep.CustomersErased == 0 {
			break
		}
	}
	run.wall = time.Since(t0)
	run.read, run.calls = meter.read(), e.calls.ByOp()
	fmt.Fprintf(os.Stderr, "bench: cleanup: %d run(s) erased %d customers in %s\n", len(run.reports), run.total.CustomersErased,
		run.wall.Round(time.Millisecond))

	// What was due is gone, to the last item, and the rest is whole.
	t := run.total
	if t.CustomersErased != o.deleted || t.AddressesDeleted != o.deleted*o.addresses || t.LinksDeleted != o.deleted*o.orders ||
		t.OrdersRedacted != o.deleted*o.orders || t.Skipped != 0 {
		return nil, fmt.Errorf("the cleanup reports %+v, want %d customers, %d addresses, %d links and %d orders", t,
			o.deleted, o.deleted*o.addresses, o.deleted*o.orders, o.deleted*o.orders)
	}
	for i, id := range append(kept, due[0], due[len(due)-1]) {
		want := 0
		if i < len(kept) {
			want = 1 + o.addresses + o.orders
		}
		if n, err := partitionItems(ctx, e, id); err != nil || n != want {
			return nil, fmt.Errorf("after the cleanup, a customer's partition holds %d items (%v), want %d", n, err, want)
		}
	}
	return run, nil
}

func perSecond(n int, d time.Duration) string { return thousands(int(float64(n)/d.Seconds() + 0.5)) }

func (c *cleanupRun) write(p func(string, ...any)) {
	o, t := c.o, c.total
	p("")
	p("## Scale: the scheduled cleanup of %s deleted customers", thousands(o.deleted))
	p("")
	days := int(cleanupRetention / (24 * time.Hour))
	p("A fresh table seeded by pkg/seed through the store's own methods, 8 customers at a time: %s customers due for",
		thousands(o.deleted))
	p("erasure, each signed up (`store.Create`), given %d addresses (`store.CreateAddress`) and %d orders (a one-line cart",
		o.addresses, o.orders)
	p("by `store.AddLine`, checked out by `store.PlaceOrder`), then deleted (`store.Delete`) more than the retention (%d", days)
	p("days) ago; and %d customers the run must leave alone, the same but half live and half deleted an hour ago.", o.kept)
	p("Seeding took %s (%.0f customers a second) and is not measured. Then `cleanup.New(store.New(client, table), %d days).Run(ctx, now)`",
		c.seeded.Round(100*time.Millisecond), float64(o.deleted+o.kept)/c.seeded.Seconds(), days)
	p("as %s runs it (a deadline of its Timeout, %.0f s, and the default margin), again while a run stops", cleanupFunction,
		c.timeout.Seconds())
	p("early: %d run(s), %s by the bench's clock, which the rates below divide by. The runs' reports must count every due",
		len(c.reports), c.wall.Round(time.Millisecond))
	p("customer, address, history link and order, and afterwards an erased customer's partition must be empty and a kept")
	p("one's whole, or the bench stops.")
	p("")
	p("| erased | count | per second | per customer |")
	p("|---|--:|--:|--:|")
	row := func(what string, n int) {
		p("| %s | %s | %s | %.2f |", what, thousands(n), perSecond(n, c.wall), float64(n)/float64(t.CustomersErased))
	}
	row("customers (tombstones deleted)", t.CustomersErased)
	row("addresses deleted", t.AddressesDeleted)
	row("order-history links deleted", t.LinksDeleted)
	row("**items deleted** (addresses + links + tombstones)", t.AddressesDeleted+t.LinksDeleted+t.CustomersErased)
	row("orders redacted (UpdateItem, kept)", t.OrdersRedacted)
	p("")
	p("Capacity: every call of the runs asked for ReturnConsumedCapacity=TOTAL (the meter of the list runs, on reads and")
	p("writes alike) and the units DynamoDB Local reported are summed, a read's as RCU, a write's as WCU; *calls* are")
	p("the SDK calls made, *answered* the responses (retries included) and how many carried ConsumedCapacity.")
	p("")
	p("| operation | calls | per customer | answered (with ConsumedCapacity) | RCU | WCU | units per customer |")
	p("|---|--:|--:|--:|--:|--:|--:|")
	per := func(x float64) string { return fmt.Sprintf("%.2f", x/float64(t.CustomersErased)) }
	ops := slices.Collect(maps.Keys(c.calls))
	for op := range c.read.answered {
		if c.calls[op] == 0 {
			ops = append(ops, op)
		}
	}
	for _, op := range sortOps(ops) {
		rcu, wcu := "—", "—"
		u, read := c.read.rcuByOp[op]
		if read {
			rcu = fmt.Sprintf("%.1f", u)
		} else if u, ok := c.read.wcuByOp[op]; ok {
			wcu = fmt.Sprintf("%.1f", u)
		}
		u = c.read.rcuByOp[op] + c.read.wcuByOp[op]
		p("| %s | %s | %s | %s (%s) | %s | %s | %s |", op, thousands(c.calls[op]), per(float64(c.calls[op])),
			thousands(c.read.answered[op]), thousands(c.read.reported[op]), rcu, wcu, per(u))
	}
	calls := 0
	for _, n := range c.calls {
		calls += n
	}
	p("| **all** | %s | %s | | **%.1f** | **%.1f** | **%s RCU + %s WCU** |", thousands(calls), per(float64(calls)),
		c.read.rcu, c.read.wcu, per(c.read.rcu), per(c.read.wcu))
	if t.DurationMs == 0 && c.wall >= 10*time.Millisecond {
		p("")
		p("⚠ The runs' reports say duration_ms 0 for %s of work: `cleanup.Report.DurationMs` is not set on the report", c.wall.Round(time.Millisecond))
		p("`Run` returns (its deferred assignment changes a local copy after the return value was taken).")
	} else {
		p("")
		p("The runs' reports say duration_ms %s in all.", thousands(int(t.DurationMs)))
	}
	if !c.read.complete() {
		p("")
		p("⚠ Some responses carried no ConsumedCapacity (the *answered* column): the units above leave them out.")
	}
}
