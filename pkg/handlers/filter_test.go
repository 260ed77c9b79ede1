package handlers

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// filterWorld signs up customers with varied names, emails and external refs and returns
// their ids by name.
func filterWorld(t *testing.T, h *harness) map[string]string {
	t.Helper()
	people := []struct{ name, email, ref string }{
		{"Ron Swanson", "ron+shop@example.com", "crm-1"},
		{"Leslie Knope", "Leslie@Pawnee.gov", "crm-2"},
		{"Ann Perkins", "ann@pawnee.gov", ""},
		{"Andy Dwyer", "andy@example.com", ""},
		{"April Ludgate", "april@example.com", "crm:4"},
		{"Tom Haverford", "tom@entertainment720.com", ""},
		{"Ben Wyatt", "ben@example.com", ""},
		{"Chris Traeger", "chris@example.com", ""},
		{"Donna Meagle", "donna@example.com", ""},
		{"Jerry Gergich", "jerry@pawnee.gov", ""},
		{"Garry Gergich", "garry@pawnee.gov", ""},
		{"Ronald Swanson Sr", "ron.sr@example.com", ""},
	}
	ids := map[string]string{}
	for _, p := range people {
		body := fmt.Sprintf(`{"data":{"type":"customer","name":%q,"email":%q}}`, p.name, p.email)
		if p.ref != "" {
			body = fmt.Sprintf(`{"data":{"type":"customer","name":%q,"email":%q,"external_ref":%q}}`, p.name, p.email, p.ref)
		}
		r := h.do(req{Route: "POST /v2/customers", Headers: bearer(h.admin), Body: body})
		expect(t, r, 201)
		ids[p.name] = data(r)["id"].(string)
		time.Sleep(2 * time.Millisecond) // distinct created_at
	}
	return ids
}

func names(r response) []string {
	var out []string
	for _, c := range r.JSON["data"].([]any) {
		out = append(out, c.(map[string]any)["name"].(string))
	}
	return out
}

