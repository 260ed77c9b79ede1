package dynamolocal

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Calls counts the DynamoDB operations made through the clients it is installed on, by
// operation name. Tests hold requests to their round-trip budget with it; the bench
// reports it. Once told the table's partition keys (RecordAccess), it also records what IAM
// authorizes for each call: its actions, on the table or an index, and the partition key
// values (dynamodb:LeadingKeys) it touches.
type Calls struct {
	mu      sync.Mutex
	n       map[string]int
	actions map[string]bool

	keys     *partitionKeys    // nil: accesses are not recorded
	accesses map[string]Access // by Access.String, since the last Reset
}

// partitionKeys names the partition key attribute of the table and of each index.
type partitionKeys struct {
	table   string
	indexes map[string]string
}

// Access is what IAM authorizes for one DynamoDB call, or for one item of a transaction
// (IAM has no action of its own for a transaction: each item is authorized as the action
// it performs).
type Access struct {
	Action string // e.g. "dynamodb:GetItem"
	Index  string // the index a Query or Scan reads; "" for the table
	// LeadingKeys are the partition key values the call touches, sorted, as IAM's condition
	// key dynamodb:LeadingKeys holds them: the key of each item it reads or writes, a
	// Query's partition (the index's own partition key for a Query of an index). A Scan has
	// none.
	LeadingKeys []string
	// Unread says why the recorder could not tell the leading keys of a call that has some
	// (e.g. a Query on an index whose partition key it was not told); "" when it could.
	Unread string
}

// String renders the access for messages: dynamodb:Query on index GSI1 ["C#0"].
func (a Access) String() string {
	on := "the table"
	if a.Index != "" {
		on = "index " + a.Index
	}
	s := fmt.Sprintf("%s on %s %q", a.Action, on, a.LeadingKeys)
	if a.Unread != "" {
		s += " (" + a.Unread + ")"
	}
	return s
}

// NewCalls returns an empty counter.
func NewCalls() *Calls {
	return &Calls{n: map[string]int{}, actions: map[string]bool{}, accesses: map[string]Access{}}
}

// RecordAccess makes the counter record each call's accesses (Accesses): table is the
// table's partition key attribute (e.g. "PK"), indexes the partition key attribute of each
// index by name (e.g. "GSI1" → "GSI1PK"). The bench leaves it off: its calls touch keys
// without end.
func (c *Calls) RecordAccess(table string, indexes map[string]string) {
	c.mu.Lock()
	c.keys = &partitionKeys{table: table, indexes: maps.Clone(indexes)}
	c.mu.Unlock()
}

// Install adds the counter to a client's middleware stack:
//
//	dynamodb.New(opts, func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, calls.Install) })
func (c *Calls) Install(s *middleware.Stack) error {
	return s.Initialize.Add(middleware.InitializeMiddlewareFunc("countCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			op := middleware.GetOperationName(ctx)
			c.mu.Lock()
			c.n[op]++
			if c.keys != nil {
				for _, a := range c.keys.accesses(op, in.Parameters) {
					c.actions[a.Action] = true
					c.accesses[a.String()] = a
				}
			} else {
				for _, a := range iamActions(op, in.Parameters) {
					c.actions[a] = true
				}
			}
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// Reset forgets what was counted.
func (c *Calls) Reset() {
	c.mu.Lock()
	c.n = map[string]int{}
	c.actions = map[string]bool{}
	c.accesses = map[string]Access{}
	c.mu.Unlock()
}

// ByOp returns the counts per operation since the last Reset.
func (c *Calls) ByOp() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

// Actions returns the IAM actions the calls since the last Reset needed ("dynamodb:GetItem").
// A transaction needs the actions of its parts: IAM has no action of its own for it.
func (c *Calls) Actions() map[string]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.actions)
}

// Accesses returns the distinct accesses of the calls since the last Reset, sorted; none
// unless RecordAccess was called.
func (c *Calls) Accesses() []Access {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Access, 0, len(c.accesses))
	for _, k := range slices.Sorted(maps.Keys(c.accesses)) {
		out = append(out, c.accesses[k])
	}
	return out
}

// iamActions returns the IAM actions of a call, without its keys.
func iamActions(op string, params any) []string {
	var out []string
	for _, a := range (&partitionKeys{}).accesses(op, params) {
		out = append(out, a.Action)
	}
	return out
}

