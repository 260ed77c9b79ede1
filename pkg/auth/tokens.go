// Package auth issues and verifies the service's two kinds of token, hashes passwords, and
// works out who is calling.
//
// Both token kinds are JWTs signed with Ed25519 (EdDSA, pinned): each kind under keys
// derived from its own secret, which only the function that issues that kind can read.
// Every other function holds the public keys alone (published by the signers in the table,
// cached per process) and cannot mint anything. A token names its key by kid (its RFC 7638
// thumbprint); verification looks the kid up among its kind's published keys and never
// takes a key or a key's location from the token (a token with jku, jwk, x5u or x5c is
// refused). Each kind also carries a "typ" claim and an audience of its own: an access
// token can never pass for a customer token or the reverse. Verification requires exp, iat,
// iss and aud.
package auth

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/acme/customers/pkg/cache"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/secrets"
)

// Grant is how an access token was obtained.
type Grant string

const (
	ClientCredentials Grant = "client_credentials"
	Implicit          Grant = "implicit"
)

// Token lifetimes from the contract.
const (
	AccessTokenTTL   = time.Hour
	CustomerTokenTTL = 24 * time.Hour
)

const (
	typAccess   = "access"
	typCustomer = "customer"
	audAccess   = "api"
	audCustomer = "customer"
)

// IssuedAtLeeway is how far in the future a token's iat may lie: the clocks of the
// instances that issue and verify tokens may differ by that much. exp gets no leeway.
const IssuedAtLeeway = 5 * time.Second

// DefaultKeysTTL is how long a process keeps the published public keys before reading them
// again; a token whose kid it does not know makes it read them at once, at most once per
// KeysRefreshMin.
const (
	DefaultKeysTTL = 5 * time.Minute
	KeysRefreshMin = 5 * time.Second
)

// KeyStore is where signers publish their public keys and verifiers read them.
type KeyStore interface {
	// PublishTokenKeys stores kind's keys unless a later version is stored, and returns
	// what is stored after.
	PublishTokenKeys(ctx context.Context, kind Kind, ks KeySet) (KeySet, error)
	// TokenKeys reads every kind's published keys.
	TokenKeys(ctx context.Context) (map[Kind]KeySet, error)
}

// TokenConfig configures Tokens.
type TokenConfig struct {
	Issuer string
	// Signing holds the signing secret of each kind this function issues; a kind without
	// one cannot be issued (ErrCannotSign).
	Signing map[Kind]*secrets.Value
	// Keys publishes and serves the public keys.
	Keys KeyStore
	// KeysTTL bounds the age of the public keys a process verifies with (DefaultKeysTTL when 0).
	KeysTTL time.Duration
}

// Token is an issued token.
type Token struct {
	Value   string
	ID      string
	Expires time.Time
}

// Tokens issues and verifies tokens.
type Tokens struct {
	issuer  string
	signing map[Kind]*secrets.Value
	keys    KeyStore
	public  *cache.Value[publicKeys]
	now     func() time.Time

	mu      sync.Mutex
	signers map[Kind]*signer
}

// publicKeys are the verification keys by kind and kid, and the published sets.
type publicKeys struct {
	byKid map[Kind]map[string]ed25519.PublicKey
	sets  map[Kind]KeySet
}

// NewTokens returns the tokens c describes.
func NewTokens(c TokenConfig) (*Tokens, error) {
	if c.Issuer == "" {
		return nil, errors.New("auth: the token issuer must be set")
	}
	if c.Keys == nil {
		return nil, errors.New("auth: a key store is needed")
	}
	if c.KeysTTL == 0 {
		c.KeysTTL = DefaultKeysTTL
	}
	t := &Tokens{issuer: c.Issuer, signing: c.Signing, keys: c.Keys, now: time.Now, signers: map[Kind]*signer{}}
	t.public = cache.New(c.KeysTTL, t.loadPublic)
	return t, nil
}

// WithClock makes t read the time from now (tests).
func (t *Tokens) WithClock(now func() time.Time) *Tokens {
	t.now = now
	return t
}

