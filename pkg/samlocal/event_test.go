package samlocal

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		status  int
		body    string
		header  string // Name: value expected in the response
		wantErr bool
	}{
		{name: "structured", out: `{"statusCode":201,"headers":{"x-a":"1"},"body":"hi"}`, status: 201, body: "hi", header: "X-A: 1"},
		{name: "base64", out: `{"statusCode":200,"body":"aGk=","isBase64Encoded":true}`, status: 200, body: "hi"},
		{name: "headers win over multiValueHeaders", out: `{"statusCode":200,"headers":{"x-a":"h"},"multiValueHeaders":{"x-a":["m1","m2"]}}`, status: 200, header: "X-A: h"},
		{name: "no statusCode", out: `{"ok":true}`, status: 200, body: `{"ok":true}`, header: "Content-Type: application/json"},
		{name: "JSON string", out: `"hi"`, status: 200, body: `"hi"`},
		{name: "not JSON", out: `hi`, wantErr: true},
		{name: "statusCode not a number", out: `{"statusCode":"200"}`, wantErr: true},
		{name: "statusCode out of range", out: `{"statusCode":42}`, wantErr: true},
		{name: "bad base64", out: `{"statusCode":200,"body":"!!","isBase64Encoded":true}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := ParseResponse([]byte(tt.out))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("want an error, got %+v", resp)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || string(resp.Body) != tt.body {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, resp.Body, tt.status, tt.body)
			}
			if name, value, ok := strings.Cut(tt.header, ": "); ok && resp.Header.Get(name) != value {
				t.Errorf("header %s = %q, want %q", name, resp.Header.Get(name), value)
			}
		})
	}
}

func TestNewEventForwardedFor(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "http://api.local:3000/x", nil)
	r.RemoteAddr = "10.0.0.7:5555"
	r.Header.Set("X-Forwarded-For", "1.2.3.4")
	ev := NewEvent(r, nil, "GET /x", nil, "id", time.Unix(0, 0))
	if got := ev.Headers["x-forwarded-for"]; got != "1.2.3.4, 10.0.0.7" {
		t.Errorf("x-forwarded-for %q", got)
	}
	if ev.Headers["x-forwarded-port"] != "3000" || ev.RequestContext.DomainPrefix != "api" || ev.QueryStringParameters != nil || ev.PathParameters != nil {
		t.Errorf("event %+v", ev)
	}
	if ev.RequestContext.Time != "01/Jan/1970:00:00:00 +0000" {
		t.Errorf("time %q", ev.RequestContext.Time)
	}
}

func TestRouteOrder(t *testing.T) {
	routes := []Route{
		{Method: "ANY", Path: "$default", Function: "default"},
		{Method: "GET", Path: "/items/{id}", Function: "get"},
		{Method: "ANY", Path: "/items/{id}", Function: "any"},
		{Method: "GET", Path: "/items/new", Function: "new"},
		{Method: "GET", Path: "/items/{proxy+}", Function: "greedy"},
		{Method: "GET", Path: "/things", Function: "things"},
	}
	api, err := NewAPI(APIConfig{Routes: routes, Invoke: func(context.Context, string, []byte) ([]byte, error) { return nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ method, path, want string }{
		{"GET", "/items/new", "new"},
		{"GET", "/items/7", "get"},
		{"PUT", "/items/7", "any"},
		{"GET", "/items/7/parts", "greedy"},
		{"GET", "/other", "default"},
		{"GET", "/things", "things"},
		{"DELETE", "/things", "default"}, // a path's other methods fall through to $default
	} {
		rt, _ := api.match(tt.method, tt.path)
		if rt == nil || rt.Function != tt.want {
			t.Errorf("%s %s matched %+v, want %s", tt.method, tt.path, rt, tt.want)
		}
	}
	if _, err := NewAPI(APIConfig{Routes: routes[1:2:2], Invoke: api.invoke}); err != nil {
		t.Error(err)
	}
	if _, err := NewAPI(APIConfig{Routes: append(routes, routes[1]), Invoke: api.invoke}); err == nil {
		t.Error("a duplicate route was accepted")
	}
}

// The $default route gets what API Gateway sends it: route key "$default", the method and
// path as asked, no path parameters.
func TestDefaultRouteEvent(t *testing.T) {
	var got struct {
		function string
		event    events.APIGatewayV2HTTPRequest
	}
	api, err := NewAPI(APIConfig{
		Routes: []Route{{Method: "GET", Path: "/things/{id}", Function: "get"}, {Method: "ANY", Path: "$default", Function: "default"}},
		Invoke: func(_ context.Context, fn string, event []byte) ([]byte, error) {
			got.function = fn
			if err := json.Unmarshal(event, &got.event); err != nil {
				return nil, err
			}
			return []byte(`{"statusCode":404,"headers":{"Content-Type":"application/json; charset=utf-8"},"body":"{}"}`), nil
		},
		Log: io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ method, path string }{{"PATCH", "/things/7"}, {"GET", "/nowhere"}} {
		w := httptest.NewRecorder()
		api.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
		ev := got.event
		if w.Code != 404 || got.function != "default" || ev.RouteKey != "$default" || ev.RequestContext.RouteKey != "$default" ||
			ev.RequestContext.HTTP.Method != tt.method || ev.RawPath != tt.path || ev.PathParameters != nil {
			t.Errorf("%s %s: %d from %q, event %+v", tt.method, tt.path, w.Code, got.function, ev)
		}
	}
}
