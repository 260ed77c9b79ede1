package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/store"
	"github.com/acme/customers/pkg/telemetry"
	"github.com/acme/customers/pkg/testenv"
)

// catalogueFaultRows are the catalogue's concurrency and data faults (F33–F43): requests
// sent at once, and DynamoDB failing in the ways DynamoDB Local never does (pkg/testenv's
// injectors), each row with an audit of what the table holds afterwards.
func catalogueFaultRows() []catalogueRow {
	customerWrites := []string{"CUSTOMER#", "EMAIL#", "COUNT#"}
	keyedWrites := []string{"CUSTOMER#", "EMAIL#", "COUNT#", "IDEMPOTENCY#"}
	return []catalogueRow{
		{id: "F33", what: "50 sign-ups at once with one email in four letter cases: one 201, 49 × 409; audit: one live customer with it, one claim naming it, the total one more",
			writes: customerWrites,
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				total := customersTotal(t, h)
				cases := []string{"f33@example.com", "F33@example.com", "f33@EXAMPLE.com", "F33@Example.COM"}
				rs := atOnce(50, func(i int) response {
					return h.do(req{Route: "POST /v2/customers", Headers: bearer(h.admin),
						Body: `{"data":{"type":"customer","name":"Racer","email":"` + cases[i%len(cases)] + `"}}`})
				})
				tally(t, rs, map[int]int{201: 1, 409: 49})
				var winner string
				for _, r := range rs {
					if r.Status == 201 {
						winner, _ = data(r)["id"].(string)
					}
				}
				if claims := emailAudit(t, h); claims["f33@example.com"] != winner {
					t.Errorf("the claim names %q, the 201 %q", claims["f33@example.com"], winner)
				}
				if n := customersTotal(t, h); n != total+1 {
					t.Errorf("total %d, was %d", n, total)
				}
			}},
		{id: "F34", what: "10 customers change to one new email at once: one 200, 9 × 409; one customer sent 10 changes to 10 emails at once: 200s and 409s (changed meanwhile), it ends at one of them; audit: claims and live customers match one to one, none orphaned (TestEmailRace: the store's part)",
			writes: customerWrites,
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				put := func(id, email string) response {
					return h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": id}, Headers: bearer(h.admin),
						Body: `{"data":{"type":"customer","email":"` + email + `"}}`})
				}
				var ids []string
				for i := range 10 {
					r := h.do(signUpReq(h, fmt.Sprintf("f34-%d@example.com", i)))
					statuses(t, 201, r)
					ids = append(ids, data(r)["id"].(string))
				}
				rs := atOnce(len(ids), func(i int) response { return put(ids[i], "f34.target@example.com") })
				tally(t, rs, map[int]int{200: 1, 409: 9})
				claims := emailAudit(t, h)
				for i, r := range rs {
					if (r.Status == 200) != (claims["f34.target@example.com"] == ids[i]) {
						t.Errorf("customer %d answered %d; the target's claim names %s", i, r.Status, claims["f34.target@example.com"])
					}
				}

				solo := h.createCustomer("F34 solo", "f34.solo@example.com")
				rs = atOnce(10, func(i int) response { return put(solo, fmt.Sprintf("f34.solo-%d@example.com", i)) })
				won := map[string]bool{}
				for i, r := range rs {
					switch r.Status {
					case 200:
						won[fmt.Sprintf("f34.solo-%d@example.com", i)] = true
					case 409:
					default:
						t.Errorf("change %d: %d %s", i, r.Status, r.Body)
					}
				}
				now := data(h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": solo}, Headers: bearer(h.admin)}))["email"]
				if len(won) == 0 || !won[fmt.Sprint(now)] {
					t.Errorf("email %v, changes answered 200: %v", now, won)
				}
				named := 0
				for email, id := range emailAudit(t, h) {
					if id == solo {
						named++
						if email != now {
							t.Errorf("a claim of %s names the customer, whose email is %v", email, now)
						}
					}
				}
				if named != 1 {
					t.Errorf("%d claims name the customer, want 1", named)
				}
			}},
		{id: "F35", what: "20 PUTs at once with one If-Match, of a customer, address, order, field, the settings (one UpdateItem, or a read then a transaction): one 200, 19 × 412 (our contract: a stale If-Match is 412; without one the last write wins), each 412 with the new tag; the version one more",
			writes: []string{"CUSTOMER#", "EMAIL#", "COUNT#", "CART#", "ORDER#", "FLOWS", "SETTINGS"},
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				const n = 20
				pageLength := data(h.do(req{Route: "GET /v2/settings", Headers: bearer(h.admin)}))["page_length"]
				defer func() { // the rows after this one list with the page length they began with
					expect(t, h.do(req{Route: "PUT /v2/settings", Headers: bearer(h.admin),
						Body: fmt.Sprintf(`{"data":{"type":"settings","page_length":%v}}`, pageLength)}), 200)
				}()
				for _, res := range etagResources(t) {
					switch res.name {
					case "customer", "address", "order", "settings", "field":
					default:
						continue
					}
					t.Run(res.name, func(t *testing.T) {
						id, path := res.make(h)
						tag := h.do(req{Route: res.get, Path: path, Headers: bearer(h.admin)}).Headers["ETag"]
						v := versionIn(t, id, tag)
						rs := atOnce(n, func(i int) response {
							return h.do(req{Route: res.put, Path: path, Headers: h.as(ifMatch(tag)), Body: res.body(1000 + i)})
						})
						tally(t, rs, map[int]int{200: 1, 412: n - 1})
						for _, r := range rs {
							if r.Status == 412 && r.Headers["ETag"] != tagFor(id, v+1) {
								t.Errorf("412 with ETag %q, want %q", r.Headers["ETag"], tagFor(id, v+1))
							}
						}
						if after := h.do(req{Route: res.get, Path: path, Headers: bearer(h.admin)}); after.Headers["ETag"] != tagFor(id, v+1) {
							t.Errorf("ETag after the race %q, want %q", after.Headers["ETag"], tagFor(id, v+1))
						}
					})
				}
			}},
		{id: "F36", what: "a client gave up on a keyed create and sent it again: 20 at once (each the first 201, or past 2 s of waiting for it 409 + Retry-After) and 11 minutes later (past DynamoDB's own 10-minute token window; the key's record lasts 24 h: the first 201): one customer; a keyed checkout sent 3 times: one order; past 24 h the key is free: the same create is the 409 of a taken email, another create with the key a new 201 (TestIdempotencyKey: replay headers, 422 for another request, bad keys)",
			writes: []string{"CUSTOMER#", "EMAIL#", "COUNT#", "IDEMPOTENCY#", "CART#", "ORDER#"},
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				create := func(email string) response {
					return h.do(req{Route: "POST /v2/customers", Headers: keyed(bearer(h.implicit), "f36-storm"),
						Body: `{"data":{"type":"customer","name":"Storm","email":"` + email + `"}}`})
				}
				keysBefore := h.countItems(t, "IDEMPOTENCY#", "IDEMPOTENCY")
				rs := atOnce(20, func(int) response { return create("f36@example.com") })
				var created response
				waited := 0
				for _, r := range rs {
					switch {
					case r.Status == 201 && (created.Body == "" || r.Body == created.Body):
						created = r
					case r.Status == 409 && r.Headers["Retry-After"] != "" && errorsOf(t, r)[0]["source"] == "Idempotency-Key":
						waited++ // the first took more than the 2 s the others wait (a loaded machine): "retry shortly"
					default:
						t.Errorf("%d %s, want the first 201 %s", r.Status, r.Body, created.Body)
					}
				}
				if waited > 0 {
					t.Logf("%d of 20 waited 2 s for the first answer and were told to retry", waited)
				}
				first := data(created)["id"]
				record := newestKey(t, h, keysBefore)
				age(t, h, record, 11*time.Minute)
				if r := create("f36@example.com"); r.Status != 201 || r.Body != created.Body || r.Headers["Idempotent-Replayed"] != "true" {
					t.Errorf("11 minutes on: %d %v %s", r.Status, r.Headers, r.Body)
				}

				orders := h.countItems(t, "ORDER#", "ORDER")
				h.put("f36-cart", "Eggs", 2, 150)
				var checkouts []response
				for range 3 {
					checkouts = append(checkouts, h.do(req{Route: "POST /v2/carts/{cartId}/checkout", Path: cartPath("f36-cart"),
						Headers: keyed(bearer(h.implicit), "f36-checkout"), Body: checkoutBody(`{"name":"Guest","email":"f36.guest@example.com"}`)}))
				}
				for _, o := range checkouts {
					if o.Status != 201 || o.Body != checkouts[0].Body {
						t.Errorf("checkout sent again: %d %s", o.Status, o.Body)
					}
				}
				if n := h.countItems(t, "ORDER#", "ORDER"); n != orders+1 {
					t.Errorf("%d orders, were %d: want one more", n, orders)
				}

				age(t, h, record, 24*time.Hour) // expired, and not yet deleted by TTL (which takes up to days)
				again := create("f36@example.com")
				statuses(t, 409, again)
				if e := errorsOf(t, again); e[0]["source"] == "Idempotency-Key" {
					t.Errorf("an expired key still holds: %s", again.Body)
				}
				other := create("f36.other@example.com")
				statuses(t, 201, other)
				if other.Headers["Idempotent-Replayed"] != "" || data(other)["id"] == first {
					t.Errorf("an expired key answered: %v %s", other.Headers, other.Body)
				}
				claims := emailAudit(t, h)
				if claims["f36@example.com"] != first || claims["f36.other@example.com"] != data(other)["id"] {
					t.Errorf("claims %s, %s; want %v, %v", claims["f36@example.com"], claims["f36.other@example.com"], first, data(other)["id"])
				}
			}},
		{id: "F37", what: "20 sign-ups each followed at once by a log-in and a GET: all succeed; every read of a customer or its claim is consistent and on the table (a filter by email reads an index, which README says may lag about a second)",
			writes: customerWrites,
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				reads := &readsOnTable{API: h.db.Client}
				_, hs := h.on(h.cfg, reads)
				rs := atOnce(20, func(i int) response {
					email := fmt.Sprintf("f37-%d@example.com", i)
					r := h.doWith(hs, req{Route: "POST /v2/customers", Headers: bearer(h.implicit),
						Body: `{"data":{"type":"customer","name":"Quick","email":"` + email + `","password":"` + testPassword + `"}}`})
					if r.Status != 201 {
						return r
					}
					id := data(r)["id"].(string)
					r = h.doWith(hs, req{Route: "POST /v2/customers/tokens", Headers: bearer(h.implicit), Source: "10.37.0." + strconv.Itoa(i),
						Body: `{"data":{"type":"token","email":"` + email + `","password":"` + testPassword + `","authentication_mechanism":"password"}}`})
					if r.Status != 200 {
						return r
					}
					return h.doWith(hs, req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": id},
						Headers: withCustomer(h.implicit, data(r)["token"].(string))})
				})
				statuses(t, 200, rs...)
				for _, r := range reads.eventual() {
					t.Errorf("an eventually consistent read: %s", r)
				}
			}},
		{id: "F38", what: "DynamoDB throttles (ProvisionedThroughputExceeded) every attempt of a sign-up's transaction or of a GET's read: the SDK makes its 3 attempts, then 503 + Retry-After, nothing written; throttled twice, the third attempt lands: 201, one customer",
			writes: customerWrites,
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				// The SDK's retryer as the functions have it, with its pauses cut short.
				client, f := h.db.Failing(func(o *retry.StandardOptions) { o.MaxBackoff = 20 * time.Millisecond })
				_, hs := h.on(h.cfg, client)
				getA := req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": w.a}, Headers: bearer(h.admin)}
				statuses(t, 200, h.doWith(hs, getA)) // what a cold process reads first is read
				before := h.db.Snapshot(t)
				f.Fail("TransactWriteItems", 3, throttled)
				want503(t, h.doWith(hs, signUpReq(h, "f38@example.com")))
				f.Fail("GetItem", 3, throttled)
				want503(t, h.doWith(hs, getA))
				if n := f.Injected(); n != 6 {
					t.Errorf("%d attempts refused, want 3 a call", n)
				}
				unchanged(t, h, before)
				f.Fail("TransactWriteItems", 2, throttled)
				r := h.doWith(hs, signUpReq(h, "f38@example.com"))
				statuses(t, 201, r)
				if claims := emailAudit(t, h); f.Injected() != 8 || claims["f38@example.com"] != data(r)["id"] {
					t.Errorf("%d refused; the claim names %s", f.Injected(), claims["f38@example.com"])
				}
			}},
		{id: "F39", what: "transactions cancelled: a sign-up's [None, ConditionalCheckFailed on the email claim, None]: 409 email taken; an email change's [ConditionalCheckFailed on the profile, None, None]: 409 changed meanwhile; [None, TransactionConflict, None] once: tried again, 201; on all 12 tries: 503 + Retry-After; the refused ones write nothing (TestAddressCountUnderConcurrency: overlapping transactions, testenv.Conflicting)",
			writes: customerWrites,
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				client, f := h.db.Failing()
				_, hs := h.on(h.cfg, client)
				on := func(prefix, code string) func(string) string {
					return func(pk string) string {
						if strings.HasPrefix(pk, prefix) {
							return code
						}
						return "None"
					}
				}
				c := h.createCustomer("F39", "f39@example.com")
				before := h.db.Snapshot(t)
				f.Cancel(1, on("EMAIL#", "ConditionalCheckFailed"))
				taken := h.doWith(hs, signUpReq(h, "f39.new@example.com"))
				statuses(t, 409, taken)
				if e := errorsOf(t, taken); e[0]["source"] != "data.email" {
					t.Errorf("not the taken email's 409: %s", taken.Body)
				}
				f.Cancel(1, on("CUSTOMER#", "ConditionalCheckFailed"))
				statuses(t, 409, h.doWith(hs, req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": c},
					Headers: bearer(h.admin), Body: `{"data":{"type":"customer","email":"f39.moved@example.com"}}`}))
				f.Cancel(12, on("EMAIL#", "TransactionConflict"))
				want503(t, h.doWith(hs, signUpReq(h, "f39.new@example.com")))
				unchanged(t, h, before)
				if n := f.Injected(); n != 14 {
					t.Errorf("%d transactions cancelled, want 14: a conflict is tried 12 times", n)
				}
				f.Cancel(1, on("EMAIL#", "TransactionConflict"))
				r := h.doWith(hs, signUpReq(h, "f39.new@example.com"))
				statuses(t, 201, r)
				if claims := emailAudit(t, h); claims["f39.new@example.com"] != data(r)["id"] {
					t.Errorf("the claim names %s", claims["f39.new@example.com"])
				}
			}},
		{id: "F40", what: "the SDK's client-side retry bucket is empty when a throttled transaction needs a retry (\"retry quota exceeded\"): 503 + Retry-After, nothing written, the SDK's error logged and the answer counted as Http503 (store.TestFailures: the mapping)",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				client, f := h.db.Failing(func(o *retry.StandardOptions) { o.RateLimiter = ratelimit.NewTokenRateLimit(0) })
				_, hs := h.on(h.cfg, client)
				var logs bytes.Buffer
				defer func(l *slog.Logger) { api.Logger = l }(api.Logger)
				api.Logger = telemetry.NewLogger(&logs)
				before := h.db.Snapshot(t)
				f.Fail("TransactWriteItems", 1, throttled)
				want503(t, h.doWith(hs, signUpReq(h, "f40@example.com")))
				unchanged(t, h, before)
				if n := f.Injected(); n != 1 {
					t.Errorf("%d attempts: the empty bucket allows no retry", n)
				}
				if !strings.Contains(logs.String(), "retry quota exceeded") || !strings.Contains(logs.String(), api.MetricHTTP503) {
					t.Errorf("logs: %s", logs.String())
				}
			}},
		{id: "F41", what: "a sign-up's or an email change's transaction hangs past the function's deadline: 503 + Retry-After, answered before the deadline (api.Handle keeps 500 ms: TestHandleDeadlineMargin), nothing written; the keyed sign-up sent again: 201",
			writes: keyedWrites,
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				client, f := h.db.Failing()
				_, hs := h.on(h.cfg, client)
				statuses(t, 200, h.doWith(hs, req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": w.a}, Headers: bearer(h.admin)}))
				signUp := signUpReq(h, "f41@example.com")
				signUp.Headers = keyed(signUp.Headers, "f41-key")
				before := h.db.Snapshot(t)
				f.Hang("TransactWriteItems", 1, false)
				want503(t, doBy(t, hs, signUp, time.Now().Add(1500*time.Millisecond)))
				unchanged(t, h, before)
				r := h.do(signUp)
				statuses(t, 201, r)
				before = h.db.Snapshot(t)
				f.Hang("TransactWriteItems", 1, false)
				want503(t, doBy(t, hs, req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": data(r)["id"].(string)},
					Headers: bearer(h.admin), Body: `{"data":{"type":"customer","email":"f41.moved@example.com"}}`}, time.Now().Add(1500*time.Millisecond)))
				unchanged(t, h, before)
			}},
		{id: "F42", what: "past the gateway's 30 s (not reproducible in-process): every routed function's timeout is below it, so the function's deadline comes first; a keyed sign-up whose transaction landed but whose answer is awaited at the deadline: 503 + Retry-After; the client's retry with the key: 409 + Retry-After (the answer was never stored), one customer, never two",
			writes: keyedWrites,
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				for _, fn := range testenv.Template(t).Functions {
					if len(fn.Routes) > 0 && fn.Timeout >= 30 {
						t.Errorf("%s: timeout %d s, not below the gateway's 30 s", fn.LogicalID, fn.Timeout)
					}
				}
				client, f := h.db.Failing()
				_, hs := h.on(h.cfg, client)
				statuses(t, 200, h.doWith(hs, req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": w.a}, Headers: bearer(h.admin)}))
				signUp := signUpReq(h, "f42@example.com")
				signUp.Headers = keyed(signUp.Headers, "f42-key")
				f.Hang("TransactWriteItems", 1, true)
				want503(t, doBy(t, hs, signUp, time.Now().Add(1500*time.Millisecond)))
				id := emailAudit(t, h)["f42@example.com"]
				if id == "" {
					t.Fatal("the transaction did not land")
				}
				retry := h.do(signUp)
				statuses(t, 409, retry)
				if e := errorsOf(t, retry); retry.Headers["Retry-After"] == "" || e[0]["source"] != "Idempotency-Key" {
					t.Errorf("%v %s", retry.Headers, retry.Body)
				}
				if claims := emailAudit(t, h); claims["f42@example.com"] != id {
					t.Errorf("the claim names %s, was %s", claims["f42@example.com"], id)
				}
			}},
		{id: "F43", what: "a panic inside a handler (the DynamoDB client's GetItem panics: under a GET, and under a log-in, in the goroutine that reads the claim): 500 with the contract's envelope and the request id alone, no panic text or stack; the stack logged (TestHandle: every kind of panic, in pkg/api)",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				_, hs := h.on(h.cfg, panicking{h.db.Client})
				var logs bytes.Buffer
				defer func(l *slog.Logger) { api.Logger = l }(api.Logger)
				api.Logger = telemetry.NewLogger(&logs)
				for _, r := range []req{
					{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": w.a}, Headers: bearer(h.admin)},
					// A panic in a goroutine the handler started would end the process (pkg/safe).
					{Route: "POST /v2/customers/tokens", Headers: bearer(h.implicit),
						Body: `{"data":{"type":"token","email":"` + w.aEmail + `","password":"` + testPassword + `","authentication_mechanism":"password"}}`},
				} {
					logs.Reset()
					got := h.doWith(hs, r)
					statuses(t, 500, got)
					if got.Body != `{"errors":[{"status":500,"title":"Internal Server Error","detail":"an unexpected error occurred; quote the request id when reporting it","request_id":"req-1"}]}` {
						t.Errorf("%s: body %s", r.Route, got.Body)
					}
					if !strings.Contains(logs.String(), panicText) || !strings.Contains(logs.String(), "goroutine") {
						t.Errorf("%s: the panic and its stack are not logged: %s", r.Route, logs.String())
					}
				}
			}},
	}
}

