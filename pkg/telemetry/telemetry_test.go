package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// lines decodes a buffer of JSON log lines.
func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func lambdaCtx(id string) context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: id})
}

// The request id and the cold-start flag are on every line of an invocation, logged with
// its context or without one; cold_start is true on the process's first invocation only;
// a line logged outside an invocation has neither.
func TestInvocationAttrs(t *testing.T) {
	invoked.Store(false)
	t.Cleanup(func() { current.Store(nil) })
	var buf bytes.Buffer
	log := NewLogger(&buf)

	log.Info("start-up")
	for i, id := range []string{"req-1", "req-2"} {
		ctx, end := Begin(lambdaCtx(id))
		log.InfoContext(ctx, "with the context", "n", i)
		log.Warn("without a context", "n", i)
		log.With("k", "v").ErrorContext(ctx, "derived logger", "n", i)
		end()
	}
	log.Info("between invocations")

	got := lines(t, &buf)
	if len(got) != 8 {
		t.Fatalf("%d lines, want 8", len(got))
	}
	for _, i := range []int{0, 7} {
		if _, ok := got[i][KeyFunctionRequestID]; ok || got[i][KeyColdStart] != nil {
			t.Errorf("line outside an invocation has invocation attributes: %v", got[i])
		}
	}
	for i, l := range got[1:7] {
		wantID, wantCold := "req-1", true
		if i >= 3 {
			wantID, wantCold = "req-2", false
		}
		if l[KeyFunctionRequestID] != wantID || l[KeyColdStart] != wantCold {
			t.Errorf("line %v: want %s %s, %s %v", l, KeyFunctionRequestID, wantID, KeyColdStart, wantCold)
		}
	}
}

// Without Lambda's context (a handler called in a test) a line has the flag, not an id.
func TestInvocationWithoutLambdaContext(t *testing.T) {
	t.Cleanup(func() { current.Store(nil) })
	var buf bytes.Buffer
	ctx, end := Begin(context.Background())
	NewLogger(&buf).InfoContext(ctx, "x")
	end()
	l := lines(t, &buf)[0]
	if _, ok := l[KeyFunctionRequestID]; ok {
		t.Errorf("a request id from nowhere: %v", l)
	}
	if _, ok := l[KeyColdStart].(bool); !ok {
		t.Errorf("no cold_start: %v", l)
	}
}

// An invocation that ends does not clear the one that began after it (end is idempotent
// and only ever clears its own).
func TestEndClearsItsOwn(t *testing.T) {
	t.Cleanup(func() { current.Store(nil) })
	_, end1 := Begin(lambdaCtx("a"))
	_, end2 := Begin(lambdaCtx("b"))
	end1()
	if c := Current(context.Background()); c == nil || c.RequestID != "b" {
		t.Errorf("current = %+v, want b's", c)
	}
	end2()
	if c := Current(context.Background()); c != nil {
		t.Errorf("current = %+v after both ended", c)
	}
}

func checkEMF(t *testing.T, line map[string]any) {
	t.Helper()
	for _, p := range CheckEMF(line) {
		t.Error(p)
	}
}

