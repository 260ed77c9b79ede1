// Package api is the HTTP plumbing every function shares: it turns an API Gateway HTTP API
// (payload v2) event into a Request, runs the endpoint's handler, and renders its result or
// its error in the contract's format. Panics and internal errors become a 500 carrying only
// a request id; the details go to the log.
package api

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/acme/customers/pkg/problem"
	"github.com/acme/customers/pkg/telemetry"
)

// HandlerFunc is an endpoint: it reads a Request and returns a Response or an error.
// Expected failures are *problem.Error values; anything else is internal.
type HandlerFunc func(ctx context.Context, r *Request) (Response, error)

// Logger writes one JSON line per event to stderr (CloudWatch in production), each line
// logged during an invocation with Lambda's request id and the cold-start flag
// (pkg/telemetry).
var Logger = telemetry.NewLogger(os.Stderr)

// deadlineMargin is kept free before the Lambda deadline so that a slow dependency turns
// into a 503 from us rather than a killed function.
const deadlineMargin = 500 * time.Millisecond

// Handle adapts h to the aws-lambda-go handler shape.
func Handle(name string, h HandlerFunc) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (resp events.APIGatewayV2HTTPResponse, _ error) {
		start := time.Now()
		ctx, end := telemetry.Begin(ctx)
		defer end()
		r := newRequest(ev)
		if dl, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, dl.Add(-deadlineMargin))
			defer cancel()
		}
		defer func() {
			if p := recover(); p != nil {
				Logger.ErrorContext(ctx, "panic", "function", name, "request_id", r.ID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				resp = errorResponse(errors.New("panic"), r.ID)
			}
			logRequest(ctx, name, r, resp, start)
			countStatus(ctx, resp.StatusCode)
		}()
		var out Response
		err := r.queryErr // refused before the handler reads any of it
		if err == nil {
			out, err = h(ctx, r)
		}
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && !problem.Is(err, problem.Unavailable) {
				err = &problem.Error{Kind: problem.Unavailable, Title: "Service Unavailable",
					Detail: "the request took too long; retry it", RetryAfter: time.Second, Cause: err}
			}
			if _, ok := problem.Problems(err); !ok || problem.Is(err, problem.Unavailable) {
				Logger.ErrorContext(ctx, "request failed", "function", name, "request_id", r.ID, "error", err.Error())
			}
			return errorResponse(err, r.ID), nil
		}
		return out, nil
	}
}

// logRequest writes the access-log line: method, route, status and duration. Never the
// body, headers, query values or path ids' owners' data.
func logRequest(ctx context.Context, name string, r *Request, resp Response, start time.Time) {
	Logger.InfoContext(ctx, "request", "function", name, "request_id", r.ID, "method", r.Method,
		"route", r.RouteKey, "status", resp.StatusCode, "ms", time.Since(start).Milliseconds())
}
