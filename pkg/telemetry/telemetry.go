// Package telemetry is what a function tells its operator: JSON log lines that each carry
// the Lambda request id and a cold-start flag, and CloudWatch metrics written as log lines
// in the embedded metric format (EMF), which CloudWatch Logs turns into metrics without a
// call to the CloudWatch API.
//
// A Lambda process serves one invocation at a time. Begin marks one: the logger adds its
// request id and cold-start flag to every line written until it ends, whether the line was
// logged with the invocation's context or without one (a cache that logs a failed re-read
// has no context to pass).
package telemetry

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Keys every line logged during an invocation carries. request_id, where a line has one,
// is API Gateway's id of the HTTP request (the one an error response quotes and the API's
// access log carries); function_request_id is Lambda's id of the invocation.
const (
	KeyFunctionRequestID = "function_request_id"
	KeyColdStart         = "cold_start"
)

// Invocation is one run of the function's handler.
type Invocation struct {
	// RequestID is Lambda's request id (lambdacontext), "" when the context has none (a
	// handler called in a test).
	RequestID string
	// ColdStart is true on the process's first invocation only: it paid for the process's
	// start (Lambda's Init Duration).
	ColdStart bool
}

var (
	invoked atomic.Bool                // set by the process's first Begin
	current atomic.Pointer[Invocation] // the invocation under way, nil between two
)

type invocationKey struct{}

// Begin marks the start of an invocation: the returned context carries it, and every line
// logged until end is called carries its request id and cold-start flag.
func Begin(ctx context.Context) (_ context.Context, end func()) {
	inv := &Invocation{ColdStart: !invoked.Swap(true)}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		inv.RequestID = lc.AwsRequestID
	}
	current.Store(inv)
	return context.WithValue(ctx, invocationKey{}, inv), func() { current.CompareAndSwap(inv, nil) }
}

// Current is the invocation ctx belongs to, else the one under way in the process, else
// nil (a line logged at start-up, before the first invocation).
func Current(ctx context.Context) *Invocation {
	if ctx != nil {
		if inv, ok := ctx.Value(invocationKey{}).(*Invocation); ok {
			return inv
		}
	}
	return current.Load()
}

// Attrs are the attributes a line logged during inv carries.
func (inv *Invocation) Attrs() []slog.Attr {
	if inv == nil {
		return nil
	}
	attrs := make([]slog.Attr, 0, 2)
	if inv.RequestID != "" {
		attrs = append(attrs, slog.String(KeyFunctionRequestID, inv.RequestID))
	}
	return append(attrs, slog.Bool(KeyColdStart, inv.ColdStart))
}

// NewLogger writes one JSON object a line to w (Lambda sends a function's stdout and stderr
// to its log group; with the JSON log format it keeps each line as the object it is and
// reads its "level"), each line with the attributes of the invocation it was logged in.
func NewLogger(w io.Writer) *slog.Logger {
	return slog.New(handler{slog.NewJSONHandler(w, nil)})
}

// handler adds the invocation's attributes to each record.
type handler struct{ slog.Handler }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	if attrs := Current(ctx).Attrs(); attrs != nil {
		r = r.Clone()
		r.AddAttrs(attrs...)
	}
	return h.Handler.Handle(ctx, r)
}

func (h handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return handler{h.Handler.WithAttrs(attrs)}
}

func (h handler) WithGroup(name string) slog.Handler { return handler{h.Handler.WithGroup(name)} }
