package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"github.com/acme/customers/pkg/problem"
	"github.com/acme/customers/pkg/secrets"
)

// Caller is who is making a request: the application's grant and, when a customer token
// came with it, the customer it names.
type Caller struct {
	Grant Grant
	// CustomerID and Gen are set when a valid customer token came with the request. The
	// token's generation must still match the stored customer: see customers.Service.
	CustomerID string
	Gen        int64
	// IssuedAt is when the customer token was issued (a log-in): a recent one lets a
	// customer change their credentials without giving their password again.
	IssuedAt time.Time
	// Address is the client's network address as API Gateway saw it (sourceIp), which
	// log-in throttling counts by; never taken from a header the client sets.
	Address string
}

// Admin reports whether the caller may act on any customer: a client_credentials token
// without a customer token.
func (c Caller) Admin() bool { return c.Grant == ClientCredentials && c.CustomerID == "" }

// MayActOn reports whether the caller may act on customerID's record and what belongs to
// it: an administrator on any customer, a customer on their own alone. It answers without
// knowing whether the id exists, so a customer token cannot probe for other customers.
func (c Caller) MayActOn(customerID string) bool {
	return c.Admin() || (c.CustomerID != "" && c.CustomerID == customerID)
}

// TokenGen is the generation of the caller's customer token, which writes on that
// customer's behalf must still find current; nil without a customer token.
func (c Caller) TokenGen() *int64 {
	if c.CustomerID == "" {
		return nil
	}
	gen := c.Gen
	return &gen
}

// Headers gives access to request headers by case-insensitive name.
type Headers interface {
	Header(name string) string
}

// CustomerTokenHeader carries the customer token next to the access token.
const CustomerTokenHeader = "X-Moltin-Customer-Token"

var (
	errNoAccess = &problem.Error{Kind: problem.Unauthorized, Title: "Unauthorized",
		Detail: "a valid access token is required: send Authorization: Bearer <token> from /oauth/access_token"}
	errBadCustomerToken = &problem.Error{Kind: problem.Forbidden, Title: "Forbidden",
		Detail: "the customer token is not valid"}
)

// Caller verifies the request's tokens. A missing or bad access token is a 401; a bad
// customer token is a 403 (the official SDK answers 401 by re-authenticating and retrying
// with the same customer token, which would only delay the shopper).
func (t *Tokens) Caller(ctx context.Context, h Headers) (Caller, error) {
	g, err := t.Access(ctx, h)
	if err != nil {
		return Caller{}, err
	}
	c := Caller{Grant: g}
	if ct := h.Header(CustomerTokenHeader); ct != "" {
		cc, err := t.VerifyCustomer(ctx, strings.TrimSpace(ct))
		if errors.Is(err, ErrInvalidToken) {
			return Caller{}, errBadCustomerToken
		}
		if err != nil {
			return Caller{}, err
		}
		c.CustomerID, c.Gen, c.IssuedAt = cc.CustomerID, cc.Gen, cc.IssuedAt
	}
	return c, nil
}

// Application is the caller as an application alone: the access token is verified and a
// customer token is ignored. Sign-up and log-in use it, so that a shopper whose customer
// token has expired can still log in again.
func (t *Tokens) Application(ctx context.Context, h Headers) (Caller, error) {
	g, err := t.Access(ctx, h)
	return Caller{Grant: g}, err
}

// Access verifies the request's access token alone.
func (t *Tokens) Access(ctx context.Context, h Headers) (Grant, error) {
	raw, ok := bearer(h.Header("Authorization"))
	if !ok {
		return "", errNoAccess
	}
	ac, err := t.VerifyAccess(ctx, raw)
	if errors.Is(err, ErrInvalidToken) {
		return "", errNoAccess
	}
	if err != nil {
		return "", err
	}
	return ac.Grant, nil
}

// bearer extracts the token of an "Authorization: Bearer <token>" header.
func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// Client is the one application allowed to get access tokens.
type Client struct {
	ID string
	// Secret holds its client secret: the current one, and during a change the other
	// one too.
	Secret *secrets.Value
}

// CheckSecret compares a presented secret with every valid one, each in constant time: the
// SHA-256 of each side, so that not even the valid secrets' length shows in the timing.
func (c Client) CheckSecret(ctx context.Context, presented string) (bool, error) {
	set, err := c.Secret.Get(ctx)
	if err != nil {
		return false, err
	}
	p := sha256.Sum256([]byte(presented))
	ok := 0
	for _, s := range set.All() {
		v := sha256.Sum256([]byte(s))
		ok |= subtle.ConstantTimeCompare(v[:], p[:])
	}
	return ok == 1 && presented != "", nil
}
