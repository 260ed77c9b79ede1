package sso

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Talking to identity providers: discovery (cached per process), the code exchange with
// client_secret_basic and PKCE, and the ID token's verification (go-oidc: the signature
// through the provider's JWKS, fetched again when a token names a key it does not know,
// with the algorithms pinned to the asymmetric ones; then iss, aud, exp, and here iat,
// nonce and azp).

// DefaultProviderTimeout bounds each call to a provider, so that a provider that does not
// answer costs a log-in a clean error well within the functions' 10-second timeout.
const DefaultProviderTimeout = 4 * time.Second

// maxProviderBody bounds what the service reads of a provider's answer.
const maxProviderBody = 1 << 20

// discoveryTTL is how long a process trusts a provider's discovery document.
const discoveryTTL = 10 * time.Minute

// clockSkew is how far a provider's clock may be ahead of ours (iat).
const clockSkew = time.Minute

// providers is a process's cache of discovered providers, by issuer.
type providers struct {
	client *http.Client
	now    func() time.Time
	mu     sync.Mutex
	byURL  map[string]discovered
}

type discovered struct {
	p       *oidc.Provider
	fetched time.Time
}

func newProviders(timeout time.Duration, now func() time.Time) *providers {
	if timeout <= 0 {
		timeout = DefaultProviderTimeout
	}
	return &providers{now: now, byURL: map[string]discovered{},
		client: &http.Client{Timeout: timeout, Transport: limitedTransport{http.DefaultTransport}}}
}

// limitedTransport cuts provider answers off at maxProviderBody.
type limitedTransport struct{ next http.RoundTripper }

func (t limitedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.LimitReader(resp.Body, maxProviderBody), resp.Body}
	return resp, nil
}

// ProviderError is a provider that could not be used: Unreachable when it did not answer
// (down, slow, refused the connection), otherwise it answered wrongly (a bad discovery
// document, a refused code, an ID token that does not verify). Detail is safe to show.
type ProviderError struct {
	Unreachable bool
	Detail      string
	Cause       error
}

func (e *ProviderError) Error() string { return "sso: " + e.Detail + ": " + e.Cause.Error() }
func (e *ProviderError) Unwrap() error { return e.Cause }

func providerFailure(detail string, err error) *ProviderError {
	var netErr net.Error
	unreachable := errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "connection reset") ||
		strings.Contains(err.Error(), "connection refused")
	return &ProviderError{Unreachable: unreachable, Detail: detail, Cause: err}
}

// discover returns the provider that a discovery URL describes, from the cache when it is
// fresh. go-oidc holds the provider to the issuer it was asked for.
func (ps *providers) discover(ctx context.Context, discoveryURL string) (*oidc.Provider, error) {
	ps.mu.Lock()
	d, ok := ps.byURL[discoveryURL]
	ps.mu.Unlock()
	if ok && ps.now().Sub(d.fetched) < discoveryTTL {
		return d.p, nil
	}
	// The provider keeps this context for its later JWKS fetches: it carries the bounded
	// client, not the request's deadline.
	p, err := oidc.NewProvider(oidc.ClientContext(context.WithoutCancel(ctx), ps.client), IssuerOf(discoveryURL))
	if err != nil {
		return nil, providerFailure("the identity provider's discovery document could not be read", err)
	}
	var doc struct {
		Token    string `json:"token_endpoint"`
		JWKS     string `json:"jwks_uri"`
		UserInfo string `json:"userinfo_endpoint"`
	}
	if err := p.Claims(&doc); err != nil {
		return nil, providerFailure("the identity provider's discovery document is not valid", err)
	}
	for _, u := range []string{p.Endpoint().AuthURL, doc.Token, doc.JWKS} {
		if _, why := CheckURL(u); why != "" {
			return nil, &ProviderError{Detail: "the identity provider's discovery document names an endpoint that " + why,
				Cause: fmt.Errorf("endpoint %q", u)}
		}
	}
	if doc.UserInfo != "" {
		if _, why := CheckURL(doc.UserInfo); why != "" {
			return nil, &ProviderError{Detail: "the identity provider's userinfo endpoint " + why, Cause: errors.New(doc.UserInfo)}
		}
	}
	ps.mu.Lock()
	ps.byURL[discoveryURL] = discovered{p, ps.now()}
	ps.mu.Unlock()
	return p, nil
}

