package api

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/acme/customers/pkg/problem"
)

func TestParsePage(t *testing.T) {
	type result struct {
		limit, offset int
		source        string // the parameter a 400 names; "" for success
	}
	cases := []struct {
		query string
		want  result
	}{
		{"", result{25, 0, ""}},
		{"unknown=1&page[size]=7", result{25, 0, ""}},
		{"page[limit]=0", result{0, 0, ""}},
		{"page[limit]=1", result{1, 0, ""}},
		{"page[limit]=100", result{100, 0, ""}},
		{"page[limit]=007", result{7, 0, ""}},
		{"page%5Blimit%5D=10&page%5Boffset%5D=20", result{10, 20, ""}},
		{"page[offset]=0", result{25, 0, ""}},
		{"page[offset]=10000", result{25, 10000, ""}},
		{"page[limit]=100&page[offset]=10000", result{100, 10000, ""}},

		{"page[limit]=101", result{0, 0, "page[limit]"}},
		{"page[limit]=1000000000", result{0, 0, "page[limit]"}},
		{"page[limit]=99999999999999999999999", result{0, 0, "page[limit]"}},
		{"page[limit]=-1", result{0, 0, "page[limit]"}},
		{"page[limit]=abc", result{0, 0, "page[limit]"}},
		{"page[limit]=+5", result{0, 0, "page[limit]"}},
		{"page[limit]=%2B5", result{0, 0, "page[limit]"}},
		{"page[limit]=1e3", result{0, 0, "page[limit]"}},
		{"page[limit]=5.0", result{0, 0, "page[limit]"}},
		{"page[limit]=0x10", result{0, 0, "page[limit]"}},
		{"page[limit]=", result{0, 0, "page[limit]"}},
		{"page[limit]=%205", result{0, 0, "page[limit]"}},
		{"page[limit]=5%20", result{0, 0, "page[limit]"}},
		{"page[limit]=５", result{0, 0, "page[limit]"}}, // full-width digit
		{"page[offset]=10001", result{0, 0, "page[offset]"}},
		// With a continuation the offset only numbers the page: it may go past 10,000.
		{"page[offset]=24975&page[cursor]=c", result{25, 24975, ""}},
		{"page[offset]=1073741824&page[cursor]=c", result{25, 1 << 30, ""}},
		{"page[offset]=1073741825&page[cursor]=c", result{0, 0, "page[offset]"}},
		{"page[offset]=-1", result{0, 0, "page[offset]"}},
		{"page[offset]=ten", result{0, 0, "page[offset]"}},
		{"page[limit]=10&page[offset]=1e4", result{0, 0, "page[offset]"}},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			p, err := ParsePage(context.Background(), newTestRequest(nil, tc.query, "", false), fixed(25))
			if tc.want.source == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if p.Limit != tc.want.limit || p.Offset != tc.want.offset {
					t.Errorf("page = %+v, want limit %d offset %d", p, tc.want.limit, tc.want.offset)
				}
				return
			}
			l, ok := problem.Problems(err)
			if !ok || len(l) != 1 || l[0].Kind != problem.BadRequest {
				t.Fatalf("err = %v, want one 400 problem", err)
			}
			if l[0].Source != tc.want.source || !strings.Contains(l[0].Detail, tc.want.source) {
				t.Errorf("problem = %+v, want it to name %s", l[0], tc.want.source)
			}
		})
	}

	// The default comes from the caller (the store's page_length).
	if p, err := ParsePage(context.Background(), newTestRequest(nil, "", "", false), fixed(10)); err != nil || p.Limit != 10 {
		t.Errorf("default 10: %+v, %v", p, err)
	}
	// A repeated parameter is a 400.
	for _, q := range []string{"page[limit]=5&page[limit]=5", "page[offset]=1&page[offset]=2"} {
		if _, err := ParsePage(context.Background(), newTestRequest(nil, q, "", false), fixed(25)); !problem.Is(err, problem.BadRequest) {
			t.Errorf("%s: err = %v, want 400", q, err)
		}
	}
}

