package customers

import (
	"fmt"
	"strings"
	"time"

	"github.com/acme/customers/pkg/filter"
	"github.com/acme/customers/pkg/problem"
)

// FilterSchema is what a customer list can be filtered on (SPEC "Filtering").
var FilterSchema = filter.Schema{
	"email":        {Kind: filter.Email, Ops: []filter.Op{filter.Eq, filter.Like, filter.ILike, filter.In}},
	"name":         {Kind: filter.String, Ops: []filter.Op{filter.Eq, filter.Like, filter.ILike, filter.In}},
	"id":           {Kind: filter.String, Ops: []filter.Op{filter.Eq, filter.Gt, filter.Ge, filter.Lt, filter.Le}},
	"created_at":   {Kind: filter.Time, Ops: []filter.Op{filter.Eq, filter.Gt, filter.Ge, filter.Lt, filter.Le}},
	"updated_at":   {Kind: filter.Time, Ops: []filter.Op{filter.Eq, filter.Gt, filter.Ge, filter.Lt, filter.Le}},
	"external_ref": {Kind: filter.String, Ops: []filter.Op{filter.Eq}},
}

// filterValueLimits bounds filter values by what the field can hold (bytes): a longer value
// cannot match, and would make a key DynamoDB refuses.
var filterValueLimits = map[string]int{"email": MaxEmailLen, "name": MaxNameLen * 4, "id": 36,
	"external_ref": MaxExternalRefLen * 4}

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
			if limit, ok := filterValueLimits[e.Field]; ok && len(v) > limit {
				return nil, refuse(fmt.Sprintf("a %s value is longer than any %s can be", e.Field, e.Field))
			}
			if e.Field == "id" && v == "" {
				return nil, refuse("an id value is empty")
			}
		}
	}
	return f, nil
}

// ErrBadCursor refuses a continuation that this list did not make.
var ErrBadCursor = &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: "page[cursor]",
	Detail: "page[cursor] does not belong to this list (its sort or filter differ); follow the links as given or use page[offset]"}

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
		return matchText(c.Email, e, true)
	case "name":
		return matchText(c.Name, e, false)
	case "external_ref":
		return c.ExternalRef != nil && *c.ExternalRef == e.Values[0]
	case "id":
		return compare(strings.Compare(c.ID, e.Values[0]), e.Op)
	case "created_at":
		return matchTime(c.CreatedAt, e)
	case "updated_at":
		return matchTime(c.UpdatedAt, e)
	}
	return false
}

// matchText applies eq, in, like and ilike; eq and in on email ignore letter case.
func matchText(v string, e filter.Expr, email bool) bool {
	switch e.Op {
	case filter.Eq, filter.In:
		for _, want := range e.Values {
			if v == want || (email && strings.EqualFold(v, want)) {
				return true
			}
		}
		return false
	case filter.ILike:
		return Like(strings.ToLower(v), filter.Pattern{Text: strings.ToLower(e.Like.Text), Prefix: e.Like.Prefix, Suffix: e.Like.Suffix})
	case filter.Like:
		return Like(v, e.Like)
	}
	return false
}

// Like matches v against a like pattern: '*' at the start and/or the end of the text.
func Like(v string, p filter.Pattern) bool {
	switch {
	case p.Prefix && p.Suffix:
		return strings.Contains(v, p.Text)
	case p.Prefix:
		return strings.HasSuffix(v, p.Text)
	case p.Suffix:
		return strings.HasPrefix(v, p.Text)
	}
	return v == p.Text
}

// TimeRange is the instants a time value stands for, at the precision it was written in:
// a date is its whole day (UTC), a time without fractions its second, Unix milliseconds
// their millisecond, and fractions the digits given. eq matches the range; gt is after it,
// ge from its start, lt before its start, le up to its end.
func TimeRange(raw string, t time.Time) (from, to time.Time) {
	switch {
	case len(raw) == len("2006-01-02") && strings.Count(raw, "-") == 2:
		return t, t.Add(24 * time.Hour)
	case !strings.ContainsAny(raw, "T:"):
		return t, t.Add(time.Millisecond)
	}
	digits := 0
	if i := strings.IndexByte(raw, '.'); i >= 0 {
		for j := i + 1; j < len(raw) && raw[j] >= '0' && raw[j] <= '9'; j++ {
			digits++
		}
	}
	step := time.Second
	for ; digits > 0 && step > time.Nanosecond; digits-- {
		step /= 10
	}
	return t, t.Add(step)
}

func matchTime(v time.Time, e filter.Expr) bool {
	from, to := TimeRange(e.Values[0], e.Times[0])
	switch e.Op {
	case filter.Eq:
		return !v.Before(from) && v.Before(to)
	case filter.Gt:
		return !v.Before(to)
	case filter.Ge:
		return !v.Before(from)
	case filter.Lt:
		return v.Before(from)
	case filter.Le:
		return v.Before(to)
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
