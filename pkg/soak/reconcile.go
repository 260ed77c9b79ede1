package soak

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Check is one line of the reconciliation: what was checked, how many things were, and
// each violation found.
type Check struct {
	Name       string
	Checked    int
	Violations []string
	// Info checks report without failing the run.
	Info bool
}

func (c *Check) fail(format string, args ...any) {
	c.Violations = append(c.Violations, fmt.Sprintf(format, args...))
}

// OK reports whether the check holds (an Info check always does).
func (c *Check) OK() bool { return c.Info || len(c.Violations) == 0 }

// table is the table as the reconciliation reads it, by the key schema (README, "Key
// schema"): items by kind.
type table struct {
	customers map[string]item            // live customer profiles by id
	deleted   map[string]item            // tombstones by id
	addresses map[string]map[string]item // customer id -> address id -> item
	links     map[string]map[string]item // customer id -> order id -> history link
	claims    map[string]item            // email key -> claim
	orders    map[string]item            // by id
	lines     map[string]item            // order id -> its lines item
	carts     map[string]item            // cart id -> cart item
	counts    map[string]int64           // "customers", "orders": the shards' sum
	keys      []item                     // idempotency records
	all       []item                     // every item
	items     int
}

type item map[string]any

func (it item) str(k string) string { s, _ := it[k].(string); return s }
func (it item) num(k string) int64 {
	f, _ := it[k].(float64)
	return int64(f)
}

func emptyTable() *table {
	return &table{customers: map[string]item{}, deleted: map[string]item{}, addresses: map[string]map[string]item{},
		links: map[string]map[string]item{}, claims: map[string]item{}, orders: map[string]item{}, lines: map[string]item{},
		carts: map[string]item{}, counts: map[string]int64{}}
}

// scan reads the whole table with consistent reads.
func scan(ctx context.Context, db *dynamodb.Client, name string) (*table, error) {
	t := emptyTable()
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(name), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, av := range page.Items {
			var it item
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, err
			}
			t.add(it)
		}
	}
	return t, nil
}

func (t *table) add(it item) {
	t.items++
	t.all = append(t.all, it)
	pk, sk := it.str("PK"), it.str("SK")
	sub := func(m map[string]map[string]item, k string) map[string]item {
		if m[k] == nil {
			m[k] = map[string]item{}
		}
		return m[k]
	}
	switch {
	case strings.HasPrefix(pk, "CUSTOMER#"):
		id := strings.TrimPrefix(pk, "CUSTOMER#")
		switch {
		case sk == "#PROFILE" && it.str("deleted_at") != "":
			t.deleted[id] = it
		case sk == "#PROFILE":
			t.customers[id] = it
		case strings.HasPrefix(sk, "ADDRESS#"):
			sub(t.addresses, id)[strings.TrimPrefix(sk, "ADDRESS#")] = it
		case strings.HasPrefix(sk, "#ORDER#"):
			sub(t.links, id)[it.str("id")] = it
		}
	case strings.HasPrefix(pk, "EMAIL#"):
		t.claims[strings.TrimPrefix(pk, "EMAIL#")] = it
	case strings.HasPrefix(pk, "ORDER#") && sk == "ORDER":
		t.orders[strings.TrimPrefix(pk, "ORDER#")] = it
	case strings.HasPrefix(pk, "ORDER#") && sk == "LINES":
		t.lines[strings.TrimPrefix(pk, "ORDER#")] = it
	case strings.HasPrefix(pk, "CART#"):
		t.carts[strings.TrimPrefix(pk, "CART#")] = it
	case strings.HasPrefix(pk, "COUNT#customers#"):
		t.counts["customers"] += it.num("count")
	case strings.HasPrefix(pk, "COUNT#orders#"):
		t.counts["orders"] += it.num("count")
	case strings.HasPrefix(pk, "IDEMPOTENCY#"):
		t.keys = append(t.keys, it)
	}
}

// customerValuesOf reads what the workload writes of a customer item.
func customerValuesOf(it item) customerValues {
	v := customerValues{Name: it.str("name"), Email: it.str("email")}
	if s, ok := it["external_ref"].(string); ok {
		v.ExternalRef = &s
	}
	return v
}