var customerSorts = []string{"created_at", "email", "id", "name", "updated_at"}

func TestParseSort(t *testing.T) {
	def := Sort{Field: "created_at", Desc: true}
	cases := []struct {
		query string
		want  Sort
		bad   bool
	}{
		{"", def, false},
		{"sort=name", Sort{"name", false}, false},
		{"sort=-name", Sort{"name", true}, false},
		{"sort=created_at", Sort{"created_at", false}, false},
		{"sort=-created_at", Sort{"created_at", true}, false},
		{"sort=updated_at", Sort{"updated_at", false}, false},
		{"sort=id", Sort{"id", false}, false},
		{"sort=-email", Sort{"email", true}, false},
		{"sort=password", Sort{}, true},
		{"sort=-password", Sort{}, true},
		{"sort=password_hash", Sort{}, true},
		{"sort=", Sort{}, true},
		{"sort=-", Sort{}, true},
		{"sort=--name", Sort{}, true},
		{"sort=+name", Sort{}, true},
		{"sort=Name", Sort{}, true},
		{"sort=name,email", Sort{}, true},
		{"sort=name%20", Sort{}, true},
		{"sort=name&sort=email", Sort{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			s, err := ParseSort(newTestRequest(nil, tc.query, "", false), customerSorts, def)
			if tc.bad {
				if !problem.Is(err, problem.BadRequest) {
					t.Fatalf("err = %v, want 400", err)
				}
				return
			}
			if err != nil || s != tc.want {
				t.Errorf("ParseSort = %+v, %v; want %+v", s, err, tc.want)
			}
		})
	}
	_, err := ParseSort(newTestRequest(nil, "sort=password", "", false), customerSorts, def)
	if l, _ := problem.Problems(err); len(l) != 1 || l[0].Source != "sort" {
		t.Errorf("problem = %v, want source sort", err)
	}
}

type listBody struct {
	Data  []int `json:"data"`
	Links struct {
		Current, First, Last, Next, Prev *string
	} `json:"links"`
	Meta struct {
		Page struct {
			Limit, Offset, Current, Total int
		} `json:"page"`
		Results struct {
			Total int `json:"total"`
		} `json:"results"`
	} `json:"meta"`
}

