package handlers

import (
	"context"
	"net/http"

	"github.com/acme/customers/pkg/addresses"
	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/etag"
	"github.com/acme/customers/pkg/flows"
)

// addressView is an address as the API shows it: every field, unset ones as "".
type addressView struct {
	Type         string     `json:"type"`
	ID           string     `json:"id"`
	FirstName    string     `json:"first_name"`
	LastName     string     `json:"last_name"`
	Name         string     `json:"name"`
	PhoneNumber  string     `json:"phone_number"`
	Instructions string     `json:"instructions"`
	CompanyName  string     `json:"company_name"`
	Line1        string     `json:"line_1"`
	Line2        string     `json:"line_2"`
	City         string     `json:"city"`
	Postcode     string     `json:"postcode"`
	County       string     `json:"county"`
	Region       string     `json:"region"`
	Country      string     `json:"country"`
	Links        selfLink   `json:"links"`
	Meta         timestamps `json:"meta"`
}

type selfLink struct {
	Self string `json:"self"`
}

func viewAddress(r *api.Request, a *addresses.Address) addressView {
	v := a.Values
	return addressView{
		Type: "address", ID: a.ID,
		FirstName: v["first_name"], LastName: v["last_name"], Name: v["name"], PhoneNumber: v["phone_number"],
		Instructions: v["instructions"], CompanyName: v["company_name"], Line1: v["line_1"], Line2: v["line_2"],
		City: v["city"], Postcode: v["postcode"], County: v["county"], Region: v["region"], Country: v["country"],
		Links: selfLink{Self: r.BaseURL() + "/v2/customers/" + a.CustomerID + "/addresses/" + a.ID},
		Meta:  metaOf(a.CreatedAt, a.UpdatedAt),
	}
}

// addressKind is how addresses are shown, custom fields included.
var addressKind = kind[*addresses.Address]{flow: flows.Addresses,
	view:   func(r *api.Request, a *addresses.Address) any { return viewAddress(r, a) },
	custom: func(a *addresses.Address) flows.Values { return a.Custom }}

// ListAddresses is GET /v2/customers/{customerId}/addresses. The caller is authorized
// before the query is read.
func ListAddresses(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller) (api.Response, error) {
		if err := customers.Authorize(c, r.Param("customerId")); err != nil {
			return api.Response{}, err
		}
		if err := filterNotYet(r); err != nil {
			return api.Response{}, err
		}
		page, err := api.ParsePage(ctx, r, d.Settings.PageLength)
		if err != nil {
			return api.Response{}, err
		}
		cursor, _, err := r.Query(api.CursorParam)
		if err != nil {
			return api.Response{}, err
		}
		list, err := d.Addresses.List(ctx, c, r.Param("customerId"), page.Limit, page.Offset, cursor)
		if err != nil {
			return api.Response{}, err
		}
		views, err := addressKind.all(ctx, d, r, list.Addresses)
		if err != nil {
			return api.Response{}, err
		}
		return api.List(r, views, page, api.Result{Total: list.Total, Exact: true, Next: list.Next})
	})
}

// CreateAddress is POST /v2/customers/{customerId}/addresses.
func CreateAddress(d *app.Deps) api.HandlerFunc {
	return withIdempotentBody(d, d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller, body api.Object) (api.Response, error) {
		return addressKind.one(ctx, d, r, http.StatusCreated)(d.Addresses.Create(ctx, c, r.Param("customerId"), body))
	})
}

// GetAddress is GET /v2/customers/{customerId}/addresses/{addressId}.
func GetAddress(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller) (api.Response, error) {
		return addressKind.one(ctx, d, r, http.StatusOK)(d.Addresses.Get(ctx, c, r.Param("customerId"), r.Param("addressId")))
	})
}

// UpdateAddress is PUT /v2/customers/{customerId}/addresses/{addressId}, a partial update.
func UpdateAddress(d *app.Deps) api.HandlerFunc {
	return withBodyMatch(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller, body api.Object, m etag.Match) (api.Response, error) {
		return addressKind.one(ctx, d, r, http.StatusOK)(d.Addresses.Update(ctx, c, r.Param("customerId"), r.Param("addressId"), body, m))
	})
}

// DeleteAddress is DELETE /v2/customers/{customerId}/addresses/{addressId}.
func DeleteAddress(d *app.Deps) api.HandlerFunc {
	return withCallerMatch(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller, m etag.Match) (api.Response, error) {
		if err := d.Addresses.Delete(ctx, c, r.Param("customerId"), r.Param("addressId"), m); err != nil {
			return api.Response{}, err
		}
		return api.NoContent()
	})
}
