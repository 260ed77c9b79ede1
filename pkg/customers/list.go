package customers

import (
	"strings"

	"github.com/acme/customers/pkg/filter"
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

// ParseFilter parses a raw filter parameter; a refused filter is a 400 saying why.
func ParseFilter(raw string) (filter.Filter, error) {
	refuse := func(detail string) error {
		return &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: "filter",
			Detail: "could not use the filter: " + detail}
	}
	f, err := filter.Parse(raw, FilterSchema)
	if err != nil {
		return nil, refuse(err.Error())
	}
	for _, e := range f {
		for _, v := range e.Values {
			if e.Field == "id" && v == "" {
				return nil, refuse("an id value is empty")
			}
		}
	}
	return f, nil
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
