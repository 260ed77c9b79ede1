// Package cleanup is the scheduled erasure of deleted customers: each run finds the
// customers deleted more than the retention ago through the index kept for it
// (store.DeletedBefore, never a Scan) and erases each one (store.EraseCustomer: its
// orders redacted, its addresses and history links deleted, its tombstone last).
//
// A run stops cleanly a safety margin before its context's deadline (the Lambda timeout):
// Margin, by default the larger of 2 s and 10 % of the time left when the run starts (30 s of
// a 300 s timeout). It never starts a customer inside the margin; a customer it has started
// is finished unless the deadline itself cancels a call, and then what is left of it keeps
// its tombstone. The next run needs no state to resume: the tombstones still on the index
// are exactly what is left to do.
package cleanup

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/acme/customers/pkg/store"
)

// Store is what a run needs of the table (store.Store has it).
type Store interface {
	DeletedBefore(ctx context.Context, cutoff time.Time, limit int, after string) ([]string, string, error)
	EraseCustomer(ctx context.Context, customerID string, now time.Time) (store.Erased, error)
}

// Report is what one run did: counts only, never an id or a personal value, so that it can
// be logged as it is.
type Report struct {
	// Cutoff: customers deleted before it were due.
	Cutoff time.Time `json:"cutoff"`
	// CustomersErased counts the tombstones this run deleted: customers now fully erased.
	CustomersErased int `json:"customers_erased"`
	// Skipped counts ids the index still listed that were no longer tombstones (erased by
	// another run meanwhile, or the index behind the table).
	Skipped int `json:"skipped"`
	// AddressesDeleted, LinksDeleted: items this run sent deletes for.
	AddressesDeleted int `json:"addresses_deleted"`
	LinksDeleted     int `json:"links_deleted"`
	// OrdersRedacted counts the orders this run redacted.
	OrdersRedacted int `json:"orders_redacted"`
	// StoppedEarly: the run stopped at its safety margin with customers left (the next run
	// resumes), or on an error.
	StoppedEarly bool `json:"stopped_early"`
	// DurationMs is how long the run took.
	DurationMs int64 `json:"duration_ms"`
}

// Add is the sum of two runs' counts (the first's cut-off kept), as runs that share or
// resume the work (two at once, one after a stopped one) add up to one.
func (r Report) Add(o Report) Report {
	r.CustomersErased += o.CustomersErased
	r.Skipped += o.Skipped
	r.AddressesDeleted += o.AddressesDeleted
	r.LinksDeleted += o.LinksDeleted
	r.OrdersRedacted += o.OrdersRedacted
	return r
}

// Defaults of the safety margin, of the index page a run reads at once and of how many
// customers it erases at once (each with up to 8 DynamoDB calls in flight of its own:
// store.EraseCustomer).
const (
	MinMargin      = 2 * time.Second
	MarginFraction = 10 // percent of the time left at the start
	PageSize       = 50
	Workers        = 4
)

// Cleaner runs the cleanup on a table.
type Cleaner struct {
	store     Store
	retention time.Duration
	// Margin overrides the default safety margin when positive.
	Margin time.Duration
	// Workers overrides how many customers are erased at once when positive.
	Workers int
	// clock is what the deadline is compared with (time.Now; tests move it).
	clock func() time.Time
}

// New returns a Cleaner erasing customers deleted more than retention ago.
func New(s Store, retention time.Duration) *Cleaner {
	return &Cleaner{store: s, retention: retention, clock: time.Now}
}

// margin is the safety margin of a run starting at start under ctx.
func (c *Cleaner) margin(ctx context.Context, start time.Time) time.Duration {
	if c.Margin > 0 {
		return c.Margin
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		return MinMargin
	}
	return max(MinMargin, deadline.Sub(start)*MarginFraction/100)
}

// Run erases every customer deleted before now minus the retention, oldest deletion
// first, Workers at a time, until none is left or the safety margin is reached
// (Report.StoppedEarly). After an error it starts no other customer, lets those under way
// finish, and returns the first error with the report of what was done.
func (c *Cleaner) Run(ctx context.Context, now time.Time) (rep Report, err error) {
	began := time.Now()
	rep.Cutoff = now.Add(-c.retention).UTC()
	defer func() { rep.DurationMs = time.Since(began).Milliseconds() }()
	margin := c.margin(ctx, c.clock())
	deadline, bounded := ctx.Deadline()
	late := func() bool { return bounded && deadline.Sub(c.clock()) <= margin }
	workers := Workers
	if c.Workers > 0 {
		workers = c.Workers
	}
	var (
		mu     sync.Mutex
		failed bool
	)
	erase := func(id string) error {
		e, err := c.store.EraseCustomer(ctx, id, now)
		mu.Lock()
		defer mu.Unlock()
		rep.AddressesDeleted += e.Addresses
		rep.LinksDeleted += e.Links
		rep.OrdersRedacted += e.Orders
		if e.Tombstone {
			rep.CustomersErased++
		}
		if e.NotDeleted {
			rep.Skipped++
		}
		failed = failed || err != nil
		return err
	}
	stop := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return failed || late()
	}
	after := ""
	for {
		if late() {
			rep.StoppedEarly = true
			return rep, nil
		}
		var ids []string
		var next string
		ids, next, err = c.store.DeletedBefore(ctx, rep.Cutoff, PageSize, after)
		if err != nil {
			rep.StoppedEarly = true
			return rep, err
		}
		var g errgroup.Group
		g.SetLimit(workers)
		stopped := false
		for i, id := range ids {
			if i > 0 && stop() {
				stopped = true
				break
			}
			g.Go(func() error { return erase(id) })
		}
		err = g.Wait()
		if err != nil || stopped {
			rep.StoppedEarly = true
			return rep, err
		}
		if after = next; after == "" {
			return rep, nil
		}
	}
}
