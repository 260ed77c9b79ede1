package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/idempotency"
)

// idempotencyItem is an Idempotency-Key's record (IDEMPOTENCY#<sha256(scope, key)> /
// IDEMPOTENCY): what the request asked, and once answered the answer; it expires by TTL.
type idempotencyItem struct {
	key
	Fingerprint string `dynamodbav:"fingerprint"`
	// CustomerID is the customer whose data the answer holds (partitionOwner), if any.
	CustomerID  string `dynamodbav:"customer_id,omitempty"`
	Done        bool   `dynamodbav:"done,omitempty"`
	Status      int    `dynamodbav:"status,omitempty"`
	Body        string `dynamodbav:"body,omitempty"`
	ContentType string `dynamodbav:"content_type,omitempty"`
	ETag        string `dynamodbav:"etag,omitempty"`
	CreatedAt   string `dynamodbav:"created_at"`
	ExpiresAt   int64  `dynamodbav:"expires_at"`
}

// maxStoredAnswer bounds the answer a record keeps (an item holds 400 KB); a larger one is
// not stored, and a retry of its request gets ErrInProgress's 409 until the key expires.
const maxStoredAnswer = 300 << 10

// withIdempotency returns the transaction's items with, when ctx carries a Pending, the
// key's record added last (on condition that the key is new): the record and the resource
// are written together or not at all.
func (s *Store) withIdempotency(ctx context.Context, items []types.TransactWriteItem) ([]types.TransactWriteItem, *idempotency.Pending) {
	p := idempotency.From(ctx)
	if p == nil {
		return items, nil
	}
	expires := p.Created.Add(idempotency.TTL).Unix()
	// The answer will hold the data of the customer whose partition the transaction writes
	// (a sign-up, an address, a customer's checkout): a link in that partition lets the
	// erasure of the customer find the record and delete it with the rest.
	owner := partitionOwner(items)
	item, _ := attributevalue.MarshalMap(idempotencyItem{key: idempotencyKey(p.ID()), Fingerprint: p.Fingerprint,
		CustomerID: owner, CreatedAt: timeKey(p.Created), ExpiresAt: expires})
	if owner != "" {
		link, _ := attributevalue.MarshalMap(keyLinkItem{key: keyLinkKey(owner, p.ID()), ExpiresAt: expires})
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: link}})
	}
	// A record past its expiry is gone for IdempotencyRecord, but TTL deletes it only days
	// later: it must not hold the key meanwhile, so the new record may replace it. The record
	// stays last: transact tells its condition's failure by its place.
	return append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: item,
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR expires_at <= :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": numberAV(p.Created.Unix())}}}), p
}

// keyLinkItem is a customer's link to an Idempotency-Key record (keyLinkKey).
type keyLinkItem struct {
	key
	ExpiresAt int64 `dynamodbav:"expires_at"`
}

// partitionOwner is the customer whose partition one of items writes, "" for none.
func partitionOwner(items []types.TransactWriteItem) string {
	for _, it := range items {
		var k map[string]types.AttributeValue
		switch {
		case it.Put != nil:
			k = it.Put.Item
		case it.Update != nil:
			k = it.Update.Key
		case it.Delete != nil:
			k = it.Delete.Key
		}
		if id, ok := strings.CutPrefix(attrString(k, attrPK), "CUSTOMER#"); ok {
			return id
		}
	}
	return ""
}

// IdempotencyRecord reads p's record (consistent); nil when there is none, or when it
// has expired but TTL has not deleted it yet.
func (s *Store) IdempotencyRecord(ctx context.Context, p *idempotency.Pending) (*idempotency.Record, error) {
	errNone := errors.New("no record")
	r, err := getOne(ctx, s, "read idempotency key", idempotencyKey(p.ID()), func(it *idempotencyItem) *idempotency.Record {
		if it.ExpiresAt <= time.Now().Unix() {
			return nil
		}
		created, _ := time.Parse(time.RFC3339Nano, it.CreatedAt)
		return &idempotency.Record{Fingerprint: it.Fingerprint, Done: it.Done, Status: it.Status, Body: it.Body,
			ContentType: it.ContentType, ETag: it.ETag, Created: created}
	}, errNone)
	if errors.Is(err, errNone) {
		return nil, nil
	}
	return r, err
}

// CompleteIdempotency stores the answer to p's request in its record (written by the
// request's create), once.
func (s *Store) CompleteIdempotency(ctx context.Context, p *idempotency.Pending, status int, body, contentType, etag string) error {
	if len(body) > maxStoredAnswer {
		return nil
	}
	k, _ := attributevalue.MarshalMap(idempotencyKey(p.ID()))
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: k,
		UpdateExpression:         aws.String("SET done = :t, #status = :s, body = :b, content_type = :c, etag = :e"),
		ConditionExpression:      aws.String("fingerprint = :f AND attribute_not_exists(done)"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true},
			":s": &types.AttributeValueMemberN{Value: strconv.Itoa(status)}, ":b": &types.AttributeValueMemberS{Value: body},
			":c": &types.AttributeValueMemberS{Value: contentType}, ":e": &types.AttributeValueMemberS{Value: etag},
			":f": &types.AttributeValueMemberS{Value: p.Fingerprint}}})
	if conditionFailed(err) {
		return nil
	}
	return fail("complete idempotency key", err)
}
