package store

import (
	"context"
	"math/rand/v2"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// A resource's count is spread over countShards items, each its own partition (countKey):
// a write that adds or removes a value updates one at random, and an unfiltered list's
// total sums them all.

// countUpdate adds delta to one of counter's count shards, chosen at random, in the
// transaction that adds or removes one of its values.
func (s *Store) countUpdate(counter string, delta int) *types.Update {
	k, _ := attributevalue.MarshalMap(countKey(counter, rand.N(countShards)))
	return &types.Update{
		TableName:                 &s.table,
		Key:                       k,
		UpdateExpression:          aws.String("ADD #n :d"),
		ExpressionAttributeNames:  map[string]string{"#n": "count"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": &types.AttributeValueMemberN{Value: strconv.Itoa(delta)}},
	}
}

// countTotal sums a resource's count shards (countKey) with one BatchGetItem.
func (s *Store) countTotal(ctx context.Context, counter string) (int, error) {
	keys := make([]map[string]types.AttributeValue, countShards)
	for i := range keys {
		keys[i], _ = attributevalue.MarshalMap(countKey(counter, i))
	}
	total := 0
	req := map[string]types.KeysAndAttributes{s.table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
	for len(req) > 0 {
		out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return 0, fail("count "+counter, err)
		}
		for _, raw := range out.Responses[s.table] {
			var shard struct {
				Count int `dynamodbav:"count"`
			}
			if err := attributevalue.UnmarshalMap(raw, &shard); err != nil {
				return 0, fail("count "+counter, err)
			}
			total += shard.Count
		}
		req = out.UnprocessedKeys
	}
	return max(total, 0), nil
}
