package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer     = "https://auth.example.test/store-1"
	testCustomerID = "6f1c3c2e-0a5b-4b8e-9d3a-2f7e1c9b0a11"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef") // 32 bytes

// t0 is the fixed "now" of every token test.
var t0 = time.Unix(1_800_000_000, 0).UTC()

// clock is a settable time source for Tokens.now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestTokens(t testing.TB) (*Tokens, *clock) {
	t.Helper()
	tk, err := NewTokens(testSecret, testIssuer)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: t0}
	tk.now = c.now
	return tk, c
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

// forge builds a JWT by hand: header and claims are JSON-encoded (or taken verbatim when
// they are strings), and the signature is an HMAC under key with h (none when h is nil).
func forge(header, claims any, key []byte, h func() hash.Hash) string {
	signing := seg(header) + "." + seg(claims)
	if h == nil {
		return signing + "."
	}
	m := hmac.New(h, key)
	m.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
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

var hs256 = map[string]any{"alg": "HS256", "typ": "JWT"}

func header(kv ...any) map[string]any {
	h := map[string]any{"typ": "JWT"}
	for i := 0; i < len(kv); i += 2 {
		h[kv[i].(string)] = kv[i+1]
	}
	return h
}

func TestNewTokens(t *testing.T) {
	if _, err := NewTokens(testSecret[:31], testIssuer); err == nil {
		t.Error("a 31-byte secret was accepted")
	}
	if _, err := NewTokens(nil, testIssuer); err == nil {
		t.Error("a nil secret was accepted")
	}
	if _, err := NewTokens(testSecret, ""); err == nil {
		t.Error("an empty issuer was accepted")
	}
	tk, err := NewTokens(testSecret, testIssuer)
	if err != nil {
		t.Fatal(err)
	}
	if hmac.Equal(tk.accessKey, tk.customerKey) || hmac.Equal(tk.accessKey, testSecret) || hmac.Equal(tk.customerKey, testSecret) {
		t.Error("the two token kinds must have distinct keys, both different from the secret")
	}
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	tk, clk := newTestTokens(t)

	at, err := tk.IssueAccess(Implicit, "client-1")
	if err != nil {
		t.Fatal(err)
	}
	if !at.Expires.Equal(t0.Add(AccessTokenTTL)) || at.ID == "" || at.Value == "" {
		t.Errorf("access token = %+v", at)
	}
	ac, err := tk.VerifyAccess(at.Value)
	if err != nil {
		t.Fatalf("VerifyAccess: %v", err)
	}
	if ac != (AccessClaims{ClientID: "client-1", Grant: Implicit}) {
		t.Errorf("access claims = %+v", ac)
	}

	ct, err := tk.IssueCustomer(testCustomerID, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !ct.Expires.Equal(t0.Add(CustomerTokenTTL)) || ct.ID == "" || ct.ID == at.ID {
		t.Errorf("customer token = %+v", ct)
	}
	cc, err := tk.VerifyCustomer(ct.Value)
	if err != nil {
		t.Fatalf("VerifyCustomer: %v", err)
	}
	if cc != (CustomerClaims{CustomerID: testCustomerID, Gen: 7, IssuedAt: t0}) {
		t.Errorf("customer claims = %+v", cc)
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
			if _, err := tk.VerifyAccess(at.Value); (err == nil) != tc.access {
				t.Errorf("VerifyAccess err = %v, want ok=%v", err, tc.access)
			}
			if _, err := tk.VerifyCustomer(ct.Value); (err == nil) != tc.cust {
				t.Errorf("VerifyCustomer err = %v, want ok=%v", err, tc.cust)
			}
		})
	}
	clk.t = t0

	// Another issuer's tokens (same secret) are refused.
	other, _ := NewTokens(testSecret, "https://auth.example.test/store-2")
	other.now = clk.now
	if _, err := other.VerifyCustomer(ct.Value); err == nil {
		t.Error("a token of another issuer was accepted")
	}
	// Another secret's tokens are refused.
	other, _ = NewTokens([]byte(strings.Repeat("k", 32)), testIssuer)
	other.now = clk.now
	if _, err := other.VerifyAccess(at.Value); err == nil {
		t.Error("an access token signed with another secret was accepted")
	}
}

