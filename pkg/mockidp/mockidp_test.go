package mockidp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// The client the tests register; the secret has characters client_secret_basic must
// form-encode.
const (
	clientID     = "broker-client"
	clientSecret = "s3cret+/=:ü"
)

var shared *Provider

func TestMain(m *testing.M) {
	p, err := Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	shared = p
	code := m.Run()
	p.Stop()
	os.Exit(code)
}

// provider returns the shared provider with the test client registered, and clears its
// fault and log when the test ends.
func provider(t *testing.T) *Provider {
	t.Helper()
	t.Cleanup(func() {
		if err := shared.Reset(context.Background()); err != nil {
			t.Errorf("reset: %v", err)
		}
	})
	if err := shared.SetClient(t.Context(), clientID, clientSecret); err != nil {
		t.Fatal(err)
	}
	if err := shared.Reset(t.Context()); err != nil {
		t.Fatal(err)
	}
	return shared
}

// flow is one relying party's authorization-code log-in against a provider, done like the
// broker will: discovery, a browser following the authorize redirect to our callback, a
// token exchange with client_secret_basic and PKCE, the ID token verified with its nonce.
type flow struct {
	t        *testing.T
	op       *oidc.Provider
	conf     oauth2.Config
	verifier string
	state    string
	nonce    string

	mu       sync.Mutex
	callback url.Values // the query our redirect_uri got
}

func newFlow(t *testing.T, p *Provider) *flow {
	t.Helper()
	op, err := oidc.NewProvider(t.Context(), p.Issuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	f := &flow{t: t, op: op, verifier: oauth2.GenerateVerifier(), state: random(), nonce: random()}
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.callback = r.URL.Query()
		f.mu.Unlock()
		fmt.Fprintln(w, "signed in")
	}))
	t.Cleanup(cb.Close)
	endpoint := op.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInHeader
	f.conf = oauth2.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Endpoint:     endpoint,
		RedirectURL:  cb.URL + "/callback",
		Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
	}
	return f
}

// authorize sends the browser to the authorization endpoint and returns the code the
// callback got (checking the state came back).
func (f *flow) authorize() string {
	f.t.Helper()
	u := f.conf.AuthCodeURL(f.state, oauth2.S256ChallengeOption(f.verifier), oidc.Nonce(f.nonce))
	browser := &http.Client{Timeout: 10 * time.Second}
	resp, err := browser.Get(u)
	if err != nil {
		f.t.Fatalf("authorize: %v", err)
	}
	resp.Body.Close()
	f.mu.Lock()
	q := f.callback
	f.mu.Unlock()
	if resp.StatusCode != http.StatusOK || q == nil {
		f.t.Fatalf("authorize: status %d, callback query %v", resp.StatusCode, q)
	}
	if q.Get("state") != f.state || q.Get("code") == "" {
		f.t.Fatalf("callback query %v: want state %q and a code", q, f.state)
	}
	return q.Get("code")
}

// exchange redeems code with the flow's verifier unless opts say otherwise.
func (f *flow) exchange(code string, opts ...oauth2.AuthCodeOption) (*oauth2.Token, error) {
	if len(opts) == 0 {
		opts = []oauth2.AuthCodeOption{oauth2.VerifierOption(f.verifier)}
	}
	return f.conf.Exchange(f.t.Context(), code, opts...)
}

// login runs authorize and exchange and returns the token and its raw ID token.
func (f *flow) login() (*oauth2.Token, string) {
	f.t.Helper()
	tok, err := f.exchange(f.authorize())
	if err != nil {
		f.t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		f.t.Fatal("no id_token in the token response")
	}
	return tok, raw
}

// verify checks raw's signature, issuer, audience and expiry with go-oidc and the nonce
// like a relying party.
func (f *flow) verify(raw string) (*oidc.IDToken, error) {
	idt, err := f.op.Verifier(&oidc.Config{ClientID: clientID}).Verify(f.t.Context(), raw)
	if err != nil {
		return nil, err
	}
	if idt.Nonce != f.nonce {
		return idt, fmt.Errorf("nonce %q, want %q", idt.Nonce, f.nonce)
	}
	return idt, nil
}

