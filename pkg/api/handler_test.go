package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/acme/customers/pkg/problem"
)

// captureLog sends Logger to a buffer for the test.
func captureLog(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	old := Logger
	Logger = slog.New(slog.NewJSONHandler(&buf, nil))
	t.Cleanup(func() { Logger = old })
	return &buf
}

func testEvent() events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		RouteKey: "GET /v2/customers/{id}",
		RawPath:  "/v2/customers/x",
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID:  "req-42",
			DomainName: "api.example.test",
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"},
		},
	}
}

type envelope struct {
	Errors []map[string]any `json:"errors"`
}

const secretText = "dynamodb table customers-prod: AccessDenied for arn:aws:iam::123:role/x"

func TestHandle(t *testing.T) {
	type want struct {
		status     int
		entries    []map[string]any // compared key by key; status as float64
		retryAfter string
		allow      string
		body       string // exact body when set
	}
	internal := map[string]any{"status": float64(500), "title": "Internal Server Error", "request_id": "req-42"}
	cases := []struct {
		name string
		h    HandlerFunc
		w    want
	}{
		{"ok", func(context.Context, *Request) (Response, error) { return Data(200, map[string]string{"id": "x"}) },
			want{status: 200, body: `{"data":{"id":"x"}}`}},
		{"created", func(context.Context, *Request) (Response, error) { return Data(201, []int{}) },
			want{status: 201, body: `{"data":[]}`}},
		{"no content", func(context.Context, *Request) (Response, error) { return NoContent() },
			want{status: 204, body: ""}},
		{"panic with a string", func(context.Context, *Request) (Response, error) { panic(secretText) },
			want{status: 500, entries: []map[string]any{internal}}},
		{"panic with an error", func(context.Context, *Request) (Response, error) { panic(errors.New(secretText)) },
			want{status: 500, entries: []map[string]any{internal}}},
		{"panic with nil", func(context.Context, *Request) (Response, error) { panic(nil) },
			want{status: 500, entries: []map[string]any{internal}}},
		{"nil map write", func(context.Context, *Request) (Response, error) {
			var m map[string]int
			m[secretText] = 1
			return NoContent()
		}, want{status: 500, entries: []map[string]any{internal}}},
		{"plain error", func(context.Context, *Request) (Response, error) { return Response{}, errors.New(secretText) },
			want{status: 500, entries: []map[string]any{internal}}},
		{"wrapped plain error", func(context.Context, *Request) (Response, error) {
			return Response{}, fmt.Errorf("store: %w", errors.New(secretText))
		}, want{status: 500, entries: []map[string]any{internal}}},
		{"problem with an internal cause", func(context.Context, *Request) (Response, error) {
			return Response{}, &problem.Error{Kind: problem.Conflict, Title: "Conflict", Detail: "taken", Cause: errors.New(secretText)}
		}, want{status: 409, entries: []map[string]any{{"status": float64(409), "title": "Conflict", "detail": "taken"}}}},
		{"wrapped problem", func(context.Context, *Request) (Response, error) {
			return Response{}, fmt.Errorf("get: %w", problem.Missing("customer"))
		}, want{status: 404, body: `{"errors":[{"status":404,"title":"Not Found","detail":"customer not found"}]}`}},
		{"list of problems", func(context.Context, *Request) (Response, error) {
			return Response{}, problem.List{
				problem.Invalid("data.name", "The data.name field is required."),
				problem.Invalid("data.email", "The data.email field is required."),
			}
		}, want{status: 422, entries: []map[string]any{
			{"status": float64(422), "title": "Failed Validation", "source": "data.name", "detail": "The data.name field is required."},
			{"status": float64(422), "title": "Failed Validation", "source": "data.email", "detail": "The data.email field is required."},
		}}},
		{"429 with Retry-After", func(context.Context, *Request) (Response, error) {
			return Response{}, &problem.Error{Kind: problem.TooManyRequests, Title: "Too Many Requests", RetryAfter: 1500 * time.Millisecond}
		}, want{status: 429, retryAfter: "2", entries: []map[string]any{{"status": float64(429), "title": "Too Many Requests"}}}},
		{"429 with a Retry-After of whole seconds", func(context.Context, *Request) (Response, error) {
			return Response{}, &problem.Error{Kind: problem.TooManyRequests, Title: "Too Many Requests", RetryAfter: 30 * time.Second}
		}, want{status: 429, retryAfter: "30", entries: []map[string]any{{"status": float64(429)}}}},
		{"429 without Retry-After", func(context.Context, *Request) (Response, error) {
			return Response{}, &problem.Error{Kind: problem.TooManyRequests, Title: "Too Many Requests"}
		}, want{status: 429, entries: []map[string]any{{"status": float64(429)}}}},
		{"503 with Retry-After", func(context.Context, *Request) (Response, error) {
			return Response{}, &problem.Error{Kind: problem.Unavailable, Title: "Service Unavailable", RetryAfter: 3 * time.Second, Cause: errors.New(secretText)}
		}, want{status: 503, retryAfter: "3", entries: []map[string]any{{"status": float64(503), "title": "Service Unavailable", "request_id": "req-42"}}}},
		{"405 with Allow", func(context.Context, *Request) (Response, error) {
			return Response{}, &problem.Error{Kind: problem.MethodNotAllowed, Title: "Method Not Allowed", Allow: []string{"GET", "PUT"}}
		}, want{status: 405, allow: "GET, PUT", body: `{"errors":[{"status":405,"title":"Method Not Allowed"}]}`}},
		{"deadline exceeded becomes 503", func(context.Context, *Request) (Response, error) {
			return Response{}, fmt.Errorf("%s: %w", secretText, context.DeadlineExceeded)
		}, want{status: 503, retryAfter: "1", entries: []map[string]any{{"status": float64(503), "title": "Service Unavailable", "request_id": "req-42"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			logs := captureLog(t)
			resp, err := Handle("test", tc.h)(context.Background(), testEvent())
			if err != nil {
				t.Fatalf("Handle returned an error to Lambda: %v", err)
			}
			if resp.StatusCode != tc.w.status {
				t.Errorf("status = %d, want %d (body %s)", resp.StatusCode, tc.w.status, resp.Body)
			}
			if tc.w.status == 204 {
				if resp.Body != "" || resp.Headers["Content-Type"] != "" {
					t.Errorf("204 with body %q, headers %v", resp.Body, resp.Headers)
				}
			} else if ct := resp.Headers["Content-Type"]; ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if got := resp.Headers["Retry-After"]; got != tc.w.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tc.w.retryAfter)
			}
			if got := resp.Headers["Allow"]; got != tc.w.allow {
				t.Errorf("Allow = %q, want %q", got, tc.w.allow)
			}
			if strings.Contains(resp.Body, "dynamodb") || strings.Contains(resp.Body, "arn:aws") || strings.Contains(resp.Body, "goroutine") {
				t.Errorf("the body leaks internal text: %s", resp.Body)
			}
			if tc.w.body != "" || tc.w.status == 204 {
				if resp.Body != tc.w.body {
					t.Errorf("body = %s, want %s", resp.Body, tc.w.body)
				}
			}
			if tc.w.entries != nil {
				var env envelope
				if err := json.Unmarshal([]byte(resp.Body), &env); err != nil {
					t.Fatalf("body %q: %v", resp.Body, err)
				}
				if len(env.Errors) != len(tc.w.entries) {
					t.Fatalf("errors = %v, want %d entries", env.Errors, len(tc.w.entries))
				}
				for i, e := range env.Errors {
					if _, ok := e["status"].(float64); !ok {
						t.Errorf("errors[%d].status = %#v, want a number", i, e["status"])
					}
					for k, v := range tc.w.entries[i] {
						if e[k] != v {
							t.Errorf("errors[%d].%s = %#v, want %#v", i, k, e[k], v)
						}
					}
					if _, ok := tc.w.entries[i]["request_id"]; !ok && e["request_id"] != nil {
						t.Errorf("errors[%d] has a request_id: %v", i, e)
					}
				}
			}
			// The access log always has a line with the status; an internal failure is logged
			// with its detail (never in the body).
			if !strings.Contains(logs.String(), fmt.Sprintf(`"status":%d`, tc.w.status)) {
				t.Errorf("no access log line with the status: %s", logs)
			}
			if tc.w.status == 500 && tc.name != "panic with nil" && tc.name != "nil map write" && !strings.Contains(logs.String(), "dynamodb") {
				t.Errorf("the internal detail was not logged: %s", logs)
			}
		})
	}
}