// reconcile checks the table (and the API's totals, through a) against the ledger, then the
// table's own invariants (Consistency).
func reconcile(ctx context.Context, db *dynamodb.Client, tableName string, a *api, staff string, led *ledger) ([]*Check, *table, error) {
	t, err := scan(ctx, db, tableName)
	if err != nil {
		return nil, nil, err
	}
	var checks []*Check
	add := func(c ...*Check) { checks = append(checks, c...) }

	// Customers: every acknowledged one is there, live, with its last acknowledged values,
	// but those deleted (their erasure is checked below).
	known, gone := map[string]*customerRec{}, erasedCustomers(t, led)
	lost := &Check{Name: "acknowledged customers present, with their last acknowledged values (0 lost)"}
	for _, cu := range led.Customers {
		known[cu.ID] = cu
		if gone[cu.ID] {
			continue
		}
		lost.Checked++
		it, ok := t.customers[cu.ID]
		switch {
		case !ok && t.deleted[cu.ID] != nil:
			lost.fail("customer %s (%s) is deleted", cu.ID, cu.Acked.Email)
		case !ok:
			lost.fail("customer %s (%s) is missing", cu.ID, cu.Acked.Email)
		case !slices.ContainsFunc(cu.possible(), customerValuesOf(it).equal):
			lost.fail("customer %s holds %+v; last acknowledged %+v", cu.ID, customerValuesOf(it), cu.Acked)
		}
	}
	add(lost)

	// No customer nobody was told of (except sign-ups left unanswered); one per email is
	// Consistency's.
	phantom := &Check{Name: "no customer but the acknowledged sign-ups and the unanswered ones (no keyed retry made a second)"}
	unsure := map[string]bool{}
	for _, s := range led.UnsureSignups {
		unsure[strings.ToLower(s.Email)] = true
	}
	extra := 0
	for id, it := range t.customers {
		phantom.Checked++
		if known[id] == nil {
			if unsure[it.str("email_key")] {
				extra++
			} else {
				phantom.fail("customer %s (%s) is no acknowledged sign-up's, and no unanswered one's", id, it.str("email"))
			}
		}
	}
	add(phantom)
	add(&Check{Name: fmt.Sprintf("unanswered sign-ups (%d) that were written (%d): neither lost nor acknowledged", len(led.UnsureSignups), extra), Info: true})

	// The API's total is the live customers.
	total := &Check{Name: "customers' total: the API's meta.results.total = live customers in the table", Checked: 1}
	r := request{route: "GET /v2/customers", method: http.MethodGet, path: "/v2/customers", query: url.Values{"page[limit]": {"1"}},
		bearer: staff, ok: []int{http.StatusOK}}
	res := a.send(r)
	var list struct{ Meta listMeta }
	if res.status != http.StatusOK || !a.decode(r, res, &list) {
		total.fail("GET /v2/customers answered %d: %s", res.status, snippet(res.body))
	} else if list.Meta.Results.Total != len(t.customers) {
		total.fail("the API reports %d customers, the table has %d", list.Meta.Results.Total, len(t.customers))
	}
	add(total)
	add(reconcileAddresses(t, a, staff, led, known, gone))
	add(reconcileOrders(t, led, known))
	add(reconcileErasure(t, led, gone)...)
	add(Consistency(t)...)

	stuck := &Check{Name: "idempotency records whose answer was never stored (a retry with their key gets 409 until they expire)", Info: true}
	for _, k := range t.keys {
		stuck.Checked++
		if done, _ := k["done"].(bool); !done {
			stuck.fail("%s (created %s)", k.str("PK"), k.str("created_at"))
		}
	}
	add(stuck)
	return checks, t, nil
}

