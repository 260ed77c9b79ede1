package customers

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/problem"
)

// ErrBadCredentials is the one answer to every failed login: unknown email, wrong
// password, a customer without a password, a deleted customer.
var ErrBadCredentials = &problem.Error{Kind: problem.Unauthorized, Title: "Unauthorized",
	Detail: "the email or password is incorrect"}

// Login checks an email and password and issues a customer token. Failures look the same
// and take the same time whether or not the email belongs to anyone. Every attempt is
// counted for its email before the password is checked, atomically, so parallel guesses
// cannot slip past the limit; a success clears the count.
func (s *Service) Login(ctx context.Context, o api.Object) (*Customer, auth.Token, error) {
	email, password, err := parseLogin(o)
	if err != nil {
		return nil, auth.Token{}, err
	}
	if CheckEmail(strings.TrimSpace(email), "data.email") != nil {
		// Nobody can have signed up with it: answer as for an unknown email, without a key
		// DynamoDB would refuse.
		s.passwords.Check("", password)
		return nil, auth.Token{}, ErrBadCredentials
	}
	key := EmailKey(email)
	now := s.now()
	var (
		wait               time.Duration
		cust               *Customer
		reserveErr, getErr error
		done               = make(chan struct{})
	)
	go func() {
		defer close(done)
		cust, getErr = s.store.LoginCustomer(ctx, key)
	}()
	wait, reserveErr = s.store.ReserveLogin(ctx, key, now, s.window, s.maxFailures)
	<-done
	switch {
	case reserveErr != nil:
		return nil, auth.Token{}, reserveErr
	case wait > 0:
		return nil, auth.Token{}, &problem.Error{Kind: problem.TooManyRequests, Title: "Too Many Requests",
			Detail:     "too many log-in attempts for this email; retry after " + strconv.Itoa(int(wait.Seconds())+1) + " seconds",
			RetryAfter: wait}
	case getErr != nil:
		return nil, auth.Token{}, getErr
	}
	var hash string
	if cust != nil && !cust.Deleted {
		hash = cust.PasswordHash
	}
	if !s.passwords.Check(hash, password) {
		return nil, auth.Token{}, ErrBadCredentials
	}
	if err := s.store.LoginSucceeded(ctx, key); err != nil {
		return nil, auth.Token{}, err
	}
	if s.passwords.Outdated(hash) {
		// The cost went up since this hash was made: bring it to the current cost, so that
		// its comparisons take as long as the dummy's. Best effort: the log-in stands.
		if h, err := s.passwords.Hash(password); err == nil {
			_ = s.store.Rehash(ctx, cust.ID, hash, h)
		}
	}
	tok, err := s.tokens.IssueCustomer(cust.ID, cust.TokenGen)
	if err != nil {
		return nil, auth.Token{}, err
	}
	return cust, tok, nil
}

// parseLogin validates a token request body for the password mechanism.
func parseLogin(o api.Object) (email, password string, err error) {
	var errs problem.List
	if t, _, _ := o.String("type"); t != "token" {
		errs = append(errs, problem.Invalid("data.type", `The data.type field must be "token".`))
	}
	mech, ok, merr := o.String("authentication_mechanism")
	switch {
	case merr != nil:
		errs = append(errs, problem.Invalid("data.authentication_mechanism", "The data.authentication_mechanism field must be a string."))
	case ok && mech == MechanismOIDC:
		return "", "", &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: "data.authentication_mechanism",
			Detail: "OpenID Connect log-in is not configured for this store"}
	case ok && mech != MechanismPassword:
		errs = append(errs, problem.Invalid("data.authentication_mechanism", `The data.authentication_mechanism field must be "password" or "oidc".`))
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"email", &email}, {"password", &password}} {
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
	return email, password, errs.Err()
}