func (t *Tokens) loadPublic(ctx context.Context) (publicKeys, error) {
	sets, err := t.keys.TokenKeys(ctx)
	if err != nil {
		return publicKeys{}, err
	}
	p := publicKeys{byKid: map[Kind]map[string]ed25519.PublicKey{}, sets: sets}
	for kind, ks := range sets {
		p.byKid[kind] = map[string]ed25519.PublicKey{}
		for _, k := range ks.Keys {
			if pub, ok := k.PublicKey(); ok {
				p.byKid[kind][k.Kid] = pub
			}
		}
	}
	return p, nil
}

// PublicKeys returns every kind's published keys, as verifiers see them (at most the
// keys TTL old).
func (t *Tokens) PublicKeys(ctx context.Context) (map[Kind]KeySet, error) {
	p, err := t.public.Get(ctx)
	return p.sets, err
}

// signer returns kind's signer at the current version of its secret, which it publishes
// first when this process has not.
func (t *Tokens) signer(ctx context.Context, kind Kind) (*signer, error) {
	v := t.signing[kind]
	if !v.Configured() {
		return nil, ErrCannotSign
	}
	for attempt := 0; ; attempt++ {
		set, err := v.Get(ctx)
		if err != nil {
			return nil, err
		}
		t.mu.Lock()
		s := t.signers[kind]
		t.mu.Unlock()
		if s.of(set) {
			return s, nil
		}
		s = newSigner(set, kind)
		stored, err := t.keys.PublishTokenKeys(ctx, kind, PublicKeys(set, kind))
		if err != nil {
			return nil, err
		}
		if !stored.has(s.kid) {
			// A later version of the secret is published, without this key: this
			// process read the secret before a rotation went further. Read it again.
			if attempt == 0 {
				v.Forget()
				continue
			}
			return nil, fmt.Errorf("auth: the %s signing key %s is not among the published keys", kind, s.kid)
		}
		t.public.Forget()
		t.mu.Lock()
		t.signers[kind] = s
		t.mu.Unlock()
		return s, nil
	}
}

func (ks KeySet) has(kid string) bool {
	for _, k := range ks.Keys {
		if k.Kid == kid {
			return true
		}
	}
	return false
}

// accessClaims are an access token's claims.
type accessClaims struct {
	jwt.RegisteredClaims
	Typ   string `json:"typ"`
	Grant Grant  `json:"grant"`
}

// customerClaims are a customer token's claims. Gen is the customer's credential
// generation at issue: a password change bumps it and so kills every older token.
type customerClaims struct {
	jwt.RegisteredClaims
	Typ string `json:"typ"`
	Gen int64  `json:"gen"`
}

// IssueAccess issues an access token for the application clientID.
func (t *Tokens) IssueAccess(ctx context.Context, grant Grant, clientID string) (Token, error) {
	now := t.now()
	c := accessClaims{RegisteredClaims: t.registered(clientID, audAccess, now, AccessTokenTTL), Typ: typAccess, Grant: grant}
	return t.sign(ctx, AccessKind, c, c.ID, c.ExpiresAt.Time)
}

// IssueCustomer issues a customer token for customerID at credential generation gen.
func (t *Tokens) IssueCustomer(ctx context.Context, customerID string, gen int64) (Token, error) {
	now := t.now()
	c := customerClaims{RegisteredClaims: t.registered(customerID, audCustomer, now, CustomerTokenTTL), Typ: typCustomer, Gen: gen}
	return t.sign(ctx, CustomerKind, c, c.ID, c.ExpiresAt.Time)
}

func (t *Tokens) registered(sub, aud string, now time.Time, ttl time.Duration) jwt.RegisteredClaims {
	now = now.Truncate(time.Second)
	return jwt.RegisteredClaims{
		ID:        id.New(),
		Subject:   sub,
		Issuer:    t.issuer,
		Audience:  jwt.ClaimStrings{aud},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}
}

