package customers

import (
	"context"
	"errors"
	"time"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/etag"
	"github.com/acme/customers/pkg/flows"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/problem"
)

// Service carries out the customer endpoints' rules.
type Service struct {
	store     Store
	passwords *auth.Passwords
	tokens    *auth.Tokens
	now       func() time.Time
	login     LoginPolicy
	// reauthAge is how recent a customer token must be to change credentials without the
	// current password.
	reauthAge time.Duration
	// schemas are the core flows' fields (the customers flow's are read).
	schemas *flows.Schemas
}

// Rules are the service's tunable rules.
type Rules struct {
	Login LoginPolicy
	// ReauthMaxAge: a customer token at most this old may change its customer's email or
	// password without data.current_password.
	ReauthMaxAge time.Duration
	// Schemas gives the customers flow's fields (nil: none).
	Schemas *flows.Schemas
}

// NewService wires a Service.
func NewService(s Store, p *auth.Passwords, t *auth.Tokens, r Rules) *Service {
	return &Service{store: s, passwords: p, tokens: t, now: func() time.Time { return time.Now().UTC() },
		login: r.Login, reauthAge: r.ReauthMaxAge, schemas: r.Schemas}
}

// Passwords is the service's password hasher (functions that check passwords prepare it
// at cold start).
func (s *Service) Passwords() *auth.Passwords { return s.passwords }

// ErrNeedsCustomerToken refuses a caller acting on a customer that is not theirs.
var ErrNeedsCustomerToken = problem.Denied("this needs a client_credentials token, or a customer token for this customer")

// Authorize decides whether caller may act on customer id and what belongs to it (see
// auth.Caller.MayActOn).
func Authorize(c auth.Caller, customerID string) error {
	if c.MayActOn(customerID) {
		return nil
	}
	return ErrNeedsCustomerToken
}

// ErrNeedsAdmin refuses a caller who may not list customers.
var ErrNeedsAdmin = problem.Denied("listing customers needs a client_credentials token")

// AuthorizeList decides whether caller may list customers: an administrator alone. Handlers
// call it before they parse the query or read the settings, so that a refused caller learns
// nothing about either and costs no read.
func AuthorizeList(c auth.Caller) error {
	if c.Admin() {
		return nil
	}
	return ErrNeedsAdmin
}

// guard is the write condition for caller.
func guard(c auth.Caller, version int64) Guard {
	return Guard{Version: version, TokenGen: c.TokenGen()}
}

// checkLive turns a read customer into what caller may see: a customer token must still be
// current (same generation, customer not deleted); anyone else gets 404 for a deleted one.
func checkLive(c auth.Caller, cust *Customer, err error) (*Customer, error) {
	if c.CustomerID != "" {
		if errors.Is(err, ErrNotFound) || (err == nil && (cust.Deleted || cust.TokenGen != c.Gen)) {
			return nil, ErrRevoked
		}
	}
	if err != nil {
		return nil, err
	}
	if cust.Deleted {
		return nil, ErrNotFound
	}
	return cust, nil
}

