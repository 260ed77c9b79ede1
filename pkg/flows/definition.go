package flows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/problem"
)

// Flow and field bodies: every problem is a 422 "Failed Validation" naming its member, one
// each, as the original's flows API answers. A PUT is partial, and takes back what a GET
// gave (id, links, meta, relationships are accepted as they are).

// slugPattern is a flow's or a field's slug: lower-case letters, digits, hyphens and
// underscores, starting with a letter (a field's slug is a JSON key of the objects it
// extends, so one spelling only).
var slugPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// reservedAll are the keys no extended object may have as a custom field: the JSON:API
// members, and "options", which the official SDK cannot send (it reads data.options as its
// own; reference/js-sdk.md §4).
var reservedAll = []string{"type", "id", "meta", "links", "relationships", "options"}

// reserved are the core attributes of each resource, which a field of its flow cannot
// shadow.
var reserved = map[string][]string{
	Customers: {"name", "email", "password", "current_password", "external_ref", "authentication_mechanism",
		"created_at", "updated_at"}, // the last two: filterable built-ins
	Addresses: {"first_name", "last_name", "name", "phone_number", "instructions", "company_name",
		"line_1", "line_2", "city", "postcode", "county", "region", "country"},
	Orders: {"status", "payment", "shipping", "customer", "billing_address", "shipping_address",
		"external_ref", "order_number"},
}

// Reserved reports why slug cannot be a field of the flow flowSlug ("" when it can).
func Reserved(flowSlug, slug string) string {
	switch {
	case slug == "options":
		return `"options" is reserved: the official JavaScript SDK sends data.options as its own, so a field with that slug could not be written`
	case slices.Contains(reservedAll, slug):
		return fmt.Sprintf("%q is reserved: every object has it", slug)
	case slices.Contains(reserved[flowSlug], slug):
		return fmt.Sprintf("%q is reserved: it is a built-in attribute of %s", slug, flowSlug)
	}
	return ""
}

// echoed are members a GET shows that a PUT may send back unchanged.
var echoed = []string{"id", "links", "meta", "relationships"}

// checkSlug holds a slug to slugPattern and MaxSlug.
func checkSlug(source, s string) *problem.Error {
	if len(s) > MaxSlug || !slugPattern.MatchString(s) {
		return problem.Invalid(source, fmt.Sprintf("%s must be 1 to %d lower-case letters, digits, hyphens and underscores, starting with a letter", source, MaxSlug))
	}
	return nil
}

// text reads a string member of at most max characters; required says it may not be
// empty.
func text(o api.Object, key string, max int, required bool) (string, *problem.Error) {
	source := "data." + key
	s, _, err := o.String(key)
	if err != nil {
		return "", problem.Invalid(source, source+" must be a string")
	}
	if required && strings.TrimSpace(s) == "" {
		return "", problem.Invalid(source, source+" is required")
	}
	if e := api.CheckText(source, s, max, "\t\n\r"); e != nil {
		return "", problem.Invalid(source, e.Detail)
	}
	return s, nil
}

// naming reads member k (name, slug or description) of a flow or field body into its place.
func naming(o api.Object, k string, name, slug, description *string) (e *problem.Error) {
	switch k {
	case "name":
		*name, e = text(o, k, MaxName, true)
	case "slug":
		if *slug, e = text(o, k, MaxSlug, true); e == nil {
			e = checkSlug("data.slug", *slug)
		}
	case "description":
		*description, e = text(o, k, MaxDescription, false)
	}
	return e
}

func boolean(o api.Object, key string) (bool, *problem.Error) {
	v, err := api.Boolean("", o[key])
	if err != nil {
		return false, problem.Invalid("data."+key, "data."+key+" must be true or false")
	}
	return v, nil
}

// checkType holds data.type to want.
func checkType(o api.Object, want string) *problem.Error {
	if t, _, _ := o.String("type"); t != want {
		return problem.Invalid("data.type", fmt.Sprintf("data.type must be %q", want))
	}
	return nil
}

