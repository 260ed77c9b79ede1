package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"

	"golang.org/x/oauth2"

	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/handlers"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/sso"
)

// Single sign-on's storefront paths that need no identity provider: the implicit read a
// storefront draws its log-in buttons from, and the exchange of a one-time code for a
// customer token. Before each call (untimed) a grant is written as the broker's callback
// writes it; the provider's legs (discovery, the code exchange, the JWKS) are the
// provider's time, not the service's, and are tested against a real one instead.

const ssoRedirect = "https://shop.bench.example/callback"

// ssoProfile writes a profile through the store (no discovery: nothing here calls the
// provider) and returns the realm's id and the profile's.
func ssoProfile(ctx context.Context, e *env) (realmID, profileID string, err error) {
	realm := e.deps.SSO.Names()
	if _, ps, err := e.deps.SSO.Profiles(ctx, realm.ID); err != nil || len(ps) > 0 {
		if err != nil {
			return "", "", err
		}
		return realm.ID, ps[0].ID, nil
	}
	now := time.Now().UTC()
	p := &sso.Profile{ID: id.New(), Name: "Bench provider", DiscoveryURL: "https://idp.bench.example/.well-known/openid-configuration",
		Issuer: "https://idp.bench.example", ClientID: "bench", SealedSecret: []byte("not used"), Version: 1, CreatedAt: now, UpdatedAt: now}
	return realm.ID, p.ID, e.fixtures.CreateProfile(ctx, p)
}

func listProfiles(ctx context.Context, e *env) (*op, error) {
	realmID, _, err := ssoProfile(ctx, e)
	if err != nil {
		return nil, err
	}
	return handlerOp(e, "ListOidcProfilesFunction", handlers.ListOIDCProfiles, 200, fixed(request{
		Route: "GET /v2/authentication-realms/{realmId}/oidc-profiles", Path: map[string]string{"realmId": realmID},
		Headers: bearer(e.implicit)})), nil
}

// ssoLogin exchanges a fresh one-time code each call: for an identity some customer holds
// already (returning), or for a new one, which makes a customer (first).
func ssoLogin(first bool) func(context.Context, *env) (*op, error) {
	return func(ctx context.Context, e *env) (*op, error) {
		_, profileID, err := ssoProfile(ctx, e)
		if err != nil {
			return nil, err
		}
		verifier := oauth2.GenerateVerifier()
		key, email := randomHex(), e.email("sso")
		if !first {
			now := time.Now().UTC()
			c := &customers.Customer{ID: id.New(), Name: "Bench SSO", Email: email, AuthMechanism: customers.MechanismOIDC,
				Identities: []string{profileID + "#" + key}, Version: 1, CreatedAt: now, UpdatedAt: now}
			if err := e.fixtures.CreateWithIdentity(ctx, c, ""); err != nil {
				return nil, err
			}
		}
		return handlerOp(e, "CreateCustomerTokenFunction", handlers.CreateCustomerToken, 200, func(ctx context.Context) (request, error) {
			who := sso.Identity{ProfileID: profileID, Key: key, Email: email, EmailVerified: true, Name: "Bench SSO"}
			if first {
				who.Key, who.Email = randomHex(), e.email("sso-first")
			}
			code := base64.RawURLEncoding.EncodeToString([]byte(randomHex()))
			err := e.fixtures.PutGrant(ctx, sso.HashOf(code), &sso.Grant{Identity: who, RedirectURI: ssoRedirect,
				CodeChallenge: oauth2.S256ChallengeFromVerifier(verifier), Policy: sso.PolicyAllowed, Expires: time.Now().Add(sso.CodeTTL)})
			return request{Route: "POST /v2/customers/tokens", Headers: bearer(e.implicit),
				Body: `{"data":{"type":"token","authentication_mechanism":"oidc","oauth_authorization_code":"` + code +
					`","oauth_redirect_uri":"` + ssoRedirect + `","oauth_code_verifier":"` + verifier + `"}}`}, err
		}), nil
	}
}

func randomHex() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
