package handlers

import (
	"context"

	"github.com/acme/customers/pkg/addresses"
	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/etag"
	"github.com/acme/customers/pkg/flows"
	"github.com/acme/customers/pkg/orders"
	"github.com/acme/customers/pkg/settings"
	"github.com/acme/customers/pkg/sso"
)

// tagOf is the ETag of a single resource as a response shows it (package etag): its id and
// its version. "" for what has none.
func tagOf(v any) string {
	switch v := v.(type) {
	case *customers.Customer:
		return etag.Of(v.ID, v.Version)
	case *addresses.Address:
		return etag.Of(v.ID, v.Version)
	case *orders.Order:
		return etag.Of(v.ID, v.Version)
	case *flows.Flow:
		return etag.Of(v.ID, v.Version)
	case *flows.Field:
		return etag.Of(v.ID, v.Version)
	case *sso.Realm:
		return etag.Of(v.ID, v.Version)
	case *sso.Profile:
		return etag.Of(v.ID, v.Version)
	case settings.Settings:
		return etag.Of(etag.Settings, v.Version)
	}
	return ""
}

// tagged gives a rendered single resource v its ETag header.
func tagged(v any) func(api.Response, error) (api.Response, error) {
	return func(resp api.Response, err error) (api.Response, error) {
		if err != nil {
			return resp, err
		}
		if t := tagOf(v); t != "" {
			resp.Headers[etag.Header] = t
		}
		return resp, nil
	}
}

// withBodyMatch is withBody for a PUT that takes If-Match: h gets the header parsed (a
// malformed one is a 400 before the body is read).
func withBodyMatch(verify verifier, h func(context.Context, *api.Request, auth.Caller, api.Object, etag.Match) (api.Response, error)) api.HandlerFunc {
	return withCaller(verify, func(ctx context.Context, r *api.Request, c auth.Caller) (api.Response, error) {
		m, err := etag.Parse(r.Header(etag.IfMatchHeader))
		if err != nil {
			return api.Response{}, err
		}
		body, err := api.DecodeData(r)
		if err != nil {
			return api.Response{}, err
		}
		return h(ctx, r, c, body, m)
	})
}

// withCallerMatch is withCaller for a DELETE that takes If-Match.
func withCallerMatch(verify verifier, h func(context.Context, *api.Request, auth.Caller, etag.Match) (api.Response, error)) api.HandlerFunc {
	return withCaller(verify, func(ctx context.Context, r *api.Request, c auth.Caller) (api.Response, error) {
		m, err := etag.Parse(r.Header(etag.IfMatchHeader))
		if err != nil {
			return api.Response{}, err
		}
		return h(ctx, r, c, m)
	})
}