func TestDiscovery(t *testing.T) {
	p := provider(t)
	if !strings.HasPrefix(p.Issuer(), "http://127.0.0.1:") {
		t.Errorf("issuer %q", p.Issuer())
	}
	f := newFlow(t, p) // go-oidc checks the document's issuer equals p.Issuer()
	var meta struct {
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
		PKCE        []string `json:"code_challenge_methods_supported"`
		JWKS        string   `json:"jwks_uri"`
	}
	if err := f.op.Claims(&meta); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(meta.AuthMethods, "client_secret_basic") || !slices.Contains(meta.PKCE, "S256") ||
		meta.JWKS != p.Issuer()+"/jwks" {
		t.Errorf("discovery metadata %+v", meta)
	}
	if f.op.Endpoint().AuthURL != p.Issuer()+"/authorize" || f.op.Endpoint().TokenURL != p.Issuer()+"/token" {
		t.Errorf("endpoints %+v", f.op.Endpoint())
	}
	resp, err := http.Get(p.DiscoveryURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %s", p.DiscoveryURL(), resp.Status)
	}
}

func TestLogin(t *testing.T) {
	p := provider(t)
	user := map[string]any{"sub": "user-42", "email": "ann@example.com", "email_verified": true, "name": "Ann", "locale": "fr"}
	if err := p.SetUser(t.Context(), user); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.SetUser(context.Background(), defaultUser()) })
	f := newFlow(t, p)
	tok, raw := f.login()
	idt, err := f.verify(raw)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name"`
		Locale        string `json:"locale"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Subject != "user-42" || idt.Issuer != p.Issuer() || !slices.Equal(idt.Audience, []string{clientID}) ||
		claims.Email != "ann@example.com" || !claims.EmailVerified || claims.Name != "Ann" || claims.Locale != "fr" {
		t.Errorf("ID token %+v, claims %+v", idt, claims)
	}

	// userinfo answers for the token's user, and only with a token.
	info, err := f.op.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if info.Subject != "user-42" || info.Email != "ann@example.com" || !info.EmailVerified {
		t.Errorf("userinfo %+v", info)
	}
	if _, err := f.op.UserInfo(t.Context(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "forged", TokenType: "Bearer"})); err == nil {
		t.Error("userinfo with an unknown token succeeded")
	}

	// The log shows the flow, and none of its secrets.
	log, err := p.Log(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, r := range log {
		paths = append(paths, r.Method+" "+r.Path)
	}
	want := []string{"GET /.well-known/openid-configuration", "GET /authorize", "POST /token", "GET /jwks", "GET /userinfo", "GET /userinfo"}
	if !slices.Equal(paths, want) {
		t.Fatalf("log %v, want %v", paths, want)
	}
	authz, token := log[1], log[2]
	if q, _ := url.ParseQuery(authz.Query); q.Get("code_challenge_method") != "S256" || q.Get("nonce") != f.nonce || q.Get("client_id") != clientID {
		t.Errorf("authorize query %q", authz.Query)
	}
	if token.AuthorizationScheme != "Basic" || token.GrantType != "authorization_code" || token.CodeVerifierOK == nil || !*token.CodeVerifierOK {
		t.Errorf("token request %+v", token)
	}
	if b, _ := json.Marshal(log); strings.Contains(string(b), f.verifier) || strings.Contains(string(b), url.QueryEscape(clientSecret)) {
		t.Errorf("log holds a secret: %s", b)
	}
}

func TestDefaultUser(t *testing.T) {
	p := provider(t)
	f := newFlow(t, p)
	_, raw := f.login()
	idt, err := f.verify(raw)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := idt.Claims(&got); err != nil {
		t.Fatal(err)
	}
	for k, v := range defaultUser() {
		if got[k] != v {
			t.Errorf("claim %s = %v, want %v", k, got[k], v)
		}
	}
}

func TestCodeRedeemedOnce(t *testing.T) {
	p := provider(t)
	f := newFlow(t, p)
	code := f.authorize()
	if _, err := f.exchange(code); err != nil {
		t.Fatal(err)
	}
	_, err := f.exchange(code)
	wantOAuthError(t, err, http.StatusBadRequest, "invalid_grant")
	_, err = f.exchange("never-issued")
	wantOAuthError(t, err, http.StatusBadRequest, "invalid_grant")
}

func TestPKCE(t *testing.T) {
	p := provider(t)
	f := newFlow(t, p)
	_, err := f.exchange(f.authorize(), oauth2.VerifierOption(oauth2.GenerateVerifier()))
	wantOAuthError(t, err, http.StatusBadRequest, "invalid_grant")
	_, err = f.exchange(f.authorize(), oauth2.SetAuthURLParam("unused", "")) // no code_verifier
	wantOAuthError(t, err, http.StatusBadRequest, "invalid_grant")

	log, err := p.Log(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var checks []bool
	for _, r := range log {
		if r.Path == "/token" && r.CodeVerifierOK != nil {
			checks = append(checks, *r.CodeVerifierOK)
		}
	}
	if !slices.Equal(checks, []bool{false, false}) {
		t.Errorf("code_verifier_ok %v, want [false false]", checks)
	}
}

func TestRedirectURIMustMatch(t *testing.T) {
	p := provider(t)
	f := newFlow(t, p)
	code := f.authorize()
	f.conf.RedirectURL += "/elsewhere"
	_, err := f.exchange(code)
	wantOAuthError(t, err, http.StatusBadRequest, "invalid_grant")
}

func TestClientAuthentication(t *testing.T) {
	p := provider(t)
	for name, change := range map[string]func(*oauth2.Config){
		"wrong secret":       func(c *oauth2.Config) { c.ClientSecret = "wrong" },
		"wrong client":       func(c *oauth2.Config) { c.ClientID = "someone-else" },
		"client_secret_post": func(c *oauth2.Config) { c.Endpoint.AuthStyle = oauth2.AuthStyleInParams },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFlow(t, p)
			code := f.authorize()
			change(&f.conf)
			_, err := f.exchange(code)
			wantOAuthError(t, err, http.StatusUnauthorized, "invalid_client")
		})
	}
}

// A provider before any POST /client accepts any client, and Stop ends it.
func TestStartAnyClientStop(t *testing.T) {
	p, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	f := newFlow(t, p)
	f.conf.ClientSecret = "anything"
	_, raw := f.login()
	if _, err := f.verify(raw); err != nil {
		t.Fatal(err)
	}
	p.Stop()
	p.Stop()
	if err := p.Reset(t.Context()); err == nil {
		t.Error("control API answers after Stop")
	}
	if _, err := http.Get(p.DiscoveryURL()); err == nil {
		t.Error("provider answers after Stop")
	}
}

func TestMissingPackage(t *testing.T) {
	_, err := start(t.Context(), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "node_modules/oauth2-mock-server") {
		t.Fatalf("err = %v, want one naming node_modules/oauth2-mock-server", err)
	}
}

// Faults that leave a signed ID token a verifier must reject (or, for the nonce, a
// relying party must).
func TestTokenFaults(t *testing.T) {
	for _, tc := range []struct {
		kind  string
		check func(t *testing.T, header, claims map[string]any)
	}{
		{"wrong_audience", func(t *testing.T, _, c map[string]any) { wantClaim(t, c, "aud", "someone-else") }},
		{"expired", func(t *testing.T, _, c map[string]any) {
			if exp := c["exp"].(float64); exp > float64(time.Now().Unix()-3000) || c["iat"].(float64) >= exp {
				t.Errorf("exp %v iat %v", c["exp"], c["iat"])
			}
		}},
		{"wrong_nonce", func(t *testing.T, _, c map[string]any) {
			if n, _ := c["nonce"].(string); n == "" {
				t.Errorf("nonce %v", c["nonce"])
			}
		}},
		{"no_nonce", func(t *testing.T, _, c map[string]any) {
			if _, ok := c["nonce"]; ok {
				t.Errorf("nonce %v", c["nonce"])
			}
		}},
		{"wrong_issuer", func(t *testing.T, _, c map[string]any) { wantClaim(t, c, "iss", "https://wrong-issuer.example") }},
		{"bad_signature", func(t *testing.T, h, _ map[string]any) { wantClaim(t, h, "alg", "RS256") }},
		{"alg_none", func(t *testing.T, h, _ map[string]any) { wantClaim(t, h, "alg", "none") }},
		{"hs256", func(t *testing.T, h, _ map[string]any) { wantClaim(t, h, "alg", "HS256") }},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			p := provider(t)
			f := newFlow(t, p)
			if err := p.Fault(t.Context(), tc.kind, nil); err != nil {
				t.Fatal(err)
			}
			_, raw := f.login()
			header, claims := decodeJWT(t, raw)
			tc.check(t, header, claims)
			if _, err := f.verify(raw); err == nil {
				t.Fatalf("%s: the ID token verified", tc.kind)
			} else {
				t.Logf("%s: %v", tc.kind, err)
			}
		})
	}
}

// bad_signature uses the published kid with a key that is not published.
func TestBadSignatureKid(t *testing.T) {
	p := provider(t)
	f := newFlow(t, p)
	_, good := f.login()
	if err := p.Fault(t.Context(), "bad_signature", nil); err != nil {
		t.Fatal(err)
	}
	_, bad := f.login()
	gh, _ := decodeJWT(t, good)
	bh, _ := decodeJWT(t, bad)
	if gh["kid"] != bh["kid"] || strings.Split(good, ".")[2] == strings.Split(bad, ".")[2] {
		t.Errorf("good header %v, bad header %v", gh, bh)
	}
}

// Faults go-oidc's verifier does not catch: the relying party must check iat and azp.
func TestClaimFaultsGoOIDCAccepts(t *testing.T) {
	t.Run("future_iat", func(t *testing.T) {
		p := provider(t)
		f := newFlow(t, p)
		if err := p.Fault(t.Context(), "future_iat", nil); err != nil {
			t.Fatal(err)
		}
		_, raw := f.login()
		_, c := decodeJWT(t, raw)
		if iat := c["iat"].(float64); iat < float64(time.Now().Add(55*time.Minute).Unix()) {
			t.Errorf("iat %v is not an hour ahead", iat)
		}
		_, err := f.verify(raw)
		t.Logf("go-oidc on an ID token issued an hour from now: %v", err)
	})
	t.Run("wrong_azp", func(t *testing.T) {
		p := provider(t)
		f := newFlow(t, p)
		if err := p.Fault(t.Context(), "wrong_azp", nil); err != nil {
			t.Fatal(err)
		}
		_, raw := f.login()
		_, c := decodeJWT(t, raw)
		wantClaim(t, c, "azp", "someone-else")
		if aud, _ := c["aud"].([]any); len(aud) != 2 || aud[0] != clientID || aud[1] != "someone-else" {
			t.Errorf("aud %v", c["aud"])
		}
		_, err := f.verify(raw)
		t.Logf("go-oidc on an ID token with azp someone-else: %v", err)
	})
}

func TestTokenError(t *testing.T) {
	p := provider(t)
	f := newFlow(t, p)
	code := f.authorize()
	if err := p.Fault(t.Context(), "token_error", nil); err != nil {
		t.Fatal(err)
	}
	_, err := f.exchange(code)
	wantOAuthError(t, err, http.StatusBadRequest, "invalid_grant")
}

func TestDiscovery500(t *testing.T) {
	p := provider(t)
	if err := p.Fault(t.Context(), "discovery_500", nil); err != nil {
		t.Fatal(err)
	}
	_, err := oidc.NewProvider(t.Context(), p.Issuer())
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("discovery: %v, want a 500", err)
	}
}

func TestSlow(t *testing.T) {
	p := provider(t)
	f := newFlow(t, p)
	code := f.authorize()
	const delay = 400 * time.Millisecond
	if err := p.Fault(t.Context(), "slow", map[string]any{"ms": delay.Milliseconds()}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := oidc.NewProvider(t.Context(), p.Issuer()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < delay {
		t.Errorf("discovery took %v, want at least %v", d, delay)
	}
	start = time.Now()
	if _, err := f.exchange(code); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < delay {
		t.Errorf("token exchange took %v, want at least %v", d, delay)
	}
	// A client with a shorter deadline gives up.
	ctx, cancel := context.WithTimeout(t.Context(), delay/4)
	defer cancel()
	if _, err := oidc.NewProvider(ctx, p.Issuer()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("discovery with a %v deadline: %v", delay/4, err)
	}
}

func TestDown(t *testing.T) {
	p := provider(t)
	if err := p.Fault(t.Context(), "down", nil); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := oidc.NewProvider(t.Context(), p.Issuer())
	if err == nil {
		t.Fatal("discovery succeeded while down")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("failing took %v", d)
	}
	t.Logf("down: %v", err)
	if err := p.Reset(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := oidc.NewProvider(t.Context(), p.Issuer()); err != nil {
		t.Fatalf("after reset: %v", err)
	}
}

func TestRotate(t *testing.T) {
	p := provider(t)
	f := newFlow(t, p)
	_, before := f.login()
	if _, err := f.verify(before); err != nil {
		t.Fatal(err)
	}
	kidsBefore := jwksKids(t, p)
	if err := p.Rotate(t.Context()); err != nil {
		t.Fatal(err)
	}
	kidsAfter := jwksKids(t, p)
	if len(kidsBefore) != 1 || len(kidsAfter) != 1 || kidsBefore[0] == kidsAfter[0] {
		t.Fatalf("JWKS kids before %v, after %v", kidsBefore, kidsAfter)
	}
	if h, _ := decodeJWT(t, before); h["kid"] != kidsBefore[0] {
		t.Fatalf("token kid %v, JWKS kid %v", h["kid"], kidsBefore[0])
	}

	// A relying party that fetches the new JWKS rejects the old token.
	fresh := newFlow(t, p)
	if _, err := fresh.op.Verifier(&oidc.Config{ClientID: clientID}).Verify(t.Context(), before); err == nil {
		t.Error("a token signed before the rotation verified against the new JWKS")
	}
	// A new token verifies, also for the relying party that cached the old JWKS (go-oidc
	// fetches the JWKS again on an unknown kid).
	_, after := f.login()
	if h, _ := decodeJWT(t, after); h["kid"] != kidsAfter[0] {
		t.Errorf("new token kid %v, want %v", h["kid"], kidsAfter[0])
	}
	if _, err := f.verify(after); err != nil {
		t.Errorf("new token, old relying party: %v", err)
	}
	if _, err := fresh.op.Verifier(&oidc.Config{ClientID: clientID}).Verify(t.Context(), after); err != nil {
		t.Errorf("new token, new relying party: %v", err)
	}
}

func TestControlRejectsBadRequests(t *testing.T) {
	p := provider(t)
	if err := p.Fault(t.Context(), "no_such_fault", nil); err == nil {
		t.Error("unknown fault kind accepted")
	}
	if err := p.Fault(t.Context(), "slow", nil); err == nil {
		t.Error("slow without ms accepted")
	}
	if err := p.SetUser(t.Context(), map[string]any{"email": "x@example.com"}); err == nil {
		t.Error("user without sub accepted")
	}
}

func TestResetClearsLog(t *testing.T) {
	p := provider(t)
	if _, err := http.Get(p.DiscoveryURL()); err != nil {
		t.Fatal(err)
	}
	if log, err := p.Log(t.Context()); err != nil || len(log) != 1 {
		t.Fatalf("log %v, %v", log, err)
	}
	if err := p.Reset(t.Context()); err != nil {
		t.Fatal(err)
	}
	if log, err := p.Log(t.Context()); err != nil || len(log) != 0 {
		t.Fatalf("log after reset %v, %v", log, err)
	}
}

func defaultUser() map[string]any {
	return map[string]any{"sub": "mock-user-1", "email": "shopper@example.com", "email_verified": true, "name": "Mock Shopper"}
}

func wantOAuthError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want an OAuth error %s", err, code)
	}
	if re.Response.StatusCode != status || re.ErrorCode != code {
		t.Fatalf("token endpoint answered %d %q (%s), want %d %q", re.Response.StatusCode, re.ErrorCode, re.ErrorDescription, status, code)
	}
}

func wantClaim(t *testing.T, m map[string]any, k string, v any) {
	t.Helper()
	if m[k] != v {
		t.Errorf("%s = %v, want %v", k, m[k], v)
	}
}

// decodeJWT returns a JWT's header and claims without verifying it.
func decodeJWT(t *testing.T, raw string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", raw)
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err == nil {
			err = json.Unmarshal(b, dst)
		}
		if err != nil {
			t.Fatalf("JWT part %d: %v", i, err)
		}
	}
	return header, claims
}

func jwksKids(t *testing.T, p *Provider) []string {
	t.Helper()
	resp, err := http.Get(p.Issuer() + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
			Alg string `json:"alg"`
			D   string `json:"d"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		if k.Alg != "RS256" || k.D != "" {
			t.Errorf("JWKS key %+v", k)
		}
		kids = append(kids, k.Kid)
	}
	return kids
}

func random() string { return oauth2.GenerateVerifier()[:22] }
