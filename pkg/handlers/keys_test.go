package handlers

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/config"
	"github.com/acme/customers/pkg/secrets"
)

// process builds a function's dependencies as template.yaml configures that function: ids
// names the only secrets it is given.
func (h *harness) process(src secrets.Source, ids config.SecretIDs, ttl time.Duration) (*app.Deps, map[string]api.HandlerFunc) {
	h.t.Helper()
	cfg := h.cfg
	cfg.Secrets, cfg.SecretsTTL, cfg.KeysTTL = ids, ttl, ttl
	return h.onWith(cfg, h.db.Client, src)
}

// TestOnlyTheTokenFunctionsSign: a function given no signing secret cannot mint a token of
// either kind, and each token function only its own kind; all of them verify both.
func TestOnlyTheTokenFunctionsSign(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ids := h.cfg.Secrets
	reader, _ := h.process(h.secrets, config.SecretIDs{Cursors: ids.Cursors}, time.Hour)
	tokenFn, _ := h.process(h.secrets, config.SecretIDs{AccessTokenKeys: ids.AccessTokenKeys, Client: ids.Client}, time.Hour)
	loginFn, _ := h.process(h.secrets, config.SecretIDs{CustomerTokenKeys: ids.CustomerTokenKeys}, time.Hour)
	ron := h.createCustomer("Ron", "ron@example.com")
	for _, c := range []struct {
		name           string
		d              *app.Deps
		access, custom bool
	}{{"a function with no signing secret", reader, false, false}, {"the access token function", tokenFn, true, false},
		{"the log-in function", loginFn, false, true}} {
		_, err := c.d.Tokens.IssueAccess(ctx, auth.ClientCredentials, testClientID)
		if (err == nil) != c.access || (err != nil && !errors.Is(err, auth.ErrCannotSign)) {
			t.Errorf("%s: issuing an access token: %v", c.name, err)
		}
		_, err = c.d.Tokens.IssueCustomer(ctx, ron, 0)
		if (err == nil) != c.custom || (err != nil && !errors.Is(err, auth.ErrCannotSign)) {
			t.Errorf("%s: issuing a customer token: %v", c.name, err)
		}
		if _, err := c.d.Tokens.VerifyAccess(ctx, h.admin); err != nil {
			t.Errorf("%s does not verify an access token: %v", c.name, err)
		}
	}
	// Through the endpoint: a token function without its key answers no token.
	_, handlers := h.process(h.secrets, config.SecretIDs{Client: ids.Client}, time.Hour)
	r := h.doWith(handlers, req{Route: "POST /oauth/access_token", Body: "grant_type=implicit&client_id=" + testClientID,
		Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"}})
	if r.Status != 500 || strings.Contains(r.Body, "access_token") {
		t.Errorf("a token function without its key: %d %s", r.Status, r.Body)
	}
}

// jwks reads GET /.well-known/jwks.json through handlers.
func (h *harness) jwks(handlers map[string]api.HandlerFunc) []map[string]any {
	h.t.Helper()
	r := h.doWith(handlers, req{Route: "GET /.well-known/jwks.json"})
	expect(h.t, r, 200)
	if r.Headers["Cache-Control"] != "public, max-age=300" {
		h.t.Errorf("Cache-Control %q", r.Headers["Cache-Control"])
	}
	var keys []map[string]any
	for _, k := range r.JSON["keys"].([]any) {
		keys = append(keys, k.(map[string]any))
	}
	return keys
}

// verifyWith checks token's EdDSA signature with the published key its kid names, with
// nothing but crypto/ed25519 (not the JWT library the service uses), and returns its claims.
func verifyWith(t *testing.T, keys []map[string]any, token string) (map[string]any, bool) {
	t.Helper()
	parts := strings.Split(token, ".")
	var header, claims map[string]any
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	if json.Unmarshal(hb, &header) != nil || json.Unmarshal(cb, &claims) != nil || header["alg"] != "EdDSA" {
		t.Fatalf("token %s", token)
	}
	for _, k := range keys {
		if k["kid"] == header["kid"] {
			x, _ := base64.RawURLEncoding.DecodeString(k["x"].(string))
			return claims, ed25519.Verify(x, []byte(parts[0]+"."+parts[1]), sig)
		}
	}
	return claims, false
}

// TestJWKS: the public key set needs no token, holds both kinds' keys as RFC 8037 OKP keys
// named by their RFC 7638 thumbprints and nothing private, and verifies the tokens issued.
func TestJWKS(t *testing.T) {
	h := newHarness(t)
	h.createCustomer("Ron", "ron@example.com")
	customer := h.customerToken("ron@example.com")
	keys := h.jwks(h.handlers)
	if len(keys) != 2 {
		t.Fatalf("%d keys, want one per kind: %v", len(keys), keys)
	}
	for _, k := range keys {
		if k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["alg"] != "EdDSA" || k["use"] != "sig" || len(k) != 6 {
			t.Errorf("key %v", k)
		}
		sum := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + k["x"].(string) + `"}`))
		if k["kid"] != base64.RawURLEncoding.EncodeToString(sum[:]) {
			t.Errorf("kid %v is not the key's thumbprint", k["kid"])
		}
	}
	for _, tok := range []struct{ token, aud string }{{h.admin, "api"}, {customer, "customer"}} {
		claims, ok := verifyWith(t, keys, tok.token)
		if !ok || claims["aud"].([]any)[0] != tok.aud || claims["iss"] != h.cfg.Issuer {
			t.Errorf("%s token: verified %v, claims %v", tok.aud, ok, claims)
		}
	}
}