// Create signs a customer up. Any access token may (a storefront registers shoppers with
// its implicit token).
func (s *Service) Create(ctx context.Context, o api.Object) (*Customer, error) {
	schema, err := s.schemas.ForBody(ctx, flows.Customers, o, isMember)
	if err != nil {
		return nil, err
	}
	in, err := ParseInput(o, true, "", schema)
	if err != nil {
		return nil, err
	}
	now := s.now()
	c := &Customer{
		ID:            id.New(),
		Name:          *in.Name,
		Email:         *in.Email,
		ExternalRef:   in.ExternalRef,
		Custom:        in.Custom,
		AuthMechanism: MechanismPassword,
		Version:       1,
		CreatedAt:     now,
		UpdatedAt:     now,
	}
	if in.Password != nil {
		if c.PasswordHash, err = s.passwords.Hash(*in.Password); err != nil {
			return nil, err
		}
		c.HasPassword = true
	}
	if err := s.store.Create(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Get reads one customer.
func (s *Service) Get(ctx context.Context, caller auth.Caller, customerID string) (*Customer, error) {
	if err := Authorize(caller, customerID); err != nil {
		return nil, err
	}
	if !id.Valid(customerID) {
		return nil, ErrNotFound
	}
	return s.live(ctx, caller, customerID)
}

// live reads a customer as caller may see it (see checkLive).
func (s *Service) live(ctx context.Context, caller auth.Caller, customerID string) (*Customer, error) {
	c, err := s.store.Get(ctx, customerID)
	return checkLive(caller, c, err)
}

// Update applies a partial update. A new email goes through the same uniqueness claim as
// sign-up; a new password kills the customer's older tokens. A customer (not staff) who
// changes their email or an existing password must prove it is them (see reauthenticate).
// With If-Match (m), the record must be at a version it names, in the write's condition:
// otherwise 412 and nothing changes.
func (s *Service) Update(ctx context.Context, caller auth.Caller, customerID string, o api.Object, m etag.Match) (*Customer, error) {
	c, err := s.updateMatching(ctx, caller, customerID, o, m)
	return c, m.Refused(customerID, err)
}

// updateMatching is Update, whose refusal for a change made meanwhile (an etag.Changed)
// becomes If-Match's 412.
func (s *Service) updateMatching(ctx context.Context, caller auth.Caller, customerID string, o api.Object, m etag.Match) (*Customer, error) {
	if err := Authorize(caller, customerID); err != nil {
		return nil, err
	}
	if !id.Valid(customerID) {
		return nil, ErrNotFound
	}
	schema, err := s.schemas.ForBody(ctx, flows.Customers, o, isMember)
	if err != nil {
		return nil, err
	}
	in, err := ParseInput(o, false, customerID, schema)
	if err != nil {
		return nil, err
	}
	p := Patch{Name: in.Name, Email: in.Email, SetExternalRef: in.SetExternalRef, ExternalRef: in.ExternalRef}
	if p.Email == nil && in.Password == nil && in.Custom == nil {
		g := guard(caller, 0)
		g.Versions = m.Versions(customerID)
		return s.update(ctx, caller, customerID, p, g)
	}
	// Credentials may change: read first, for the old email's key and the proof; custom
	// values are merged into the ones read, pruned of deleted fields', and written whole.
	cur, err := s.live(ctx, caller, customerID)
	if err != nil {
		return nil, err
	}
	if err := m.Check(customerID, cur.Version); err != nil {
		return nil, err // and the writes below are at cur's version, which m names
	}
	if in.Custom != nil {
		p.Custom, p.ReplaceCustom = schema.Prune(cur.Custom.Merge(in.Custom)), true
	}
	moves := p.Email != nil && EmailKey(cur.Email) != EmailKey(*p.Email)
	if err := s.reauthenticate(ctx, caller, cur, in.CurrentPassword, moves || (in.Password != nil && cur.HasPassword)); err != nil {
		return nil, err
	}
	if in.Password != nil {
		h, err := s.passwords.Hash(*in.Password)
		if err != nil {
			return nil, err
		}
		p.PasswordHash = &h
	}
	if !moves && p.PasswordHash == nil {
		return s.update(ctx, caller, customerID, p, guard(caller, cur.Version))
	}
	out, err := s.store.ChangeCredentials(ctx, cur, p, s.now())
	if errors.Is(err, ErrStale) && caller.CustomerID != "" {
		// The record changed under us; if the token died meanwhile, say so.
		if _, lerr := s.live(ctx, caller, customerID); lerr != nil {
			return nil, lerr
		}
	}
	return out, err
}

// Errors of reauthenticate.
var (
	ErrReauthenticate = &problem.Error{Kind: problem.Forbidden, Title: "Forbidden", Source: "data.current_password",
		Detail: "changing the email or the password needs data.current_password, or a customer token from a log-in in the last few minutes"}
	ErrWrongCurrentPassword = &problem.Error{Kind: problem.Forbidden, Title: "Forbidden", Source: "data.current_password",
		Detail: "data.current_password is not this customer's password"}
)

// reauthenticate makes a customer who changes their credentials prove it is them, so that
// a stolen customer token cannot take the account over: either the current password
// (checked under the log-in policy, as a log-in would be), or a token issued in the last
// reauthAge (a storefront may change credentials right after a log-in). Staff, and
// customers who set a first password, need neither.
func (s *Service) reauthenticate(ctx context.Context, caller auth.Caller, cur *Customer, current *string, needed bool) error {
	if !needed || caller.Admin() {
		return nil
	}
	if current == nil {
		if s.now().Sub(caller.IssuedAt) <= s.reauthAge {
			return nil
		}
		return ErrReauthenticate
	}
	_, ok, err := s.verify(ctx, EmailKey(cur.Email), caller.Address, *current, func(context.Context) (*Credentials, error) {
		return &Credentials{CustomerID: cur.ID, PasswordHash: cur.PasswordHash, TokenGen: cur.TokenGen}, nil
	})
	switch {
	case err != nil:
		return err
	case !ok:
		return ErrWrongCurrentPassword
	}
	return nil
}

func (s *Service) update(ctx context.Context, caller auth.Caller, customerID string, p Patch, g Guard) (*Customer, error) {
	out, err := s.store.Update(ctx, customerID, p, s.now(), g)
	if errors.Is(err, ErrNotFound) && caller.CustomerID != "" {
		return nil, ErrRevoked
	}
	return out, err
}

// Delete deletes a customer at once: it disappears, its email is free again and its tokens
// stop working. The scheduled cleanup erases what belonged to it later. With If-Match (m),
// the record must be at a version it names: the delete is written at the version read,
// which m names, and a change in between is a 412, not another try.
func (s *Service) Delete(ctx context.Context, caller auth.Caller, customerID string, m etag.Match) error {
	if err := Authorize(caller, customerID); err != nil {
		return err
	}
	if !id.Valid(customerID) {
		return ErrNotFound
	}
	for attempt := 0; ; attempt++ {
		cur, err := s.live(ctx, caller, customerID)
		if err != nil {
			return err
		}
		if err := m.Check(customerID, cur.Version); err != nil {
			return err
		}
		err = s.store.Delete(ctx, cur, s.now())
		if m.Present() {
			return m.Refused(customerID, err)
		}
		if !errors.Is(err, ErrStale) || attempt == 2 {
			return err
		}
	}
}

// List returns a page of customers. Only an administrator may list.
func (s *Service) List(ctx context.Context, caller auth.Caller, q ListQuery) (ListResult, error) {
	if err := AuthorizeList(caller); err != nil {
		return ListResult{}, err
	}
	return s.store.List(ctx, q)
}