func TestFilterCustomers(t *testing.T) {
	h := newHarness(t)
	ids := filterWorld(t, h)
	var mid, last string // created_at of the sixth and last customers
	for _, n := range []string{"Tom Haverford", "Ronald Swanson Sr"} {
		r := h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": ids[n]}, Headers: bearer(h.admin)})
		ts := data(r)["meta"].(map[string]any)["timestamps"].(map[string]any)["created_at"].(string)
		if n == "Tom Haverford" {
			mid = ts
		} else {
			last = ts
		}
	}
	cases := []struct {
		query string
		want  []string // in order
	}{
		{"filter=eq(email,ron+shop@example.com)", []string{"Ron Swanson"}},   // '+' literal in emails, as the SDK sends it
		{"filter=eq(email,RON%2BSHOP@EXAMPLE.COM)", []string{"Ron Swanson"}}, // case-insensitive
		{"filter=eq(email,leslie@pawnee.gov)", []string{"Leslie Knope"}},     // stored as typed, matched without case
		{"filter=eq(email,nobody@example.com)", nil},
		{"filter=in(email,ann@pawnee.gov,andy@example.com,none@x.com)&sort=name", []string{"Andy Dwyer", "Ann Perkins"}},
		{"filter=eq(name,Ron+Swanson)", []string{"Ron Swanson"}},     // '+' is a space elsewhere
		{`filter=eq(name,"Ron%20Swanson")`, []string{"Ron Swanson"}}, // browsers and Node send spaces as %20
		{"filter=like(name,Ron*)&sort=name", []string{"Ron Swanson", "Ronald Swanson Sr"}},
		{"filter=like(name,*Gergich)&sort=name", []string{"Garry Gergich", "Jerry Gergich"}},
		{"filter=like(name,*wan*)&sort=name", []string{"Ron Swanson", "Ronald Swanson Sr"}},
		{"filter=like(name,ron*)", nil}, // like is case-sensitive
		{"filter=ilike(name,ron*)&sort=name", []string{"Ron Swanson", "Ronald Swanson Sr"}},
		{"filter=ilike(name,*GERGICH)&sort=-name", []string{"Jerry Gergich", "Garry Gergich"}},
		{"filter=like(email,*@pawnee.gov)&sort=email", []string{"Ann Perkins", "Garry Gergich", "Jerry Gergich"}},
		{"filter=ilike(email,*@PAWNEE.GOV)&sort=email", []string{"Ann Perkins", "Garry Gergich", "Jerry Gergich", "Leslie Knope"}},
		{"filter=like(email,an*)&sort=email", []string{"Andy Dwyer", "Ann Perkins"}},
		{"filter=like(email,an*)", []string{"Andy Dwyer", "Ann Perkins"}}, // default sort: newest first
		{"filter=eq(external_ref,crm-2)", []string{"Leslie Knope"}},
		{`filter=eq(external_ref,"crm:4")`, []string{"April Ludgate"}},
		{"filter=eq(external_ref,crm:4)", []string{"April Ludgate"}},
		{"filter=eq(id," + ids["Ben Wyatt"] + ")", []string{"Ben Wyatt"}},
		{"filter=eq(id," + ids["Ben Wyatt"] + "):eq(name,Ann+Perkins)", nil},
		{"filter=gt(created_at," + url.QueryEscape(mid) + ")&sort=created_at", []string{"Ben Wyatt", "Chris Traeger", "Donna Meagle", "Jerry Gergich", "Garry Gergich", "Ronald Swanson Sr"}},
		{"filter=ge(created_at," + url.QueryEscape(mid) + "):lt(created_at," + url.QueryEscape(last) + ")&sort=created_at",
			[]string{"Tom Haverford", "Ben Wyatt", "Chris Traeger", "Donna Meagle", "Jerry Gergich", "Garry Gergich"}},
		{"filter=eq(created_at," + url.QueryEscape(mid) + ")", []string{"Tom Haverford"}},
		{"filter=gt(created_at,2000-01-01):like(email,*@pawnee.gov)&sort=name", []string{"Ann Perkins", "Garry Gergich", "Jerry Gergich"}},
		{"filter=lt(created_at,2000-01-01)", nil},
		{"filter=like(name,*Swanson*):like(email,ron*)&sort=-created_at", []string{"Ronald Swanson Sr", "Ron Swanson"}},
		{"filter=gt(id," + ids["Ben Wyatt"] + ")&sort=id", nil}, // checked below against the ids
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			r := h.do(req{Route: "GET /v2/customers", Query: c.query, Headers: bearer(h.admin)})
			expect(t, r, 200)
			got := names(r)
			if strings.HasPrefix(c.query, "filter=gt(id,") {
				for _, n := range got {
					if ids[n] <= ids["Ben Wyatt"] {
						t.Errorf("%s (%s) is not after %s", n, ids[n], ids["Ben Wyatt"])
					}
				}
				return
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
			if total := r.JSON["meta"].(map[string]any)["results"].(map[string]any)["total"]; total != float64(len(c.want)) {
				t.Errorf("total %v, want %d", total, len(c.want))
			}
		})
	}
	for _, q := range []string{"filter=eq(email,a):eq(name,b):eq(name,c):eq(name,d):eq(name,e):eq(name,f):eq(name,g):eq(name,h):eq(name,i):eq(name,j):eq(name,k)",
		"filter=like(external_ref,crm*)", "filter=eq(created_at,last+tuesday)", "filter=eq(name,(x)", "filter=eq(email,x))", "filter=(eq(name,a)|eq(name,b))"} {
		t.Run("refused "+q, func(t *testing.T) {
			r := h.do(req{Route: "GET /v2/customers", Query: q, Headers: bearer(h.admin)})
			expect(t, r, 400)
			if e := errorsOf(t, r); e[0]["source"] != "filter" || !strings.HasPrefix(e[0]["detail"].(string), "could not use the filter: ") {
				t.Errorf("%v", e)
			}
		})
	}
}

// TestCursor follows links.next through a list and checks the pages are those that
// page[offset] gives, and that a continuation only works with its own sort and filter.
func TestCursor(t *testing.T) {
	h := newHarness(t)
	filterWorld(t, h)
	for _, query := range []string{"page[limit]=5", "page[limit]=2&sort=name", "page[limit]=3&sort=-email&filter=like(email,*e*)"} {
		t.Run(query, func(t *testing.T) {
			var viaLinks, viaOffsets []string
			next := "https://api.example.test/v2/customers?" + query
			for pages := 0; next != ""; pages++ {
				if pages > 20 {
					t.Fatal("links.next never ends")
				}
				_, q, _ := strings.Cut(next, "?")
				r := h.do(req{Route: "GET /v2/customers", Query: q, Headers: bearer(h.admin)})
				expect(t, r, 200)
				viaLinks = append(viaLinks, names(r)...)
				next, _ = r.JSON["links"].(map[string]any)["next"].(string)
				// The same page by offset alone.
				values, _ := url.ParseQuery(strings.ReplaceAll(q, "+", "%2B"))
				values.Del("page[cursor]")
				r2 := h.do(req{Route: "GET /v2/customers", Query: rawQuery(values), Headers: bearer(h.admin)})
				expect(t, r2, 200)
				viaOffsets = append(viaOffsets, names(r2)...)
			}
			if !slices.Equal(viaLinks, viaOffsets) || len(viaLinks) == 0 {
				t.Errorf("links gave %q\noffsets gave %q", viaLinks, viaOffsets)
			}
			seen := map[string]bool{}
			for _, n := range viaLinks {
				if seen[n] {
					t.Errorf("%s twice", n)
				}
				seen[n] = true
			}
		})
	}
	t.Run("a continuation belongs to its list", func(t *testing.T) {
		r := h.do(req{Route: "GET /v2/customers", Query: "page[limit]=2&sort=name", Headers: bearer(h.admin)})
		next := r.JSON["links"].(map[string]any)["next"].(string)
		_, q, _ := strings.Cut(next, "?")
		q = strings.Replace(q, "sort=name", "sort=email", 1)
		expect(t, h.do(req{Route: "GET /v2/customers", Query: q, Headers: bearer(h.admin)}), 400)
	})
}

