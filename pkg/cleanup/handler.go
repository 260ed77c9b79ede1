package cleanup

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/acme/customers/pkg/app"
)

// Namespace is the CloudWatch namespace of the run's embedded-format metrics.
const Namespace = "Customers/Cleanup"

// Handler is CleanupDeletedCustomersFunction: one run per scheduled event, its Report
// logged on stdout (see Log) and returned.
func Handler(d *app.Deps) func(context.Context, events.EventBridgeEvent) (any, error) {
	return NewHandler(New(d.Store, d.Config.CleanupRetention), os.Stdout, time.Now)
}

// NewHandler is Handler on any Cleaner, logging to w, with now the clock of the cut-off.
func NewHandler(c *Cleaner, w io.Writer, now func() time.Time) func(context.Context, events.EventBridgeEvent) (any, error) {
	return func(ctx context.Context, _ events.EventBridgeEvent) (any, error) {
		rep, err := c.Run(ctx, now())
		Log(w, rep, err)
		if err != nil {
			return nil, err
		}
		return rep, nil
	}
}

// Log writes a run's two log lines to w: the Report as one JSON object (message
// "cleanup run", "failed": true when it ended on an error, whose text is left out since it
// may name a key), then the same counts in CloudWatch's embedded metric format
// (CustomersErased, OrdersRedacted, StoppedEarly in Namespace) for an alarm to watch.
func Log(w io.Writer, rep Report, err error) {
	line := struct {
		Message string `json:"message"`
		Report
		Failed bool `json:"failed"`
	}{"cleanup run", rep, err != nil}
	b, _ := json.Marshal(line)
	stopped := 0
	if rep.StoppedEarly {
		stopped = 1
	}
	emf := map[string]any{
		"_aws": map[string]any{
			"Timestamp": time.Now().UnixMilli(),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  Namespace,
				"Dimensions": [][]string{{}},
				"Metrics": []any{
					map[string]string{"Name": "CustomersErased", "Unit": "Count"},
					map[string]string{"Name": "OrdersRedacted", "Unit": "Count"},
					map[string]string{"Name": "StoppedEarly", "Unit": "Count"},
				},
			}},
		},
		"CustomersErased": rep.CustomersErased,
		"OrdersRedacted":  rep.OrdersRedacted,
		"StoppedEarly":    stopped,
	}
	m, _ := json.Marshal(emf)
	w.Write(append(append(b, '\n'), append(m, '\n')...))
}
