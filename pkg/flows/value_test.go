package flows

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/problem"
)

func TestDecode(t *testing.T) {
	between := []Rule{{Type: "between", From: -1, To: 10}}
	tests := []struct {
		field *Field
		raw   string
		want  any    // when ok
		bad   string // in the message when not
	}{
		{&Field{Type: String}, `"gold"`, "gold", ""},
		{&Field{Type: String}, `null`, nil, ""},
		{&Field{Type: String}, `5`, nil, "a string"},
		{&Field{Type: String}, `"a\u0001"`, nil, "control characters"},
		{&Field{Type: String}, `"` + strings.Repeat("é", MaxTextValue/2) + `"`, strings.Repeat("é", MaxTextValue/2), ""},
		{&Field{Type: String}, `"` + strings.Repeat("é", MaxTextValue/2) + `x"`, nil, "at most 2048 bytes"},
		{&Field{Type: String}, `"tab\tand\nnewline"`, "tab\tand\nnewline", ""},
		{&Field{Type: Integer}, `42`, int64(42), ""},
		{&Field{Type: Integer}, `-9007199254740991`, int64(-MaxSafeInteger), ""},
		{&Field{Type: Integer}, `9007199254740992`, nil, "whole number"},
		{&Field{Type: Integer}, `-9007199254740992`, nil, "whole number"},
		{&Field{Type: Integer}, `1.0`, nil, "whole number"},
		{&Field{Type: Integer}, `"1"`, nil, "whole number"},
		{&Field{Type: Integer, Rules: between}, `10`, int64(10), ""},
		{&Field{Type: Integer, Rules: between}, `-1`, int64(-1), ""},
		{&Field{Type: Integer, Rules: between}, `11`, nil, "from -1 to 10"},
		{&Field{Type: Integer, Rules: between}, `-2`, nil, "from -1 to 10"},
		{&Field{Type: Float}, `0.25`, 0.25, ""},
		{&Field{Type: Float}, `-3`, -3.0, ""},
		{&Field{Type: Float}, `1e400`, nil, "a number"},
		{&Field{Type: Float}, `1e308`, nil, "magnitude"},
		{&Field{Type: Float}, `-1e126`, nil, "magnitude"},
		{&Field{Type: Float}, `5e-324`, nil, "magnitude"},
		{&Field{Type: Float}, `1e-131`, nil, "magnitude"},
		{&Field{Type: Float}, `9.99e125`, 9.99e125, ""},
		{&Field{Type: Float}, `-1e-130`, -1e-130, ""},
		{&Field{Type: Float}, `-0`, 0.0, ""},
		{&Field{Type: Float}, `"0.5"`, nil, "a number"},
		{&Field{Type: Float}, `true`, nil, "a number"},
		{&Field{Type: Float, Rules: between}, `10.0001`, nil, "from -1 to 10"},
		{&Field{Type: Float, Rules: []Rule{{Type: "enum", Options: []any{0.5, 1.5}}}}, `1.5`, 1.5, ""},
		{&Field{Type: Float, Rules: []Rule{{Type: "enum", Options: []any{0.5, 1.5}}}}, `1`, nil, "one of 0.5, 1.5"},
		{&Field{Type: Integer, Rules: []Rule{{Type: "enum", Options: []any{int64(1), int64(2)}}}}, `2`, int64(2), ""},
		{&Field{Type: Integer, Rules: []Rule{{Type: "enum", Options: []any{int64(1), int64(2)}}}}, `3`, nil, "one of 1, 2"},
		{&Field{Type: Boolean}, `false`, false, ""},
		{&Field{Type: Boolean}, `0`, nil, "true or false"},
		{&Field{Type: Date}, `"2024-02-29"`, "2024-02-29", ""},
		{&Field{Type: Date}, `"2024-02-29 23:59:59"`, "2024-02-29 23:59:59", ""},
		{&Field{Type: Date}, `"2023-02-29"`, nil, "a date"},
		{&Field{Type: Date}, `"2024-2-9"`, nil, "a date"},
		{&Field{Type: Date}, `"2024-02-29T10:00:00Z"`, nil, "a date"},
		{&Field{Type: Date}, `"2024-02-29 24:00:00"`, nil, "a date"},
		{&Field{Type: String, Rules: []Rule{{Type: "email"}}}, `"ann@example.com"`, "ann@example.com", ""},
		{&Field{Type: String, Rules: []Rule{{Type: "email"}}}, `"ann@example"`, nil, "email address"},
		{&Field{Type: String, Rules: []Rule{{Type: "email"}}}, `"` + strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + `.com"`, nil, "email address"},
		{&Field{Type: String, Rules: []Rule{{Type: "slug"}}}, `"Gold_Tier-2"`, "Gold_Tier-2", ""},
		{&Field{Type: String, Rules: []Rule{{Type: "slug"}}}, `"gold tier"`, nil, "a slug"},
		{&Field{Type: String, Rules: []Rule{{Type: "slug"}}}, `""`, nil, "a slug"},
		{&Field{Type: "unknown"}, `"x"`, nil, "must be"},
	}
	for _, tt := range tests {
		v, msg := tt.field.Decode(json.RawMessage(tt.raw))
		if tt.bad == "" && (msg != "" || v != tt.want) {
			t.Errorf("%s %s: %v, %q; want %v", tt.field.Type, tt.raw, v, msg, tt.want)
		}
		if tt.bad != "" && (v != nil || !strings.Contains(msg, tt.bad)) {
			t.Errorf("%s %s: %v, %q; want an error saying %q", tt.field.Type, tt.raw, v, msg, tt.bad)
		}
	}
}

