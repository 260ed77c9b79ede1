package store

import (
	"context"
	"crypto/rand"
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

	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/filter"
	"github.com/acme/customers/pkg/problem"
)

// How a customer list is read. Every list ends up as one of three plans:
//
//   - points: the filter names customers outright (eq(id), eq/in(email), eq(external_ref)):
//     read those few (a GetItem, or one Query per email on the one shard that email hashes
//     to), then filter, sort and page them in memory.
//   - stream: read the sort field's index, every shard's sorted partition merged into one
//     sorted stream, with the filter's range or prefix on that field as the key condition,
//     so a page reads about what it returns. Other expressions are checked on each row
//     read, within a read budget. A continuation (page[cursor]) records where every shard
//     stopped, so page 400 costs what page 1 costs.
//   - collect: the filter has a range or prefix on another field than the sort: read its
//     matches through that field's index (at most collectCap), sort them in memory, page.
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

// sortIndexes are the index and partition-key attribute of each sort field.
var sortIndexes = map[customers.SortField]string{
	customers.SortCreatedAt: indexCreated,
	customers.SortEmail:     indexEmail,
	customers.SortName:      indexName,
	customers.SortUpdatedAt: indexUpdated,
	customers.SortID:        indexID,
}

// rangeFields are the fields with an index, in the order a collect plan prefers them.
var rangeFields = []customers.SortField{customers.SortCreatedAt, customers.SortUpdatedAt, customers.SortID,
	customers.SortEmail, customers.SortName}

// keyRange is a key condition on an index's sort key: a prefix, or inclusive bounds.
type keyRange struct {
	index  string
	prefix string
	lo, hi *string
	none   bool // a bound past every key: nothing lies in the range
}

// empty reports that no key lies in r.
func (r keyRange) empty() bool {
	return r.none || (r.lo != nil && r.hi != nil && *r.lo > *r.hi)
}

// List implements customers.Store.
func (s *Store) List(ctx context.Context, q customers.ListQuery) (customers.ListResult, error) {
	for _, f := range rangeFields {
		if r, ok := rangeOn(q.Filter, f); ok && r.empty() {
			return customers.ListResult{TotalExact: true}, nil // no customer can match: read nothing
		}
	}
	if ids, kind := points(q.Filter); kind != "" {
		if q.Cursor != "" {
			return customers.ListResult{}, customers.ErrBadCursor // these lists never make one
		}
		return s.listPoints(ctx, q, ids, kind)
	}
	if r, ok := rangeOn(q.Filter, q.Sort); ok {
		return s.listStream(ctx, q, r)
	}
	// Collect through the narrowest range the filter gives on another field.
	var best keyRange
	var bestField customers.SortField
	bestScore := 3
	for _, f := range rangeFields {
		if r, ok := rangeOn(q.Filter, f); ok && r.narrowness() < bestScore {
			best, bestField, bestScore = r, f, r.narrowness()
		}
	}
	if bestScore < 3 {
		if q.Cursor != "" {
			return customers.ListResult{}, customers.ErrBadCursor
		}
		return s.listCollect(ctx, q, best, bestField)
	}
	return s.listStream(ctx, q, keyRange{index: sortIndexes[q.Sort]})
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

// points finds expressions that name customers outright.
func points(f filter.Filter) ([]string, string) {
	for _, kind := range []string{"id", "email", "external_ref"} {
		for _, e := range f {
			if e.Field != kind {
				continue
			}
			switch {
			case kind == "id" && e.Op == filter.Eq,
				kind == "email" && (e.Op == filter.Eq || e.Op == filter.In),
				kind == "email" && (e.Op == filter.Like || e.Op == filter.ILike) && !e.Like.Prefix && !e.Like.Suffix,
				kind == "external_ref":
				if e.Op == filter.Like || e.Op == filter.ILike {
					return []string{e.Like.Text}, kind
				}
				return e.Values, kind
			}
		}
	}
	return nil, ""
}

const idMax = "\x1f~" // after sep: sorts after every id that can follow it

// endOfTime is the first instant a time key cannot hold (keys have four-digit years); the
// zero time, the start of year 1, is the first one it can.
var endOfTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)

