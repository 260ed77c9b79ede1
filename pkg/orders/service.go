package orders

import (
	"context"
	"errors"

	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/id"
)

// Get reads one order: any, for client_credentials; a customer's own, with that customer's
// token (another customer's order is not found: a customer token learns nothing of other
// orders). An implicit token alone reads no order.
func (s *Service) Get(ctx context.Context, caller auth.Caller, orderID string) (*Order, error) {
	return s.read(ctx, caller, orderID, s.store.Order)
}

// Items reads an order with its lines, under Get's rules.
func (s *Service) Items(ctx context.Context, caller auth.Caller, orderID string) (*Order, error) {
	return s.read(ctx, caller, orderID, s.store.OrderWithLines)
}

func (s *Service) read(ctx context.Context, caller auth.Caller, orderID string, read func(context.Context, string) (*Order, error)) (*Order, error) {
	if !caller.Admin() && caller.CustomerID == "" {
		return nil, ErrNoOrders
	}
	if !id.Valid(orderID) {
		return nil, ErrNotFound
	}
	var (
		cust    *customers.Customer
		custErr error
		done    = make(chan struct{})
	)
	if caller.CustomerID != "" {
		// The customer's token must still be good: read its customer alongside.
		go func() {
			defer close(done)
			cust, custErr = s.customers.Get(ctx, caller, caller.CustomerID)
		}()
	} else {
		close(done)
	}
	o, err := read(ctx, orderID)
	<-done
	switch {
	case custErr != nil:
		return nil, custErr
	case err != nil:
		return nil, err
	case cust != nil && o.Customer.ID != cust.ID:
		return nil, ErrNotFound
	}
	return o, nil
}

// ListQuery is a page of a customer's order history.
type ListQuery struct {
	Limit, Offset int
	Cursor        string
}

// History lists the caller's own orders, newest first: one Query of the customer's
// partition. It needs a customer token (client_credentials lists through the staff list).
func (s *Service) History(ctx context.Context, caller auth.Caller, customerID string, q ListQuery) (Page, error) {
	if !caller.MayActOn(customerID) {
		return Page{}, ErrNoOrders
	}
	p, err := s.store.CustomerOrders(ctx, customerID, caller.TokenGen(), q.Limit, q.Offset, q.Cursor)
	if caller.CustomerID != "" && errors.Is(err, customers.ErrNotFound) {
		return p, customers.ErrRevoked
	}
	return p, err
}
