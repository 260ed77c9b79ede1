package auth

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"

	"github.com/acme/customers/pkg/secrets"
)

// Kind is a kind of token; each has its own signing secret, so its own keys.
type Kind string

const (
	AccessKind   Kind = "access"
	CustomerKind Kind = "customer"
)

// Kinds is every kind of token.
var Kinds = []Kind{AccessKind, CustomerKind}

// Algorithm is the only signature algorithm issued and accepted (Ed25519, RFC 8037).
const Algorithm = "EdDSA"

// JWK is a public signing key as a JSON Web Key (RFC 7517, RFC 8037).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

// PublicKey returns the key a JWK holds, or false when it is not an Ed25519 signing key.
func (k JWK) PublicKey() (ed25519.PublicKey, bool) {
	x, err := base64.RawURLEncoding.DecodeString(k.X)
	if k.Kty != "OKP" || k.Crv != "Ed25519" || k.Alg != Algorithm || k.Use != "sig" || err != nil ||
		len(x) != ed25519.PublicKeySize || k.Kid != keyID(x) {
		return nil, false
	}
	return x, true
}

// jwk is pub as a JWK; its kid is its RFC 7638 thumbprint.
func jwk(pub ed25519.PublicKey) JWK {
	return JWK{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub), Kid: keyID(pub), Use: "sig", Alg: Algorithm}
}

// keyID is pub's JWK thumbprint (RFC 7638): the SHA-256 of its required members in
// lexicographic order, base64url.
func keyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(pub) + `"}`))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// privateKey derives kind's signing key from one of its secret's values: the seed is an
// HMAC of the kind under the value, so one value pasted into both secrets still gives two
// keys.
func privateKey(value string, kind Kind) ed25519.PrivateKey {
	m := hmac.New(sha256.New, []byte(value))
	m.Write([]byte("token-signing-key\x1f" + string(kind)))
	return ed25519.NewKeyFromSeed(m.Sum(nil))
}

// KeySet is the public half of a signing secret at one version: what its signer publishes.
type KeySet struct {
	Keys []JWK
	// Created orders the versions of one secret (secrets.Set.Created).
	Created time.Time
}

// PublicKeys returns the public keys of every value of kind's signing secret s, the signing
// one first.
func PublicKeys(s secrets.Set, kind Kind) KeySet {
	ks := KeySet{Created: s.Created}
	for _, v := range s.All() {
		ks.Keys = append(ks.Keys, jwk(privateKey(v, kind).Public().(ed25519.PublicKey)))
	}
	return ks
}

// signer is kind's signing key at one version of its secret.
type signer struct {
	kid     string
	key     ed25519.PrivateKey
	created time.Time
	current string
}

func newSigner(s secrets.Set, kind Kind) *signer {
	key := privateKey(s.Current, kind)
	return &signer{kid: keyID(key.Public().(ed25519.PublicKey)), key: key, created: s.Created, current: s.Current}
}

func (s *signer) of(set secrets.Set) bool {
	return s != nil && s.created.Equal(set.Created) && s.current == set.Current
}

// ErrCannotSign is what a function that was not given kind's signing secret gets when it
// tries to issue a token.
var ErrCannotSign = errors.New("auth: this function holds no signing key for that kind of token")

// SigningKey is kind's signing key for one value of its secret, and its kid (tools and
// tests that must sign as the token functions do).
func SigningKey(value string, kind Kind) (kid string, key ed25519.PrivateKey) {
	key = privateKey(value, kind)
	return keyID(key.Public().(ed25519.PublicKey)), key
}
