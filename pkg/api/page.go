package api

import (
	"context"
	"strconv"
	"strings"

	"github.com/acme/customers/pkg/problem"
)

// Paging limits from the contract. MaxCursorOffset bounds the offset a link with a
// continuation may carry (it is a page number's label there, not rows to skip).
const (
	MaxLimit        = 100
	MaxOffset       = 10000
	MaxCursorOffset = 1 << 30
)

// Page is a request's page[limit] and page[offset].
type Page struct {
	Limit  int
	Offset int
}

// ParsePage reads page[limit] (0..100; when absent, def gives it: the store's page_length)
// and page[offset] (0..10000).
func ParsePage(ctx context.Context, r *Request, def func(context.Context) (int, error)) (Page, error) {
	var p Page
	var err error
	if _, ok := r.query["page[limit]"]; !ok {
		if p.Limit, err = def(ctx); err != nil {
			return p, err
		}
	} else if p.Limit, err = intParam(r, "page[limit]", 0, MaxLimit); err != nil {
		return p, err
	}
	// An offset alone is read row by row up to MaxOffset; with a continuation (page[cursor])
	// the page starts where the cursor says and the offset only numbers it, so following
	// links goes as deep as the list does.
	maxOffset := MaxOffset
	if _, ok := r.query[CursorParam]; ok {
		maxOffset = MaxCursorOffset
	}
	if p.Offset, err = intParam(r, "page[offset]", 0, maxOffset); err != nil {
		return p, err
	}
	return p, nil
}

func intParam(r *Request, name string, def, max int) (int, error) {
	v, ok, err := r.Query(name)
	if err != nil || !ok {
		return def, err
	}
	n, convErr := strconv.Atoi(v)
	if convErr != nil || n < 0 || strings.HasPrefix(v, "+") {
		return 0, &problem.Error{Kind: problem.BadRequest, Title: "Bad Request",
			Detail: name + " must be a whole number from 0 to " + strconv.Itoa(max), Source: name}
	}
	if n > max {
		return 0, &problem.Error{Kind: problem.BadRequest, Title: "Bad Request",
			Detail: name + " must not be greater than " + strconv.Itoa(max), Source: name}
	}
	return n, nil
}

// Sort is a parsed sort parameter: a field and a direction.
type Sort struct {
	Field string
	Desc  bool
}

// ParseSort reads sort=[-]field, allowing only the listed fields.
func ParseSort(r *Request, allowed []string, def Sort) (Sort, error) {
	v, ok, err := r.Query("sort")
	if err != nil || !ok {
		return def, err
	}
	s := Sort{Field: strings.TrimPrefix(v, "-"), Desc: strings.HasPrefix(v, "-")}
	for _, a := range allowed {
		if s.Field == a {
			return s, nil
		}
	}
	return s, &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: "sort",
		Detail: "sort must be one of " + strings.Join(allowed, ", ") + " (prefix - for descending)"}
}

// Result is what a list knows besides its rows: how many match (a lower bound when not
// Exact) and, where the store makes one, a continuation to the next page.
type Result struct {
	Total int
	Exact bool
	Next  string
}

// CursorParam carries a continuation in the next link, next to page[offset]: a client
// that follows links never pays for the offset.
const CursorParam = "page[cursor]"

// ListMeta is the "meta" and "links" of a list response.
type ListMeta struct {
	Links Links `json:"links"`
	Meta  Meta  `json:"meta"`
}

// Links are absolute URLs of the neighbouring pages; nil where there is no such page.
type Links struct {
	Current *string `json:"current"`
	First   *string `json:"first"`
	Last    *string `json:"last"`
	Next    *string `json:"next"`
	Prev    *string `json:"prev"`
}

// Meta carries the page and result counts.
type Meta struct {
	Page struct {
		Limit   int `json:"limit"`
		Offset  int `json:"offset"`
		Current int `json:"current"`
		Total   int `json:"total"`
	} `json:"page"`
	Results struct {
		Total int `json:"total"`
		// TotalMethod is "lower_bound" when Total is a lower bound (omitted when exact).
		TotalMethod string `json:"total_method,omitempty"`
	} `json:"results"`
}

