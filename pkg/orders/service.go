package orders

import (
	"context"
	"errors"

	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/filter"
	"github.com/acme/customers/pkg/id"
)

// Get reads one order: any, for client_credentials; a customer's own, with that customer's
// token (another customer's order is not found: a customer token learns nothing of other
// orders). An implicit token alone reads no order. One read: the order and, for a
// customer, its profile (the token's check) in one BatchGetItem.
func (s *Service) Get(ctx context.Context, caller auth.Caller, orderID string) (*Order, error) {
	return s.read(ctx, caller, orderID, false)
}

// Items reads an order with its lines, under Get's rules.
func (s *Service) Items(ctx context.Context, caller auth.Caller, orderID string) (*Order, error) {
	return s.read(ctx, caller, orderID, true)
}

func (s *Service) read(ctx context.Context, caller auth.Caller, orderID string, lines bool) (*Order, error) {
	if !caller.Admin() && caller.CustomerID == "" {
		return nil, ErrNoOrders
	}
	if !id.Valid(orderID) {
		return nil, ErrNotFound
	}
	o, err := s.store.OwnOrder(ctx, orderID, lines, caller.CustomerID, customers.Guard{TokenGen: caller.TokenGen()})
	if caller.CustomerID != "" && errors.Is(err, customers.ErrNotFound) {
		return nil, customers.ErrRevoked // the token's customer is gone
	}
	return o, err
}

// ListQuery is a page of an order list.
type ListQuery struct {
	Desc          bool
	Limit, Offset int
	Filter        filter.Filter
	Cursor        string
}

// List lists orders newest first (or oldest, with Desc false). A customer token lists its
// customer's own orders: without a filter, one Query of the customer's partition (the
// profile, for the token's check and the count, then the page); with one, that customer's
// history read and filtered. client_credentials lists every order with the filter grammar
// (FilterSchema): eq(customer_id) reads that customer's history (a deleted customer's
// too, until the cleanup erases it; then its redacted orders). An implicit token alone
// lists nothing.
func (s *Service) List(ctx context.Context, caller auth.Caller, q ListQuery) (Page, error) {
	switch {
	case caller.Admin():
		if id, ok := onlyCustomer(q.Filter); ok && q.Desc {
			// One customer's history, newest first: its partition, page by page, however
			// many orders it holds. A customer with no partition may be one the cleanup
			// erased: its redacted orders are found by the list (orderPoints).
			p, err := s.store.CustomerOrders(ctx, id, nil, q.Limit, q.Offset, q.Cursor)
			if !errors.Is(err, customers.ErrNotFound) {
				return p, err
			}
		}
		return s.store.ListOrders(ctx, StaffQuery(q))
	case caller.CustomerID == "":
		return Page{}, ErrNoOrders
	case len(q.Filter) == 0 && q.Desc:
		p, err := s.store.CustomerOrders(ctx, caller.CustomerID, &customers.Guard{TokenGen: caller.TokenGen()}, q.Limit, q.Offset, q.Cursor)
		if errors.Is(err, customers.ErrNotFound) {
			return p, customers.ErrRevoked
		}
		return p, err
	}
	// Filtered: the customer's token must still be good, and the list is its history.
	if _, err := s.customers.Get(ctx, caller, caller.CustomerID); err != nil {
		return Page{}, err
	}
	own := filter.Expr{Op: filter.Eq, Field: "customer_id", Values: []string{caller.CustomerID}}
	q.Filter = append(filter.Filter{own}, q.Filter...)
	return s.store.ListOrders(ctx, StaffQuery(q))
}

// onlyCustomer reports whether f is eq(customer_id, id) and nothing else.
func onlyCustomer(f filter.Filter) (string, bool) {
	if len(f) == 1 && f[0].Field == "customer_id" && f[0].Op == filter.Eq {
		return f[0].Values[0], true
	}
	return "", false
}
