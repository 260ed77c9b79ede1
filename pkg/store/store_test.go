package store_test

import (
	"context"
	"errors"
	"flag"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/problem"
	"github.com/acme/customers/pkg/store"
	"github.com/acme/customers/pkg/testenv"
)

func TestMain(m *testing.M) {
	flag.Parse()
	testenv.Main(m)
}

func newCustomer(email string) *customers.Customer {
	now := time.Now().UTC()
	return &customers.Customer{ID: id.New(), Name: "Name of " + email, Email: email, AuthMechanism: "password",
		PasswordHash: "$2a$10$abcdefghijklmnopqrstuvCHEAPFAKEHASHFORTESTSONLY000000", HasPassword: true,
		Version: 1, CreatedAt: now, UpdatedAt: now}
}

func create(t *testing.T, s *store.Store, email string) *customers.Customer {
	t.Helper()
	c := newCustomer(email)
	if err := s.Create(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

// emailClaims maps each claimed email to its customer.
func emailClaims(t *testing.T, db *testenv.DB) map[string]string {
	claims := map[string]string{}
	for _, it := range db.Items(t) {
		if testenv.Str(it, "SK") == "EMAIL" {
			claims[testenv.Str(it, "PK")] = testenv.Str(it, "customer_id")
		}
	}
	return claims
}

func TestEmailRace(t *testing.T) {
	db := testenv.NewDB(t)
	s := store.New(db.Client, db.Table)
	ctx := context.Background()
	a, b := create(t, s, "a@example.com"), create(t, s, "b@example.com")
	target := "target@example.com"
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, c := range []*customers.Customer{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.ChangeCredentials(ctx, c, customers.Patch{Email: &target}, time.Now())
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, customers.ErrEmailTaken), errors.Is(err, customers.ErrStale), problem.Is(err, problem.Conflict):
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d winners, want 1 (%v)", wins, errs)
	}
	claims := emailClaims(t, db)
	if len(claims) != 2 {
		t.Errorf("claims %v: want the target and the loser's old email", claims)
	}
	for email, cid := range claims {
		c, err := s.Get(ctx, cid)
		if err != nil || "EMAIL#"+customers.EmailKey(c.Email) != email {
			t.Errorf("claim %s points at %s whose email is %v (%v)", email, cid, c, err)
		}
	}
}

func TestStaleWrites(t *testing.T) {
	db := testenv.NewDB(t)
	s := store.New(db.Client, db.Table)
	ctx := context.Background()
	c := create(t, s, "stale@example.com")
	name := "First"
	if _, err := s.Update(ctx, c.ID, customers.Patch{Name: &name}, time.Now(), customers.Guard{Version: c.Version}); err != nil {
		t.Fatal(err)
	}
	// c is now out of date: every write conditioned on its version fails and changes nothing.
	name2 := "Second"
	if _, err := s.Update(ctx, c.ID, customers.Patch{Name: &name2}, time.Now(), customers.Guard{Version: c.Version}); !errors.Is(err, customers.ErrStale) {
		t.Errorf("update: %v, want ErrStale", err)
	}
	email := "other@example.com"
	if _, err := s.ChangeCredentials(ctx, c, customers.Patch{Email: &email}, time.Now()); !errors.Is(err, customers.ErrStale) {
		t.Errorf("change email: %v, want ErrStale", err)
	}
	if err := s.Delete(ctx, c, time.Now()); !errors.Is(err, customers.ErrStale) {
		t.Errorf("delete: %v, want ErrStale", err)
	}
	got, err := s.Get(ctx, c.ID)
	if err != nil || got.Name != "First" || got.Email != "stale@example.com" || got.Deleted || got.Version != 2 {
		t.Errorf("after refused writes: %+v %v", got, err)
	}
	// A token generation that no longer matches is told apart from a stale version.
	gen := int64(7)
	if _, err := s.Update(ctx, c.ID, customers.Patch{Name: &name2}, time.Now(), customers.Guard{TokenGen: &gen}); !errors.Is(err, customers.ErrRevoked) {
		t.Errorf("update with an old token generation: %v, want ErrRevoked", err)
	}
	if _, err := s.Update(ctx, id.New(), customers.Patch{Name: &name2}, time.Now(), customers.Guard{}); !errors.Is(err, customers.ErrNotFound) {
		t.Errorf("update of an unknown id: %v, want ErrNotFound", err)
	}
}

func TestDeleteLeavesNoPersonalData(t *testing.T) {
	db := testenv.NewDB(t)
	s := store.New(db.Client, db.Table)
	ctx := context.Background()
	c := create(t, s, "gone@example.com")
	// Log-in attempts from two addresses, in two windows: they go with the customer.
	p := customers.LoginPolicy{Window: time.Hour, MaxAttempts: 100, FreeAttempts: 10, FirstDelay: time.Second}
	for _, at := range []time.Time{time.Now().Add(-time.Hour), time.Now()} {
		for _, addr := range []string{"192.0.2.1", "198.51.100.7"} {
			if _, err := s.CountLogin(ctx, "gone@example.com", addr, at, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Delete(ctx, c, time.Now()); err != nil {
		t.Fatal(err)
	}
	all := db.Items(t)
	for _, it := range all {
		if pk := testenv.Str(it, "PK"); strings.HasPrefix(pk, "LOGIN#") {
			t.Errorf("log-in attempts left: %s", pk)
		}
	}
	for _, it := range all {
		for _, attr := range []string{"name", "email", "email_key", "password_hash", "external_ref"} {
			if _, ok := it[attr]; ok {
				t.Errorf("item %s/%s still has %s", testenv.Str(it, "PK"), testenv.Str(it, "SK"), attr)
			}
		}
	}
	got, err := s.Get(ctx, c.ID)
	if err != nil || !got.Deleted {
		t.Fatalf("tombstone: %+v %v", got, err)
	}
	// The tombstone waits for the cleanup on GSI1, in one of the DELETED# shards.
	if queue := indexRows(t, db, "GSI1", "DELETED#"); len(queue) != 1 || testenv.Str(queue[0], "id") != c.ID {
		t.Errorf("cleanup queue: %v", queue)
	}
	if len(emailClaims(t, db)) != 0 {
		t.Error("the email is still claimed")
	}
}

func TestIndexesCarryNoPasswordHash(t *testing.T) {
	db := testenv.NewDB(t)
	s := store.New(db.Client, db.Table)
	create(t, s, "hash@example.com")
	for _, index := range []string{"GSI1", "GSI2", "GSI3", "GSI4", "GSI5"} {
		rows := indexRows(t, db, index, "C#")
		if len(rows) != 1 {
			t.Fatalf("%s: %v", index, rows)
		}
		if _, ok := rows[0]["password_hash"]; ok {
			t.Errorf("%s projects the password hash", index)
		}
		if _, ok := rows[0]["has_password"]; !ok {
			t.Errorf("%s lacks has_password", index)
		}
	}
}

// indexRows reads the rows of an index's partitions <prefix>0 .. <prefix>7 (the shards).
func indexRows(t *testing.T, db *testenv.DB, index, prefix string) []map[string]types.AttributeValue {
	t.Helper()
	var rows []map[string]types.AttributeValue
	for shard := 0; shard < 8; shard++ {
		out, err := db.Query(context.Background(), &dynamodb.QueryInput{TableName: &db.Table, IndexName: aws.String(index),
			KeyConditionExpression:    aws.String("#pk = :p"),
			ExpressionAttributeNames:  map[string]string{"#pk": index + "PK"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: prefix + strconv.Itoa(shard)}}})
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, out.Items...)
	}
	return rows
}

// faulty is a store.API whose calls fail with err; it records each transaction input.
type faulty struct {
	store.API
	err    error
	inputs []*dynamodb.TransactWriteItemsInput
}

func (f *faulty) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return nil, f.err
}

func (f *faulty) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	f.inputs = append(f.inputs, in)
	return nil, f.err
}

