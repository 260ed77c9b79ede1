package customers

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/problem"
	"github.com/acme/customers/pkg/safe"
)

// ErrBadCredentials is the one answer to every failed login: unknown email, wrong
// password, a customer without a password, a deleted customer.
var ErrBadCredentials = &problem.Error{Kind: problem.Unauthorized, Title: "Unauthorized",
	Detail: "the email or password is incorrect"}

// Credentials are what checking a customer's password needs. The store keeps them on the
// email's claim, so that a log-in reads one item whether or not the email is anyone's.
type Credentials struct {
	CustomerID   string
	PasswordHash string // "" for a customer without a password
	TokenGen     int64
}

// Attempt is what counting a log-in attempt found.
type Attempt struct {
	// Wait is set when the policy refused the attempt: nothing was counted, and it may be
	// made again after Wait.
	Wait time.Duration
	// Window is the start of the window the attempt was counted in.
	Window time.Time
	// Prior is set when the window had counted attempts for this email, or from this
	// address, before this one: a success then clears them.
	Prior bool
}

// Metrics of log-ins with a password, each counted once per attempt (api.Count) for an
// operator to watch: a surge of failures is someone guessing, of throttled attempts the
// policy holding them off.
const (
	MetricLoginSuccess   = "LoginSuccess"   // a token was issued
	MetricLoginFailure   = "LoginFailure"   // ErrBadCredentials: no such email, or the wrong password
	MetricLoginThrottled = "LoginThrottled" // the policy refused the attempt (429) before any check
)

// Login checks an email and password and issues a customer token. Failures look the same
// and take the same time whether or not the email belongs to anyone. Every attempt is
// counted before the password is checked, atomically, so parallel guesses cannot slip past
// the policy. Its outcome is counted as a metric (LoginOutcome).
func (s *Service) Login(ctx context.Context, caller auth.Caller, email, password string) (string, auth.Token, error) {
	id, tok, err := s.checkLogin(ctx, caller, email, password)
	if m := LoginOutcome(err); m != "" {
		api.Count(ctx, m)
	}
	return id, tok, err
}

// LoginOutcome is the metric a log-in's result counts: MetricLoginSuccess,
// MetricLoginFailure or MetricLoginThrottled; "" for a failure of ours (a 5xx, which the
// API counts as such), which says nothing of the credentials.
func LoginOutcome(err error) string {
	switch {
	case err == nil:
		return MetricLoginSuccess
	case errors.Is(err, ErrBadCredentials):
		return MetricLoginFailure
	case problem.Is(err, problem.TooManyRequests):
		return MetricLoginThrottled
	}
	return ""
}

// checkLogin is Login without the metric.
func (s *Service) checkLogin(ctx context.Context, caller auth.Caller, email, password string) (string, auth.Token, error) {
	if CheckEmail(strings.TrimSpace(email), "data.email") != nil {
		// Nobody can have signed up with it: answer as for an unknown email, without a key
		// DynamoDB would refuse.
		s.passwords.Check("", password)
		return "", auth.Token{}, ErrBadCredentials
	}
	key := EmailKey(email)
	cred, ok, err := s.verify(ctx, key, caller.Address, password, func(ctx context.Context) (*Credentials, error) {
		return s.store.LoginCredentials(ctx, key)
	})
	switch {
	case err != nil:
		return "", auth.Token{}, err
	case !ok:
		return "", auth.Token{}, ErrBadCredentials
	}
	if s.passwords.Outdated(cred.PasswordHash) {
		// Made at another cost than today's: make it anew, so that its comparisons take as
		// long as the dummy's. Best effort: the log-in stands.
		if h, err := s.passwords.Hash(password); err == nil {
			_ = s.store.Rehash(ctx, cred.CustomerID, key, cred.PasswordHash, h)
		}
	}
	tok, err := s.tokens.IssueCustomer(ctx, cred.CustomerID, cred.TokenGen)
	if err != nil {
		return "", auth.Token{}, err
	}
	return cred.CustomerID, tok, nil
}