func TestListOptions(t *testing.T) {
	opts := make([]any, 12)
	for i := range opts {
		opts[i] = int64(i)
	}
	if got := listOptions(opts); got != "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 (and 2 more)" {
		t.Errorf("%q", got)
	}
	if got := listOptions(opts[:10]); got != "0, 1, 2, 3, 4, 5, 6, 7, 8, 9" {
		t.Errorf("%q", got)
	}
}

func TestReserved(t *testing.T) {
	for _, tt := range []struct{ flow, slug, want string }{
		{Customers, "email", "built-in attribute of customers"},
		{Customers, "current_password", "built-in"},
		{Addresses, "line_1", "built-in attribute of addresses"},
		{Orders, "billing_address", "built-in attribute of orders"},
		{"wishlists", "email", ""},
		{Customers, "loyalty_tier", ""},
		{"wishlists", "options", "SDK"},
		{Orders, "relationships", "every object has it"},
	} {
		if got := Reserved(tt.flow, tt.slug); tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("%s/%s: %q, want %q", tt.flow, tt.slug, got, tt.want)
		}
	}
}

func object(t *testing.T, s string) api.Object {
	t.Helper()
	var o api.Object
	if err := json.Unmarshal([]byte(s), &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func sources(err error) string {
	l, _ := problem.Problems(err)
	var out []string
	for _, e := range l {
		out = append(out, e.Source)
	}
	return strings.Join(out, ",")
}

func TestParseField(t *testing.T) {
	flow := `"relationships":{"flow":{"data":{"type":"flow","id":"f1"}}}`
	body, err := ParseField(object(t, `{"type":"field","name":"Tier","slug":"tier","field_type":"integer","order":-3,"default":5,
		"validation_rules":[{"type":"between","options":{"from":1,"to":5}},{"type":"enum","options":[1,5]}],`+flow+`}`), nil)
	if err != nil || body.FlowID != "f1" || body.Field.Order != -3 || body.Field.Default != int64(5) || len(body.Field.Rules) != 2 || !body.Field.Enabled {
		t.Fatalf("%+v, %v", body.Field, err)
	}
	for _, tt := range []struct{ body, sources string }{
		{`{"type":"field"}`, "data.name,data.slug,data.field_type,data.relationships.flow"},
		{`{"type":"field","name":"x","slug":"x","field_type":"string","order":1000001,` + flow + `}`, "data.order"},
		{`{"type":"field","name":"x","slug":"x","field_type":"string","validation_rules":[{"type":"email"},{"type":"email"}],` + flow + `}`, "data.validation_rules[1]"},
		{`{"type":"field","name":"x","slug":"x","field_type":"string","validation_rules":[{"type":"email","options":[1]}],` + flow + `}`, "data.validation_rules[0]"},
		{`{"type":"field","name":"x","slug":"x","field_type":"string","validation_rules":{"type":"email"},` + flow + `}`, "data.validation_rules"},
		{`{"type":"field","name":"x","slug":"x","field_type":"string","validation_rules":[{"type":"enum","options":[]}],` + flow + `}`, "data.validation_rules[0]"},
		{`{"type":"field","name":"x","slug":"x","field_type":"string","relationships":{"flow":{"data":{"type":"flows","id":"f1"}}}}`, "data.relationships.flow"},
		{`{"type":"field","name":"x","slug":"x","field_type":"integer","validation_rules":[{"type":"between","options":{"from":1}}],` + flow + `}`, "data.validation_rules[0]"},
		{`{"type":"field","name":"","slug":"x","field_type":"string",` + flow + `}`, "data.name"},
	} {
		if _, err := ParseField(object(t, tt.body), nil); sources(err) != tt.sources {
			t.Errorf("%s: errors on %q, want %q (%v)", tt.body, sources(err), tt.sources, err)
		}
	}
	// Updates: the type and flow are fixed, omitted members keep their values.
	cur := body.Field
	cur.FlowID = "f1"
	up, err := ParseField(object(t, `{"type":"field","description":"d","relationships":{"flow":{"data":{"type":"flow","id":"f1"}}}}`), cur)
	if err != nil || up.Field.Description != "d" || up.Field.Default != int64(5) || up.Field.Name != "Tier" {
		t.Errorf("update: %+v, %v", up.Field, err)
	}
	if _, err := ParseField(object(t, `{"type":"field","relationships":{"flow":{"data":{"type":"flow","id":"f2"}}}}`), cur); sources(err) != "data.relationships.flow" {
		t.Errorf("moving a field: %v", err)
	}
	if _, err := ParseField(object(t, `{"type":"field","validation_rules":[{"type":"between","options":{"from":6,"to":9}}]}`), cur); sources(err) != "data.default" {
		t.Errorf("rules the default breaks: %v", err)
	}
}

func TestSortFields(t *testing.T) {
	fs := []*Field{{Slug: "b", Order: 1}, {Slug: "a", Order: 1}, {Slug: "z", Order: -1}}
	SortFields(fs)
	if fs[0].Slug != "z" || fs[1].Slug != "a" || fs[2].Slug != "b" {
		t.Errorf("%s %s %s", fs[0].Slug, fs[1].Slug, fs[2].Slug)
	}
}
