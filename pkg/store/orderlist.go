package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/filter"
	"github.com/acme/customers/pkg/orders"
)

// orderList is the orders' descriptor for the list engine (list.go): the staff's list of
// every order, sorted by created_at (GSI7), with email on GSI8, both on the write shards'
// partitions O#<s>; eq(customer_id) reads that customer's history links.
var orderList = &listSpec[*orders.Order]{
	name: "orders",
	part: ordersPart,
	fields: []listField{
		{"created_at", gsi(indexOrdersCreated), timeBounds},
		{"email", gsi(indexOrdersEmail), textBounds(customers.EmailKey)},
	},
	key: orderKey,
	decode: func(item map[string]types.AttributeValue) (*orders.Order, error) {
		var it orderItem
		err := attributevalue.UnmarshalMap(item, &it)
		return it.order(), err
	},
	id:      func(o *orders.Order) string { return o.ID },
	live:    func(*orders.Order) bool { return true },
	before:  func(a, b *orders.Order, _ string) bool { return orders.Before(a, b) },
	matches: orders.Matches,
	points:  orderPoints,
	counter: countOrders,
	crowded: "; add a range on created_at to narrow it",
}

// orderPoints: eq(customer_id) is one Query of that customer's history links (a copy of
// each order, in the customer's partition) and, in parallel, one of its redacted orders on
// GSI8 (there once the cleanup erased the customer and its links; erase.go); eq(email) one
// Query of its GSI8 shard.
func orderPoints(f filter.Filter) ([]pointRead, bool) {
	for _, e := range f {
		switch {
		case e.Field == "customer_id":
			return []pointRead{
				{r: keyRange{index: baseTable, prefix: prefixOrderLink}, part: customerKey(e.Values[0]).PK},
				{r: keyRange{index: gsi(indexOrdersEmail), prefix: redactedSortKey(e.Values[0], "")}, part: redactedPart()},
			}, true
		case e.Field == "email" && e.Op == filter.Eq:
			ek := customers.EmailKey(e.Values[0])
			return []pointRead{{r: keyRange{index: gsi(indexOrdersEmail), prefix: ek + sep}, part: ordersPart(shardOf(ek))}}, true
		}
	}
	return nil, false
}

// ListOrders implements orders.Store.
func (s *Store) ListOrders(ctx context.Context, q orders.StaffQuery) (orders.Page, error) {
	p, err := orderList.list(ctx, s, listQuery{sort: "created_at", desc: q.Desc, limit: q.Limit, offset: q.Offset,
		filter: q.Filter, cursor: q.Cursor})
	return orders.Page{Orders: p.items, Total: p.total, Exact: p.exact, Next: p.next}, err
}
