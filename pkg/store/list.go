package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/filter"
	"github.com/acme/customers/pkg/problem"
	"github.com/acme/customers/pkg/safe"
)

// The list engine: how a filtered, sorted, paged list of a resource is read from the table,
// whatever the resource. A resource plugs in with a listSpec (customers: customerList, in
// customerlist.go) and calls its list method. The engine stays in package store, not a
// package of its own, because it makes DynamoDB calls and reads key patterns, which this
// package alone does (DESIGN.md), and it uses the store's client, cursor key and budgets.
//
// To list another resource (orders): give its items index keys on partitions of their own
// per write shard, and count shards (keys.go, counts.go); write its listSpec (its partition
// per shard; its indexed fields, each with the bound its keys take: timeBounds, idBounds or
// textBounds; its item key, decode, id, live, order, matcher, point reads and counter); and
// call spec.list from its Store method with its query, returning its result.
// customerlist.go is the full example; the widgets of list_internal_test.go the smallest.
//
// Every list ends up as one of three plans:
//
//   - points: the filter names values outright (customers: eq(id), eq/in(email),
//     eq(external_ref)): read those few (the resource's pointReads: GetItems, or Queries of
//     one partition each), then filter, sort and page them in memory.
//   - stream: read the sort field's index, every shard's sorted partition merged into one
//     sorted stream, with the filter's range or prefix on that field as the key condition,
//     so a page reads about what it returns. Other expressions are checked on each row
//     read, within a read budget. A continuation (page[cursor]) records where every shard
//     stopped, so page 400 costs what page 1 costs.
//   - collect: the filter has a range or prefix on another indexed field than the sort:
//     read its matches through that field's index (at most collectCap), sort them in
//     memory, page.
const (
	// scanBudget bounds the rows one request reads to fill a page when expressions must be
	// checked row by row (infix like, ilike, in on names).
	scanBudget = 10000
	// countBudget bounds the rows read past the page to count a filtered list; past it the
	// total is a lower bound.
	countBudget = 1000
	// collectCap bounds the matches a collect plan sorts in memory.
	collectCap = 10000
)

// listBudgets are a store's scanBudget and countBudget.
type listBudgets struct{ scan, count int }

// listSpec describes a resource to the list engine: where its rows are, and how its values
// are read, ordered and matched. T is the resource's domain value (*customers.Customer).
type listSpec[T any] struct {
	// name is the resource, plural, for errors ("too many customers to examine") and logs.
	name string
	// part is the index partition of write shard n (customers: C#<n>). Every index a list
	// streams spreads the resource's rows over these partitions, each sorted by
	// <value>␟<id> (sortKey; a time value is its timeKey) or by <id> alone.
	part func(shard int) string
	// fields are the fields with an index, in the order a collect plan prefers them; a list
	// may be sorted by any of them (which it offers is the handler's choice).
	fields []listField
	// key is the table key of the item with id: a cursor resumes a partition after a row,
	// and DynamoDB's ExclusiveStartKey names that row by its table key too.
	key func(id string) key
	// decode reads a row of the table or of an index (which must project what it needs).
	decode func(item map[string]types.AttributeValue) (T, error)
	// id is a value's id (a points plan shows a value once, however many reads find it);
	// live is false for a value a read may find but a list must not show (a deleted one).
	id   func(T) string
	live func(T) bool
	// before orders values by a sort field, then by id, ascending, as the indexes do: the
	// in-memory sort of the points and collect plans.
	before func(a, b T, sort string) bool
	// matches reports whether a value satisfies every expression of a filter.
	matches func(T, filter.Filter) bool
	// points returns the reads that find every value a filter can match when the filter
	// names them outright, and false otherwise.
	points func(filter.Filter) ([]pointRead, bool)
	// counter names the resource's count shards (countKey, counts.go): the unfiltered total
	// is their sum.
	counter string
	// crowded ends the 400 of a point Query that finds more than collectCap rows (advice).
	crowded string
}