func TestTokenKindsDoNotMix(t *testing.T) {
	tk, _ := newTestTokens(t)
	for _, g := range []Grant{ClientCredentials, Implicit} {
		at, _ := tk.IssueAccess(g, "client-1")
		if _, err := tk.VerifyCustomer(at.Value); err == nil {
			t.Errorf("a %s access token was accepted as a customer token", g)
		}
	}
	ct, _ := tk.IssueCustomer(testCustomerID, 1)
	if _, err := tk.VerifyAccess(ct.Value); err == nil {
		t.Error("a customer token was accepted as an access token")
	}

	// Each separating element alone is enough: key, aud and typ.
	now := t0
	cases := []struct {
		name   string
		tok    string
		verify func(string) error
	}{
		{"customer claims under the access key", forge(hs256, customerClaimsAt(now), tk.accessKey, sha256.New), tk.verifyAccessErr},
		{"customer claims with access aud and typ under the customer key", forge(hs256,
			customerClaimsAt(now).with("aud", []string{audAccess}, "typ", typAccess, "grant", "client_credentials"), tk.customerKey, sha256.New), tk.verifyAccessErr},
		{"access claims under the customer key", forge(hs256, accessClaimsAt(now), tk.customerKey, sha256.New), tk.verifyCustomerErr},
		{"customer aud, access typ, customer key", forge(hs256, customerClaimsAt(now).with("typ", typAccess), tk.customerKey, sha256.New), tk.verifyCustomerErr},
		{"access aud, customer typ, customer key", forge(hs256, customerClaimsAt(now).with("aud", []string{audAccess}), tk.customerKey, sha256.New), tk.verifyCustomerErr},
		{"access claims with customer aud under the access key", forge(hs256, accessClaimsAt(now).with("aud", []string{audCustomer}), tk.accessKey, sha256.New), tk.verifyAccessErr},
		{"access claims with customer typ under the access key", forge(hs256, accessClaimsAt(now).with("typ", typCustomer), tk.accessKey, sha256.New), tk.verifyAccessErr},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.verify(tc.tok); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func (t *Tokens) verifyAccessErr(raw string) error   { _, err := t.VerifyAccess(raw); return err }
func (t *Tokens) verifyCustomerErr(raw string) error { _, err := t.VerifyCustomer(raw); return err }

func TestVerifyCustomerForgedAndMalformed(t *testing.T) {
	tk, _ := newTestTokens(t)
	key := tk.customerKey
	good := customerClaimsAt(t0)
	attacker := []byte("attacker-key-attacker-key-attacker-key")

	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	rs256, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims(good)).SignedString(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	es256, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims(good)).SignedString(ecKey)
	if err != nil {
		t.Fatal(err)
	}

	valid := forge(hs256, good, key, sha256.New)
	parts := strings.Split(valid, ".")
	big := forge(hs256, good.with("pad", strings.Repeat("x", maxTokenLen)), key, sha256.New)
	// The largest token under the limit still verifies: the limit is what refuses big.
	justUnder := func() string {
		base := forge(hs256, good.with("pad", ""), key, sha256.New)
		n := maxTokenLen - len(base)
		n = n * 3 / 4
		for {
			s := forge(hs256, good.with("pad", strings.Repeat("x", n)), key, sha256.New)
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
		{"aud as a single string", forge(hs256, good.with("aud", audCustomer), key, sha256.New), true},
		{"nbf in the past", forge(hs256, good.with("nbf", t0.Add(-time.Minute).Unix()), key, sha256.New), true},
		{"token of exactly the maximum length", justUnder, true},
		// Header parameters that name key material change nothing: our key still verifies.
		{"kid, jku, jwk, x5u headers with our key", forge(header("alg", "HS256", "kid", "../../../../dev/null",
			"jku", "https://attacker.example/jwks.json", "jwk", map[string]any{"kty": "oct", "k": seg(attacker)},
			"x5u", "https://attacker.example/cert.pem"), good, key, sha256.New), true},

		// alg none in any spelling, with an empty signature or ours.
		{"alg none, empty signature", forge(header("alg", "none"), good, nil, nil), false},
		{"alg None, empty signature", forge(header("alg", "None"), good, nil, nil), false},
		{"alg NoNe, empty signature", forge(header("alg", "NoNe"), good, nil, nil), false},
		{"alg NONE, empty signature", forge(header("alg", "NONE"), good, nil, nil), false},
		{"alg none with a valid HS256 signature", seg(header("alg", "none")) + "." + parts[1] + "." + parts[2], false},
		{"no alg", forge(header(), good, key, sha256.New), false},
		{"alg empty", forge(header("alg", ""), good, key, sha256.New), false},
		{"alg hs256 lower case", forge(header("alg", "hs256"), good, key, sha256.New), false},

		// Other algorithms, even signed with our own key.
		{"HS384 with our key", forge(header("alg", "HS384"), good, key, sha512.New384), false},
		{"HS512 with our key", forge(header("alg", "HS512"), good, key, sha512.New), false},
		{"RS256", rs256, false},
		{"RS256 header with an HMAC signature under our key", forge(header("alg", "RS256"), good, key, sha256.New), false},
		{"ES256", es256, false},
		{"PS256 header with an HMAC signature under our key", forge(header("alg", "PS256"), good, key, sha256.New), false},

		// HS256 with keys that are not ours.
		{"HS256 with an attacker key", forge(hs256, good, attacker, sha256.New), false},
		{"HS256 with the raw signing secret", forge(hs256, good, testSecret, sha256.New), false},
		{"HS256 with the access key", forge(hs256, good, tk.accessKey, sha256.New), false},
		{"HS256 with an empty key", forge(hs256, good, []byte{}, sha256.New), false},
		{"kid pointing at /dev/null, empty key", forge(header("alg", "HS256", "kid", "../../../../dev/null"), good, []byte{}, sha256.New), false},
		{"kid with SQL, attacker key", forge(header("alg", "HS256", "kid", "' UNION SELECT 'key' --"), good, []byte("key"), sha256.New), false},
		{"jwk carrying the attacker key", forge(header("alg", "HS256", "jwk", map[string]any{"kty": "oct", "k": seg(attacker)}), good, attacker, sha256.New), false},
		{"jku pointing at the attacker", forge(header("alg", "HS256", "jku", "https://attacker.example/jwks.json", "kid", "a"), good, attacker, sha256.New), false},
		{"signature of another token", parts[0] + "." + seg(good.with("sub", "someone-else")) + "." + parts[2], false},
		{"signature stripped", parts[0] + "." + parts[1] + ".", false},
		{"signature truncated", valid[:len(valid)-2], false},

		// Claims.
		{"no exp", forge(hs256, good.with("exp", nil), key, sha256.New), false},
		{"exp in the past", forge(hs256, good.with("exp", t0.Add(-time.Second).Unix()), key, sha256.New), false},
		{"exp equal to now", forge(hs256, good.with("exp", t0.Unix()), key, sha256.New), false},
		{"nbf in the future", forge(hs256, good.with("nbf", t0.Add(time.Minute).Unix()), key, sha256.New), false},
		{"iat in the future", forge(hs256, good.with("iat", t0.Add(time.Minute).Unix()), key, sha256.New), false},
		{"iat 6s in the future", forge(hs256, good.with("iat", t0.Add(IssuedAtLeeway+time.Second).Unix()), key, sha256.New), false},
		{"iat 5s in the future (clock leeway)", forge(hs256, good.with("iat", t0.Add(IssuedAtLeeway).Unix()), key, sha256.New), true},
		{"no iat", forge(hs256, good.with("iat", nil), key, sha256.New), false},
		{"no iss", forge(hs256, good.with("iss", nil), key, sha256.New), false},
		{"wrong iss", forge(hs256, good.with("iss", "https://auth.example.test/store-2"), key, sha256.New), false},
		{"iss differing in case", forge(hs256, good.with("iss", strings.ToUpper(testIssuer)), key, sha256.New), false},
		{"no aud", forge(hs256, good.with("aud", nil), key, sha256.New), false},
		{"wrong aud", forge(hs256, good.with("aud", []string{"api"}), key, sha256.New), false},
		{"empty aud list", forge(hs256, good.with("aud", []string{}), key, sha256.New), false},
		{"no typ", forge(hs256, good.with("typ", nil), key, sha256.New), false},
		{"typ access", forge(hs256, good.with("typ", typAccess), key, sha256.New), false},
		{"typ Customer", forge(hs256, good.with("typ", "Customer"), key, sha256.New), false},
		{"no sub", forge(hs256, good.with("sub", nil), key, sha256.New), false},
		{"empty sub", forge(hs256, good.with("sub", ""), key, sha256.New), false},
		{"gen as a string", forge(hs256, good.with("gen", "3"), key, sha256.New), false},

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
		{"header is an array", forge(`["HS256"]`, good, key, sha256.New), false},
		{"header is a string", forge(`"HS256"`, good, key, sha256.New), false},
		{"header is null", forge(`null`, good, key, sha256.New), false},
		{"header is not JSON", forge(`{alg:HS256}`, good, key, sha256.New), false},
		{"claims are an array", forge(hs256, `[1,2]`, key, sha256.New), false},
		{"claims are a string", forge(hs256, `"customer"`, key, sha256.New), false},
		{"claims are null", forge(hs256, `null`, key, sha256.New), false},
		{"claims are a number", forge(hs256, `42`, key, sha256.New), false},
		{"claims are not JSON", forge(hs256, `{"sub":`, key, sha256.New), false},
		{"claims are an empty object", forge(hs256, `{}`, key, sha256.New), false},
		{"two tokens joined by a comma", valid + "," + valid, false},
		{"two tokens joined by a comma and a space", valid + ", " + valid, false},
		{"token over 4096 bytes", big, false},
		{"token of 4097 bytes of letters", strings.Repeat("a", maxTokenLen+1), false},
		{"NUL byte", valid + "\x00", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc, err := tk.VerifyCustomer(tc.tok)
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
		})
	}
	if len(big) <= maxTokenLen || len(justUnder) > maxTokenLen {
		t.Fatalf("test tokens have the wrong sizes: %d, %d", len(big), len(justUnder))
	}
}

func TestVerifyAccessClaims(t *testing.T) {
	tk, _ := newTestTokens(t)
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
		{"no exp", good.with("exp", nil), false, AccessClaims{}},
		{"expired", good.with("exp", t0.Add(-time.Second).Unix()), false, AccessClaims{}},
		{"wrong typ", good.with("typ", "customer"), false, AccessClaims{}},
		{"wrong aud", good.with("aud", "customer"), false, AccessClaims{}},
		{"wrong iss", good.with("iss", "x"), false, AccessClaims{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ac, err := tk.VerifyAccess(forge(hs256, tc.c, tk.accessKey, sha256.New))
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if ac != tc.want {
				t.Errorf("claims = %+v, want %+v", ac, tc.want)
			}
		})
	}
	if _, err := tk.VerifyAccess(forge(header("alg", "none"), good, nil, nil)); err == nil {
		t.Error("alg none access token accepted")
	}
}