// ParseFlow reads a flow body over cur (nil on create: name and slug are then required,
// and enabled defaults to true) and returns the flow it describes.
func ParseFlow(o api.Object, cur *Flow) (*Flow, error) {
	members := []string{"type", "name", "slug", "description", "enabled"}
	if err := o.CheckMembers(len(members)+len(echoed), "a flow"); err != nil {
		return nil, err
	}
	next := &Flow{Enabled: true}
	if cur != nil {
		c := *cur
		next = &c
	}
	var errs problem.List
	add := func(e *problem.Error) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	add(checkType(o, "flow"))
	for _, k := range o.Keys() {
		var e *problem.Error
		switch k {
		case "type":
		case "name", "slug", "description":
			e = naming(o, k, &next.Name, &next.Slug, &next.Description)
		case "enabled":
			next.Enabled, e = boolean(o, k)
		default:
			if !slices.Contains(echoed, k) {
				e = problem.Invalid("data."+problem.Quote(k), "data."+problem.Quote(k)+" is not a member of a flow")
			}
		}
		add(e)
	}
	if cur == nil {
		for _, k := range []string{"name", "slug"} {
			if !o.Has(k) {
				add(problem.Invalid("data."+k, "data."+k+" is required"))
			}
		}
	}
	return next, errs.Err()
}

// FieldBody is a parsed field body: the field it describes and the flow it names.
type FieldBody struct {
	Field *Field
	// FlowID is relationships.flow.data.id ("" when the body has none: an update).
	FlowID string
}

// fieldMembers are a field body's own members.
var fieldMembers = []string{"type", "name", "slug", "field_type", "validation_rules", "description", "required",
	"default", "enabled", "omit_null", "order"}

// ParseField reads a field body over cur (nil on create: name, slug, field_type and
// relationships.flow are then required; enabled defaults to true). The slug's reservation
// is checked by the caller, who knows the flow.
func ParseField(o api.Object, cur *Field) (FieldBody, error) {
	var out FieldBody
	if err := o.CheckMembers(len(fieldMembers)+len(echoed), "a field"); err != nil {
		return out, err
	}
	next := &Field{Enabled: true}
	if cur != nil {
		c := *cur
		c.Rules = slices.Clone(cur.Rules)
		next = &c
	}
	out.Field = next
	var errs problem.List
	add := func(e *problem.Error) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	add(checkType(o, "field"))
	if cur == nil {
		for _, k := range []string{"name", "slug", "field_type"} {
			if !o.Has(k) {
				add(problem.Invalid("data."+k, "data."+k+" is required"))
			}
		}
	}
	// The type first: the rules and the default are read as its values.
	if raw, ok := o["field_type"]; ok {
		var t FieldType
		if json.Unmarshal(raw, (*string)(&t)) != nil || !slices.Contains(FieldTypes, t) {
			add(problem.Invalid("data.field_type", "data.field_type must be one of string, integer, boolean, float, date"))
		} else if cur != nil && t != cur.Type {
			add(problem.Invalid("data.field_type", "data.field_type cannot change once a field is created"))
		} else {
			next.Type = t
		}
	}
	typed := next.Type != ""
	for _, k := range o.Keys() {
		var e *problem.Error
		switch k {
		case "type", "field_type", "default":
		case "name", "slug", "description":
			e = naming(o, k, &next.Name, &next.Slug, &next.Description)
		case "required":
			next.Required, e = boolean(o, k)
		case "enabled":
			next.Enabled, e = boolean(o, k)
		case "omit_null":
			next.OmitNull, e = boolean(o, k)
		case "order":
			var n int64
			var be *problem.Error
			if n, be = api.WholeNumber("data.order", o[k], -1_000_000, 1_000_000); be != nil {
				e = problem.Invalid("data.order", be.Detail)
			}
			next.Order = int(n)
		case "validation_rules":
			if typed {
				next.Rules, e = parseRules(o[k], next.Type)
			}
		case "relationships":
			out.FlowID, e = flowRelation(o[k])
			if e == nil && cur != nil && out.FlowID != "" && out.FlowID != cur.FlowID {
				e = problem.Invalid("data.relationships.flow", "a field cannot move to another flow")
			}
		default:
			if !slices.Contains(echoed, k) {
				e = problem.Invalid("data."+problem.Quote(k), "data."+problem.Quote(k)+" is not a member of a field")
			}
		}
		add(e)
	}
	if cur == nil && out.FlowID == "" && !slices.ContainsFunc(errs, func(e *problem.Error) bool { return e.Source == "data.relationships.flow" }) {
		add(problem.Invalid("data.relationships.flow", `data.relationships.flow is required: {"data": {"type": "flow", "id": "<flow id>"}}`))
	}
	if raw, ok := o["default"]; ok && typed {
		if v, msg := next.Decode(raw); msg != "" {
			add(problem.Invalid("data.default", "data.default "+msg))
		} else {
			next.Default = v
		}
	} else if typed && next.Default != nil && next.Check(next.Default) != "" {
		// New rules that the stored default breaks: the default must follow them.
		add(problem.Invalid("data.default", "data.default "+next.Check(next.Default)+" (the field's validation_rules)"))
	}
	return out, errs.Err()
}