func TestHandleDeadlineMargin(t *testing.T) {
	captureLog(t)
	ctx, cancel := context.WithTimeout(context.Background(), deadlineMargin+100*time.Millisecond)
	defer cancel()
	outer, _ := ctx.Deadline()
	var inner time.Time
	start := time.Now()
	resp, _ := Handle("test", func(ctx context.Context, _ *Request) (Response, error) {
		inner, _ = ctx.Deadline()
		<-ctx.Done() // a dependency that never answers
		return Response{}, ctx.Err()
	})(ctx, testEvent())
	if d := outer.Sub(inner); d != deadlineMargin {
		t.Errorf("handler deadline %v before Lambda's, want %v", d, deadlineMargin)
	}
	if resp.StatusCode != 503 || resp.Headers["Retry-After"] != "1" {
		t.Errorf("status %d, Retry-After %q", resp.StatusCode, resp.Headers["Retry-After"])
	}
	if time.Since(start) > deadlineMargin {
		t.Errorf("the handler ran past its shortened deadline: %v", time.Since(start))
	}
}

func TestStatusTable(t *testing.T) {
	want := map[problem.Kind]int{
		problem.Internal: 500, problem.BadRequest: 400, problem.Unauthorized: 401, problem.Forbidden: 403,
		problem.NotFound: 404, problem.MethodNotAllowed: 405, problem.Conflict: 409, problem.TooLarge: 413,
		problem.UnsupportedMedia: 415, problem.Unprocessable: 422, problem.TooManyRequests: 429,
		problem.Unavailable: 503, problem.PreconditionFailed: 412,
	}
	for k, s := range want {
		if Status(k) != s {
			t.Errorf("Status(%d) = %d, want %d", k, Status(k), s)
		}
		resp := errorResponse(problem.New(k, "T", "D"), "req-1")
		if resp.StatusCode != s || resp.Headers["Content-Type"] != "application/json; charset=utf-8" {
			t.Errorf("kind %d: %d %v", k, resp.StatusCode, resp.Headers)
		}
		var env envelope
		if err := json.Unmarshal([]byte(resp.Body), &env); err != nil || len(env.Errors) != 1 || env.Errors[0]["status"] != float64(s) {
			t.Errorf("kind %d: body %s", k, resp.Body)
		}
	}
}

