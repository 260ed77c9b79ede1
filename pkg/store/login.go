package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/id"
)

// loginFailItem counts failed logins for one email within a window. It expires by TTL.
type loginFailItem struct {
	key
	Type        string `dynamodbav:"type"`
	Failures    int    `dynamodbav:"failures"`
	WindowStart int64  `dynamodbav:"window_start"` // epoch seconds
	ExpiresAt   int64  `dynamodbav:"expires_at"`   // epoch seconds, the table's TTL attribute
}

// absentCustomer is read when an email belongs to nobody, so that a failed login for an
// unknown email makes the same two reads as one for a known email.
var absentCustomer = customerKey(id.New())

// Login implements customers.Store: one BatchGetItem reads the email's claim and its
// failure count, then one GetItem reads the customer.
func (s *Store) Login(ctx context.Context, emailKeyValue string) (customers.LoginRecord, error) {
	var rec customers.LoginRecord
	ek, _ := attributevalue.MarshalMap(emailKey(emailKeyValue))
	fk, _ := attributevalue.MarshalMap(loginFailKey(emailKeyValue))
	out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		s.table: {Keys: []map[string]types.AttributeValue{ek, fk}, ConsistentRead: aws.Bool(true)},
	}})
	if err != nil {
		return rec, fail("login", err)
	}
	if len(out.UnprocessedKeys) > 0 {
		return rec, unavailable("login", errUnprocessed)
	}
	customerID := ""
	for _, raw := range out.Responses[s.table] {
		var k key
		_ = attributevalue.UnmarshalMap(raw, &k)
		switch k.SK {
		case skEmail:
			var e emailItem
			if err := attributevalue.UnmarshalMap(raw, &e); err != nil {
				return rec, fail("login", err)
			}
			customerID = e.CustomerID
		case skLoginFail:
			var f loginFailItem
			if err := attributevalue.UnmarshalMap(raw, &f); err != nil {
				return rec, fail("login", err)
			}
			rec.Failures, rec.WindowStart = f.Failures, time.Unix(f.WindowStart, 0)
		}
	}
	if customerID == "" {
		k, _ := attributevalue.MarshalMap(absentCustomer)
		if _, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: k, ConsistentRead: aws.Bool(true)}); err != nil {
			return rec, fail("login", err)
		}
		return rec, nil
	}
	c, err := s.Get(ctx, customerID)
	if err != nil && err != customers.ErrNotFound {
		return rec, err
	}
	rec.Customer = c
	return rec, nil
}

// LoginFailed implements customers.Store: it counts a failure in the current window, or
// starts a new window when the last one has ended.
func (s *Store) LoginFailed(ctx context.Context, emailKeyValue string, now time.Time, window time.Duration) error {
	k, _ := attributevalue.MarshalMap(loginFailKey(emailKeyValue))
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 k,
		UpdateExpression:    aws.String("ADD failures :one"),
		ConditionExpression: aws.String("window_start > :cutoff"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":    &types.AttributeValueMemberN{Value: "1"},
			":cutoff": numberAV(now.Add(-window).Unix()),
		},
	})
	if err == nil || !conditionFailed(err) {
		return fail("count login failure", err)
	}
	item, _ := attributevalue.MarshalMap(loginFailItem{key: loginFailKey(emailKeyValue), Type: "login_failures",
		Failures: 1, WindowStart: now.Unix(), ExpiresAt: now.Add(window).Unix() + 60})
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item})
	return fail("count login failure", err)
}

// LoginSucceeded implements customers.Store.
func (s *Store) LoginSucceeded(ctx context.Context, emailKeyValue string) error {
	k, _ := attributevalue.MarshalMap(loginFailKey(emailKeyValue))
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: k})
	return fail("clear login failures", err)
}