// Consistency checks what must hold between the table's items whatever was written:
// nothing half-written, and counts that agree with what they count.
func Consistency(t *table) []*Check {
	claims := &Check{Name: "one live customer per email; email claims and customers agree (nothing half-written)"}
	byEmail := map[string][]string{}
	for id, it := range t.customers {
		claims.Checked++
		byEmail[it.str("email_key")] = append(byEmail[it.str("email_key")], id)
		cl, ok := t.claims[it.str("email_key")]
		switch {
		case !ok:
			claims.fail("customer %s has no claim on %s", id, it.str("email_key"))
		case cl.str("customer_id") != id:
			claims.fail("the claim on %s names %s, customer %s holds that email", it.str("email_key"), cl.str("customer_id"), id)
		}
	}
	for email, ids := range byEmail {
		if len(ids) > 1 {
			sort.Strings(ids)
			claims.fail("email %s has %d live customers: %v", email, len(ids), ids)
		}
	}
	for email, cl := range t.claims {
		claims.Checked++
		if cu, ok := t.customers[cl.str("customer_id")]; !ok || cu.str("email_key") != email {
			claims.fail("the claim on %s names %s, which is not a live customer with that email", email, cl.str("customer_id"))
		}
	}

	customers := &Check{Name: "customer count shards = live customers; each customer's address_count = its addresses", Checked: 1 + len(t.customers)}
	if n := int64(len(t.customers)); t.counts["customers"] != n {
		customers.fail("count shards add up to %d, the table has %d live customers", t.counts["customers"], n)
	}
	for id, it := range t.customers {
		if n := it.num("address_count"); n != int64(len(t.addresses[id])) {
			customers.fail("customer %s: address_count %d, %d addresses", id, n, len(t.addresses[id]))
		}
	}
	for cid, as := range t.addresses {
		if t.customers[cid] == nil {
			customers.fail("customer %s has %d addresses and no live profile", cid, len(as))
		}
	}

	orders := &Check{Name: "order count shards = orders; one order per cart, each with its lines; each customer's order_count = its history links = its orders"}
	orders.Checked = 1 + len(t.orders) + len(t.customers)
	if n := int64(len(t.orders)); t.counts["orders"] != n {
		orders.fail("order count shards add up to %d, the table has %d orders", t.counts["orders"], n)
	}
	byCart := map[string][]string{}
	for id, it := range t.orders {
		byCart[it.str("cart_id")] = append(byCart[it.str("cart_id")], id)
		if _, ok := t.lines[id]; !ok {
			orders.fail("order %s has no lines item", id)
		}
		// The erasure redacts a customer's orders, then deletes the links to them: a redacted
		// order has none, and is no live customer's.
		cid, redacted := it.str("customer_id"), it.str("redacted_at") != ""
		switch {
		case cid != "" && !redacted && t.links[cid][id] == nil:
			orders.fail("order %s of %s is not in its customer's history", id, cid)
		case redacted && t.customers[cid] != nil:
			orders.fail("order %s of live customer %s is redacted", id, cid)
		}
	}
	for cart, ids := range byCart {
		if len(ids) > 1 {
			sort.Strings(ids)
			orders.fail("cart %s has %d orders: %v", cart, len(ids), ids)
		}
	}
	for cid, ls := range t.links {
		for oid := range ls {
			if t.orders[oid] == nil {
				orders.fail("customer %s's history links order %s, which does not exist", cid, oid)
			}
		}
	}
	for id, it := range t.customers {
		if n := it.num("order_count"); n != int64(len(t.links[id])) {
			orders.fail("customer %s: order_count %d, %d history links", id, n, len(t.links[id]))
		}
	}

	carts := &Check{Name: "carts in the table: line count n = lines"}
	for id, it := range t.carts {
		carts.Checked++
		lines := 0
		for k := range it {
			if strings.HasPrefix(k, "line:") {
				lines++
			}
		}
		if it.num("n") != int64(lines) {
			carts.fail("cart %s: n = %d, %d lines (version %d)", id, it.num("n"), lines, it.num("version"))
		}
	}
	return []*Check{claims, customers, orders, carts}
}

