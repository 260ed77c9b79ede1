package api

import (
	"context"
	"net/http"

	"github.com/acme/customers/pkg/telemetry"
)

// The metrics Handle counts, in the deployment's namespace (METRICS_NAMESPACE, the stack's
// name), per function (FunctionName) and over every function (no dimension), as
// embedded-metric-format lines: template.yaml's alarms watch the totals.
const (
	// MetricHTTP5xx counts the responses with a 5xx status the handlers rendered (503s
	// included; a function that crashed or timed out renders nothing: API Gateway's 5xx
	// metric counts those).
	MetricHTTP5xx = "Http5xx"
	// MetricHTTP503 counts the 503s among them: a dependency (DynamoDB, Secrets Manager, an
	// identity provider) throttled, failed or was too slow, and the client was told to retry.
	MetricHTTP503 = "Http503"
)

// countStatus writes a metrics line for a 5xx response; other statuses cost nothing (a
// metric is only published, and billed, in the hours it has a value).
func countStatus(ctx context.Context, status int) {
	if status < 500 {
		return
	}
	m := []telemetry.Metric{telemetry.Count(MetricHTTP5xx)}
	if status == http.StatusServiceUnavailable {
		m = append(m, telemetry.Count(MetricHTTP503))
	}
	telemetry.Emit(ctx, Logger, true, m...)
}

// Count writes a metrics line counting one occurrence of each name for this function (the
// FunctionName dimension alone), such as a log-in's outcome.
func Count(ctx context.Context, names ...string) {
	m := make([]telemetry.Metric, len(names))
	for i, n := range names {
		m[i] = telemetry.Count(n)
	}
	telemetry.Emit(ctx, Logger, false, m...)
}