// Malformed tokens must fail fast and with bounded allocation (CVE-2025-30204).
func TestMalformedTokensFailFast(t *testing.T) {
	tk, _ := newTestTokens(t)
	inputs := []string{
		strings.Repeat(".", 9000),
		strings.Repeat(".", maxTokenLen),
		strings.Repeat(".", maxTokenLen-1) + "a",
		"Bearer " + strings.Repeat(".", 9000),
		strings.Repeat("a", 1<<20),
		strings.Repeat("a.", maxTokenLen/2),
	}
	for _, in := range inputs {
		allocs := testing.AllocsPerRun(20, func() { _, _ = tk.VerifyCustomer(in) })
		if allocs > 100 {
			t.Errorf("%d-byte input: %.0f allocations per verification", len(in), allocs)
		}
	}
	start := time.Now()
	for i := 0; i < 1000; i++ {
		for _, in := range inputs {
			if _, err := tk.VerifyCustomer(in); err == nil {
				t.Fatal("accepted")
			}
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("6000 malformed verifications took %v", d)
	}
}

// FuzzVerifyCustomerToken: no input panics the verifier and none is accepted. The key is
// random per process, so a seed cannot be mutated back into a token the worker would
// accept.
func FuzzVerifyCustomerToken(f *testing.F) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		f.Fatal(err)
	}
	tk, err := NewTokens(secret, testIssuer)
	if err != nil {
		f.Fatal(err)
	}
	valid, _ := tk.IssueCustomer(testCustomerID, 1)
	access, _ := tk.IssueAccess(ClientCredentials, "client-1")
	parts := strings.Split(valid.Value, ".")
	for _, s := range []string{
		"", ".", "..", "...", "a.b.c", strings.Repeat(".", 100),
		access.Value,
		valid.Value[:len(valid.Value)-1],
		parts[0] + "." + parts[1] + ".",
		seg(header("alg", "none")) + "." + parts[1] + ".",
		seg(header("alg", "HS512")) + "." + parts[1] + "." + parts[2],
		forge(hs256, customerClaimsAt(time.Now()), []byte("k"), sha256.New),
		forge(`[]`, `{}`, []byte("k"), sha256.New),
		valid.Value + "," + valid.Value,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if cc, err := tk.VerifyCustomer(s); err == nil {
			t.Fatalf("accepted %q: %+v", s, cc)
		}
		if ac, err := tk.VerifyAccess(s); err == nil && s != access.Value {
			t.Fatalf("accepted %q as an access token: %+v", s, ac)
		}
	})
}