// throttled is what DynamoDB answers a table short of capacity.
var throttled = &types.ProvisionedThroughputExceededException{Message: aws.String("The level of configured provisioned throughput for the table was exceeded (injected)")}

// signUpReq is a sign-up with the implicit token, no password.
func signUpReq(h *harness, email string) req {
	return req{Route: "POST /v2/customers", Headers: bearer(h.implicit),
		Body: `{"data":{"type":"customer","name":"Faulty","email":"` + email + `"}}`}
}

// atOnce sends n requests together (each made by send(i)) and returns their answers in order.
func atOnce(n int, send func(i int) response) []response {
	out := make([]response, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			out[i] = send(i)
		})
	}
	close(start)
	wg.Wait()
	return out
}

// tally checks how many answers of rs have each status.
func tally(t *testing.T, rs []response, want map[int]int) {
	t.Helper()
	got := map[int]int{}
	for _, r := range rs {
		got[r.Status]++
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
}

// want503 checks a 503 as the contract has it: Retry-After, and the request id.
func want503(t *testing.T, r response) {
	t.Helper()
	statuses(t, 503, r)
	if r.Status == 503 && (r.Headers["Retry-After"] == "" || errorsOf(t, r)[0]["request_id"] == nil) {
		t.Errorf("503 without Retry-After or request id: %v %s", r.Headers, r.Body)
	}
}

// customersTotal is the total the customer list reports.
func customersTotal(t *testing.T, h *harness) int {
	t.Helper()
	r := h.do(req{Route: "GET /v2/customers", Headers: bearer(h.admin)})
	expect(t, r, 200)
	return int(r.JSON["meta"].(map[string]any)["results"].(map[string]any)["total"].(float64))
}

// emailAudit reads the whole table (consistently) and checks that email claims and live
// customers match one to one: every claim names a live customer with its email, every live
// customer's email is claimed by it. It returns the claims: email key → customer id.
func emailAudit(t *testing.T, h *harness) map[string]string {
	t.Helper()
	claims, live := map[string]string{}, map[string]string{} // email → id; id → email
	for _, it := range h.db.Items(t) {
		pk, sk := testenv.Str(it, "PK"), testenv.Str(it, "SK")
		switch {
		case sk == "EMAIL" && strings.HasPrefix(pk, "EMAIL#"):
			claims[strings.TrimPrefix(pk, "EMAIL#")] = testenv.Str(it, "customer_id")
		case sk == "#PROFILE" && strings.HasPrefix(pk, "CUSTOMER#") && it["deleted_at"] == nil:
			live[testenv.Str(it, "id")] = testenv.Str(it, "email_key")
		}
	}
	for email, id := range claims {
		if live[id] != email {
			t.Errorf("the claim of %s names %s, whose email is %q", email, id, live[id])
		}
	}
	for id, email := range live {
		if claims[email] != id {
			t.Errorf("customer %s's email %s is claimed by %q", id, email, claims[email])
		}
	}
	return claims
}

// newestKey is the Idempotency-Key record written since there were before of them (one).
func newestKey(t *testing.T, h *harness, before int) map[string]types.AttributeValue {
	t.Helper()
	var newest map[string]types.AttributeValue
	for _, it := range h.db.Items(t) {
		if strings.HasPrefix(testenv.Str(it, "PK"), "IDEMPOTENCY#") &&
			(newest == nil || testenv.Str(it, "created_at") > testenv.Str(newest, "created_at")) {
			newest = it
		}
	}
	if newest == nil || h.countItems(t, "IDEMPOTENCY#", "IDEMPOTENCY") != before+1 {
		t.Fatal("no new idempotency record")
	}
	return map[string]types.AttributeValue{"PK": newest["PK"], "SK": newest["SK"]}
}

// age makes the record at key d older: its creation and its expiry d earlier.
func age(t *testing.T, h *harness, key map[string]types.AttributeValue, d time.Duration) {
	t.Helper()
	out, err := h.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &h.db.Table, Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	created, err := time.Parse(time.RFC3339Nano, testenv.Str(out.Item, "created_at"))
	expires, _ := strconv.ParseInt(out.Item["expires_at"].(*types.AttributeValueMemberN).Value, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	out.Item["created_at"] = &types.AttributeValueMemberS{Value: created.Add(-d).Format(time.RFC3339Nano)}
	out.Item["expires_at"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(expires-int64(d/time.Second), 10)}
	if _, err := h.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &h.db.Table, Item: out.Item}); err != nil {
		t.Fatal(err)
	}
}

