package handlers

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/acme/customers/pkg/api"
)

func addrRoute(method string, withID bool) string {
	if withID {
		return method + " /v2/customers/{customerId}/addresses/{addressId}"
	}
	return method + " /v2/customers/{customerId}/addresses"
}

func TestCreateAddress(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	path := map[string]string{"customerId": ron}
	long := strings.Repeat("x", 256)
	cases := []struct {
		name    string
		body    string
		status  int
		details []string // expected error details, in order
	}{
		{"complete", anAddress, 201, nil},
		{"instructions may span lines", `{"data":{"type":"address","first_name":"A","last_name":"B","line_1":"1","county":"C","postcode":"P","country":"US","instructions":"ring twice\nthen wait"}}`, 201, nil},
		{"echoed members are ignored", `{"data":{"type":"address","id":"x","links":{},"meta":{},"first_name":"A","last_name":"B","line_1":"1","county":"C","postcode":"P","country":"US"}}`, 201, nil},
		{"every mandatory field missing", `{"data":{"type":"address"}}`, 400,
			[]string{"first_name is required", "last_name is required", "line_1 is required", "county is required", "postcode is required", "country is required"}},
		{"blank counts as missing", `{"data":{"type":"address","first_name":"  ","last_name":"B","line_1":"1","county":"C","postcode":"P","country":"US"}}`, 400,
			[]string{"first_name is required"}},
		{"wrong type", `{"data":{"type":"customer","first_name":"A","last_name":"B","line_1":"1","county":"C","postcode":"P","country":"US"}}`, 400, nil},
		{"unknown member", `{"data":{"type":"address","first_name":"A","last_name":"B","line_1":"1","county":"C","postcode":"P","country":"US","customer_id":"x"}}`, 400, nil},
		{"not a string", `{"data":{"type":"address","first_name":"A","last_name":"B","line_1":"1","county":"C","postcode":47998,"country":"US"}}`, 400, nil},
		{"too long", `{"data":{"type":"address","first_name":"` + long + `","last_name":"B","line_1":"1","county":"C","postcode":"P","country":"US"}}`, 400, nil},
		{"control character", `{"data":{"type":"address","first_name":"A\u0007","last_name":"B","line_1":"1","county":"C","postcode":"P","country":"US"}}`, 400, nil},
		{"malformed", `{"data":{`, 400, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do(req{Route: addrRoute("POST", false), Path: path, Headers: bearer(h.admin), Body: c.body})
			expect(t, r, c.status)
			if c.status != 201 {
				errs := errorsOf(t, r)
				for i, d := range c.details {
					if i >= len(errs) || errs[i]["detail"] != d || errs[i]["title"] != "required" || errs[i]["source"] != "data" || errs[i]["status"] != float64(400) {
						t.Errorf("error %d: %v, want %q", i, errs, d)
					}
				}
				if c.details != nil && len(errs) != len(c.details) {
					t.Errorf("%d errors, want %d", len(errs), len(c.details))
				}
				return
			}
			d := data(r)
			if d["type"] != "address" || d["line_2"] != "" || d["region"] != "" || d["company_name"] != "" {
				t.Errorf("unset fields must come back as \"\": %s", r.Body)
			}
			if self := d["links"].(map[string]any)["self"]; self != "https://api.example.test/v2/customers/"+ron+"/addresses/"+d["id"].(string) {
				t.Errorf("links.self %v", self)
			}
			ts := d["meta"].(map[string]any)["timestamps"].(map[string]any)
			if ts["created_at"] == "" || ts["created_at"] != ts["updated_at"] {
				t.Errorf("timestamps %v", ts)
			}
		})
	}
	t.Run("unknown customer", func(t *testing.T) {
		expect(t, h.do(req{Route: addrRoute("POST", false), Path: map[string]string{"customerId": "00000000-0000-4000-8000-000000000000"},
			Headers: bearer(h.admin), Body: anAddress}), 404)
	})
}

