package chaos_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/acme/customers/pkg/chaos"
	"github.com/acme/customers/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// through returns a client on db's table whose calls go through a new proxy, each call
// one attempt (no SDK retries), so that a test sees each fault as it is.
func through(t *testing.T, db *testenv.DB) (*dynamodb.Client, *chaos.Proxy) {
	t.Helper()
	p, err := chaos.New(testenv.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	c := dynamodb.New(db.Options(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(p.URL())
		o.Retryer = retry.AddWithMaxAttempts(retry.NewStandard(), 1)
	})
	return c, p
}

func put(ctx context.Context, c *dynamodb.Client, table, pk string) error {
	_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: "X"}}})
	return err
}

func exists(t *testing.T, db *testenv.DB, pk string) bool {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(db.Table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: "X"}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item != nil
}

// Each fault is what the SDK sees of it, and the table holds the write or not as the
// fault says: refused before the table (throttle, 500, reset), applied then cut (drop).
func TestFaults(t *testing.T) {
	db := testenv.NewDB(t)
	c, p := through(t, db)
	ctx := context.Background()
	tests := []struct {
		kind    chaos.Kind
		code    string // the API error code the SDK reports, "" for a connection error
		applied bool
	}{
		{chaos.Pass, "", true},
		{chaos.Throttle, "ProvisionedThroughputExceededException", false},
		{chaos.Error, "InternalServerError", false},
		{chaos.Reset, "", false},
		{chaos.Drop, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			pk := "FAULT#" + tt.kind.String()
			p.Force("PutItem", tt.kind)
			err := put(ctx, c, db.Table, pk)
			var apiErr smithy.APIError
			switch {
			case tt.kind == chaos.Pass:
				if err != nil {
					t.Fatalf("passed through: %v", err)
				}
			case tt.code != "":
				if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.code {
					t.Fatalf("got %v, want %s", err, tt.code)
				}
				if !retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err).Bool() {
					t.Errorf("the SDK would not retry %v", err)
				}
			default:
				if err == nil || errors.As(err, &apiErr) {
					t.Fatalf("got %v, want a connection error", err)
				}
				if !retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err).Bool() {
					t.Errorf("the SDK would not retry %v", err)
				}
			}
			if got := exists(t, db, pk); got != tt.applied {
				t.Errorf("applied: %v, want %v", got, tt.applied)
			}
			if n := p.Counts()["PutItem"][tt.kind]; n != 1 {
				t.Errorf("counted %d, want 1", n)
			}
		})
	}
}

// Rates: the share of each fault over many calls is near its rate; a slow request waits.
func TestRates(t *testing.T) {
	db := testenv.NewDB(t)
	c, p := through(t, db)
	if err := p.SetFaults(chaos.Faults{Throttle: 0.2, Reset: 0.2, Slow: 0.5, Delay: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	const n = 400
	for i := range n {
		_, _ = c.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(db.Table),
			Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "P"}, "SK": &types.AttributeValueMemberS{Value: string(rune('a' + i%26))}}})
	}
	got := p.Counts()["GetItem"]
	for _, k := range []chaos.Kind{chaos.Throttle, chaos.Reset} {
		if got[k] < n/10 || got[k] > n*3/10 {
			t.Errorf("%s: %d of %d, want about %d", k, got[k], n, n/5)
		}
	}
	if got[chaos.Error] != 0 || got[chaos.Drop] != 0 {
		t.Errorf("faults at rate 0 happened: %v", got)
	}
	if got[chaos.Slow] < n/4 || got[chaos.Slow] > n*3/4 {
		t.Errorf("slow: %d of %d, want about %d", got[chaos.Slow], n, n/2)
	}
}

func TestValidate(t *testing.T) {
	for _, f := range []chaos.Faults{{Throttle: -0.1}, {Drop: 1.1}, {Throttle: 0.6, Error: 0.6}, {Slow: 0.1}} {
		if f.Validate() == nil {
			t.Errorf("%+v: accepted", f)
		}
	}
	if err := chaos.DefaultFaults.Validate(); err != nil {
		t.Error(err)
	}
}