func TestList(t *testing.T) {
	const (
		query = "page[limit]=10&page[offset]=10&sort=-name&filter=eq(email,ron+1@example.com):eq(name,Ron%20S%26Co)&unknown=x"
		kept  = "&sort=-name&filter=eq(email,ron+1@example.com):eq(name,Ron%20S%26Co)"
		base  = "http://api.example.test/v2/customers?page[limit]="
	)
	link := func(limit, offset int) string {
		return base + strconv.Itoa(limit) + "&page[offset]=" + strconv.Itoa(offset) + kept
	}
	none := -1
	type want struct {
		current, pages   int // meta.page
		last, next, prev int // link offsets; none for null
	}
	cases := []struct {
		name  string
		items []int
		p     Page
		total int
		w     want
	}{
		{"middle page", []int{11, 12}, Page{10, 10}, 35, want{current: 2, pages: 4, last: 30, next: 20, prev: 0}},
		{"first page", []int{1}, Page{10, 0}, 35, want{current: 1, pages: 4, last: 30, next: 10, prev: none}},
		{"last page", []int{31}, Page{10, 30}, 35, want{current: 4, pages: 4, last: 30, next: none, prev: 20}},
		{"exactly two full pages, second", []int{11}, Page{10, 10}, 20, want{current: 2, pages: 2, last: 10, next: none, prev: 0}},
		{"one page", []int{1}, Page{25, 0}, 5, want{current: 1, pages: 1, last: 0, next: none, prev: none}},
		{"empty", nil, Page{25, 0}, 0, want{current: 1, pages: 0, last: none, next: none, prev: none}},
		{"empty, with an offset", nil, Page{25, 50}, 0, want{current: 1, pages: 0, last: none, next: none, prev: none}},
		{"limit 0", nil, Page{0, 0}, 35, want{current: 1, pages: 0, last: none, next: none, prev: none}},
		{"limit 0 with an offset", nil, Page{0, 10}, 35, want{current: 1, pages: 0, last: none, next: none, prev: none}},
		{"offset not a multiple of the limit", []int{6}, Page{10, 5}, 35, want{current: 1, pages: 4, last: 30, next: 15, prev: 0}},
		{"offset past the end", nil, Page{10, 50}, 35, want{current: 6, pages: 4, last: 30, next: none, prev: 40}},
		{"next page would pass the maximum offset", []int{1}, Page{100, 10000}, 20000, want{current: 101, pages: 200, last: 10000, next: none, prev: 9900}},
		{"next page at the maximum offset", []int{1}, Page{100, 9900}, 20000, want{current: 100, pages: 200, last: 10000, next: 10000, prev: 9800}},
		{"last page clamped to the maximum offset", []int{1}, Page{30, 0}, 20000, want{current: 1, pages: 667, last: 9990, next: 30, prev: none}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestRequest(map[string]string{"x-forwarded-proto": "http"}, query, "", false)
			resp, err := List(r, tc.items, tc.p, Result{Total: tc.total, Exact: true})
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || resp.Headers["Content-Type"] != "application/json; charset=utf-8" {
				t.Errorf("status %d, headers %v", resp.StatusCode, resp.Headers)
			}
			if !strings.HasPrefix(resp.Body, `{"data":[`) {
				t.Errorf("body must start with a data array: %.40s", resp.Body)
			}
			var b listBody
			if err := json.Unmarshal([]byte(resp.Body), &b); err != nil {
				t.Fatal(err)
			}
			if len(b.Data) != len(tc.items) {
				t.Errorf("data = %v", b.Data)
			}
			m := b.Meta.Page
			if m.Limit != tc.p.Limit || m.Offset != tc.p.Offset || m.Current != tc.w.current || m.Total != tc.w.pages || b.Meta.Results.Total != tc.total {
				t.Errorf("meta = %+v, results %d; want current %d, total %d", m, b.Meta.Results.Total, tc.w.current, tc.w.pages)
			}
			check := func(name string, got *string, offset int) {
				t.Helper()
				switch {
				case offset == none && got != nil:
					t.Errorf("links.%s = %q, want null", name, *got)
				case offset != none && got == nil:
					t.Errorf("links.%s = null, want offset %d", name, offset)
				case offset != none && *got != link(tc.p.Limit, offset):
					t.Errorf("links.%s = %q\n want %q", name, *got, link(tc.p.Limit, offset))
				}
			}
			check("current", b.Links.Current, tc.p.Offset)
			check("first", b.Links.First, 0)
			check("last", b.Links.Last, tc.w.last)
			check("next", b.Links.Next, tc.w.next)
			check("prev", b.Links.Prev, tc.w.prev)
		})
	}
}

