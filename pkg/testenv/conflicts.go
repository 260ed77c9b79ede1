package testenv

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Conflicts makes a client answer overlapping transactions the way DynamoDB does and
// DynamoDB Local does not (it runs them one after the other): a TransactWriteItems that
// touches an item another transaction sent through the same client is still working on is
// cancelled, reason TransactionConflict, without reaching the table.
type Conflicts struct {
	mu       sync.Mutex
	inFlight map[string]int
	injected atomic.Int64
}

// Injected is how many transactions were cancelled so far.
func (c *Conflicts) Injected() int64 { return c.injected.Load() }

// Conflicting returns a client on d's table (counting calls like d's) whose overlapping
// transactions conflict.
func (d *DB) Conflicting() (*dynamodb.Client, *Conflicts) {
	c := &Conflicts{inFlight: map[string]int{}}
	return dynamodb.New(d.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, c.install)
	}), c
}

func (c *Conflicts) install(s *middleware.Stack) error {
	return s.Initialize.Add(middleware.InitializeMiddlewareFunc("transactionConflicts",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			tx, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput)
			if !ok {
				return next.HandleInitialize(ctx, in)
			}
			keys := make([]string, len(tx.TransactItems))
			for i, it := range tx.TransactItems {
				keys[i] = itemKey(it)
			}
			if err := c.claim(keys); err != nil {
				return middleware.InitializeOutput{}, middleware.Metadata{}, err
			}
			defer c.release(keys)
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// claim marks keys as in a transaction, or cancels the transaction if one of them already is.
func (c *Conflicts) claim(keys []string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	reasons := make([]types.CancellationReason, len(keys))
	conflict := false
	for i, k := range keys {
		reasons[i].Code = aws.String("None")
		if c.inFlight[k] > 0 {
			reasons[i].Code, conflict = aws.String("TransactionConflict"), true
		}
	}
	if conflict {
		c.injected.Add(1)
		return &types.TransactionCanceledException{Message: aws.String("Transaction cancelled (injected conflict)"), CancellationReasons: reasons}
	}
	for _, k := range keys {
		c.inFlight[k]++
	}
	return nil
}

func (c *Conflicts) release(keys []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		c.inFlight[k]--
	}
}

// itemKey names the item a transaction action touches (the table's keys are PK and SK).
func itemKey(it types.TransactWriteItem) string {
	var table *string
	var key map[string]types.AttributeValue
	switch {
	case it.Put != nil:
		table, key = it.Put.TableName, it.Put.Item
	case it.Update != nil:
		table, key = it.Update.TableName, it.Update.Key
	case it.Delete != nil:
		table, key = it.Delete.TableName, it.Delete.Key
	case it.ConditionCheck != nil:
		table, key = it.ConditionCheck.TableName, it.ConditionCheck.Key
	}
	s := func(name string) string {
		if v, ok := key[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	return aws.ToString(table) + "\x00" + s("PK") + "\x00" + s("SK")
}