func TestAddressLifecycle(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	leslie := h.createCustomer("Leslie", "leslie@example.com")
	ronTok := h.customerToken("ron@example.com")
	own := withCustomer(h.implicit, ronTok)
	a := h.createAddress(ron)
	theirs := h.createAddress(leslie)
	at := func(cid, aid string) map[string]string { return map[string]string{"customerId": cid, "addressId": aid} }

	t.Run("get with the customer's own token", func(t *testing.T) {
		r := h.do(req{Route: addrRoute("GET", true), Path: at(ron, a), Headers: own})
		expect(t, r, 200)
		if data(r)["line_1"] != "1 Pawnee Way" {
			t.Errorf("%s", r.Body)
		}
	})
	t.Run("another customer's address under your own path is not found", func(t *testing.T) {
		for _, route := range []string{addrRoute("GET", true), addrRoute("PUT", true), addrRoute("DELETE", true)} {
			body := ""
			if strings.HasPrefix(route, "PUT") {
				body = `{"data":{"type":"address","city":"Stolen"}}`
			}
			r := h.do(req{Route: route, Path: at(ron, theirs), Headers: own, Body: body})
			expect(t, r, 404)
		}
		r := h.do(req{Route: addrRoute("GET", true), Path: at(leslie, theirs), Headers: bearer(h.admin)})
		if data(r)["city"] != "" {
			t.Errorf("Leslie's address changed: %s", r.Body)
		}
	})
	t.Run("an id that is not a uuid", func(t *testing.T) {
		expect(t, h.do(req{Route: addrRoute("GET", true), Path: at(ron, "nope"), Headers: own}), 404)
	})
	t.Run("partial update", func(t *testing.T) {
		r := h.do(req{Route: addrRoute("PUT", true), Path: at(ron, a), Headers: own, Body: `{"data":{"type":"address","city":"Pawnee","line_2":"Apt 2"}}`})
		expect(t, r, 200)
		d := data(r)
		if d["city"] != "Pawnee" || d["line_2"] != "Apt 2" || d["first_name"] != "Ron" {
			t.Errorf("%s", r.Body)
		}
		r = h.do(req{Route: addrRoute("PUT", true), Path: at(ron, a), Headers: own, Body: `{"data":{"type":"address","line_2":null}}`})
		expect(t, r, 200)
		if data(r)["line_2"] != "" || data(r)["city"] != "Pawnee" {
			t.Errorf("%s", r.Body)
		}
		if r := h.do(req{Route: addrRoute("GET", true), Path: at(ron, a), Headers: own}); data(r)["city"] != "Pawnee" {
			t.Errorf("update not stored: %s", r.Body)
		}
	})
	t.Run("a mandatory field cannot be blanked", func(t *testing.T) {
		r := h.do(req{Route: addrRoute("PUT", true), Path: at(ron, a), Headers: own, Body: `{"data":{"type":"address","postcode":"","county":null}}`})
		expect(t, r, 400)
		if n := len(errorsOf(t, r)); n != 2 {
			t.Errorf("%d errors: %s", n, r.Body)
		}
	})
	t.Run("the id in the body must match the path", func(t *testing.T) {
		expect(t, h.do(req{Route: addrRoute("PUT", true), Path: at(ron, a), Headers: own, Body: `{"data":{"type":"address","id":"` + theirs + `","city":"X"}}`}), 400)
	})
	t.Run("delete", func(t *testing.T) {
		b := h.createAddress(ron)
		expect(t, h.do(req{Route: addrRoute("DELETE", true), Path: at(ron, b), Headers: own}), 204)
		expect(t, h.do(req{Route: addrRoute("GET", true), Path: at(ron, b), Headers: own}), 404)
		expect(t, h.do(req{Route: addrRoute("DELETE", true), Path: at(ron, b), Headers: own}), 404)
		r := h.do(req{Route: addrRoute("GET", false), Path: map[string]string{"customerId": ron}, Headers: own})
		if total := r.JSON["meta"].(map[string]any)["results"].(map[string]any)["total"]; total != float64(1) {
			t.Errorf("total %v", total)
		}
	})
	t.Run("a deleted customer's addresses are gone for every caller", func(t *testing.T) {
		expect(t, h.do(req{Route: "DELETE /v2/customers/{customerId}", Path: map[string]string{"customerId": ron}, Headers: bearer(h.admin)}), 204)
		expect(t, h.do(req{Route: addrRoute("GET", true), Path: at(ron, a), Headers: bearer(h.admin)}), 404)
		expect(t, h.do(req{Route: addrRoute("GET", false), Path: map[string]string{"customerId": ron}, Headers: bearer(h.admin)}), 404)
		expect(t, h.do(req{Route: addrRoute("POST", false), Path: map[string]string{"customerId": ron}, Headers: bearer(h.admin), Body: anAddress}), 404)
		expect(t, h.do(req{Route: addrRoute("PUT", true), Path: at(ron, a), Headers: bearer(h.admin), Body: `{"data":{"type":"address","city":"X"}}`}), 404)
		expect(t, h.do(req{Route: addrRoute("DELETE", true), Path: at(ron, a), Headers: bearer(h.admin)}), 404)
		expect(t, h.do(req{Route: addrRoute("GET", true), Path: at(ron, a), Headers: own}), 403) // the token died with him
	})
}

