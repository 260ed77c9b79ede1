package handlers

import (
	"context"
	"net/http"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/etag"
	"github.com/acme/customers/pkg/flows"
)

// flowView is a flow as the API shows it.
type flowView struct {
	ID            string     `json:"id"`
	Type          string     `json:"type"`
	Name          string     `json:"name"`
	Slug          string     `json:"slug"`
	Description   string     `json:"description"`
	Enabled       bool       `json:"enabled"`
	Links         selfLink   `json:"links"`
	Relationships struct{}   `json:"relationships"`
	Meta          timestamps `json:"meta"`
}

func viewFlow(r *api.Request, f *flows.Flow) flowView {
	return flowView{ID: f.ID, Type: "flow", Name: f.Name, Slug: f.Slug, Description: f.Description, Enabled: f.Enabled,
		Links: selfLink{Self: r.BaseURL() + "/v2/flows/" + f.ID}, Meta: metaOf(f.CreatedAt, f.UpdatedAt)}
}

// fieldView is a field as the API shows it.
type fieldView struct {
	ID              string           `json:"id"`
	Type            string           `json:"type"`
	Name            string           `json:"name"`
	Slug            string           `json:"slug"`
	FieldType       flows.FieldType  `json:"field_type"`
	ValidationRules []map[string]any `json:"validation_rules"`
	Description     string           `json:"description"`
	Required        bool             `json:"required"`
	Default         any              `json:"default"`
	Enabled         bool             `json:"enabled"`
	Order           int              `json:"order"`
	OmitNull        bool             `json:"omit_null"`
	Relationships   struct {
		Flow struct {
			Data relation `json:"data"`
		} `json:"flow"`
	} `json:"relationships"`
	Links selfLink   `json:"links"`
	Meta  timestamps `json:"meta"`
}

func viewField(r *api.Request, f *flows.Field) fieldView {
	v := fieldView{ID: f.ID, Type: "field", Name: f.Name, Slug: f.Slug, FieldType: f.Type, ValidationRules: flows.RulesJSON(f.Rules),
		Description: f.Description, Required: f.Required, Default: f.Default, Enabled: f.Enabled, Order: f.Order, OmitNull: f.OmitNull,
		Links: selfLink{Self: r.BaseURL() + "/v2/flows/" + f.FlowID + "/fields/" + f.ID}, Meta: metaOf(f.CreatedAt, f.UpdatedAt)}
	v.Relationships.Flow.Data = relation{"flow", f.FlowID}
	return v
}

// one renders a single flow, field or realm with status and its ETag, or the error that
// came instead.
func one[T, V any](r *api.Request, status int, view func(*api.Request, T) V) func(T, error) (api.Response, error) {
	return func(v T, err error) (api.Response, error) {
		if err != nil {
			return api.Response{}, err
		}
		return tagged(v)(api.Data(status, view(r, v)))
	}
}

// all renders every flow or field: a short list, never paged, with its total.
func all[T, V any](r *api.Request, view func(*api.Request, T) V) func([]T, error) (api.Response, error) {
	return func(items []T, err error) (api.Response, error) {
		if err != nil {
			return api.Response{}, err
		}
		out := make([]V, 0, len(items))
		for _, it := range items {
			out = append(out, view(r, it))
		}
		var body struct {
			Data []V `json:"data"`
			Meta struct {
				Results struct {
					Total int `json:"total"`
				} `json:"results"`
			} `json:"meta"`
		}
		body.Data, body.Meta.Results.Total = out, len(out)
		return api.JSON(http.StatusOK, body)
	}
}

// CreateFlow is POST /v2/flows.
func CreateFlow(d *app.Deps) api.HandlerFunc {
	return withIdempotentBody(d, d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller, body api.Object) (api.Response, error) {
		return one(r, http.StatusCreated, viewFlow)(d.Flows.CreateFlow(ctx, c, body))
	})
}

// Reads of flows and fields take any access token and ignore a customer token (the
// definitions are the store's, and a storefront draws its forms with them whoever is
// logged in); writes take client_credentials.

// ListFlows is GET /v2/flows.
func ListFlows(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Application, func(ctx context.Context, r *api.Request, c auth.Caller) (api.Response, error) {
		return all(r, viewFlow)(d.Flows.Flows(ctx, c))
	})
}

// GetFlow is GET /v2/flows/{flowId}.
func GetFlow(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Application, func(ctx context.Context, r *api.Request, c auth.Caller) (api.Response, error) {
		return one(r, http.StatusOK, viewFlow)(d.Flows.Flow(ctx, c, r.Param("flowId")))
	})
}

// UpdateFlow is PUT /v2/flows/{flowId}, a partial update.
func UpdateFlow(d *app.Deps) api.HandlerFunc {
	return withBodyMatch(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller, body api.Object, m etag.Match) (api.Response, error) {
		return one(r, http.StatusOK, viewFlow)(d.Flows.UpdateFlow(ctx, c, r.Param("flowId"), body, m))
	})
}

// DeleteFlow is DELETE /v2/flows/{flowId}.
func DeleteFlow(d *app.Deps) api.HandlerFunc {
	return withCallerMatch(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller, m etag.Match) (api.Response, error) {
		if err := d.Flows.DeleteFlow(ctx, c, r.Param("flowId"), m); err != nil {
			return api.Response{}, err
		}
		return api.NoContent()
	})
}

// ListFlowFields is GET /v2/flows/{flowId}/fields (the flow by id or slug).
func ListFlowFields(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Application, func(ctx context.Context, r *api.Request, c auth.Caller) (api.Response, error) {
		return all(r, viewField)(d.Flows.FlowFields(ctx, c, r.Param("flowId")))
	})
}

// CreateField is POST /v2/fields.
func CreateField(d *app.Deps) api.HandlerFunc {
	return withIdempotentBody(d, d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller, body api.Object) (api.Response, error) {
		return one(r, http.StatusCreated, viewField)(d.Flows.CreateField(ctx, c, body))
	})
}

// ListFields is GET /v2/fields.
func ListFields(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Application, func(ctx context.Context, r *api.Request, c auth.Caller) (api.Response, error) {
		return all(r, viewField)(d.Flows.Fields(ctx, c))
	})
}

// GetField is GET /v2/fields/{fieldId}.
func GetField(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Application, func(ctx context.Context, r *api.Request, c auth.Caller) (api.Response, error) {
		return one(r, http.StatusOK, viewField)(d.Flows.Field(ctx, c, r.Param("fieldId")))
	})
}

// UpdateField is PUT /v2/fields/{fieldId}, a partial update.
func UpdateField(d *app.Deps) api.HandlerFunc {
	return withBodyMatch(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller, body api.Object, m etag.Match) (api.Response, error) {
		return one(r, http.StatusOK, viewField)(d.Flows.UpdateField(ctx, c, r.Param("fieldId"), body, m))
	})
}

// DeleteField is DELETE /v2/fields/{fieldId}.
func DeleteField(d *app.Deps) api.HandlerFunc {
	return withCallerMatch(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller, m etag.Match) (api.Response, error) {
		if err := d.Flows.DeleteField(ctx, c, r.Param("fieldId"), m); err != nil {
			return api.Response{}, err
		}
		return api.NoContent()
	})
}
