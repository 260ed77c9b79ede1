package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/problem"
)

// The broker's three legs. Errors follow OAuth 2.0 (RFC 6749 §4.1.2.1): until the
// storefront's client_id and redirect_uri are known to be the realm's, a problem is
// answered to the browser (a JSON 400/404), never sent anywhere; after that, it goes back
// to the storefront's redirect_uri as error, error_description and its state.

// LoginPath is the realm's authorization endpoint, under the API's base URL (a profile is
// chosen by ProfileParam in the query).
func LoginPath(storeID, realmID string) string {
	return "/oidc-idp/login/stores/" + storeID + "/authentication-realms/" + realmID
}

// CallbackPath is a profile's callback: the redirect URI to register at its provider.
func CallbackPath(storeID, realmID, profileID string) string {
	return "/oidc-idp/callback/stores/" + storeID + "/authentication-realms/" + realmID + "/oidc-profiles/" + profileID
}

// DiscoveryPath is the realm's discovery document for storefronts.
func DiscoveryPath(storeID, realmID string) string {
	return "/oidc-idp/stores/" + storeID + "/authentication-realms/" + realmID + discoverySuffix
}

// ProfileParam names the profile in the authorization endpoint's query, as the original.
const ProfileParam = "elasticpath_commerce_cloud_profile_id"

// Query reads one query parameter: its value, whether it was sent, and an error for a
// parameter that cannot be read (api.Request.Query).
type Query func(name string) (string, bool, error)

var (
	errBadClient   = problem.New(problem.BadRequest, "Bad Request", "client_id is not this store's single sign-on client")
	errBadRedirect = problem.New(problem.BadRequest, "Bad Request", "redirect_uri is not one of the authentication realm's redirect URIs")
)

// challengeRE is an S256 code challenge: the base64url of a SHA-256, without padding.
var challengeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// verifierRE is a PKCE code verifier (RFC 7636 §4.1).
var verifierRE = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// Authorize is the authorization endpoint: it checks the storefront's request, starts the
// service's own code flow at the profile's provider, and returns where to send the
// browser (the provider, or the storefront with an error).
func (s *Service) Authorize(ctx context.Context, storeID, realmID string, q Query, baseURL string) (string, error) {
	realm, err := s.RealmByID(ctx, realmID)
	if err != nil || realm.StoreID != storeID {
		return "", ErrRealmNotFound
	}
	get := func(name string) string {
		v, _, err := q(name)
		if err != nil {
			return "\x00" // unreadable: fails every check below
		}
		return v
	}
	if get("client_id") != ClientID {
		return "", errBadClient
	}
	redirect := get("redirect_uri")
	if !slices.Contains(realm.RedirectURIs, redirect) {
		return "", errBadRedirect
	}
	// From here on, the storefront hears of problems at its redirect URI.
	clientState := get("state")
	if len(clientState) > MaxStateLen || strings.ContainsRune(clientState, 0) {
		// Not echoed back: too long, or unreadable.
		return withParams(redirect, "error", "invalid_request", "error_description", "state is too long or not valid text"), nil
	}
	fail := func(code, description string) (string, error) {
		return withParams(redirect, "error", code, "error_description", description, "state", clientState), nil
	}
	switch {
	case clientState == "":
		return fail("invalid_request", "state is required")
	case get("response_type") != "code":
		return fail("unsupported_response_type", "response_type must be code")
	case !hasScope(get("scope"), "openid"):
		return fail("invalid_scope", "scope must include openid")
	case get("code_challenge_method") != "S256":
		return fail("invalid_request", "code_challenge_method must be S256")
	case !challengeRE.MatchString(get("code_challenge")):
		return fail("invalid_request", "code_challenge must be the base64url SHA-256 of the code verifier")
	}
	profileID := get(ProfileParam)
	if !id.Valid(profileID) {
		return fail("invalid_request", ProfileParam+" must name one of the realm's OpenID Connect profiles")
	}
	prof, err := s.store.Profile(ctx, profileID)
	if errors.Is(err, ErrProfileNotFound) {
		return fail("invalid_request", ProfileParam+" must name one of the realm's OpenID Connect profiles")
	} else if err != nil {
		return "", err
	}
	p, err := s.providers.discover(ctx, prof.DiscoveryURL)
	if err != nil {
		s.providerFailed(prof, err)
		return fail(providerErrorCode(err), "the identity provider could not be reached; try again later")
	}
	st := &State{ProfileID: prof.ID, RedirectURI: redirect, ClientState: clientState, CodeChallenge: get("code_challenge"),
		CallbackURL: baseURL + CallbackPath(storeID, realmID, prof.ID), Nonce: random(), Verifier: oauth2.GenerateVerifier(),
		Policy: realm.DuplicateEmailPolicy, Expires: s.now().Add(StateTTL)}
	state := random()
	if err := s.store.PutState(ctx, HashOf(state), st); err != nil {
		return "", err
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(st.Verifier), oauth2.SetAuthURLParam("nonce", st.Nonce)}
	for _, name := range []string{"prompt", "display", "ui_locales", "login_hint"} {
		if v := get(name); v != "" && len(v) <= 256 && !strings.ContainsRune(v, 0) {
			opts = append(opts, oauth2.SetAuthURLParam(name, v))
		}
	}
	return oauthConfig(p, prof, "", st.CallbackURL).AuthCodeURL(state, opts...), nil
}

