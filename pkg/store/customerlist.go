package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/filter"
)

// customerList is the customers' descriptor for the list engine (list.go): their five
// sort indexes on the write shards' partitions C#<s>, and the filters that name customers
// outright.
var customerList = &listSpec[*customers.Customer]{
	name: "customers",
	part: customersPart,
	// In the order a collect plan prefers them.
	fields: []listField{
		{string(customers.SortCreatedAt), gsi(indexCreated), timeBounds},
		{string(customers.SortUpdatedAt), gsi(indexUpdated), timeBounds},
		{string(customers.SortID), gsi(indexID), idBounds},
		{string(customers.SortEmail), gsi(indexEmail), textBounds(customers.EmailKey)},
		{string(customers.SortName), gsi(indexName), textBounds(nil)},
	},
	key: customerKey,
	decode: func(item map[string]types.AttributeValue) (*customers.Customer, error) {
		var it customerItem
		err := attributevalue.UnmarshalMap(item, &it)
		return it.customer(), err
	},
	id:   func(c *customers.Customer) string { return c.ID },
	live: func(c *customers.Customer) bool { return !c.Deleted },
	before: func(a, b *customers.Customer, sort string) bool {
		return customers.Before(a, b, customers.SortField(sort))
	},
	matches: customers.Matches,
	points:  customerPoints,
	counter: countCustomers,
	crowded: "; add a range on created_at to narrow it",
}

// customerPoints finds expressions that name customers outright: eq(id) is a GetItem;
// eq(email), in(email) and an exact like or ilike on email one Query each, on the one shard
// of the email index the email hashes to; eq(external_ref) a Query of its GSI6 partition
// (external_ref is not unique).
func customerPoints(f filter.Filter) ([]pointRead, bool) {
	for _, kind := range []string{"id", "email", "external_ref"} {
		for _, e := range f {
			if e.Field != kind {
				continue
			}
			values := e.Values
			switch {
			case kind == "email" && (e.Op == filter.Like || e.Op == filter.ILike) && !e.Like.Prefix && !e.Like.Suffix:
				values = []string{e.Like.Text}
			case kind == "id" && e.Op == filter.Eq, kind == "email" && (e.Op == filter.Eq || e.Op == filter.In),
				kind == "external_ref":
			default:
				continue
			}
			reads := make([]pointRead, len(values))
			for i, v := range values {
				switch kind {
				case "id":
					k := customerKey(v)
					reads[i] = pointRead{get: &k}
				case "email":
					ek := customers.EmailKey(v)
					reads[i] = pointRead{r: keyRange{index: gsi(indexEmail), prefix: ek + sep}, part: emailPart(ek)}
				case "external_ref":
					reads[i] = pointRead{r: keyRange{index: gsi(indexXref)}, part: xrefPart(v)}
				}
			}
			return reads, true
		}
	}
	return nil, false
}

// List implements customers.Store.
func (s *Store) List(ctx context.Context, q customers.ListQuery) (customers.ListResult, error) {
	p, err := customerList.list(ctx, s, listQuery{sort: string(q.Sort), desc: q.Desc, limit: q.Limit, offset: q.Offset,
		filter: q.Filter, cursor: q.Cursor})
	return customers.ListResult{Customers: p.items, Total: p.total, TotalExact: p.exact, Next: p.next}, err
}