// rangeOn is the key condition that the filter's expressions on field f allow on f's
// index, if any.
func rangeOn(fl filter.Filter, f customers.SortField) (keyRange, bool) {
	r := keyRange{index: sortIndexes[f]}
	found := false
	tighten := func(lo, hi *string) {
		if lo != nil && (r.lo == nil || *lo > *r.lo) {
			r.lo = lo
		}
		if hi != nil && (r.hi == nil || *hi < *r.hi) {
			r.hi = hi
		}
		found = true
	}
	// atOrAfter and before bound a time index to the rows at or after t, or before t. A bound
	// past every key leaves nothing; one that every key meets is no bound at all.
	atOrAfter := func(t time.Time) {
		switch {
		case !t.Before(endOfTime):
			r.none, found = true, true
		case t.After(time.Time{}):
			lo := timeKey(t)
			tighten(&lo, nil)
		}
	}
	before := func(t time.Time) {
		switch {
		case !t.After(time.Time{}):
			r.none, found = true, true
		case t.Before(endOfTime):
			hi := timeKey(t.Add(-time.Nanosecond)) + idMax
			tighten(nil, &hi)
		}
	}
	for _, e := range fl {
		if string(f) != e.Field {
			continue
		}
		switch f {
		case customers.SortCreatedAt, customers.SortUpdatedAt:
			from, to := customers.TimeRange(e.Values[0], e.Times[0])
			switch e.Op {
			case filter.Eq:
				atOrAfter(from)
				before(to)
			case filter.Gt:
				atOrAfter(to)
			case filter.Ge:
				atOrAfter(from)
			case filter.Lt:
				before(from)
			case filter.Le:
				before(to)
			}
		case customers.SortID:
			v := e.Values[0]
			switch e.Op {
			case filter.Gt, filter.Ge:
				tighten(&v, nil) // gt drops v itself when rows are checked
			case filter.Lt, filter.Le:
				tighten(nil, &v)
			}
		case customers.SortEmail, customers.SortName:
			text := e.Values[0]
			if e.Op == filter.Like || e.Op == filter.ILike {
				if e.Like.Prefix {
					continue // infix or suffix: no key condition
				}
				text = e.Like.Text
			}
			exact := e.Op == filter.Eq || ((e.Op == filter.Like || e.Op == filter.ILike) && !e.Like.Suffix)
			if f == customers.SortEmail {
				text = customers.EmailKey(text)
			} else if e.Op == filter.ILike || e.Op == filter.In {
				continue // the name index is case-sensitive; in on names is checked row by row
			}
			if v, cut := sortValue(text); cut {
				text, exact = v, false // the key holds only the start of long names: match the rest row by row
			}
			if exact {
				text += sep
			}
			if e.Op != filter.In && strings.HasPrefix(text, r.prefix) {
				r.prefix, found = text, true
			}
		}
	}
	return r, found
}

// page cuts offset/limit out of matches sorted in memory.
func page(q customers.ListQuery, matches []*customers.Customer) customers.ListResult {
	slices.SortFunc(matches, func(a, b *customers.Customer) int {
		if customers.Before(a, b, q.Sort) == !q.Desc {
			return -1
		}
		return 1
	})
	res := customers.ListResult{Total: len(matches), TotalExact: true}
	if q.Offset < len(matches) {
		res.Customers = matches[q.Offset:min(len(matches), q.Offset+q.Limit)]
	}
	return res
}

// listPoints reads the customers the filter names.
func (s *Store) listPoints(ctx context.Context, q customers.ListQuery, values []string, kind string) (customers.ListResult, error) {
	var (
		mu      sync.Mutex
		found   = map[string]*customers.Customer{}
		wg      sync.WaitGroup
		errOnce error
		limit   = make(chan struct{}, 16)
	)
	add := func(items []map[string]types.AttributeValue, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errOnce = err
			return
		}
		for _, raw := range items {
			var it customerItem
			if attributevalue.UnmarshalMap(raw, &it) == nil && it.DeletedAt == "" {
				found[it.ID] = it.customer()
			}
		}
	}
	for _, v := range values {
		wg.Add(1)
		limit <- struct{}{}
		go func() {
			defer func() { <-limit; wg.Done() }()
			switch kind {
			case "id":
				c, err := s.Get(ctx, v)
				if err == customers.ErrNotFound {
					return
				}
				if err == nil && !c.Deleted {
					mu.Lock()
					found[c.ID] = c
					mu.Unlock()
				}
				add(nil, err)
			case "email":
				key := customers.EmailKey(v)
				add(s.queryAll(ctx, keyRange{index: indexEmail, prefix: key + sep}, emailPart(key)))
			case "external_ref":
				add(s.queryAll(ctx, keyRange{index: indexXref}, xrefPart(v))) // capped: external_ref is not unique
			}
		}()
	}
	wg.Wait()
	if errOnce != nil {
		return customers.ListResult{}, errOnce
	}
	var matches []*customers.Customer
	for _, c := range found {
		if customers.Matches(c, q.Filter) {
			matches = append(matches, c)
		}
	}
	return page(q, matches), nil
}

