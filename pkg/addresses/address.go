// Package addresses is the address domain: a customer's addresses, their validation against
// the store's mandatory fields, and the Service behind the address endpoints.
package addresses

import (
	"context"
	"strconv"
	"time"

	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/flows"
	"github.com/acme/customers/pkg/problem"
)

// Fields are the address's string fields, in the order the API shows them.
var Fields = []string{"first_name", "last_name", "name", "phone_number", "instructions", "company_name",
	"line_1", "line_2", "city", "postcode", "county", "region", "country"}

// DefaultMandatory is the store's default set of fields required on create.
var DefaultMandatory = []string{"first_name", "last_name", "line_1", "county", "postcode", "country"}

// IsField reports whether name is an address field.
func IsField(name string) bool {
	for _, f := range Fields {
		if f == name {
			return true
		}
	}
	return false
}

// Address is a stored address. Values holds every field; unset ones are "".
type Address struct {
	ID         string
	CustomerID string
	Values     map[string]string
	// Custom are the values of the addresses flow's fields, by field id.
	Custom    flows.Values
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Rules are the store's settings that address writes obey.
type Rules struct {
	// Mandatory are the fields an address must have on create, and may not blank later.
	Mandatory []string
	// MaxPerCustomer caps a customer's addresses; 0 is no cap.
	MaxPerCustomer int
}

// Page is one page of a customer's addresses and how many the customer has.
type Page struct {
	Addresses []*Address
	Total     int
	Next      string // a continuation after this page; "" at the end
}

// Owner is what a write must still find true of the owning customer: that it exists and is
// not deleted, and for a customer acting on their own addresses, the token generation.
type Owner struct {
	CustomerID string
	TokenGen   *int64
}

// OwnerOf is the owner guard for caller acting on customerID's addresses.
func OwnerOf(c auth.Caller, customerID string) Owner {
	return Owner{CustomerID: customerID, TokenGen: c.TokenGen()}
}

// Store keeps addresses. Package store implements it on DynamoDB.
type Store interface {
	// CreateAddress stores a under its live owner and counts it, atomically, while the
	// owner has fewer than limit addresses (0: no cap). ErrNotFound or ErrRevoked when the
	// owner fails, CapReached(limit) when the cap does.
	CreateAddress(ctx context.Context, o Owner, a *Address, limit int) error
	// Address reads one address of the owner. ErrNotFound when the address or a live owner
	// is missing, ErrRevoked when the owner's token generation differs.
	Address(ctx context.Context, o Owner, addressID string) (*Address, error)
	// UpdateAddress writes new values and custom values (all of them) over cur (same
	// version) while the owner is live.
	UpdateAddress(ctx context.Context, o Owner, cur *Address, values map[string]string, custom flows.Values, now time.Time) (*Address, error)
	// DeleteAddress removes the address and uncounts it, atomically; when versions is not
	// nil (If-Match's, etag.Match.Versions), only if the address is at one of them (else an
	// etag.Changed).
	DeleteAddress(ctx context.Context, o Owner, addressID string, versions []int64) error
	// Addresses lists a page of the owner's addresses, oldest first, with their number.
	// cursor continues a page before (its Next).
	Addresses(ctx context.Context, o Owner, limit, offset int, cursor string) (Page, error)
}

// Errors a Store returns.
var (
	ErrNotFound = problem.Missing("address")
	ErrStale    = &problem.Error{Kind: problem.Conflict, Title: "Conflict",
		Detail: "the address changed while this request was processed; retry it"}
)

// CapReached is the answer to a create that would take a customer past the store's cap.
func CapReached(limit int) error {
	return &problem.Error{Kind: problem.BadRequest, Title: "limit", Source: "data",
		Detail: "a customer may have at most " + strconv.Itoa(limit) + " addresses (setting max_addresses_per_customer); delete one first"}
}
