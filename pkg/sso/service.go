package sso

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/etag"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/problem"
	"github.com/acme/customers/pkg/seal"
)

// Service is the realm and profile endpoints' rules and the broker.
type Service struct {
	store Store
	// The realm's id and its store's, derived from the deployment's name.
	realmID, storeID string
	// secrets seals the profiles' client secrets under a key derived from the deployment's
	// sealing secret, which the table never holds.
	secrets   *seal.Keyring
	providers *providers
	now       func() time.Time
	// log hears of every provider that failed a log-in (the storefront only gets an OAuth
	// error code): what went wrong, never a code, token or secret.
	log *slog.Logger
}

// NewService returns a Service on s. deployment names the deployment (its table): the
// realm's ids are derived from it. secrets seals the profiles' client secrets (its purpose:
// SecretPurpose); timeout bounds each call to a provider (0: the default).
func NewService(s Store, deployment string, secrets *seal.Keyring, timeout time.Duration, log *slog.Logger) *Service {
	now := func() time.Time { return time.Now().UTC() }
	return &Service{store: s, log: log, realmID: id.Derived("authentication-realm\x1f" + deployment),
		storeID: id.Derived("store\x1f" + deployment), secrets: secrets,
		providers: newProviders(timeout, now), now: now}
}

// SecretPurpose is what the client secrets' sealing key is derived for.
const SecretPurpose = "oidc-client-secret"

// seal seals a profile's client secret, bound to its id.
func (s *Service) seal(ctx context.Context, secret, profileID string) ([]byte, error) {
	box, err := s.secrets.Box(ctx)
	if err != nil {
		return nil, err
	}
	return box.Seal([]byte(secret), []byte(profileID)), nil
}

// ErrNeedsAdmin refuses a caller who may not change the single sign-on configuration.
var ErrNeedsAdmin = problem.Denied("changing the single sign-on configuration needs a client_credentials token")

func mayWrite(c auth.Caller) error {
	if c.Admin() {
		return nil
	}
	return ErrNeedsAdmin
}

// Realm reads the store's realm.
func (s *Service) Realm(ctx context.Context) (*Realm, error) {
	r, err := s.store.Realm(ctx)
	if err != nil {
		return nil, err
	}
	r.ID, r.StoreID = s.realmID, s.storeID
	if r.Name == "" {
		r.Name = "Customers"
	}
	if r.DuplicateEmailPolicy == "" {
		r.DuplicateEmailPolicy = PolicyAllowed
	}
	if r.RedirectURIs == nil {
		r.RedirectURIs = []string{}
	}
	return r, nil
}

// Names is the realm as far as its ids go, and the store's: both are derived from the
// deployment's name, so naming them reads nothing.
func (s *Service) Names() *Realm { return &Realm{ID: s.realmID, StoreID: s.storeID} }

// Named is Names if realmID is the realm's id (ErrRealmNotFound otherwise): what the
// endpoints under a realm's path need when they do not show the realm's settings.
func (s *Service) Named(realmID string) (*Realm, error) {
	if realmID != s.realmID {
		return nil, ErrRealmNotFound
	}
	return s.Names(), nil
}

// RealmByID reads the realm if realmID is its id.
func (s *Service) RealmByID(ctx context.Context, realmID string) (*Realm, error) {
	if _, err := s.Named(realmID); err != nil {
		return nil, err
	}
	return s.Realm(ctx)
}

// UpdateRealm changes the realm's name, redirect URIs or duplicate-email policy; with
// If-Match (m), only if the realm is at a version m names (412 otherwise).
func (s *Service) UpdateRealm(ctx context.Context, c auth.Caller, realmID string, o api.Object, m etag.Match) (*Realm, error) {
	if err := mayWrite(c); err != nil {
		return nil, err
	}
	cur, err := s.RealmByID(ctx, realmID)
	if err != nil {
		return nil, err
	}
	if err := m.Check(realmID, cur.Version); err != nil {
		return nil, err // and the write below is at cur's version, which m names
	}
	next, err := ParseRealm(o, cur)
	if err != nil {
		return nil, err
	}
	next.Version, next.UpdatedAt = cur.Version+1, s.now()
	if next.CreatedAt.IsZero() {
		next.CreatedAt = next.UpdatedAt // the store keeps the first
	}
	if err := s.store.UpdateRealm(ctx, cur, next); err != nil {
		return nil, m.Refused(realmID, err)
	}
	return next, nil
}

// Profiles lists the realm's profiles.
func (s *Service) Profiles(ctx context.Context, realmID string) (*Realm, []*Profile, error) {
	r, err := s.Named(realmID)
	if err != nil {
		return nil, nil, err
	}
	ps, err := s.store.Profiles(ctx)
	return r, ps, err
}

