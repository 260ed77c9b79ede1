package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"hash"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/acme/customers/pkg/secrets"
)

const (
	testIssuer       = "https://auth.example.test/store-1"
	testCustomerID   = "6f1c3c2e-0a5b-4b8e-9d3a-2f7e1c9b0a11"
	accessSecretID   = "access-token-keys"
	customerSecretID = "customer-token-keys"
)

// The signing secrets' values (at least secrets.MinLen characters each).
const (
	accessValue   = "access-value-0123456789abcdef0123456789abcdef"
	customerValue = "customer-value-0123456789abcdef0123456789abcdef"
)

// t0 is the fixed "now" of every token test.
var t0 = time.Unix(1_800_000_000, 0).UTC()

var ctx = context.Background()

// clock is a settable time source for Tokens.WithClock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// memKeys is an in-memory KeyStore with the store's rule: a set replaces the stored one
// unless that is of a later version (or this one), and the answer is what is stored after.
type memKeys struct {
	mu         sync.Mutex
	sets       map[Kind]KeySet
	reads      int
	publishes  int
	readErr    error
	publishErr error
}

func newMemKeys() *memKeys { return &memKeys{sets: map[Kind]KeySet{}} }

func (m *memKeys) PublishTokenKeys(_ context.Context, kind Kind, ks KeySet) (KeySet, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.publishes++
	if m.publishErr != nil {
		return KeySet{}, m.publishErr
	}
	if old, ok := m.sets[kind]; ok && !old.Created.Before(ks.Created) {
		return old, nil
	}
	m.sets[kind] = KeySet{Keys: slices.Clone(ks.Keys), Created: ks.Created}
	return ks, nil
}

func (m *memKeys) TokenKeys(context.Context) (map[Kind]KeySet, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	if m.readErr != nil {
		return nil, m.readErr
	}
	out := map[Kind]KeySet{}
	for k, ks := range m.sets {
		out[k] = KeySet{Keys: slices.Clone(ks.Keys), Created: ks.Created}
	}
	return out, nil
}

func (m *memKeys) set(kind Kind, ks KeySet) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sets[kind] = ks
}

func (m *memKeys) get(kind Kind) (KeySet, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ks, ok := m.sets[kind]
	return ks, ok
}

func (m *memKeys) counts() (reads, publishes int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reads, m.publishes
}

func (m *memKeys) failReads(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.readErr = err
}

// countingSource counts the reads of a secrets.Source and can fail them.
type countingSource struct {
	mu    sync.Mutex
	src   secrets.Static
	reads int
	err   error
}

func (c *countingSource) Get(ctx context.Context, id string) (secrets.Set, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	if c.err != nil {
		return secrets.Set{}, c.err
	}
	return c.src.Get(ctx, id)
}

// fixture is one deployment: the two signing secrets, the published keys and the clock.
type fixture struct {
	src  secrets.Static
	keys *memKeys
	clk  *clock
	// tk holds both signing secrets (read on every use: TTL 0) and has issued one token
	// of each kind, so both kinds' keys are published.
	tk *Tokens
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{
		src: secrets.Static{
			accessSecretID:   {Current: accessValue, Created: t0.Add(-24 * time.Hour)},
			customerSecretID: {Current: customerValue, Created: t0.Add(-24 * time.Hour)},
		},
		keys: newMemKeys(),
		clk:  &clock{t: t0},
	}
	f.tk = f.tokens(t, f.signing(f.src, 0))
	if _, err := f.tk.IssueAccess(ctx, ClientCredentials, "client-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.tk.IssueCustomer(ctx, testCustomerID, 1); err != nil {
		t.Fatal(err)
	}
	return f
}

// signing returns the Values of both signing secrets read through src, kept for ttl.
func (f *fixture) signing(src secrets.Source, ttl time.Duration) map[Kind]*secrets.Value {
	return map[Kind]*secrets.Value{
		AccessKind:   secrets.NewValue(src, accessSecretID, ttl, nil),
		CustomerKind: secrets.NewValue(src, customerSecretID, ttl, nil),
	}
}