// listField is a field with an index: a list may be sorted by it, and a filter's expressions
// on it may bound the index's sort keys.
type listField struct {
	name  string
	index index
	// bound narrows r by one expression on the field and reports whether it did (timeBounds,
	// idBounds, textBounds); nil when no expression gives a key condition.
	bound func(r *keyRange, e filter.Expr) bool
}

// index is what a list reads: an index's name ("" for the table itself) and key attributes.
type index struct{ name, pk, sk string }

// gsi is a global secondary index of template.yaml, keyed by <name>PK and <name>SK.
func gsi(name string) index { return index{name: name, pk: name + "PK", sk: name + "SK"} }

// baseTable is the table's own key: a point read may Query one item partition (a customer's
// history) instead of an index.
var baseTable = index{pk: attrPK, sk: attrSK}

// pointRead is one read of a points plan: a strongly consistent GetItem of get, or else a
// Query of partition part within r (an index's or the table's; at most collectCap rows).
type pointRead struct {
	get  *key
	r    keyRange
	part string
}

// listQuery is one page of a list; listPage is what the engine found for it.
type listQuery struct {
	sort          string
	desc          bool
	limit, offset int
	filter        filter.Filter
	// cursor continues from the page before, as its next said: the page starts there, past
	// whatever is left of offset's skip (the cursor knows how many matches it has passed).
	cursor string
}

type listPage[T any] struct {
	items []T
	// total matches; a lower bound unless exact (counting them all would read too much).
	total int
	exact bool
	next  string // continues after this page; "" at the end, and where offsets are as cheap
}

// errBadCursor refuses a continuation that this list did not make.
var errBadCursor = &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: "page[cursor]",
	Detail: "page[cursor] does not belong to this list (its sort or filter differ); follow the links as given or use page[offset]"}

// list reads one page of the resource's live values that match q.
func (d *listSpec[T]) list(ctx context.Context, s *Store, q listQuery) (listPage[T], error) {
	sorted, ok := d.field(q.sort)
	if !ok {
		return listPage[T]{}, fmt.Errorf("store: list %s: no index for sort %q", d.name, q.sort)
	}
	for _, f := range d.fields {
		if r, ok := d.rangeOn(q.filter, f.name); ok && r.empty() {
			return listPage[T]{exact: true}, nil // nothing can match: read nothing
		}
	}
	if reads, ok := d.points(q.filter); ok {
		if q.cursor != "" {
			return listPage[T]{}, errBadCursor // these lists never make one
		}
		return d.listPoints(ctx, s, q, reads)
	}
	if r, ok := d.rangeOn(q.filter, q.sort); ok {
		return d.listStream(ctx, s, q, r)
	}
	// Collect through the narrowest range the filter gives on another field.
	var best keyRange
	var bestField string
	bestScore := 3
	for _, f := range d.fields {
		if r, ok := d.rangeOn(q.filter, f.name); ok && r.narrowness() < bestScore {
			best, bestField, bestScore = r, f.name, r.narrowness()
		}
	}
	if bestScore < 3 {
		if q.cursor != "" {
			return listPage[T]{}, errBadCursor
		}
		return d.listCollect(ctx, s, q, best, bestField)
	}
	return d.listStream(ctx, s, q, keyRange{index: sorted.index})
}

func (d *listSpec[T]) field(name string) (listField, bool) {
	for _, f := range d.fields {
		if f.name == name {
			return f, true
		}
	}
	return listField{}, false
}

// keyRange is a key condition on an index's sort key: a prefix, or inclusive bounds.
type keyRange struct {
	index  index
	prefix string
	lo, hi *string
	none   bool // a bound past every key: nothing lies in the range
}

// empty reports that no key lies in r.
func (r keyRange) empty() bool {
	return r.none || (r.lo != nil && r.hi != nil && *r.lo > *r.hi)
}