// Profile reads one of the realm's profiles.
func (s *Service) Profile(ctx context.Context, realmID, profileID string) (*Realm, *Profile, error) {
	r, err := s.Named(realmID)
	if err != nil {
		return nil, nil, err
	}
	if !id.Valid(profileID) {
		return nil, nil, ErrProfileNotFound
	}
	p, err := s.store.Profile(ctx, profileID)
	return r, p, err
}

// CreateProfile adds an identity provider: its discovery document is read now, so that a
// mistyped URL is refused here rather than at a shopper's log-in.
func (s *Service) CreateProfile(ctx context.Context, c auth.Caller, realmID string, o api.Object) (*Realm, *Profile, error) {
	if err := mayWrite(c); err != nil {
		return nil, nil, err
	}
	r, err := s.Named(realmID)
	if err != nil {
		return nil, nil, err
	}
	in, err := ParseProfile(o, true)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	p := &Profile{ID: id.New(), Name: in.Name, DiscoveryURL: in.DiscoveryURL, ClientID: in.ClientID, Version: 1,
		CreatedAt: now, UpdatedAt: now}
	if p.Issuer, err = s.checkDiscovery(ctx, p.DiscoveryURL); err != nil {
		return nil, nil, err
	}
	if p.SealedSecret, err = s.seal(ctx, in.ClientSecret, p.ID); err != nil {
		return nil, nil, err
	}
	if err := s.store.CreateProfile(ctx, p); err != nil {
		return nil, nil, err
	}
	return r, p, nil
}

// UpdateProfile changes a profile (a partial update); a new discovery URL is read at once.
// With If-Match (m), only if the profile is at a version m names (412 otherwise).
func (s *Service) UpdateProfile(ctx context.Context, c auth.Caller, realmID, profileID string, o api.Object, m etag.Match) (*Realm, *Profile, error) {
	if err := mayWrite(c); err != nil {
		return nil, nil, err
	}
	r, cur, err := s.Profile(ctx, realmID, profileID)
	if err != nil {
		return nil, nil, err
	}
	if err := m.Check(profileID, cur.Version); err != nil {
		return nil, nil, err
	}
	in, err := ParseProfile(o, false)
	if err != nil {
		return nil, nil, err
	}
	next := *cur
	if in.Name != "" {
		next.Name = in.Name
	}
	if in.ClientID != "" {
		next.ClientID = in.ClientID
	}
	if in.ClientSecret != "" {
		if next.SealedSecret, err = s.seal(ctx, in.ClientSecret, cur.ID); err != nil {
			return nil, nil, err
		}
	}
	if in.DiscoveryURL != "" && in.DiscoveryURL != cur.DiscoveryURL {
		if next.Issuer, err = s.checkDiscovery(ctx, in.DiscoveryURL); err != nil {
			return nil, nil, err
		}
		next.DiscoveryURL = in.DiscoveryURL
	}
	next.Version, next.UpdatedAt = cur.Version+1, s.now()
	if err := s.store.UpdateProfile(ctx, cur, &next); err != nil {
		return nil, nil, m.Refused(profileID, err)
	}
	return r, &next, nil
}

// DeleteProfile removes a profile. Customers who logged in through it keep their records
// (and any password); they can no longer log in through it. With If-Match (m), only if the
// profile is at a version m names (412 otherwise).
func (s *Service) DeleteProfile(ctx context.Context, c auth.Caller, realmID, profileID string, m etag.Match) error {
	if err := mayWrite(c); err != nil {
		return err
	}
	_, cur, err := s.Profile(ctx, realmID, profileID)
	if err != nil {
		return err
	}
	if err := m.Check(profileID, cur.Version); err != nil {
		return err
	}
	return m.Refused(profileID, s.store.DeleteProfile(ctx, cur))
}

// checkDiscovery reads a discovery document and returns its issuer, or a 422 that says why
// it cannot be used.
func (s *Service) checkDiscovery(ctx context.Context, discoveryURL string) (string, error) {
	p, err := s.providers.discover(ctx, discoveryURL)
	if err != nil {
		detail := "The data.discovery_url field does not lead to a usable OpenID Connect provider"
		var pe *ProviderError
		if errors.As(err, &pe) {
			detail += ": " + pe.Detail
		}
		return "", &problem.Error{Kind: problem.Unprocessable, Title: "Failed Validation", Source: "data.discovery_url",
			Detail: detail + ".", Cause: err}
	}
	var doc struct {
		Issuer string `json:"issuer"`
	}
	_ = p.Claims(&doc)
	return doc.Issuer, nil
}
