package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/acme/customers/pkg/api"
)

// thousands renders n with comma separators.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func (r shapeResult) rcu() string {
	if r.na != "" {
		return "—"
	}
	s := fmt.Sprintf("%.1f", r.unitsMin)
	if r.unitsMax != r.unitsMin {
		s = fmt.Sprintf("%.1f–%.1f", r.unitsMin, r.unitsMax)
	}
	if !r.read.complete() {
		s += fmt.Sprintf(" * (%.0f KiB read)", float64(r.read.bytes)/1024)
	}
	return s
}

func (r shapeResult) rowsTotal() string {
	switch {
	case r.na != "":
		return "—"
	case r.status != 200:
		return fmt.Sprintf("**%d**", r.status)
	case r.exact:
		return fmt.Sprintf("%d / %s", r.rows, thousands(r.total))
	}
	return fmt.Sprintf("%d / ≥%s", r.rows, thousands(r.total))
}

// steady reports whether two results of a shape cost the same within noise: the same
// status and calls (the number of Queries may differ by 2: a shard's stream that runs dry
// reads again, which depends on how the rows fall over the shards), and capacity within
// 1 RCU or 25%.
func steady(a, b shapeResult) bool {
	if a.na != "" || b.na != "" || a.status != b.status {
		return false
	}
	for _, op := range slices.Concat(mapsKeys(a.calls), mapsKeys(b.calls)) {
		d := a.calls[op] - b.calls[op]
		if (op == "Query" && (d > 2 || d < -2)) || (op != "Query" && d != 0) {
			return false
		}
	}
	ua, ub := a.unitsMax, b.unitsMax
	return math.Abs(ua-ub) <= max(1, 0.25*max(ua, ub))
}

func mapsKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

func (sr *scaleReport) write(p func(string, ...any)) {
	if len(sr.runs) > 0 {
		sr.writeCustomers(p)
	}
	if sr.history != nil {
		sr.history.write(p, sr.o)
	}
	if len(sr.runs) > 0 || sr.history != nil {
		sr.writeCapacity(p)
	}
	if sr.cleanup != nil {
		sr.cleanup.write(p)
	}
}