// tokens returns a function of the deployment that holds signing (nil: none), on f's
// clock, keeping the public keys for an hour.
func (f *fixture) tokens(t testing.TB, signing map[Kind]*secrets.Value) *Tokens {
	t.Helper()
	tk, err := NewTokens(TokenConfig{Issuer: testIssuer, Signing: signing, Keys: f.keys, KeysTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return tk.WithClock(f.clk.now)
}

// verifier is a function that holds no signing secret.
func (f *fixture) verifier(t testing.TB) *Tokens { return f.tokens(t, nil) }

// key returns kind's current signing key and its kid.
func (f *fixture) key(kind Kind) (ed25519.PrivateKey, string) {
	id := map[Kind]string{AccessKind: accessSecretID, CustomerKind: customerSecretID}[kind]
	return keyOf(f.src[id].Current, kind)
}

func keyOf(value string, kind Kind) (ed25519.PrivateKey, string) {
	k := privateKey(value, kind)
	return k, keyID(k.Public().(ed25519.PublicKey))
}

func seg(v any) string {
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			panic(err)
		}
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// signFunc signs a JWT's signing input.
type signFunc func(signing []byte) []byte

// forge builds a JWT by hand: header and claims are JSON-encoded (or taken verbatim when
// they are strings), and sign makes the signature (an empty one when sign is nil).
func forge(header, claims any, sign signFunc) string {
	s := seg(header) + "." + seg(claims)
	if sign == nil {
		return s + "."
	}
	return s + "." + base64.RawURLEncoding.EncodeToString(sign([]byte(s)))
}

func withEd(k ed25519.PrivateKey) signFunc {
	return func(b []byte) []byte { return ed25519.Sign(k, b) }
}

func withHMAC(h func() hash.Hash, key []byte) signFunc {
	return func(b []byte) []byte {
		m := hmac.New(h, key)
		m.Write(b)
		return m.Sum(nil)
	}
}

func withJWT(m jwt.SigningMethod, key any) signFunc {
	return func(b []byte) []byte {
		sig, err := m.Sign(string(b), key)
		if err != nil {
			panic(err)
		}
		return sig
	}
}

type claimMap map[string]any

func customerClaimsAt(now time.Time) claimMap {
	return claimMap{
		"sub": testCustomerID,
		"iss": testIssuer,
		"aud": []string{audCustomer},
		"iat": now.Unix(),
		"exp": now.Add(CustomerTokenTTL).Unix(),
		"jti": "0b4f5a0e-8f1e-4c55-9a36-1d2c3b4a5f60",
		"typ": typCustomer,
		"gen": 3,
	}
}

func accessClaimsAt(now time.Time) claimMap {
	return claimMap{
		"sub":   "client-1",
		"iss":   testIssuer,
		"aud":   []string{audAccess},
		"iat":   now.Unix(),
		"exp":   now.Add(AccessTokenTTL).Unix(),
		"jti":   "5a0e0b4f-8f1e-4c55-9a36-1d2c3b4a5f60",
		"typ":   typAccess,
		"grant": string(ClientCredentials),
	}
}

func (c claimMap) with(kv ...any) claimMap {
	n := claimMap{}
	for k, v := range c {
		n[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(n, k)
		} else {
			n[k] = kv[i+1]
		}
	}
	return n
}

func header(kv ...any) map[string]any {
	h := map[string]any{"typ": "JWT"}
	for i := 0; i < len(kv); i += 2 {
		h[kv[i].(string)] = kv[i+1]
	}
	return h
}

// edHeader is the header of the tokens we issue, with kid and kv added.
func edHeader(kid string, kv ...any) map[string]any {
	return header(append([]any{"alg", Algorithm, "kid", kid}, kv...)...)
}

// kidOf reads the kid of a token's header.
func kidOf(t testing.TB, tok string) string {
	t.Helper()
	h, _, _ := strings.Cut(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	var hdr struct {
		Alg, Kid, Typ string
	}
	if err := json.Unmarshal(b, &hdr); err != nil {
		t.Fatal(err)
	}
	if hdr.Alg != Algorithm || hdr.Typ != "JWT" {
		t.Errorf("header %s", b)
	}
	return hdr.Kid
}

func (t *Tokens) verifyAccessErr(raw string) error { _, err := t.VerifyAccess(ctx, raw); return err }
func (t *Tokens) verifyCustomerErr(raw string) error {
	_, err := t.VerifyCustomer(ctx, raw)
	return err
}

func TestNewTokens(t *testing.T) {
	keys := newMemKeys()
	if _, err := NewTokens(TokenConfig{Keys: keys}); err == nil {
		t.Error("an empty issuer was accepted")
	}
	if _, err := NewTokens(TokenConfig{Issuer: testIssuer}); err == nil {
		t.Error("no key store was accepted")
	}
	tk, err := NewTokens(TokenConfig{Issuer: testIssuer, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing is read or published before it is needed (a cold start pays nothing).
	if r, p := keys.counts(); r != 0 || p != 0 {
		t.Errorf("NewTokens read %d and published %d times", r, p)
	}
	// Without KeysTTL the keys are kept for DefaultKeysTTL: read once for two verifications.
	for range 2 {
		if _, err := tk.PublicKeys(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if r, _ := keys.counts(); r != 1 {
		t.Errorf("%d reads of the keys with the default TTL, want 1", r)
	}
	// A KeysTTL given is kept: 1ns means a read per use.
	keys = newMemKeys()
	tk, _ = NewTokens(TokenConfig{Issuer: testIssuer, Keys: keys, KeysTTL: time.Nanosecond})
	for range 3 {
		tk.PublicKeys(ctx)
		time.Sleep(time.Microsecond)
	}
	if r, _ := keys.counts(); r != 3 {
		t.Errorf("%d reads of the keys with a 1ns TTL, want 3", r)
	}
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	f := newFixture(t)
	tk, clk := f.tk, f.clk
	_, accessKid := f.key(AccessKind)
	_, customerKid := f.key(CustomerKind)

	at, err := tk.IssueAccess(ctx, Implicit, "client-1")
	if err != nil {
		t.Fatal(err)
	}
	if !at.Expires.Equal(t0.Add(AccessTokenTTL)) || at.ID == "" || at.Value == "" {
		t.Errorf("access token = %+v", at)
	}
	if kid := kidOf(t, at.Value); kid != accessKid {
		t.Errorf("access token kid %q, want %q", kid, accessKid)
	}
	ac, err := tk.VerifyAccess(ctx, at.Value)
	if err != nil {
		t.Fatalf("VerifyAccess: %v", err)
	}
	if ac != (AccessClaims{ClientID: "client-1", Grant: Implicit}) {
		t.Errorf("access claims = %+v", ac)
	}

	// Issued within a second: iat and exp are whole seconds from the start of it.
	clk.t = t0.Add(900 * time.Millisecond)
	ct, err := tk.IssueCustomer(ctx, testCustomerID, 7)
	clk.t = t0
	if err != nil {
		t.Fatal(err)
	}
	if !ct.Expires.Equal(t0.Add(CustomerTokenTTL)) || ct.ID == "" || ct.ID == at.ID {
		t.Errorf("customer token = %+v", ct)
	}
	if kid := kidOf(t, ct.Value); kid != customerKid {
		t.Errorf("customer token kid %q, want %q", kid, customerKid)
	}
	cc, err := tk.VerifyCustomer(ctx, ct.Value)
	if err != nil {
		t.Fatalf("VerifyCustomer: %v", err)
	}
	if cc != (CustomerClaims{CustomerID: testCustomerID, Gen: 7, IssuedAt: t0}) || cc.IssuedAt.Location() != time.UTC {
		t.Errorf("customer claims = %+v", cc)
	}
	// The claims as issued: exactly the contract's, with the kind's aud and typ.
	var claims map[string]any
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(ct.Value, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"sub": testCustomerID, "iss": testIssuer, "aud": []any{audCustomer}, "iat": float64(t0.Unix()),
		"exp": float64(t0.Add(CustomerTokenTTL).Unix()), "jti": ct.ID, "typ": typCustomer, "gen": float64(7)}
	if b, w := mustJSON(claims), mustJSON(want); b != w {
		t.Errorf("customer claims\n got %s\nwant %s", b, w)
	}

	// A function holding no signing secret verifies both kinds from the published keys.
	v := f.verifier(t)
	if _, err := v.VerifyAccess(ctx, at.Value); err != nil {
		t.Errorf("verifier: %v", err)
	}
	if _, err := v.VerifyCustomer(ctx, ct.Value); err != nil {
		t.Errorf("verifier: %v", err)
	}

	// Lifetimes: valid up to the last second, refused from exp on; refused before iat.
	for _, tc := range []struct {
		name   string
		at     time.Time
		access bool
		cust   bool
	}{
		{"at issue", t0, true, true},
		{"59m59s later", t0.Add(AccessTokenTTL - time.Second), true, true},
		{"1h later", t0.Add(AccessTokenTTL), false, true},
		{"23h59m59s later", t0.Add(CustomerTokenTTL - time.Second), false, true},
		{"24h later", t0.Add(CustomerTokenTTL), false, false},
		{"a year later", t0.AddDate(1, 0, 0), false, false},
		{"clock 5s behind the issuer (iat within the leeway)", t0.Add(-IssuedAtLeeway), true, true},
		{"clock 6s behind the issuer (iat past the leeway)", t0.Add(-IssuedAtLeeway - time.Second), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk.t = tc.at
			defer func() { clk.t = t0 }()
			for _, tk := range []*Tokens{tk, v} {
				if _, err := tk.VerifyAccess(ctx, at.Value); (err == nil) != tc.access {
					t.Errorf("VerifyAccess err = %v, want ok=%v", err, tc.access)
				}
				if _, err := tk.VerifyCustomer(ctx, ct.Value); (err == nil) != tc.cust {
					t.Errorf("VerifyCustomer err = %v, want ok=%v", err, tc.cust)
				}
			}
		})
	}

	// Another issuer's tokens (same keys) are refused.
	other, _ := NewTokens(TokenConfig{Issuer: "https://auth.example.test/store-2", Keys: f.keys})
	other.WithClock(clk.now)
	if _, err := other.VerifyCustomer(ctx, ct.Value); err != ErrInvalidToken {
		t.Errorf("a token of another issuer: %v", err)
	}
	// Another deployment's tokens (other secrets, other published keys) are refused.
	g := newFixture(t)
	g.src[accessSecretID] = secrets.Set{Current: strings.Repeat("k", 64), Created: t0}
	foreign, err := g.tk.IssueAccess(ctx, ClientCredentials, "client-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tk.VerifyAccess(ctx, foreign.Value); err != ErrInvalidToken {
		t.Errorf("an access token of another deployment: %v", err)
	}
	if _, err := g.tk.VerifyAccess(ctx, foreign.Value); err != nil {
		t.Errorf("its own deployment refuses it: %v", err)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestTokenKindsDoNotMix(t *testing.T) {
	f := newFixture(t)
	tk := f.tk
	for _, g := range []Grant{ClientCredentials, Implicit} {
		at, _ := tk.IssueAccess(ctx, g, "client-1")
		if _, err := tk.VerifyCustomer(ctx, at.Value); err != ErrInvalidToken {
			t.Errorf("a %s access token as a customer token: %v", g, err)
		}
	}
	ct, _ := tk.IssueCustomer(ctx, testCustomerID, 1)
	if _, err := tk.VerifyAccess(ctx, ct.Value); err != ErrInvalidToken {
		t.Errorf("a customer token as an access token: %v", err)
	}

	// Each separating element alone is enough: key (by kid), aud and typ.
	ak, akid := f.key(AccessKind)
	ck, ckid := f.key(CustomerKind)
	now := t0
	asAccess := customerClaimsAt(now).with("aud", []string{audAccess}, "typ", typAccess, "grant", "client_credentials")
	cases := []struct {
		name   string
		tok    string
		verify func(string) error
	}{
		{"customer claims under the access key", forge(edHeader(akid), customerClaimsAt(now), withEd(ak)), tk.verifyCustomerErr},
		{"customer claims under the access key, customer kid", forge(edHeader(ckid), customerClaimsAt(now), withEd(ak)), tk.verifyCustomerErr},
		{"customer claims under the customer key, access kid", forge(edHeader(akid), customerClaimsAt(now), withEd(ck)), tk.verifyCustomerErr},
		{"access claims under the customer key", forge(edHeader(ckid), accessClaimsAt(now), withEd(ck)), tk.verifyAccessErr},
		{"access claims under the customer key, access kid", forge(edHeader(akid), accessClaimsAt(now), withEd(ck)), tk.verifyAccessErr},
		{"customer claims with access aud, typ and grant under the customer key", forge(edHeader(ckid), asAccess, withEd(ck)), tk.verifyAccessErr},
		{"customer claims under the access key, as an access token", forge(edHeader(akid), customerClaimsAt(now), withEd(ak)), tk.verifyAccessErr},
		{"customer aud, access typ, customer key", forge(edHeader(ckid), customerClaimsAt(now).with("typ", typAccess), withEd(ck)), tk.verifyCustomerErr},
		{"access aud, customer typ, customer key", forge(edHeader(ckid), customerClaimsAt(now).with("aud", []string{audAccess}), withEd(ck)), tk.verifyCustomerErr},
		{"access claims with customer aud under the access key", forge(edHeader(akid), accessClaimsAt(now).with("aud", []string{audCustomer}), withEd(ak)), tk.verifyAccessErr},
		{"access claims with customer typ under the access key", forge(edHeader(akid), accessClaimsAt(now).with("typ", typCustomer), withEd(ak)), tk.verifyAccessErr},
		{"access claims with both audiences under the access key", forge(edHeader(akid), accessClaimsAt(now).with("aud", []string{audAccess, audCustomer}), withEd(ak)), tk.verifyCustomerErr},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.verify(tc.tok); err != ErrInvalidToken {
				t.Errorf("err = %v, want ErrInvalidToken", err)
			}
		})
	}
	// The controls: the same constructions with the right key pass.
	if err := tk.verifyAccessErr(forge(edHeader(akid), accessClaimsAt(now), withEd(ak))); err != nil {
		t.Errorf("control access token: %v", err)
	}
	if err := tk.verifyCustomerErr(forge(edHeader(ckid), customerClaimsAt(now), withEd(ck))); err != nil {
		t.Errorf("control customer token: %v", err)
	}
}

// One value pasted into both secrets still gives each kind its own key.
func TestOneValueForBothKinds(t *testing.T) {
	f := newFixture(t)
	f.src[customerSecretID] = secrets.Set{Current: accessValue, Created: t0}
	ct, err := f.tk.IssueCustomer(ctx, testCustomerID, 1)
	if err != nil {
		t.Fatal(err)
	}
	at, err := f.tk.IssueAccess(ctx, ClientCredentials, "client-1")
	if err != nil {
		t.Fatal(err)
	}
	if kidOf(t, ct.Value) == kidOf(t, at.Value) {
		t.Fatal("one value gives both kinds one key")
	}
	if _, err := f.tk.VerifyCustomer(ctx, ct.Value); err != nil {
		t.Fatal(err)
	}
	// The access key signing customer claims, with the access kid.
	ak, akid := f.key(AccessKind)
	if err := f.tk.verifyCustomerErr(forge(edHeader(akid), customerClaimsAt(t0), withEd(ak))); err != ErrInvalidToken {
		t.Errorf("customer claims under the access key: %v", err)
	}
}

func TestVerifyCustomerForgedAndMalformed(t *testing.T) {
	f := newFixture(t)
	tk := f.tk
	key, kid := f.key(CustomerKind)
	ak, akid := f.key(AccessKind)
	good := customerClaimsAt(t0)
	ed := withEd(key)
	hdr := edHeader(kid)

	_, attacker, _ := ed25519.GenerateKey(rand.Reader)
	attackerPub := attacker.Public().(ed25519.PublicKey)
	attackerKid := keyID(attackerPub)

	valid := forge(hdr, good, ed)
	parts := strings.Split(valid, ".")
	big := forge(hdr, good.with("pad", strings.Repeat("x", maxTokenLen)), ed)
	// The largest token under the limit still verifies: the limit is what refuses big.
	justUnder := func() string {
		base := forge(hdr, good.with("pad", ""), ed)
		n := (maxTokenLen - len(base)) * 3 / 4
		for {
			s := forge(hdr, good.with("pad", strings.Repeat("x", n)), ed)
			if len(s) <= maxTokenLen {
				return s
			}
			n--
		}
	}()
	cases := []struct {
		name string
		tok  string
		ok   bool
	}{
		{"hand-made valid token", valid, true},
		{"aud as a single string", forge(hdr, good.with("aud", audCustomer), ed), true},
		{"nbf in the past", forge(hdr, good.with("nbf", t0.Add(-time.Minute).Unix()), ed), true},
		{"no typ header", forge(map[string]any{"alg": Algorithm, "kid": kid}, good, ed), true},
		{"token of exactly the maximum length", justUnder, true},

		// alg none in any spelling, with an empty signature or ours.
		{"alg none, empty signature", forge(header("alg", "none", "kid", kid), good, nil), false},
		{"alg None, empty signature", forge(header("alg", "None", "kid", kid), good, nil), false},
		{"alg NONE, empty signature", forge(header("alg", "NONE", "kid", kid), good, nil), false},
		{"alg none with a valid EdDSA signature", seg(header("alg", "none", "kid", kid)) + "." + parts[1] + "." + parts[2], false},
		{"no alg", forge(header("kid", kid), good, ed), false},
		{"alg empty", forge(header("alg", "", "kid", kid), good, ed), false},
		{"alg eddsa lower case", forge(header("alg", "eddsa", "kid", kid), good, ed), false},
		{"alg Ed25519 (RFC 9864), signed by our key", forge(header("alg", "Ed25519", "kid", kid), good, ed), false},
		{"alg as a list", forge(header("alg", []string{Algorithm}, "kid", kid), good, ed), false},

		// Other algorithms: ours signing what they would, theirs with our kid.
		{"RS256 with another key, our kid", forge(header("alg", "RS256", "kid", kid), good, withJWT(jwt.SigningMethodRS256, rsaKey(t))), false},
		{"PS256 with another key, our kid", forge(header("alg", "PS256", "kid", kid), good, withJWT(jwt.SigningMethodPS256, rsaKey(t))), false},
		{"ES256 with another key, our kid", forge(header("alg", "ES256", "kid", kid), good, withJWT(jwt.SigningMethodES256, ecKey(t))), false},
		{"ES256 header with our EdDSA signature", forge(header("alg", "ES256", "kid", kid), good, ed), false},
		{"HS256 with our private key's seed", forge(header("alg", "HS256", "kid", kid), good, withHMAC(sha256.New, key.Seed())), false},
		{"HS256 with the signing secret", forge(header("alg", "HS256", "kid", kid), good, withHMAC(sha256.New, []byte(customerValue))), false},
		{"HS256 with an empty key", forge(header("alg", "HS256", "kid", kid), good, withHMAC(sha256.New, nil)), false},

		// A correct EdDSA signature, by a key that is not ours or not this kind's.
		{"attacker key, our kid", forge(hdr, good, withEd(attacker)), false},
		{"attacker key, its own kid", forge(edHeader(attackerKid), good, withEd(attacker)), false},
		{"the access key, its kid", forge(edHeader(akid), good, withEd(ak)), false},
		{"the access key, our kid", forge(hdr, good, withEd(ak)), false},
		{"our key, the access kid", forge(edHeader(akid), good, ed), false},
		{"our key, a kid of another secret", forge(edHeader(keyID(privateKey(accessValue+"x", CustomerKind).Public().(ed25519.PublicKey))), good, ed), false},

		// kid: missing, empty, not a string, a path, SQL.
		{"no kid", forge(header("alg", Algorithm), good, ed), false},
		{"empty kid", forge(edHeader(""), good, ed), false},
		{"kid as a number", forge(header("alg", Algorithm, "kid", 1), good, ed), false},
		{"kid as a list", forge(header("alg", Algorithm, "kid", []string{kid}), good, ed), false},
		{"kid as an object", forge(header("alg", Algorithm, "kid", map[string]string{"kid": kid}), good, ed), false},
		{"kid null", forge(header("alg", Algorithm, "kid", nil), good, ed), false},
		{"kid differing in case", forge(edHeader(strings.ToUpper(kid)), good, ed), false},
		{"kid with a space", forge(edHeader(kid+" "), good, ed), false},
		{"kid pointing at /dev/null, attacker key", forge(edHeader("../../../../dev/null"), good, withEd(attacker)), false},
		{"kid pointing at /dev/null, HS256 empty key", forge(header("alg", "HS256", "kid", "../../../../dev/null"), good, withHMAC(sha256.New, nil)), false},
		{"kid an absolute path, attacker key", forge(edHeader("/proc/self/environ"), good, withEd(attacker)), false},
		{"kid with SQL, attacker key", forge(edHeader("' UNION SELECT 'key' --"), good, withEd(attacker)), false},
		{"kid with SQL, HS256 key", forge(header("alg", "HS256", "kid", "x' OR '1'='1"), good, withHMAC(sha256.New, []byte("key"))), false},
		{"kid with a NUL", forge(edHeader(kid+"\x00"), good, ed), false},

		// Headers naming a key or where to find one: refused, whoever signed.
		{"jwk carrying the attacker key", forge(edHeader(attackerKid, "jwk", jwk(attackerPub)), good, withEd(attacker)), false},
		{"jwk carrying the attacker key, our kid", forge(edHeader(kid, "jwk", jwk(attackerPub)), good, withEd(attacker)), false},
		{"jku pointing at the attacker", forge(edHeader(attackerKid, "jku", "https://attacker.example/jwks.json"), good, withEd(attacker)), false},
		{"x5u pointing at the attacker", forge(edHeader(attackerKid, "x5u", "https://attacker.example/cert.pem"), good, withEd(attacker)), false},
		{"x5c with the attacker's certificate", forge(edHeader(attackerKid, "x5c", []string{attackerCert(t, attacker)}), good, withEd(attacker)), false},
		{"jwk naming our own key, signed by us", forge(edHeader(kid, "jwk", jwk(key.Public().(ed25519.PublicKey))), good, ed), false},
		{"jku, signed by us", forge(edHeader(kid, "jku", "https://auth.example.test/jwks.json"), good, ed), false},
		{"x5u, signed by us", forge(edHeader(kid, "x5u", "https://auth.example.test/cert.pem"), good, ed), false},
		{"x5c, signed by us", forge(edHeader(kid, "x5c", []string{}), good, ed), false},
		{"jku null, signed by us", forge(edHeader(kid, "jku", nil), good, ed), false},
		{"crit, signed by us", forge(edHeader(kid, "crit", []string{"exp"}), good, ed), false},

		// Signatures.
		{"signature of another token", parts[0] + "." + seg(good.with("sub", "someone-else")) + "." + parts[2], false},
		{"signature stripped", parts[0] + "." + parts[1] + ".", false},
		{"signature truncated", valid[:len(valid)-2], false},
		{"signature with a bit flipped", parts[0] + "." + parts[1] + "." + flip(parts[2]), false},
		{"signature doubled", valid + parts[2], false},

		// Claims.
		{"no exp", forge(hdr, good.with("exp", nil), ed), false},
		{"exp in the past", forge(hdr, good.with("exp", t0.Add(-time.Second).Unix()), ed), false},
		{"exp equal to now", forge(hdr, good.with("exp", t0.Unix()), ed), false},
		{"nbf in the future", forge(hdr, good.with("nbf", t0.Add(time.Minute).Unix()), ed), false},
		{"iat in the future", forge(hdr, good.with("iat", t0.Add(time.Minute).Unix()), ed), false},
		{"iat 6s in the future", forge(hdr, good.with("iat", t0.Add(IssuedAtLeeway+time.Second).Unix()), ed), false},
		{"iat 5s in the future (clock leeway)", forge(hdr, good.with("iat", t0.Add(IssuedAtLeeway).Unix()), ed), true},
		{"no iat", forge(hdr, good.with("iat", nil), ed), false},
		{"no iss", forge(hdr, good.with("iss", nil), ed), false},
		{"wrong iss", forge(hdr, good.with("iss", "https://auth.example.test/store-2"), ed), false},
		{"iss differing in case", forge(hdr, good.with("iss", strings.ToUpper(testIssuer)), ed), false},
		{"no aud", forge(hdr, good.with("aud", nil), ed), false},
		{"wrong aud", forge(hdr, good.with("aud", []string{"api"}), ed), false},
		{"empty aud list", forge(hdr, good.with("aud", []string{}), ed), false},
		{"no typ", forge(hdr, good.with("typ", nil), ed), false},
		{"typ access", forge(hdr, good.with("typ", typAccess), ed), false},
		{"typ Customer", forge(hdr, good.with("typ", "Customer"), ed), false},
		{"no sub", forge(hdr, good.with("sub", nil), ed), false},
		{"empty sub", forge(hdr, good.with("sub", ""), ed), false},
		{"gen as a string", forge(hdr, good.with("gen", "3"), ed), false},

		// Malformed.
		{"empty", "", false},
		{"whitespace", "   ", false},
		{"one segment", parts[0], false},
		{"two segments", parts[0] + "." + parts[1], false},
		{"four segments", valid + "." + parts[2], false},
		{"empty segments", "..", false},
		{"9000 dots", strings.Repeat(".", 9000), false},
		{"4000 dots", strings.Repeat(".", 4000), false},
		{"Bearer and 9000 dots", "Bearer " + strings.Repeat(".", 9000), false},
		{"Bearer prefix", "Bearer " + valid, false},
		{"leading space", " " + valid, false},
		{"bad base64 in the header", "e*J." + parts[1] + "." + parts[2], false},
		{"bad base64 in the claims", parts[0] + ".!!!!." + parts[2], false},
		{"bad base64 in the signature", parts[0] + "." + parts[1] + ".@@@@", false},
		{"padded header", parts[0] + "=." + parts[1] + "." + parts[2], false},
		{"padded claims", parts[0] + "." + parts[1] + "==." + parts[2], false},
		{"padded signature", valid + "=", false},
		{"standard base64 alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(valid), false},
		{"header is an array", forge(`["EdDSA"]`, good, ed), false},
		{"header is a string", forge(`"EdDSA"`, good, ed), false},
		{"header is null", forge(`null`, good, ed), false},
		{"header is not JSON", forge(`{alg:EdDSA}`, good, ed), false},
		{"claims are an array", forge(hdr, `[1,2]`, ed), false},
		{"claims are a string", forge(hdr, `"customer"`, ed), false},
		{"claims are null", forge(hdr, `null`, ed), false},
		{"claims are a number", forge(hdr, `42`, ed), false},
		{"claims are not JSON", forge(hdr, `{"sub":`, ed), false},
		{"claims are an empty object", forge(hdr, `{}`, ed), false},
		{"two tokens joined by a comma", valid + "," + valid, false},
		{"two tokens joined by a comma and a space", valid + ", " + valid, false},
		{"token over 4096 bytes", big, false},
		{"token of 4097 bytes of letters", strings.Repeat("a", maxTokenLen+1), false},
		{"NUL byte", valid + "\x00", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc, err := tk.VerifyCustomer(ctx, tc.tok)
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if cc.CustomerID != testCustomerID || cc.Gen != 3 {
					t.Errorf("claims = %+v", cc)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted (claims %+v)", cc)
			}
			if err != ErrInvalidToken {
				t.Errorf("err = %v, want ErrInvalidToken (callers must not learn why)", err)
			}
			if cc != (CustomerClaims{}) {
				t.Errorf("a refused token gave claims %+v", cc)
			}
		})
	}
	if len(big) <= maxTokenLen || len(justUnder) > maxTokenLen || len(justUnder) < maxTokenLen-4 {
		t.Fatalf("test tokens have the wrong sizes: %d, %d", len(big), len(justUnder))
	}
}

// A token one byte over the limit is refused even though it verifies otherwise.
func TestMaxTokenLenBoundary(t *testing.T) {
	f := newFixture(t)
	key, kid := f.key(CustomerKind)
	hdr := edHeader(kid)
	good := customerClaimsAt(t0)
	// Find pads that give tokens of exactly maxTokenLen and maxTokenLen+1 bytes: the
	// claims' base64 grows by 4 characters per 3 bytes, so vary a second claim too.
	found := map[int]string{}
	base := len(forge(hdr, good.with("pad", "", "p", ""), withEd(key)))
	for n := (maxTokenLen-base)*3/4 - 8; n < (maxTokenLen-base)*3/4+8 && len(found) < 2; n++ {
		for m := 0; m < 3; m++ {
			s := forge(hdr, good.with("pad", strings.Repeat("x", n), "p", strings.Repeat("y", m)), withEd(key))
			if l := len(s); l == maxTokenLen || l == maxTokenLen+1 {
				found[l] = s
			}
		}
	}
	if len(found) != 2 {
		t.Fatalf("no tokens of the boundary sizes: %v", len(found))
	}
	if _, err := f.tk.VerifyCustomer(ctx, found[maxTokenLen]); err != nil {
		t.Errorf("a token of %d bytes: %v", maxTokenLen, err)
	}
	if _, err := f.tk.VerifyCustomer(ctx, found[maxTokenLen+1]); err != ErrInvalidToken {
		t.Errorf("a token of %d bytes: %v", maxTokenLen+1, err)
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// attackerCert is a self-signed certificate of key, base64 DER as x5c carries it.
func attackerCert(t testing.TB, key ed25519.PrivateKey) string {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "auth.example.test"},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// Key confusion: the public key, which anyone may read, used as an HMAC secret under
// every encoding it could be taken from, and other algorithms with our kid.
func TestKeyConfusion(t *testing.T) {
	f := newFixture(t)
	for _, kind := range Kinds {
		t.Run(string(kind), func(t *testing.T) {
			key, kid := f.key(kind)
			pub := key.Public().(ed25519.PublicKey)
			claims, verify := customerClaimsAt(t0), f.tk.verifyCustomerErr
			if kind == AccessKind {
				claims, verify = accessClaimsAt(t0), f.tk.verifyAccessErr
			}
			der, err := x509.MarshalPKIXPublicKey(pub)
			if err != nil {
				t.Fatal(err)
			}
			pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
			published, _ := f.keys.get(kind)
			jwkJSON, _ := json.Marshal(published.Keys[0])
			jwksJSON, _ := json.Marshal(map[string]any{"keys": published.Keys})
			encodings := map[string][]byte{
				"raw":                []byte(pub),
				"base64url":          []byte(base64.RawURLEncoding.EncodeToString(pub)),
				"base64url, padded":  []byte(base64.URLEncoding.EncodeToString(pub)),
				"base64":             []byte(base64.StdEncoding.EncodeToString(pub)),
				"DER":                der,
				"PEM":                pemKey,
				"PEM without its LF": []byte(strings.TrimSpace(string(pemKey))),
				"JWK JSON":           jwkJSON,
				"JWKS JSON":          jwksJSON,
				"kid":                []byte(kid),
			}
			hmacs := map[string]func() hash.Hash{"HS256": sha256.New, "HS384": sha512.New384, "HS512": sha512.New}
			for name, secret := range encodings {
				for alg, h := range hmacs {
					t.Run(alg+" with the public key as "+name, func(t *testing.T) {
						tok := forge(header("alg", alg, "kid", kid), claims, withHMAC(h, secret))
						if err := verify(tok); err != ErrInvalidToken {
							t.Errorf("err = %v", err)
						}
					})
				}
			}
			for name, tok := range map[string]string{
				"alg none":                      forge(header("alg", "none", "kid", kid), claims, nil),
				"alg none, EdDSA signature":     forge(header("alg", "none", "kid", kid), claims, withEd(key)),
				"ES256 with another key":        forge(header("alg", "ES256", "kid", kid), claims, withJWT(jwt.SigningMethodES256, ecKey(t))),
				"RS256 with another key":        forge(header("alg", "RS256", "kid", kid), claims, withJWT(jwt.SigningMethodRS256, rsaKey(t))),
				"EdDSA, an attacker key":        forge(edHeader(kid), claims, withEd(ed25519.NewKeyFromSeed(make([]byte, 32)))),
				"EdDSA, the public key as seed": forge(edHeader(kid), claims, withEd(ed25519.NewKeyFromSeed(pub))),
			} {
				t.Run(name, func(t *testing.T) {
					if err := verify(tok); err != ErrInvalidToken {
						t.Errorf("err = %v", err)
					}
				})
			}
			// The control: the same claims under our key pass.
			if err := verify(forge(edHeader(kid), claims, withEd(key))); err != nil {
				t.Errorf("control: %v", err)
			}
		})
	}
}

// A store entry whose kid is ours but whose x is the attacker's is not a key: a JWK's kid
// must be its thumbprint, so a poisoned or corrupted item cannot lend our kid to another key.
func TestPoisonedKeyStore(t *testing.T) {
	f := newFixture(t)
	_, kid := f.key(CustomerKind)
	_, attacker, _ := ed25519.GenerateKey(rand.Reader)
	bad := jwk(attacker.Public().(ed25519.PublicKey))
	bad.Kid = kid
	stored, _ := f.keys.get(CustomerKind)
	f.keys.set(CustomerKind, KeySet{Keys: append([]JWK{bad}, stored.Keys...), Created: stored.Created})
	// The attacker's key published under the access kind is not a customer key either.
	accessSet, _ := f.keys.get(AccessKind)
	f.keys.set(AccessKind, KeySet{Keys: append(accessSet.Keys, jwk(attacker.Public().(ed25519.PublicKey))), Created: accessSet.Created})
	v := f.verifier(t)
	for name, tok := range map[string]string{
		"our kid":      forge(edHeader(kid), customerClaimsAt(t0), withEd(attacker)),
		"attacker kid": forge(edHeader(keyID(attacker.Public().(ed25519.PublicKey))), customerClaimsAt(t0), withEd(attacker)),
	} {
		if _, err := v.VerifyCustomer(ctx, tok); err != ErrInvalidToken {
			t.Errorf("%s: %v", name, err)
		}
	}
	good, _ := f.tk.IssueCustomer(ctx, testCustomerID, 1)
	if _, err := v.VerifyCustomer(ctx, good.Value); err != nil {
		t.Errorf("our own token beside the poisoned entry: %v", err)
	}
	sets, err := v.PublicKeys(ctx)
	if err != nil || len(sets[CustomerKind].Keys) != 2 {
		t.Errorf("PublicKeys = %v, %v: the published sets as stored", sets, err)
	}
}

func TestVerifyAccessClaims(t *testing.T) {
	f := newFixture(t)
	key, kid := f.key(AccessKind)
	good := accessClaimsAt(t0)
	cases := []struct {
		name string
		c    claimMap
		ok   bool
		want AccessClaims
	}{
		{"client_credentials", good, true, AccessClaims{ClientID: "client-1", Grant: ClientCredentials}},
		{"implicit", good.with("grant", "implicit"), true, AccessClaims{ClientID: "client-1", Grant: Implicit}},
		{"unknown grant", good.with("grant", "password"), false, AccessClaims{}},
		{"grant in another case", good.with("grant", "Client_Credentials"), false, AccessClaims{}},
		{"no grant", good.with("grant", nil), false, AccessClaims{}},
		{"no sub", good.with("sub", nil), false, AccessClaims{}},
		{"empty sub", good.with("sub", ""), false, AccessClaims{}},
		{"no exp", good.with("exp", nil), false, AccessClaims{}},
		{"expired", good.with("exp", t0.Add(-time.Second).Unix()), false, AccessClaims{}},
		{"no iat", good.with("iat", nil), false, AccessClaims{}},
		{"iat 6s ahead", good.with("iat", t0.Add(IssuedAtLeeway+time.Second).Unix()), false, AccessClaims{}},
		{"iat 5s ahead", good.with("iat", t0.Add(IssuedAtLeeway).Unix()), true, AccessClaims{ClientID: "client-1", Grant: ClientCredentials}},
		{"no typ", good.with("typ", nil), false, AccessClaims{}},
		{"wrong typ", good.with("typ", "customer"), false, AccessClaims{}},
		{"no aud", good.with("aud", nil), false, AccessClaims{}},
		{"wrong aud", good.with("aud", "customer"), false, AccessClaims{}},
		{"no iss", good.with("iss", nil), false, AccessClaims{}},
		{"wrong iss", good.with("iss", "x"), false, AccessClaims{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ac, err := f.tk.VerifyAccess(ctx, forge(edHeader(kid), tc.c, withEd(key)))
			if (err == nil) != tc.ok || err != nil && err != ErrInvalidToken {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if ac != tc.want {
				t.Errorf("claims = %+v, want %+v", ac, tc.want)
			}
		})
	}
	if _, err := f.tk.VerifyAccess(ctx, forge(header("alg", "none", "kid", kid), good, nil)); err != ErrInvalidToken {
		t.Errorf("alg none access token: %v", err)
	}
	if _, err := f.tk.VerifyAccess(ctx, strings.Repeat("a", maxTokenLen+1)); err != ErrInvalidToken {
		t.Errorf("a huge access token: %v", err)
	}
}

// Malformed tokens must fail fast, with bounded allocation (CVE-2025-30204) and without
// reading the key store.
func TestMalformedTokensFailFast(t *testing.T) {
	f := newFixture(t)
	tk := f.verifier(t)
	inputs := []string{
		strings.Repeat(".", 9000),
		strings.Repeat(".", maxTokenLen),
		strings.Repeat(".", maxTokenLen-1) + "a",
		"Bearer " + strings.Repeat(".", 9000),
		strings.Repeat("a", 1<<20),
		strings.Repeat("a.", maxTokenLen/2),
	}
	for _, in := range inputs {
		allocs := testing.AllocsPerRun(20, func() { _, _ = tk.VerifyCustomer(ctx, in) })
		if allocs > 100 {
			t.Errorf("%d-byte input: %.0f allocations per verification", len(in), allocs)
		}
	}
	start := time.Now()
	for i := 0; i < 1000; i++ {
		for _, in := range inputs {
			if _, err := tk.VerifyCustomer(ctx, in); err != ErrInvalidToken {
				t.Fatalf("err = %v", err)
			}
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("6000 malformed verifications took %v", d)
	}
	if r, _ := f.keys.counts(); r != 0 {
		t.Errorf("malformed tokens read the keys %d times", r)
	}
}

// Tokens that are refused before their key is looked up do not read the store, so a
// flood of them costs no DynamoDB read: alg, refused headers, no kid.
func TestRefusedBeforeKeyLookup(t *testing.T) {
	f := newFixture(t)
	key, kid := f.key(CustomerKind)
	v := f.verifier(t)
	for name, tok := range map[string]string{
		"alg none":  forge(header("alg", "none", "kid", kid), customerClaimsAt(t0), nil),
		"HS256":     forge(header("alg", "HS256", "kid", kid), customerClaimsAt(t0), withHMAC(sha256.New, []byte("k"))),
		"jku":       forge(edHeader(kid, "jku", "https://attacker.example/"), customerClaimsAt(t0), withEd(key)),
		"jwk":       forge(edHeader(kid, "jwk", map[string]string{}), customerClaimsAt(t0), withEd(key)),
		"x5u":       forge(edHeader(kid, "x5u", "https://attacker.example/"), customerClaimsAt(t0), withEd(key)),
		"x5c":       forge(edHeader(kid, "x5c", []string{"MII"}), customerClaimsAt(t0), withEd(key)),
		"crit":      forge(edHeader(kid, "crit", []string{"b64"}), customerClaimsAt(t0), withEd(key)),
		"no kid":    forge(header("alg", Algorithm), customerClaimsAt(t0), withEd(key)),
		"empty kid": forge(edHeader(""), customerClaimsAt(t0), withEd(key)),
	} {
		if _, err := v.VerifyCustomer(ctx, tok); err != ErrInvalidToken {
			t.Errorf("%s: %v", name, err)
		}
	}
	if r, _ := f.keys.counts(); r != 0 {
		t.Errorf("%d reads of the keys", r)
	}
}

// A kid the verifier does not know makes it read the keys again at once (a signer has just
// published), but at most once per KeysRefreshMin however many unknown kids come.
func TestUnknownKidRefresh(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t)
	at, _ := f.tk.IssueAccess(ctx, ClientCredentials, "client-1")
	if _, err := v.VerifyAccess(ctx, at.Value); err != nil {
		t.Fatal(err)
	}
	if r, _ := f.keys.counts(); r != 1 {
		t.Fatalf("%d reads", r)
	}
	// Another secret value is published behind the verifier's back (a signer of another
	// process, after a rotation).
	next := secrets.Set{Current: "the-next-access-value-0123456789abcdef", Others: []string{accessValue}, Created: t0}
	f.src[accessSecretID] = next
	nt, err := f.tk.IssueAccess(ctx, ClientCredentials, "client-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyAccess(ctx, nt.Value); err != nil {
		t.Fatalf("a token of a key published since the keys were read: %v", err)
	}
	if r, _ := f.keys.counts(); r != 2 {
		t.Errorf("%d reads, want 2", r)
	}
	// Unknown kids within KeysRefreshMin: refused without another read.
	_, attacker, _ := ed25519.GenerateKey(rand.Reader)
	for i := range 5 {
		tok := forge(edHeader(keyID(privateKey(strings.Repeat("u", 40+i), AccessKind).Public().(ed25519.PublicKey))), accessClaimsAt(t0), withEd(attacker))
		if _, err := v.VerifyAccess(ctx, tok); err != ErrInvalidToken {
			t.Fatal(err)
		}
	}
	if r, _ := f.keys.counts(); r != 2 {
		t.Errorf("%d reads after 5 unknown kids, want 2", r)
	}
	// The known keys still verify without a read.
	if _, err := v.VerifyAccess(ctx, at.Value); err != nil {
		t.Fatal(err)
	}
	if r, _ := f.keys.counts(); r != 2 {
		t.Errorf("%d reads", r)
	}
}

// The keys are kept for KeysTTL (in real time: the keys' cache has its own clock).
func TestKeysTTL(t *testing.T) {
	const ttl = 300 * time.Millisecond
	f := newFixture(t)
	v, err := NewTokens(TokenConfig{Issuer: testIssuer, Keys: f.keys, KeysTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	v.WithClock(f.clk.now)
	at, _ := f.tk.IssueAccess(ctx, ClientCredentials, "client-1")
	old := at.Value
	start := time.Now()
	if _, err := v.VerifyAccess(ctx, old); err != nil {
		t.Fatal(err)
	}
	// The access secret moves on to B, and A is no longer published.
	f.src[accessSecretID] = secrets.Set{Current: "access-value-B-0123456789abcdef0123456789", Created: t0}
	if _, err := f.tk.IssueAccess(ctx, ClientCredentials, "client-1"); err != nil {
		t.Fatal(err)
	}
	_, err = v.VerifyAccess(ctx, old)
	if time.Since(start) < ttl && err != nil {
		t.Errorf("within KeysTTL the retired key still verifies (the documented staleness): %v", err)
	}
	time.Sleep(time.Until(start.Add(ttl + 10*time.Millisecond)))
	if _, err := v.VerifyAccess(ctx, old); err != ErrInvalidToken {
		t.Errorf("after KeysTTL the retired key: %v", err)
	}
}

// TestRotation takes each kind's signing secret through {A} → {A; others B} →
// {B; others A} → {B}: the tokens signed before, during and after verify exactly while
// their key is published (and, in another process, until it reads the keys again).
func TestRotation(t *testing.T) {
	for _, kind := range Kinds {
		t.Run(string(kind), func(t *testing.T) { testRotation(t, kind) })
	}
}

func testRotation(t *testing.T, kind Kind) {
	const (
		valueA = "rotation-value-A-0123456789abcdef0123456789"
		valueB = "rotation-value-B-0123456789abcdef0123456789"
	)
	f := newFixture(t)
	id := map[Kind]string{AccessKind: accessSecretID, CustomerKind: customerSecretID}[kind]
	issue := func(tk *Tokens) (string, error) {
		if kind == AccessKind {
			tok, err := tk.IssueAccess(ctx, ClientCredentials, "client-1")
			return tok.Value, err
		}
		tok, err := tk.IssueCustomer(ctx, testCustomerID, 1)
		return tok.Value, err
	}
	verify := func(tk *Tokens, tok string) error {
		if kind == AccessKind {
			return tk.verifyAccessErr(tok)
		}
		return tk.verifyCustomerErr(tok)
	}
	_, kidA := keyOf(valueA, kind)
	keyB, kidB := keyOf(valueB, kind)
	step := func(s secrets.Set, minutes int) {
		s.Created = t0.Add(time.Duration(minutes) * time.Minute)
		f.src[id] = s
		f.clk.t = s.Created
	}
	mustIssue := func(wantKid string) string {
		t.Helper()
		tok, err := issue(f.tk)
		if err != nil {
			t.Fatal(err)
		}
		if kid := kidOf(t, tok); kid != wantKid {
			t.Fatalf("signed with %s, want %s", kid, wantKid)
		}
		return tok
	}
	published := func(want ...string) {
		t.Helper()
		ks, _ := f.keys.get(kind)
		var kids []string
		for _, k := range ks.Keys {
			kids = append(kids, k.Kid)
		}
		if !slices.Equal(kids, want) || !ks.Created.Equal(f.src[id].Created) {
			t.Fatalf("published %v (%v), want %v (%v)", kids, ks.Created, want, f.src[id].Created)
		}
	}
	// v is another function: it keeps the keys it read for its KeysTTL (an hour);
	// v.public.Forget() stands for that TTL going by.
	v := f.verifier(t)
	check := func(when string, tk *Tokens, toks map[string]string, want map[string]bool) {
		t.Helper()
		for name, tok := range toks {
			if err := verify(tk, tok); (err == nil) != want[name] {
				t.Errorf("%s: token %s: err = %v, want ok=%v", when, name, err, want[name])
			}
		}
	}

	// {A}
	step(secrets.Set{Current: valueA}, 0)
	toks := map[string]string{"before": mustIssue(kidA)}
	published(kidA)
	check("A", v, toks, map[string]bool{"before": true})

	// {A; others B}: B is published before anyone signs with it, and A still signs.
	step(secrets.Set{Current: valueA, Others: []string{valueB}}, 10)
	toks["introduced"] = mustIssue(kidA)
	published(kidA, kidB)
	reads, _ := f.keys.counts()
	check("A; B, verifier still on {A}", v, toks, map[string]bool{"before": true, "introduced": true})
	if r, _ := f.keys.counts(); r != reads {
		t.Errorf("known kids read the keys: %d reads, want %d", r, reads)
	}
	// A token of B, as a signer that is already on the next step makes it: the verifier
	// has not read B yet, and reads it on meeting the unknown kid.
	toks["early B"] = forge(edHeader(kidB), map[Kind]claimMap{AccessKind: accessClaimsAt(f.clk.t), CustomerKind: customerClaimsAt(f.clk.t)}[kind], withEd(keyB))
	check("A; B, a token of B", v, toks, map[string]bool{"before": true, "introduced": true, "early B": true})
	if r, _ := f.keys.counts(); r != reads+1 {
		t.Errorf("the unknown kid B: %d reads, want %d", r, reads+1)
	}

	// {B; others A}: B signs, A still verifies.
	step(secrets.Set{Current: valueB, Others: []string{valueA}}, 20)
	toks["promoted"] = mustIssue(kidB)
	published(kidB, kidA)
	all := map[string]bool{"before": true, "introduced": true, "early B": true, "promoted": true}
	check("B; A", v, toks, all)
	check("B; A, the signer", f.tk, toks, all)

	// {B}: A is retired. The signer, which has just published, refuses A at once; the
	// verifier accepts A until it reads the keys again.
	step(secrets.Set{Current: valueB}, 30)
	toks["retired"] = mustIssue(kidB)
	published(kidB)
	all["retired"] = true
	check("B, verifier not yet re-read", v, toks, all)
	afterRetire := map[string]bool{"before": false, "introduced": false, "early B": true, "promoted": true, "retired": true}
	check("B, the signer", f.tk, toks, afterRetire)
	v.public.Forget()
	check("B, verifier re-read", v, toks, afterRetire)
	// A later verifier never knew A.
	check("B, a new verifier", f.verifier(t), toks, afterRetire)

	// The tokens of B still expire as any token does.
	f.clk.t = t0.Add(10*time.Minute + AccessTokenTTL)
	if kind == AccessKind {
		check("B, an hour after", v, toks, map[string]bool{"early B": false, "promoted": true, "retired": true})
	}
}

// A signer publishes its keys before it first signs with a secret version, and not again
// while the version holds.
func TestPublishBeforeFirstToken(t *testing.T) {
	keys := newMemKeys()
	src := secrets.Static{
		accessSecretID:   {Current: accessValue, Others: []string{"access-value-next-0123456789abcdef0123"}, Created: t0},
		customerSecretID: {Current: customerValue, Created: t0},
	}
	f := &fixture{src: src, keys: keys, clk: &clock{t: t0}}
	tk := f.tokens(t, f.signing(src, time.Hour))
	if _, ok := keys.get(AccessKind); ok {
		t.Fatal("published before any token")
	}
	at, err := tk.IssueAccess(ctx, ClientCredentials, "client-1")
	if err != nil {
		t.Fatal(err)
	}
	ks, ok := keys.get(AccessKind)
	if !ok {
		t.Fatal("the access keys are not published")
	}
	if want := PublicKeys(src[accessSecretID], AccessKind); !ks.Created.Equal(t0) || mustJSON(ks.Keys) != mustJSON(want.Keys) {
		t.Errorf("published %+v, want %+v", ks, want)
	}
	if kidOf(t, at.Value) != ks.Keys[0].Kid {
		t.Errorf("the token's kid is not the first published key")
	}
	if _, ok := keys.get(CustomerKind); ok {
		t.Error("the customer keys are published before a customer token")
	}
	if _, p := keys.counts(); p != 1 {
		t.Errorf("%d publishes", p)
	}
	// Another function verifies it at once (it reads the keys on its first need).
	if _, err := f.verifier(t).VerifyAccess(ctx, at.Value); err != nil {
		t.Fatal(err)
	}
	// More tokens of the same version publish nothing.
	for range 3 {
		if _, err := tk.IssueAccess(ctx, Implicit, "client-1"); err != nil {
			t.Fatal(err)
		}
	}
	if _, p := keys.counts(); p != 1 {
		t.Errorf("%d publishes after 4 tokens of one version", p)
	}
	// The signer verifies what it has just published without waiting for its keys' TTL,
	// even when it had read the keys before publishing.
	if _, err := tk.PublicKeys(ctx); err != nil {
		t.Fatal(err)
	}
	ct, err := tk.IssueCustomer(ctx, testCustomerID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, p := keys.counts(); p != 2 {
		t.Errorf("%d publishes", p)
	}
	r, _ := keys.counts()
	if _, err := tk.VerifyCustomer(ctx, ct.Value); err != nil {
		t.Fatal(err)
	}
	if r2, _ := keys.counts(); r2 != r+1 {
		t.Errorf("the signer did not read its keys again after publishing: %d reads, want %d", r2, r+1)
	}
	sets, err := tk.PublicKeys(ctx)
	if err != nil || len(sets) != 2 || len(sets[AccessKind].Keys) != 2 || len(sets[CustomerKind].Keys) != 1 {
		t.Errorf("PublicKeys = %+v, %v", sets, err)
	}
}

// A signer that read its secret before a rotation went further finds a later version
// published without its key: it reads the secret again, once.
func TestStaleSignerReadsTheSecretAgain(t *testing.T) {
	const (
		valueA = "stale-value-A-0123456789abcdef0123456789"
		valueB = "stale-value-B-0123456789abcdef0123456789"
	)
	keys := newMemKeys()
	src := &countingSource{src: secrets.Static{accessSecretID: {Current: valueA, Created: t0}}}
	f := &fixture{src: src.src, keys: keys, clk: &clock{t: t0}}
	stale := f.tokens(t, f.signing(src, time.Hour))
	// This process reads {A} (say, to check its configuration) and keeps it for an hour.
	if _, err := stale.signing[AccessKind].Get(ctx); err != nil {
		t.Fatal(err)
	}
	// Meanwhile the secret moves to {B} and another process publishes it.
	src.src[accessSecretID] = secrets.Set{Current: valueB, Created: t0.Add(time.Minute)}
	other := f.tokens(t, f.signing(src, 0))
	if _, err := other.IssueAccess(ctx, ClientCredentials, "client-1"); err != nil {
		t.Fatal(err)
	}
	src.reads = 0
	tok, err := stale.IssueAccess(ctx, ClientCredentials, "client-1")
	if err != nil {
		t.Fatal(err)
	}
	_, kidB := keyOf(valueB, AccessKind)
	if kidOf(t, tok.Value) != kidB {
		t.Errorf("the stale signer signed with %s, want B %s", kidOf(t, tok.Value), kidB)
	}
	if src.reads != 1 {
		t.Errorf("%d reads of the secret, want 1", src.reads)
	}
	if ks, _ := keys.get(AccessKind); len(ks.Keys) != 1 || ks.Keys[0].Kid != kidB || !ks.Created.Equal(t0.Add(time.Minute)) {
		t.Errorf("the stale signer overwrote the published keys: %+v", ks)
	}
	if _, err := f.verifier(t).VerifyAccess(ctx, tok.Value); err != nil {
		t.Error(err)
	}

	// A secret older than what is published, read again, is still older (a restored
	// backup, or two deployments sharing one table): the signer gives up after one
	// re-read and signs nothing.
	src.src[accessSecretID] = secrets.Set{Current: valueA, Created: t0}
	src.reads = 0
	back := f.tokens(t, f.signing(src, time.Hour))
	_, err = back.IssueAccess(ctx, ClientCredentials, "client-1")
	if err == nil || errors.Is(err, ErrCannotSign) || !strings.Contains(err.Error(), "not among the published keys") {
		t.Errorf("err = %v", err)
	}
	if src.reads != 2 {
		t.Errorf("%d reads of the secret, want 2 (the first and one again)", src.reads)
	}
	// A later version with the signing value among its others is fine: A still verifies.
	keys.set(AccessKind, PublicKeys(secrets.Set{Current: valueB, Others: []string{valueA}, Created: t0.Add(time.Hour)}, AccessKind))
	src.reads = 0
	tok, err = back.IssueAccess(ctx, ClientCredentials, "client-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, kidA := keyOf(valueA, AccessKind); kidOf(t, tok.Value) != kidA || src.reads != 0 {
		t.Errorf("signed with %s after %d reads", kidOf(t, tok.Value), src.reads)
	}
}

// A function that was not given a kind's signing secret cannot issue that kind.
func TestCannotSign(t *testing.T) {
	f := newFixture(t)
	src := &countingSource{src: f.src}
	for name, signing := range map[string]map[Kind]*secrets.Value{
		"no signing secrets":             nil,
		"the other kind's only":          {CustomerKind: secrets.NewValue(src, customerSecretID, 0, nil)},
		"a nil Value":                    {AccessKind: nil},
		"a Value without a secret id":    {AccessKind: secrets.NewValue(src, "", 0, nil)},
		"a nil Value and the other kind": {AccessKind: nil, CustomerKind: secrets.NewValue(src, customerSecretID, 0, nil)},
	} {
		t.Run(name, func(t *testing.T) {
			_, p0 := f.keys.counts()
			tk := f.tokens(t, signing)
			tok, err := tk.IssueAccess(ctx, ClientCredentials, "client-1")
			if !errors.Is(err, ErrCannotSign) || tok != (Token{}) {
				t.Errorf("IssueAccess = %+v, %v; want ErrCannotSign", tok, err)
			}
			if _, p := f.keys.counts(); p != p0 {
				t.Error("published")
			}
			// It still verifies.
			at, _ := f.tk.IssueAccess(ctx, ClientCredentials, "client-1")
			if _, err := tk.VerifyAccess(ctx, at.Value); err != nil {
				t.Error(err)
			}
		})
	}
	if src.reads != 0 {
		t.Errorf("%d reads of a secret", src.reads)
	}
	// The verifier can sign neither kind.
	if _, err := f.verifier(t).IssueCustomer(ctx, testCustomerID, 1); !errors.Is(err, ErrCannotSign) {
		t.Errorf("IssueCustomer: %v", err)
	}
}

// Failures of the secret or the key store while issuing are returned as they are.
func TestIssueFailures(t *testing.T) {
	f := newFixture(t)
	src := &countingSource{src: f.src, err: errors.New("secrets manager: connection refused")}
	tk := f.tokens(t, f.signing(src, 0))
	tok, err := tk.IssueAccess(ctx, ClientCredentials, "client-1")
	if err == nil || errors.Is(err, ErrCannotSign) || tok != (Token{}) {
		t.Errorf("a secret read failure: %+v, %v", tok, err)
	}
	src.err = nil
	boom := errors.New("dynamodb: throttled")
	f.keys.publishErr = boom
	f.src[accessSecretID] = secrets.Set{Current: "access-value-next-0123456789abcdef0123", Created: t0}
	if tok, err := tk.IssueAccess(ctx, ClientCredentials, "client-1"); !errors.Is(err, boom) || tok != (Token{}) {
		t.Errorf("a publish failure: %+v, %v", tok, err)
	}
	// The failed publish left no signer behind: the next issue publishes.
	f.keys.publishErr = nil
	_, p0 := f.keys.counts()
	at, err := tk.IssueAccess(ctx, ClientCredentials, "client-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, p := f.keys.counts(); p != p0+1 {
		t.Errorf("%d publishes, want %d", p, p0+1)
	}
	if _, err := f.verifier(t).VerifyAccess(ctx, at.Value); err != nil {
		t.Error(err)
	}
}

// A failure to read the keys is not the token's fault: it is returned as that error.
func TestKeyStoreReadFailure(t *testing.T) {
	f := newFixture(t)
	at, _ := f.tk.IssueAccess(ctx, ClientCredentials, "client-1")
	ct, _ := f.tk.IssueCustomer(ctx, testCustomerID, 2)
	boom := errors.New("dynamodb: ProvisionedThroughputExceededException")
	f.keys.failReads(boom)
	v := f.verifier(t)
	if _, err := v.VerifyAccess(ctx, at.Value); !errors.Is(err, boom) || errors.Is(err, ErrInvalidToken) {
		t.Errorf("VerifyAccess: %v, want the store's error", err)
	}
	if _, err := v.VerifyCustomer(ctx, ct.Value); !errors.Is(err, boom) {
		t.Errorf("VerifyCustomer: %v, want the store's error", err)
	}
	if _, err := v.PublicKeys(ctx); !errors.Is(err, boom) {
		t.Errorf("PublicKeys: %v", err)
	}
	c, err := v.Caller(ctx, hdrs{"Authorization": "Bearer " + at.Value})
	if !errors.Is(err, boom) || c != (Caller{}) {
		t.Errorf("Caller: %+v, %v; want the store's error, not a 401", c, err)
	}
	if _, err := v.Application(ctx, hdrs{"Authorization": "Bearer " + at.Value}); !errors.Is(err, boom) {
		t.Errorf("Application: %v", err)
	}
	// A token that is refused before its key is looked up is still a bad token.
	if _, err := v.VerifyAccess(ctx, "garbage"); err != ErrInvalidToken {
		t.Errorf("garbage: %v", err)
	}

	// Keys read before, then a customer token of a kid never seen while the store fails:
	// the store's error, not a 403.
	f.keys.failReads(nil)
	v = f.verifier(t)
	if _, err := v.VerifyAccess(ctx, at.Value); err != nil {
		t.Fatal(err)
	}
	f.src[customerSecretID] = secrets.Set{Current: "customer-value-next-0123456789abcdef0123", Created: t0}
	nct, err := f.tk.IssueCustomer(ctx, testCustomerID, 2)
	if err != nil {
		t.Fatal(err)
	}
	f.keys.failReads(boom)
	c, err = v.Caller(ctx, hdrs{"Authorization": "Bearer " + at.Value, CustomerTokenHeader: nct.Value})
	if !errors.Is(err, boom) || c != (Caller{}) {
		t.Errorf("Caller with a customer token of a new kid: %+v, %v; want the store's error, not a 403", c, err)
	}
	// The keys read before still serve the kids they hold.
	if c, err := v.Caller(ctx, hdrs{"Authorization": "Bearer " + at.Value, CustomerTokenHeader: ct.Value}); err != nil || c.CustomerID != testCustomerID {
		t.Errorf("Caller with a known kid: %+v, %v", c, err)
	}
}

// FuzzVerifyCustomerToken: no input panics the verifier and none is accepted. The keys are
// random per process, so a seed cannot be mutated back into a token the worker would
// accept.
func FuzzVerifyCustomerToken(f *testing.F) {
	fx := &fixture{
		src: secrets.Static{
			accessSecretID:   {Current: secrets.Generate(64), Created: t0},
			customerSecretID: {Current: secrets.Generate(64), Created: t0},
		},
		keys: newMemKeys(),
		clk:  &clock{t: time.Now()},
	}
	tk := fx.tokens(f, fx.signing(fx.src, time.Hour))
	tk.WithClock(time.Now)
	valid, err := tk.IssueCustomer(ctx, testCustomerID, 1)
	if err != nil {
		f.Fatal(err)
	}
	access, err := tk.IssueAccess(ctx, ClientCredentials, "client-1")
	if err != nil {
		f.Fatal(err)
	}
	v := fx.verifier(f)
	v.WithClock(time.Now)
	_, kid := fx.key(CustomerKind)
	parts := strings.Split(valid.Value, ".")
	for _, s := range []string{
		"", ".", "..", "...", "a.b.c", strings.Repeat(".", 100),
		access.Value,
		valid.Value[:len(valid.Value)-1],
		parts[0] + "." + parts[1] + ".",
		seg(header("alg", "none", "kid", kid)) + "." + parts[1] + ".",
		seg(header("alg", "HS256", "kid", kid)) + "." + parts[1] + "." + parts[2],
		forge(header("alg", "HS256", "kid", kid), customerClaimsAt(time.Now()), withHMAC(sha256.New, []byte("k"))),
		forge(edHeader(kid), customerClaimsAt(time.Now()), withEd(ed25519.NewKeyFromSeed(make([]byte, 32)))),
		forge(`[]`, `{}`, nil),
		valid.Value + "," + valid.Value,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, tk := range []*Tokens{tk, v} {
			if cc, err := tk.VerifyCustomer(ctx, s); err == nil && s != valid.Value {
				t.Fatalf("accepted %q: %+v", s, cc)
			}
			if ac, err := tk.VerifyAccess(ctx, s); err == nil && s != access.Value {
				t.Fatalf("accepted %q as an access token: %+v", s, ac)
			}
		}
	})
}
