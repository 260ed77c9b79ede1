package store

import (
	"context"
	"errors"
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

// LoginCustomer implements customers.Store: a consistent read of the email's claim, then
// of its customer (or of a key nobody holds, for an unknown email).
func (s *Store) LoginCustomer(ctx context.Context, emailKeyValue string) (*customers.Customer, error) {
	ek, _ := attributevalue.MarshalMap(emailKey(emailKeyValue))
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: ek, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fail("login", err)
	}
	var claim emailItem
	if err := attributevalue.UnmarshalMap(out.Item, &claim); err != nil {
		return nil, fail("login", err)
	}
	if claim.CustomerID == "" {
		k, _ := attributevalue.MarshalMap(absentCustomer)
		if _, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: k, ConsistentRead: aws.Bool(true)}); err != nil {
			return nil, fail("login", err)
		}
		return nil, nil
	}
	c, err := s.Get(ctx, claim.CustomerID)
	if err == customers.ErrNotFound {
		return nil, nil
	}
	return c, err
}

// ReserveLogin implements customers.Store. One conditional UpdateItem counts the attempt in
// an open window below the limit; when there is no open window, a conditional PutItem
// starts one. Both conditions make concurrent attempts count one by one.
func (s *Store) ReserveLogin(ctx context.Context, emailKeyValue string, now time.Time, window time.Duration, max int) (time.Duration, error) {
	k, _ := attributevalue.MarshalMap(loginFailKey(emailKeyValue))
	cutoff := numberAV(now.Add(-window).Unix())
	for try := 0; try < 3; try++ {
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:           &s.table,
			Key:                 k,
			UpdateExpression:    aws.String("ADD failures :one"),
			ConditionExpression: aws.String("window_start > :cutoff AND failures < :max"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":one": numberAV(1), ":cutoff": cutoff, ":max": numberAV(int64(max)),
			},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if err == nil {
			return 0, nil
		}
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return 0, fail("count log-in", err)
		}
		var old loginFailItem
		_ = attributevalue.UnmarshalMap(ccf.Item, &old)
		if len(ccf.Item) > 0 && old.WindowStart > now.Add(-window).Unix() {
			// The window is open and full: refuse without counting.
			return time.Unix(old.WindowStart, 0).Add(window).Sub(now), nil
		}
		item, _ := attributevalue.MarshalMap(loginFailItem{key: loginFailKey(emailKeyValue), Type: "login_attempts",
			Failures: 1, WindowStart: now.Unix(), ExpiresAt: now.Add(window).Unix() + 60})
		_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:                 &s.table,
			Item:                      item,
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR window_start <= :cutoff"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":cutoff": cutoff},
		})
		if err == nil {
			return 0, nil
		}
		if !conditionFailed(err) {
			return 0, fail("count log-in", err)
		}
		// Another attempt opened the window first: count in it.
	}
	return 0, unavailable("count log-in", errors.New("attempt count kept changing"))
}

// LoginSucceeded implements customers.Store.
func (s *Store) LoginSucceeded(ctx context.Context, emailKeyValue string) error {
	k, _ := attributevalue.MarshalMap(loginFailKey(emailKeyValue))
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: k})
	return fail("clear log-in attempts", err)
}

// Rehash implements customers.Store: the hash changes only if it is still the one checked.
func (s *Store) Rehash(ctx context.Context, id, oldHash, newHash string) error {
	k, _ := attributevalue.MarshalMap(customerKey(id))
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 k,
		UpdateExpression:    aws.String("SET password_hash = :new"),
		ConditionExpression: aws.String("password_hash = :old"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":new": &types.AttributeValueMemberS{Value: newHash}, ":old": &types.AttributeValueMemberS{Value: oldHash},
		},
	})
	if conditionFailed(err) {
		return nil // changed meanwhile: nothing to upgrade
	}
	return fail("rehash", err)
}
