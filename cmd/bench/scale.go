package main

// The scale run: customer lists against a table of N customers, for each N, through the
// ListCustomers handler, with the read capacity DynamoDB reports for each request.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/handlers"
	"github.com/acme/customers/pkg/samtemplate"
	"github.com/acme/customers/pkg/testenv"
)

// scaleOptions are the scale run's flags.
type scaleOptions struct {
	sizes         []int
	runs, warm    int
	workers       int
	cursorPage    int // the deep page reached by links.next and by page[offset]
	cursorLimit   int
	cursorOffsets int // (cursorPage-1)*cursorLimit
	orders        int // the order history's length (scalehistory.go); 0 for none
	cleanup       cleanupOptions
}

// parseSizes reads -scale: a comma-separated list of customer counts ("" for none).
func parseSizes(s string) ([]int, error) {
	var sizes []int
	for _, f := range strings.Split(s, ",") {
		f = strings.ReplaceAll(strings.TrimSpace(f), "_", "")
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 10 {
			return nil, fmt.Errorf("-scale: %q is not a customer count of 10 or more", f)
		}
		sizes = append(sizes, n)
	}
	slices.Sort(sizes)
	return slices.Compact(sizes), nil
}

// shape is one list request of the scale run.
type shape struct {
	name  string // markdown
	plan  string
	query func(d *scaleData) string
	// deep: the query is the links.next of the page before cursorPage, followed from page 1.
	deep bool
	// why the figures are not the same at every N, when they are not.
	why string
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// pick returns the customer at fraction f of d's customers (they are in no particular order).
func (d *scaleData) pick(f float64) int { return min(d.n-1, max(1, int(f*float64(d.n)))) }

func (d *scaleData) withRef(from int) int {
	for i := from; i < d.n; i++ {
		if d.customers[i].ExternalRef != nil {
			return i
		}
	}
	return slices.IndexFunc(d.customers, func(c *customers.Customer) bool { return c.ExternalRef != nil })
}

var shapes = []shape{
	{name: "unfiltered, first page (default sort `-created_at`)", plan: "stream",
		query: func(*scaleData) string { return "" }},
	{name: "unfiltered, `sort=email`", plan: "stream", query: func(*scaleData) string { return "sort=email" }},
	{name: "unfiltered, `sort=name`", plan: "stream", query: func(*scaleData) string { return "sort=name" }},
	{name: "unfiltered, `sort=-updated_at`", plan: "stream", query: func(*scaleData) string { return "sort=-updated_at" }},
	{name: "page 400 by following `links.next` (its `page[cursor]`)", plan: "stream", deep: true},
	{name: "page 400 by `page[offset]=9975&page[limit]=25` only", plan: "stream",
		query: func(*scaleData) string { return "page[offset]=9975&page[limit]=25" },
		why: "the offset is read and skipped: offset + limit + 1 rows across the shards, about 10,000 here, whatever N once N " +
			"passes that (at fewer customers: every row, and the page is empty); about 400× page 1's reads. Following " +
			"links.next (the row above) avoids it"},
	{name: "`eq(tier,gold)` (a custom field: 1 customer in 10)", plan: "stream + row checks", query: func(*scaleData) string {
		return "filter=eq(tier,gold)"
	}, why: "a custom field has no index: rows are read in the default sort and matched, about 10 per match; the total " +
		"is counted within the 1,000-row budget, a lower bound past it"},
	{name: "`eq(tier,gold)`, `gt(created_at,<a month ago>)`", plan: "stream (range) + row checks", query: func(d *scaleData) string {
		return "filter=eq(tier,gold):gt(created_at," + d.end.AddDate(0, -1, 0).Format("2006-01-02") + ")"
	}, why: "the created_at range bounds the rows read; the custom field is matched within it"},
	{name: "`eq(email,<existing>)`", plan: "points", query: func(d *scaleData) string {
		return "filter=eq(email," + d.customers[d.pick(0.5)].Email + ")"
	}},
	{name: "`eq(email,<missing>)`", plan: "points", query: func(*scaleData) string {
		return "filter=eq(email,nobody.here.0@example.com)"
	}},
	{name: "`eq(id,…)`", plan: "points", query: func(d *scaleData) string {
		return "filter=eq(id," + d.customers[d.pick(0.33)].ID + ")"
	}},
	{name: "`eq(external_ref,…)`", plan: "points", query: func(d *scaleData) string {
		return "filter=eq(external_ref," + *d.customers[d.withRef(d.pick(0.25))].ExternalRef + ")"
	}},
	{name: "`in(email,a,b,c)`", plan: "points", query: func(d *scaleData) string {
		return "filter=in(email," + d.customers[d.pick(0.2)].Email + "," + d.customers[d.pick(0.6)].Email + "," +
			d.customers[d.pick(0.9)].Email + ")"
	}},
	{name: "`gt(created_at,<30 days ago>)`, default sort", plan: "stream", query: func(d *scaleData) string {
		return "filter=gt(created_at," + day(d.end.AddDate(0, 0, -30)) + ")"
	}, why: "counting the total reads the matches past the page, up to countBudget = 1,000 rows: every match while fewer " +
		"match (an exact total), then 1,000 (a lower bound); flat once a month holds more than ~1,000 customers"},
	{name: "`ge(created_at,D):lt(created_at,D+1)`, one day, default sort", plan: "stream", query: func(d *scaleData) string {
		from := d.end.AddDate(0, 0, -100)
		return "filter=ge(created_at," + day(from) + "):lt(created_at," + day(from.AddDate(0, 0, 1)) + ")"
	}, why: "the key condition reads only that day, but counting the total reads every customer of the day (N/730) up to " +
		"countBudget = 1,000 rows: grows with N until a day holds ~1,000"},
	{name: "`like(email,john*)`, `sort=email`", plan: "stream", query: func(*scaleData) string {
		return "filter=like(email,john*)&sort=email"
	}, why: "the prefix is the key condition, so the page reads about what it returns, but counting the total reads every " +
		"match (and the capitalised emails the lower-cased index finds, which the case-sensitive like then drops) up to " +
		"countBudget = 1,000 rows: grows with N until ~1,000 match"},
	{name: "`like(name,Jo*)`, `sort=name`", plan: "stream", query: func(*scaleData) string {
		return "filter=like(name,Jo*)&sort=name"
	}, why: "as `like(email,john*)`: counting reads every name starting Jo up to countBudget = 1,000 rows, and gives a " +
		"lower bound past that"},
	{name: "`like(email,john*)`, default sort", plan: "collect", query: func(*scaleData) string {
		return "filter=like(email,john*)"
	}, why: "collect: every match is read through the email index and sorted in memory to find the newest 25, so the " +
		"reads grow with the matches (∝ N) until more than collectCap = 10,000 match, where it answers 400"},
	{name: "`like(email,j*)`, default sort (extra: a collect past its cap)", plan: "collect", query: func(*scaleData) string {
		return "filter=like(email,j*)"
	}, why: "a collect with many matches (about 1 in 7 emails starts with j): it reads them all while fewer than " +
		"collectCap = 10,000 match, and answers 400 past that (`sort=email` would page through them)"},
	{name: "`like(name,*son*)` (infix), default sort", plan: "stream + row checks", query: func(*scaleData) string {
		return "filter=like(name,*son*)"
	}, why: "no key condition: rows are read along created_at and checked one by one (within scanBudget = 10,000) until " +
		"the page is full, then the count reads countBudget = 1,000 more rows; at small N that is every row. Bounded " +
		"(it does not grow with N) once N passes ~1,500"},
	{name: "`ilike(name,*SON*)`, default sort", plan: "stream + row checks", query: func(*scaleData) string {
		return "filter=ilike(name,*SON*)"
	}, why: "as `like(name,*son*)` (ilike also matches Sonia and Sonya)"},
}

// shapeResult is one shape at one N: what the first timed call answered, its DynamoDB calls
// and what they read, and the p50 over the timed calls.
type shapeResult struct {
	na     string // why the shape was not run at this N ("" when it was)
	query  string
	status int
	rows   int
	total  int
	exact  bool
	detail string   // the error detail of a 4xx
	ids    []string // the ids returned
	p50    time.Duration
	calls  map[string]int
	read   reading
	// varied: the calls or the capacity differed between the timed calls (unitsMin..Max).
	varied             bool
	unitsMin, unitsMax float64
}

// scaleRun is one N: loading, then every shape.
type scaleRun struct {
	n       int
	load    loadStats
	results []shapeResult
	deepIDs bool // the page reached by links.next holds the same customers as the same page by offset
	// prefix and exact: p50 of one bare GSI2 Query for one customer's email, by begins_with
	// (as the store's email points do) and by equality on the whole sort key.
	prefix, exact time.Duration
}

// scaleReport is the scale section of the report.
type scaleReport struct {
	o    scaleOptions
	runs []scaleRun
	// answered and reported: read responses by operation over the whole run, and how many
	// carried ConsumedCapacity.
	answered, reported map[string]int
	env                *env        // the last table's environment (for the report's header)
	history            *historyRun // nil when the order history did not run
	cleanup            *cleanupRun // nil when the cleanup did not run
}

// listResponse is what the bench reads of a list response.
type listResponse struct {
	Data []struct {
		ID string `json:"id"`
	} `json:"data"`
	Links struct {
		Next *string `json:"next"`
	} `json:"links"`
	Meta struct {
		Results struct {
			Total       int    `json:"total"`
			TotalMethod string `json:"total_method"`
		} `json:"results"`
	} `json:"meta"`
	Errors []struct {
		Detail string `json:"detail"`
	} `json:"errors"`
}

// lister calls a list handler (ListCustomers, ListOrders) as the Lambda runtime does, on
// its route with its headers.
type lister struct {
	e       *env
	h       func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)
	route   string
	headers map[string]string
}

