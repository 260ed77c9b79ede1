package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/customers"
)

// identityItem says which customer an identity provider's subject logs in as. The
// customer lists the identities it holds (customerItem.Identities): every write that adds
// or removes one changes both in one transaction.
type identityItem struct {
	key
	Type       string `dynamodbav:"type"`
	CustomerID string `dynamodbav:"customer_id"`
}

// putIdentity claims identity name for customerID: it must be free, or held by orphan (a
// customer that is gone) when orphan is set.
func (s *Store) putIdentity(name, customerID, orphan string) *types.Put {
	item, _ := attributevalue.MarshalMap(identityItem{key: identityKey(name), Type: "identity", CustomerID: customerID})
	p := &types.Put{TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}
	if orphan != "" {
		p.ConditionExpression = aws.String("attribute_not_exists(PK) OR customer_id = :orphan")
		p.ExpressionAttributeValues = map[string]types.AttributeValue{":orphan": &types.AttributeValueMemberS{Value: orphan}}
	}
	return p
}

// deleteIdentity frees identity name if customerID holds it.
func (s *Store) deleteIdentity(name, customerID string) *types.Delete {
	k, _ := attributevalue.MarshalMap(identityKey(name))
	return &types.Delete{TableName: &s.table, Key: k, ConditionExpression: aws.String("attribute_not_exists(PK) OR customer_id = :id"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: customerID}}}
}

// IdentityOwner implements customers.IdentityStore with one consistent GetItem.
func (s *Store) IdentityOwner(ctx context.Context, name string) (string, error) {
	k, _ := attributevalue.MarshalMap(identityKey(name))
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return "", fail("get identity", err)
	}
	return attrString(out.Item, "customer_id"), nil
}

// LinkIdentity implements customers.IdentityStore: the identity and the customer's list of
// them in one transaction, at cur's version.
func (s *Store) LinkIdentity(ctx context.Context, cur *customers.Customer, name, orphan string) (*customers.Customer, error) {
	k, _ := attributevalue.MarshalMap(customerKey(cur.ID))
	reasons, err := s.transact(ctx, "link identity", func() []types.TransactWriteItem {
		return []types.TransactWriteItem{
			{Put: s.putIdentity(name, cur.ID, orphan)},
			{Update: &types.Update{TableName: &s.table, Key: k,
				UpdateExpression:    aws.String("ADD identities :name, version :one"),
				ConditionExpression: aws.String("version = :v AND attribute_not_exists(deleted_at)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":name": &types.AttributeValueMemberSS{Value: []string{name}}, ":one": numberAV(1), ":v": numberAV(cur.Version)}}},
		}
	})
	switch {
	case err != nil:
		return nil, err
	case failed(reasons, 0):
		return nil, customers.ErrIdentityTaken
	case reasons != nil:
		return nil, customers.ErrStale
	}
	next := *cur
	next.Identities = append(append([]string(nil), cur.Identities...), name)
	next.Version++
	return &next, nil
}
