package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/acme/customers/pkg/problem"
	"github.com/acme/customers/pkg/telemetry"
)

// captureTelemetry sends Logger, as production builds it, to a buffer for the test.
func captureTelemetry(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	old := Logger
	Logger = telemetry.NewLogger(&buf)
	t.Cleanup(func() { Logger = old })
	return &buf
}

func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// Every line Handle writes carries Lambda's request id and the cold-start flag; a 5xx
// adds one metrics line (valid EMF) counting it per function and in total, a 503 counting
// it as a 503 too; any other status adds none. No line holds the request's data.
func TestHandleTelemetry(t *testing.T) {
	t.Setenv(telemetry.NamespaceEnv, "customers-test")
	const personal = "ron@example.com"
	cases := []struct {
		name    string
		h       HandlerFunc
		status  int
		metrics []string // the metric members of the metrics line, none when nil
	}{
		{"200", func(context.Context, *Request) (Response, error) {
			return Data(200, map[string]string{"email": personal})
		}, 200, nil},
		{"401", func(context.Context, *Request) (Response, error) {
			return Response{}, &problem.Error{Kind: problem.Unauthorized, Title: "Unauthorized"}
		}, 401, nil},
		{"429", func(context.Context, *Request) (Response, error) {
			return Response{}, &problem.Error{Kind: problem.TooManyRequests, Title: "Too Many Requests", RetryAfter: time.Second}
		}, 429, nil},
		{"500", func(context.Context, *Request) (Response, error) { return Response{}, errors.New("boom") }, 500, []string{MetricHTTP5xx}},
		{"panic", func(context.Context, *Request) (Response, error) { panic("boom") }, 500, []string{MetricHTTP5xx}},
		{"503", func(context.Context, *Request) (Response, error) {
			return Response{}, &problem.Error{Kind: problem.Unavailable, Title: "Service Unavailable", RetryAfter: time.Second}
		}, 503, []string{MetricHTTP5xx, MetricHTTP503}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			logs := captureTelemetry(t)
			ev := testEvent()
			ev.RawQueryString = "filter=eq(email," + personal + ")"
			ev.Headers = map[string]string{"authorization": "Bearer " + personal}
			ev.Body = `{"data":{"email":"` + personal + `"}}`
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-7"})
			resp, _ := Handle("test", tc.h)(ctx, ev)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			var metrics []map[string]any
			for _, l := range logLines(t, logs) {
				if l[telemetry.KeyFunctionRequestID] != "lambda-7" {
					t.Errorf("line without Lambda's request id: %v", l)
				}
				if _, ok := l[telemetry.KeyColdStart].(bool); !ok {
					t.Errorf("line without the cold-start flag: %v", l)
				}
				if l["msg"] == telemetry.MetricsMessage {
					metrics = append(metrics, l)
				}
			}
			if strings.Contains(logs.String(), personal) {
				t.Errorf("the log holds the request's data: %s", logs)
			}
			if tc.metrics == nil {
				if len(metrics) != 0 {
					t.Errorf("metrics for a %d: %v", tc.status, metrics)
				}
				return
			}
			if len(metrics) != 1 {
				t.Fatalf("%d metrics lines, want one: %s", len(metrics), logs)
			}
			m := metrics[0]
			for _, p := range telemetry.CheckEMF(m) {
				t.Errorf("not valid EMF: %s: %v", p, m)
			}
			dir := m["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
			if dir["Namespace"] != "customers-test" {
				t.Errorf("namespace %v", dir["Namespace"])
			}
			if b, _ := json.Marshal(dir["Dimensions"]); string(b) != `[["FunctionName"],[]]` {
				t.Errorf("dimensions %s, want per function and in total", b)
			}
			var names []string
			for _, d := range dir["Metrics"].([]any) {
				names = append(names, d.(map[string]any)["Name"].(string))
			}
			if strings.Join(names, ",") != strings.Join(tc.metrics, ",") {
				t.Errorf("metrics %v, want %v", names, tc.metrics)
			}
			for _, n := range tc.metrics {
				if m[n] != 1.0 {
					t.Errorf("%s = %v, want 1", n, m[n])
				}
			}
		})
	}
}

// Count writes one valid EMF line for this function alone.
func TestCount(t *testing.T) {
	logs := captureTelemetry(t)
	Count(context.Background(), "LoginThrottled")
	l := logLines(t, logs)
	if len(l) != 1 {
		t.Fatalf("%d lines", len(l))
	}
	for _, p := range telemetry.CheckEMF(l[0]) {
		t.Errorf("not valid EMF: %s", p)
	}
	dir := l[0]["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if b, _ := json.Marshal(dir["Dimensions"]); string(b) != `[["FunctionName"]]` || l[0]["LoginThrottled"] != 1.0 {
		t.Errorf("line %v", l[0])
	}
}