func (l *lister) event(query string) events.APIGatewayV2HTTPRequest {
	return testenv.Event(request{Route: l.route, Query: query, Headers: l.headers})
}

// call makes one timed request.
func (l *lister) call(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, time.Duration, error) {
	cctx, cancel := context.WithTimeout(ctx, lambdaTimeout)
	defer cancel()
	t0 := time.Now()
	out, err := l.h(cctx, ev)
	return out, time.Since(t0), err
}

func parseList(out events.APIGatewayV2HTTPResponse) (listResponse, error) {
	var lr listResponse
	if err := json.Unmarshal([]byte(out.Body), &lr); err != nil {
		return lr, fmt.Errorf("list: status %d, body %q: %w", out.StatusCode, out.Body, err)
	}
	if out.StatusCode >= 500 {
		return lr, fmt.Errorf("list: status %d: %s", out.StatusCode, out.Body)
	}
	return lr, nil
}

// get makes one request and reads its list.
func (l *lister) get(ctx context.Context, query string) (events.APIGatewayV2HTTPResponse, listResponse, error) {
	out, _, err := l.call(ctx, l.event(query))
	if err != nil {
		return out, listResponse{}, err
	}
	lr, err := parseList(out)
	return out, lr, err
}

// follow requests the first page, then its links.next, up to page or the last page a
// links.next leads to, whichever comes first; it returns the page reached and the query of
// its request as its link gives it.
func (l *lister) follow(ctx context.Context, limit, page int) (query string, reached int, err error) {
	q := "page[limit]=" + strconv.Itoa(limit)
	for p := 1; p < page; p++ {
		out, lr, err := l.get(ctx, q)
		if err != nil {
			return "", p, err
		}
		if out.StatusCode != 200 {
			return "", p, fmt.Errorf("page %d answered %d: %s", p, out.StatusCode, out.Body)
		}
		if lr.Links.Next == nil {
			return q, p, nil
		}
		_, q, _ = strings.Cut(*lr.Links.Next, "?")
	}
	return q, page, nil
}