func (sr *scaleReport) writeCustomers(p func(string, ...any)) {
	o := sr.o
	ns := make([]string, len(sr.runs))
	for i, run := range sr.runs {
		ns[i] = thousands(run.n)
	}
	p("")
	p("## Scale: customer lists at %s customers", strings.Join(ns, " and "))
	p("")
	p("Each N is loaded into a fresh table (template.yaml's, on the same DynamoDB Local) as pkg/store writes customers:")
	p("the first through `store.Create`, and its item and email claim compared with the bench's own (equal, or the run")
	p("stops), the others with their email claims by BatchWriteItem, 25 items a call from %d goroutines, UnprocessedItems", o.workers)
	p("written again; the count shards are then raised to N. The customers come from a seeded generator: names from %d", len(firstNames))
	p("first and %d last names, emails first.last.N@one of %d domains (15%% typed with capitals), created_at uniform over",
		len(lastNames), len(emailDomains))
	p("the two years before the run, 40%% updated since, 15%% OIDC without a password, 30%% with an external_ref.")
	p("")
	p("| N | load time | items written | BatchWriteItem calls | items handed back unprocessed | items/s |")
	p("|--:|--:|--:|--:|--:|--:|")
	for _, run := range sr.runs {
		p("%s", loadRow(run.n, run.load, 2))
	}
	p("")
	p("(Items: two per customer, the customer and its email claim; the first customer's are written by store.Create's")
	p("transaction, which also counts it, the others by BatchWriteItem, and then 8 UpdateItem calls add the rest to the")
	p("count shards. Load time covers all of it, and the check of the first customer's items.)")
	p("")
	p("Every shape is a GET /v2/customers through the ListCustomers handler (`api.Handle` with a `testenv.Event`, a")
	p("client_credentials token, the settings cache warm, so page[limit] defaults to 25), in passes over every shape in")
	p("turn: %d untimed passes, then %d timed ones; *p50* is the median of a shape's timed calls in ms. *rows / total* is", o.warm, o.runs)
	p("what its first timed call returned: the page's rows and")
	p("meta.results.total (≥ where total_method is lower_bound). *calls* are the DynamoDB operations of one call. *RCU* is")
	p("the sum of ConsumedCapacity.CapacityUnits over the call's reads: an SDK middleware on the bench's client sets")
	p("ReturnConsumedCapacity=TOTAL on every Query, GetItem and BatchGetItem input (Initialize step) and reads the")
	p("outputs' ConsumedCapacity (Deserialize step). *read* is the items DynamoDB read for the call (ScannedCount of the")
	p("Queries, items of GetItem and BatchGetItem).")
	p("")
	var head, align strings.Builder
	head.WriteString("| shape | plan |")
	align.WriteString("|---|---|")
	for _, n := range ns {
		fmt.Fprintf(&head, " p50 ms @%s | rows / total | calls | RCU | read |", n)
		align.WriteString("--:|--:|---|--:|--:|")
	}
	if len(sr.runs) > 1 {
		head.WriteString(" constant in N? |")
		align.WriteString("---|")
	}
	p("%s", head.String())
	p("%s", align.String())
	type footnote struct{ shape, text string }
	var notConstant []footnote
	first, last := 0, len(sr.runs)-1
	for i, s := range shapes {
		var b strings.Builder
		fmt.Fprintf(&b, "| %s | %s |", s.name, s.plan)
		for _, run := range sr.runs {
			r := run.results[i]
			if r.na != "" {
				fmt.Fprintf(&b, " %s | — | — | — | — |", r.na)
				continue
			}
			fmt.Fprintf(&b, " %s | %s | %s | %s | %s |", ms(r.p50), r.rowsTotal(), formatCalls(r.calls), r.rcu(),
				thousands(r.read.items))
		}
		if len(sr.runs) > 1 {
			a, z := sr.runs[first].results[i], sr.runs[last].results[i]
			switch {
			case a.na != "" && s.deep && z.na == "":
				// Not comparable across N: compare with page 1 at the largest N instead.
				if steady(sr.runs[last].results[0], z) {
					fmt.Fprintf(&b, " yes: at %s it costs what page 1 costs |", ns[last])
				} else {
					fmt.Fprintf(&b, " **no**: at %s it costs more than page 1 |", ns[last])
					notConstant = append(notConstant, footnote{s.name, "the continuation should cost what page 1 costs"})
				}
			case steady(a, z):
				b.WriteString(" yes |")
			default:
				b.WriteString(" **no** |")
				why := "(no explanation recorded for this shape: it was expected to be constant)"
				if s.why != "" {
					why = s.why
				}
				why += fmt.Sprintf(" (read %s → %s items, %.1f → %.1f RCU)", thousands(a.read.items), thousands(z.read.items),
					a.unitsMax, z.unitsMax)
				notConstant = append(notConstant, footnote{s.name, why})
			}
		}
		p("%s", b.String())
	}
	if len(sr.runs) > 1 {
		p("")
		p("*Constant in N*: the same status and DynamoDB calls (up to 2 Queries more or fewer: a shard whose stream runs dry")
		p("before the page is full reads again, which depends on how the rows fall over the 8 shards) and RCU within 1 or 25%%,")
		p("at %s and at %s customers. Not constant, and why:", ns[first], ns[last])
		p("")
		for _, f := range notConstant {
			p("- %s: %s.", f.shape, f.text)
		}
	}
	p("")
	p("Counting: an unfiltered list's total is the count shards (the BatchGetItem), whatever N. A filtered stream list")
	p("counts its total by reading on past the page, up to countBudget = 1,000 more rows, and reports a lower bound")
	p("(total_method lower_bound, shown ≥) when that runs out: that reading is most of the *read* and *RCU* of the")
	p("filtered stream shapes above, whose page alone reads a few dozen rows (a few hundred where rows are checked one by")
	p("one: each refill of the shards reads twice as many rows as the one before). The budget is charged for the rows")
	p("fetched, and counting stops as soon as a refill reaches it, so the rows of that last refill are paid for but not")
	p("counted: a lower bound shown ≥ can be well under the matches among the *read* rows. Points plans count what they")
	p("read (exact); collect plans count every match they sorted.")
	p("")
	p("Latency: p50 is DynamoDB Local's on this machine. Where calls and RCU stay the same and p50 still grows with N (the")
	p("email points and `in(email,…)`; the like prefixes pay it too), the Query has a begins_with key condition on a")
	p("partition holding N/8 rows, and DynamoDB Local takes time in proportion to the partition for it, which DynamoDB's")
	p("read pricing does not; `eq(external_ref,…)`, a one-row partition, and `eq(id,…)`, a GetItem, stay flat. The same")
	p("row read bare from the email's GSI2 partition (p50 of 15 Queries each, after 5):")
	p("")
	p("| N | begins_with(email␟) | GSI2SK = email␟id |")
	p("|--:|--:|--:|")
	for _, run := range sr.runs {
		p("| %s | %s ms | %s ms |", thousands(run.n), ms(run.prefix), ms(run.exact))
	}
	for _, run := range sr.runs {
		for i, s := range shapes {
			r := run.results[i]
			if r.na == "" && r.status != 200 {
				p("")
				p("At %s, %s answered %d: \"%s\".", thousands(run.n), s.name, r.status, r.detail)
			}
			if r.varied {
				p("")
				p("At %s, %s: the calls or the RCU differed between timed calls (RCU %.1f–%.1f).", thousands(run.n), s.name,
					r.unitsMin, r.unitsMax)
			}
			if s.deep && r.na == "" {
				same := "the same customers as"
				if !run.deepIDs {
					same = "⚠ not the same customers as"
				}
				p("")
				p("At %s, page %d reached through links.next holds %s page %d asked for by page[offset]=%d.",
					thousands(run.n), o.cursorPage, same, o.cursorPage, o.cursorOffsets)
			}
		}
	}
}