// rawQuery renders values without encoding what the SDK leaves raw.
func rawQuery(v url.Values) string {
	var parts []string
	for k, vs := range v {
		for _, s := range vs {
			parts = append(parts, k+"="+strings.ReplaceAll(url.PathEscape(s), "%2A", "*"))
		}
	}
	return strings.Join(parts, "&")
}

func TestFilterLongValues(t *testing.T) {
	h := newHarness(t)
	long := strings.Repeat("名", 171) // 513 bytes: longer than the part of a name a sort key holds
	r := h.do(req{Route: "POST /v2/customers", Headers: bearer(h.admin), Body: `{"data":{"type":"customer","name":"` + long + `","email":"long@example.com"}}`})
	expect(t, r, 201)
	r = h.do(req{Route: "GET /v2/customers", Query: "filter=eq(name," + url.QueryEscape(long) + ")", Headers: bearer(h.admin)})
	expect(t, r, 200)
	if len(names(r)) != 1 {
		t.Errorf("a long name is not found by eq: %s", r.Body)
	}
	for _, q := range []string{"eq(email," + strings.Repeat("a", 1100) + "@x.com)", "eq(id," + strings.Repeat("a", 3000) + ")",
		"gt(id," + strings.Repeat("a", 1100) + ")", "like(name," + strings.Repeat("a", 1100) + "*)"} {
		expect(t, h.do(req{Route: "GET /v2/customers", Query: "filter=" + q, Headers: bearer(h.admin)}), 400)
	}
}

