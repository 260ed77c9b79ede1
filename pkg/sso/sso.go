// Package sso is single sign-on for customers through OpenID Connect, as the original
// service does it: the store has one customer authentication realm (its storefront
// redirect URIs and duplicate-email policy) holding OpenID Connect profiles (one identity
// provider each), and the service is a *broker* between the storefront and the provider.
//
// The storefront sends the shopper's browser to a profile's authorization endpoint with its
// own state and PKCE challenge (Authorize); the service starts a code flow of its own at the
// provider (its own state, nonce and PKCE), takes the provider's answer at its callback,
// exchanges the code and verifies the ID token (Callback), and sends the browser back to
// the storefront with a one-time code of its own; the storefront exchanges that code, its
// redirect URI and its PKCE verifier for a customer token (Redeem, then package customers).
// Every leg's state is an item with a short lifetime that is taken by one conditional
// delete: a replayed callback or code finds nothing.
//
// It knows neither HTTP handlers nor DynamoDB: package handlers calls it, package store
// implements its Store.
package sso

import (
	"context"
	"time"

	"github.com/acme/customers/pkg/problem"
)

// Duplicate-email policies of a realm: what a first log-in through a provider does when a
// customer already has the provider's email.
const (
	// PolicyAllowed links the identity to that customer when the provider says the email is
	// verified.
	PolicyAllowed = "allowed"
	// PolicyAPIOnly never links: the log-in is refused, and the customer keeps logging in
	// as before.
	PolicyAPIOnly = "api_only"
)

// ClientID is the OAuth client id a storefront names at the authorization endpoint
// (meta.client_id of the customer authentication settings, as in the original).
const ClientID = "customers"