// runScale loads each N into a fresh table and runs every shape on it, then the order
// history (scalehistory.go) when o.orders is set, then the cleanup (scalecleanup.go) when
// o.cleanup.deleted is.
func runScale(ctx context.Context, root string, tpl *samtemplate.Template, o scaleOptions) (*scaleReport, error) {
	sr := &scaleReport{o: o, answered: map[string]int{}, reported: map[string]int{}}
	for _, n := range o.sizes {
		run, err := sr.runN(ctx, root, tpl, n)
		if err != nil {
			return nil, fmt.Errorf("scale %d: %w", n, err)
		}
		sr.runs = append(sr.runs, run)
	}
	if o.orders > 0 {
		h, err := sr.runHistory(ctx, root, tpl, o.orders)
		if err != nil {
			return nil, fmt.Errorf("order history of %d: %w", o.orders, err)
		}
		sr.history = h
	}
	if o.cleanup.deleted > 0 {
		c, err := sr.runCleanup(ctx, root, tpl, o.cleanup)
		if err != nil {
			return nil, fmt.Errorf("cleanup of %d deleted customers: %w", o.cleanup.deleted, err)
		}
		sr.cleanup = c
	}
	return sr, nil
}

// tierField creates the customers flow and its field tier (a string) in the run's table,
// through the flows service, and returns the field's id.
func tierField(ctx context.Context, e *env) (string, error) {
	admin := auth.Caller{Grant: auth.ClientCredentials}
	flow, err := e.deps.Flows.CreateFlow(ctx, admin, api.Object{"type": json.RawMessage(`"flow"`),
		"name": json.RawMessage(`"Customers"`), "slug": json.RawMessage(`"customers"`)})
	if err != nil {
		return "", fmt.Errorf("scale: the customers flow: %w", err)
	}
	f, err := e.deps.Flows.CreateField(ctx, admin, api.Object{"type": json.RawMessage(`"field"`),
		"name": json.RawMessage(`"Tier"`), "slug": json.RawMessage(`"tier"`), "field_type": json.RawMessage(`"string"`),
		"relationships": json.RawMessage(`{"flow":{"data":{"type":"flow","id":"` + flow.ID + `"}}}`)})
	if err != nil {
		return "", fmt.Errorf("scale: the tier field: %w", err)
	}
	return f.ID, nil
}

