package api

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acme/customers/pkg/problem"
)

// Boundaries the other tests leave open (found by gremlins).

func TestIsHex(t *testing.T) {
	for c := range 256 {
		want := strings.ContainsRune("0123456789abcdefABCDEF", rune(c))
		if isHex(byte(c)) != want {
			t.Errorf("isHex(%q) = %v", rune(c), !want)
		}
	}
}

func TestFoldKeyASCII(t *testing.T) {
	if got := foldKey("@AZ[`az{\x7f\u0080"); got != "@az[`az{\x7f\u0080" {
		t.Errorf("foldKey = %q", got)
	}
}

func TestIsJSONString(t *testing.T) {
	for raw, want := range map[string]bool{`"x"`: true, ` "x"`: true, `""`: true, ``: false, `  `: false, `1`: false, `null`: false} {
		if isJSONString(json.RawMessage(raw)) != want {
			t.Errorf("isJSONString(%q) = %v", raw, !want)
		}
	}
}

func TestErrorResponseEdges(t *testing.T) {
	many := func(n int) problem.List {
		l := make(problem.List, n)
		for i := range l {
			l[i] = problem.Invalid("data.f"+strconv.Itoa(i), "bad")
		}
		return l
	}
	entries := func(r Response) int {
		var b struct{ Errors []map[string]any }
		if err := json.Unmarshal([]byte(r.Body), &b); err != nil {
			t.Fatal(err)
		}
		return len(b.Errors)
	}
	if n := entries(errorResponse(many(MaxErrors), "r")); n != MaxErrors {
		t.Errorf("%d problems: %d entries, want them all", MaxErrors, n)
	}
	if n := entries(errorResponse(many(MaxErrors+1), "r")); n != MaxErrors+1 {
		t.Errorf("%d problems: %d entries, want %d and one saying more", MaxErrors+1, n, MaxErrors+1)
	}
	if r := errorResponse(many(MaxErrors+3), "r"); !strings.Contains(r.Body, `"3 more problems are not listed`) {
		t.Errorf("%d problems: %s", MaxErrors+3, r.Body)
	}

	// The headers come from the first problem that has them; none without.
	r := errorResponse(problem.List{
		{Kind: problem.MethodNotAllowed, Title: "t", Allow: []string{}},
		{Kind: problem.PreconditionFailed, Title: "t", ETag: `"a:1"`, Allow: []string{"GET"}, RetryAfter: 1500 * time.Millisecond},
		{Kind: problem.PreconditionFailed, Title: "t", ETag: `"a:2"`, Allow: []string{"PUT"}, RetryAfter: time.Second},
	}, "r")
	if r.Headers["ETag"] != `"a:1"` || r.Headers["Allow"] != "GET" || r.Headers["Retry-After"] != "2" {
		t.Errorf("headers %v", r.Headers)
	}
	r = errorResponse(problem.Invalid("data.x", "bad"), "r")
	for _, h := range []string{"ETag", "Allow", "Retry-After"} {
		if _, ok := r.Headers[h]; ok {
			t.Errorf("%s on a plain 422: %v", h, r.Headers)
		}
	}
}

func TestListLinkEdges(t *testing.T) {
	links := func(query string, p Page, res Result, n int) listBody {
		t.Helper()
		items := make([]int, n)
		resp, err := List(newTestRequest(nil, query, "", false), items, p, res)
		if err != nil {
			t.Fatal(err)
		}
		var b listBody
		if err := json.Unmarshal([]byte(resp.Body), &b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	// The last page of an exact count that the limit divides: no next.
	if b := links("", Page{Limit: 5, Offset: 5}, Result{Total: 10, Exact: true}, 5); b.Links.Next != nil {
		t.Errorf("next after the last page: %s", *b.Links.Next)
	}
	// The page before it has one.
	if b := links("", Page{Limit: 5, Offset: 0}, Result{Total: 10, Exact: true}, 5); b.Links.Next == nil {
		t.Error("no next before the last page")
	}
	// A request's own cursor stays in its current link, and only when given once.
	if b := links("page[cursor]=abc", Page{Limit: 5}, Result{Total: 10, Exact: true}, 5); b.Links.Current == nil || !strings.Contains(*b.Links.Current, "page[cursor]=abc") {
		t.Errorf("current %v", b.Links.Current)
	}
	if b := links("page[cursor]=abc&page[cursor]=def", Page{Limit: 5}, Result{Total: 10, Exact: true}, 5); b.Links.Current == nil || strings.Contains(*b.Links.Current, "cursor") {
		t.Errorf("current %v", b.Links.Current)
	}
}