func (t *Tokens) sign(ctx context.Context, kind Kind, c jwt.Claims, id string, exp time.Time) (Token, error) {
	sg, err := t.signer(ctx, kind)
	if err != nil {
		return Token{}, err
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	tok.Header["kid"] = sg.kid
	s, err := tok.SignedString(sg.key)
	if err != nil {
		return Token{}, err
	}
	return Token{Value: s, ID: id, Expires: exp}, nil
}

// maxTokenLen bounds what is handed to the JWT parser.
const maxTokenLen = 4096

// ErrInvalidToken is returned for every token that does not verify; callers do not learn
// why.
var ErrInvalidToken = errors.New("auth: invalid token")

// refusedHeaders are header parameters that would name a key or its location from inside
// the token: never issued, so a token carrying one is refused.
var refusedHeaders = []string{"jku", "jwk", "x5u", "x5c", "crit"}

func (t *Tokens) parse(ctx context.Context, raw string, claims jwt.Claims, kind Kind, aud string) error {
	if raw == "" || len(raw) > maxTokenLen {
		return ErrInvalidToken
	}
	// A failure to read the keys is not the token's fault: it is answered as the store's
	// error (a 503 when DynamoDB throttles), not as a bad token.
	var lookupErr error
	keyOf := func(tok *jwt.Token) (any, error) {
		for _, h := range refusedHeaders {
			if _, ok := tok.Header[h]; ok {
				return nil, ErrInvalidToken
			}
		}
		kid, _ := tok.Header["kid"].(string)
		if kid == "" {
			return nil, ErrInvalidToken
		}
		key, err := t.publicKey(ctx, kind, kid)
		if err != nil {
			lookupErr = err
			return nil, err
		}
		if key == nil {
			return nil, ErrInvalidToken
		}
		return key, nil
	}
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{Algorithm}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(aud),
		jwt.WithTimeFunc(t.now),
		jwt.WithStrictDecoding(),
	)
	_, err := p.ParseWithClaims(raw, claims, keyOf)
	if lookupErr != nil {
		return lookupErr
	}
	if err != nil {
		return ErrInvalidToken
	}
	// Every token we issue carries iat, and none was issued later than now (give or take
	// the clocks' difference). jwt's own iat check knows one leeway for every claim, and
	// exp must get none.
	if iat, err := claims.GetIssuedAt(); err != nil || iat == nil || iat.After(t.now().Add(IssuedAtLeeway)) {
		return ErrInvalidToken
	}
	return nil
}

// publicKey is kind's published key kid, nil when there is none: the keys are read again
// first when kid is unknown (a key published since they were read), at most once per
// KeysRefreshMin.
func (t *Tokens) publicKey(ctx context.Context, kind Kind, kid string) (ed25519.PublicKey, error) {
	p, err := t.public.Get(ctx)
	if err != nil {
		return nil, err
	}
	if k, ok := p.byKid[kind][kid]; ok {
		return k, nil
	}
	if p, err = t.public.Refresh(ctx, KeysRefreshMin); err != nil {
		return nil, err
	}
	return p.byKid[kind][kid], nil
}

// AccessClaims is what a verified access token says.
type AccessClaims struct {
	ClientID string
	Grant    Grant
}

// VerifyAccess verifies an access token.
func (t *Tokens) VerifyAccess(ctx context.Context, raw string) (AccessClaims, error) {
	var c accessClaims
	if err := t.parse(ctx, raw, &c, AccessKind, audAccess); err != nil {
		return AccessClaims{}, err
	}
	if c.Typ != typAccess || (c.Grant != ClientCredentials && c.Grant != Implicit) || c.Subject == "" {
		return AccessClaims{}, ErrInvalidToken
	}
	return AccessClaims{ClientID: c.Subject, Grant: c.Grant}, nil
}

// CustomerClaims is what a verified customer token says.
type CustomerClaims struct {
	CustomerID string
	Gen        int64
	IssuedAt   time.Time
}

// VerifyCustomer verifies a customer token. It does not know whether the customer still
// exists or has changed password since: the caller checks Gen against the stored record.
func (t *Tokens) VerifyCustomer(ctx context.Context, raw string) (CustomerClaims, error) {
	var c customerClaims
	if err := t.parse(ctx, raw, &c, CustomerKind, audCustomer); err != nil {
		return CustomerClaims{}, err
	}
	if c.Typ != typCustomer || c.Subject == "" {
		return CustomerClaims{}, ErrInvalidToken
	}
	return CustomerClaims{CustomerID: c.Subject, Gen: c.Gen, IssuedAt: c.IssuedAt.UTC()}, nil
}
