package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/cleanup"
	"github.com/acme/customers/pkg/dynamolocal"
	"github.com/acme/customers/pkg/seed"
	"github.com/acme/customers/pkg/store"
	"github.com/acme/customers/pkg/testenv"
)

// The cleanup rows run CleanupDeletedCustomersFunction as cleanup.Handler builds it (the
// deps' store and retention), with its clock stopped at a cut-off of the row's own.
//
// Each row deletes its customers in a past of its own (cleanupEpoch: a year per row)
// through the store's Delete with that time, as the DELETE handler calls it with the
// clock's, and cuts off within that year: so a run finds the row's own customers and none
// deleted through the API (the world's deleted customer, other rows'), which are deleted
// now. Rows run in the catalogue's order, each a year further back than the one before:
// what a row leaves deleted on purpose (F47's customers deleted after its cut-off) is
// never due for a row after it.

// cleanupEpoch is the past in which row n (44 for F44 ...) deletes its customers.
func cleanupEpoch(n int) time.Time { return time.Date(2050-n, 1, 1, 0, 0, 0, 0, time.UTC) }

// cleanupWrites is what a cleanup row may change: its customers (partitions, email
// claims, the count) and their orders, redacted.
var cleanupWrites = []string{"CUSTOMER#", "EMAIL#", "COUNT#", "ORDER#", "IDEMPOTENCY#"}

// cleanupFunction is the cleanup as the function builds it from h's deps, or from deps on
// client when client is not nil (the cleanup's own calls then go through it).
func cleanupFunction(t *testing.T, h *harness, client store.API) *cleanup.Cleaner {
	t.Helper()
	d := h.deps
	if client != nil {
		var err error
		if d, err = app.New(h.cfg, client, h.secrets); err != nil {
			t.Fatal(err)
		}
	}
	return cleanup.New(d.Store, d.Config.CleanupRetention)
}

// scheduledEvent is the repository's sample of the schedule's event.
func scheduledEvent(t *testing.T) events.EventBridgeEvent {
	t.Helper()
	root, err := dynamolocal.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "events", "cleanup-deleted-customers.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// invokeCleanup delivers ev to a handler running c (cleanup.NewHandler) with its clock at
// now, and returns the run's report as the function logs it (what an operator sees),
// checking that the log says failed exactly when the invocation failed and that a
// successful invocation answers the logged report. Safe to call from several goroutines.
func invokeCleanup(ctx context.Context, t *testing.T, c *cleanup.Cleaner, now time.Time, ev events.EventBridgeEvent) (cleanup.Report, error) {
	var log bytes.Buffer
	out, err := cleanup.NewHandler(c, &log, func() time.Time { return now })(ctx, ev)
	var line struct {
		cleanup.Report
		Failed bool `json:"failed"`
	}
	first, _, _ := strings.Cut(log.String(), "\n")
	if jerr := json.Unmarshal([]byte(first), &line); jerr != nil {
		t.Errorf("report line %q: %v", first, jerr)
	}
	if line.Failed != (err != nil) {
		t.Errorf("logged failed=%v for an invocation that returned %v", line.Failed, err)
	}
	if rep, ok := out.(cleanup.Report); err == nil && (!ok || rep.CustomersErased != line.CustomersErased || rep.Skipped != line.Skipped) {
		t.Errorf("answered %#v, logged %+v", out, line.Report)
	}
	return line.Report, err
}

// deleteAt deletes customer id as the DELETE handler does (store.Delete), at when.
func deleteAt(t *testing.T, h *harness, id string, when time.Time) {
	t.Helper()
	cur, err := h.deps.Store.Get(context.Background(), id)
	if err == nil {
		err = h.deps.Store.Delete(context.Background(), cur, when)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// seedGone seeds the customers specs describe (deleted when their Deleted says), then
// those of kept (live, or deleted but not due: they may re-use an email of specs), and
// returns the ids of specs' and what the table must look like once those are erased
// (testenv.Erasure, from the table as it is now).
func seedGone(t *testing.T, h *harness, specs []seed.Spec, kept ...seed.Spec) ([]string, testenv.Erasure) {
	t.Helper()
	ids, err := seed.Customers(context.Background(), h.deps.Store, specs)
	if err == nil {
		_, err = seed.Customers(context.Background(), h.deps.Store, kept)
	}
	if err != nil {
		t.Fatal(err)
	}
	e := testenv.Erasure{Erased: map[string]bool{}, Before: h.db.Snapshot(t), Redacted: store.Redacted}
	marks := map[string]bool{}
	for i, sp := range specs {
		e.Erased[ids[i]] = true
		if !marks[sp.Mark] {
			marks[sp.Mark] = true
			e.Marks = append(e.Marks, sp.Mark)
		}
	}
	return ids, e
}

// goneSpecs are n customers of mark deleted a second apart from at, each with addresses
// and orders.
func goneSpecs(mark string, n, addresses, orders int, at time.Time) []seed.Spec {
	specs := make([]seed.Spec, n)
	for i := range specs {
		specs[i] = seed.Spec{Mark: mark, N: i, Addresses: addresses, Orders: orders, Deleted: at.Add(time.Duration(i) * time.Second)}
	}
	return specs
}

// hooked returns a client on h's table (counting calls like h's) that calls before with
// each call's input once a call, ahead of the SDK's retries; an error it returns is the
// call's.
func hooked(h *harness, before func(ctx context.Context, input any) error) *dynamodb.Client {
	return dynamodb.New(h.db.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("catalogueHook",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if err := before(ctx, in.Parameters); err != nil {
						return middleware.InitializeOutput{}, middleware.Metadata{}, err
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.After)
		})
	})
}

// profileKey is a customer's profile (or tombstone) item, as README's key schema has it.
func profileKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "CUSTOMER#" + id},
		"SK": &types.AttributeValueMemberS{Value: "#PROFILE"}}
}