// narrowness ranks key conditions: 0 an exact value or a closed range, 1 a prefix, 2 an
// open range.
func (r keyRange) narrowness() int {
	switch {
	case strings.HasSuffix(r.prefix, sep) || (r.lo != nil && r.hi != nil):
		return 0
	case r.prefix != "":
		return 1
	}
	return 2
}

// contains reports whether an index sort key lies within r.
func (r keyRange) contains(sk string) bool {
	return strings.HasPrefix(sk, r.prefix) && (r.lo == nil || sk >= *r.lo) && (r.hi == nil || sk <= *r.hi)
}

// tighten raises r's lower bound to lo and lowers its upper bound to hi, where given.
func (r *keyRange) tighten(lo, hi *string) {
	if lo != nil && (r.lo == nil || *lo > *r.lo) {
		r.lo = lo
	}
	if hi != nil && (r.hi == nil || *hi < *r.hi) {
		r.hi = hi
	}
}

// rangeOn is the key condition that the filter's expressions on field allow on its index,
// if any.
func (d *listSpec[T]) rangeOn(fl filter.Filter, field string) (keyRange, bool) {
	f, _ := d.field(field)
	r := keyRange{index: f.index}
	found := false
	for _, e := range fl {
		if e.Field == field && f.bound != nil && f.bound(&r, e) {
			found = true
		}
	}
	return r, found
}

const idMax = "\x1f~" // after sep: sorts after every id that can follow it

// endOfTime is the first instant a time key cannot hold (keys have four-digit years); the
// zero time, the start of year 1, is the first one it can.
var endOfTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)

// timeBounds bounds a time index (sort keys timeKey(t)␟id) by an expression on its time, to
// the instants filter.TimeRange gives. A bound past every key (after year 9999, before year
// 1) leaves nothing; one that every key meets is no bound at all.
func timeBounds(r *keyRange, e filter.Expr) bool {
	from, to := filter.TimeRange(e.Values[0], e.Times[0])
	switch e.Op {
	case filter.Eq:
		found := r.atOrAfter(from)
		return r.before(to) || found
	case filter.Gt:
		return r.atOrAfter(to)
	case filter.Ge:
		return r.atOrAfter(from)
	case filter.Lt:
		return r.before(from)
	case filter.Le:
		return r.before(to)
	}
	return false
}

// atOrAfter bounds a time index to the rows at or after t.
func (r *keyRange) atOrAfter(t time.Time) bool {
	switch {
	case !t.Before(endOfTime):
		r.none = true
	case t.After(time.Time{}):
		lo := timeKey(t)
		r.tighten(&lo, nil)
	default:
		return false
	}
	return true
}

// before bounds a time index to the rows before t.
func (r *keyRange) before(t time.Time) bool {
	switch {
	case !t.After(time.Time{}):
		r.none = true
	case t.Before(endOfTime):
		hi := timeKey(t.Add(-time.Nanosecond)) + idMax
		r.tighten(nil, &hi)
	default:
		return false
	}
	return true
}

// idBounds bounds an index whose sort keys are the values alone (ids) by gt, ge, lt and le;
// gt and lt keep the value itself, which the row check drops.
func idBounds(r *keyRange, e filter.Expr) bool {
	v := e.Values[0]
	switch e.Op {
	case filter.Gt, filter.Ge:
		r.tighten(&v, nil)
	case filter.Lt, filter.Le:
		r.tighten(nil, &v)
	default:
		return false
	}
	return true
}