// reconcileAddresses checks every acknowledged address, duplicates by marker, and the API's
// list totals against the table and the ledger.
func reconcileAddresses(t *table, a *api, staff string, led *ledger, known map[string]*customerRec, gone map[string]bool) *Check {
	c := &Check{Name: "addresses: acknowledged ones present with their values, deleted ones gone, no duplicates; API total = table = acknowledged"}
	var live []*customerRec // erased customers' addresses are reconcileErasure's
	for _, cu := range led.Customers {
		if !gone[cu.ID] {
			live = append(live, cu)
		}
	}
	for _, cu := range live {
		for _, ad := range cu.Addresses {
			c.Checked++
			it, ok := t.addresses[cu.ID][ad.ID]
			switch {
			case ad.Deleted && ok:
				c.fail("address %s of %s was deleted (acknowledged) and is there", ad.ID, cu.ID)
			case ad.Deleted || ad.DeleteUnsure:
			case !ok:
				c.fail("address %s of %s is missing", ad.ID, cu.ID)
			default:
				fields, _ := it["fields"].(map[string]any)
				if !slices.ContainsFunc(ad.possible(), addressDoc(fields).matches) {
					c.fail("address %s of %s holds %v; last acknowledged %v", ad.ID, cu.ID, fields, ad.Acked)
				}
			}
		}
	}
	for cid, as := range t.addresses {
		cu := known[cid]
		seen := map[string]string{}
		for id, it := range as {
			fields, _ := it["fields"].(map[string]any)
			m, _ := fields["name"].(string)
			if other, ok := seen[m]; ok {
				c.fail("addresses %s and %s of %s are one create's (%q)", other, id, cid, m)
			}
			seen[m] = id
			if cu != nil && cu.Addresses[id] == nil && !cu.addrUnsure {
				c.fail("address %s of %s (%q) is no acknowledged create's, and none went unanswered", id, cid, m)
			}
		}
	}
	// The API's totals, for every live customer of the ledger.
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, cu := range live {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := request{route: "GET /v2/customers/{customerId}/addresses", method: http.MethodGet, path: "/v2/customers/" + cu.ID + "/addresses",
				query: url.Values{"page[limit]": {"100"}}, bearer: staff, ok: []int{http.StatusOK}}
			res := a.send(r)
			var d struct{ Meta listMeta }
			mu.Lock()
			defer mu.Unlock()
			switch {
			case res.status != http.StatusOK || !a.decode(r, res, &d):
				c.fail("GET addresses of %s: %d %s", cu.ID, res.status, snippet(res.body))
			case d.Meta.Results.Total != len(t.addresses[cu.ID]):
				c.fail("the API reports %d addresses for %s, the table has %d", d.Meta.Results.Total, cu.ID, len(t.addresses[cu.ID]))
			case !cu.addrUnsure && d.Meta.Results.Total != cu.liveAddresses():
				c.fail("%s has %d addresses, %d acknowledged", cu.ID, d.Meta.Results.Total, cu.liveAddresses())
			}
		}()
	}
	wg.Wait()
	return c
}

// reconcileOrders checks every acknowledged checkout's order, and that no order is
// unaccounted for.
func reconcileOrders(t *table, led *ledger, known map[string]*customerRec) *Check {
	c := &Check{Name: "orders: acknowledged ones present (total, lines, cart, customer, payment), their carts gone; none unaccounted for; carts left as the client last read them"}
	acked := map[string]bool{}
	for _, o := range led.Orders {
		acked[o.ID] = true
		c.Checked++
		it, ok := t.orders[o.ID]
		if !ok {
			c.fail("order %s (cart %s) is missing", o.ID, o.CartID)
			continue
		}
		lines, _ := t.lines[o.ID]["lines"].([]any)
		if it.num("total") != o.Total || it.str("cart_id") != o.CartID || it.str("customer_id") != o.CustomerID || len(lines) != o.Lines {
			c.fail("order %s: total %d, cart %s, customer %q, %d lines; acknowledged %d, %s, %q, %d",
				o.ID, it.num("total"), it.str("cart_id"), it.str("customer_id"), len(lines), o.Total, o.CartID, o.CustomerID, o.Lines)
		}
		if paid := it.str("payment") == "paid"; (o.Paid && !paid) || (paid && !o.Paid && !o.PaidUnsure) {
			c.fail("order %s: payment %s, acknowledged paid %v", o.ID, it.str("payment"), o.Paid)
		}
		if _, ok := t.carts[o.CartID]; ok {
			c.fail("cart %s is still there after its checkout (order %s)", o.CartID, o.ID)
		}
	}
	unsure := map[string]bool{}
	for _, cart := range led.UnsureCheckouts {
		unsure[cart] = true
	}
	for id, it := range t.orders {
		if !acked[id] && !unsure[it.str("cart_id")] {
			c.fail("order %s (cart %s) is no acknowledged checkout's, and none went unanswered", id, it.str("cart_id"))
		}
	}
	for cart, n := range led.Carts {
		if n < 0 {
			continue // a step on it went unanswered
		}
		c.Checked++
		lines := 0
		for k := range t.carts[cart] {
			if strings.HasPrefix(k, "line:") {
				lines++
			}
		}
		if lines != n {
			c.fail("cart %s, left without a checkout, has %d lines; the client last read %d", cart, lines, n)
		}
	}
	for id := range t.customers {
		if cu := known[id]; cu != nil && !cu.orderUnsure && len(cu.Orders) != len(t.links[id]) {
			c.fail("customer %s: %d orders in its history, %d acknowledged", id, len(t.links[id]), len(cu.Orders))
		}
	}
	return c
}

// CheckTable reads the table (consistently) and runs Consistency on it.
func CheckTable(ctx context.Context, db *dynamodb.Client, name string) ([]*Check, error) {
	t, err := scan(ctx, db, name)
	if err != nil {
		return nil, err
	}
	return Consistency(t), nil
}