// accesses returns what IAM authorizes for one call: one access, or one per item of a
// transaction (PutItem, UpdateItem, DeleteItem, ConditionCheckItem; GetItem for a read).
func (k *partitionKeys) accesses(op string, params any) []Access {
	one := func(action string, index *string, items ...map[string]types.AttributeValue) []Access {
		a := Access{Action: "dynamodb:" + action}
		if index != nil {
			a.Index = *index
		}
		a.LeadingKeys, a.Unread = k.values(items)
		return []Access{a}
	}
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		return one(op, nil, in.Key)
	case *dynamodb.PutItemInput:
		return one(op, nil, in.Item)
	case *dynamodb.UpdateItemInput:
		return one(op, nil, in.Key)
	case *dynamodb.DeleteItemInput:
		return one(op, nil, in.Key)
	case *dynamodb.QueryInput:
		a := Access{Action: "dynamodb:Query"}
		if in.IndexName != nil {
			a.Index = *in.IndexName
		}
		a.LeadingKeys, a.Unread = k.queried(in)
		return []Access{a}
	case *dynamodb.ScanInput:
		a := Access{Action: "dynamodb:Scan"}
		if in.IndexName != nil {
			a.Index = *in.IndexName
		}
		return []Access{a}
	case *dynamodb.BatchGetItemInput:
		var items []map[string]types.AttributeValue
		for _, r := range in.RequestItems {
			items = append(items, r.Keys...)
		}
		return one(op, nil, items...)
	case *dynamodb.BatchWriteItemInput:
		var items []map[string]types.AttributeValue
		for _, rs := range in.RequestItems {
			for _, r := range rs {
				switch {
				case r.PutRequest != nil:
					items = append(items, r.PutRequest.Item)
				case r.DeleteRequest != nil:
					items = append(items, r.DeleteRequest.Key)
				}
			}
		}
		return one(op, nil, items...)
	case *dynamodb.TransactWriteItemsInput:
		var out []Access
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				out = append(out, one("PutItem", nil, it.Put.Item)...)
			case it.Update != nil:
				out = append(out, one("UpdateItem", nil, it.Update.Key)...)
			case it.Delete != nil:
				out = append(out, one("DeleteItem", nil, it.Delete.Key)...)
			case it.ConditionCheck != nil:
				out = append(out, one("ConditionCheckItem", nil, it.ConditionCheck.Key)...)
			}
		}
		return out
	case *dynamodb.TransactGetItemsInput:
		var out []Access
		for _, it := range in.TransactItems {
			if it.Get != nil {
				out = append(out, one("GetItem", nil, it.Get.Key)...)
			}
		}
		return out
	}
	return []Access{{Action: "dynamodb:" + op}}
}

// values returns the table's partition key values of items, sorted and distinct.
func (k *partitionKeys) values(items []map[string]types.AttributeValue) ([]string, string) {
	if k.table == "" {
		return nil, "the table's partition key is not known"
	}
	set := map[string]bool{}
	for _, it := range items {
		v, ok := keyString(it[k.table])
		if !ok {
			return nil, "an item without its partition key " + k.table
		}
		set[v] = true
	}
	out := slices.Collect(maps.Keys(set))
	sort.Strings(out)
	return out, ""
}

// equality finds `name = :value` in a key condition expression; the partition key's is
// always one (the sort key's may be too).
var equality = regexp.MustCompile(`([#A-Za-z0-9_.]+)\s*=\s*(:[A-Za-z0-9_]+)`)

// queried returns the partition a Query reads: the value its key condition gives the
// partition key of the table, or of the index it reads.
func (k *partitionKeys) queried(in *dynamodb.QueryInput) ([]string, string) {
	attr := k.table
	if in.IndexName != nil {
		attr = k.indexes[*in.IndexName]
	}
	if attr == "" {
		return nil, "the partition key of the index or table is not known"
	}
	if in.KeyConditionExpression == nil {
		if c, ok := in.KeyConditions[attr]; ok && len(c.AttributeValueList) == 1 {
			if v, ok := keyString(c.AttributeValueList[0]); ok {
				return []string{v}, ""
			}
		}
		return nil, "no key condition on " + attr
	}
	for _, m := range equality.FindAllStringSubmatch(*in.KeyConditionExpression, -1) {
		name := m[1]
		if strings.HasPrefix(name, "#") {
			name = in.ExpressionAttributeNames[name]
		}
		if name != attr {
			continue
		}
		if v, ok := keyString(in.ExpressionAttributeValues[m[2]]); ok {
			return []string{v}, ""
		}
	}
	return nil, fmt.Sprintf("no equality on %s in %q", attr, *in.KeyConditionExpression)
}

// keyString renders a key attribute's value as IAM compares it.
func keyString(v types.AttributeValue) (string, bool) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return v.Value, true
	case *types.AttributeValueMemberN:
		return v.Value, true
	case *types.AttributeValueMemberB:
		return string(v.Value), true
	}
	return "", false
}