// textBounds bounds an index whose sort keys are sortKey(text, id) by eq and by like or
// ilike with a fixed start: a prefix. fold is the case folding the keys were made with
// (customers' emails: EmailKey); with it, ilike gives a prefix too, without it (nil) the
// keys are case-sensitive and ilike is checked row by row, like in, infix and suffix like.
func textBounds(fold func(string) string) func(r *keyRange, e filter.Expr) bool {
	return func(r *keyRange, e filter.Expr) bool {
		text := e.Values[0]
		like := e.Op == filter.Like || e.Op == filter.ILike
		switch {
		case e.Op == filter.In, like && e.Like.Prefix, e.Op == filter.ILike && fold == nil:
			return false
		case like:
			text = e.Like.Text
		}
		exact := e.Op == filter.Eq || (like && !e.Like.Suffix)
		if fold != nil {
			text = fold(text)
		}
		if v, cut := sortValue(text); cut {
			text, exact = v, false // the key holds only the start of long values: match the rest row by row
		}
		if exact {
			text += sep
		}
		if !strings.HasPrefix(text, r.prefix) {
			return false
		}
		r.prefix = text
		return true
	}
}

// page cuts offset/limit out of matches sorted in memory.
func (d *listSpec[T]) page(q listQuery, matches []T) listPage[T] {
	slices.SortFunc(matches, func(a, b T) int {
		if d.before(a, b, q.sort) == !q.desc {
			return -1
		}
		return 1
	})
	res := listPage[T]{total: len(matches), exact: true}
	if q.offset < len(matches) {
		res.items = matches[q.offset:min(len(matches), q.offset+q.limit)]
	}
	return res
}

// listPoints makes the reads a filter names, in parallel, then filters, sorts and pages.
func (d *listSpec[T]) listPoints(ctx context.Context, s *Store, q listQuery, reads []pointRead) (listPage[T], error) {
	var (
		mu      sync.Mutex
		found   = map[string]T{}
		waits   []func()
		errOnce error
		limit   = make(chan struct{}, 16)
	)
	for _, rd := range reads {
		limit <- struct{}{}
		waits = append(waits, safe.Go(func() {
			defer func() { <-limit }()
			values, err := d.read(ctx, s, rd)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errOnce = err
				return
			}
			for _, v := range values {
				if d.live(v) {
					found[d.id(v)] = v
				}
			}
		}))
	}
	for _, wait := range waits {
		wait()
	}
	if errOnce != nil {
		return listPage[T]{}, errOnce
	}
	var matches []T
	for _, v := range found {
		if d.matches(v, q.filter) {
			matches = append(matches, v)
		}
	}
	return d.page(q, matches), nil
}

// read makes one point read. A row a Query finds that does not decode is passed over.
func (d *listSpec[T]) read(ctx context.Context, s *Store, rd pointRead) ([]T, error) {
	op := "list " + d.name
	if rd.get != nil {
		k, _ := attributevalue.MarshalMap(*rd.get)
		out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: k, ConsistentRead: aws.Bool(true)})
		if err != nil || out.Item == nil {
			return nil, fail(op, err)
		}
		v, err := d.decode(out.Item)
		if err != nil {
			return nil, fail(op, err)
		}
		return []T{v}, nil
	}
	// Every row of the partition within r: a point read finds few (at most collectCap, else a 400).
	st := &shardStream{part: rd.part, more: true}
	var values []T
	for n := 0; st.more; {
		if err := s.fetch(ctx, op, rd.r, st, false, 100); err != nil {
			return nil, err
		}
		if n += len(st.items); n > collectCap {
			return nil, &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: "filter",
				Detail: fmt.Sprintf("more than %d %s share this value", collectCap, d.name) + d.crowded}
		}
		for _, raw := range st.items {
			if v, err := d.decode(raw); err == nil {
				values = append(values, v)
			}
		}
		st.items = nil
	}
	return values, nil
}

// listCollect reads every match through field's index, then sorts and pages in memory.
func (d *listSpec[T]) listCollect(ctx context.Context, s *Store, q listQuery, r keyRange, field string) (listPage[T], error) {
	m := d.merger(s, r, false, nil, 100*shards)
	var matches []T
	for {
		v, ok, err := d.next(ctx, m)
		if err != nil {
			return listPage[T]{}, err
		}
		if !ok {
			break
		}
		if d.matches(v, q.filter) {
			matches = append(matches, v)
		}
		if len(matches) > collectCap || m.read > collectCap*2 {
			return listPage[T]{}, &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: "filter",
				Detail: fmt.Sprintf("too many %s to examine (more than %d); narrow the filter, or sort by %s to page through them", d.name, collectCap, field)}
		}
	}
	return d.page(q, matches), nil
}

