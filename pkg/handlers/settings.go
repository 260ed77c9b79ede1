package handlers

import (
	"context"
	"net/http"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/etag"
	"github.com/acme/customers/pkg/settings"
)

// settingsResponse renders the settings with their ETag, or the error that came instead.
func settingsResponse(s settings.Settings, err error) (api.Response, error) {
	if err != nil {
		return api.Response{}, err
	}
	type view struct {
		Type                         string   `json:"type"`
		AddressMandatoryFields       []string `json:"address_mandatory_fields"`
		PageLength                   int      `json:"page_length"`
		ListChildProducts            bool     `json:"list_child_products"`
		AdditionalLanguages          []string `json:"additional_languages"`
		CalculationMethod            string   `json:"calculation_method"`
		IncludeOrganizationResources bool     `json:"include_organization_resources"`
		MaxAddressesPerCustomer      *int     `json:"max_addresses_per_customer"` // null: no cap
		Currency                     string   `json:"currency"`
		CurrencyLimit                int      `json:"currency_limit"`
	}
	type meta struct {
		Owner string `json:"owner"`
	}
	v := view{Type: "settings", AddressMandatoryFields: s.AddressMandatoryFields, PageLength: s.PageLength,
		ListChildProducts: s.ListChildProducts, AdditionalLanguages: s.AdditionalLanguages, CalculationMethod: s.CalculationMethod,
		IncludeOrganizationResources: s.IncludeOrganizationResources, Currency: s.Currency, CurrencyLimit: settings.CurrencyLimit}
	if s.MaxAddressesPerCustomer > 0 {
		v.MaxAddressesPerCustomer = &s.MaxAddressesPerCustomer
	}
	return tagged(s)(api.JSON(http.StatusOK, struct {
		Data view `json:"data"`
		Meta meta `json:"meta"`
	}{v, meta{"store"}}))
}

// GetSettings is GET /v2/settings.
func GetSettings(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller) (api.Response, error) {
		return settingsResponse(d.Settings.Get(ctx, c))
	})
}

// UpdateSettings is PUT /v2/settings, a partial update.
func UpdateSettings(d *app.Deps) api.HandlerFunc {
	return withBodyMatch(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller, body api.Object, m etag.Match) (api.Response, error) {
		return settingsResponse(d.Settings.Update(ctx, c, body, m))
	})
}
