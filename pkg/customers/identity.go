package customers

import (
	"context"
	"errors"
	"strings"
	"unicode"

	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/problem"
)

// Identity is who an identity provider says a shopper is (single sign-on, package sso).
type Identity struct {
	// Name names the identity in the store, unique across providers ("<profile>#<hash>").
	Name  string
	Email string
	// DisplayName is the provider's name for the shopper (may be empty).
	DisplayName string
	// MayLink allows a first log-in to join the customer that already has Email: the
	// provider says the email is verified and the realm's policy allows it.
	MayLink bool
}

// Errors of a log-in through an identity provider. They say what is wrong with the
// provider's answer, never which customers exist beyond what a sign-up with the same email
// would tell.
var (
	ErrIdentityNoEmail = &problem.Error{Kind: problem.Unprocessable, Title: "Unprocessable Entity",
		Detail: "the identity provider did not share a usable email address; allow the email scope at the provider"}
	ErrIdentityNotLinked = &problem.Error{Kind: problem.Conflict, Title: "Conflict",
		Detail: "a customer with this email already exists and is not linked to this identity provider automatically; " +
			"log in with the password, or ask the store to link the account"}
	// ErrIdentityTaken is a store's answer when another customer took the identity first.
	ErrIdentityTaken = errors.New("customers: the identity belongs to another customer")
)

// identityAttempts bounds the retries of a first log-in that races another write (a
// sign-up with the same email, a second log-in of the same identity).
const identityAttempts = 3

// LoginIdentity issues a customer token for an identity a provider vouched for: the
// customer who holds the identity; on a first log-in, the customer with the same email if
// the identity may link to it; otherwise a new customer with the provider's name and email
// (authentication_mechanism "oidc", no password).
func (s *Service) LoginIdentity(ctx context.Context, who Identity) (string, auth.Token, error) {
	for attempt := 1; ; attempt++ {
		c, err := s.identityCustomer(ctx, who)
		if errors.Is(err, ErrIdentityTaken) || errors.Is(err, ErrEmailTaken) || errors.Is(err, ErrStale) {
			if attempt < identityAttempts {
				continue // someone else wrote first: look again
			}
			err = ErrStale
		}
		if err != nil {
			return "", auth.Token{}, err
		}
		tok, err := s.tokens.IssueCustomer(ctx, c.ID, c.TokenGen)
		return c.ID, tok, err
	}
}

// identityCustomer finds or makes the customer for who.
func (s *Service) identityCustomer(ctx context.Context, who Identity) (*Customer, error) {
	owner, err := s.store.IdentityOwner(ctx, who.Name)
	if err != nil {
		return nil, err
	}
	if owner != "" {
		c, err := s.store.Get(ctx, owner)
		if err == nil && !c.Deleted {
			return c, nil
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		// An identity left behind by a customer that is gone: it is taken over below.
	}
	email := strings.TrimSpace(who.Email)
	if CheckEmail(email, "email") != nil {
		return nil, ErrIdentityNoEmail
	}
	cred, err := s.store.LoginCredentials(ctx, EmailKey(email))
	if err != nil {
		return nil, err
	}
	if cred != nil {
		if !who.MayLink {
			return nil, ErrIdentityNotLinked
		}
		cur, err := s.store.Get(ctx, cred.CustomerID)
		if err != nil {
			return nil, err
		}
		return s.store.LinkIdentity(ctx, cur, who.Name, owner)
	}
	now := s.now()
	c := &Customer{ID: id.New(), Name: displayName(who.DisplayName, email), Email: email, AuthMechanism: MechanismOIDC,
		Identities: []string{who.Name}, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateWithIdentity(ctx, c, owner); err != nil {
		return nil, err
	}
	return c, nil
}

// displayName is a customer name from what the provider gave: its name, cleaned of control
// characters and cut to MaxNameLen characters, or the email's local part.
func displayName(name, email string) string {
	name = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name))
	if r := []rune(name); len(r) > MaxNameLen {
		name = strings.TrimSpace(string(r[:MaxNameLen]))
	}
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	return name
}

// IdentityStore is what a log-in through an identity provider needs of a Store.
type IdentityStore interface {
	// IdentityOwner is the id of the customer that holds the identity, "" when none.
	IdentityOwner(ctx context.Context, name string) (string, error)
	// LinkIdentity gives cur (at its version, live) the identity, which must be free or
	// still held by orphan (a customer that is gone; "" for none); it returns cur as
	// written. ErrIdentityTaken, ErrStale.
	LinkIdentity(ctx context.Context, cur *Customer, name, orphan string) (*Customer, error)
	// CreateWithIdentity is Create for a customer whose c.Identities (one) must be free or
	// held by orphan. ErrEmailTaken, ErrIdentityTaken.
	CreateWithIdentity(ctx context.Context, c *Customer, orphan string) error
}
