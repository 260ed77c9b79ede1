package handlers

import (
	"context"
	"net/http"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/settings"
)

// settingsResponse renders the settings, or the error that came instead.
func settingsResponse(s settings.Settings, err error) (api.Response, error) {
	if err != nil {
		return api.Response{}, err
	}
	type view struct {
		Type                   string   `json:"type"`
		AddressMandatoryFields []string `json:"address_mandatory_fields"`
		PageLength             int      `json:"page_length"`
	}
	type meta struct {
		Owner string `json:"owner"`
	}
	return api.JSON(http.StatusOK, struct {
		Data view `json:"data"`
		Meta meta `json:"meta"`
	}{view{"settings", s.AddressMandatoryFields, s.PageLength}, meta{"store"}})
}

// GetSettings is GET /v2/settings.
func GetSettings(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller) (api.Response, error) {
		return settingsResponse(d.Settings.Get(ctx, c))
	})
}

// UpdateSettings is PUT /v2/settings, a partial update.
func UpdateSettings(d *app.Deps) api.HandlerFunc {
	return withBody(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller, body api.Object) (api.Response, error) {
		return settingsResponse(d.Settings.Update(ctx, c, body))
	})
}
