// Package orders is the order domain: checkout (a cart becomes an order, for a registered
// customer or a guest), an order and its items, a customer's order history, and the rules
// of who may see which order. It does not know about HTTP or DynamoDB: handlers call it, and
// package store implements its Store.
package orders

import (
	"context"
	"time"

	"github.com/acme/customers/pkg/carts"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/flows"
	"github.com/acme/customers/pkg/problem"
)

// Statuses of a new order (the original's names).
const (
	StatusIncomplete = "incomplete"
	PaymentUnpaid    = "unpaid"
	ShippingPending  = "unfulfilled"
)

// MaxLines bounds the lines of an order (a cart holds at most as many), so that an order
// item stays far below DynamoDB's 400 KB.
const MaxLines = 100

// Line is one line of an order: the cart's line as it was at checkout.
type Line = carts.Line

// Customer is who an order is for: a registered customer (ID set) or a guest.
type Customer struct {
	ID    string // "" for a guest
	Name  string
	Email string
}

// Order is a stored order. Lines is set only where they were read (the order's items);
// LineIDs always.
type Order struct {
	ID          string
	Customer    Customer
	Billing     map[string]string // every address field; unset ones ""
	Shipping    map[string]string
	LineIDs     []string
	Lines       []Line
	Currency    string
	Total       int64 // minor units: the sum of the lines' values (no tax engine: with and without tax alike)
	Status      string
	Payment     string
	Fulfilment  string // the API's "shipping" status
	ExternalRef *string
	OrderNumber *string
	CartID      string
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Custom are the values of the orders flow's fields, by field id.
	Custom flows.Values
	// RedactedAt is when the scheduled cleanup replaced the personal data of a deleted
	// customer's order with a marker (zero if it has not).
	RedactedAt time.Time
}

// Page is one page of a customer's order history, newest first, and how many orders the
// customer has.
type Page struct {
	Orders []*Order
	// Total is how many orders match; a lower bound unless Exact.
	Total int
	Exact bool
	// Next continues after this page ("" at the end).
	Next string
}

// StaffQuery is a page of the list of every order that matches Filter, by created_at.
type StaffQuery ListQuery

// Store keeps orders. Package store implements it on DynamoDB.
type Store interface {
	// Cart reads a cart (an empty one when none is stored).
	Cart(ctx context.Context, cartID string) (*carts.Cart, error)
	// PlaceOrder stores o, its lines and, for a registered customer, the link in the
	// customer's history, and empties the cart, in one transaction: only if the cart is
	// still as read (ErrCartChanged) and the customer still live, at g's token generation
	// when set (customers.ErrNotFound, customers.ErrRevoked).
	PlaceOrder(ctx context.Context, o *Order, cart *carts.Cart, g customers.Guard) error
	// Order reads an order without its lines. ErrNotFound when there is none.
	Order(ctx context.Context, id string) (*Order, error)
	// UpdateOrder writes next's statuses, references, shipping address, version and
	// updated_at over the order, on condition that it is still at cur's version (ErrStale),
	// and for a registered customer's order over its copy in the customer's history too,
	// atomically; a history whose copy is gone (erased by the cleanup of a deleted
	// customer) is not written to.
	UpdateOrder(ctx context.Context, cur, next *Order) error
	// OwnOrder reads an order (with its lines when lines) and, when owner is set, that
	// customer's profile, in one call: ErrNotFound when there is no such order or it is not
	// the owner's; customers.ErrNotFound or customers.ErrRevoked when the owner fails g.
	OwnOrder(ctx context.Context, id string, lines bool, owner string, g customers.Guard) (*Order, error)
	// CustomerOrders lists a page of a live customer's orders, newest first, with their
	// number: one Query of the customer's partition, which also checks the owner (its
	// token generation when tokenGen is set). cursor continues a page before.
	// With owner nil (staff), the customer need not be live: a deleted customer's orders
	// stay listed until the cleanup erases them.
	CustomerOrders(ctx context.Context, customerID string, owner *customers.Guard, limit, offset int, cursor string) (Page, error)
	// ListOrders lists a page of every order that matches q (the staff's list).
	ListOrders(ctx context.Context, q StaffQuery) (Page, error)
}

// Errors.
var (
	ErrNotFound    = problem.Missing("order")
	ErrEmptyCart   = &problem.Error{Kind: problem.BadRequest, Title: "empty cart", Source: "data", Detail: "the cart is empty: add items before checking out"}
	ErrCartChanged = &problem.Error{Kind: problem.Conflict, Title: "Conflict", Source: "data",
		Detail: "the cart changed while it was checked out (another checkout, or an item added or removed): read it and check out again"}
	ErrNeedsCustomerToken = problem.Denied("checking out as a customer needs that customer's token: send X-Moltin-Customer-Token, or check out as a guest with data.customer.name and data.customer.email")
	ErrNoOrders           = problem.Denied("orders need a client_credentials token, or a customer token for the customer's own orders")
)
