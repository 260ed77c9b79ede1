package customers

import (
	"context"
	"strconv"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/problem"
)

// ErrBadCredentials is the one answer to every failed login: unknown email, wrong
// password, a customer without a password, a deleted customer.
var ErrBadCredentials = &problem.Error{Kind: problem.Unauthorized, Title: "Unauthorized",
	Detail: "the email or password is incorrect"}

// Login checks an email and password and issues a customer token. Failures look the same
// and take the same time whether or not the email belongs to anyone; repeated failures for
// one email are throttled for the rest of the window.
func (s *Service) Login(ctx context.Context, o api.Object) (*Customer, auth.Token, error) {
	email, password, err := parseLogin(o)
	if err != nil {
		return nil, auth.Token{}, err
	}
	key := EmailKey(email)
	now := s.now()
	rec, err := s.store.Login(ctx, key)
	if err != nil {
		return nil, auth.Token{}, err
	}
	if rec.Failures >= s.maxFailures {
		if wait := rec.WindowStart.Add(s.window).Sub(now); wait > 0 {
			return nil, auth.Token{}, &problem.Error{Kind: problem.TooManyRequests, Title: "Too Many Requests",
				Detail:     "too many failed log-ins for this email; retry after " + strconv.Itoa(int(wait.Seconds())+1) + " seconds",
				RetryAfter: wait}
		}
	}
	var hash string
	if rec.Customer != nil && !rec.Customer.Deleted {
		hash = rec.Customer.PasswordHash
	}
	if !s.passwords.Check(hash, password) {
		if err := s.store.LoginFailed(ctx, key, now, s.window); err != nil {
			return nil, auth.Token{}, err
		}
		return nil, auth.Token{}, ErrBadCredentials
	}
	if rec.Failures > 0 {
		if err := s.store.LoginSucceeded(ctx, key); err != nil {
			return nil, auth.Token{}, err
		}
	}
	tok, err := s.tokens.IssueCustomer(rec.Customer.ID, rec.Customer.TokenGen)
	if err != nil {
		return nil, auth.Token{}, err
	}
	return rec.Customer, tok, nil
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