func TestListAddresses(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	const n = 130 // more than the largest page
	var ids []string
	for i := 0; i < n; i++ {
		r := h.do(req{Route: addrRoute("POST", false), Path: map[string]string{"customerId": ron}, Headers: bearer(h.admin),
			Body: fmt.Sprintf(`{"data":{"type":"address","first_name":"R","last_name":"S","line_1":"%d Main St","county":"C","postcode":"P","country":"US"}}`, i)})
		expect(t, r, 201)
		ids = append(ids, data(r)["id"].(string))
	}
	list := func(query string) response {
		return h.do(req{Route: addrRoute("GET", false), Path: map[string]string{"customerId": ron}, Query: query, Headers: bearer(h.admin)})
	}
	idsOf := func(r response) []string {
		var out []string
		for _, a := range r.JSON["data"].([]any) {
			out = append(out, a.(map[string]any)["id"].(string))
		}
		return out
	}
	t.Run("pages walk every address once, oldest first", func(t *testing.T) {
		var got []string
		for offset := 0; offset < n; offset += 50 {
			r := list(fmt.Sprintf("page[limit]=50&page[offset]=%d", offset))
			expect(t, r, 200)
			got = append(got, idsOf(r)...)
			meta := r.JSON["meta"].(map[string]any)
			if meta["results"].(map[string]any)["total"] != float64(n) || meta["page"].(map[string]any)["total"] != float64(3) {
				t.Errorf("meta %v", meta)
			}
		}
		if strings.Join(got, ",") != strings.Join(ids, ",") {
			t.Errorf("pages gave %d ids, not the %d created in order", len(got), n)
		}
	})
	t.Run("default page length is the store's", func(t *testing.T) {
		if got := idsOf(list("")); len(got) != 25 {
			t.Errorf("%d addresses on a default page", len(got))
		}
		expect(t, h.do(req{Route: "PUT /v2/settings", Headers: bearer(h.admin), Body: `{"data":{"type":"settings","page_length":7}}`}), 200)
		r := list("")
		if got := idsOf(r); len(got) != 7 || r.JSON["meta"].(map[string]any)["page"].(map[string]any)["limit"] != float64(7) {
			t.Errorf("%d addresses on a default page after page_length 7: %v", len(got), r.JSON["meta"])
		}
		if got := idsOf(list("page[limit]=100")); len(got) != 100 {
			t.Errorf("explicit limit: %d", len(got))
		}
	})
	t.Run("limit 0 and offsets past the end", func(t *testing.T) {
		r := list("page[limit]=0")
		if len(idsOf(r)) != 0 || r.JSON["meta"].(map[string]any)["results"].(map[string]any)["total"] != float64(n) {
			t.Errorf("%s", r.Body)
		}
		if got := idsOf(list("page[offset]=129&page[limit]=10")); len(got) != 1 || got[0] != ids[129] {
			t.Errorf("last row: %v", got)
		}
		if got := idsOf(list("page[offset]=130")); len(got) != 0 {
			t.Errorf("past the end: %v", got)
		}
	})
	for _, q := range []string{"page[limit]=101", "page[offset]=-1", "filter=eq(city,x)"} {
		t.Run("bad query "+q, func(t *testing.T) { expect(t, list(q), 400) })
	}
	t.Run("a customer without addresses", func(t *testing.T) {
		other := h.createCustomer("Ann", "ann@example.com")
		r := h.do(req{Route: addrRoute("GET", false), Path: map[string]string{"customerId": other}, Headers: bearer(h.admin)})
		expect(t, r, 200)
		if len(idsOf(r)) != 0 || r.JSON["meta"].(map[string]any)["results"].(map[string]any)["total"] != float64(0) {
			t.Errorf("%s", r.Body)
		}
	})
}