// writeCapacity says how far DynamoDB Local reported ConsumedCapacity, and what the RCU
// columns stand for.
func (sr *scaleReport) writeCapacity(p func(string, ...any)) {
	p("")
	var cc []string
	complete := true
	for _, op := range slices.Sorted(func(yield func(string) bool) {
		for k := range sr.answered {
			if !yield(k) {
				return
			}
		}
	}) {
		cc = append(cc, fmt.Sprintf("%s %s of %s", op, thousands(sr.reported[op]), thousands(sr.answered[op])))
		complete = complete && sr.reported[op] == sr.answered[op]
	}
	p("ConsumedCapacity in DynamoDB Local's responses (responses that carried it, of all read responses of the scale")
	p("run): %s.", strings.Join(cc, ", "))
	if !complete {
		p("RCU marked * is incomplete: some of that call's reads came back without ConsumedCapacity; its *read* column")
		p("(items read) and the KiB of the read responses stand in for it.")
	}
	p("The figures follow DynamoDB's documented rule (an eventually consistent index Query: 0.5 RCU per 4 KB of the items")
	p("it read, rounded up; a strongly consistent read, a GetItem, a BatchGetItem or the order history's Query of the")
	p("table: 1 RCU per 4 KB): the unfiltered customer page is 8 Queries of a few rows at 0.5 each plus 8 count shards at")
	p("1 each. DynamoDB Local reports 0 for a Query that reads nothing (`eq(email,<missing>)`); whether DynamoDB bills a")
	p("minimum there this bench cannot tell. It is a model of the bill, not a measurement: read the RCU columns against")
	p("each other.")
}

// loadRow is a load table's row: N, then what loading took.
func loadRow(n int, l loadStats, extra int) string {
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s |", thousands(n), l.elapsed.Round(100*time.Millisecond),
		thousands(l.items+extra), thousands(l.batches), thousands(l.unprocessed),
		thousands(int(float64(l.items)/l.elapsed.Seconds())))
}