// listStream pages through the sort field's index within r, merged across shards.
func (d *listSpec[T]) listStream(ctx context.Context, s *Store, q listQuery, r keyRange) (listPage[T], error) {
	var res listPage[T]
	fp := fingerprint(q)
	var from cursor // where to start: the start of the list without a cursor
	if q.cursor != "" {
		var err error
		if from, err = s.decodeCursor(ctx, q.cursor, fp, shards); err == nil && !validPositions(from.P) {
			err = errBadCursor
		}
		if err != nil {
			return res, err
		}
		if from.B > q.offset {
			return res, errBadCursor // the page would start before the cursor
		}
	}
	// The matches to pass before the page: all of the offset without a cursor; with one, what
	// is left of it (a page whose skip ran out of the budget made the cursor before it was done).
	skip := q.offset - from.B
	positions := from.P
	want := q.limit + 1 + skip
	for _, p := range positions {
		if p != "" && p != cursorDone && !r.contains(p) {
			return res, errBadCursor
		}
	}
	m := d.merger(s, r, q.desc, positions, want)
	unfiltered := len(q.filter) == 0
	type count struct {
		n   int
		err error
	}
	var counted chan count
	waitCount := func() {}
	if unfiltered {
		counted = make(chan count, 1)
		waitCount = safe.Go(func() {
			n, err := s.countTotal(ctx, d.counter)
			counted <- count{n, err}
		})
	}
	matched := 0 // rows matched so far, skipped ones included
	for len(res.items) < q.limit {
		if m.read > s.budgets.scan+skip {
			break // the budget ran out: a short page, and a cursor to go on
		}
		v, ok, err := d.next(ctx, m)
		if err != nil {
			return res, err
		}
		if !ok {
			break
		}
		if !d.matches(v, q.filter) {
			continue
		}
		if matched++; matched > skip {
			res.items = append(res.items, v)
		}
	}
	if !m.exhausted() && q.limit > 0 {
		var err error
		if res.next, err = s.encodeCursor(ctx, cursor{F: fp, P: m.positions(), B: from.B + matched}); err != nil {
			return res, err
		}
	}
	if unfiltered {
		waitCount()
		c := <-counted
		res.total, res.exact = c.n, true
		return res, c.err
	}
	// Count the rest of the matches, within a budget.
	res.total = from.B + matched
	stop := m.read + s.budgets.count
	for m.read < stop {
		v, ok, err := d.next(ctx, m)
		if err != nil {
			return res, err
		}
		if !ok {
			res.exact = true
			break
		}
		if d.matches(v, q.filter) {
			res.total++
		}
	}
	if !res.exact {
		// The budget ran out: count the rows already read too (they are paid for), for the
		// tightest lower bound at no further cost.
		res.total += m.countBuffered(func(raw map[string]types.AttributeValue) bool {
			v, err := d.decode(raw)
			return err == nil && d.matches(v, q.filter)
		})
	}
	return res, nil
}

// next is the merger's next row, decoded.
func (d *listSpec[T]) next(ctx context.Context, m *merger) (v T, ok bool, err error) {
	raw, ok, err := m.next(ctx)
	if err != nil || !ok {
		return v, false, err
	}
	if v, err = d.decode(raw); err != nil {
		return v, false, fail(m.op, err)
	}
	return v, true, nil
}

// shardStream is one shard's partition of an index, read in order a batch at a time.
type shardStream struct {
	part  string
	items []map[string]types.AttributeValue
	start map[string]types.AttributeValue // where the next batch starts
	more  bool                            // the partition may hold rows past items
	last  string                          // sort key of the last row taken
}

