package auth

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acme/customers/pkg/secrets"
)

// RFC 8037, appendix A.1 (the Ed25519 key) and A.3 (its RFC 7638 thumbprint).
const (
	rfc8037D          = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
	rfc8037X          = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
	rfc8037Thumbprint = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
)

// thumbprint computes a JWK thumbprint independently of keyID: the required members of
// an OKP key (RFC 8037 §2: crv, kty, x) as JSON with sorted keys and no whitespace.
func thumbprint(pub ed25519.PublicKey) string {
	b, _ := json.Marshal(map[string]string{"x": base64.RawURLEncoding.EncodeToString(pub), "kty": "OKP", "crv": "Ed25519"})
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestKeyIDIsTheRFC7638Thumbprint(t *testing.T) {
	seed, err := base64.RawURLEncoding.DecodeString(rfc8037D)
	if err != nil {
		t.Fatal(err)
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	if x := base64.RawURLEncoding.EncodeToString(pub); x != rfc8037X {
		t.Fatalf("the RFC's d gives x %s, want %s", x, rfc8037X)
	}
	if kid := keyID(pub); kid != rfc8037Thumbprint {
		t.Errorf("keyID = %s, want RFC 8037's %s", kid, rfc8037Thumbprint)
	}
	if kid := thumbprint(pub); kid != rfc8037Thumbprint {
		t.Errorf("the test's own thumbprint = %s", kid)
	}
	want := JWK{Kty: "OKP", Crv: "Ed25519", X: rfc8037X, Kid: rfc8037Thumbprint, Use: "sig", Alg: "EdDSA"}
	if k := jwk(pub); k != want {
		t.Errorf("jwk = %+v, want %+v", k, want)
	}
	// As JSON, a JWK has the registered member names.
	if b, _ := json.Marshal(jwk(pub)); string(b) != `{"kty":"OKP","crv":"Ed25519","x":"`+rfc8037X+`","kid":"`+rfc8037Thumbprint+`","use":"sig","alg":"EdDSA"}` {
		t.Errorf("JSON %s", b)
	}
	for _, kind := range Kinds {
		for _, v := range []string{accessValue, customerValue, secrets.Generate(64)} {
			pub := privateKey(v, kind).Public().(ed25519.PublicKey)
			if keyID(pub) != thumbprint(pub) {
				t.Errorf("keyID(%x) = %s, want %s", pub, keyID(pub), thumbprint(pub))
			}
		}
	}
}

func TestJWKPublicKey(t *testing.T) {
	pub := privateKey(accessValue, AccessKind).Public().(ed25519.PublicKey)
	other := privateKey(customerValue, CustomerKind).Public().(ed25519.PublicKey)
	good := jwk(pub)
	if k, ok := good.PublicKey(); !ok || !k.Equal(pub) {
		t.Fatalf("PublicKey = %x, %v", k, ok)
	}
	short := pub[:31]
	long := append(slices.Clone([]byte(pub)), 0)
	with := func(f func(*JWK)) JWK { k := good; f(&k); return k }
	for name, k := range map[string]JWK{
		"kid of another key":         with(func(k *JWK) { k.Kid = keyID(other) }),
		"x of another key":           with(func(k *JWK) { k.X = base64.RawURLEncoding.EncodeToString(other) }),
		"no kid":                     with(func(k *JWK) { k.Kid = "" }),
		"kid in another case":        with(func(k *JWK) { k.Kid = strings.ToUpper(k.Kid) }),
		"kty EC":                     with(func(k *JWK) { k.Kty = "EC" }),
		"kty oct":                    with(func(k *JWK) { k.Kty = "oct" }),
		"kty okp":                    with(func(k *JWK) { k.Kty = "okp" }),
		"no kty":                     with(func(k *JWK) { k.Kty = "" }),
		"crv X25519":                 with(func(k *JWK) { k.Crv = "X25519" }),
		"crv Ed448":                  with(func(k *JWK) { k.Crv = "Ed448" }),
		"no crv":                     with(func(k *JWK) { k.Crv = "" }),
		"alg ES256":                  with(func(k *JWK) { k.Alg = "ES256" }),
		"alg HS256":                  with(func(k *JWK) { k.Alg = "HS256" }),
		"alg none":                   with(func(k *JWK) { k.Alg = "none" }),
		"alg Ed25519":                with(func(k *JWK) { k.Alg = "Ed25519" }),
		"no alg":                     with(func(k *JWK) { k.Alg = "" }),
		"use enc":                    with(func(k *JWK) { k.Use = "enc" }),
		"no use":                     with(func(k *JWK) { k.Use = "" }),
		"short x, its own kid":       {Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(short), Kid: keyID(short), Use: "sig", Alg: Algorithm},
		"long x, its own kid":        {Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(long), Kid: keyID(long), Use: "sig", Alg: Algorithm},
		"empty x, its own kid":       {Kty: "OKP", Crv: "Ed25519", X: "", Kid: keyID(nil), Use: "sig", Alg: Algorithm},
		"x padded":                   with(func(k *JWK) { k.X = base64.URLEncoding.EncodeToString(pub) }),
		"x in the standard alphabet": with(func(k *JWK) { k.X = strings.NewReplacer("-", "+", "_", "/").Replace(k.X) + "+/" }),
		"x not base64":               with(func(k *JWK) { k.X = "!" + k.X[1:] }),
		"x hex":                      with(func(k *JWK) { k.X = strings.Repeat("ab", 32) }),
		"the zero JWK":               {},
	} {
		if k, ok := k.PublicKey(); ok || k != nil {
			t.Errorf("%s: PublicKey = %x, %v", name, k, ok)
		}
	}
}

// The derivation of the signing keys from the secrets is fixed: changing it would change
// every kid, so every published key and every token in flight at a deployment.
func TestPrivateKeyDerivation(t *testing.T) {
	const value = "0123456789abcdef0123456789abcdef"
	want := map[Kind]string{
		AccessKind:   "mn77hamx_qEXFbTPkVU_f3dPbV2qol6pcMy8WFSa5lc",
		CustomerKind: "UWx7N92aGE_8Hxqb_n0lKMicDqrxJMBHzpgASZbxyHQ",
	}
	for kind, kid := range want {
		k := privateKey(value, kind)
		if got := keyID(k.Public().(ed25519.PublicKey)); got != kid {
			t.Errorf("%s: kid %s, want %s", kind, got, kid)
		}
		if !k.Equal(privateKey(value, kind)) {
			t.Errorf("%s: two derivations differ", kind)
		}
		if k.Equal(privateKey(value+"x", kind)) {
			t.Errorf("%s: two values give one key", kind)
		}
		if strings.Contains(string(k.Seed()), value) {
			t.Errorf("%s: the seed holds the value", kind)
		}
	}
	if privateKey(value, AccessKind).Equal(privateKey(value, CustomerKind)) {
		t.Error("one value gives both kinds one key")
	}
	if len(Kinds) != 2 || Kinds[0] != AccessKind || Kinds[1] != CustomerKind {
		t.Errorf("Kinds = %v", Kinds)
	}
}

func TestPublicKeys(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	values := []string{accessValue, "access-value-other-1-0123456789abcdef", "access-value-other-2-0123456789abcdef"}
	s := secrets.Set{Current: values[0], Others: values[1:], Created: created}
	for _, kind := range Kinds {
		ks := PublicKeys(s, kind)
		if !ks.Created.Equal(created) || len(ks.Keys) != len(values) {
			t.Fatalf("%s: %+v", kind, ks)
		}
		for i, v := range values {
			want := jwk(privateKey(v, kind).Public().(ed25519.PublicKey))
			if ks.Keys[i] != want {
				t.Errorf("%s: key %d = %+v, want %+v (the signing one first)", kind, i, ks.Keys[i], want)
			}
			if _, ok := ks.Keys[i].PublicKey(); !ok {
				t.Errorf("%s: key %d does not read back", kind, i)
			}
			if !ks.has(want.Kid) {
				t.Errorf("%s: has(%s) = false", kind, want.Kid)
			}
		}
		if ks.has("") || ks.has(keyID(privateKey(values[0], "other").Public().(ed25519.PublicKey))) {
			t.Errorf("%s: has a kid it does not hold", kind)
		}
		if sg := newSigner(s, kind); sg.kid != ks.Keys[0].Kid || !sg.key.Equal(privateKey(values[0], kind)) {
			t.Errorf("%s: the signer is not the first key", kind)
		}
	}
	if PublicKeys(s, AccessKind).Keys[0].Kid == PublicKeys(s, CustomerKind).Keys[0].Kid {
		t.Error("the kinds publish one key")
	}
	if (KeySet{}).has("") {
		t.Error("an empty set has a key")
	}
}

func TestSignerOf(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := secrets.Set{Current: accessValue, Others: []string{customerValue}, Created: created}
	sg := newSigner(s, AccessKind)
	for name, tc := range map[string]struct {
		set  secrets.Set
		want bool
	}{
		"the same set":                         {s, true},
		"the same version in another location": {secrets.Set{Current: accessValue, Created: created.In(time.FixedZone("x", 3600))}, true},
		"another version":                      {secrets.Set{Current: accessValue, Created: created.Add(time.Millisecond)}, false},
		"another current value":                {secrets.Set{Current: customerValue, Others: []string{accessValue}, Created: created}, false},
	} {
		if got := sg.of(tc.set); got != tc.want {
			t.Errorf("%s: of = %v", name, got)
		}
	}
	if (*signer)(nil).of(s) {
		t.Error("a nil signer is of a set")
	}
}
