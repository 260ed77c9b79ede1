package cleanup

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/addresses"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/store"
	"github.com/acme/customers/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

type fixture struct {
	t  *testing.T
	db *testenv.DB
	s  *store.Store
}

func newFixture(t *testing.T) *fixture {
	db := testenv.NewDB(t)
	return &fixture{t: t, db: db, s: store.New(db.Client, db.Table)}
}

// customer signs up a customer named name with an address; deleted, when not zero, is
// when it was deleted.
func (f *fixture) customer(name string, deleted time.Time) string {
	f.t.Helper()
	ctx, now := context.Background(), time.Now().UTC()
	c := &customers.Customer{ID: id.New(), Name: name, Email: strings.ToLower(name) + "@example.com",
		AuthMechanism: "password", PasswordHash: "$2a$10$abcdefghijklmnopqrstuvCHEAPFAKEHASHFORTESTSONLY000000",
		HasPassword: true, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := f.s.Create(ctx, c); err != nil {
		f.t.Fatal(err)
	}
	v := map[string]string{}
	for _, k := range addresses.Fields {
		v[k] = ""
	}
	v["first_name"], v["last_name"], v["line_1"], v["postcode"], v["country"] = name, name+"son", "1 "+name+" Street", "AB1 2CD", "GB"
	a := &addresses.Address{ID: id.NewOrdered(), CustomerID: c.ID, Values: v, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := f.s.CreateAddress(ctx, addresses.Owner{CustomerID: c.ID}, a, 0); err != nil {
		f.t.Fatal(err)
	}
	if !deleted.IsZero() {
		cur, err := f.s.Get(ctx, c.ID)
		if err != nil {
			f.t.Fatal(err)
		}
		if err := f.s.Delete(ctx, cur, deleted); err != nil {
			f.t.Fatal(err)
		}
	}
	return c.ID
}

// items counts the items of a customer's partition (profile or tombstone, addresses, links).
func (f *fixture) items(customerID string) int {
	f.t.Helper()
	out, err := f.db.Query(context.Background(), &dynamodb.QueryInput{TableName: &f.db.Table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "CUSTOMER#" + customerID}}})
	if err != nil {
		f.t.Fatal(err)
	}
	return len(out.Items)
}

// A run erases the customers deleted before the retention, and only them; a second run
// finds nothing more to do.
func TestRunRetention(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC()
	old := []string{f.customer("Olda", now.Add(-10*24*time.Hour)), f.customer("Oldb", now.Add(-8*24*time.Hour))}
	recent := f.customer("Recent", now.Add(-24*time.Hour))
	live := f.customer("Live", time.Time{})
	c := New(f.s, 7*24*time.Hour)
	rep, err := c.Run(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	if rep.CustomersErased != 2 || rep.AddressesDeleted != 2 || rep.Skipped != 0 || rep.StoppedEarly {
		t.Errorf("report %+v, want 2 customers and their 2 addresses erased", rep)
	}
	if !rep.Cutoff.Equal(now.Add(-7 * 24 * time.Hour)) {
		t.Errorf("cutoff %v", rep.Cutoff)
	}
	for _, id := range old {
		if n := f.items(id); n != 0 {
			t.Errorf("an erased customer keeps %d items", n)
		}
	}
	if f.items(recent) != 2 || f.items(live) != 2 {
		t.Errorf("recent keeps %d items, live %d: want both tombstone or profile and address", f.items(recent), f.items(live))
	}
	again, err := c.Run(context.Background(), now)
	if err != nil || again.CustomersErased != 0 || again.AddressesDeleted != 0 || again.StoppedEarly {
		t.Errorf("second run %+v, %v: want nothing done", again, err)
	}
}

// A run that reaches its safety margin stops between customers, and the next run erases
// the rest without any state passed between them.
func TestRunStopsAtMargin(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC()
	var ids []string
	for _, n := range []string{"Aa", "Bb", "Cc", "Dd", "Ee"} {
		ids = append(ids, f.customer(n, now.Add(-time.Hour)))
	}
	deadline := time.Now().Add(time.Hour)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	c := New(f.s, 0)
	c.Margin = 5 * time.Minute
	// Each look at the clock is a minute later: 8 minutes before the deadline, then 7, ...
	fake := deadline.Add(-9 * time.Minute)
	c.clock = func() time.Time { fake = fake.Add(time.Minute); return fake }
	first, err := c.Run(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if !first.StoppedEarly || first.CustomersErased == 0 || first.CustomersErased >= len(ids) {
		t.Fatalf("first run %+v: want it to stop early after some customers", first)
	}
	second, err := New(f.s, 0).Run(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	if second.StoppedEarly || first.CustomersErased+second.CustomersErased != len(ids) {
		t.Errorf("runs %+v then %+v: want the second to finish the %d", first, second, len(ids))
	}
	for _, id := range ids {
		if n := f.items(id); n != 0 {
			t.Errorf("an erased customer keeps %d items", n)
		}
	}
	// Already inside the margin: the run starts nothing.
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Second)
	defer cancel2()
	if rep, err := New(f.s, 0).Run(ctx2, now); err != nil || !rep.StoppedEarly || rep.CustomersErased != 0 {
		t.Errorf("a run with 1 s left: %+v, %v", rep, err)
	}
}

func TestMargin(t *testing.T) {
	c := New(nil, 0)
	start := time.Now()
	for timeout, want := range map[time.Duration]time.Duration{300 * time.Second: 30 * time.Second, 10 * time.Second: MinMargin} {
		ctx, cancel := context.WithDeadline(context.Background(), start.Add(timeout))
		if got := c.margin(ctx, start); got != want {
			t.Errorf("timeout %v: margin %v, want %v", timeout, got, want)
		}
		cancel()
	}
}

// The handler logs one report line and one metric line, with counts and no personal data.
func TestHandlerLog(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC()
	gone := f.customer("Secretname", now.Add(-time.Hour))
	var log bytes.Buffer
	h := NewHandler(New(f.s, 0), &log, func() time.Time { return now })
	out, err := h(context.Background(), events.EventBridgeEvent{DetailType: "Scheduled Event", Source: "aws.events"})
	if err != nil {
		t.Fatal(err)
	}
	if rep, ok := out.(Report); !ok || rep.CustomersErased != 1 {
		t.Errorf("answer %#v", out)
	}
	text := log.String()
	for _, secret := range []string{gone, "Secretname", "secretname", "example.com", "Street", "AB1"} {
		if strings.Contains(text, secret) {
			t.Errorf("the log has %q: %s", secret, text)
		}
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want the report and the metrics: %s", len(lines), text)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rep); err != nil || rep["customers_erased"] != 1.0 ||
		rep["addresses_deleted"] != 1.0 || rep["stopped_early"] != false || rep["failed"] != false {
		t.Errorf("report line %s, %v", lines[0], err)
	}
	var emf struct {
		AWS struct {
			CloudWatchMetrics []struct {
				Namespace string
				Metrics   []struct{ Name string }
			}
		} `json:"_aws"`
		CustomersErased, OrdersRedacted, StoppedEarly *int
	}
	if err := json.Unmarshal([]byte(lines[1]), &emf); err != nil || len(emf.AWS.CloudWatchMetrics) != 1 ||
		emf.AWS.CloudWatchMetrics[0].Namespace != Namespace || len(emf.AWS.CloudWatchMetrics[0].Metrics) != 3 ||
		emf.CustomersErased == nil || *emf.CustomersErased != 1 || emf.OrdersRedacted == nil || emf.StoppedEarly == nil {
		t.Errorf("metric line %s, %v", lines[1], err)
	}
}