func TestAddressCap(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	path := map[string]string{"customerId": ron}
	setCap := func(v string) {
		t.Helper()
		r := h.do(req{Route: "PUT /v2/settings", Headers: bearer(h.admin), Body: `{"data":{"type":"settings","max_addresses_per_customer":` + v + `}}`})
		expect(t, r, 200)
	}
	create := func(headers map[string]string) response {
		return h.do(req{Route: addrRoute("POST", false), Path: path, Headers: headers, Body: anAddress})
	}
	total := func() any {
		r := h.do(req{Route: addrRoute("GET", false), Path: path, Headers: bearer(h.admin)})
		return r.JSON["meta"].(map[string]any)["results"].(map[string]any)["total"]
	}
	refusedAtCap := func(t *testing.T, r response, limit string) {
		t.Helper()
		expect(t, r, 400)
		errs := errorsOf(t, r)
		if len(errs) != 1 || errs[0]["source"] != "data" || !strings.Contains(errs[0]["detail"].(string), "at most "+limit+" addresses") ||
			!strings.Contains(errs[0]["detail"].(string), "max_addresses_per_customer") {
			t.Errorf("%s", r.Body)
		}
	}

	a := h.createAddress(ron)
	h.createAddress(ron)
	setCap("2")
	t.Run("past the cap a create is a 400 naming it", func(t *testing.T) {
		refusedAtCap(t, create(bearer(h.admin)), "2")
		if n := total(); n != float64(2) {
			t.Errorf("total %v after a refused create", n)
		}
	})
	t.Run("a delete makes room", func(t *testing.T) {
		expect(t, h.do(req{Route: addrRoute("DELETE", true), Path: map[string]string{"customerId": ron, "addressId": a}, Headers: bearer(h.admin)}), 204)
		expect(t, create(bearer(h.admin)), 201)
		refusedAtCap(t, create(bearer(h.admin)), "2")
	})
	t.Run("the cap is per customer", func(t *testing.T) {
		other := h.createCustomer("Ann", "ann@example.com")
		h.createAddress(other)
		h.createAddress(other)
	})
	t.Run("a cap below what a customer has keeps the addresses and refuses more", func(t *testing.T) {
		setCap("1")
		refusedAtCap(t, create(bearer(h.admin)), "1")
		if n := total(); n != float64(2) {
			t.Errorf("total %v", n)
		}
	})
	t.Run("null lifts the cap", func(t *testing.T) {
		setCap("null")
		expect(t, create(bearer(h.admin)), 201)
		setCap("3")
	})
	t.Run("an owner failure is told apart from the cap", func(t *testing.T) {
		old := h.customerToken("ron@example.com")
		expect(t, h.do(req{Route: "PUT /v2/customers/{customerId}", Path: path, Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","password":"a new password"}}`}), 200)
		expect(t, create(withCustomer(h.implicit, old)), 403) // at the cap, with a revoked token
		expect(t, h.do(req{Route: "DELETE /v2/customers/{customerId}", Path: path, Headers: bearer(h.admin)}), 204)
		expect(t, create(bearer(h.admin)), 404) // at the cap, deleted
	})
}

// TestAddressCountUnderConcurrency races creates (past the cap) and deletes (each address
// twice) on one customer, with a reader watching the count, then checks that the count
// kept on the customer is the number of addresses listed and never passed the cap.
//
// Every address write counts on the customer's profile, so on DynamoDB concurrent ones
// conflict (TransactionConflict); DynamoDB Local runs transactions one at a time, so the
// races go through a client that cancels overlapping transactions as DynamoDB does. The
// store retries them (pkg/store transact): a burst the size of a double click never
// fails; a storm of writes on one customer may get 503s once the retries are spent, which
// must have written nothing. No request may answer anything else.
func TestAddressCountUnderConcurrency(t *testing.T) {
	h := newHarness(t)
	client, conflicts := h.db.Conflicting()
	_, racing := h.on(h.cfg, client)
	const limit = 12
	expect(t, h.do(req{Route: "PUT /v2/settings", Headers: bearer(h.admin),
		Body: fmt.Sprintf(`{"data":{"type":"settings","max_addresses_per_customer":%d}}`, limit)}), 200)

	t.Run("a double click", func(t *testing.T) {
		r := h.race(racing, h.createCustomer("Ann", "ann@example.com"), limit, 1, 2, 1)
		if r.unavailable > 0 {
			t.Errorf("%d requests answered 503: %v", r.unavailable, r.statuses)
		}
	})
	t.Run("a storm", func(t *testing.T) {
		const creates, deletes = 16, 6
		before := conflicts.Injected()
		r := h.race(racing, h.createCustomer("Ron", "ron@example.com"), limit, 8, creates, deletes)
		writes := creates + 2*deletes
		t.Logf("%d of %d writes answered 503 after %d conflicts: %v", r.unavailable, writes, conflicts.Injected()-before, r.statuses)
		// With 5 attempts and short pauses, two thirds or more gave up here; with the
		// jittered backoff, a few at most, even on a loaded machine.
		if r.unavailable > writes/3 {
			t.Errorf("%d of %d writes gave up on conflicts", r.unavailable, writes)
		}
	})
}

// raced is what a race's requests answered: statuses by "create" or the id of the address
// deleted, and how many were 503s.
type raced struct {
	statuses    map[string][]int
	unavailable int
}

// race gives customer `before` addresses, then sends `creates` creates and two deletes of
// each of `deletes` of those addresses at once through handlers, with a reader listing
// meanwhile; it checks the answers and the count against the addresses listed after.
func (h *harness) race(handlers map[string]api.HandlerFunc, customer string, limit, before, creates, deletes int) raced {
	t := h.t
	t.Helper()
	path := map[string]string{"customerId": customer}
	var existing []string
	for range before {
		existing = append(existing, h.createAddress(customer))
	}
	total := func(r response) int {
		return int(r.JSON["meta"].(map[string]any)["results"].(map[string]any)["total"].(float64))
	}
	var mu sync.Mutex
	out := raced{statuses: map[string][]int{}}
	record := func(op string, r response, expected ...int) {
		mu.Lock()
		defer mu.Unlock()
		out.statuses[op] = append(out.statuses[op], r.Status)
		switch {
		case r.Status == 503 && r.Headers["Retry-After"] != "":
			out.unavailable++
		case !slices.Contains(expected, r.Status):
			t.Errorf("%s: unexpected answer %d %s", op, r.Status, r.Body)
		}
	}
	send := func(r req) response { return h.doWith(handlers, r) }

	var wg sync.WaitGroup
	start := make(chan struct{})
	for range creates {
		wg.Go(func() {
			<-start
			r := send(req{Route: addrRoute("POST", false), Path: path, Headers: bearer(h.admin), Body: anAddress})
			if r.Status == 400 && !strings.Contains(r.Body, "max_addresses_per_customer") {
				r.Status = -400 // a 400 that is not the cap's
			}
			record("create", r, 201, 400)
		})
	}
	for _, a := range existing[:deletes] {
		for range 2 {
			wg.Go(func() {
				<-start
				record(a, send(req{Route: addrRoute("DELETE", true), Path: map[string]string{"customerId": customer, "addressId": a},
					Headers: bearer(h.admin)}), 204, 404)
			})
		}
	}
	done, watched := make(chan struct{}), make(chan int)
	go func() { // the count as others see it while the race runs
		most := 0
		for {
			select {
			case <-done:
				watched <- most
				return
			default:
			}
			if r := send(req{Route: addrRoute("GET", false), Path: path, Query: "page[limit]=0", Headers: bearer(h.admin)}); r.Status == 200 {
				most = max(most, total(r))
			}
		}
	}()
	close(start)
	wg.Wait()
	close(done)
	if most := <-watched; most > limit {
		t.Errorf("a reader saw %d addresses, past the cap of %d", most, limit)
	}

	created, deleted := 0, 0
	for op, list := range out.statuses {
		for _, s := range list {
			switch {
			case op == "create" && s == 201:
				created++
			case s == 204:
				deleted++
			}
		}
		// Two deletes of one address: one 204 and one 404, unless one gave up (503).
		if op != "create" && !slices.ContainsFunc([][]int{{204, 404}, {204, 503}, {503, 503}}, func(ok []int) bool {
			return slices.Equal(slices.Sorted(slices.Values(list)), ok)
		}) {
			t.Errorf("two deletes of one address answered %v", list)
		}
	}
	// Every address, page by page, against the count kept on the customer: a 503 wrote
	// nothing, every 201 and 204 did.
	var listed, counted int
	for offset := 0; ; offset += 5 {
		r := h.do(req{Route: addrRoute("GET", false), Path: path, Query: fmt.Sprintf("page[limit]=5&page[offset]=%d", offset), Headers: bearer(h.admin)})
		expect(t, r, 200)
		counted = total(r)
		n := len(r.JSON["data"].([]any))
		listed += n
		if n < 5 {
			break
		}
	}
	if counted != listed {
		t.Errorf("meta.results.total %d, but %d addresses listed", counted, listed)
	}
	if want := before - deleted + created; listed != want {
		t.Errorf("%d addresses, want %d (%d before, %d deleted, %d created)", listed, want, before, deleted, created)
	}
	if listed > limit {
		t.Errorf("%d addresses, past the cap of %d", listed, limit)
	}
	return out
}

// TestAddressesByCursor: links.next carries a cursor; a page reached by it starts after the
// page before (the profile read alongside), and every address comes once, oldest first.
func TestAddressesByCursor(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron@example.com")
	var want []string
	for i := 0; i < 5; i++ {
		want = append(want, h.createAddress(ron))
	}
	path := map[string]string{"customerId": ron}
	seen := h.followByCursor(t, req{Route: "GET /v2/customers/{customerId}/addresses", Path: path, Headers: bearer(h.admin)})
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("following links.next gave %v, want %v", seen, want)
	}
	// A cursor of another customer's list is refused.
	leslie := h.createCustomer("Leslie", "leslie@example.com")
	h.createAddress(leslie)
	first := h.do(req{Route: "GET /v2/customers/{customerId}/addresses", Path: path, Query: "page[limit]=2", Headers: bearer(h.admin)})
	next := first.JSON["links"].(map[string]any)["next"].(string)
	expect(t, h.do(req{Route: "GET /v2/customers/{customerId}/addresses", Path: map[string]string{"customerId": leslie},
		Query: next[strings.Index(next, "?")+1:], Headers: bearer(h.admin)}), 400)
}
