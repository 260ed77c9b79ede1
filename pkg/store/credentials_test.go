package store_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/store"
	"github.com/acme/customers/pkg/testenv"
)

// TestClaimCarriesCredentials: every write that changes a customer's credentials changes
// them on its email claim too, which is all a log-in reads.
func TestClaimCarriesCredentials(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	s := store.New(db.Client, db.Table)
	creds := func(email string) *customers.Credentials {
		t.Helper()
		db.Calls().Reset()
		c, err := s.LoginCredentials(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		if n := db.Calls().ByOp()["GetItem"]; n != 1 {
			t.Errorf("LoginCredentials made %d GetItems, want 1", n)
		}
		return c
	}
	c := create(t, s, "creds@example.com")
	if got := creds("creds@example.com"); got == nil || *got != (customers.Credentials{CustomerID: c.ID, PasswordHash: c.PasswordHash}) {
		t.Fatalf("after sign-up: %+v", got)
	}
	if got := creds("nobody@example.com"); got != nil {
		t.Errorf("an unknown email has credentials %+v", got)
	}

	// A new password: the claim gets the hash and the new token generation.
	cur, _ := s.Get(ctx, c.ID)
	h2 := "$2a$10$secondsecondsecondsecoCHEAPFAKEHASHFORTESTSONLY000000"
	if _, err := s.ChangeCredentials(ctx, cur, customers.Patch{PasswordHash: &h2}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := creds("creds@example.com"); got == nil || got.PasswordHash != h2 || got.TokenGen != 1 {
		t.Errorf("after a password change: %+v", got)
	}

	// A new email: the old claim goes, the new one carries the credentials.
	cur, _ = s.Get(ctx, c.ID)
	email := "moved@example.com"
	if _, err := s.ChangeCredentials(ctx, cur, customers.Patch{Email: &email}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := creds("creds@example.com"); got != nil {
		t.Errorf("the old email still has credentials %+v", got)
	}
	if got := creds("moved@example.com"); got == nil || got.PasswordHash != h2 || got.TokenGen != 1 {
		t.Errorf("after an email change: %+v", got)
	}

	// A rehash changes both, only from the hash checked.
	h3 := "$2a$11$thirdthirdthirdthirdthCHEAPFAKEHASHFORTESTSONLY000000"
	if err := s.Rehash(ctx, c.ID, "moved@example.com", "not the hash", h3); err != nil {
		t.Fatal(err)
	}
	if got := creds("moved@example.com"); got.PasswordHash != h2 {
		t.Errorf("a rehash from a stale hash went through: %+v", got)
	}
	if err := s.Rehash(ctx, c.ID, "moved@example.com", h2, h3); err != nil {
		t.Fatal(err)
	}
	cur, _ = s.Get(ctx, c.ID)
	if got := creds("moved@example.com"); got.PasswordHash != h3 || cur.PasswordHash != h3 || got.TokenGen != cur.TokenGen {
		t.Errorf("after a rehash: claim %+v, customer hash %q gen %d", got, cur.PasswordHash, cur.TokenGen)
	}

	// Deleted: no credentials.
	if err := s.Delete(ctx, cur, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := creds("moved@example.com"); got != nil {
		t.Errorf("a deleted customer has credentials %+v", got)
	}
}

// TestLegacyClaim: a claim written before claims carried credentials still logs in, by
// reading its customer.
func TestLegacyClaim(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	s := store.New(db.Client, db.Table)
	c := create(t, s, "legacy@example.com")
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &db.Table, Item: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "EMAIL#legacy@example.com"}, "SK": &types.AttributeValueMemberS{Value: "EMAIL"},
		"type": &types.AttributeValueMemberS{Value: "email"}, "customer_id": &types.AttributeValueMemberS{Value: c.ID},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.LoginCredentials(ctx, "legacy@example.com")
	if err != nil || got == nil || *got != (customers.Credentials{CustomerID: c.ID, PasswordHash: c.PasswordHash}) {
		t.Errorf("legacy claim: %+v, %v", got, err)
	}
	// A password change since: the customer's token generation is 1. A rehash of the legacy
	// claim must not make it claim generation 0.
	cur, _ := s.Get(ctx, c.ID)
	h := "$2a$10$anotheranotheranotherCHEAPFAKEHASHFORTESTSONLY000000"
	if _, err := s.Update(ctx, c.ID, customers.Patch{PasswordHash: &h}, time.Now(), customers.Guard{Version: cur.Version}); err != nil {
		t.Fatal(err)
	}
	h2 := "$2a$11$anotheranotheranotherCHEAPFAKEHASHFORTESTSONLY000000"
	if err := s.Rehash(ctx, c.ID, "legacy@example.com", h, h2); err != nil {
		t.Fatal(err)
	}
	got, err = s.LoginCredentials(ctx, "legacy@example.com")
	if err != nil || got == nil || got.TokenGen != 1 || got.PasswordHash != h2 {
		t.Errorf("legacy claim after a rehash: %+v, %v; want generation 1 and the new hash", got, err)
	}
}

// TestLoginCount: the policy holds in the conditional write itself, and a refused attempt
// changes nothing.
func TestLoginCount(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	s := store.New(db.Client, db.Table)
	p := customers.LoginPolicy{Window: time.Hour, MaxAttempts: 4, FreeAttempts: 2, FirstDelay: time.Minute}
	now := p.WindowStart(time.Now()).Add(30 * time.Minute)
	count := func(addr string, at time.Time) customers.Attempt {
		t.Helper()
		a, err := s.CountLogin(ctx, "count@example.com", addr, at, p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if a := count("1.1.1.1", now); a.Wait != 0 || a.Prior {
		t.Errorf("first attempt: %+v", a)
	}
	if a := count("1.1.1.1", now); a.Wait != 0 || !a.Prior {
		t.Errorf("second attempt: %+v", a)
	}
	if a := count("1.1.1.1", now.Add(59*time.Second)); a.Wait != time.Second {
		t.Errorf("third attempt too soon: %+v, want a wait of 1s", a)
	}
	if a := count("1.1.1.1", now.Add(time.Minute)); a.Wait != 0 {
		t.Errorf("third attempt on time: %+v", a)
	}
	// The next one waits twice as long after that one.
	if a := count("1.1.1.1", now.Add(time.Minute+119*time.Second)); a.Wait != time.Second {
		t.Errorf("fourth attempt too soon: %+v, want a wait of 1s", a)
	}
	if a := count("2.2.2.2", now.Add(time.Minute)); a.Wait != 0 {
		t.Errorf("another address: %+v", a)
	}
	// Four counted: the email's ceiling, for every address, until the window ends.
	if a := count("3.3.3.3", now.Add(time.Minute)); a.Wait != 29*time.Minute {
		t.Errorf("past the ceiling: %+v, want the 29 minutes left", a)
	}
	// The next window starts afresh.
	if a := count("1.1.1.1", now.Add(30*time.Minute)); a.Wait != 0 || a.Prior {
		t.Errorf("next window: %+v", a)
	}
	// Clearing zeroes the email's count and the address's own.
	if err := s.ClearLogin(ctx, "count@example.com", "1.1.1.1", p.WindowStart(now)); err != nil {
		t.Fatal(err)
	}
	if a := count("1.1.1.1", now.Add(time.Minute)); a.Wait != 0 || a.Prior {
		t.Errorf("after clearing: %+v", a)
	}
	if a := count("2.2.2.2", now.Add(time.Minute)); a.Wait != 0 || !a.Prior {
		t.Errorf("another address after clearing: %+v (its own count is still there)", a)
	}
	// Clearing a window that never counted anything is no error and writes nothing.
	if err := s.ClearLogin(ctx, "none@example.com", "1.1.1.1", p.WindowStart(now)); err != nil {
		t.Fatal(err)
	}
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &db.Table, ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "LOGIN#none@example.com"},
			"SK": &types.AttributeValueMemberS{Value: "W#" + strconv.FormatInt(p.WindowStart(now).UnixMilli(), 10)}}})
	if err != nil || out.Item != nil {
		t.Errorf("clearing made an item: %v, %v", out.Item, err)
	}
}