func TestFailures(t *testing.T) {
	conflict := &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{
		{Code: aws.String("None")}, {Code: aws.String("TransactionConflict")}, {Code: aws.String("None")}}}
	cases := []struct {
		name string
		err  error
		kind problem.Kind
	}{
		{"throttled", &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}, problem.Unavailable},
		{"request limit", &smithyError{"RequestLimitExceeded"}, problem.Unavailable},
		{"client retry quota", ratelimit.QuotaExceededError{Available: 0, Requested: 5}, problem.Unavailable},
		{"deadline", context.DeadlineExceeded, problem.Unavailable},
		{"transaction conflicts", conflict, problem.Unavailable},
		{"throttled inside a transaction", &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{
			{Code: aws.String("ThrottlingError")}, {Code: aws.String("None")}, {Code: aws.String("None")}}}, problem.Unavailable},
		{"anything else", errors.New("boom"), problem.Internal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &faulty{err: c.err}
			s := store.New(f, "table")
			_, getErr := s.Get(context.Background(), id.New())
			createErr := s.Create(context.Background(), newCustomer("x@example.com"))
			for _, err := range []error{getErr, createErr} {
				l, ok := problem.Problems(err)
				switch {
				case c.kind == problem.Internal && ok:
					t.Errorf("%v became a problem %v", err, l)
				case c.kind != problem.Internal && (!ok || l[0].Kind != c.kind):
					if strings.Contains(c.name, "transaction") && err == getErr {
						continue // a plain read cannot be cancelled
					}
					t.Errorf("%v: want kind %v", err, c.kind)
				case c.kind == problem.Unavailable && l[0].RetryAfter == 0:
					t.Errorf("%v: no Retry-After", err)
				}
			}
			if c.name == "transaction conflicts" {
				if len(f.inputs) < 2 {
					t.Fatalf("%d attempts: a conflicted transaction is retried", len(f.inputs))
				}
				for i := 1; i < len(f.inputs); i++ {
					if f.inputs[i] == f.inputs[i-1] {
						t.Error("a retry reused the transaction input (and so its ClientRequestToken)")
					}
				}
			}
		})
	}
}

