// Package carts is the cart domain: carts of custom items (a name, a SKU, a description, a
// quantity and a unit price in minor units of the store currency), their bounds, their
// validation and their totals, and the Service behind the cart endpoints. There is no
// catalog, no promotion and no tax engine: a cart's total with tax and without tax are both
// the sum of its lines' values, and no tax is ever added (price.includes_tax is kept and
// shown as sent).
package carts

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/acme/customers/pkg/problem"
)

// Bounds of a cart.
const (
	MaxIDLen          = 64                 // cart ids: 1 to 64 characters of [A-Za-z0-9_-]
	MaxLines          = 100                // lines in one cart, as the original's "100 unique items"
	MaxQuantity       = 10_000             // of one line
	MaxAmount         = 100_000_000_000    // a unit price, in minor units (10^11: a billion dollars)
	MaxNameLen        = 255                // characters
	MaxSKULen         = 64                 // characters
	MaxDescriptionLen = 256                // characters
	Lifetime          = 7 * 24 * time.Hour // a cart expires this long after its last change, as the original's
)

// MaxTotal is the largest total a cart can reach: every line at the largest quantity and
// unit price (10^17 minor units). Every sum of a cart is exact in int64.
const MaxTotal = MaxLines * MaxQuantity * MaxAmount

// The compiler refuses this if MaxTotal ever stops fitting in an int64.
const _ uint64 = math.MaxInt64 - MaxTotal

// Cart is a cart as stored. A cart never written, emptied, or expired has Version 0, no
// lines and zero times.
type Cart struct {
	ID string
	// Version grows by one with every change. A cart emptied (deleted) and filled again
	// starts over at 1; CreatedAt tells such a cart from the one before it.
	Version   int64
	Lines     []Line // oldest first: by CreatedAt, then ID
	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time
}

// Line is one custom item of a cart.
type Line struct {
	ID          string // a time-ordered UUID
	Name        string
	SKU         string
	Description string
	Quantity    int64
	Amount      int64 // the unit price, in minor units of the store currency
	IncludesTax bool  // as sent; no tax is added either way
	CreatedAt   time.Time
}

// Value is the line's quantity times its unit price, in minor units.
func (l Line) Value() int64 { return l.Quantity * l.Amount }

// Total is the sum of the lines' values, in minor units: with tax and without tax alike,
// since no tax is added.
func (c *Cart) Total() int64 {
	var sum int64
	for _, l := range c.Lines {
		sum += l.Value()
	}
	return sum
}

// Sort puts the lines in the order the API lists them: oldest first, then by id.
func (c *Cart) Sort() {
	slices.SortFunc(c.Lines, func(a, b Line) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
}

// Patch is an update of a line: nil members stay as they are.
type Patch struct {
	Name, SKU, Description *string
	Quantity, Amount       *int64
	IncludesTax            *bool
}

// Store keeps carts. Package store implements it on DynamoDB, one item a cart.
type Store interface {
	// Cart reads a cart; one never written (or expired) is an empty cart of Version 0.
	Cart(ctx context.Context, cartID string) (*Cart, error)
	// AddLine adds l to the cart, creating the cart if need be, while it has fewer than
	// MaxLines lines (ErrFull otherwise), and returns the cart after the change.
	AddLine(ctx context.Context, cartID string, l Line, now time.Time) (*Cart, error)
	// UpdateLine applies p to a line of the cart; ErrLineNotFound when there is no such line.
	UpdateLine(ctx context.Context, cartID, lineID string, p Patch, now time.Time) (*Cart, error)
	// RemoveLine removes a line of the cart; ErrLineNotFound when there is no such line.
	RemoveLine(ctx context.Context, cartID, lineID string, now time.Time) (*Cart, error)
	// EmptyCart removes the cart and every line of it (nothing happens to a cart not stored).
	EmptyCart(ctx context.Context, cartID string) error
}

// Errors a Store returns.
var (
	ErrLineNotFound = &problem.Error{Kind: problem.NotFound, Title: "Not Found", Detail: "the item does not exist in the cart"}
	ErrFull         = &problem.Error{Kind: problem.BadRequest, Title: "limit", Source: "data",
		Detail: "a cart may hold at most " + strconv.Itoa(MaxLines) + " items; remove one first"}
)

// CheckID refuses a cart id that is not 1 to MaxIDLen characters of A-Z, a-z, 0-9, _ and -
// (the client chooses it; these characters are safe in a URL and a key alike).
func CheckID(cartID string) error {
	ok := len(cartID) >= 1 && len(cartID) <= MaxIDLen
	for i := 0; ok && i < len(cartID); i++ {
		c := cartID[i]
		ok = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
	}
	if ok {
		return nil
	}
	return &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: "cartId",
		Detail: "a cart id is 1 to " + strconv.Itoa(MaxIDLen) + " characters of A-Z, a-z, 0-9, _ and -"}
}
