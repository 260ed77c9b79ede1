package dynamolocal

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func item(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"PK": s(pk), "SK": s(sk)}
}

// The leading keys IAM evaluates, call by call (and item by item in a transaction).
func TestAccesses(t *testing.T) {
	keys := &partitionKeys{table: "PK", indexes: map[string]string{"GSI1": "GSI1PK", "GSI2": "GSI2PK"}}
	built, err := expression.NewBuilder().WithKeyCondition(
		expression.Key("GSI2PK").Equal(expression.Value("C#3")).And(expression.Key("GSI2SK").BeginsWith("ann"))).Build()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		op   string
		in   any
		want []Access
	}{
		{"GetItem", "GetItem", &dynamodb.GetItemInput{Key: item("CUSTOMER#1", "#PROFILE")},
			[]Access{{Action: "dynamodb:GetItem", LeadingKeys: []string{"CUSTOMER#1"}}}},
		{"PutItem", "PutItem", &dynamodb.PutItemInput{Item: item("SSO#STATE#ab", "STATE")},
			[]Access{{Action: "dynamodb:PutItem", LeadingKeys: []string{"SSO#STATE#ab"}}}},
		{"UpdateItem", "UpdateItem", &dynamodb.UpdateItemInput{Key: item("SETTINGS", "STORE")},
			[]Access{{Action: "dynamodb:UpdateItem", LeadingKeys: []string{"SETTINGS"}}}},
		{"DeleteItem", "DeleteItem", &dynamodb.DeleteItemInput{Key: item("CART#x", "CART")},
			[]Access{{Action: "dynamodb:DeleteItem", LeadingKeys: []string{"CART#x"}}}},
		{"Query of the table", "Query", &dynamodb.QueryInput{KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :from AND :to"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("CUSTOMER#1"), ":from": s("#"), ":to": s("$")}},
			[]Access{{Action: "dynamodb:Query", LeadingKeys: []string{"CUSTOMER#1"}}}},
		{"Query of an index: its own partition key", "Query", &dynamodb.QueryInput{IndexName: aws.String("GSI2"),
			KeyConditionExpression: built.KeyCondition(), ExpressionAttributeNames: built.Names(), ExpressionAttributeValues: built.Values()},
			[]Access{{Action: "dynamodb:Query", Index: "GSI2", LeadingKeys: []string{"C#3"}}}},
		{"Query, sort key compared first", "Query", &dynamodb.QueryInput{IndexName: aws.String("GSI1"),
			KeyConditionExpression:    aws.String("GSI1SK <= :to AND GSI1PK = :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("DELETED#0"), ":to": s("z")}},
			[]Access{{Action: "dynamodb:Query", Index: "GSI1", LeadingKeys: []string{"DELETED#0"}}}},
		{"Query of an index not known", "Query", &dynamodb.QueryInput{IndexName: aws.String("GSI9"),
			KeyConditionExpression: aws.String("GSI9PK = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("X")}},
			[]Access{{Action: "dynamodb:Query", Index: "GSI9", Unread: "the partition key of the index or table is not known"}}},
		{"Scan: no key", "Scan", &dynamodb.ScanInput{}, []Access{{Action: "dynamodb:Scan"}}},
		{"BatchGetItem: every key, sorted, once", "BatchGetItem", &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			"t": {Keys: []map[string]types.AttributeValue{item("ORDER#1", "ORDER"), item("ORDER#1", "LINES"), item("CUSTOMER#2", "#PROFILE")}}}},
			[]Access{{Action: "dynamodb:BatchGetItem", LeadingKeys: []string{"CUSTOMER#2", "ORDER#1"}}}},
		{"BatchWriteItem: puts and deletes", "BatchWriteItem", &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
			"t": {{DeleteRequest: &types.DeleteRequest{Key: item("LOGIN#a", "W#1")}}, {PutRequest: &types.PutRequest{Item: item("LOGIN#b", "W#1")}}}}},
			[]Access{{Action: "dynamodb:BatchWriteItem", LeadingKeys: []string{"LOGIN#a", "LOGIN#b"}}}},
		{"TransactWriteItems: each item its action", "TransactWriteItems", &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{Item: item("CUSTOMER#1", "#PROFILE")}},
			{Update: &types.Update{Key: item("COUNT#customers#03", "COUNT")}},
			{Delete: &types.Delete{Key: item("EMAIL#a", "EMAIL")}},
			{ConditionCheck: &types.ConditionCheck{Key: item("CUSTOMER#1", "#PROFILE")}},
		}}, []Access{
			{Action: "dynamodb:PutItem", LeadingKeys: []string{"CUSTOMER#1"}},
			{Action: "dynamodb:UpdateItem", LeadingKeys: []string{"COUNT#customers#03"}},
			{Action: "dynamodb:DeleteItem", LeadingKeys: []string{"EMAIL#a"}},
			{Action: "dynamodb:ConditionCheckItem", LeadingKeys: []string{"CUSTOMER#1"}},
		}},
		{"TransactGetItems: GetItem each", "TransactGetItems", &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
			{Get: &types.Get{Key: item("A", "x")}}, {Get: &types.Get{Key: item("B", "x")}}}},
			[]Access{{Action: "dynamodb:GetItem", LeadingKeys: []string{"A"}}, {Action: "dynamodb:GetItem", LeadingKeys: []string{"B"}}}},
		{"an item without its partition key", "GetItem", &dynamodb.GetItemInput{Key: map[string]types.AttributeValue{"SK": s("x")}},
			[]Access{{Action: "dynamodb:GetItem", Unread: "an item without its partition key PK"}}},
	} {
		if got := keys.accesses(tt.op, tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// Without RecordAccess the counter keeps actions only, as before.
func TestCallsWithoutAccess(t *testing.T) {
	c := NewCalls()
	if got := iamActions("TransactWriteItems", &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{Item: item("A", "x")}}, {ConditionCheck: &types.ConditionCheck{Key: item("B", "x")}}}}); !reflect.DeepEqual(got,
		[]string{"dynamodb:PutItem", "dynamodb:ConditionCheckItem"}) {
		t.Errorf("iamActions = %v", got)
	}
	if len(c.Accesses()) != 0 {
		t.Errorf("accesses recorded without RecordAccess")
	}
}
