package cleanup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/acme/customers/pkg/telemetry"
)

// In an invocation, both lines of a run carry Lambda's request id and the cold-start flag,
// and the metrics line is valid EMF in the deployment's namespace.
func TestLogInvocation(t *testing.T) {
	t.Setenv(telemetry.NamespaceEnv, "customers-test")
	ctx, end := telemetry.Begin(lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "run-1"}))
	defer end()
	var buf bytes.Buffer
	Log(ctx, &buf, Report{CustomersErased: 2, StoppedEarly: true}, errors.New("table customers: key CUSTOMER#x"))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || strings.Contains(buf.String(), "CUSTOMER#x") {
		t.Fatalf("log %s", buf.String())
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		if m[telemetry.KeyFunctionRequestID] != "run-1" {
			t.Errorf("line without the request id: %s", l)
		}
		if _, ok := m[telemetry.KeyColdStart].(bool); !ok {
			t.Errorf("line without the cold-start flag: %s", l)
		}
		if m["_aws"] != nil {
			for _, p := range telemetry.CheckEMF(m) {
				t.Errorf("metrics line: %s", p)
			}
			if m["StoppedEarly"] != 1.0 || m["CustomersErased"] != 2.0 || !strings.Contains(l, `"Namespace":"customers-test"`) {
				t.Errorf("metrics line %s", l)
			}
		} else if m["failed"] != true || m["message"] != "cleanup run" {
			t.Errorf("report line %s", l)
		}
	}
}
