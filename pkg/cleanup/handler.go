package cleanup

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/telemetry"
)

// Handler is CleanupDeletedCustomersFunction: one run per scheduled event, its Report
// logged on stdout (see Log) and returned.
func Handler(d *app.Deps) func(context.Context, events.EventBridgeEvent) (any, error) {
	return NewHandler(New(d.Store, d.Config.CleanupRetention), os.Stdout, time.Now)
}

// NewHandler is Handler on any Cleaner, logging to w, with now the clock of the cut-off.
func NewHandler(c *Cleaner, w io.Writer, now func() time.Time) func(context.Context, events.EventBridgeEvent) (any, error) {
	return func(ctx context.Context, _ events.EventBridgeEvent) (any, error) {
		rep, err := c.Run(ctx, now())
		Log(ctx, w, rep, err)
		if err != nil {
			return nil, err
		}
		return rep, nil
	}
}

// Log writes a run's two log lines to w: the Report as one JSON object (message
// "cleanup run", "failed": true when it ended on an error, whose text is left out since it
// may name a key), then the same counts in CloudWatch's embedded metric format
// (CustomersErased, OrdersRedacted, StoppedEarly in the deployment's namespace,
// telemetry.Namespace, without dimensions) for an alarm to watch. Both carry the
// invocation's request id and cold-start flag, as every line of an endpoint does.
func Log(ctx context.Context, w io.Writer, rep Report, err error) {
	inv := telemetry.Current(ctx)
	line := struct {
		Message string `json:"message"`
		Report
		Failed bool `json:"failed"`
		// telemetry.KeyFunctionRequestID and telemetry.KeyColdStart, when in an invocation.
		FunctionRequestID string `json:"function_request_id,omitempty"`
		ColdStart         *bool  `json:"cold_start,omitempty"`
	}{Message: "cleanup run", Report: rep, Failed: err != nil}
	stopped := 0
	if rep.StoppedEarly {
		stopped = 1
	}
	emf := telemetry.Document{Namespace: telemetry.Namespace(), Time: time.Now(), Metrics: []telemetry.Metric{
		{Name: "CustomersErased", Unit: "Count", Value: float64(rep.CustomersErased)},
		{Name: "OrdersRedacted", Unit: "Count", Value: float64(rep.OrdersRedacted)},
		{Name: "StoppedEarly", Unit: "Count", Value: float64(stopped)},
	}}.Members()
	if inv != nil {
		line.FunctionRequestID, line.ColdStart = inv.RequestID, &inv.ColdStart
		for _, a := range inv.Attrs() {
			emf[a.Key] = a.Value.Any()
		}
	}
	b, _ := json.Marshal(line)
	m, _ := json.Marshal(emf)
	w.Write(append(append(b, '\n'), append(m, '\n')...))
}
