// Package customers is the customer domain: the Customer type, its validation rules, and
// the Service that signs customers up, reads, updates and deletes them, and logs them in.
// It does not know about HTTP or DynamoDB: handlers call it, and package store implements
// its Store.
package customers

import (
	"context"
	"time"

	"github.com/acme/customers/pkg/filter"
	"github.com/acme/customers/pkg/flows"
	"github.com/acme/customers/pkg/problem"
)

// Authentication mechanisms.
const (
	MechanismPassword = "password"
	MechanismOIDC     = "oidc"
)

// Customer is a stored customer.
type Customer struct {
	ID            string
	Name          string
	Email         string // as the customer typed it (trimmed)
	ExternalRef   *string
	AuthMechanism string
	// PasswordHash is the bcrypt hash, empty without a password or when the customer was
	// read from a list (indexes do not carry it). It never leaves the service: responses
	// carry only HasPassword.
	PasswordHash string
	HasPassword  bool
	// TokenGen is the credential generation. Customer tokens carry the generation they were
	// issued at; changing the password increments it, which kills older tokens.
	TokenGen  int64
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
	// Deleted marks a customer deleted but not yet erased by the cleanup.
	Deleted bool
	// Custom are the values of the customers flow's fields, by field id.
	Custom flows.Values
	// Identities names the identity-provider identities that log in as this customer
	// (Identity.Name), none for most.
	Identities []string
}

// Patch is a partial update: nil fields stay as they are.
type Patch struct {
	Name         *string
	Email        *string
	PasswordHash *string
	// SetExternalRef is set when the body names external_ref; ExternalRef nil then clears it.
	SetExternalRef bool
	ExternalRef    *string
	// Custom, when ReplaceCustom, are all the customer's custom values after the update
	// (read, merged with the body's, pruned of deleted fields': a whole map written at the
	// version read).
	Custom        flows.Values
	ReplaceCustom bool
}

// SortField is a field a customer list can be ordered by.
type SortField string

const (
	SortCreatedAt SortField = "created_at"
	SortUpdatedAt SortField = "updated_at"
	SortEmail     SortField = "email"
	SortName      SortField = "name"
	SortID        SortField = "id"
)

// ListQuery is one page of a customer list.
type ListQuery struct {
	Sort   SortField
	Desc   bool
	Limit  int
	Offset int
	Filter filter.Filter
	// Cursor continues from the page before, as its Next said: the page starts there, past
	// whatever is left of Offset's skip (the cursor knows how many matches it has passed).
	Cursor string
}

// ListResult is a page of customers.
type ListResult struct {
	Customers []*Customer
	// Total is the number of customers that match; when TotalExact is false it is a lower
	// bound (counting them all would read too much).
	Total      int
	TotalExact bool
	// Next continues after this page ("" when there is nothing more, or when offsets are as
	// cheap).
	Next string
}

// Guard is what a write must still find true when it lands: the version read (for a
// read-modify-write), and for a customer acting on their own record, the generation of
// their token.
type Guard struct {
	Version  int64 // 0: any version
	TokenGen *int64
	// Versions, when not nil, are the versions a request's If-Match names (etag.Match):
	// the record must be at one of them (none: at none, a write that cannot land).
	Versions []int64
}

// Store keeps customers. Package store implements it on DynamoDB.
type Store interface {
	// Create stores a new customer and claims its email, atomically. ErrEmailTaken when
	// another customer holds the email.
	Create(ctx context.Context, c *Customer) error
	// Get reads a customer, deleted or not. ErrNotFound when there is no record.
	Get(ctx context.Context, id string) (*Customer, error)
	// Update applies p to the customer (not deleted) if g holds, and returns the result.
	// ErrNotFound when there is no live customer, ErrStale when g does not hold.
	Update(ctx context.Context, id string, p Patch, now time.Time, g Guard) (*Customer, error)
	// ChangeCredentials is Update for a patch that moves the customer to another email or
	// sets a password: the customer and its email claim (which carries the credentials a
	// log-in reads) change in one transaction, conditional on cur's version; a new email
	// frees the old one and claims the new.
	ChangeCredentials(ctx context.Context, cur *Customer, p Patch, now time.Time) (*Customer, error)
	// Delete marks the customer deleted and frees its email, conditional on cur's version.
	Delete(ctx context.Context, cur *Customer, now time.Time) error
	// List returns a page of the live customers that match q.
	List(ctx context.Context, q ListQuery) (ListResult, error)
	// CountLogin counts one log-in attempt for the email (normalised) from address (see
	// AddressKey) under p, atomically, before the password is checked; when p refuses it,
	// nothing is counted and Attempt.Wait says for how long.
	CountLogin(ctx context.Context, emailKey, address string, now time.Time, p LoginPolicy) (Attempt, error)
	// LoginCredentials reads the credentials of the live customer an email (normalised)
	// belongs to, nil when none, with the same one read either way.
	LoginCredentials(ctx context.Context, emailKey string) (*Credentials, error)
	// ClearLogin forgets what the window starting at window counted for the email, and for
	// the email from address.
	ClearLogin(ctx context.Context, emailKey, address string, window time.Time) error
	// Rehash replaces a password hash made at another cost, if it is still oldHash; the
	// customer's tokens stay valid.
	Rehash(ctx context.Context, id, emailKey, oldHash, newHash string) error
	IdentityStore
}

// Errors a Store returns.
var (
	ErrNotFound   = problem.Missing("customer")
	ErrEmailTaken = &problem.Error{Kind: problem.Conflict, Title: "Conflict",
		Detail: "a customer with this email already exists", Source: "data.email"}
	ErrStale = &problem.Error{Kind: problem.Conflict, Title: "Conflict",
		Detail: "the customer changed while this request was processed; retry it"}
)

// ErrRevoked is returned when a customer token's generation no longer matches the
// customer's (the password changed after it was issued).
var ErrRevoked = &problem.Error{Kind: problem.Forbidden, Title: "Forbidden", Detail: "the customer token is not valid"}
