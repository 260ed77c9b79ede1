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

	"github.com/acme/customers/pkg/customers"
)

// A log-in window's attempts for one email are one item (loginKey): "n" counts them from
// every address; for each address that tried, "a:<address>" counts its attempts and
// "t:<address>" holds the last one's time (Unix milliseconds). The email-wide ceiling
// bounds how many addresses one item can hold (each adds about 60 bytes). The item expires
// by TTL a minute after its window ends.
const (
	attrAttempts = "n"
	typeLogin    = "login_attempts"
)

func addressAttrs(address string) (count, last string) { return "a:" + address, "t:" + address }

// CountLogin implements customers.Store with one conditional UpdateItem: the condition is
// the policy (the email's ceiling, and the address's free attempts or the delay its count
// has reached), so concurrent attempts pass it one by one and a refused one changes
// nothing.
func (s *Store) CountLogin(ctx context.Context, emailKeyValue, address string, now time.Time, p customers.LoginPolicy) (customers.Attempt, error) {
	window := p.WindowStart(now)
	count, last := addressAttrs(address)
	values := map[string]types.AttributeValue{
		":one": numberAV(1), ":max": numberAV(int64(p.MaxAttempts)), ":free": numberAV(int64(p.FreeAttempts)),
		":now": numberAV(now.UnixMilli()), ":exp": numberAV(window.Add(p.Window).Unix() + 60),
		":type": &types.AttributeValueMemberS{Value: typeLogin},
	}
	// Past the free attempts, attempt free+k waits delays[k] since the address's last one.
	steps := []string{"attribute_not_exists(#a)", "#a < :free"}
	for k, d := range p.Delays() {
		ks := strconv.Itoa(k)
		values[":c"+ks] = numberAV(int64(p.FreeAttempts + k))
		values[":t"+ks] = numberAV(now.Add(-d).UnixMilli())
		steps = append(steps, "(#a = :c"+ks+" AND #t <= :t"+ks+")")
	}
	k, _ := attributevalue.MarshalMap(loginKey(emailKeyValue, window))
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        &s.table,
		Key:              k,
		UpdateExpression: aws.String("ADD #n :one, #a :one SET #t = :now, expires_at = :exp, #type = :type"),
		ConditionExpression: aws.String("(attribute_not_exists(#n) OR #n < :max) AND (" +
			strings.Join(steps, " OR ") + ")"),
		ExpressionAttributeNames:            map[string]string{"#n": attrAttempts, "#a": count, "#t": last, "#type": "type"},
		ExpressionAttributeValues:           values,
		ReturnValues:                        types.ReturnValueUpdatedNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	at := customers.Attempt{Window: window}
	if conditionFailed(err) {
		old := ccfItem(err)
		n, a, t := attrInt(old, attrAttempts), attrInt(old, count), attrInt(old, last)
		at.Wait = max(p.Wait(now, int(n), int(a), time.UnixMilli(t)), time.Millisecond)
		return at, nil
	}
	if err != nil {
		return at, fail("count log-in", err)
	}
	at.Prior = attrInt(out.Attributes, attrAttempts) > 1 || attrInt(out.Attributes, count) > 1
	return at, nil
}

// ClearLogin implements customers.Store: the email-wide count goes back to zero and the
// address's own count and time go.
func (s *Store) ClearLogin(ctx context.Context, emailKeyValue, address string, window time.Time) error {
	count, last := addressAttrs(address)
	k, _ := attributevalue.MarshalMap(loginKey(emailKeyValue, window))
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       k,
		UpdateExpression:          aws.String("SET #n = :zero REMOVE #a, #t"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeNames:  map[string]string{"#n": attrAttempts, "#a": count, "#t": last},
		ExpressionAttributeValues: map[string]types.AttributeValue{":zero": numberAV(0)},
	})
	if conditionFailed(err) {
		return nil // expired meanwhile: nothing to clear
	}
	return fail("clear log-in attempts", err)
}

// dropLogins deletes every log-in window of the email (its attempts, and the addresses
// they came from), as far as a consistent Query finds them; what a concurrent attempt adds
// meanwhile expires by TTL.
func (s *Store) dropLogins(ctx context.Context, emailKeyValue string) error {
	const op = "drop log-in attempts"
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{TableName: &s.table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: loginKey(emailKeyValue, time.Time{}).PK}},
		ProjectionExpression:      aws.String("PK, SK")})
	if err != nil {
		return fail(op, err)
	}
	keys := make([]key, 0, len(out.Items))
	for _, it := range out.Items {
		keys = append(keys, key{attrString(it, attrPK), attrString(it, attrSK)})
	}
	return s.batchDelete(ctx, op, keys)
}

// LoginCredentials implements customers.Store with one consistent read of the email's
// claim, which carries the credentials. A claim written before claims carried them (no
// "credentials" flag) costs one more read, of its customer.
func (s *Store) LoginCredentials(ctx context.Context, emailKeyValue string) (*customers.Credentials, error) {
	ek, _ := attributevalue.MarshalMap(emailKey(emailKeyValue))
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: ek, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fail("login", err)
	}
	var claim emailItem
	if err := attributevalue.UnmarshalMap(out.Item, &claim); err != nil {
		return nil, fail("login", err)
	}
	switch {
	case claim.CustomerID == "":
		return nil, nil
	case claim.Credentials:
		return &customers.Credentials{CustomerID: claim.CustomerID, PasswordHash: claim.PasswordHash, TokenGen: claim.TokenGen}, nil
	}
	c, err := s.Get(ctx, claim.CustomerID)
	if err == customers.ErrNotFound || (err == nil && c.Deleted) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &customers.Credentials{CustomerID: c.ID, PasswordHash: c.PasswordHash, TokenGen: c.TokenGen}, nil
}

// Rehash implements customers.Store: the customer and its claim change together, and only
// if the hash is still the one checked.
func (s *Store) Rehash(ctx context.Context, id, emailKeyValue, oldHash, newHash string) error {
	newV, idV := &types.AttributeValueMemberS{Value: newHash}, &types.AttributeValueMemberS{Value: id}
	ck, _ := attributevalue.MarshalMap(customerKey(id))
	ek, _ := attributevalue.MarshalMap(emailKey(emailKeyValue))
	_, err := s.transact(ctx, "rehash", func() []types.TransactWriteItem {
		return []types.TransactWriteItem{
			{Update: &types.Update{TableName: &s.table, Key: ck, UpdateExpression: aws.String("SET password_hash = :new"),
				ConditionExpression: aws.String("password_hash = :old AND id = :id"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":new": newV, ":id": idV,
					":old": &types.AttributeValueMemberS{Value: oldHash}}}},
			// A claim from before claims carried credentials stays one (its flag unset): it
			// has no token generation to trust.
			{Update: &types.Update{TableName: &s.table, Key: ek, UpdateExpression: aws.String("SET password_hash = :new"),
				ConditionExpression:       aws.String("customer_id = :id"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":new": newV, ":id": idV}}},
		}
	})
	return err // a failed condition: changed meanwhile, nothing to upgrade
}

// ccfItem is the item a failed conditional write found (ReturnValuesOnConditionCheckFailure).
func ccfItem(err error) map[string]types.AttributeValue {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ccf.Item
	}
	return nil
}

// attrInt reads a number attribute, 0 when absent.
func attrInt(item map[string]types.AttributeValue, name string) int64 {
	if v, ok := item[name].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.ParseInt(v.Value, 10, 64)
		return n
	}
	return 0
}