// merger merges the shards' streams into one sorted stream of rows.
type merger struct {
	s       *Store
	op      string
	r       keyRange
	desc    bool
	streams []*shardStream
	read    int // rows read from DynamoDB
	batch   int
}

// merger starts a merged stream of r's index over the resource's shards, after positions
// (a cursor's) when given.
func (d *listSpec[T]) merger(s *Store, r keyRange, desc bool, positions []string, want int) *merger {
	// Rows spread evenly over the shards, so each first reads its share and a little more;
	// a shard that runs dry reads again, twice as much each time.
	m := &merger{s: s, op: "list " + d.name, r: r, desc: desc, batch: min((want+shards-1)/shards+2, 100)}
	for i := 0; i < shards; i++ {
		st := &shardStream{part: d.part(i), more: true}
		if positions != nil {
			switch p := positions[i]; p {
			case "":
			case cursorDone:
				st.more = false
			default:
				st.last, st.start = p, startKey(r.index, st.part, p, d.key(idOf(p)))
			}
		}
		m.streams = append(m.streams, st)
	}
	return m
}

// startKey is the ExclusiveStartKey that resumes an index partition after the row with
// sort key sk, whose table key is k.
func startKey(idx index, part, sk string, k key) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		idx.pk: &types.AttributeValueMemberS{Value: part},
		idx.sk: &types.AttributeValueMemberS{Value: sk},
		attrPK: &types.AttributeValueMemberS{Value: k.PK},
		attrSK: &types.AttributeValueMemberS{Value: k.SK},
	}
}

// idOf is the id that ends an index sort key (all of it without a sep).
func idOf(sk string) string {
	if i := strings.LastIndex(sk, sep); i >= 0 {
		return sk[i+len(sep):]
	}
	return sk
}

// next returns the next row in order, fetching from the shards that ran dry (in parallel).
func (m *merger) next(ctx context.Context) (map[string]types.AttributeValue, bool, error) {
	var dry []*shardStream
	for _, st := range m.streams {
		if len(st.items) == 0 && st.more {
			dry = append(dry, st)
		}
	}
	if len(dry) > 0 {
		errs := make([]error, len(dry))
		waits := make([]func(), len(dry))
		for i, st := range dry {
			waits[i] = safe.Go(func() { errs[i] = m.s.fetch(ctx, m.op, m.r, st, m.desc, m.batch) })
		}
		for _, wait := range waits {
			wait()
		}
		for i, st := range dry {
			if errs[i] != nil {
				return nil, false, errs[i]
			}
			m.read += len(st.items)
		}
		m.batch = min(m.batch*2, 100)
	}
	var best *shardStream
	var bestSK string
	for _, st := range m.streams {
		if len(st.items) == 0 {
			continue
		}
		sk := attrString(st.items[0], m.r.index.sk)
		if best == nil || (sk < bestSK) != m.desc {
			best, bestSK = st, sk
		}
	}
	if best == nil {
		return nil, false, nil
	}
	raw := best.items[0]
	best.items, best.last = best.items[1:], bestSK
	return raw, true, nil
}

// countBuffered counts the rows read but not yet taken that match, and drops them.
func (m *merger) countBuffered(match func(map[string]types.AttributeValue) bool) int {
	n := 0
	for _, st := range m.streams {
		for _, raw := range st.items {
			if match(raw) {
				n++
			}
		}
		st.items = nil
	}
	return n
}

func (m *merger) exhausted() bool {
	for _, st := range m.streams {
		if len(st.items) > 0 || st.more {
			return false
		}
	}
	return true
}

// positions is where each shard's stream stands: after its last row taken.
func (m *merger) positions() []string {
	p := make([]string, len(m.streams))
	for i, st := range m.streams {
		switch {
		case len(st.items) == 0 && !st.more:
			p[i] = cursorDone
		default:
			p[i] = st.last
		}
	}
	return p
}

