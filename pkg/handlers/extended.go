package handlers

import (
	"context"
	"encoding/json"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/flows"
)

// A kind is a resource a core flow extends (customers, addresses, orders), as responses
// show it: its own view, then the enabled fields of its flow as top-level keys, in their
// order (flows.Schema.Render), from the per-process cache of that flow's fields.
type kind[T any] struct {
	flow   string
	view   func(*api.Request, T) any
	custom func(T) flows.Values
}

// one renders one object with its ETag, or the error that came instead.
func (k kind[T]) one(ctx context.Context, d *app.Deps, r *api.Request, status int) func(T, error) (api.Response, error) {
	return func(v T, err error) (api.Response, error) {
		if err != nil {
			return api.Response{}, err
		}
		schema, err := d.Schemas.For(ctx, k.flow)
		if err != nil {
			return api.Response{}, err
		}
		return tagged(v)(api.Data(status, extended(k.view(r, v), schema.Render(k.custom(v)))))
	}
}

// all renders the objects of a list.
func (k kind[T]) all(ctx context.Context, d *app.Deps, r *api.Request, items []T) ([]json.RawMessage, error) {
	schema, err := d.Schemas.For(ctx, k.flow)
	if err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, len(items))
	for i, v := range items {
		out[i] = extended(k.view(r, v), schema.Render(k.custom(v)))
	}
	return out, nil
}

// extended is v, which marshals to a JSON object, with members after its own.
func extended(v any, members []flows.Member) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil || len(members) == 0 || len(b) < 2 {
		return b
	}
	out := append(make([]byte, 0, len(b)+64*len(members)), b[:len(b)-1]...)
	for _, m := range members {
		key, _ := json.Marshal(m.Slug)
		out = append(append(append(append(out, ','), key...), ':'), m.Value...)
	}
	return append(out, '}')
}
