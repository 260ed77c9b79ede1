package testenv

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// LostAnswers makes a client lose the answers of chosen calls the way a network does: the
// request reaches the table and is applied, then its answer is dropped and the SDK sees a
// connection error, which its retryer retries with the same request. A write whose
// condition depends on what it changes (a version) then meets its own change.
type LostAnswers struct {
	mu sync.Mutex
	// ops are the operations whose next answers are lost, each with how many.
	ops  map[string]int
	lost atomic.Int64
}

// Lose makes the next n answers of operation op (e.g. "UpdateItem") lost.
func (l *LostAnswers) Lose(op string, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ops[op] += n
}

// Lost is how many answers were dropped so far.
func (l *LostAnswers) Lost() int64 { return l.lost.Load() }

// Losing returns a client on d's table (counting calls like d's) whose answers l drops when
// told to (Lose).
func (d *DB) Losing() (*dynamodb.Client, *LostAnswers) {
	l := &LostAnswers{ops: map[string]int{}}
	return dynamodb.New(d.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, l.install)
	}), l
}

// errLostAnswer is what the SDK sees of a dropped answer: a connection error, which its
// retryer retries (smithyhttp.RequestSendError reports ConnectionError).
var errLostAnswer = errors.New("connection reset by peer (injected: the answer was lost after the request was applied)")

func (l *LostAnswers) take(op string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ops[op] == 0 {
		return false
	}
	l.ops[op]--
	return true
}

func (l *LostAnswers) install(s *middleware.Stack) error {
	// Finalize, after the retryer, runs once an HTTP attempt: the attempt is sent and
	// answered, and the answer thrown away.
	return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("loseAnswers",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleFinalize(ctx, in)
			if !l.take(middleware.GetOperationName(ctx)) {
				return out, md, err
			}
			l.lost.Add(1)
			return middleware.FinalizeOutput{}, md, &smithyhttp.RequestSendError{Err: errLostAnswer}
		}), middleware.After)
}