// isProfile says whether key is customer id's profile item.
func isProfile(key map[string]types.AttributeValue, id string) bool {
	return testenv.Str(key, "PK") == "CUSTOMER#"+id && testenv.Str(key, "SK") == "#PROFILE"
}

// partition reads customer id's partition (profile or tombstone, addresses, history links).
func partition(t *testing.T, h *harness, id string) []map[string]types.AttributeValue {
	t.Helper()
	out, err := h.db.Query(context.Background(), &dynamodb.QueryInput{TableName: &h.db.Table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "CUSTOMER#" + id}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Items
}

func catalogueCleanupRows() []catalogueRow {
	return []catalogueRow{
		{id: "F44", what: "one scheduled event delivered to two runs at once, then again: together they erase each customer and redact each order once, " +
			"no error; the redelivery does nothing; the table is exactly the erasure's (a live customer re-using an email untouched)",
			writes: cleanupWrites,
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				at := cleanupEpoch(44)
				const n, orders = 12, 1
				_, erasure := seedGone(t, h, goneSpecs("Catfortyfour", n, 2, orders, at),
					seed.Spec{Mark: "Catreuser", Email: seed.Spec{Mark: "Catfortyfour"}.EmailAddress(), Addresses: 1, Orders: 1})
				cutoff, ev := at.Add(time.Hour), scheduledEvent(t)
				reps := make([]cleanup.Report, 2)
				var wg sync.WaitGroup
				for i := range reps {
					wg.Add(1)
					go func() { // two function instances: a Cleaner each
						defer wg.Done()
						var err error
						if reps[i], err = invokeCleanup(context.Background(), t, cleanupFunction(t, h, nil), cutoff, ev); err != nil || reps[i].StoppedEarly {
							t.Errorf("run %d: %+v, %v", i, reps[i], err)
						}
					}()
				}
				wg.Wait()
				sum := reps[0].Add(reps[1])
				if sum.CustomersErased != n || sum.OrdersRedacted != n*orders || sum.Skipped > n {
					t.Errorf("two runs %+v: want %d customers and %d orders between them", reps, n, n*orders)
				}
				if got := erasure.Check(t, h.db); got != n*orders {
					t.Errorf("%d redacted orders of erased customers, want %d", got, n*orders)
				}
				before := h.db.Snapshot(t)
				again, err := invokeCleanup(context.Background(), t, cleanupFunction(t, h, nil), cutoff, ev)
				if err != nil || again != (cleanup.Report{Cutoff: again.Cutoff, DurationMs: again.DurationMs}) {
					t.Errorf("the event again: %+v, %v: want nothing done", again, err)
				}
				if after := h.db.Snapshot(t); !maps.Equal(after, before) {
					t.Errorf("the event again changed the table: %d items, then %d", len(before), len(after))
				}
			}},
		{id: "F45", what: "a deleted customer cannot be changed through the API (PUT, address, DELETE: 404; its email is free: 201) even just before its erasure; " +
			"one restored in the table after its selection is left whole (Skipped), one restored just before its tombstone's delete keeps its profile " +
			"(the delete is conditional; its addresses, erased before, are gone); no error",
			writes: cleanupWrites,
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				at := cleanupEpoch(45)
				ids, _ := seedGone(t, h, goneSpecs("Catfortyfive", 3, 1, 0, at))
				c1, c2, c3 := ids[0], ids[1], ids[2]
				// A restore is no API operation: the only way a tombstone stops being one is a
				// write to the table, which this is (deleted_at and its place on GSI1 gone).
				restore := func(id string) error {
					_, err := h.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: &h.db.Table, Key: profileKey(id),
						UpdateExpression: aws.String("REMOVE deleted_at, GSI1PK, GSI1SK")})
					return err
				}
				var (
					mu    sync.Mutex
					tried []response // the API's answers inside the window
					once  = map[string]bool{}
				)
				first := func(what string) bool {
					mu.Lock()
					defer mu.Unlock()
					if once[what] {
						return false
					}
					once[what] = true
					return true
				}
				email := seed.Spec{Mark: "Catfortyfive"}.EmailAddress()
				c1Path := map[string]string{"customerId": c1}
				client := hooked(h, func(ctx context.Context, input any) error {
					switch in := input.(type) {
					case *dynamodb.BatchGetItemInput: // the erasure's consistent read of the tombstone
						for _, ka := range in.RequestItems {
							if len(ka.Keys) == 1 && isProfile(ka.Keys[0], c2) && first("c2") {
								return restore(c2)
							}
						}
					case *dynamodb.DeleteItemInput: // the erasure's last call: the tombstone
						switch {
						case isProfile(in.Key, c3) && first("c3"):
							return restore(c3)
						case isProfile(in.Key, c1) && first("c1"):
							rs := []response{
								h.do(req{Route: "PUT /v2/customers/{customerId}", Path: c1Path, Headers: bearer(h.admin), Body: `{"data":{"type":"customer","name":"Back"}}`}),
								h.do(req{Route: "POST /v2/customers/{customerId}/addresses", Path: c1Path, Headers: bearer(h.admin), Body: anAddress}),
								h.do(req{Route: "DELETE /v2/customers/{customerId}", Path: c1Path, Headers: bearer(h.admin)}),
								signUp(h, email, testPassword),
							}
							mu.Lock()
							tried = rs
							mu.Unlock()
						}
					}
					return nil
				})
				rep, err := invokeCleanup(context.Background(), t, cleanupFunction(t, h, client), at.Add(time.Hour), scheduledEvent(t))
				if err != nil || rep.CustomersErased != 1 || rep.Skipped != 1 || rep.StoppedEarly {
					t.Errorf("report %+v, %v: want c1 erased, c2 skipped, c3 neither, no error", rep, err)
				}
				if len(tried) != 4 {
					t.Fatalf("the window before c1's tombstone delete was never reached")
				}
				statuses(t, 404, tried[:3]...)
				statuses(t, 201, tried[3])
				if n := len(partition(t, h, c1)); n != 0 {
					t.Errorf("c1 keeps %d items", n)
				}
				for id, want := range map[string]int{c2: 2 /* profile and address */, c3: 1 /* profile */} {
					items := partition(t, h, id)
					if len(items) != want {
						t.Errorf("a restored customer keeps %d items, want %d", len(items), want)
					}
					for _, it := range items {
						if isProfile(it, id) && (it["deleted_at"] != nil || testenv.Str(it, "id") != id) {
							t.Errorf("a restored customer's profile is %s", testenv.Render(it))
						}
					}
				}
				// The customer who took the email meanwhile is whole.
				newID, _ := data(tried[3])["id"].(string)
				r := h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": newID}, Headers: bearer(h.admin)})
				expect(t, r, 200)
				if data(r)["email"] != email {
					t.Errorf("the new customer: %s", r.Body)
				}
			}},
		{id: "F46", what: "BatchWriteItem throttled (half the attempts refused, every call half unprocessed), a run stopped at its margin, " +
			"a run whose deadline cancels a call mid-customer: each run reports its counts (failed when it ends on an error) and the next run " +
			"resumes; the counts add up and every customer is erased",
			writes: cleanupWrites,
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				at := cleanupEpoch(46)
				ev := scheduledEvent(t)
				// untilDone invokes c until a run ends clean (no error, not stopped early): that
				// run says nothing is left, which the caller's audit holds it to.
				untilDone := func(c *cleanup.Cleaner, cutoff time.Time) (sum cleanup.Report, runs int) {
					for runs < 30 {
						runs++
						rep, err := invokeCleanup(context.Background(), t, c, cutoff, ev)
						sum = sum.Add(rep)
						if err == nil && !rep.StoppedEarly {
							return sum, runs
						}
					}
					t.Fatalf("not done after %d runs: %+v", runs, sum)
					return sum, runs
				}

				// Throttled: the SDK retries refused attempts, the store sends unprocessed items
				// again; a call refused on every attempt fails the run, and the next goes on.
				const n, orders = 6, 1
				_, erasure := seedGone(t, h, goneSpecs("Catfortysixa", n, 3, orders, at))
				faults := &testenv.Throttling{Refused: 0.5, Partial: 1}
				sum, runs := untilDone(cleanupFunction(t, h, h.db.Throttled(faults)), at.Add(time.Hour))
				refused, partial := faults.Injected()
				if refused == 0 || partial == 0 || sum.CustomersErased != n || sum.OrdersRedacted != n*orders || sum.AddressesDeleted < n*3 {
					t.Errorf("throttled: %d refused attempts, %d partial batches, %d runs %+v: want some of each and %d customers, %d orders, %d addresses",
						refused, partial, runs, sum, n, n*orders, n*3)
				}
				if got := erasure.Check(t, h.db); got != n*orders {
					t.Errorf("throttled: %d redacted orders, want %d", got, n*orders)
				}

				// The margin: every tombstone delete waits until the run is inside its margin, so
				// the run stops with the customers it started erased and the rest left.
				start := at.Add(2 * time.Hour)
				const m = 8
				_, erasure = seedGone(t, h, goneSpecs("Catfortysixb", m, 1, 0, start))
				deadline := time.Now().Add(5*time.Second + time.Second)
				c := cleanupFunction(t, h, hooked(h, func(ctx context.Context, input any) error {
					if _, ok := input.(*dynamodb.DeleteItemInput); ok {
						time.Sleep(time.Until(deadline.Add(-5*time.Second + 10*time.Millisecond)))
					}
					return nil
				}))
				c.Margin = 5 * time.Second
				ctx, cancel := context.WithDeadline(context.Background(), deadline)
				first, err := invokeCleanup(ctx, t, c, start.Add(time.Hour), ev)
				cancel()
				if err != nil || !first.StoppedEarly || first.CustomersErased == 0 || first.CustomersErased >= m {
					t.Errorf("a run reaching its margin: %+v, %v: want it stopped early after some", first, err)
				}
				rest, _ := untilDone(cleanupFunction(t, h, nil), start.Add(time.Hour))
				if first.CustomersErased+rest.CustomersErased != m {
					t.Errorf("margin: %+v then %+v: want %d customers between them", first, rest, m)
				}
				erasure.Check(t, h.db)

				// The deadline: a BatchWriteItem hangs until the deadline cancels it (the margin
				// made as small as can be): the run fails, what it had not finished keeps its
				// tombstone, and the next run finishes it, redacting no order twice.
				start = at.Add(4 * time.Hour)
				const k = 6
				gone, erasure := seedGone(t, h, goneSpecs("Catfortysixc", k, 2, orders, start))
				var batches atomic.Int64
				c = cleanupFunction(t, h, hooked(h, func(ctx context.Context, input any) error {
					if _, ok := input.(*dynamodb.BatchWriteItemInput); ok && batches.Add(1) == 2 {
						<-ctx.Done()
						return ctx.Err()
					}
					return nil
				}))
				c.Margin = time.Nanosecond
				ctx, cancel = context.WithTimeout(context.Background(), time.Second)
				first, err = invokeCleanup(ctx, t, c, start.Add(time.Hour), ev)
				cancel()
				left := 0
				for _, id := range gone {
					if len(partition(t, h, id)) > 0 {
						left++
					}
				}
				// The deadline may also cut a call whose write DynamoDB had applied (another
				// customer's last delete, an order's redaction): done, but not counted by the run
				// it ended, nor by the next, which finds it done. So the counts may fall short of
				// k; never past it, and the table (erasure.Check) holds every one.
				if err == nil || !first.StoppedEarly || left == 0 || first.CustomersErased+left > k {
					t.Errorf("a run cut by its deadline: %+v, %v, %d customers left: want an error and some left", first, err, left)
				}
				rest, _ = untilDone(cleanupFunction(t, h, nil), start.Add(time.Hour))
				if rest.CustomersErased != left || first.OrdersRedacted+rest.OrdersRedacted > k*orders {
					t.Errorf("deadline: %+v then %+v: want the %d left erased and at most %d orders redacted", first, rest, left, k*orders)
				}
				if got := erasure.Check(t, h.db); got != k*orders {
					t.Errorf("deadline: %d redacted orders, want %d", got, k*orders)
				}
			}},
		{id: "F47", what: "60 deleted customers read in short pages (each index Query cut to 3 rows with a LastEvaluatedKey, as DynamoDB's 1 MB page does; " +
			"shards running dry at different pages): one run erases every one deleted before the cut-off and touches none deleted at or after it, " +
			"nor a live one re-using an email (10,000: pkg/cleanup TestRunTenThousand)",
			writes: cleanupWrites,
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				at := cleanupEpoch(47)
				const n = 60
				specs := goneSpecs("Catfortyseven", n, 0, 0, at)
				for i := range specs {
					if i%10 == 0 {
						specs[i].Addresses = 1
					}
					if i%20 == 0 {
						specs[i].Orders = 1
					}
				}
				cutoff := at.Add(time.Hour)
				// Not due: deleted at the cut-off, a second after it, an hour after it.
				var kept []seed.Spec
				for i, d := range []time.Duration{0, 0, time.Second, time.Second, time.Hour} {
					kept = append(kept, seed.Spec{Mark: "Catkept", N: i, Addresses: 1, Deleted: cutoff.Add(d)})
				}
				kept = append(kept, seed.Spec{Mark: "Catreuser", N: 47, Email: specs[n-1].EmailAddress(), Addresses: 1})
				_, erasure := seedGone(t, h, specs, kept...)
				// DeletedBefore reads each DELETED#<s> shard of GSI1 with a Limit of its page
				// (50); a smaller Limit gets DynamoDB Local's genuine short pages.
				var short atomic.Int64
				client := hooked(h, func(ctx context.Context, input any) error {
					if q, ok := input.(*dynamodb.QueryInput); ok && aws.ToString(q.IndexName) == "GSI1" &&
						strings.HasPrefix(testenv.Str(q.ExpressionAttributeValues, ":p"), "DELETED#") {
						q.Limit = aws.Int32(3)
						short.Add(1)
					}
					return nil
				})
				rep, err := invokeCleanup(context.Background(), t, cleanupFunction(t, h, client), cutoff, scheduledEvent(t))
				if err != nil || rep.StoppedEarly || rep.CustomersErased != n || rep.OrdersRedacted != n/20 || rep.AddressesDeleted != n/10 {
					t.Errorf("report %+v, %v: want %d customers, %d orders, %d addresses in one run", rep, err, n, n/20, n/10)
				}
				if short.Load() <= 8 {
					t.Errorf("%d index reads: want several pages of every shard", short.Load())
				}
				if got := erasure.Check(t, h.db); got != n/20 {
					t.Errorf("%d redacted orders, want %d", got, n/20)
				}
			}},
		{id: "F48", what: "after the erasure (the stored answers of its keyed sign-up and address gone with it): the same email signs up again (201) with a password of its own, the old address id is 404 " +
			"(under the old and the new customer), the old customer token is refused (403, as every bad customer token on a customer route), the old password logs nothing in (401)",
			writes: cleanupWrites,
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				at := cleanupEpoch(48)
				const email = "cat.fortyeight@example.com"
				// Both keyed: the stored answers hold the customer's data, and go with it.
				r := h.do(req{Route: "POST /v2/customers", Headers: keyed(bearer(h.implicit), "f48-signup"),
					Body: `{"data":{"type":"customer","name":"Cat Fortyeight","email":"` + email + `","password":"` + testPassword + `"}}`})
				expect(t, r, 201)
				old := data(r)["id"].(string)
				r = h.do(req{Route: "POST /v2/customers/{customerId}/addresses", Path: map[string]string{"customerId": old},
					Headers: keyed(bearer(h.admin), "f48-address"), Body: strings.Replace(anAddress, "Ron", "Fortyeight", 1)})
				expect(t, r, 201)
				addr := data(r)["id"].(string)
				token := h.customerToken(email)
				deleteAt(t, h, old, at)
				erasure := testenv.Erasure{Erased: map[string]bool{old: true}, Before: h.db.Snapshot(t), Marks: []string{"Fortyeight"}, Redacted: store.Redacted}
				rep, err := invokeCleanup(context.Background(), t, cleanupFunction(t, h, nil), at.Add(time.Hour), scheduledEvent(t))
				if err != nil || rep.CustomersErased != 1 || rep.AddressesDeleted != 1 {
					t.Errorf("report %+v, %v: want the customer and its address", rep, err)
				}
				erasure.Check(t, h.db)

				again := signUp(h, email, "a new password 48")
				expect(t, again, 201)
				newID := data(again)["id"].(string)
				statuses(t, 404,
					h.do(req{Route: "GET /v2/customers/{customerId}/addresses/{addressId}", Path: map[string]string{"customerId": old, "addressId": addr}, Headers: bearer(h.admin)}),
					h.do(req{Route: "GET /v2/customers/{customerId}/addresses/{addressId}", Path: map[string]string{"customerId": newID, "addressId": addr}, Headers: bearer(h.admin)}),
					h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": old}, Headers: bearer(h.admin)}))
				statuses(t, 403,
					h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": old}, Headers: withCustomer(h.implicit, token)}),
					h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": newID}, Headers: withCustomer(h.implicit, token)}),
					h.do(req{Route: "GET /v2/orders", Headers: withCustomer(h.implicit, token)}))
				statuses(t, 401, h.login(email, testPassword))
				statuses(t, 200, h.login(email, "a new password 48"))
			}},
	}
}
