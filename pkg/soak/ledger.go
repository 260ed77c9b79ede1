package soak

import "maps"

// The ledger is what the clients were told: every acknowledged write, and beside it the
// writes whose answer never came (indeterminate: applied or not, the client cannot know),
// which the reconciliation accepts either way but never counts as acknowledged.

// customerValues are a customer's members that the workload writes.
type customerValues struct {
	Name        string
	Email       string
	ExternalRef *string
}

func (v customerValues) equal(o customerValues) bool {
	return v.Name == o.Name && v.Email == o.Email && eqPtr(v.ExternalRef, o.ExternalRef)
}

func eqPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// customerRec is one customer a client signed up (acknowledged).
type customerRec struct {
	ID       string
	Password string
	// Acked are the values of the last acknowledged write; Maybe the values of later writes
	// whose answer never came (any of them may be what the table holds).
	Acked customerValues
	Maybe []customerValues
	// Sent are all the values it was ever sent, answered or not: once it is erased, none
	// may be left in the table (its personal data).
	Sent []customerValues
	// Deleted: a delete was acknowledged (it must be erased by the final cleanup).
	// DeleteUnsure: one went unanswered (it is live and untouched, or erased). Either way
	// no later step picks it.
	Deleted, DeleteUnsure bool
	// token is the client's current customer token for it ("" until a log-in).
	token string

	Addresses map[string]*addressRec // by id, acknowledged creates
	// addrUnsure is set when an address create or delete went unanswered: the count may
	// be one off what the acknowledged writes say.
	addrUnsure bool
	Orders     []string // acknowledged checkouts' order ids
	// orderUnsure: a checkout went unanswered.
	orderUnsure bool
}

// possible are the values the table may hold for c.
func (c *customerRec) possible() []customerValues {
	return append([]customerValues{c.Acked}, c.Maybe...)
}

// live reports whether c is the workload's to use: no delete of it was sent.
func (c *customerRec) live() bool { return !c.Deleted && !c.DeleteUnsure }

// marks are c's personal values (every name, email and external_ref it was sent, and its
// addresses' markers): what its erasure must leave nowhere.
func (c *customerRec) marks() []string {
	var m []string
	for _, v := range c.Sent {
		m = append(m, v.Name, v.Email)
		if v.ExternalRef != nil {
			m = append(m, *v.ExternalRef)
		}
	}
	for _, a := range c.Addresses {
		m = append(m, a.Marker)
	}
	return m
}

// liveAddresses counts the acknowledged addresses not deleted.
func (c *customerRec) liveAddresses() int {
	n := 0
	for _, a := range c.Addresses {
		if !a.Deleted {
			n++
		}
	}
	return n
}

// addressRec is one acknowledged address create, with its last acknowledged values.
type addressRec struct {
	ID     string
	Marker string // its name: unique per create, so that a second copy would show
	Acked  map[string]string
	Maybe  []map[string]string
	// Deleted: a delete was acknowledged. DeleteUnsure: one went unanswered.
	Deleted, DeleteUnsure bool
}

func (a *addressRec) possible() []map[string]string {
	return append([]map[string]string{a.Acked}, a.Maybe...)
}

// orderRec is one acknowledged checkout.
type orderRec struct {
	ID         string
	CartID     string
	CustomerID string // "" for a guest
	Total      int64
	Lines      int
	// Paid: staff marked it paid (acknowledged); PaidUnsure: that went unanswered.
	Paid, PaidUnsure bool
}

// signup is a sign-up that went unanswered: the customer may exist.
type signup struct {
	Email string
	Key   string
}

// ledger is one client's record; the run merges them.
type ledger struct {
	Customers []*customerRec
	Orders    []*orderRec
	// UnsureSignups went unanswered; UnsureCheckouts are the carts whose checkout did.
	UnsureSignups   []signup
	UnsureCheckouts []string
	// Carts are the carts left without a checkout, with the number of lines the client
	// last read (-1: a step on it went unanswered, or failed).
	Carts map[string]int
	// Writes counts acknowledged writes by kind.
	Writes map[string]int
}

func newLedger() *ledger { return &ledger{Carts: map[string]int{}, Writes: map[string]int{}} }

func (l *ledger) merge(o *ledger) {
	l.Customers = append(l.Customers, o.Customers...)
	l.Orders = append(l.Orders, o.Orders...)
	l.UnsureSignups = append(l.UnsureSignups, o.UnsureSignups...)
	l.UnsureCheckouts = append(l.UnsureCheckouts, o.UnsureCheckouts...)
	maps.Copy(l.Carts, o.Carts)
	for k, n := range o.Writes {
		l.Writes[k] += n
	}
}
