package samlocal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acme/customers/pkg/dynamolocal"
	"github.com/acme/customers/pkg/samlocal"
	"github.com/acme/customers/pkg/samtemplate"
	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// buildDir holds testdata/echo built as every function of testdata/template.yaml.
var buildDir string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "samlocal-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	buildDir = dir
	r, err := samlocal.New(context.Background(), samlocal.Config{Root: "testdata", BuildDir: buildDir, Parameters: samtemplate.Values{}})
	if err == nil {
		err = r.Build(context.Background()) // through testdata/Makefile, as `sam build` would
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "build the test functions:", err)
		return 1
	}
	return m.Run()
}

// syncBuffer collects the runner's log; tests print it when they fail.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newRunner returns a runner for testdata/template.yaml; it is closed when the test ends.
func newRunner(t *testing.T, cfg samlocal.Config) (*samlocal.Runner, *syncBuffer) {
	t.Helper()
	log := &syncBuffer{}
	cfg.Root = "testdata"
	cfg.BuildDir = buildDir
	cfg.Log = log
	if cfg.Parameters == nil {
		cfg.Parameters = samtemplate.Values{}
	}
	r, err := samlocal.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close()
		if t.Failed() {
			t.Logf("runner log:\n%s", log.String())
		}
	})
	return r, log
}