// TestHandleRefusesInvalidUTF8: a query parameter whose name or value is not valid UTF-8
// (as sent, or once %-decoded) is a 400 naming it, before any handler runs.
func TestHandleRefusesInvalidUTF8(t *testing.T) {
	long := strings.Repeat("%FF", 400)
	for _, tc := range []struct {
		query  string
		source string // "" when the request is fine
	}{
		{"filter=like(name," + long + "*)", "filter"},
		{"filter=eq(name,%C3)", "filter"},                                   // a sequence cut short
		{"sort=%ED%A0%80", "sort"},                                          // a surrogate
		{"page[limit]=%C0%AF", "page[limit]"},                               // an overlong encoding
		{"filter=eq(name,\xff)", "filter"},                                  // raw, not %-encoded
		{"%FF=1", "\uFFFD"},                                                 // the name: echoed with the byte replaced
		{"a=1&x%FFy=2&b=%FF", "x\uFFFDy"},                                   // the first bad one is named
		{strings.Repeat("n", 100) + "%FF=1", strings.Repeat("n", 64) + "…"}, // names are echoed cut
		{"filter=eq(name,%C3%A9)&sort=name", ""},                            // é
		{"filter=eq(name,100%)", ""},                                        // an undecodable escape stays as sent
		{"", ""},
	} {
		t.Run(tc.query[:min(len(tc.query), 40)], func(t *testing.T) {
			captureLog(t)
			ran := false
			ev := testEvent()
			ev.RawQueryString = tc.query
			resp, _ := Handle("test", func(context.Context, *Request) (Response, error) {
				ran = true
				return NoContent()
			})(context.Background(), ev)
			if tc.source == "" {
				if !ran || resp.StatusCode != 204 {
					t.Errorf("status %d, handler ran: %v", resp.StatusCode, ran)
				}
				return
			}
			var env envelope
			if err := json.Unmarshal([]byte(resp.Body), &env); err != nil {
				t.Fatalf("body %q: %v", resp.Body, err)
			}
			if ran || resp.StatusCode != 400 || len(env.Errors) != 1 || env.Errors[0]["source"] != tc.source ||
				env.Errors[0]["status"] != float64(400) || !strings.Contains(env.Errors[0]["detail"].(string), "UTF-8") {
				t.Errorf("handler ran: %v; %d %s", ran, resp.StatusCode, resp.Body)
			}
		})
	}
}