// The validator itself refuses what CloudWatch would not extract.
func TestEMFProblems(t *testing.T) {
	now := time.Now().UnixMilli()
	valid := func() map[string]any {
		var m map[string]any
		json.Unmarshal([]byte(fmt.Sprintf(`{"_aws":{"Timestamp":%d,"CloudWatchMetrics":[{"Namespace":"ns",
			"Dimensions":[["FunctionName"],[]],"Metrics":[{"Name":"Http5xx","Unit":"Count"}]}]},
			"FunctionName":"f","Http5xx":1,"msg":"metrics"}`, now)), &m)
		return m
	}
	if p := CheckEMF(valid()); p != nil {
		t.Fatalf("a valid document refused: %v", p)
	}
	dir := func(m map[string]any) map[string]any {
		return m["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
	}
	for name, spoil := range map[string]func(map[string]any){
		"no _aws":                func(m map[string]any) { delete(m, "_aws") },
		"no Timestamp":           func(m map[string]any) { delete(m["_aws"].(map[string]any), "Timestamp") },
		"Timestamp in seconds":   func(m map[string]any) { m["_aws"].(map[string]any)["Timestamp"] = float64(now / 1000) },
		"no directives":          func(m map[string]any) { m["_aws"].(map[string]any)["CloudWatchMetrics"] = []any{} },
		"no Namespace":           func(m map[string]any) { delete(dir(m), "Namespace") },
		"no Dimensions":          func(m map[string]any) { delete(dir(m), "Dimensions") },
		"Dimensions not nested":  func(m map[string]any) { dir(m)["Dimensions"] = []any{"FunctionName"} },
		"dimension not a member": func(m map[string]any) { delete(m, "FunctionName") },
		"dimension a number":     func(m map[string]any) { m["FunctionName"] = 1.0 },
		"no Metrics":             func(m map[string]any) { delete(dir(m), "Metrics") },
		"metric not a member":    func(m map[string]any) { delete(m, "Http5xx") },
		"metric a string":        func(m map[string]any) { m["Http5xx"] = "1" },
		"bad unit":               func(m map[string]any) { dir(m)["Metrics"].([]any)[0].(map[string]any)["Unit"] = "Requests" },
		"extra directive member": func(m map[string]any) { dir(m)["Unit"] = "Count" },
	} {
		m := valid()
		spoil(m)
		if CheckEMF(m) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestEmit(t *testing.T) {
	t.Setenv(NamespaceEnv, "customers-prod")
	for _, total := range []bool{false, true} {
		t.Run(fmt.Sprint("total=", total), func(t *testing.T) {
			var buf bytes.Buffer
			Emit(context.Background(), NewLogger(&buf), total, Count("LoginFailure"), Metric{Name: "Latency", Unit: "Milliseconds", Value: 12.5})
			got := lines(t, &buf)
			if len(got) != 1 {
				t.Fatalf("%d lines, want one", len(got))
			}
			line := got[0]
			checkEMF(t, line)
			dir := line["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
			if dir["Namespace"] != "customers-prod" {
				t.Errorf("Namespace %v, want the environment's", dir["Namespace"])
			}
			wantSets := `[["FunctionName"]]`
			if total {
				wantSets = `[["FunctionName"],[]]`
			}
			if b, _ := json.Marshal(dir["Dimensions"]); string(b) != wantSets {
				t.Errorf("Dimensions %s, want %s", b, wantSets)
			}
			if line["LoginFailure"] != 1.0 || line["Latency"] != 12.5 || line["FunctionName"] != FunctionName() {
				t.Errorf("values: %v", line)
			}
			if line["msg"] != MetricsMessage || line["level"] != "INFO" {
				t.Errorf("msg %v level %v", line["msg"], line["level"])
			}
		})
	}
	var buf bytes.Buffer
	Emit(context.Background(), NewLogger(&buf), true)
	if buf.Len() != 0 {
		t.Errorf("no metrics, yet a line: %s", buf.String())
	}
}

// A Document without dimension sets publishes its metrics without dimensions, and is valid
// EMF once marshalled on its own (the scheduled cleanup writes it so).
func TestDocumentMembers(t *testing.T) {
	doc := Document{Namespace: "ns", Metrics: []Metric{{Name: "CustomersErased", Value: 3}}, Time: time.Now()}
	b, err := json.Marshal(doc.Members())
	if err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(b, &line); err != nil {
		t.Fatal(err)
	}
	checkEMF(t, line)
	if !strings.Contains(string(b), `"Dimensions":[[]]`) || !strings.Contains(string(b), `"Unit":"Count"`) {
		t.Errorf("document %s", b)
	}
}

func TestNamespaceDefault(t *testing.T) {
	t.Setenv(NamespaceEnv, "")
	if Namespace() != DefaultNamespace {
		t.Errorf("Namespace() = %q", Namespace())
	}
}
