package testenv

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// Failures makes a client's chosen calls fail the ways a real table's can and DynamoDB
// Local's never do, each for the next n of them:
//   - Fail: an HTTP attempt of an operation gets an error (throttling, say) without
//     reaching the table; the SDK's retryer judges it as it would DynamoDB's own;
//   - Cancel: a transaction is cancelled without reaching the table, with a reason code
//     for each of its actions;
//   - Hang: an HTTP attempt of an operation gets no answer until its context ends (the
//     request's deadline), sent to the table first or not.
type Failures struct {
	mu       sync.Mutex
	attempts map[string][]attemptFault // by operation, in the order they strike
	cancels  []func(pk string) string
	injected atomic.Int64
}

// attemptFault is what happens to one HTTP attempt: an error, or a hang.
type attemptFault struct {
	err          error
	hang, landed bool
}

// Failing returns a client on d's table (counting calls like d's) whose calls f fails when
// told to. It has a retryer of its own (the SDK's standard one, changed by opts), as every
// function's client has: its retries never draw on the token bucket of the clients the
// other tests share.
func (d *DB) Failing(opts ...func(*retry.StandardOptions)) (*dynamodb.Client, *Failures) {
	f := &Failures{attempts: map[string][]attemptFault{}}
	return dynamodb.New(d.Options(), func(o *dynamodb.Options) {
		o.Retryer = retry.NewStandard(opts...)
		o.APIOptions = append(o.APIOptions, f.install)
	}), f
}

// Fail makes the next n HTTP attempts of operation op (e.g. "TransactWriteItems") fail with
// err, unsent.
func (f *Failures) Fail(op string, n int, err error) { f.add(op, n, attemptFault{err: err}) }

// Hang makes the next n HTTP attempts of operation op wait for the end of their context
// (at most a minute) and then fail as the SDK's HTTP client does when a context ends;
// landed says whether the request reached the table (and was applied) first.
func (f *Failures) Hang(op string, n int, landed bool) {
	f.add(op, n, attemptFault{hang: true, landed: landed})
}

// Cancel makes the next n TransactWriteItems calls cancelled, unsent: each action's reason
// code is reason of its item's partition key ("None" for the actions that did not fail).
func (f *Failures) Cancel(n int, reason func(pk string) string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.cancels = append(f.cancels, reason)
	}
}

// Injected is how many attempts and transactions failed, hung or were cancelled so far.
func (f *Failures) Injected() int64 { return f.injected.Load() }

func (f *Failures) add(op string, n int, a attemptFault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.attempts[op] = append(f.attempts[op], a)
	}
}

func (f *Failures) nextAttempt(op string) (attemptFault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.attempts[op]
	if len(q) == 0 {
		return attemptFault{}, false
	}
	f.attempts[op] = q[1:]
	return q[0], true
}

func (f *Failures) nextCancel() func(string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.cancels) == 0 {
		return nil
	}
	r := f.cancels[0]
	f.cancels = f.cancels[1:]
	return r
}

func (f *Failures) install(s *middleware.Stack) error {
	// Initialize runs once a call, before the retryer (which never retries a cancelled
	// transaction anyway).
	err := s.Initialize.Add(middleware.InitializeMiddlewareFunc("cancelTransactions",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			tx, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput)
			if !ok {
				return next.HandleInitialize(ctx, in)
			}
			reason := f.nextCancel()
			if reason == nil {
				return next.HandleInitialize(ctx, in)
			}
			f.injected.Add(1)
			reasons := make([]types.CancellationReason, len(tx.TransactItems))
			for i, it := range tx.TransactItems {
				pk := strings.Split(itemKey(it), "\x00")[1]
				reasons[i].Code = aws.String(reason(pk))
			}
			return middleware.InitializeOutput{}, middleware.Metadata{}, &types.TransactionCanceledException{
				Message: aws.String("Transaction cancelled (injected)"), CancellationReasons: reasons}
		}), middleware.After)
	if err != nil {
		return err
	}
	// Finalize, after the retryer, runs once an HTTP attempt.
	return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("failAttempts",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			a, ok := f.nextAttempt(middleware.GetOperationName(ctx))
			if !ok {
				return next.HandleFinalize(ctx, in)
			}
			f.injected.Add(1)
			if !a.hang {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, a.err
			}
			var md middleware.Metadata
			if a.landed {
				_, md, _ = next.HandleFinalize(ctx, in)
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Minute):
				return middleware.FinalizeOutput{}, md, &smithy.CanceledError{Err: context.DeadlineExceeded}
			}
			// What smithy's HTTP client answers when the context ends during a call.
			return middleware.FinalizeOutput{}, md, &smithy.CanceledError{Err: ctx.Err()}
		}), middleware.After)
}