func (sr *scaleReport) runN(ctx context.Context, root string, tpl *samtemplate.Template, n int) (scaleRun, error) {
	o := sr.o
	meter := newCapacity()
	e, closeEnv, err := newEnv(ctx, root, tpl, meter.install)
	if err != nil {
		return scaleRun{}, err
	}
	defer closeEnv()
	sr.env = e
	run := scaleRun{n: n}
	fmt.Fprintf(os.Stderr, "bench: scale: loading %d customers into %s (%d writers)\n", n, e.table, o.workers)
	tier, err := tierField(ctx, e)
	if err != nil {
		return run, err
	}
	d := genCustomers(n, time.Now().UTC(), e.hash, tier)
	if run.load, err = loadCustomers(ctx, e, d, o.workers); err != nil {
		return run, err
	}
	fmt.Fprintf(os.Stderr, "bench: scale: loaded %d customers (%d items) in %s\n", n, run.load.items+2,
		run.load.elapsed.Round(time.Millisecond))
	if _, err := e.deps.Settings.Current(ctx); err != nil { // a warm Lambda's settings cache
		return run, err
	}
	l := &lister{e: e, h: api.Handle("ListCustomersFunction", handlers.ListCustomers(e.deps)), route: "GET /v2/customers",
		headers: bearer(e.admin)}
	// The load is checked through the handler: the total, and one batch-written customer
	// found by email.
	for q, want := range map[string]int{"": n, "filter=eq(email," + d.customers[d.pick(0.5)].Email + ")": 1} {
		out, lr, err := l.get(ctx, q)
		if err != nil {
			return run, err
		}
		if out.StatusCode != 200 || lr.Meta.Results.Total != want {
			return run, fmt.Errorf("after loading, %q answers %d with total %d, want 200 with %d: %s", q,
				out.StatusCode, lr.Meta.Results.Total, want, out.Body)
		}
	}
	run.results = make([]shapeResult, len(shapes))
	for i, s := range shapes {
		res := &run.results[i]
		if !s.deep {
			res.query = s.query(d)
			continue
		}
		if n <= o.cursorOffsets {
			res.na = fmt.Sprintf("n/a: %d pages", (n+o.cursorLimit-1)/o.cursorLimit)
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: scale %d: following links.next to page %d\n", n, o.cursorPage)
		var reached int
		if res.query, reached, err = l.follow(ctx, o.cursorLimit, o.cursorPage); err == nil && reached < o.cursorPage {
			err = fmt.Errorf("links.next ends at page %d", reached)
		}
		if err != nil {
			return run, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	names := make([]string, len(shapes))
	ls := make([]*lister, len(shapes))
	for i, s := range shapes {
		names[i], ls[i] = s.name, l
	}
	if err := sr.passes(ctx, fmt.Sprintf("scale %d", n), meter, run.results, names, ls); err != nil {
		return run, err
	}
	if run.prefix, run.exact, err = probePrefix(ctx, e, d.customers[d.pick(0.5)]); err != nil {
		return run, err
	}
	// The page by cursor and the page by offset should be the same customers.
	for i, s := range shapes {
		if s.deep && run.results[i].na == "" && i+1 < len(run.results) {
			run.deepIDs = slices.Equal(run.results[i].ids, run.results[i+1].ids) && len(run.results[i].ids) > 0
		}
	}
	return run, nil
}

// passes calls every result's query in turn, each with its lister, so that DynamoDB
// Local's JIT and GC, and whatever else the machine does, weigh on all of them alike:
// o.warm untimed passes, then o.runs timed ones; then sets each result's p50. Results
// marked na are passed over.
func (sr *scaleReport) passes(ctx context.Context, what string, meter *capacity, results []shapeResult, names []string, ls []*lister) error {
	o := sr.o
	durs := make([][]time.Duration, len(results))
	for pass := 0; pass < o.warm+o.runs; pass++ {
		fmt.Fprintf(os.Stderr, "bench: %s: pass %d of %d over %d shapes\n", what, pass+1, o.warm+o.runs, len(results))
		for i := range results {
			res := &results[i]
			if res.na != "" {
				continue
			}
			d, err := sr.call(ctx, ls[i], meter, res, pass >= o.warm)
			if err != nil {
				return fmt.Errorf("%s: %w", names[i], err)
			}
			if pass >= o.warm {
				durs[i] = append(durs[i], d)
			}
		}
	}
	for i := range results {
		results[i].p50 = sample{durs: durs[i]}.quantile(0.5)
	}
	return nil
}

// call makes one call of res.query and records it in res when timed.
func (sr *scaleReport) call(ctx context.Context, l *lister, meter *capacity, res *shapeResult, timed bool) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	ev := l.event(res.query)
	l.e.calls.Reset()
	meter.reset()
	out, d, err := l.call(ctx, ev)
	if err != nil {
		return 0, err
	}
	calls, rd := l.e.calls.ByOp(), meter.read()
	lr, err := parseList(out)
	if err != nil {
		return 0, err
	}
	for op, k := range rd.answered {
		sr.answered[op] += k
		sr.reported[op] += rd.reported[op]
	}
	switch {
	case !timed:
	case res.calls == nil: // the first timed call
		res.status, res.rows, res.total = out.StatusCode, len(lr.Data), lr.Meta.Results.Total
		res.exact = lr.Meta.Results.TotalMethod == ""
		res.calls, res.read = calls, rd
		res.unitsMin, res.unitsMax = rd.rcu, rd.rcu
		for _, c := range lr.Data {
			res.ids = append(res.ids, c.ID)
		}
		if len(lr.Errors) > 0 {
			res.detail = lr.Errors[0].Detail
		}
	default:
		res.unitsMin, res.unitsMax = math.Min(res.unitsMin, rd.rcu), math.Max(res.unitsMax, rd.rcu)
		if !sameCalls(calls, res.calls) || rd.rcu != res.read.rcu || out.StatusCode != res.status {
			res.varied = true
		}
	}
	return d, nil
}

// probePrefix times the email points' Query (begins_with on the email's GSI2 partition)
// against the same row read by equality on its whole sort key, bare and alternating: 5
// untimed Queries of each, then 15 timed.
func probePrefix(ctx context.Context, e *env, c *customers.Customer) (prefix, exact time.Duration, err error) {
	ek := customers.EmailKey(c.Email)
	conds := [2][2]string{{"begins_with(GSI2SK, :v)", ek + "\x1f"}, {"GSI2SK = :v", ek + "\x1f" + c.ID}}
	var s [2]sample
	for i := range 20 {
		for k, cv := range conds {
			t0 := time.Now()
			out, err := e.db.Query(ctx, &dynamodb.QueryInput{TableName: &e.table, IndexName: aws.String("GSI2"),
				KeyConditionExpression:    aws.String("GSI2PK = :pk AND " + cv[0]),
				ExpressionAttributeValues: item{":pk": str(shardPart(ek)), ":v": str(cv[1])}})
			d := time.Since(t0)
			if err != nil {
				return 0, 0, err
			}
			if len(out.Items) != 1 {
				return 0, 0, fmt.Errorf("probe: %s found %d items, want 1", cv[0], len(out.Items))
			}
			if i >= 5 {
				s[k].durs = append(s[k].durs, d)
			}
		}
	}
	return s[0].quantile(0.5), s[1].quantile(0.5), nil
}
