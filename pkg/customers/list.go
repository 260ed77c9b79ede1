package customers

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"strconv"
	"strings"

	"github.com/acme/customers/pkg/filter"
	"github.com/acme/customers/pkg/flows"
	"github.com/acme/customers/pkg/problem"
)

// FilterSchema is what a customer list can be filtered on (SPEC "Filtering"), each value
// bounded by what its field can hold in bytes.
var FilterSchema = filter.Schema{
	"email":        {Kind: filter.Email, Ops: []filter.Op{filter.Eq, filter.Like, filter.ILike, filter.In}, MaxLen: MaxEmailLen},
	"name":         {Kind: filter.String, Ops: []filter.Op{filter.Eq, filter.Like, filter.ILike, filter.In}, MaxLen: MaxNameLen * 4},
	"id":           {Kind: filter.String, Ops: []filter.Op{filter.Eq, filter.Gt, filter.Ge, filter.Lt, filter.Le}, MaxLen: 36},
	"created_at":   {Kind: filter.Time, Ops: []filter.Op{filter.Eq, filter.Gt, filter.Ge, filter.Lt, filter.Le}},
	"updated_at":   {Kind: filter.Time, Ops: []filter.Op{filter.Eq, filter.Gt, filter.Ge, filter.Lt, filter.Le}},
	"external_ref": {Kind: filter.String, Ops: []filter.Op{filter.Eq}, MaxLen: MaxExternalRefLen * 4},
}

// customOps are the operators a custom field of each type takes.
var customOps = map[flows.FieldType][]filter.Op{
	flows.String:  {filter.Eq, filter.In, filter.Like, filter.ILike},
	flows.Boolean: {filter.Eq},
	flows.Integer: {filter.Eq, filter.Gt, filter.Ge, filter.Lt, filter.Le},
	flows.Float:   {filter.Eq, filter.Gt, filter.Ge, filter.Lt, filter.Le},
	flows.Date:    {filter.Eq, filter.Gt, filter.Ge, filter.Lt, filter.Le},
}

// customPrefix starts the Field of a parsed expression on a custom field:
// custom/<field id>/<field type> (matches reads the value stored under the id).
const customPrefix = "custom/"

// ParseFilter parses a raw filter parameter over the built-in fields (FilterSchema) and the
// custom fields of schema (the customers flow's, by slug); a refused filter is a 400 saying
// why.
func ParseFilter(raw string, schema flows.Schema) (filter.Filter, error) {
	refuse := func(detail string) error {
		return &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: "filter",
			Detail: "could not use the filter: " + detail}
	}
	fs := FilterSchema
	if len(schema.Fields) > 0 {
		fs = maps.Clone(FilterSchema)
		for _, f := range schema.Fields {
			if _, builtin := FilterSchema[f.Slug]; !builtin { // reserved anyway
				fs[f.Slug] = filter.Field{Kind: filter.String, Ops: customOps[f.Type], MaxLen: flows.MaxTextValue}
			}
		}
	}
	f, err := filter.Parse(raw, fs)
	if err != nil {
		return nil, refuse(err.Error())
	}
	for i, e := range f {
		for _, v := range e.Values {
			if e.Field == "id" && v == "" {
				return nil, refuse("an id value is empty")
			}
		}
		field := schema.Field(e.Field)
		if _, builtin := FilterSchema[e.Field]; builtin || field == nil {
			continue
		}
		for _, v := range e.Values {
			if e.Op != filter.Like && e.Op != filter.ILike && !filterValue(field.Type, v) {
				return nil, refuse(fmt.Sprintf("%q is not a %s value of %s", v, field.Type, e.Field))
			}
		}
		f[i].Field = customPrefix + field.ID + "/" + string(field.Type)
	}
	return f, nil
}

// filterValue reports whether v, a filter's text, is a value of type t.
func filterValue(t flows.FieldType, v string) bool {
	switch t {
	case flows.Integer:
		_, err := strconv.ParseInt(v, 10, 64)
		return err == nil
	case flows.Float:
		x, err := strconv.ParseFloat(v, 64)
		return err == nil && !math.IsInf(x, 0) && !math.IsNaN(x)
	case flows.Boolean:
		return v == "true" || v == "false"
	case flows.Date:
		return flows.IsDate(v)
	}
	return true
}

// matchCustom applies e to a stored custom value v of type t (a missing value matches
// nothing).
func matchCustom(v any, t flows.FieldType, e filter.Expr) bool {
	switch x := v.(type) {
	case string:
		if t == flows.Date {
			// A bound that is a day stands for that whole day, as for created_at.
			bound := e.Values[0]
			if len(bound) == len("2006-01-02") && len(x) > len(bound) {
				x = x[:len(bound)]
			}
			return compare(strings.Compare(x, bound), e.Op)
		}
		return filter.MatchText(x, e, false)
	case bool:
		return strconv.FormatBool(x) == e.Values[0]
	case float64, int64:
		want, _ := strconv.ParseFloat(e.Values[0], 64)
		n := float64(0)
		if i, ok := x.(int64); ok {
			n = float64(i)
		} else {
			n = x.(float64)
		}
		return compare(cmp.Compare(n, want), e.Op)
	}
	return false
}

// Matches reports whether c satisfies every expression of f.
func Matches(c *Customer, f filter.Filter) bool {
	for _, e := range f {
		if !matches(c, e) {
			return false
		}
	}
	return true
}

func matches(c *Customer, e filter.Expr) bool {
	switch e.Field {
	case "email":
		return filter.MatchText(c.Email, e, true)
	case "name":
		return filter.MatchText(c.Name, e, false)
	case "external_ref":
		return c.ExternalRef != nil && *c.ExternalRef == e.Values[0]
	case "id":
		return compare(strings.Compare(c.ID, e.Values[0]), e.Op)
	case "created_at":
		return filter.MatchTime(c.CreatedAt, e)
	case "updated_at":
		return filter.MatchTime(c.UpdatedAt, e)
	}
	if ref, ok := strings.CutPrefix(e.Field, customPrefix); ok {
		id, t, _ := strings.Cut(ref, "/")
		return matchCustom(c.Custom[id], flows.FieldType(t), e)
	}
	return false
}

func compare(c int, op filter.Op) bool {
	switch op {
	case filter.Eq:
		return c == 0
	case filter.Gt:
		return c > 0
	case filter.Ge:
		return c >= 0
	case filter.Lt:
		return c < 0
	case filter.Le:
		return c <= 0
	}
	return false
}

// Before orders customers by a sort field, then by id, ascending.
func Before(a, b *Customer, f SortField) bool {
	c := 0
	switch f {
	case SortCreatedAt:
		c = a.CreatedAt.Compare(b.CreatedAt)
	case SortUpdatedAt:
		c = a.UpdatedAt.Compare(b.UpdatedAt)
	case SortEmail:
		c = strings.Compare(EmailKey(a.Email), EmailKey(b.Email))
	case SortName:
		c = strings.Compare(a.Name, b.Name)
	}
	if c == 0 {
		c = strings.Compare(a.ID, b.ID)
	}
	return c < 0
}
