package carts

import (
	"context"
	"time"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/money"
)

// Priced is a cart and the currency its amounts are in.
type Priced struct {
	*Cart
	Currency money.Currency
}

// Service carries out the cart endpoints' rules. Whoever knows a cart's id may use it, as
// in the original: the handlers ask for a valid access token and nothing more.
type Service struct {
	store    Store
	currency func(context.Context) (money.Currency, error)
	now      func() time.Time
}

// NewService wires a Service; currency returns the store's currency.
func NewService(s Store, currency func(context.Context) (money.Currency, error)) *Service {
	return &Service{store: s, currency: currency, now: func() time.Time { return time.Now().UTC() }}
}

// priced reads the store currency, so that a failure to read it comes before any change,
// then makes the cart to show with change.
func (s *Service) priced(ctx context.Context, change func() (*Cart, error)) (Priced, error) {
	cur, err := s.currency(ctx)
	if err != nil {
		return Priced{}, err
	}
	c, err := change()
	if err != nil {
		return Priced{}, err
	}
	return Priced{Cart: c, Currency: cur}, nil
}

// Get reads a cart; one never written reads as an empty cart.
func (s *Service) Get(ctx context.Context, cartID string) (Priced, error) {
	if err := CheckID(cartID); err != nil {
		return Priced{}, err
	}
	return s.priced(ctx, func() (*Cart, error) { return s.store.Cart(ctx, cartID) })
}

// Add adds a custom item to the cart, as a new line.
func (s *Service) Add(ctx context.Context, cartID string, body api.Object) (Priced, error) {
	if err := CheckID(cartID); err != nil {
		return Priced{}, err
	}
	l, err := ParseNew(body)
	if err != nil {
		return Priced{}, err
	}
	return s.priced(ctx, func() (*Cart, error) {
		now := s.now()
		l.ID, l.CreatedAt = id.NewOrdered(), now
		return s.store.AddLine(ctx, cartID, l, now)
	})
}

// Update changes the members of a line that the body names.
func (s *Service) Update(ctx context.Context, cartID, itemID string, body api.Object) (Priced, error) {
	if err := checkIDs(cartID, itemID); err != nil {
		return Priced{}, err
	}
	p, err := ParsePatch(body, itemID)
	if err != nil {
		return Priced{}, err
	}
	return s.priced(ctx, func() (*Cart, error) { return s.store.UpdateLine(ctx, cartID, itemID, p, s.now()) })
}

// Remove removes a line.
func (s *Service) Remove(ctx context.Context, cartID, itemID string) (Priced, error) {
	if err := checkIDs(cartID, itemID); err != nil {
		return Priced{}, err
	}
	return s.priced(ctx, func() (*Cart, error) { return s.store.RemoveLine(ctx, cartID, itemID, s.now()) })
}

// checkIDs checks the ids of a line's path: an item id that is not a UUID cannot exist,
// and is not found without a database call.
func checkIDs(cartID, itemID string) error {
	if err := CheckID(cartID); err != nil {
		return err
	}
	if !id.Valid(itemID) {
		return ErrLineNotFound
	}
	return nil
}

// Empty removes every line: the cart reads as empty afterwards.
func (s *Service) Empty(ctx context.Context, cartID string) error {
	if err := CheckID(cartID); err != nil {
		return err
	}
	return s.store.EmptyCart(ctx, cartID)
}
