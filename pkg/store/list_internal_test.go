package store

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/filter"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/seal"
	"github.com/acme/customers/pkg/secrets"
	"github.com/acme/customers/pkg/testenv"
)

// widget is a test-only second resource for the list engine, shaped like orders will be:
// its own item (WIDGET#<id>), created_at on GSI1 over partitions W#<s>, and a link in its
// maker's partition (MAKER#<name>/WIDGET#<id>), written in one transaction with a count
// shard. Its attributes are ones GSI1 projects (id, name, created_at).
type widget struct {
	ID, Name  string
	CreatedAt time.Time
}

type widgetItem struct {
	key
	ID        string `dynamodbav:"id"`
	Name      string `dynamodbav:"name"`
	CreatedAt string `dynamodbav:"created_at"`
	GSI1PK    string `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK    string `dynamodbav:"GSI1SK,omitempty"`
}

func widgetKey(id string) key { return key{"WIDGET#" + id, "#WIDGET"} }

var widgetSchema = filter.Schema{
	"id":         {Kind: filter.String, Ops: []filter.Op{filter.Eq}},
	"name":       {Kind: filter.String, Ops: []filter.Op{filter.Eq}},
	"created_at": {Kind: filter.Time, Ops: []filter.Op{filter.Eq, filter.Gt, filter.Ge, filter.Lt, filter.Le}},
}

var widgetList = &listSpec[*widget]{
	name:   "widgets",
	part:   func(n int) string { return "W#" + strconv.Itoa(n) },
	fields: []listField{{"created_at", gsi(indexCreated), timeBounds}},
	key:    widgetKey,
	decode: func(item map[string]types.AttributeValue) (*widget, error) {
		var it widgetItem
		err := attributevalue.UnmarshalMap(item, &it)
		w := &widget{ID: it.ID, Name: it.Name}
		w.CreatedAt, _ = time.Parse(time.RFC3339Nano, it.CreatedAt)
		return w, err
	},
	id:   func(w *widget) string { return w.ID },
	live: func(*widget) bool { return true },
	before: func(a, b *widget, _ string) bool {
		return a.CreatedAt.Before(b.CreatedAt) || (a.CreatedAt.Equal(b.CreatedAt) && a.ID < b.ID)
	},
	matches: func(w *widget, f filter.Filter) bool {
		for _, e := range f {
			if (e.Field == "id" && w.ID != e.Values[0]) || (e.Field == "name" && w.Name != e.Values[0]) ||
				(e.Field == "created_at" && !filter.MatchTime(w.CreatedAt, e)) {
				return false
			}
		}
		return true
	},
	points: func(f filter.Filter) ([]pointRead, bool) {
		for _, e := range f {
			switch e.Field {
			case "id":
				k := widgetKey(e.Values[0])
				return []pointRead{{get: &k}}, true
			case "name": // the maker's partition, as orders' eq(customer_id) will read a customer's history
				return []pointRead{{r: keyRange{index: baseTable, prefix: "WIDGET#"}, part: "MAKER#" + e.Values[0]}}, true
			}
		}
		return nil, false
	},
	counter: "widgets",
}

// TestListEngineWidgets: the engine lists another resource from the same table through its
// descriptor alone: a stream with a key range followed by cursors, the unfiltered total
// from its own count shards, and points by GetItem and by a Query of the table.
func TestListEngineWidgets(t *testing.T) {
	db := testenv.NewDB(t)
	s := New(db.Client, db.Table).WithCursors(seal.NewKeyring(secrets.NewValue(secrets.Generated("k"), "k", time.Hour, nil), CursorPurpose))
	ctx := context.Background()
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	all := make([]*widget, 20)
	for i := range all {
		w := &widget{ID: id.New(), Name: []string{"acme", "zorg"}[i%2], CreatedAt: start.Add(time.Duration(i) * time.Second)}
		all[i] = w
		ts := timeKey(w.CreatedAt)
		it := widgetItem{key: widgetKey(w.ID), ID: w.ID, Name: w.Name, CreatedAt: ts,
			GSI1PK: widgetList.part(shardOf(w.ID)), GSI1SK: sortKey(ts, w.ID)}
		item, _ := attributevalue.MarshalMap(it)
		it.key, it.GSI1PK, it.GSI1SK = key{"MAKER#" + w.Name, "WIDGET#" + w.ID}, "", ""
		link, _ := attributevalue.MarshalMap(it)
		if _, err := s.transact(ctx, "put widget", func() []types.TransactWriteItem {
			return []types.TransactWriteItem{{Put: &types.Put{TableName: &s.table, Item: item}},
				{Put: &types.Put{TableName: &s.table, Item: link}}, {Update: s.countUpdate(widgetList.counter, 1)}}
		}); err != nil {
			t.Fatal(err)
		}
	}
	ann := &customers.Customer{ID: id.New(), Name: "Ann", Email: "ann@example.com", Version: 1, CreatedAt: start, UpdatedAt: start}
	if err := s.Create(ctx, ann); err != nil { // another resource in the same table
		t.Fatal(err)
	}
	list := func(q listQuery, raw string, calls map[string]int) listPage[*widget] {
		t.Helper()
		if raw != "" {
			var err error
			if q.filter, err = filter.Parse(raw, widgetSchema); err != nil {
				t.Fatal(err)
			}
		}
		db.Calls().Reset()
		p, err := widgetList.list(ctx, s, q)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if got := db.Calls().ByOp(); calls != nil && !maps.Equal(got, calls) {
			t.Errorf("%s: calls %v, want %v", raw, got, calls)
		}
		return p
	}
	ids := func(ws []*widget) []string {
		out := make([]string, len(ws))
		for i, w := range ws {
			out[i] = w.ID
		}
		return out
	}

	// Unfiltered: the newest first, the total from the widgets' count shards alone.
	p := list(listQuery{sort: "created_at", desc: true, limit: 3}, "", map[string]int{"Query": shards, "BatchGetItem": 1})
	if want := []string{all[19].ID, all[18].ID, all[17].ID}; !slices.Equal(ids(p.items), want) || p.total != 20 || !p.exact || p.next == "" {
		t.Errorf("first page %v, total %d (exact %v)", ids(p.items), p.total, p.exact)
	}

	// A key range on the sort field, followed by cursors to its end.
	const window = "ge(created_at,2025-03-01T00:00:05Z):lt(created_at,2025-03-01T00:00:15Z)"
	q := listQuery{sort: "created_at", limit: 4}
	var got []string
	for pages := 0; pages == 0 || q.cursor != ""; pages++ {
		if pages > 5 {
			t.Fatal("the cursors never end")
		}
		p := list(q, window, nil)
		if p.total != 10 || !p.exact {
			t.Errorf("page %d: total %d (exact %v)", pages, p.total, p.exact)
		}
		got = append(got, ids(p.items)...)
		q.offset, q.cursor = q.offset+len(p.items), p.next
		if pages == 0 {
			if _, err := widgetList.list(ctx, s, listQuery{sort: "created_at", limit: 4, offset: 4, cursor: p.next}); err != errBadCursor {
				t.Errorf("a cursor used without its filter: %v", err)
			}
		}
	}
	if want := ids(all[5:15]); !slices.Equal(got, want) {
		t.Errorf("pages through the range gave %v, want %v", got, want)
	}

	// Points: a GetItem by id; a Query of the maker's partition, sorted and paged in memory.
	p = list(listQuery{sort: "created_at", limit: 10}, "eq(id,"+all[7].ID+")", map[string]int{"GetItem": 1})
	if !slices.Equal(ids(p.items), []string{all[7].ID}) || p.total != 1 {
		t.Errorf("eq(id): %v, total %d", ids(p.items), p.total)
	}
	p = list(listQuery{sort: "created_at", desc: true, limit: 3, offset: 1}, "eq(name,zorg):gt(created_at,2025-03-01T00:00:10Z)",
		map[string]int{"Query": 1})
	if want := []string{all[17].ID, all[15].ID, all[13].ID}; !slices.Equal(ids(p.items), want) || p.total != 5 || !p.exact {
		t.Errorf("eq(name,zorg) after 10 s: %v, total %d", ids(p.items), p.total)
	}
}
