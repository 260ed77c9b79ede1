package main

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The meter sums reads' units as RCU and writes' as WCU, and counts the responses that
// carried no ConsumedCapacity.
func TestCapacityRecord(t *testing.T) {
	cu := func(n float64) *types.ConsumedCapacity { return &types.ConsumedCapacity{CapacityUnits: aws.Float64(n)} }
	c := newCapacity()
	c.record("Query", &dynamodb.QueryOutput{ScannedCount: 6, ConsumedCapacity: cu(1)}, nil)
	c.record("BatchGetItem", &dynamodb.BatchGetItemOutput{ConsumedCapacity: []types.ConsumedCapacity{*cu(2)},
		Responses: map[string][]map[string]types.AttributeValue{"t": {{}, {}}}}, nil)
	c.record("GetItem", &dynamodb.GetItemOutput{}, nil) // no ConsumedCapacity, no item
	c.record("UpdateItem", &dynamodb.UpdateItemOutput{ConsumedCapacity: cu(3)}, nil)
	c.record("BatchWriteItem", &dynamodb.BatchWriteItemOutput{ConsumedCapacity: []types.ConsumedCapacity{*cu(4), *cu(5)}}, nil)
	c.record("DeleteItem", &dynamodb.DeleteItemOutput{}, nil)
	c.record("DescribeTable", &dynamodb.DescribeTableOutput{}, nil) // not metered
	r := c.read()
	if r.rcu != 3 || r.wcu != 12 || r.items != 8 || r.wcuByOp["BatchWriteItem"] != 9 || r.rcuByOp["Query"] != 1 {
		t.Errorf("rcu %v wcu %v items %d by op %v %v, want 3, 12, 8, and 1 for Query, 9 for BatchWriteItem", r.rcu, r.wcu, r.items, r.rcuByOp, r.wcuByOp)
	}
	if r.complete() || r.answered["GetItem"] != 1 || r.reported["GetItem"] != 0 || r.reported["DeleteItem"] != 0 ||
		r.reported["UpdateItem"] != 1 || len(r.answered) != 6 {
		t.Errorf("answered %v reported %v", r.answered, r.reported)
	}
	c.reset()
	if r := c.read(); r.rcu != 0 || r.wcu != 0 || len(r.answered) != 0 {
		t.Errorf("after reset: %+v", r)
	}
}