// doBy sends r to handlers as Lambda would with deadline as the function's, and checks that
// the answer came before it.
func doBy(t *testing.T, handlers map[string]api.HandlerFunc, r req, deadline time.Time) response {
	t.Helper()
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	out, err := api.Handle(r.Route, handlers[r.Route])(ctx, testenv.Event(r))
	if err != nil {
		t.Fatalf("%s: handler returned an error: %v", r.Route, err)
	}
	if late := time.Since(deadline); late > 0 {
		t.Errorf("answered %v after the function's deadline", late)
	}
	resp := response{Status: out.StatusCode, Headers: out.Headers, Body: out.Body}
	if err := json.Unmarshal([]byte(out.Body), &resp.JSON); err != nil {
		t.Fatalf("%s: body is not a JSON object: %q", r.Route, out.Body)
	}
	return resp
}

// readsOnTable is a DynamoDB client that notes every read of a customer's or a claim's
// partition that is eventually consistent: without ConsistentRead, or on an index.
type readsOnTable struct {
	store.API
	mu   sync.Mutex
	seen []string
}

func (r *readsOnTable) note(op string, consistent *bool, index *string, keys ...map[string]types.AttributeValue) {
	for _, k := range keys {
		pk := ""
		for _, v := range k { // a key's PK, or a Query's partition among its values
			if s, ok := v.(*types.AttributeValueMemberS); ok && (strings.HasPrefix(s.Value, "CUSTOMER#") || strings.HasPrefix(s.Value, "EMAIL#")) {
				pk = s.Value
			}
		}
		if index != nil || (!aws.ToBool(consistent) && pk != "") {
			r.mu.Lock()
			r.seen = append(r.seen, fmt.Sprintf("%s %s index %s", op, pk, aws.ToString(index)))
			r.mu.Unlock()
		}
	}
}

func (r *readsOnTable) eventual() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen
}

func (r *readsOnTable) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	r.note("GetItem", in.ConsistentRead, nil, in.Key)
	return r.API.GetItem(ctx, in, o...)
}

func (r *readsOnTable) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	r.note("Query", in.ConsistentRead, in.IndexName, in.ExpressionAttributeValues)
	return r.API.Query(ctx, in, o...)
}

func (r *readsOnTable) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	for _, ka := range in.RequestItems {
		r.note("BatchGetItem", ka.ConsistentRead, nil, ka.Keys...)
	}
	return r.API.BatchGetItem(ctx, in, o...)
}

// panicText is what panicking panics with: a message that must never reach a client.
const panicText = "injected panic: table customers-prod arn:aws:dynamodb:us-east-1:123456789012"

// panicking is a DynamoDB client whose GetItem panics, as a bug deep under a handler would.
type panicking struct{ store.API }

func (panicking) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	panic(panicText)
}
