// Package handlers holds one constructor per endpoint. Each reads like the endpoint's
// description: authenticate, call the domain service, render. The plumbing (envelope,
// errors, paging links) is package api's.
package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/etag"
	"github.com/acme/customers/pkg/flows"
	"github.com/acme/customers/pkg/problem"
)

// customerView is a customer as the API shows it. The password hash never leaves; only
// whether one is set.
type customerView struct {
	Type                    string     `json:"type"`
	ID                      string     `json:"id"`
	Name                    string     `json:"name"`
	Email                   string     `json:"email"`
	Password                bool       `json:"password"`
	ExternalRef             *string    `json:"external_ref"`
	AuthenticationMechanism string     `json:"authentication_mechanism"`
	Meta                    timestamps `json:"meta"`
}

type timestamps struct {
	Timestamps struct {
		CreatedAt string `json:"created_at"`
		UpdatedAt string `json:"updated_at"`
	} `json:"timestamps"`
}

// filterNotYet refuses a filter rather than ignore it (filtering lands with its own issue).
func filterNotYet(r *api.Request) error {
	if _, ok, err := r.Query("filter"); err != nil || ok {
		return &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: "filter",
			Detail: "filtering is not supported on this list yet"}
	}
	return nil
}

func metaOf(created, updated time.Time) timestamps {
	var m timestamps
	m.Timestamps.CreatedAt = created.UTC().Format(time.RFC3339Nano)
	m.Timestamps.UpdatedAt = updated.UTC().Format(time.RFC3339Nano)
	return m
}

func viewCustomer(c *customers.Customer) customerView {
	return customerView{
		Type:                    "customer",
		ID:                      c.ID,
		Name:                    c.Name,
		Email:                   c.Email,
		Password:                c.HasPassword,
		ExternalRef:             c.ExternalRef,
		AuthenticationMechanism: c.AuthMechanism,
		Meta:                    metaOf(c.CreatedAt, c.UpdatedAt),
	}
}

// CreateCustomer is POST /v2/customers.
func CreateCustomer(d *app.Deps) api.HandlerFunc {
	return withIdempotentBody(d, d.Tokens.Application, func(ctx context.Context, r *api.Request, _ auth.Caller, body api.Object) (api.Response, error) {
		return customer(ctx, d, http.StatusCreated)(d.Customers.Create(ctx, body))
	})
}

// GetCustomer is GET /v2/customers/{customerId}.
func GetCustomer(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller) (api.Response, error) {
		return customer(ctx, d, http.StatusOK)(d.Customers.Get(ctx, c, r.Param("customerId")))
	})
}

// UpdateCustomer is PUT /v2/customers/{customerId}, a partial update. It may check a
// current password: the dummy hash is made at cold start (see auth.Passwords.Prepare).
func UpdateCustomer(d *app.Deps) api.HandlerFunc {
	d.Customers.Passwords().Prepare()
	return withBodyMatch(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller, body api.Object, m etag.Match) (api.Response, error) {
		return customer(ctx, d, http.StatusOK)(d.Customers.Update(ctx, c, r.Param("customerId"), body, m))
	})
}

// DeleteCustomer is DELETE /v2/customers/{customerId}.
func DeleteCustomer(d *app.Deps) api.HandlerFunc {
	return withCallerMatch(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller, m etag.Match) (api.Response, error) {
		if err := d.Customers.Delete(ctx, c, r.Param("customerId"), m); err != nil {
			return api.Response{}, err
		}
		return api.NoContent()
	})
}

// customerKind is how customers are shown, custom fields included.
var customerKind = kind[*customers.Customer]{flow: flows.Customers,
	view:   func(_ *api.Request, c *customers.Customer) any { return viewCustomer(c) },
	custom: func(c *customers.Customer) flows.Values { return c.Custom }}

// customer renders a customer, or the error that came instead.
func customer(ctx context.Context, d *app.Deps, status int) func(*customers.Customer, error) (api.Response, error) {
	return customerKind.one(ctx, d, nil, status)
}

var customerSorts = []string{
	string(customers.SortCreatedAt), string(customers.SortEmail), string(customers.SortID),
	string(customers.SortName), string(customers.SortUpdatedAt),
}

// ListCustomers is GET /v2/customers: authorize, filter, sort, page.
func ListCustomers(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Caller, func(ctx context.Context, r *api.Request, caller auth.Caller) (api.Response, error) {
		if err := customers.AuthorizeList(caller); err != nil {
			return api.Response{}, err
		}
		q := customers.ListQuery{}
		if raw, ok, err := r.RawQuery("filter"); err != nil {
			return api.Response{}, err
		} else if ok {
			schema, err := d.Schemas.For(ctx, flows.Customers)
			if err != nil {
				return api.Response{}, err
			}
			if q.Filter, err = customers.ParseFilter(raw, schema); err != nil {
				// Maybe a field created through another process: read the fields again, once.
				if schema, err = d.Schemas.Fresh(ctx, flows.Customers); err != nil {
					return api.Response{}, err
				}
				q.Filter, err = customers.ParseFilter(raw, schema)
			}
			if err != nil {
				return api.Response{}, err
			}
		}
		page, err := api.ParsePage(ctx, r, d.Settings.PageLength)
		if err != nil {
			return api.Response{}, err
		}
		sort, err := api.ParseSort(r, customerSorts, api.Sort{Field: string(customers.SortCreatedAt), Desc: true})
		if err != nil {
			return api.Response{}, err
		}
		if q.Cursor, _, err = r.Query(api.CursorParam); err != nil {
			return api.Response{}, err
		}
		q.Sort, q.Desc, q.Limit, q.Offset = customers.SortField(sort.Field), sort.Desc, page.Limit, page.Offset
		res, err := d.Customers.List(ctx, caller, q)
		if err != nil {
			return api.Response{}, err
		}
		views, err := customerKind.all(ctx, d, r, res.Customers)
		if err != nil {
			return api.Response{}, err
		}
		return api.List(r, views, page, api.Result{Total: res.Total, Exact: res.TotalExact, Next: res.Next})
	})
}

// CreateCustomerToken is POST /v2/customers/tokens: log-in with email and password, or
// with the one-time code of a single sign-on. The dummy hash that failed passwords compare
// against is made at cold start, so that the first failure of a new instance costs what
// every other does.
func CreateCustomerToken(d *app.Deps) api.HandlerFunc {
	d.Customers.Passwords().Prepare()
	return withBody(d.Tokens.Application, func(ctx context.Context, r *api.Request, c auth.Caller, body api.Object) (api.Response, error) {
		req, err := customers.ParseTokenRequest(body)
		if err != nil {
			return api.Response{}, err
		}
		if req.Mechanism == customers.MechanismOIDC {
			return customerToken(loginOIDC(ctx, d, req))
		}
		return customerToken(d.Customers.Login(ctx, c, req.Email, req.Password))
	})
}