func TestListRefusesWhatItCannotServe(t *testing.T) {
	h := newHarness(t)
	filterWorld(t, h)
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"f":1,"p":["zzz` + "\x1f" + strings.Repeat("a", 36) + `","","","","","","",""]}`))
	for _, q := range []string{
		"filter=gt(id,)", "filter=le(id,'')&sort=-id",
		"filter=lt(created_at,253433923200000)",
		"filter=eq(email,ann@pawnee.gov)&page[cursor]=garbage",
		"filter=like(email,an*)&page[cursor]=garbage",
		"filter=like(email,an*)&sort=email&page[cursor]=" + forged,
	} {
		t.Run(q, func(t *testing.T) {
			expect(t, h.do(req{Route: "GET /v2/customers", Query: q, Headers: bearer(h.admin)}), 400)
		})
	}
	t.Run("a tampered cursor, and what a cursor shows", func(t *testing.T) {
		r := h.do(req{Route: "GET /v2/customers", Query: "page[limit]=1&sort=email&filter=like(email,an*)", Headers: bearer(h.admin)})
		next := r.JSON["links"].(map[string]any)["next"].(string)
		cursor := next[strings.Index(next, "page[cursor]=")+len("page[cursor]="):]
		cursor = cursor[:strings.Index(cursor, "&")]
		if b, _ := base64.RawURLEncoding.DecodeString(cursor); strings.Contains(string(b), "andy") {
			t.Errorf("the cursor shows a customer's email: %q", b)
		}
		flipped := []byte(cursor)
		flipped[len(flipped)/2] ^= 1
		if flipped[len(flipped)/2] == '-' || flipped[len(flipped)/2] == '_' {
			flipped[len(flipped)/2] = 'A'
		}
		q := "page[limit]=1&sort=email&filter=like(email,an*)&page[cursor]=" + string(flipped)
		expect(t, h.do(req{Route: "GET /v2/customers", Query: q, Headers: bearer(h.admin)}), 400)
	})
}

func TestFilteredLinksEnd(t *testing.T) {
	h := newHarness(t)
	filterWorld(t, h)
	next := "https://api.example.test/v2/customers?page[limit]=3&filter=like(email,*e*)"
	for pages := 0; next != ""; pages++ {
		_, q, _ := strings.Cut(next, "?")
		r := h.do(req{Route: "GET /v2/customers", Query: q, Headers: bearer(h.admin)})
		expect(t, r, 200)
		if len(names(r)) == 0 {
			t.Fatalf("page %d is empty: links.next led past the end", pages+1)
		}
		links, meta := r.JSON["links"].(map[string]any), r.JSON["meta"].(map[string]any)
		if links["last"] == nil || meta["results"].(map[string]any)["total_method"] != nil {
			t.Errorf("page %d: last %v, results %v", pages+1, links["last"], meta["results"])
		}
		next, _ = links["next"].(string)
	}
}

// TestQueryRefusesInvalidUTF8: bytes that are not UTF-8 in a query parameter are a 400
// naming it on every endpoint, before any DynamoDB call (a 400-byte name prefix of them
// used to reach DynamoDB as a key over 1,024 bytes: a 500).
func TestQueryRefusesInvalidUTF8(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	path := map[string]string{"customerId": ron, "addressId": ron}
	for route := range endpoints() {
		for _, c := range []struct{ query, source string }{
			{"filter=like(name," + strings.Repeat("%FF", 400) + "*)", "filter"},
			{"page[limit]=5&sort=%C3", "sort"},
			{"%FF=1", "\uFFFD"},
		} {
			t.Run(route+"?"+c.query[:min(len(c.query), 30)], func(t *testing.T) {
				h.db.Calls().Reset()
				r := h.do(req{Route: route, Path: path, Query: c.query, Headers: bearer(h.admin)})
				expect(t, r, 400)
				if e := errorsOf(t, r); len(e) != 1 || e[0]["source"] != c.source {
					t.Errorf("%v", e)
				}
				if n := len(h.db.Calls().ByOp()); n != 0 {
					t.Errorf("DynamoDB calls %v", h.db.Calls().ByOp())
				}
			})
		}
	}
}

// TestTimesPastTheEnd: time keys stop at the end of year 9999. A range that starts past it
// holds no customer and reads nothing (it used to start a key in year 10000, which sorts
// before every real one: ~11,000 rows read, or the whole index and a misleading 400); one
// that ends past it is no bound at all.
func TestTimesPastTheEnd(t *testing.T) {
	h := newHarness(t)
	filterWorld(t, h)
	for _, q := range []string{
		"filter=gt(created_at,9999-12-31)",
		"filter=gt(created_at,253402300799999)", // the last millisecond of 9999
		"filter=gt(created_at,9999-12-31T23:59:59Z)&sort=-created_at",
		"filter=gt(updated_at,9999-12-31T23:59:59.999999999Z)&sort=name",
		"filter=gt(updated_at,9999-12-31):like(name,*son*)&sort=email",
		"filter=ge(id,a):gt(created_at,9999-12-31T23:59:59.999Z)&sort=id",
		"filter=eq(email,ron%2Bshop@example.com):gt(updated_at,253402300799999)",
		"filter=lt(created_at,0001-01-01)",
		"filter=gt(created_at,2020-01-01):lt(created_at,2019-01-01)",
	} {
		t.Run(q, func(t *testing.T) {
			h.db.Calls().Reset()
			r := h.do(req{Route: "GET /v2/customers", Query: "page[limit]=5&" + q, Headers: bearer(h.admin)})
			expect(t, r, 200)
			results := r.JSON["meta"].(map[string]any)["results"].(map[string]any)
			if len(names(r)) != 0 || results["total"] != float64(0) || results["total_method"] != nil || r.JSON["links"].(map[string]any)["next"] != nil {
				t.Errorf("%s", r.Body)
			}
			if calls := h.db.Calls().ByOp(); len(calls) != 0 {
				t.Errorf("DynamoDB calls %v, want none", calls)
			}
		})
	}
	for _, q := range []string{"filter=le(created_at,9999-12-31)&sort=name", "filter=le(updated_at,253402300799999):like(name,*)"} {
		t.Run(q, func(t *testing.T) {
			r := h.do(req{Route: "GET /v2/customers", Query: "page[limit]=100&" + q, Headers: bearer(h.admin)})
			expect(t, r, 200)
			if n := len(names(r)); n != 12 || r.JSON["meta"].(map[string]any)["results"].(map[string]any)["total"] != float64(12) {
				t.Errorf("%d customers: %s", n, r.Body)
			}
		})
	}
}
