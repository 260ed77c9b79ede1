package flows

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/acme/customers/pkg/problem"
)

func testSchema() Schema {
	return Schema{Fields: []*Field{
		{ID: "f-tier", Slug: "tier", Type: String, Default: "bronze", Rules: []Rule{{Type: "enum", Options: []any{"bronze", "gold"}}}},
		{ID: "f-points", Slug: "points", Type: Integer},
		{ID: "f-vip", Slug: "vip", Type: Boolean, OmitNull: true},
		{ID: "f-consent", Slug: "consent", Type: Boolean, Required: true},
	}}
}

func TestRead(t *testing.T) {
	s := testSchema()
	bad := func(source, detail string) *problem.Error { return problem.Invalid(source, detail) }
	for _, tt := range []struct {
		body   string
		create bool
		want   Values
		errs   string
	}{
		{`{"consent":true}`, true, Values{"f-tier": "bronze", "f-consent": true}, ""},
		{`{"consent":true,"tier":"gold","points":3}`, true, Values{"f-tier": "gold", "f-consent": true, "f-points": int64(3)}, ""},
		{`{}`, true, nil, "data.consent"},
		{`{"consent":null}`, true, nil, "data.consent"},
		{`{"tier":"silver","points":"x","consent":true}`, true, nil, "data.tier,data.points"},
		{`{}`, false, nil, ""},
		{`{"vip":null,"points":7}`, false, Values{"f-vip": nil, "f-points": int64(7)}, ""},
		{`{"consent":null}`, false, nil, "data.consent"},
		{`{"tier":null}`, false, Values{"f-tier": nil}, ""},
	} {
		var o map[string]json.RawMessage
		if err := json.Unmarshal([]byte(tt.body), &o); err != nil {
			t.Fatal(err)
		}
		got, errs := s.Read(o, tt.create, bad)
		var sources []string
		for _, e := range errs {
			sources = append(sources, e.Source)
		}
		if strings.Join(sources, ",") != tt.errs {
			t.Errorf("%s (create %v): errors on %v, want %s", tt.body, tt.create, sources, tt.errs)
		}
		if tt.errs == "" && !equalValues(got, tt.want) {
			t.Errorf("%s (create %v): %v, want %v", tt.body, tt.create, got, tt.want)
		}
	}
}

func equalValues(a, b Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || v != w {
			return false
		}
	}
	return true
}

func TestRender(t *testing.T) {
	s := testSchema()
	render := func(v Values) string {
		var parts []string
		for _, m := range s.Render(v) {
			parts = append(parts, m.Slug+"="+string(m.Value))
		}
		return strings.Join(parts, " ")
	}
	// Stored numbers come back as float64; an integer field shows a whole number.
	if got := render(Values{"f-tier": "gold", "f-points": float64(42), "f-vip": true, "gone": "x"}); got != `tier="gold" points=42 vip=true consent=null` {
		t.Errorf("%s", got)
	}
	if got := render(nil); got != `tier=null points=null consent=null` {
		t.Errorf("omit_null: %s", got)
	}
	if got := render(Values{"f-points": json.Number("7")}); got != `tier=null points=7 consent=null` {
		t.Errorf("a json.Number: %s", got)
	}
	if s.Field("points") == nil || s.Field("nope") != nil || !s.Has("vip") || s.Has("nope") {
		t.Error("Field/Has")
	}
}

func TestMerge(t *testing.T) {
	cur := Values{"a": "1", "b": int64(2)}
	got := cur.Merge(Values{"a": nil, "c": true})
	if !equalValues(got, Values{"b": int64(2), "c": true}) || len(cur) != 2 {
		t.Errorf("%v (cur %v)", got, cur)
	}
	if got := Values(nil).Merge(nil); got == nil || len(got) != 0 {
		t.Errorf("nil merge: %v", got)
	}
}

// fieldsStore is a Store that serves one flow's fields and counts reads (the cache is pure
// logic; the DynamoDB side is tested in pkg/handlers).
type fieldsStore struct {
	Store
	flow   *Flow
	fields []*Field
	reads  int
	err    error
}

func (f *fieldsStore) FlowFields(_ context.Context, slug string) (*Flow, []*Field, error) {
	f.reads++
	if slug != Customers {
		return nil, nil, nil
	}
	return f.flow, f.fields, f.err
}

func TestSchemas(t *testing.T) {
	st := &fieldsStore{flow: &Flow{Slug: Customers, Enabled: true},
		fields: []*Field{{Slug: "b", Order: 2, Enabled: true}, {Slug: "a", Order: 2, Enabled: true}, {Slug: "off"}, {Slug: "z", Order: 1, Enabled: true}}}
	sc := NewSchemas(st, time.Hour)
	ctx := context.Background()
	s, err := sc.For(ctx, Customers)
	if err != nil || len(s.Fields) != 3 || s.Fields[0].Slug != "z" || s.Fields[1].Slug != "a" || s.Fields[2].Slug != "b" {
		t.Fatalf("%v, %v: want z, a, b (enabled, in order)", s.Fields, err)
	}
	sc.For(ctx, Customers)
	if st.reads != 1 {
		t.Errorf("%d reads, want 1 (cached)", st.reads)
	}
	// A body naming a member neither builtin nor a field reads the fields again, once.
	builtin := func(k string) bool { return k == "name" }
	sc.ForBody(ctx, Customers, map[string]json.RawMessage{"name": nil, "a": nil}, builtin)
	if st.reads != 1 {
		t.Errorf("known members made %d reads", st.reads)
	}
	st.fields = append(st.fields, &Field{Slug: "new", Enabled: true})
	s, _ = sc.ForBody(ctx, Customers, map[string]json.RawMessage{"new": nil}, builtin)
	if st.reads != 2 || !s.Has("new") {
		t.Errorf("an unknown member: %d reads, schema %v", st.reads, s.Fields)
	}
	sc.ForBody(ctx, Customers, map[string]json.RawMessage{"colour": nil}, builtin)
	if st.reads != 2 {
		t.Errorf("a second unknown member within a second: %d reads", st.reads)
	}
	if s, _ := sc.For(ctx, Customers); !s.Has("new") {
		t.Error("the refreshed schema is not the cached one")
	}
	// Forget drops it; a disabled flow, another flow and a nil Schemas have no fields.
	sc.Forget(Customers)
	st.flow.Enabled = false
	if s, _ := sc.For(ctx, Customers); len(s.Fields) != 0 || st.reads != 3 {
		t.Errorf("a disabled flow: %v after %d reads", s.Fields, st.reads)
	}
	if s, _ := sc.For(ctx, "wishlists"); len(s.Fields) != 0 {
		t.Error("a flow that is not core")
	}
	var none *Schemas
	if s, err := none.ForBody(ctx, Customers, map[string]json.RawMessage{"x": nil}, builtin); err != nil || len(s.Fields) != 0 {
		t.Error("a nil Schemas")
	}
	// A failed read is an error, not an empty schema.
	sc.Forget(Customers)
	st.err = errors.New("down")
	if _, err := sc.For(ctx, Customers); err == nil {
		t.Error("a failed read")
	}
}