// flowRelation reads {"flow": {"data": {"type": "flow", "id": ...}}}.
func flowRelation(raw json.RawMessage) (string, *problem.Error) {
	var rel struct {
		Flow *struct {
			Data *struct {
				Type string `json:"type"`
				ID   string `json:"id"`
			} `json:"data"`
		} `json:"flow"`
	}
	bad := problem.Invalid("data.relationships.flow", `data.relationships.flow must be {"data": {"type": "flow", "id": "<flow id>"}}`)
	if json.Unmarshal(raw, &rel) != nil {
		return "", bad
	}
	if rel.Flow == nil {
		return "", nil
	}
	if rel.Flow.Data == nil || rel.Flow.Data.Type != "flow" || rel.Flow.Data.ID == "" || len(rel.Flow.Data.ID) > 64 {
		return "", bad
	}
	return rel.Flow.Data.ID, nil
}

// ruleTypes says which rules each field type takes.
var ruleTypes = map[string][]FieldType{
	"enum":    {String, Integer, Float, Date},
	"email":   {String},
	"slug":    {String},
	"between": {Integer, Float},
}

// parseRules reads validation_rules for a field of type t.
func parseRules(raw json.RawMessage, t FieldType) ([]Rule, *problem.Error) {
	const source = "data.validation_rules"
	var items []struct {
		Type    string          `json:"type"`
		Options json.RawMessage `json:"options"`
	}
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	if json.Unmarshal(raw, &items) != nil {
		return nil, problem.Invalid(source, source+` must be a list of rules, such as [{"type": "enum", "options": ["a", "b"]}]`)
	}
	if len(items) > len(ruleTypes) {
		return nil, problem.Invalid(source, fmt.Sprintf("%s has at most %d rules, one of each type", source, len(ruleTypes)))
	}
	rules := make([]Rule, 0, len(items))
	seen := map[string]bool{}
	for i, it := range items {
		at := fmt.Sprintf("%s[%d]", source, i)
		types, known := ruleTypes[it.Type]
		switch {
		case !known:
			return nil, problem.Invalid(at, at+".type must be one of enum, email, slug, between")
		case !slices.Contains(types, t):
			return nil, problem.Invalid(at, fmt.Sprintf("a %s field cannot have a %s rule", t, it.Type))
		case seen[it.Type]:
			return nil, problem.Invalid(at, fmt.Sprintf("%s has two %s rules", source, it.Type))
		}
		seen[it.Type] = true
		r := Rule{Type: it.Type}
		switch it.Type {
		case "enum":
			var opts []json.RawMessage
			if json.Unmarshal(it.Options, &opts) != nil || len(opts) == 0 || len(opts) > MaxEnumOptions {
				return nil, problem.Invalid(at, fmt.Sprintf("%s.options must be a list of 1 to %d values", at, MaxEnumOptions))
			}
			probe := &Field{Type: t}
			for j, o := range opts {
				v, msg := probe.Decode(o)
				if msg != "" || v == nil {
					return nil, problem.Invalid(at, fmt.Sprintf("%s.options[%d] must be %s", at, j, typeNoun[t]))
				}
				r.Options = append(r.Options, v)
			}
		case "between":
			var b struct{ From, To *float64 }
			if json.Unmarshal(it.Options, &b) != nil || b.From == nil || b.To == nil || *b.From > *b.To {
				return nil, problem.Invalid(at, at+`.options must be {"from": <number>, "to": <number>}, from at most to`)
			}
			r.From, r.To = *b.From, *b.To
		default:
			if len(bytes.TrimSpace(it.Options)) > 0 && string(bytes.TrimSpace(it.Options)) != "null" {
				return nil, problem.Invalid(at, fmt.Sprintf("a %s rule takes no options", it.Type))
			}
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// DecodeRules reads rules stored as RulesJSON wrote them, for a field of type t.
func DecodeRules(raw json.RawMessage, t FieldType) ([]Rule, error) {
	rules, err := parseRules(raw, t)
	if err != nil {
		return nil, err
	}
	return rules, nil
}

// RulesJSON is rules as the API shows them.
func RulesJSON(rules []Rule) []map[string]any {
	out := make([]map[string]any, 0, len(rules))
	for _, r := range rules {
		m := map[string]any{"type": r.Type}
		switch r.Type {
		case "enum":
			m["options"] = r.Options
		case "between":
			m["options"] = map[string]float64{"from": r.From, "to": r.To}
		}
		out = append(out, m)
	}
	return out
}