// List renders a list response: {"data": items, "links": ..., "meta": ...}. The links keep
// the request's sort and filter and its limit.
func List[T any](r *Request, items []T, p Page, res Result) (Response, error) {
	if items == nil {
		items = []T{}
	}
	return JSON(200, struct {
		Data []T `json:"data"`
		ListMeta
	}{items, listMeta(r, p, res, len(items))})
}

func listMeta(r *Request, p Page, res Result, n int) ListMeta {
	var m ListMeta
	total := res.Total
	m.Meta.Page.Limit, m.Meta.Page.Offset = p.Limit, p.Offset
	m.Meta.Results.Total = total
	if !res.Exact {
		m.Meta.Results.TotalMethod = "lower_bound"
	}
	pages := 0
	if p.Limit > 0 {
		pages = (total + p.Limit - 1) / p.Limit
	}
	m.Meta.Page.Total = pages
	// An empty result (or limit 0) has no pages: current is 1 and there is no last, next or
	// previous page, whatever the offset.
	m.Meta.Page.Current = 1
	if pages > 0 {
		m.Meta.Page.Current = p.Offset/p.Limit + 1
	}
	link := func(offset int, cursor string) *string {
		s := pageURL(r, p.Limit, offset, cursor)
		return &s
	}
	m.Links.Current = link(p.Offset, r.cursor())
	m.Links.First = link(0, "")
	if pages > 0 && res.Exact {
		// The last page a client can ask for starts at or before MaxOffset: a link past it
		// would only earn a 400.
		last := (pages - 1) * p.Limit
		if last > MaxOffset {
			last = MaxOffset - MaxOffset%p.Limit
		}
		m.Links.Last = link(last, "")
	}
	next := p.Offset + p.Limit
	if res.Next != "" && n < p.Limit {
		next = p.Offset + n // a short page (the store's read budget ran out): keep offsets aligned
	}
	// There is a next page when an exact count says rows remain; without one, when the store
	// says where it continues (a store that read past its last match still makes a
	// continuation, which an exact count overrules).
	more := res.Next != ""
	if res.Exact {
		more = next < total
	}
	if (next <= MaxOffset || res.Next != "") && next <= MaxCursorOffset && p.Limit > 0 && more {
		// A continuation from the store lets a client that follows links skip the offset,
		// past MaxOffset too.
		m.Links.Next = link(next, res.Next)
	}
	if pages > 0 && p.Offset > 0 {
		m.Links.Prev = link(max(0, p.Offset-p.Limit), "")
	}
	return m
}

// cursor is the request's own continuation, kept in its current link.
func (r *Request) cursor() string {
	if v, ok := r.raw[CursorParam]; ok && len(v) == 1 {
		return v[0]
	}
	return ""
}

// pageURL builds an absolute link with the request's sort and filter kept as sent.
func pageURL(r *Request, limit, offset int, cursor string) string {
	var b strings.Builder
	b.WriteString(r.BaseURL())
	b.WriteString(r.Path)
	b.WriteString("?page[limit]=" + strconv.Itoa(limit) + "&page[offset]=" + strconv.Itoa(offset))
	if cursor != "" {
		b.WriteString("&" + CursorParam + "=" + cursor)
	}
	for _, name := range []string{"sort", "filter"} {
		if v, ok := r.raw[name]; ok && len(v) == 1 {
			b.WriteString("&" + name + "=" + escapeRaw(v[0]))
		}
	}
	return b.String()
}

// escapeRaw makes a value as sent safe to put back in a URL without changing what it
// means: a '%' that starts no escape, spaces and '#' are encoded; all else stays as sent.
func escapeRaw(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%' && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])):
			b.WriteString("%25")
		case c == ' ':
			b.WriteString("%20")
		case c == '#':
			b.WriteString("%23")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
