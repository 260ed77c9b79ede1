package orders

import (
	"github.com/acme/customers/pkg/filter"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/problem"
)

// FilterSchema is what an order list can be filtered on (the original's names).
var FilterSchema = filter.Schema{
	"customer_id": {Kind: filter.String, Ops: []filter.Op{filter.Eq}},
	"email":       {Kind: filter.Email, Ops: []filter.Op{filter.Eq, filter.Like}},
	"name":        {Kind: filter.String, Ops: []filter.Op{filter.Eq, filter.Like}},
	"created_at":  {Kind: filter.Time, Ops: []filter.Op{filter.Eq, filter.Gt, filter.Ge, filter.Lt, filter.Le}},
	"updated_at":  {Kind: filter.Time, Ops: []filter.Op{filter.Eq, filter.Gt, filter.Ge, filter.Lt, filter.Le}},
}

// ErrStaffList refuses a staff order list that does not name its customer: only one
// customer's history can be listed so far.
var ErrStaffList = &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: "filter",
	Detail: "with a client_credentials token, list one customer's orders: filter=eq(customer_id,<id>)"}

// CustomerFilter reads the one customer a staff order list names (filter=eq(customer_id,..)).
func CustomerFilter(raw string, present bool) (string, error) {
	if !present {
		return "", ErrStaffList
	}
	f, err := filter.Parse(raw, FilterSchema)
	if err != nil {
		return "", &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: "filter",
			Detail: "could not use the filter: " + err.Error()}
	}
	if len(f) != 1 || f[0].Field != "customer_id" || !id.Valid(f[0].Values[0]) {
		return "", ErrStaffList
	}
	return f[0].Values[0], nil
}
