package handlers

import (
	"context"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/auth"
)

// verifier works out the caller from the request's tokens: auth.Tokens.Caller, or
// auth.Tokens.Application where a customer token plays no part.
type verifier func(context.Context, auth.Headers) (auth.Caller, error)

// withCaller runs h for a verified caller (401 for a bad access token, 403 for a bad
// customer token).
func withCaller(verify verifier, h func(context.Context, *api.Request, auth.Caller) (api.Response, error)) api.HandlerFunc {
	return func(ctx context.Context, r *api.Request) (api.Response, error) {
		c, err := verify(ctx, r)
		if err != nil {
			return api.Response{}, err
		}
		c.Address = r.SourceIP
		return h(ctx, r, c)
	}
}

// withBody is withCaller for endpoints that take a {"data": {...}} body.
func withBody(verify verifier, h func(context.Context, *api.Request, auth.Caller, api.Object) (api.Response, error)) api.HandlerFunc {
	return withCaller(verify, func(ctx context.Context, r *api.Request, c auth.Caller) (api.Response, error) {
		body, err := api.DecodeData(r)
		if err != nil {
			return api.Response{}, err
		}
		return h(ctx, r, c, body)
	})
}
