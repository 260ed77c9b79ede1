package testenv

import (
	"context"
	"math/rand/v2"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Throttling makes a client's BatchWriteItem calls behave like those of a table short of
// write capacity, which DynamoDB Local never is. It does two things a real table does:
//   - Refused: that share of the HTTP attempts is answered
//     ProvisionedThroughputExceededException without reaching the table; the SDK's
//     retryer sees it as throttling and retries with its backoff, and a call whose
//     attempts are all refused fails;
//   - Partial: that share of the calls is sent with only the first half of its requests,
//     and the other half comes back in UnprocessedItems, unwritten.
type Throttling struct {
	Refused, Partial float64
	refused, partial atomic.Int64
}

// Injected is how many attempts were refused and how many calls were cut short so far.
func (f *Throttling) Injected() (refused, partial int64) { return f.refused.Load(), f.partial.Load() }

// Throttled returns a client on d's table (counting calls like d's) whose BatchWriteItem
// calls f throttles.
func (d *DB) Throttled(f *Throttling) *dynamodb.Client {
	return dynamodb.New(d.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, f.install)
	})
}

func (f *Throttling) install(s *middleware.Stack) error {
	// Initialize runs once a call, before the retryer: it cuts the call short.
	err := s.Initialize.Add(middleware.InitializeMiddlewareFunc("partialBatchWrites",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			p, ok := in.Parameters.(*dynamodb.BatchWriteItemInput)
			if !ok || rand.Float64() >= f.Partial {
				return next.HandleInitialize(ctx, in)
			}
			sent, held := map[string][]types.WriteRequest{}, map[string][]types.WriteRequest{}
			for table, reqs := range p.RequestItems {
				half := (len(reqs) + 1) / 2
				sent[table] = reqs[:half]
				if len(reqs) > half {
					held[table] = reqs[half:]
				}
			}
			if len(held) == 0 {
				return next.HandleInitialize(ctx, in)
			}
			f.partial.Add(1)
			in.Parameters = &dynamodb.BatchWriteItemInput{RequestItems: sent}
			out, md, err := next.HandleInitialize(ctx, in)
			if err != nil {
				return out, md, err
			}
			res := out.Result.(*dynamodb.BatchWriteItemOutput)
			if res.UnprocessedItems == nil {
				res.UnprocessedItems = map[string][]types.WriteRequest{}
			}
			for table, reqs := range held {
				res.UnprocessedItems[table] = append(res.UnprocessedItems[table], reqs...)
			}
			return out, md, nil
		}), middleware.After)
	if err != nil {
		return err
	}
	// Finalize, after the retryer, runs once an HTTP attempt: it refuses attempts.
	return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("throttleBatchWrites",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if middleware.GetOperationName(ctx) != "BatchWriteItem" || rand.Float64() >= f.Refused {
				return next.HandleFinalize(ctx, in)
			}
			f.refused.Add(1)
			return middleware.FinalizeOutput{}, middleware.Metadata{}, &types.ProvisionedThroughputExceededException{
				Message: aws.String("The level of configured provisioned throughput for the table was exceeded (injected)")}
		}), middleware.After)
}
