package main

// The order history at scale: one customer with N orders (-orders, 100,000 by default), its
// history read through the ListOrders handler with its customer token at page 1 and deep
// down, by following links.next and by page[offset] alone, with the read capacity
// DynamoDB reports.
//
// A customer's history is what pkg/store keeps in the customer's partition: a link per
// order (a copy of the order item) under #ORDER#<created_at>␟<id>, just below the profile,
// and order_count on the profile. The history read touches nothing else, so only one order
// is placed for real (through the orders service: store.PlaceOrder's transaction writes the
// order, its lines, the link and the count) and its link compared with the bench's own;
// the other N−1 are written as their links alone, and order_count raised to N.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/handlers"
	"github.com/acme/customers/pkg/orders"
	"github.com/acme/customers/pkg/samtemplate"
)

// historyLimit is the history's page length; historyPage the deep page the run asks for,
// by links.next and by page[offset].
const (
	historyLimit = 25
	historyPage  = 1000
)

// historyRun is the order history at one N: loading, then every request.
type historyRun struct {
	n       int
	load    loadStats
	reached int // the last page links.next led to, up to historyPage
	// lastLink is the offset the link after page reached would have carried, when
	// links.next ended there before historyPage with orders left (0 otherwise).
	lastLink int
	names    []string // markdown, by result
	results  []shapeResult
	// sameOrders: the deep page by cursor holds the same orders as by offset.
	sameOrders bool
}

// The history's requests, by index into historyRun.results.
const (
	histFirst       = iota // page 1
	histCursor             // page reached by links.next
	histOffset             // the same page by page[offset] alone
	histFarOffset          // historyPage by page[offset] alone, when links.next ended before it
	histStaffFilter        // staff: filter=eq(customer_id,...) of the customer
	histShapes
)

// orderedID is a version 7 UUID from r for the instant t, in the form of pkg/id.NewOrdered.
func orderedID(r *rand.Rand, t time.Time) string {
	b := []byte(randomID(r))
	ms := fmt.Sprintf("%012x", t.UnixMilli())
	copy(b[0:8], ms[0:8])
	copy(b[9:13], ms[8:12])
	b[14] = '7'
	return string(b)
}

// historyOrder is an order of the generated history: the real order's customer, addresses,
// currency and statuses, made at created, with 1 to 4 lines.
func historyOrder(r *rand.Rand, real *orders.Order, i int, created time.Time) *orders.Order {
	o := *real
	o.ID, o.Lines, o.Total = orderedID(r, created), nil, 0
	o.LineIDs = make([]string, 1+r.IntN(4))
	for k := range o.LineIDs {
		o.LineIDs[k] = orderedID(r, created)
		o.Total += (1 + r.Int64N(5)) * (100 + r.Int64N(20000))
	}
	o.CartID = fmt.Sprintf("history-cart-%d", i)
	o.CreatedAt, o.UpdatedAt = created, created
	return &o
}

func strMap(m map[string]string) types.AttributeValue {
	av := make(item, len(m))
	for k, v := range m {
		av[k] = str(v)
	}
	return &types.AttributeValueMemberM{Value: av}
}

// orderLinkItem is a registered customer's order in its history as pkg/store's PlaceOrder
// stores it (a copy of the order item, without the staff indexes' keys), checked against
// one the store wrote by checkOrderLink.
func orderLinkItem(o *orders.Order) item {
	created := timeKey(o.CreatedAt)
	it := key("CUSTOMER#"+o.Customer.ID, "#ORDER#"+created+"\x1f"+o.ID)
	for k, v := range map[string]string{"type": "order_link", "id": o.ID, "customer_id": o.Customer.ID,
		"customer_name": o.Customer.Name, "customer_email": o.Customer.Email, "currency": o.Currency,
		"status": o.Status, "payment": o.Payment, "shipping": o.Fulfilment, "cart_id": o.CartID,
		"created_at": created, "updated_at": timeKey(o.UpdatedAt)} {
		it[k] = str(v)
	}
	it["billing_address"], it["shipping_address"] = strMap(o.Billing), strMap(o.Shipping)
	ids := make([]types.AttributeValue, len(o.LineIDs))
	for i, id := range o.LineIDs {
		ids[i] = str(id)
	}
	it["line_ids"] = &types.AttributeValueMemberL{Value: ids}
	it["total"], it["version"] = num(o.Total), num(o.Version)
	if o.ExternalRef != nil {
		it["external_ref"] = str(*o.ExternalRef)
	}
	if o.OrderNumber != nil {
		it["order_number"] = str(*o.OrderNumber)
	}
	return it
}

// checkOrderLink checks that orderLinkItem makes the link the store wrote for o.
func checkOrderLink(ctx context.Context, e *env, o *orders.Order) error {
	if err := checkStored(ctx, e, orderLinkItem(o), "cmd/bench/scalehistory.go"); err != nil {
		return fmt.Errorf("check order link: %w", err)
	}
	return nil
}