// TestListNext: with a continuation from the store, links.next carries it; a short page
// keeps offsets aligned with the rows shown; an exact total that the next offset reaches
// ends the list even when the store made a continuation (it read past the last match).
func TestListNext(t *testing.T) {
	const base = "https://api.example.test/v2/customers?page[limit]=5&page[offset]="
	for _, tc := range []struct {
		name string
		n    int // rows on the page
		p    Page
		res  Result
		want string // "" for null
	}{
		{"a full page, more to come", 5, Page{5, 0}, Result{Total: 12, Exact: true, Next: "c"}, base + "5&page[cursor]=c"},
		{"a full last page: the count reached the end", 5, Page{5, 5}, Result{Total: 10, Exact: true, Next: "c"}, ""},
		{"a short last page", 2, Page{5, 5}, Result{Total: 7, Exact: true, Next: "c"}, ""},
		{"a short page within an exact total", 2, Page{5, 5}, Result{Total: 9, Exact: true, Next: "c"}, base + "7&page[cursor]=c"},
		{"a short page, a lower bound", 2, Page{5, 10}, Result{Total: 12, Next: "c"}, base + "12&page[cursor]=c"},
		{"an empty page: the skip ran out of budget", 0, Page{5, 45}, Result{Total: 30, Next: "c"}, base + "45&page[cursor]=c"},
		{"a lower bound, the store at its end", 5, Page{5, 0}, Result{Total: 1000}, ""},
		{"an exact total, no continuation", 5, Page{5, 0}, Result{Total: 12, Exact: true}, base + "5"},
		{"past the maximum offset, with a continuation", 5, Page{5, MaxOffset}, Result{Total: 100000, Next: "c"},
			"https://api.example.test/v2/customers?page[limit]=5&page[offset]=10005&page[cursor]=c"},
		{"past the maximum offset, without one", 5, Page{5, MaxOffset}, Result{Total: 100000, Exact: true}, ""},
		{"limit 0", 0, Page{0, 0}, Result{Total: 1000, Next: "c"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestRequest(nil, "", "", false)
			resp, err := List(r, make([]int, tc.n), tc.p, tc.res)
			var b listBody
			if err != nil || json.Unmarshal([]byte(resp.Body), &b) != nil {
				t.Fatalf("%v %s", err, resp.Body)
			}
			if got := b.Links.Next; (got == nil) != (tc.want == "") || (got != nil && *got != tc.want) {
				t.Errorf("links.next = %v, want %q", ptrString(got), tc.want)
			}
		})
	}
}

func ptrString(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}

func TestListLinks(t *testing.T) {
	// Exact rendering of an empty first page, with https by default and nothing to keep.
	r := newTestRequest(nil, "", "", false)
	resp, err := List[int](r, nil, Page{Limit: 25}, Result{Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"data":[],"links":{"current":"https://api.example.test/v2/customers?page[limit]=25&page[offset]=0",` +
		`"first":"https://api.example.test/v2/customers?page[limit]=25&page[offset]=0","last":null,"next":null,"prev":null},` +
		`"meta":{"page":{"limit":25,"offset":0,"current":1,"total":0},"results":{"total":0}}}`
	if resp.Body != want {
		t.Errorf("body =\n%s\nwant\n%s", resp.Body, want)
	}

	// A repeated sort or filter is not copied (the request itself would be a 400); other
	// parameters are dropped; characters that would break the URL are escaped.
	for _, tc := range []struct{ query, tail string }{
		{"sort=name&sort=email&filter=eq(id,1)", "&filter=eq(id,1)"},
		{"filter=a&filter=b&sort=id", "&sort=id"},
		{"foo=bar&page[limit]=7", ""},
		{"filter=eq(name,a%23b%25c%26d%20e)", "&filter=eq(name,a%23b%25c%26d%20e)"},
		{"filter=eq(name,100%)", "&filter=eq(name,100%25)"},
	} {
		r := newTestRequest(nil, tc.query, "", false)
		resp, _ := List(r, []int{1}, Page{Limit: 5}, Result{Total: 1, Exact: true})
		var b listBody
		_ = json.Unmarshal([]byte(resp.Body), &b)
		want := "https://api.example.test/v2/customers?page[limit]=5&page[offset]=0" + tc.tail
		if b.Links.First == nil || *b.Links.First != want {
			t.Errorf("%s: first = %v, want %q", tc.query, b.Links.First, want)
		}
		// Following a link gives back the same filter and sort.
		if b.Links.First != nil {
			_, q, _ := strings.Cut(*b.Links.First, "?")
			orig, _, _ := parseQuery(tc.query)
			again, _, _ := parseQuery(q)
			for _, name := range []string{"filter", "sort"} {
				if len(orig[name]) == 1 && (len(again[name]) != 1 || again[name][0] != orig[name][0]) {
					t.Errorf("%s: %s round trip %q -> %q", tc.query, name, orig[name], again[name])
				}
			}
		}
	}
}

// fixed is a page_length that never changes.
func fixed(n int) func(context.Context) (int, error) {
	return func(context.Context) (int, error) { return n, nil }
}
