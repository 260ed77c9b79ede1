// Package auth issues and verifies the service's two kinds of token, hashes passwords, and
// works out who is calling.
//
// Both token kinds are JWTs signed with HMAC-SHA256 under keys derived from one signing
// secret, one per kind, and carry a "typ" claim and an audience of their own: an access token
// can never pass for a customer token or the reverse. Verification pins the algorithm,
// requires exp, iat, iss and aud, and never looks at kid, jku or jwk headers.
package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/acme/customers/pkg/id"
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

// MinKeyLen is the shortest signing secret accepted (256 bits).
const MinKeyLen = 32

// IssuedAtLeeway is how far in the future a token's iat may lie: the clocks of the
// instances that issue and verify tokens may differ by that much. exp gets no leeway.
const IssuedAtLeeway = 5 * time.Second

// Token is an issued token.
type Token struct {
	Value   string
	ID      string
	Expires time.Time
}

// Tokens issues and verifies tokens.
type Tokens struct {
	accessKey   []byte
	customerKey []byte
	issuer      string
	now         func() time.Time
}

// NewTokens derives one key per token kind from secret.
func NewTokens(secret []byte, issuer string) (*Tokens, error) {
	if len(secret) < MinKeyLen {
		return nil, fmt.Errorf("auth: the signing key must be at least %d bytes", MinKeyLen)
	}
	if issuer == "" {
		return nil, errors.New("auth: the token issuer must be set")
	}
	return &Tokens{
		accessKey:   derive(secret, "access-token"),
		customerKey: derive(secret, "customer-token"),
		issuer:      issuer,
		now:         time.Now,
	}, nil
}

// WithClock makes t read the time from now (tests).
func (t *Tokens) WithClock(now func() time.Time) *Tokens {
	t.now = now
	return t
}

func derive(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
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
func (t *Tokens) IssueAccess(grant Grant, clientID string) (Token, error) {
	now := t.now()
	c := accessClaims{RegisteredClaims: t.registered(clientID, audAccess, now, AccessTokenTTL), Typ: typAccess, Grant: grant}
	return t.sign(c, t.accessKey, c.ID, c.ExpiresAt.Time)
}

// IssueCustomer issues a customer token for customerID at credential generation gen.
func (t *Tokens) IssueCustomer(customerID string, gen int64) (Token, error) {
	now := t.now()
	c := customerClaims{RegisteredClaims: t.registered(customerID, audCustomer, now, CustomerTokenTTL), Typ: typCustomer, Gen: gen}
	return t.sign(c, t.customerKey, c.ID, c.ExpiresAt.Time)
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

func (t *Tokens) sign(c jwt.Claims, key []byte, id string, exp time.Time) (Token, error) {
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(key)
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

func (t *Tokens) parse(raw string, claims jwt.Claims, key []byte, aud string) error {
	if raw == "" || len(raw) > maxTokenLen {
		return ErrInvalidToken
	}
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(aud),
		jwt.WithTimeFunc(t.now),
		jwt.WithStrictDecoding(),
	)
	_, err := p.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return key, nil })
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

// AccessClaims is what a verified access token says.
type AccessClaims struct {
	ClientID string
	Grant    Grant
}

// VerifyAccess verifies an access token.
func (t *Tokens) VerifyAccess(raw string) (AccessClaims, error) {
	var c accessClaims
	if err := t.parse(raw, &c, t.accessKey, audAccess); err != nil {
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
func (t *Tokens) VerifyCustomer(raw string) (CustomerClaims, error) {
	var c customerClaims
	if err := t.parse(raw, &c, t.customerKey, audCustomer); err != nil {
		return CustomerClaims{}, err
	}
	if c.Typ != typCustomer || c.Subject == "" {
		return CustomerClaims{}, ErrInvalidToken
	}
	return CustomerClaims{CustomerID: c.Subject, Gen: c.Gen, IssuedAt: c.IssuedAt.UTC()}, nil
}