func (h *historyRun) write(p func(string, ...any), o scaleOptions) {
	n := thousands(h.n)
	p("")
	p("## Scale: a customer's order history at %s orders", n)
	p("")
	p("One customer's history, loaded into a fresh table as pkg/store keeps it: one order placed for real through the")
	p("orders service (`Checkout`, whose store.PlaceOrder transaction writes the order, its lines, the history link and")
	p("order_count), its history link compared with the bench's own (equal, or the run stops); the other %s orders", thousands(h.n-1))
	p("written as what the history read touches and nothing else: their history links (`CUSTOMER#<id>` /")
	p("`#ORDER#<created_at>␟<id>`, each a copy of its order; created over the two years before the real one, 1–4 lines")
	p("each) by BatchWriteItem, 25 a call from %d goroutines, and order_count raised to %s on the profile. Their own", o.workers, n)
	p("items (`ORDER#<id>`: the order and its lines), the staff indexes (GSI7, GSI8) and the order count shards are not")
	p("written: no history read touches them (a GET of one of those orders would be a 404, and the staff list does not")
	p("show them).")
	p("")
	p("| orders | load time | items written | BatchWriteItem calls | items handed back unprocessed | items/s |")
	p("|--:|--:|--:|--:|--:|--:|")
	p("%s", loadRow(h.n, h.load, 0))
	p("")
	p("(Load time covers the customer, the real order and the check of its link, the links and order_count; *items")
	p("written* counts the links written by BatchWriteItem.)")
	p("")
	p("Every request is a GET /v2/orders through the ListOrders handler with the customer's token (implicit access token")
	p("and `X-Moltin-Customer-Token`) and `page[limit]=%d`, except the staff row (client_credentials): %d untimed passes", historyLimit, o.warm)
	p("over the requests, then %d timed ones. Columns as in the customers' table: p50 in ms, the first timed call's rows", o.runs)
	p("and total, its DynamoDB calls, the RCU DynamoDB Local reported for them and the items they read.")
	p("")
	p("| request | p50 ms | rows / total | calls | RCU | read |")
	p("|---|--:|--:|---|--:|--:|")
	for i, r := range h.results {
		if r.na != "" {
			continue
		}
		p("| %s | %s | %s | %s | %s | %s |", h.names[i], ms(r.p50), r.rowsTotal(), formatCalls(r.calls), r.rcu(),
			thousands(r.read.items))
	}
	first, deep, offset := h.results[histFirst], h.results[histCursor], h.results[histOffset]
	verdict := "**not constant**: it costs more than page 1"
	if deep.status == first.status && math.Abs(deep.unitsMax-first.unitsMax) <= max(1, 0.25*max(deep.unitsMax, first.unitsMax)) {
		verdict = "constant: it costs what page 1 costs (within 1 RCU: the profile's GetItem alongside the Query), " +
			"whatever the number of orders before it"
	}
	same := "the same orders as"
	if !h.sameOrders {
		same = "⚠ not the same orders as"
	}
	p("")
	p("Page %s reached by following `links.next` reads %s items for %.1f RCU (%s), page 1 %s items for %.1f RCU",
		thousands(h.reached), thousands(deep.read.items), deep.unitsMax, formatCalls(deep.calls),
		thousands(first.read.items), first.unitsMax)
	p("(%s): %s.", formatCalls(first.calls), verdict)
	if offset.status == 400 {
		p("The same page by `page[offset]` alone is a 400: an offset alone is read row by row, and stops at %s.",
			thousands(api.MaxOffset))
	} else {
		p("The same page by `page[offset]` alone (%s that page reached through `links.next`) reads the %s orders", same,
			thousands((h.reached-1)*historyLimit))
		p("before it too: %s items, %.1f RCU.", thousands(offset.read.items), offset.unitsMax)
	}
	if far := h.results[histFarOffset]; far.na == "" {
		p("")
		if h.lastLink > 0 {
			p("`links.next` ends at page %s, with %s orders after it: the link to page %s would carry `page[offset]=%s`,",
				thousands(h.reached), thousands(h.n-h.lastLink), thousands(h.reached+1), thousands(h.lastLink))
			p("past the contract's maximum `page[offset]` of %s (`api.MaxOffset`; a `page[cursor]` travels with its", thousands(api.MaxOffset))
			p("offset), so the API never links past it: page %s is the deepest page a client can reach, by links or by offset,", thousands(h.reached))
			p("and the one measured.")
		} else {
			p("Page %s is the history's last page.", thousands(h.reached))
		}
		what := fmt.Sprintf("%d rows", far.rows)
		if far.detail != "" {
			what = strconv.Quote(far.detail)
		}
		p("Page %s by `page[offset]=%d` alone answers %d (%s).", thousands(historyPage), (historyPage-1)*historyLimit, far.status, what)
	}
	if staff := h.results[histStaffFilter]; staff.status != 200 {
		p("")
		p("The staff's `filter=eq(customer_id,…)` is a points plan that reads the customer's whole history to sort and page")
		p("it: at %s orders it answers %d (\"%s\").", n, staff.status, staff.detail)
	}
	for i, r := range h.results {
		if r.varied {
			p("")
			p("%s: the calls or the RCU differed between timed calls (RCU %.1f–%.1f).", h.names[i], r.unitsMin, r.unitsMax)
		}
	}
}