type smithyError struct{ code string }

func (e *smithyError) Error() string                 { return e.code }
func (e *smithyError) ErrorCode() string             { return e.code }
func (e *smithyError) ErrorMessage() string          { return e.code }
func (e *smithyError) ErrorFault() smithy.ErrorFault { return smithy.FaultServer }

// TestCountShardsHaveTheirOwnPartitions: each customer-count shard is its own partition
// (one partition takes about 1,000 writes a second; sign-ups and deletes each write a
// shard), and the unfiltered total still sums them.
func TestCountShardsHaveTheirOwnPartitions(t *testing.T) {
	db := testenv.NewDB(t)
	s := store.New(db.Client, db.Table)
	ctx := context.Background()
	var last *customers.Customer
	for i := range 20 {
		last = create(t, s, "count"+strconv.Itoa(i)+"@example.com")
	}
	if err := s.Delete(ctx, last, time.Now()); err != nil {
		t.Fatal(err)
	}
	partitions, sum := map[string]bool{}, 0
	for _, it := range db.Items(t) {
		pk := testenv.Str(it, "PK")
		if !strings.HasPrefix(pk, "COUNT#") {
			continue
		}
		if !strings.HasPrefix(pk, "COUNT#customers#") || len(pk) != len("COUNT#customers#00") || testenv.Str(it, "SK") != "COUNT" || partitions[pk] {
			t.Errorf("count shard %s / %s", pk, testenv.Str(it, "SK"))
		}
		partitions[pk] = true
		n, _ := strconv.Atoi(it["count"].(*types.AttributeValueMemberN).Value)
		sum += n
	}
	if sum != 19 {
		t.Errorf("the shards count %d customers, want 19", sum)
	}
	db.Calls().Reset()
	res, err := s.List(ctx, customers.ListQuery{Sort: customers.SortCreatedAt, Limit: 1})
	if err != nil || res.Total != 19 || !res.TotalExact {
		t.Errorf("total %d (exact %v), %v", res.Total, res.TotalExact, err)
	}
	if n := db.Calls().ByOp()["BatchGetItem"]; n != 1 {
		t.Errorf("%d BatchGetItem calls, want 1", n)
	}
}