// Realm is the store's customer authentication realm. The store has exactly one: its ids
// are derived from the deployment's name, and until it is first changed it is the
// defaults (name "Customers", no redirect URIs, policy "allowed", no timestamps).
type Realm struct {
	ID string
	// StoreID is the id of the customer authentication settings that link it (the store).
	StoreID              string
	Name                 string
	RedirectURIs         []string
	DuplicateEmailPolicy string
	// Profiles counts the realm's OpenID Connect profiles (at most MaxProfiles).
	Profiles  int
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Profile is one identity provider of the realm.
type Profile struct {
	ID           string
	Name         string
	DiscoveryURL string
	// Issuer is the provider's issuer, from its discovery document when the profile was
	// created or its discovery URL changed.
	Issuer   string
	ClientID string
	// SealedSecret is the client secret, encrypted with a key the table does not hold
	// (see Service's secrets); it never leaves the service otherwise.
	SealedSecret []byte
	Version      int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Limits.
const (
	MaxProfiles     = 20
	MaxRedirectURIs = 20
	MaxURLLen       = 2048
	MaxNameLen      = 255
	MaxClientIDLen  = 1024
	MaxSecretLen    = 4096
	// MaxStateLen bounds what the storefront's state and PKCE challenge may be.
	MaxStateLen = 1024
)

// Lifetimes of the broker's legs: a shopper has StateTTL to log in at the provider, the
// storefront CodeTTL to exchange the code the callback gave it.
const (
	StateTTL = 10 * time.Minute
	CodeTTL  = 5 * time.Minute
)

// State is the broker's memory of one log-in between its authorization endpoint and its
// callback, keyed by a hash of the state it sent the provider.
type State struct {
	ProfileID string
	// The storefront's request.
	RedirectURI   string
	ClientState   string
	CodeChallenge string
	// The service's own request to the provider.
	CallbackURL string
	Nonce       string
	Verifier    string
	// Policy is the realm's duplicate-email policy when the log-in started.
	Policy  string
	Expires time.Time
}

// Identity is who the provider says the shopper is, from a verified ID token.
type Identity struct {
	ProfileID string
	// Key names the identity in the store: a hash of the provider's issuer and subject, so
	// that the subject itself is not kept and two providers never share one.
	Key           string
	Email         string
	EmailVerified bool
	Name          string
}

// Grant is the one-time code the callback gave the storefront: whom it logs in, and what
// the storefront must show to use it. Keyed by a hash of the code.
type Grant struct {
	Identity      Identity
	RedirectURI   string
	CodeChallenge string
	Policy        string
	Expires       time.Time
}

// Store keeps the realm, the profiles and the broker's states. Package store implements it
// on DynamoDB.
type Store interface {
	// Realm reads what the realm holds beyond its defaults: its name, redirect URIs,
	// policy, profile count, version and timestamps (all zero for a realm never written).
	Realm(ctx context.Context) (*Realm, error)
	// UpdateRealm replaces the realm's settings if it is still at cur's version (0: never
	// written), or ErrStale.
	UpdateRealm(ctx context.Context, cur, next *Realm) error
	// Profiles reads every profile.
	Profiles(ctx context.Context) ([]*Profile, error)
	// Profile reads one; ErrProfileNotFound.
	Profile(ctx context.Context, id string) (*Profile, error)
	// CreateProfile stores p and counts it on the realm, refusing a realm at MaxProfiles
	// (ErrTooManyProfiles).
	CreateProfile(ctx context.Context, p *Profile) error
	// UpdateProfile replaces a profile if it is still at cur's version (ErrStale).
	UpdateProfile(ctx context.Context, cur, next *Profile) error
	// DeleteProfile removes a profile at cur's version and uncounts it.
	DeleteProfile(ctx context.Context, cur *Profile) error
	// PutState stores a log-in's state under key (a hash), to expire at s.Expires.
	PutState(ctx context.Context, key string, s *State) error
	// TakeState removes and returns the state under key; ErrUnknownState when there is
	// none (never stored, expired, or taken already).
	TakeState(ctx context.Context, key string) (*State, error)
	// PutGrant stores a one-time code's grant under key (a hash).
	PutGrant(ctx context.Context, key string, g *Grant) error
	// TakeGrant removes and returns the grant under key; ErrInvalidCode when none.
	TakeGrant(ctx context.Context, key string) (*Grant, error)
}

// Metrics of log-ins through a provider (POST /v2/customers/tokens with
// oauth_authorization_code), counted once per attempt beside the password log-ins'
// (customers.MetricLoginSuccess …): a surge of failures is codes being replayed or forged.
const (
	MetricLoginSuccess = "SSOLoginSuccess" // a customer token was issued
	// MetricLoginFailure: the code, redirect URI or verifier refused, or the identity could
	// not be taken (no email, an email the policy may not link).
	MetricLoginFailure = "SSOLoginFailure"
)

// LoginOutcome is the metric an SSO log-in's result counts; "" for a failure of ours or of
// the provider (a 5xx, which the API counts as such), which says nothing of the caller.
func LoginOutcome(err error) string {
	l, ok := problem.Problems(err)
	switch {
	case err == nil:
		return MetricLoginSuccess
	case !ok:
		return ""
	}
	for _, e := range l {
		if e.Kind == problem.Internal || e.Kind == problem.Unavailable {
			return ""
		}
	}
	return MetricLoginFailure
}

// Errors.
var (
	ErrRealmNotFound    = problem.Missing("authentication realm")
	ErrProfileNotFound  = problem.Missing("OpenID Connect profile")
	ErrTooManyProfiles  = problem.New(problem.Unprocessable, "Unprocessable Entity", "a realm has at most 20 OpenID Connect profiles")
	ErrStale            = problem.New(problem.Conflict, "Conflict", "the resource changed while this request was processed; retry it")
	ErrUnknownState     = problem.New(problem.BadRequest, "Bad Request", "this log-in is unknown, has expired or was completed already; start it again from the store")
	ErrInvalidCode      = &problem.Error{Kind: problem.Unauthorized, Title: "Unauthorized", Source: "data.oauth_authorization_code", Detail: "invalid code: it is unknown, expired or used already"}
	ErrRedirectMismatch = &problem.Error{Kind: problem.Unauthorized, Title: "Unauthorized", Source: "data.oauth_redirect_uri", Detail: "redirect_uri mismatch: the code was issued for another redirect URI"}
	ErrVerifierMismatch = &problem.Error{Kind: problem.Unauthorized, Title: "Unauthorized", Source: "data.oauth_code_verifier", Detail: "code verifier mismatch: it does not match the code challenge of the log-in"}
)