// loadHistory places one order for the customer through the orders service and checks its
// link, then writes n−1 more links (created over the two years before it, from a generator
// seeded with n) by batchLoad and raises the profile's order_count to n. It returns the
// customer and the real order.
func loadHistory(ctx context.Context, e *env, n, workers int) (*customers.Customer, *orders.Order, loadStats, error) {
	t0 := time.Now()
	c, err := e.customer(ctx, "history")
	if err != nil {
		return nil, nil, loadStats{}, err
	}
	real, err := e.placeOrder(ctx, c)
	if err != nil {
		return nil, nil, loadStats{}, err
	}
	if err := checkOrderLink(ctx, e, real); err != nil {
		return nil, nil, loadStats{}, err
	}
	r := rand.New(rand.NewPCG(0x0bde55, uint64(n)))
	st, err := batchLoad(ctx, e, workers, func(yield func(item) bool) {
		for i := 1; i < n; i++ {
			created := real.CreatedAt.Add(-time.Duration(1 + r.Int64N(int64(dataSpan)))).UTC()
			if !yield(orderLinkItem(historyOrder(r, real, i, created))) {
				return
			}
		}
	})
	if err != nil {
		return nil, nil, st, fmt.Errorf("load history: %w", err)
	}
	if _, err := e.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &e.table, Key: customerKey(c.ID),
		UpdateExpression:          aws.String("ADD #n :d"),
		ExpressionAttributeNames:  map[string]string{"#n": "order_count"},
		ExpressionAttributeValues: item{":d": num(int64(n - 1))},
	}); err != nil {
		return nil, nil, st, fmt.Errorf("load history: order_count: %w", err)
	}
	st.elapsed = time.Since(t0)
	return c, real, st, nil
}

// runHistory loads a customer with n orders into a fresh table and reads its history.
func (sr *scaleReport) runHistory(ctx context.Context, root string, tpl *samtemplate.Template, n int) (*historyRun, error) {
	meter := newCapacity()
	e, closeEnv, err := newEnv(ctx, root, tpl, meter.install)
	if err != nil {
		return nil, err
	}
	defer closeEnv()
	sr.env = e
	if _, err := e.deps.Settings.Current(ctx); err != nil { // a warm Lambda's settings cache
		return nil, err
	}
	run := &historyRun{n: n}
	fmt.Fprintf(os.Stderr, "bench: order history: loading a customer with %d orders into %s (%d writers)\n", n, e.table, sr.o.workers)
	c, real, st, err := loadHistory(ctx, e, n, sr.o.workers)
	if err != nil {
		return nil, err
	}
	run.load = st
	fmt.Fprintf(os.Stderr, "bench: order history: loaded %d links in %s\n", st.items, st.elapsed.Round(time.Millisecond))
	h := api.Handle("ListOrdersFunction", handlers.ListOrders(e.deps))
	headers, err := e.asCustomer(ctx, c)
	if err != nil {
		return nil, err
	}
	own := &lister{e: e, h: h, route: "GET /v2/orders", headers: headers}
	staff := &lister{e: e, h: h, route: "GET /v2/orders", headers: bearer(e.admin)}

	// The load is checked through the handler: the total, and the real order first.
	first := fmt.Sprintf("page[limit]=%d", historyLimit)
	out, lr, err := own.get(ctx, first)
	if err != nil {
		return nil, err
	}
	if out.StatusCode != 200 || lr.Meta.Results.Total != n || len(lr.Data) != min(n, historyLimit) || lr.Data[0].ID != real.ID {
		return nil, fmt.Errorf("after loading, page 1 answers %d with total %d and %d orders, want 200 with %d, the newest %s first: %s",
			out.StatusCode, lr.Meta.Results.Total, len(lr.Data), n, real.ID, out.Body)
	}

	fmt.Fprintf(os.Stderr, "bench: order history: following links.next to page %d\n", historyPage)
	deep, reached, err := own.follow(ctx, historyLimit, historyPage)
	if err != nil {
		return nil, err
	}
	run.reached = reached
	if reached < historyPage && reached*historyLimit < n {
		run.lastLink = reached * historyLimit // orders remain, and no link leads to them
	}
	offset := (reached - 1) * historyLimit
	run.names = make([]string, histShapes)
	run.results = make([]shapeResult, histShapes)
	ls := make([]*lister, histShapes)
	for i, s := range []struct {
		name  string
		query string
		l     *lister
	}{
		histFirst:  {"page 1", first, own},
		histCursor: {fmt.Sprintf("page %s by following `links.next` (its `page[cursor]`)", thousands(reached)), deep, own},
		histOffset: {fmt.Sprintf("page %s by `page[offset]=%d` alone", thousands(reached), offset),
			fmt.Sprintf("page[offset]=%d&%s", offset, first), own},
		histFarOffset: {fmt.Sprintf("page %s by `page[offset]=%d` alone", thousands(historyPage), (historyPage-1)*historyLimit),
			fmt.Sprintf("page[offset]=%d&%s", (historyPage-1)*historyLimit, first), own},
		histStaffFilter: {"(extra) staff, client_credentials: `filter=eq(customer_id,…)`, page 1",
			fmt.Sprintf("filter=eq(customer_id,%s)&%s", real.Customer.ID, first), staff},
	} {
		run.names[i], run.results[i].query, ls[i] = s.name, s.query, s.l
	}
	if reached == historyPage {
		run.results[histFarOffset].na = "n/a" // the deep page is historyPage already
	}
	if err := sr.passes(ctx, "order history", meter, run.results, run.names, ls); err != nil {
		return nil, err
	}
	a, b := run.results[histCursor], run.results[histOffset]
	run.sameOrders = len(a.ids) > 0 && slices.Equal(a.ids, b.ids)
	return run, nil
}