// queryAll reads every row of one index partition within r (a point plan: few rows; at
// most collectCap, else a 400).
func (s *Store) queryAll(ctx context.Context, r keyRange, part string) ([]map[string]types.AttributeValue, error) {
	st := &shardStream{part: part, more: true}
	var rows []map[string]types.AttributeValue
	for st.more {
		if err := s.fetch(ctx, r, st, false, 100); err != nil {
			return nil, err
		}
		rows, st.items = append(rows, st.items...), nil
		if len(rows) > collectCap {
			return nil, &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: "filter",
				Detail: fmt.Sprintf("more than %d customers share this value; add a range on created_at to narrow it", collectCap)}
		}
	}
	return rows, nil
}

// listCollect reads every match through f's index, then sorts and pages in memory.
func (s *Store) listCollect(ctx context.Context, q customers.ListQuery, r keyRange, f customers.SortField) (customers.ListResult, error) {
	m := s.merger(r, false, nil, 100*shards)
	var matches []*customers.Customer
	for {
		c, ok, err := m.next(ctx)
		if err != nil {
			return customers.ListResult{}, err
		}
		if !ok {
			break
		}
		if customers.Matches(c, q.Filter) {
			matches = append(matches, c)
		}
		if len(matches) > collectCap || m.read > collectCap*2 {
			return customers.ListResult{}, &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: "filter",
				Detail: fmt.Sprintf("too many customers to examine (more than %d); narrow the filter, or sort by %s to page through them", collectCap, f)}
		}
	}
	return page(q, matches), nil
}

// listStream pages through the sort field's index, merged across shards.
func (s *Store) listStream(ctx context.Context, q customers.ListQuery, r keyRange) (customers.ListResult, error) {
	var res customers.ListResult
	fp := fingerprint(q)
	var from cursor // where to start: the start of the list without a cursor
	if q.Cursor != "" {
		var err error
		if from, err = s.decodeCursor(q.Cursor, fp); err != nil {
			return res, err
		}
		if from.B > q.Offset {
			return res, customers.ErrBadCursor // the page would start before the cursor
		}
	}
	// The matches to pass before the page: all of the offset without a cursor; with one, what
	// is left of it (a page whose skip ran out of the budget made the cursor before it was done).
	skip := q.Offset - from.B
	positions := from.P
	want := q.Limit + 1 + skip
	for _, p := range positions {
		if p != "" && p != cursorDone && !r.contains(p) {
			return res, customers.ErrBadCursor
		}
	}
	m := s.merger(r, q.Desc, positions, want)
	unfiltered := len(q.Filter) == 0
	type count struct {
		n   int
		err error
	}
	var counted chan count
	if unfiltered {
		counted = make(chan count, 1)
		go func() {
			n, err := s.countCustomers(ctx)
			counted <- count{n, err}
		}()
	}
	matched := 0 // rows matched so far, skipped ones included
	for len(res.Customers) < q.Limit {
		if m.read > s.budgets.scan+skip {
			break // the budget ran out: a short page, and a cursor to go on
		}
		c, ok, err := m.next(ctx)
		if err != nil {
			return res, err
		}
		if !ok {
			break
		}
		if !customers.Matches(c, q.Filter) {
			continue
		}
		if matched++; matched > skip {
			res.Customers = append(res.Customers, c)
		}
	}
	if !m.exhausted() && q.Limit > 0 {
		res.Next = s.encodeCursor(cursor{F: fp, P: m.positions(), B: from.B + matched})
	}
	if unfiltered {
		c := <-counted
		res.Total, res.TotalExact = c.n, true
		return res, c.err
	}
	// Count the rest of the matches, within a budget.
	res.Total = from.B + matched
	stop := m.read + s.budgets.count
	for m.read < stop {
		c, ok, err := m.next(ctx)
		if err != nil {
			return res, err
		}
		if !ok {
			res.TotalExact = true
			break
		}
		if customers.Matches(c, q.Filter) {
			res.Total++
		}
	}
	if !res.TotalExact {
		// The budget ran out: count the rows already read too (they are paid for), for the
		// tightest lower bound at no further cost.
		res.Total += m.countBuffered(q.Filter)
	}
	return res, nil
}

// shardStream is one shard's partition of an index, read in order a batch at a time.
type shardStream struct {
	part  string
	items []map[string]types.AttributeValue
	start map[string]types.AttributeValue // where the next batch starts
	more  bool                            // the partition may hold rows past items
	last  string                          // sort key of the last row taken
}

// merger merges the shards' streams into one sorted stream.
type merger struct {
	s       *Store
	r       keyRange
	desc    bool
	streams []*shardStream
	read    int // rows read from DynamoDB
	batch   int
}

