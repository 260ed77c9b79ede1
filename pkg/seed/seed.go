// Package seed fills a table with customers, addresses and orders through the store's own
// methods (the same items and transactions the service writes), many customers at once, for
// tests and benchmarks. Every personal value of a seeded customer carries its Mark, so that
// a test can look for what an erasure must have removed. Tooling only: no function imports it.
package seed

import (
	"context"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/acme/customers/pkg/addresses"
	"github.com/acme/customers/pkg/carts"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/orders"
	"github.com/acme/customers/pkg/store"
)

// Hash is a bcrypt-shaped password hash that no password matches (seeded customers never
// log in; hashing would only make seeding slow).
const Hash = "$2a$10$abcdefghijklmnopqrstuvCHEAPFAKEHASHFORTESTSONLY000000"

// Spec is one customer to seed.
type Spec struct {
	// Mark is in the customer's name, email, and every address line and name (addresses
	// and orders alike): letters only, capitalised ("Gonestreet"); the email has it in
	// lower case.
	Mark string
	// N tells customers of one Mark apart (it is in the name and the email).
	N int
	// Addresses and Orders are how many of each the customer gets; each order is a
	// one-line cart checked out, billed and shipped to an address of the Mark.
	Addresses, Orders int
	// Deleted, when not zero, is when the customer was deleted (after its orders).
	Deleted time.Time
	// Email, when set, is the customer's email instead of one made from the Mark (to
	// re-use a deleted customer's).
	Email string
}

// EmailAddress is the email of the customer sp seeds.
func (sp Spec) EmailAddress() string {
	if sp.Email != "" {
		return sp.Email
	}
	return fmt.Sprintf("%s-%d@example.com", strings.ToLower(sp.Mark), sp.N)
}

// Address is an address whose names and lines carry mark (every field of addresses.Fields
// present, unused ones empty, as the service stores them).
func Address(mark string) map[string]string {
	v := make(map[string]string, len(addresses.Fields))
	for _, f := range addresses.Fields {
		v[f] = ""
	}
	v["first_name"], v["last_name"], v["line_1"] = mark+" First", mark+" Last", "1 "+mark+" Road"
	v["postcode"], v["county"], v["country"] = "AB1 2CD", mark+"shire", "GB"
	return v
}

// parallel bounds the writes one Customer or Customers call has in flight.
const parallel = 8

// Customer seeds one customer as sp says and returns its id.
func Customer(ctx context.Context, s *store.Store, sp Spec) (string, error) {
	now := time.Now().UTC()
	c := &customers.Customer{ID: id.New(), Name: fmt.Sprintf("%s Person %d", sp.Mark, sp.N), Email: sp.EmailAddress(),
		AuthMechanism: "password", PasswordHash: Hash, HasPassword: true, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.Create(ctx, c); err != nil {
		return "", fmt.Errorf("seed customer: %w", err)
	}
	// Addresses and orders in parallel: each counts on the profile, and the store retries
	// the transactions that collide there.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	for range sp.Addresses {
		g.Go(func() error {
			a := &addresses.Address{ID: id.NewOrdered(), CustomerID: c.ID, Values: Address(sp.Mark), Version: 1, CreatedAt: now, UpdatedAt: now}
			if err := s.CreateAddress(gctx, addresses.Owner{CustomerID: c.ID}, a, 0); err != nil {
				return fmt.Errorf("seed address: %w", err)
			}
			return nil
		})
	}
	for range sp.Orders {
		g.Go(func() error {
			_, err := Order(gctx, s, c, sp.Mark)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return "", err
	}
	if sp.Deleted.IsZero() {
		return c.ID, nil
	}
	cur, err := s.Get(ctx, c.ID)
	if err != nil {
		return "", fmt.Errorf("seed delete: %w", err)
	}
	if err := s.Delete(ctx, cur, sp.Deleted); err != nil {
		return "", fmt.Errorf("seed delete: %w", err)
	}
	return c.ID, nil
}

// Order checks out a one-line cart for c, billed and shipped to an address of mark, and
// returns the order's id.
func Order(ctx context.Context, s *store.Store, c *customers.Customer, mark string) (string, error) {
	now := time.Now().UTC()
	cartID := id.New()
	l := carts.Line{ID: id.NewOrdered(), Name: "Thing", SKU: "sku-thing", Description: "a thing",
		Quantity: 1, Amount: 250, IncludesTax: true, CreatedAt: now}
	cart, err := s.AddLine(ctx, cartID, l, now)
	if err != nil {
		return "", fmt.Errorf("seed cart: %w", err)
	}
	o := &orders.Order{ID: id.NewOrdered(), Customer: orders.Customer{ID: c.ID, Name: c.Name, Email: c.Email},
		Billing: Address(mark), Shipping: Address(mark), LineIDs: []string{l.ID}, Lines: cart.Lines,
		Currency: "GBP", Total: 250, Status: "pending", Payment: "unpaid", Fulfilment: "unfulfilled",
		CartID: cartID, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.PlaceOrder(ctx, o, cart, customers.Guard{}); err != nil {
		return "", fmt.Errorf("seed order: %w", err)
	}
	return o.ID, nil
}

// Customers seeds the customers specs describes, 8 at a time, and returns their ids in the
// same order.
func Customers(ctx context.Context, s *store.Store, specs []Spec) ([]string, error) {
	ids := make([]string, len(specs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	for i, sp := range specs {
		g.Go(func() (err error) {
			ids[i], err = Customer(gctx, s, sp)
			return err
		})
	}
	return ids, g.Wait()
}
