package orders

import (
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/filter"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/problem"
)

// FilterSchema is what an order list can be filtered on (the original's names), each value
// bounded by what its field can hold in bytes.
var FilterSchema = filter.Schema{
	"customer_id": {Kind: filter.String, Ops: []filter.Op{filter.Eq}, MaxLen: 36},
	"email":       {Kind: filter.Email, Ops: []filter.Op{filter.Eq, filter.Like}, MaxLen: customers.MaxEmailLen},
	"name":        {Kind: filter.String, Ops: []filter.Op{filter.Eq, filter.Like}, MaxLen: customers.MaxNameLen * 4},
	"created_at":  {Kind: filter.Time, Ops: []filter.Op{filter.Eq, filter.Gt, filter.Ge, filter.Lt, filter.Le}},
	"updated_at":  {Kind: filter.Time, Ops: []filter.Op{filter.Eq, filter.Gt, filter.Ge, filter.Lt, filter.Le}},
}

// ParseFilter parses a raw filter parameter against FilterSchema; a refused filter is a 400
// saying why.
func ParseFilter(raw string) (filter.Filter, error) {
	f, err := filter.Parse(raw, FilterSchema)
	if err != nil {
		return nil, &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: "filter",
			Detail: "could not use the filter: " + err.Error()}
	}
	for _, e := range f {
		if e.Field == "customer_id" && !id.Valid(e.Values[0]) {
			return nil, &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: "filter",
				Detail: "could not use the filter: a customer_id value must be a customer's id"}
		}
	}
	return f, nil
}

// Matches reports whether o satisfies every expression of f.
func Matches(o *Order, f filter.Filter) bool {
	for _, e := range f {
		if !matches(o, e) {
			return false
		}
	}
	return true
}

func matches(o *Order, e filter.Expr) bool {
	switch e.Field {
	case "customer_id":
		return o.Customer.ID != "" && o.Customer.ID == e.Values[0]
	case "email":
		return filter.MatchText(o.Customer.Email, e, true)
	case "name":
		return filter.MatchText(o.Customer.Name, e, false)
	case "created_at":
		return filter.MatchTime(o.CreatedAt, e)
	case "updated_at":
		return filter.MatchTime(o.UpdatedAt, e)
	}
	return false
}

// Before orders orders by creation, then by id, ascending: the only sort an order list has.
func Before(a, b *Order) bool {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c < 0
	}
	return a.ID < b.ID
}