// verify checks password for the email (normalised) under the log-in policy: the attempt
// is counted for the email and address while read fetches the credentials (one round
// trip), then bcrypt compares, against a dummy hash when there is no password to compare
// with. ok is false for a wrong password; a refused attempt is a 429.
func (s *Service) verify(ctx context.Context, emailKey, address, password string, read func(context.Context) (*Credentials, error)) (*Credentials, bool, error) {
	now := s.now()
	var (
		cred    *Credentials
		readErr error
	)
	wait := safe.Go(func() { cred, readErr = read(ctx) })
	at, err := s.store.CountLogin(ctx, emailKey, AddressKey(address), now, s.login)
	wait()
	switch {
	case err != nil:
		return nil, false, err
	case at.Wait > 0:
		secs, unit := int((at.Wait+time.Second-1)/time.Second), " seconds"
		if secs == 1 {
			unit = " second"
		}
		return nil, false, &problem.Error{Kind: problem.TooManyRequests, Title: "Too Many Requests",
			Detail:     "too many log-in attempts for this email; retry after " + strconv.Itoa(secs) + unit,
			RetryAfter: at.Wait}
	case readErr != nil:
		return nil, false, readErr
	}
	var hash string
	if cred != nil {
		hash = cred.PasswordHash
	}
	if !s.passwords.Check(hash, password) {
		return nil, false, nil
	}
	if at.Prior {
		// Something was counted against this email: clear it. Best effort: a count left
		// behind ends with its window.
		_ = s.store.ClearLogin(ctx, emailKey, AddressKey(address), at.Window)
	}
	return cred, true, nil
}

// TokenRequest is a customer token request's body, checked: an email and password, or
// (Mechanism MechanismOIDC) the one-time code of a single sign-on with the redirect URI
// and PKCE verifier it was asked with.
type TokenRequest struct {
	Mechanism         string
	Email, Password   string
	Code, RedirectURI string
	Verifier          string
}

// ParseTokenRequest validates a token request body: authentication_mechanism "password"
// (the default: older clients omit it) needs email and password, "oidc" needs
// oauth_authorization_code, oauth_redirect_uri and oauth_code_verifier.
func ParseTokenRequest(o api.Object) (TokenRequest, error) {
	var errs problem.List
	if t, _, _ := o.String("type"); t != "token" {
		errs = append(errs, problem.Invalid("data.type", `The data.type field must be "token".`))
	}
	req := TokenRequest{Mechanism: MechanismPassword}
	mech, ok, merr := o.String("authentication_mechanism")
	switch {
	case merr != nil:
		errs = append(errs, problem.Invalid("data.authentication_mechanism", "The data.authentication_mechanism field must be a string."))
	case ok && mech != MechanismPassword && mech != MechanismOIDC:
		errs = append(errs, problem.Invalid("data.authentication_mechanism", `The data.authentication_mechanism field must be "password" or "oidc".`))
	case ok:
		req.Mechanism = mech
	}
	type member struct {
		name string
		dst  *string
	}
	members := []member{{"email", &req.Email}, {"password", &req.Password}}
	if req.Mechanism == MechanismOIDC {
		members = []member{{"oauth_authorization_code", &req.Code}, {"oauth_redirect_uri", &req.RedirectURI},
			{"oauth_code_verifier", &req.Verifier}}
	}
	for _, f := range members {
		v, ok, err := o.String(f.name)
		switch {
		case !ok || (err == nil && v == ""):
			errs = append(errs, problem.Invalid("data."+f.name, "The data."+f.name+" field is required."))
		case err != nil:
			errs = append(errs, problem.Invalid("data."+f.name, "The data."+f.name+" field must be a string."))
		default:
			*f.dst = v
		}
	}
	return req, errs.Err()
}
