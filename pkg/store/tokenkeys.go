package store

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/auth"
)

// tokenKeysItem is one kind's published public keys: the JWKs as JSON, and the version of
// the signing secret they come from (its CreatedDate, in milliseconds).
type tokenKeysItem struct {
	key
	Keys    string `dynamodbav:"keys"`
	Created int64  `dynamodbav:"created"`
}

func (it *tokenKeysItem) keySet() (auth.KeySet, error) {
	ks := auth.KeySet{Created: time.UnixMilli(it.Created).UTC()}
	return ks, json.Unmarshal([]byte(it.Keys), &ks.Keys)
}

// PublishTokenKeys implements auth.KeyStore with one conditional PutItem: ks replaces what
// is stored unless that is of a later version (or this one). It returns what is stored
// after, from the failed condition's old item when it keeps.
func (s *Store) PublishTokenKeys(ctx context.Context, kind auth.Kind, ks auth.KeySet) (auth.KeySet, error) {
	keys, err := json.Marshal(ks.Keys)
	if err != nil {
		return auth.KeySet{}, err
	}
	item, _ := attributevalue.MarshalMap(tokenKeysItem{key: tokenKeysKey(string(kind)), Keys: string(keys), Created: ks.Created.UnixMilli()})
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item,
		ConditionExpression:                 aws.String("attribute_not_exists(PK) OR created < :c"),
		ExpressionAttributeValues:           map[string]types.AttributeValue{":c": numberAV(ks.Created.UnixMilli())},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		var it tokenKeysItem
		if err := attributevalue.UnmarshalMap(ccf.Item, &it); err != nil {
			return auth.KeySet{}, fail("publish token keys", err)
		}
		return it.keySet()
	}
	if err != nil {
		return auth.KeySet{}, fail("publish token keys", err)
	}
	return ks, nil
}

// TokenKeys implements auth.KeyStore with one consistent BatchGetItem of every kind's keys
// (a verifier that meets a new kid reads what its signer has just published).
func (s *Store) TokenKeys(ctx context.Context) (map[auth.Kind]auth.KeySet, error) {
	keys := make([]key, len(auth.Kinds))
	for i, k := range auth.Kinds {
		keys[i] = tokenKeysKey(string(k))
	}
	found, err := s.batchGet(ctx, "read token keys", keys...)
	if err != nil {
		return nil, err
	}
	out := map[auth.Kind]auth.KeySet{}
	for i, k := range auth.Kinds {
		raw, ok := found[keys[i]]
		if !ok {
			continue
		}
		var it tokenKeysItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, fail("read token keys", err)
		}
		ks, err := it.keySet()
		if err != nil {
			return nil, fail("read token keys", errors.New("the item of "+strconv.Quote(string(k))+" keys is not JSON"))
		}
		out[k] = ks
	}
	return out, nil
}