// TestKeyRotation walks the operator's rotation of both signing secrets (cmd/keys'
// introduce, promote, retire, each a new version in Secrets Manager — here make local's)
// with a token function, a log-in function and a reader as separate processes: tokens
// signed before, during and after verify exactly while their key is published, and
// nobody is logged out before their token's key is retired.
func TestKeyRotation(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	local, err := secrets.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ids := h.cfg.Secrets
	for id, s := range h.secrets {
		if err := local.Put(id, s); err != nil {
			t.Fatal(err)
		}
	}
	// Every process reads the secrets and the published keys at each request (a TTL of 1ns),
	// as if the caches had just run out: the rotation's waits are the operator's to keep.
	_, tokenFn := h.process(local, config.SecretIDs{AccessTokenKeys: ids.AccessTokenKeys, Client: ids.Client}, time.Nanosecond)
	_, loginFn := h.process(local, config.SecretIDs{CustomerTokenKeys: ids.CustomerTokenKeys}, time.Nanosecond)
	_, reader := h.process(local, config.SecretIDs{}, time.Nanosecond)
	ron := h.createCustomer("Ron", "ron@example.com")
	issue := func() (access, customer string) {
		t.Helper()
		r := h.doWith(tokenFn, req{Route: "POST /oauth/access_token", Body: "grant_type=client_credentials&client_id=" + testClientID +
			"&client_secret=" + testClientSecret, Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"}})
		expect(t, r, 200)
		l := h.doWith(loginFn, req{Route: "POST /v2/customers/tokens", Headers: bearer(r.JSON["access_token"].(string)),
			Body: `{"data":{"type":"token","email":"ron@example.com","password":"` + testPassword + `"}}`})
		expect(t, l, 200)
		return r.JSON["access_token"].(string), data(l)["token"].(string)
	}
	kid := func(token string) string {
		b, _ := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
		var hd map[string]any
		_ = json.Unmarshal(b, &hd)
		return hd["kid"].(string)
	}
	works := func(access, customer string) bool {
		t.Helper()
		r := h.doWith(reader, req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": ron},
			Headers: withCustomer(access, customer)})
		if r.Status != 200 && r.Status != 401 && r.Status != 403 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		return r.Status == 200
	}
	published := func() map[string]bool {
		set := map[string]bool{}
		for _, k := range h.jwks(reader) {
			set[k["kid"].(string)] = true
		}
		return set
	}
	step := func(s secrets.Step) {
		t.Helper()
		for _, id := range []string{ids.AccessTokenKeys, ids.CustomerTokenKeys} {
			cur, err := local.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			next, err := secrets.Rotate(cur, s, secrets.Generate(64), time.Now(), secrets.Waits{})
			if err != nil {
				t.Fatal(err)
			}
			if err := local.Put(id, next); err != nil {
				t.Fatal(err)
			}
		}
	}

	a0, c0 := issue()
	if !works(a0, c0) || len(published()) != 2 {
		t.Fatalf("before: works %v, published %v", works(a0, c0), published())
	}

	step(secrets.Introduce) // the new keys are published, not used
	a1, c1 := issue()
	if kid(a1) != kid(a0) || kid(c1) != kid(c0) {
		t.Error("a key was used as soon as it was introduced")
	}
	if p := published(); len(p) != 4 || !works(a0, c0) || !works(a1, c1) {
		t.Errorf("introduced: published %v", p)
	}

	step(secrets.Promote) // the new keys sign; the old ones still verify
	a2, c2 := issue()
	if kid(a2) == kid(a0) || kid(c2) == kid(c0) {
		t.Error("the promoted keys do not sign")
	}
	if p := published(); len(p) != 4 || !p[kid(a2)] || !p[kid(c2)] || !works(a0, c0) || !works(a2, c2) {
		t.Errorf("promoted: published %v", p)
	}
	if !works(a0, c2) || !works(a2, c0) {
		t.Error("tokens of the old and the new keys do not mix during the rotation")
	}

	step(secrets.Retire) // the old keys no longer verify anything
	a3, c3 := issue()
	if p := published(); len(p) != 2 || p[kid(a0)] || p[kid(c0)] || !p[kid(a3)] || !p[kid(c3)] {
		t.Errorf("retired: published %v", p)
	}
	if works(a0, c3) || works(a3, c0) || !works(a3, c3) || !works(a2, c2) {
		t.Errorf("retired: old access %v, old customer %v, new %v", works(a0, c3), works(a3, c0), works(a3, c3))
	}
}
