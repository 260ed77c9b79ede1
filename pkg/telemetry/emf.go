package telemetry

import (
	"cmp"
	"context"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// NamespaceEnv names the environment variable that holds the CloudWatch namespace of the
// deployment's metrics (template.yaml sets it to the stack's name); DefaultNamespace is
// used without it (tests, tools).
const (
	NamespaceEnv     = "METRICS_NAMESPACE"
	DefaultNamespace = "customers"
)

// DimensionFunction is the one dimension of the service's metrics: the function's name, a
// few dozen values at most, so that a metric costs at most one custom metric a function.
const DimensionFunction = "FunctionName"

// Namespace is the CloudWatch namespace of this process's metrics.
func Namespace() string { return cmp.Or(os.Getenv(NamespaceEnv), DefaultNamespace) }

// FunctionName is the name of the function this process runs, "local" outside Lambda.
func FunctionName() string { return cmp.Or(lambdacontext.FunctionName, "local") }

// Metric is one value of an EMF document. Unit is a CloudWatch unit, "Count" when empty.
type Metric struct {
	Name  string
	Unit  string
	Value float64
}

// Count is a Metric of one occurrence of name.
func Count(name string) Metric { return Metric{Name: name, Unit: "Count", Value: 1} }

// Document is one EMF document: the metrics, published in a namespace under each of
// DimensionSets (dimension names, each a key of Dimensions; an empty set publishes the
// metrics without dimensions, summed over every function).
type Document struct {
	Namespace     string
	Dimensions    map[string]string
	DimensionSets [][]string
	Metrics       []Metric
	Time          time.Time
}

// Members returns the document's root members: "_aws" (the metadata CloudWatch reads:
// Timestamp in milliseconds and the CloudWatchMetrics directive), each dimension and each
// metric's value. Any other member a line has (message, level, request ids) is ignored by
// CloudWatch and kept in the log.
func (d Document) Members() map[string]any {
	sets := d.DimensionSets
	if sets == nil {
		sets = [][]string{{}}
	}
	defs := make([]map[string]string, len(d.Metrics))
	m := make(map[string]any, 1+len(d.Dimensions)+len(d.Metrics))
	for i, mt := range d.Metrics {
		defs[i] = map[string]string{"Name": mt.Name, "Unit": cmp.Or(mt.Unit, "Count")}
		m[mt.Name] = mt.Value
	}
	for k, v := range d.Dimensions {
		m[k] = v
	}
	m["_aws"] = map[string]any{
		"Timestamp": d.Time.UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  d.Namespace,
			"Dimensions": sets,
			"Metrics":    defs,
		}},
	}
	return m
}

// Attrs returns Members as log attributes, in a stable order ("_aws" first).
func (d Document) Attrs() []slog.Attr {
	members := d.Members()
	keys := make([]string, 0, len(members))
	for k := range members {
		if k != "_aws" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	attrs := make([]slog.Attr, 0, len(members))
	attrs = append(attrs, slog.Any("_aws", members["_aws"]))
	for _, k := range keys {
		attrs = append(attrs, slog.Any(k, members[k]))
	}
	return attrs
}

// MetricsMessage is the message of every metrics line.
const MetricsMessage = "metrics"

// Emit writes the metrics as one log line (level INFO), counted by this function (the
// FunctionName dimension) and, when alsoTotal, over every function (no dimension) too.
func Emit(ctx context.Context, log *slog.Logger, alsoTotal bool, metrics ...Metric) {
	if len(metrics) == 0 || log == nil {
		return
	}
	sets := [][]string{{DimensionFunction}}
	if alsoTotal {
		sets = append(sets, []string{})
	}
	doc := Document{Namespace: Namespace(), Dimensions: map[string]string{DimensionFunction: FunctionName()},
		DimensionSets: sets, Metrics: metrics, Time: time.Now()}
	log.LogAttrs(ctx, slog.LevelInfo, MetricsMessage, doc.Attrs()...)
}
