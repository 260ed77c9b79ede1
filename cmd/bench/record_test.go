package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestSchedule(t *testing.T) {
	ms := func(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }
	c := func(op string, start, end float64) call { return call{op: op, start: ms(start), end: ms(end)} }
	for _, tc := range []struct {
		name   string
		calls  []call // in the order they ended, as recorded
		took   float64
		rounds [][]int
		deps   [][]int
		pause  int
		want   string
	}{
		{name: "no call", took: 1, pause: 0, deps: [][]int{}, want: "none"},
		{name: "one call after the bcrypt work", calls: []call{c("TransactWriteItems", 70, 75)}, took: 76,
			rounds: [][]int{{0}}, deps: [][]int{nil}, pause: 0, want: "TransactWriteItems"},
		{name: "two rounds", calls: []call{c("GetItem", 1, 2), c("TransactWriteItems", 2.5, 9)}, took: 12,
			rounds: [][]int{{0}, {1}}, deps: [][]int{nil, nil}, pause: 2, want: "GetItem, then TransactWriteItems"},
		{
			// UpdateItem then PutItem alongside GetItem then GetItem; bcrypt; DeleteItem.
			name: "log-in",
			calls: []call{c("GetItem", 0.2, 1.0), c("UpdateItem", 0.1, 1.2), c("GetItem", 1.1, 2.0),
				c("PutItem", 1.3, 2.2), c("DeleteItem", 75, 76)},
			took:   77,
			rounds: [][]int{{0, 1, 2, 3}, {4}},
			// by start: UpdateItem, GetItem, GetItem, PutItem, DeleteItem
			deps:  [][]int{nil, nil, {1}, {0, 1}, nil},
			pause: 1,
			want:  "GetItem ∥ UpdateItem → GetItem ∥ PutItem, then DeleteItem",
		},
		{name: "parallel, then after the last call", calls: []call{c("Query", 1, 4), c("Query", 1, 5), c("BatchGetItem", 1, 3)},
			took: 80, rounds: [][]int{{0, 1, 2}}, deps: [][]int{nil, nil, nil}, pause: 1, want: "BatchGetItem ∥ 2× Query"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := newSchedule(&segment{calls: tc.calls, took: ms(tc.took)})
			if !reflect.DeepEqual(sc.rounds, tc.rounds) || !reflect.DeepEqual(sc.deps, tc.deps) || sc.pause != tc.pause {
				t.Errorf("rounds %v, deps %v, pause %d; want %v, %v, %d", sc.rounds, sc.deps, sc.pause, tc.rounds, tc.deps, tc.pause)
			}
			if got := describe(sc); got != tc.want {
				t.Errorf("describe = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestClone(t *testing.T) {
	a, b := "table-a", "table-b"
	tw := &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String("recorded"), TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &a, Item: item{"PK": str("X"), "L": &types.AttributeValueMemberL{Value: []types.AttributeValue{num(1)}}},
			ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Update: &types.Update{TableName: &a, Key: key("X", "Y"), UpdateExpression: aws.String("ADD n :d"),
			ExpressionAttributeValues: item{":d": num(1)}}},
	}}
	got := clone(tw, a, b).(*dynamodb.TransactWriteItemsInput)
	if got.ClientRequestToken != nil {
		t.Errorf("ClientRequestToken = %q, want none", *got.ClientRequestToken)
	}
	if p, u := *got.TransactItems[0].Put.TableName, *got.TransactItems[1].Update.TableName; p != b || u != b {
		t.Errorf("tables %q and %q, want %q", p, u, b)
	}
	got.TransactItems[0].Put.Item["L"].(*types.AttributeValueMemberL).Value[0] = str("changed")
	got.TransactItems[1].Update.ExpressionAttributeValues[":d"] = num(2)
	if *tw.ClientRequestToken != "recorded" || *tw.TransactItems[0].Put.TableName != a ||
		!reflect.DeepEqual(tw.TransactItems[0].Put.Item["L"], &types.AttributeValueMemberL{Value: []types.AttributeValue{num(1)}}) ||
		!reflect.DeepEqual(tw.TransactItems[1].Update.ExpressionAttributeValues[":d"], num(1)) {
		t.Errorf("the recorded input changed with its copy: %+v", tw)
	}

	bg := &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		a: {Keys: []item{key("X", "Y")}, ConsistentRead: aws.Bool(true)}}}
	want := &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		b: {Keys: []item{key("X", "Y")}, ConsistentRead: aws.Bool(true)}}}
	if got := clone(bg, a, b); !reflect.DeepEqual(got, want) {
		t.Errorf("clone = %+v, want %+v", got, want)
	}
}

func TestMostCalls(t *testing.T) {
	for _, tc := range []struct {
		calls map[string]int
		n     int
		want  string
	}{
		{map[string]int{"GetItem": 3}, 3, "GetItem"},
		{map[string]int{"A ∥ B": 2, "A, then B": 1}, 3, "A ∥ B (2 of 3 calls)"},
		{map[string]int{"B": 2, "A": 2}, 4, "A (2 of 4 calls)"},
	} {
		if got := (sample{durs: make([]time.Duration, tc.n), calls: tc.calls}).mostCalls(); got != tc.want {
			t.Errorf("mostCalls(%v) = %q, want %q", tc.calls, got, tc.want)
		}
	}
}
