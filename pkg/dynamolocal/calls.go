package dynamolocal

import (
	"context"
	"maps"
	"sync"

	"github.com/aws/smithy-go/middleware"
)

// Calls counts the DynamoDB operations made through the clients it is installed on, by
// operation name. Tests hold requests to their round-trip budget with it; the bench
// reports it.
type Calls struct {
	mu sync.Mutex
	n  map[string]int
}

// NewCalls returns an empty counter.
func NewCalls() *Calls { return &Calls{n: map[string]int{}} }

// Install adds the counter to a client's middleware stack:
//
//	dynamodb.New(opts, func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, calls.Install) })
func (c *Calls) Install(s *middleware.Stack) error {
	return s.Initialize.Add(middleware.InitializeMiddlewareFunc("countCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			c.n[middleware.GetOperationName(ctx)]++
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// Reset forgets what was counted.
func (c *Calls) Reset() {
	c.mu.Lock()
	c.n = map[string]int{}
	c.mu.Unlock()
}

// ByOp returns the counts per operation since the last Reset.
func (c *Calls) ByOp() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}