func (s *Store) merger(r keyRange, desc bool, positions []string, want int) *merger {
	// Rows spread evenly over the shards, so each first reads its share and a little more;
	// a shard that runs dry reads again, twice as much each time.
	m := &merger{s: s, r: r, desc: desc, batch: min((want+shards-1)/shards+2, 100)}
	for i := 0; i < shards; i++ {
		st := &shardStream{part: customersPart(i), more: true}
		if positions != nil {
			switch p := positions[i]; p {
			case "":
			case cursorDone:
				st.more = false
			default:
				st.last, st.start = p, startKey(r.index, st.part, p)
			}
		}
		m.streams = append(m.streams, st)
	}
	return m
}

// startKey is the ExclusiveStartKey that resumes after the row with index sort key sk.
func startKey(index, part, sk string) map[string]types.AttributeValue {
	id := sk
	if i := strings.LastIndex(sk, sep); i >= 0 {
		id = sk[i+len(sep):]
	}
	k := customerKey(id)
	return map[string]types.AttributeValue{
		index + "PK": &types.AttributeValueMemberS{Value: part},
		index + "SK": &types.AttributeValueMemberS{Value: sk},
		attrPK:       &types.AttributeValueMemberS{Value: k.PK},
		attrSK:       &types.AttributeValueMemberS{Value: k.SK},
	}
}

// next returns the next row in order, fetching from the shards that ran dry (in parallel).
func (m *merger) next(ctx context.Context) (*customers.Customer, bool, error) {
	var dry []*shardStream
	for _, st := range m.streams {
		if len(st.items) == 0 && st.more {
			dry = append(dry, st)
		}
	}
	if len(dry) > 0 {
		errs := make([]error, len(dry))
		var wg sync.WaitGroup
		for i, st := range dry {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = m.s.fetch(ctx, m.r, st, m.desc, m.batch)
			}()
		}
		wg.Wait()
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
		sk := attrString(st.items[0], m.r.index+"SK")
		if best == nil || (sk < bestSK) != m.desc {
			best, bestSK = st, sk
		}
	}
	if best == nil {
		return nil, false, nil
	}
	raw := best.items[0]
	best.items, best.last = best.items[1:], bestSK
	var it customerItem
	if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
		return nil, false, fail("list customers", err)
	}
	return it.customer(), true, nil
}

// countBuffered counts the rows read but not yet taken that match f, and drops them.
func (m *merger) countBuffered(f filter.Filter) int {
	n := 0
	for _, st := range m.streams {
		for _, raw := range st.items {
			var it customerItem
			if attributevalue.UnmarshalMap(raw, &it) == nil && customers.Matches(it.customer(), f) {
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

// fetch reads the next batch of a shard's partition within r.
func (s *Store) fetch(ctx context.Context, r keyRange, st *shardStream, desc bool, n int) error {
	cond := "#pk = :pk"
	values := map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: st.part}}
	names := map[string]string{"#pk": r.index + "PK"}
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
		names["#sk"] = r.index + "SK"
	}
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(r.index),
		KeyConditionExpression:    &cond,
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ScanIndexForward:          aws.Bool(!desc),
		Limit:                     aws.Int32(int32(n)),
		ExclusiveStartKey:         st.start,
	})
	if err != nil {
		return fail("list customers", err)
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

func fingerprint(q customers.ListQuery) uint32 {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s|%v|%v", q.Sort, q.Desc, q.Filter)
	return h.Sum32()
}

// encodeCursor seals the positions (they hold customers' sort values: emails, names) with
// the store's cursor key, so that they neither show in URLs and logs nor can be forged.
func (s *Store) encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	if s.cursors != nil {
		nonce := make([]byte, s.cursors.NonceSize())
		_, _ = rand.Read(nonce)
		b = s.cursors.Seal(nonce, nonce, b, nil)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Store) decodeCursor(text string, fp uint32) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(text)
	if err == nil && s.cursors != nil {
		n := s.cursors.NonceSize()
		if len(b) < n {
			return cursor{}, customers.ErrBadCursor
		}
		b, err = s.cursors.Open(nil, b[:n], b[n:], nil)
	}
	if err != nil || len(b) > 16<<10 || json.Unmarshal(b, &c) != nil || c.F != fp || len(c.P) != shards || c.B < 0 {
		return cursor{}, customers.ErrBadCursor
	}
	for _, p := range c.P {
		if p != cursorDone && !isSortKey(p) {
			return cursor{}, customers.ErrBadCursor
		}
	}
	return c, nil
}

// isSortKey accepts what an index sort key of ours can look like: valid text ending in an
// id. A forged position can only move a client within the same list.
func isSortKey(s string) bool {
	if len(s) > 2048 || !utf8.ValidString(s) {
		return false
	}
	id := s
	if i := strings.LastIndex(s, sep); i >= 0 {
		id = s[i+len(sep):]
	}
	return s == "" || len(id) == 36
}
