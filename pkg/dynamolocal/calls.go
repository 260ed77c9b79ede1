package dynamolocal

import (
	"context"
	"maps"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// Calls counts the DynamoDB operations made through the clients it is installed on, by
// operation name. Tests hold requests to their round-trip budget with it; the bench
// reports it.
type Calls struct {
	mu      sync.Mutex
	n       map[string]int
	actions map[string]bool
}

// NewCalls returns an empty counter.
func NewCalls() *Calls { return &Calls{n: map[string]int{}, actions: map[string]bool{}} }

// Install adds the counter to a client's middleware stack:
//
//	dynamodb.New(opts, func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, calls.Install) })
func (c *Calls) Install(s *middleware.Stack) error {
	return s.Initialize.Add(middleware.InitializeMiddlewareFunc("countCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			op := middleware.GetOperationName(ctx)
			c.mu.Lock()
			c.n[op]++
			for _, a := range iamActions(op, in.Parameters) {
				c.actions[a] = true
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

func iamActions(op string, params any) []string {
	switch in := params.(type) {
	case *dynamodb.TransactWriteItemsInput:
		var out []string
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				out = append(out, "dynamodb:PutItem")
			case it.Update != nil:
				out = append(out, "dynamodb:UpdateItem")
			case it.Delete != nil:
				out = append(out, "dynamodb:DeleteItem")
			case it.ConditionCheck != nil:
				out = append(out, "dynamodb:ConditionCheckItem")
			}
		}
		return out
	case *dynamodb.TransactGetItemsInput:
		return []string{"dynamodb:GetItem"}
	}
	return []string{"dynamodb:" + op}
}