// oauthConfig is the service's client at a provider.
func oauthConfig(p *oidc.Provider, prof *Profile, secret, callbackURL string) *oauth2.Config {
	ep := p.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader // client_secret_basic, what the original requires of providers
	return &oauth2.Config{ClientID: prof.ClientID, ClientSecret: secret, Endpoint: ep, RedirectURL: callbackURL,
		Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

// exchange trades the provider's code for tokens and verifies the ID token: signature,
// iss, aud, exp (go-oidc), then iat, nonce and azp; it returns who the shopper is.
func (ps *providers) exchange(ctx context.Context, p *oidc.Provider, prof *Profile, secret string, st *State, code string) (Identity, error) {
	cfg := oauthConfig(p, prof, secret, st.CallbackURL)
	tok, err := cfg.Exchange(oidc.ClientContext(ctx, ps.client), code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return Identity{}, &ProviderError{Detail: "the identity provider refused the code (" + safeCode(re.ErrorCode) + ")", Cause: err}
		}
		return Identity{}, providerFailure("the identity provider's token endpoint did not answer", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, &ProviderError{Detail: "the identity provider sent no ID token", Cause: errors.New("no id_token")}
	}
	verifier := p.Verifier(&oidc.Config{ClientID: prof.ClientID, Now: ps.now})
	idt, err := verifier.Verify(oidc.ClientContext(ctx, ps.client), raw)
	if err != nil {
		return Identity{}, &ProviderError{Detail: "the identity provider's ID token is not valid", Cause: err}
	}
	var claims struct {
		Email         string          `json:"email"`
		EmailVerified json.RawMessage `json:"email_verified"`
		Name          string          `json:"name"`
		GivenName     string          `json:"given_name"`
		FamilyName    string          `json:"family_name"`
		AZP           string          `json:"azp"`
	}
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, &ProviderError{Detail: "the identity provider's ID token is not valid", Cause: err}
	}
	now := ps.now()
	switch {
	case idt.Nonce == "" || !equal(idt.Nonce, st.Nonce):
		return Identity{}, &ProviderError{Detail: "the identity provider's ID token is not valid (nonce)", Cause: errors.New("nonce mismatch")}
	case idt.IssuedAt.IsZero() || idt.IssuedAt.After(now.Add(clockSkew)):
		return Identity{}, &ProviderError{Detail: "the identity provider's ID token is not valid (iat)", Cause: fmt.Errorf("iat %v", idt.IssuedAt)}
	case (claims.AZP != "" || len(idt.Audience) > 1) && claims.AZP != prof.ClientID:
		return Identity{}, &ProviderError{Detail: "the identity provider's ID token is not valid (azp)", Cause: errors.New("azp mismatch")}
	case idt.Subject == "" || len(idt.Subject) > 255:
		return Identity{}, &ProviderError{Detail: "the identity provider's ID token is not valid (sub)", Cause: errors.New("bad sub")}
	}
	id := Identity{ProfileID: prof.ID, Key: identityKey(idt.Issuer, idt.Subject), Email: claims.Email,
		EmailVerified: isTrue(claims.EmailVerified), Name: claims.Name}
	if id.Name == "" {
		id.Name = strings.TrimSpace(claims.GivenName + " " + claims.FamilyName)
	}
	if id.Email == "" {
		// Some providers keep the email out of the ID token: ask their userinfo endpoint,
		// which must speak of the same subject.
		if info, err := p.UserInfo(oidc.ClientContext(ctx, ps.client), oauth2.StaticTokenSource(tok)); err == nil && info.Subject == idt.Subject {
			var extra struct {
				Name string `json:"name"`
			}
			_ = info.Claims(&extra)
			id.Email, id.EmailVerified = info.Email, info.EmailVerified
			if id.Name == "" {
				id.Name = extra.Name
			}
		}
	}
	return id, nil
}

// isTrue reads email_verified, which some providers send as the string "true".
func isTrue(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "true" || s == `"true"`
}

// safeCode keeps an OAuth error code to the characters RFC 6749 allows it (printable
// ASCII but space, '"' and '\\'), for a message.
func safeCode(s string) string {
	if s == "" || len(s) > 64 || strings.ContainsFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e || r == '"' || r == '\\' }) {
		return "error"
	}
	return s
}

// identityKey names a provider's subject in the store: a hash of issuer and subject.
func identityKey(issuer, subject string) string {
	sum := sha256.Sum256([]byte(issuer + "\x1f" + subject))
	return hex.EncodeToString(sum[:])
}