// fetch reads the next batch of a partition within r: one of r's index, or of the table.
func (s *Store) fetch(ctx context.Context, op string, r keyRange, st *shardStream, desc bool, n int) error {
	cond := "#pk = :pk"
	values := map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: st.part}}
	names := map[string]string{"#pk": r.index.pk}
	switch {
	case r.prefix != "":
		cond += " AND begins_with(#sk, :pre)"
		values[":pre"] = &types.AttributeValueMemberS{Value: r.prefix}
	case r.lo != nil && r.hi != nil:
		cond += " AND #sk BETWEEN :lo AND :hi"
		values[":lo"], values[":hi"] = &types.AttributeValueMemberS{Value: *r.lo}, &types.AttributeValueMemberS{Value: *r.hi}
	case r.lo != nil:
		cond += " AND #sk >= :lo"
		values[":lo"] = &types.AttributeValueMemberS{Value: *r.lo}
	case r.hi != nil:
		cond += " AND #sk <= :hi"
		values[":hi"] = &types.AttributeValueMemberS{Value: *r.hi}
	}
	if strings.Contains(cond, "#sk") {
		names["#sk"] = r.index.sk
	}
	var indexName *string
	if r.index.name != "" {
		indexName = aws.String(r.index.name)
	}
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 indexName,
		KeyConditionExpression:    &cond,
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ScanIndexForward:          aws.Bool(!desc),
		Limit:                     aws.Int32(int32(n)),
		ExclusiveStartKey:         st.start,
	})
	if err != nil {
		return fail(op, err)
	}
	st.items = append(st.items, out.Items...)
	st.start, st.more = out.LastEvaluatedKey, out.LastEvaluatedKey != nil
	return nil
}

func attrString(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// A cursor is where every shard's stream stood after a page (P) and how many matches come
// before that point (B), tied to the list's sort and filter by a fingerprint (F). It is
// opaque to clients. Its page[offset] may lie past B: when a page's skip runs out of the
// row budget, the page is empty, its next link keeps the requested offset, and the next
// request skips the rest from where this one stopped.
const cursorDone = "\x00done"

type cursor struct {
	F uint32   `json:"f"`
	P []string `json:"p"`
	B int      `json:"b"`
}

func fingerprint(q listQuery) uint32 {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s|%v|%v", q.sort, q.desc, q.filter)
	return h.Sum32()
}

// encodeCursor seals the positions (they hold sort values: emails, names) with the store's
// cursor key, so that they neither show in URLs and logs nor can be forged.
func (s *Store) encodeCursor(ctx context.Context, c cursor) (string, error) {
	b, _ := json.Marshal(c)
	if s.cursors != nil {
		box, err := s.cursors.Box(ctx)
		if err != nil {
			return "", err
		}
		b = box.Seal(b, nil)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// decodeCursor opens a cursor made for fingerprint fp with n positions.
func (s *Store) decodeCursor(ctx context.Context, text string, fp uint32, n int) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(text)
	if err == nil && s.cursors != nil {
		box, kerr := s.cursors.Box(ctx)
		if kerr != nil {
			return cursor{}, kerr
		}
		b, err = box.Open(b, nil)
	}
	if err != nil || len(b) > 16<<10 || json.Unmarshal(b, &c) != nil || c.F != fp || len(c.P) != n || c.B < 0 {
		return cursor{}, errBadCursor
	}
	return c, nil
}

// validPositions checks a stream cursor's positions: each shard's last index sort key, or
// done.
func validPositions(ps []string) bool {
	for _, p := range ps {
		if p != cursorDone && !isSortKey(p) {
			return false
		}
	}
	return true
}

// isSortKey accepts what an index sort key of ours can look like: valid text ending in an
// id (every resource's ids are UUIDs, pkg/id). A forged position can only move a client
// within the same list.
func isSortKey(s string) bool {
	if len(s) > 2048 || !utf8.ValidString(s) {
		return false
	}
	return s == "" || len(idOf(s)) == 36
}
