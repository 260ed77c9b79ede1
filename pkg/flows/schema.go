package flows

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/cache"
	"github.com/acme/customers/pkg/problem"
)

// Schema is what a core flow adds to its resource: its enabled fields, in order (none when
// the flow does not exist or is disabled).
type Schema struct {
	Fields []*Field
	// retired are ids of the flow's deleted fields, whose values a write drops.
	retired map[string]bool
}

// Prune is v without the values of deleted fields (so that a record does not carry them
// forever); values of fields this process may not know yet are kept.
func (s Schema) Prune(v Values) Values {
	if len(s.retired) == 0 {
		return v
	}
	out := make(Values, len(v))
	for k, x := range v {
		if !s.retired[k] {
			out[k] = x
		}
	}
	return out
}

// Field returns the field with that slug (nil when the schema has none).
func (s Schema) Field(slug string) *Field {
	for _, f := range s.Fields {
		if f.Slug == slug {
			return f
		}
	}
	return nil
}

// Values are an object's custom values by field id (nil: null). An update's Values hold
// only the fields it names.
type Values map[string]any

// Merge is v with the values patch names (nil removes one), as a new map.
func (v Values) Merge(patch Values) Values {
	out := make(Values, len(v)+len(patch))
	for k, x := range v {
		out[k] = x
	}
	for k, x := range patch {
		if x == nil {
			delete(out, k)
		} else {
			out[k] = x
		}
	}
	return out
}

// Read takes the members of a body that are the schema's fields (by slug) and checks each
// value; the caller has already taken the resource's own members and reports the rest as
// unknown. On create, an omitted field gets its default and a required one without a
// default is missing. bad makes the resource's kind of error (422 for customers, 400 for
// addresses and orders).
func (s Schema) Read(o api.Object, create bool, bad func(source, detail string) *problem.Error) (Values, problem.List) {
	var vals Values
	var errs problem.List
	for _, f := range s.Fields {
		source := "data." + f.Slug
		raw, ok := o[f.Slug]
		var v any
		switch {
		case ok:
			var msg string
			if v, msg = f.Decode(raw); msg != "" {
				errs = append(errs, bad(source, source+" "+msg))
				continue
			}
		case create && f.Default != nil:
			v = f.Default
		case create && f.Required:
			errs = append(errs, bad(source, source+" is required"))
			continue
		default:
			continue
		}
		if v == nil && f.Required {
			errs = append(errs, bad(source, source+" is required: it cannot be null"))
			continue
		}
		if vals == nil {
			vals = Values{}
		}
		vals[f.ID] = v
	}
	return vals, errs
}

// Has reports whether the schema has a field with that slug (a body member it takes).
func (s Schema) Has(slug string) bool { return s.Field(slug) != nil }

// Member is one custom key of an object as a response shows it.
type Member struct {
	Slug  string
	Value json.RawMessage
}

// Render is the custom keys of an object whose stored values are vals, in the schema's
// order: every enabled field, null when it has no value (left out when omit_null says so).
// A stored number comes back as its field's type (DynamoDB keeps numbers without one).
func (s Schema) Render(vals Values) []Member {
	out := make([]Member, 0, len(s.Fields))
	for _, f := range s.Fields {
		v := normalize(f.Type, vals[f.ID])
		if v == nil && f.OmitNull {
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte("null")
		}
		out = append(out, Member{f.Slug, b})
	}
	return out
}

// normalize makes a stored value its field type's Go value.
func normalize(t FieldType, v any) any {
	switch x := v.(type) {
	case float64:
		if t == Integer && x == math.Trunc(x) {
			return int64(x)
		}
	case json.Number:
		if t == Integer {
			if n, err := x.Int64(); err == nil {
				return n
			}
		}
		f, _ := x.Float64()
		return normalize(t, f)
	}
	return v
}

// Schemas caches each core flow's Schema per process for a bounded time (the settings'
// cache: pkg/cache), so that the extended endpoints read no definition in the steady
// state; a cold one costs one Query (the flow's claim and its fields). A change made
// through this process is seen at once, one made elsewhere within the TTL.
type Schemas struct {
	byFlow map[string]*cache.Value[Schema]
}

// NewSchemas returns the schemas of the core flows, read through s at most once per ttl.
func NewSchemas(s Store, ttl time.Duration) *Schemas {
	sc := &Schemas{byFlow: map[string]*cache.Value[Schema]{}}
	for _, slug := range Core {
		sc.byFlow[slug] = cache.New(ttl, func(ctx context.Context) (Schema, error) {
			flow, fields, err := s.FlowFields(ctx, slug)
			if err != nil || flow == nil {
				return Schema{}, err
			}
			retired := map[string]bool{}
			for _, id := range flow.Retired {
				retired[id] = true
			}
			if !flow.Enabled {
				return Schema{retired: retired}, nil
			}
			var on []*Field
			for _, f := range fields {
				if f.Enabled {
					on = append(on, f)
				}
			}
			SortFields(on)
			return Schema{Fields: on, retired: retired}, nil
		})
	}
	return sc
}

// For returns the schema of the core flow slug (empty for any other, or on a nil Schemas).
func (sc *Schemas) For(ctx context.Context, slug string) (Schema, error) {
	c, ok := sc.cached(slug)
	if !ok {
		return Schema{}, nil
	}
	return c.Get(ctx)
}

func (sc *Schemas) cached(slug string) (*cache.Value[Schema], bool) {
	if sc == nil {
		return nil, false
	}
	c, ok := sc.byFlow[slug]
	return c, ok
}

// freshness bounds how often a body naming an unknown member makes a process read a flow's
// fields again: once a second.
const freshness = time.Second

// ForBody is the schema of the core flow slug to read body with: the cached one, unless the
// body names a member that is neither one of the resource's own (builtin) nor a field of
// it, which may be a field created through another process within the cache's TTL: then
// the fields are read again (at most once a second), so that a new field is taken at once
// and the 400 or 422 about an unknown member is never the cache's.
func (sc *Schemas) ForBody(ctx context.Context, slug string, body api.Object, builtin func(string) bool) (Schema, error) {
	schema, err := sc.For(ctx, slug)
	if err != nil {
		return schema, err
	}
	for k := range body {
		if !builtin(k) && !schema.Has(k) {
			return sc.Fresh(ctx, slug)
		}
	}
	return schema, nil
}

// Fresh reads the fields of the core flow slug again, unless this process did less than a
// second ago (then it gives the cached ones): for a request that names a field the cache
// may not have yet.
func (sc *Schemas) Fresh(ctx context.Context, slug string) (Schema, error) {
	c, ok := sc.cached(slug)
	if !ok {
		return Schema{}, nil
	}
	return c.Refresh(ctx, freshness)
}

// Forget drops the cached schema of flow slug (after a change through this process).
func (sc *Schemas) Forget(slug string) {
	if c, ok := sc.byFlow[slug]; ok {
		c.Forget()
	}
}