// Callback takes the provider's answer: it takes the log-in's state (once), exchanges the
// code, verifies the ID token, and sends the browser back to the storefront with a
// one-time code of the service's own and the storefront's state.
func (s *Service) Callback(ctx context.Context, storeID, realmID, profileID string, q Query) (string, error) {
	state, _, _ := q("state")
	if state == "" || len(state) > MaxStateLen {
		return "", ErrUnknownState
	}
	st, err := s.store.TakeState(ctx, HashOf(state))
	if err != nil {
		return "", err
	}
	if st.ProfileID != profileID || !strings.HasSuffix(st.CallbackURL, CallbackPath(storeID, realmID, profileID)) || s.now().After(st.Expires) {
		return "", ErrUnknownState
	}
	fail := func(code, description string) (string, error) {
		return withParams(st.RedirectURI, "error", code, "error_description", description, "state", st.ClientState), nil
	}
	if e, _, _ := q("error"); e != "" {
		// The shopper declined, or the provider would not log them in.
		switch e {
		case "access_denied", "login_required", "consent_required", "interaction_required", "temporarily_unavailable":
		default:
			e = "access_denied"
		}
		return fail(e, "the identity provider did not log the shopper in")
	}
	code, _, _ := q("code")
	if code == "" || len(code) > 4096 {
		return fail("server_error", "the identity provider sent no code")
	}
	prof, err := s.store.Profile(ctx, profileID)
	if errors.Is(err, ErrProfileNotFound) {
		return fail("access_denied", "the identity provider is no longer configured")
	} else if err != nil {
		return "", err
	}
	box, err := s.secrets.Box(ctx)
	if err != nil {
		return "", err
	}
	secret, err := box.Open(prof.SealedSecret, []byte(prof.ID))
	if err != nil {
		// Sealed under a key retired since (the sealing secret rotated past it): the
		// operator sets the profile's client secret again.
		s.log.Error("an OpenID Connect profile's client secret does not open: set it again", "profile_id", prof.ID)
		return fail("server_error", "the identity provider is not configured correctly")
	}
	p, err := s.providers.discover(ctx, prof.DiscoveryURL)
	if err != nil {
		s.providerFailed(prof, err)
		return fail(providerErrorCode(err), "the identity provider could not be reached; try again later")
	}
	who, err := s.providers.exchange(ctx, p, prof, string(secret), st, code)
	if err != nil {
		s.providerFailed(prof, err)
		var pe *ProviderError
		if errors.As(err, &pe) && !pe.Unreachable {
			return fail("server_error", pe.Detail)
		}
		return fail(providerErrorCode(err), "the identity provider could not be reached; try again later")
	}
	grant := &Grant{Identity: who, RedirectURI: st.RedirectURI, CodeChallenge: st.CodeChallenge, Policy: st.Policy,
		Expires: s.now().Add(CodeTTL)}
	ours := random()
	if err := s.store.PutGrant(ctx, HashOf(ours), grant); err != nil {
		return "", err
	}
	return withParams(st.RedirectURI, "code", ours, "state", st.ClientState), nil
}

// Redeem takes a one-time code for the storefront that holds its verifier, once: a code
// tried with the wrong redirect URI or verifier is spent all the same.
func (s *Service) Redeem(ctx context.Context, code, redirectURI, verifier string) (*Grant, error) {
	if code == "" || len(code) > MaxStateLen {
		return nil, ErrInvalidCode
	}
	g, err := s.store.TakeGrant(ctx, HashOf(code))
	if err != nil {
		return nil, err
	}
	if s.now().After(g.Expires) {
		return nil, ErrInvalidCode
	}
	if !equal(redirectURI, g.RedirectURI) {
		return nil, ErrRedirectMismatch
	}
	if !verifierRE.MatchString(verifier) || !equal(oauth2.S256ChallengeFromVerifier(verifier), g.CodeChallenge) {
		return nil, ErrVerifierMismatch
	}
	return g, nil
}

// providerFailed logs a provider's failure for the operator: the profile and what went
// wrong (cut short; a provider's error message names no code or secret of ours).
func (s *Service) providerFailed(prof *Profile, err error) {
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500] + "…"
	}
	s.log.Warn("identity provider failed", "profile_id", prof.ID, "issuer", prof.Issuer, "error", msg)
}

// providerErrorCode is the OAuth error for a provider that failed.
func providerErrorCode(err error) string {
	var pe *ProviderError
	if errors.As(err, &pe) && !pe.Unreachable {
		return "server_error"
	}
	return "temporarily_unavailable"
}

// random is 256 random bits, base64url: states, nonces and codes.
func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashOf is the key a state or code is stored under (SHA-256, hex): the table never holds
// one that works.
func HashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// withParams is uri with the named values added to its query (pairs of name, value: an
// even count; empty values are left out).
func withParams(uri string, pairs ...string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri // a registered redirect URI always parses
	}
	q := u.Query()
	for i := 0; i < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			q.Set(pairs[i], pairs[i+1])
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// hasScope reports whether a scope list holds want. Scopes are separated by spaces, which
// a query may carry as '+' (form encoding, as URLSearchParams writes it).
func hasScope(scope, want string) bool {
	for _, s := range strings.FieldsFunc(scope, func(r rune) bool { return r == ' ' || r == '+' }) {
		if s == want {
			return true
		}
	}
	return false
}

// equal compares secrets in constant time.
func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