// newServer serves the runner's routes on a random port.
func newServer(t *testing.T, r *samlocal.Runner) *httptest.Server {
	t.Helper()
	h, err := r.Handler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// echoed is what testdata/echo answers.
type echoed struct {
	Event       events.APIGatewayV2HTTPRequest
	Pid         int
	Env         map[string]string
	RequestID   string
	FunctionArn string
	DeadlineMs  int64
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func getEcho(t *testing.T, url string) echoed {
	t.Helper()
	resp, body := get(t, url)
	return decodeEcho(t, resp, body)
}

func parsedEcho(t *testing.T, out []byte) echoed {
	t.Helper()
	resp, body := parseResponse(t, out)
	return decodeEcho(t, resp, body)
}

func decodeEcho(t *testing.T, resp *http.Response, body []byte) echoed {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var e echoed
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return e
}

func TestEventThroughAPI(t *testing.T) {
	r, _ := newRunner(t, samlocal.Config{})
	srv := newServer(t, r)

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/echo/a%20b?x=1&x=2&y=%C3%A9", nil)
	req.Header.Add("X-Dup", "one")
	req.Header.Add("X-Dup", "two")
	req.Header.Set("User-Agent", "samlocal-test")
	req.Header.Set("Cookie", "c1=v1; c2=v2")
	resp, body := do(t, req)
	e := decodeEcho(t, resp, body)
	ev := e.Event

	checks := []struct {
		name      string
		got, want any
	}{
		{"version", ev.Version, "2.0"},
		{"routeKey", ev.RouteKey, "GET /echo/{id}"},
		{"context routeKey", ev.RequestContext.RouteKey, "GET /echo/{id}"},
		{"rawPath", ev.RawPath, "/echo/a b"},
		{"rawQueryString", ev.RawQueryString, "x=1&x=2&y=%C3%A9"},
		{"path parameter", ev.PathParameters["id"], "a b"},
		{"query duplicates", ev.QueryStringParameters["x"], "1,2"},
		{"query decoded", ev.QueryStringParameters["y"], "é"},
		{"header duplicates", ev.Headers["x-dup"], "one,two"},
		{"user agent", ev.RequestContext.HTTP.UserAgent, "samlocal-test"},
		{"cookies", strings.Join(ev.Cookies, "|"), "c1=v1|c2=v2"},
		{"no cookie header", ev.Headers["cookie"], ""},
		{"host header", ev.Headers["host"], strings.TrimPrefix(srv.URL, "http://")},
		{"x-forwarded-proto", ev.Headers["x-forwarded-proto"], "http"},
		{"x-forwarded-for", ev.Headers["x-forwarded-for"], "127.0.0.1"},
		{"domainName", ev.RequestContext.DomainName, strings.TrimPrefix(srv.URL, "http://")},
		{"method", ev.RequestContext.HTTP.Method, "GET"},
		{"http path", ev.RequestContext.HTTP.Path, "/echo/a b"},
		{"protocol", ev.RequestContext.HTTP.Protocol, "HTTP/1.1"},
		{"sourceIp", ev.RequestContext.HTTP.SourceIP, "127.0.0.1"},
		{"stage", ev.RequestContext.Stage, "$default"},
		{"requestId matches apigw-requestid", ev.RequestContext.RequestID, resp.Header.Get("Apigw-Requestid")},
		{"base64", ev.IsBase64Encoded, false},
		{"response header", resp.Header.Get("X-Pid"), fmt.Sprint(e.Pid)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	if ev.RequestContext.TimeEpoch == 0 || ev.RequestContext.Time == "" {
		t.Errorf("no request time: %+v", ev.RequestContext)
	}

	// A more specific route wins over a path variable.
	resp, body = get(t, srv.URL+"/echo/literal")
	if e := decodeEcho(t, resp, body); e.Event.RouteKey != "GET /echo/literal" || e.Event.PathParameters != nil {
		t.Errorf("literal route: routeKey %q, params %v", e.Event.RouteKey, e.Event.PathParameters)
	}
	// A greedy variable takes the rest of the path; ANY takes every method.
	req, _ = http.NewRequest(http.MethodDelete, srv.URL+"/any/x/y", nil)
	resp, body = do(t, req)
	if e := decodeEcho(t, resp, body); e.Event.RouteKey != "ANY /any/{proxy+}" || e.Event.PathParameters["proxy"] != "x/y" {
		t.Errorf("greedy route: routeKey %q, params %v", e.Event.RouteKey, e.Event.PathParameters)
	}
}

func TestBodies(t *testing.T) {
	r, _ := newRunner(t, samlocal.Config{})
	srv := newServer(t, r)
	tests := []struct {
		name     string
		body     []byte
		wantBody string
		wantB64  bool
	}{
		{"text", []byte(`{"name":"Zoë"}`), `{"name":"Zoë"}`, false},
		{"binary", []byte{0xff, 0xfe, 0x00, 0x01}, "//4AAQ==", true},
		{"empty", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/echo", bytes.NewReader(tt.body))
			resp, body := do(t, req)
			ev := decodeEcho(t, resp, body).Event
			if ev.Body != tt.wantBody || ev.IsBase64Encoded != tt.wantB64 {
				t.Errorf("body %q base64 %v, want %q %v", ev.Body, ev.IsBase64Encoded, tt.wantBody, tt.wantB64)
			}
			if ev.Headers["content-length"] != fmt.Sprint(len(tt.body)) {
				t.Errorf("content-length %q", ev.Headers["content-length"])
			}
		})
	}
}

func TestResponses(t *testing.T) {
	r, _ := newRunner(t, samlocal.Config{})
	srv := newServer(t, r)

	resp, body := get(t, srv.URL+"/any/binary")
	if resp.StatusCode != 201 || !bytes.Equal(body, []byte{0xff, 0x00, 0xfe}) || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("binary: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("the function's CORS header passed through: %q", got)
	}

	resp, body = get(t, srv.URL+"/any/cookies")
	if string(body) != "cookies" || resp.Header.Get("X-One") != "1" ||
		strings.Join(resp.Header.Values("X-Many"), ",") != "a,b" ||
		strings.Join(resp.Header.Values("Set-Cookie"), "|") != "a=1; Path=/|b=2" {
		t.Errorf("cookies: %q %v", body, resp.Header)
	}

	resp, body = get(t, srv.URL+"/any/plain")
	if resp.StatusCode != 200 || string(body) != `{"hello":"world"}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("plain JSON: %d %q %v", resp.StatusCode, body, resp.Header)
	}
}

func TestAPIGatewayErrors(t *testing.T) {
	r, _ := newRunner(t, samlocal.Config{})
	srv := newServer(t, r)
	big := bytes.Repeat([]byte("x"), samlocal.MaxBodySize+1)
	tests := []struct {
		name, method, path string
		body               []byte
		status             int
		message            string
	}{
		{"unknown route", "GET", "/nope", nil, 404, "Not Found"},
		{"wrong method", "DELETE", "/echo/1", nil, 404, "Not Found"},
		{"trailing segment", "GET", "/echo/1/2", nil, 404, "Not Found"},
		{"function error", "GET", "/any/error", nil, 500, "Internal Server Error"},
		{"invalid response", "GET", "/any/invalid", nil, 500, "Internal Server Error"},
		{"crash", "GET", "/any/crash", nil, 500, "Internal Server Error"},
		{"timeout", "GET", "/slow?sleep=3000", nil, 503, "Service Unavailable"},
		{"body too large", "POST", "/echo", big, 413, "Request Entity Too Large"},
		{"chunked body too large", "POST", "/echo", big, 413, "Request Entity Too Large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reqBody io.Reader = bytes.NewReader(tt.body)
			if strings.HasPrefix(tt.name, "chunked") {
				reqBody = io.MultiReader(reqBody) // unknown length: sent chunked
			}
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, reqBody)
			resp, body := do(t, req)
			want := fmt.Sprintf(`{"message":%q}`, tt.message)
			if resp.StatusCode != tt.status || string(body) != want {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, body, tt.status, want)
			}
		})
	}
}

func TestCrashedProcessIsReplaced(t *testing.T) {
	r, log := newRunner(t, samlocal.Config{})
	srv := newServer(t, r)
	first := getEcho(t, srv.URL+"/echo/1").Pid
	if resp, _ := get(t, srv.URL+"/any/crash"); resp.StatusCode != 500 {
		t.Fatalf("crash: status %d", resp.StatusCode)
	}
	second := getEcho(t, srv.URL+"/echo/1").Pid
	if second == first {
		t.Errorf("the crashed process %d answered again", first)
	}
	if !strings.Contains(log.String(), "EchoFunction | echo: /any/crash") {
		t.Errorf("function output missing from the log:\n%s", log.String())
	}
}

func TestTimeoutKillsProcess(t *testing.T) {
	r, _ := newRunner(t, samlocal.Config{})
	out, err := r.Invoke(context.Background(), "SlowFunction", mustJSON(t, events.APIGatewayV2HTTPRequest{
		RawPath: "/slow", QueryStringParameters: map[string]string{"sleep": "3000"},
	}))
	if !errors.Is(err, samlocal.ErrTimeout) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if !strings.Contains(string(out), "Sandbox.Timedout") {
		t.Errorf("error document %s", out)
	}
	// The next invocation gets a fresh process whose deadline is the template's Timeout.
	out, err = r.Invoke(context.Background(), "SlowFunction", mustJSON(t, events.APIGatewayV2HTTPRequest{RawPath: "/slow"}))
	if err != nil {
		t.Fatal(err)
	}
	e := parsedEcho(t, out)
	if left := time.Until(time.UnixMilli(e.DeadlineMs)); left <= 0 || left > time.Second {
		t.Errorf("deadline %v from now, want within the 1s Timeout", left)
	}
}

func TestScaleOutAndReuse(t *testing.T) {
	r, _ := newRunner(t, samlocal.Config{})
	srv := newServer(t, r)

	pids := concurrentPids(t, srv.URL+"/echo/1?sleep=500", 2)
	if len(pids) != 2 {
		t.Fatalf("2 concurrent requests ran in %d processes, want 2", len(pids))
	}
	// Warm processes are reused.
	pid := getEcho(t, srv.URL+"/echo/1").Pid
	if !pids[pid] {
		t.Errorf("request ran in new process %d, not in a warm one of %v", pid, pids)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	r, _ := newRunner(t, samlocal.Config{Concurrency: 2})
	srv := newServer(t, r)
	pids := concurrentPids(t, srv.URL+"/echo/1?sleep=300", 5)
	if len(pids) != 2 {
		t.Errorf("5 concurrent requests ran in %d processes, want the limit of 2", len(pids))
	}
}

// concurrentPids sends n requests at once and returns the processes that served them.
func concurrentPids(t *testing.T, url string, n int) map[int]bool {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		pids = map[int]bool{}
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(url)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var e echoed
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != 200 {
				t.Errorf("status %d, %v", resp.StatusCode, err)
				return
			}
			mu.Lock()
			pids[e.Pid] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	return pids
}

func TestCORS(t *testing.T) {
	r, _ := newRunner(t, samlocal.Config{})
	srv := newServer(t, r)

	tests := []struct {
		name, origin, method, headers string
		wantOrigin                    string
	}{
		{"allowed", "https://app.test", "POST", "content-type, authorization", "https://app.test"},
		{"headers compared case-insensitively", "https://app.test", "GET", "Content-Type", "https://app.test"},
		{"wildcard origin", "https://shop.example.test", "GET", "", "https://shop.example.test"},
		{"origin denied", "https://evil.test", "GET", "", ""},
		{"method denied", "https://app.test", "DELETE", "", ""},
		{"header denied", "https://app.test", "GET", "x-secret", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/echo/1", nil)
			req.Header.Set("Origin", tt.origin)
			req.Header.Set("Access-Control-Request-Method", tt.method)
			if tt.headers != "" {
				req.Header.Set("Access-Control-Request-Headers", tt.headers)
			}
			resp, _ := do(t, req)
			if resp.StatusCode != http.StatusNoContent {
				t.Errorf("status %d, want 204", resp.StatusCode)
			}
			h := resp.Header
			if got := h.Get("Access-Control-Allow-Origin"); got != tt.wantOrigin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tt.wantOrigin)
			}
			if tt.wantOrigin != "" {
				if h.Get("Access-Control-Allow-Methods") != "GET,POST" || h.Get("Access-Control-Max-Age") != "600" ||
					h.Get("Access-Control-Allow-Headers") != "authorization,content-type" {
					t.Errorf("preflight headers %v", h)
				}
			} else if h.Get("Access-Control-Allow-Methods") != "" {
				t.Errorf("denied preflight carries CORS headers: %v", h)
			}
		})
	}

	// Normal responses carry the origin when it is allowed.
	for origin, want := range map[string]string{"https://app.test": "https://app.test", "https://evil.test": ""} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/echo/1", nil)
		req.Header.Set("Origin", origin)
		resp, _ := do(t, req)
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != want {
			t.Errorf("GET from %s: Access-Control-Allow-Origin %q, want %q", origin, got, want)
		}
	}
}

// The project's template exposes Retry-After to browsers, and the runner serves what the
// template says: a cross-origin 429 or 503 tells the page when to retry.
func TestProjectCORSExposesRetryAfter(t *testing.T) {
	r, err := samlocal.New(context.Background(), samlocal.Config{Root: "../..", Log: io.Discard, Parameters: samtemplate.Values{
		"ClientId": "c", "ClientSecret": "local-client-secret", "SigningKey": strings.Repeat("k", 32),
		"CorsAllowOrigins": "https://shop.example.test"}})
	if err != nil {
		t.Fatal(err)
	}
	cors, err := r.CORS()
	if err != nil || cors == nil {
		t.Fatalf("CORS %+v, %v", cors, err)
	}
	api, err := samlocal.NewAPI(samlocal.APIConfig{
		Routes: []samlocal.Route{{Method: "POST", Path: "/v2/customers/tokens", Function: "CreateCustomerTokenFunction"}},
		Invoke: func(context.Context, string, []byte) ([]byte, error) {
			return []byte(`{"statusCode":429,"headers":{"Content-Type":"application/json; charset=utf-8","Retry-After":"30"},` +
				`"body":"{\"errors\":[{\"status\":429,\"title\":\"Too Many Requests\"}]}"}`), nil
		},
		CORS: cors,
		Log:  io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v2/customers/tokens", strings.NewReader(`{}`))
	req.Header.Set("Origin", "https://shop.example.test")
	resp, _ := do(t, req)
	h := resp.Header
	if resp.StatusCode != 429 || h.Get("Retry-After") != "30" || h.Get("Access-Control-Allow-Origin") != "https://shop.example.test" {
		t.Fatalf("%d, headers %v", resp.StatusCode, h)
	}
	exposed := false
	for name := range strings.SplitSeq(h.Get("Access-Control-Expose-Headers"), ",") {
		exposed = exposed || strings.EqualFold(strings.TrimSpace(name), "Retry-After")
	}
	if !exposed {
		t.Errorf("Access-Control-Expose-Headers %q does not name Retry-After", h.Get("Access-Control-Expose-Headers"))
	}
}

func TestInvokeEnvironmentAndPrepareEvent(t *testing.T) {
	r, _ := newRunner(t, samlocal.Config{
		TableName:  "things",
		Parameters: samtemplate.Values{"Greeting": "hi"},
		PrepareEvent: func(b []byte) ([]byte, error) {
			return bytes.ReplaceAll(b, []byte("{{token}}"), []byte("fresh")), nil
		},
	})
	event := []byte(`{"version":"2.0","rawPath":"/echo/1","headers":{"authorization":"Bearer {{token}}"}}`)
	out, err := r.Invoke(context.Background(), "EchoFunction", event)
	if err != nil {
		t.Fatal(err)
	}
	e := parsedEcho(t, out)
	if got := e.Event.Headers["authorization"]; got != "Bearer fresh" {
		t.Errorf("PrepareEvent not applied: %q", got)
	}
	bootstrapDir, _ := filepath.Abs(filepath.Join(buildDir, "EchoFunction"))
	want := map[string]string{
		"TABLE_NAME":                      "things",
		"TABLE_ARN":                       "arn:aws:dynamodb:us-east-1:123456789012:table/things",
		"GREETING":                        "hi",
		"AWS_LAMBDA_FUNCTION_NAME":        "EchoFunction",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "192",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_REGION":                      "us-east-1",
		"AWS_DEFAULT_REGION":              "us-east-1",
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                bootstrapDir,
		"AWS_ACCESS_KEY_ID":               "local",
	}
	for k, v := range want {
		if e.Env[k] != v {
			t.Errorf("%s = %q, want %q", k, e.Env[k], v)
		}
	}
	if !strings.HasPrefix(e.Env["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:") {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q", e.Env["AWS_LAMBDA_RUNTIME_API"])
	}
	if e.RequestID == "" || e.FunctionArn != "arn:aws:lambda:us-east-1:123456789012:function:EchoFunction" {
		t.Errorf("lambda context: request id %q, arn %q", e.RequestID, e.FunctionArn)
	}

	// A function error comes back as an *InvokeError with Lambda's error document.
	out, err = r.Invoke(context.Background(), "EchoFunction", []byte(`{"rawPath":"/any/error"}`))
	var ie *samlocal.InvokeError
	if !errors.As(err, &ie) || ie.Message != "boom" || !strings.Contains(string(out), `"errorMessage":"boom"`) {
		t.Errorf("function error: %v, %s", err, out)
	}
	if _, err := r.Invoke(context.Background(), "NoSuchFunction", event); err == nil {
		t.Error("invoking an unknown function succeeded")
	}
}

func TestInitFailure(t *testing.T) {
	p := samlocal.NewPool(samlocal.Lambda{
		Name:      "BrokenFunction",
		Bootstrap: filepath.Join(buildDir, "EchoFunction", "bootstrap"),
		Env:       map[string]string{"ECHO_EXIT_AT_INIT": "1"},
		Timeout:   time.Second,
		Log:       io.Discard,
	})
	defer p.Close()
	_, err := p.Invoke(context.Background(), []byte(`{}`))
	var ie *samlocal.InvokeError
	if !errors.As(err, &ie) || ie.Type != "Runtime.ExitError" {
		t.Fatalf("err = %v, want Runtime.ExitError", err)
	}
	if n := p.Processes(); n != 0 {
		t.Errorf("%d processes left", n)
	}
}

func TestCloseStopsProcesses(t *testing.T) {
	r, _ := newRunner(t, samlocal.Config{})
	out, err := r.Invoke(context.Background(), "EchoFunction", []byte(`{"rawPath":"/echo/1"}`))
	if err != nil {
		t.Fatal(err)
	}
	pid := parsedEcho(t, out).Pid
	r.Close()
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
		t.Errorf("process %d still runs after Close", pid)
	}
	if _, err := r.Invoke(context.Background(), "EchoFunction", []byte(`{}`)); err == nil {
		t.Error("Invoke after Close succeeded")
	}
}

// The table is created from the template when a DynamoDB endpoint is given, and the
// functions are pointed at it.
func TestNewCreatesTable(t *testing.T) {
	ctx := context.Background()
	endpoint, stop, err := dynamolocal.Endpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	name := "samlocal-test-" + time.Now().Format("150405.000000")
	r, _ := newRunner(t, samlocal.Config{DynamoDBEndpoint: endpoint, TableName: name})
	client, _ := dynamolocal.Client(ctx, endpoint)
	if _, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}); err != nil {
		t.Fatalf("table not created: %v", err)
	}
	defer client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})

	out, err := r.Invoke(ctx, "EchoFunction", []byte(`{"rawPath":"/echo/1"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := parsedEcho(t, out).Env["AWS_ENDPOINT_URL_DYNAMODB"]; got != endpoint {
		t.Errorf("AWS_ENDPOINT_URL_DYNAMODB = %q, want %q", got, endpoint)
	}
	// A second runner accepts the existing table.
	newRunner(t, samlocal.Config{DynamoDBEndpoint: endpoint, TableName: name})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parseResponse turns a function's output into what the HTTP API would answer.
func parseResponse(t *testing.T, out []byte) (*http.Response, []byte) {
	t.Helper()
	resp, err := samlocal.ParseResponse(out)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Response{StatusCode: resp.StatusCode, Header: resp.Header}, resp.Body
}
