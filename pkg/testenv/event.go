package testenv

import (
	"net"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/acme/customers/pkg/samlocal"
)

// Host is the host the events of Event are addressed to.
const Host = "api.example.test"

// Request describes one HTTP request to a route of template.yaml.
type Request struct {
	Route string // route key, e.g. "GET /v2/customers/{customerId}", or "$default"
	// Call is the method and path sent when they are not Route's: a request the $default
	// route serves, e.g. "PATCH /v2/customers/{customerId}". Its event has no path
	// parameters, as API Gateway sends none for $default.
	Call    string
	Path    map[string]string // path parameters, filled into Route's (or Call's) path
	Query   string            // raw query string
	Headers map[string]string // an empty value removes a default header
	Body    string
	Source  string // the client's address (sourceIp); 192.0.2.1 when empty
}

// Event is the API Gateway HTTP API event (payload 2.0) for r, made by the local runner's
// own translation, as it would arrive over HTTPS. A body gets Content-Type: application/json unless r.Headers says
// otherwise.
func Event(r Request) events.APIGatewayV2HTTPRequest {
	line, params := r.Route, r.Path
	if r.Call != "" {
		line, params = r.Call, nil
	}
	method, rawPath, _ := strings.Cut(line, " ")
	for k, v := range r.Path {
		rawPath = strings.ReplaceAll(rawPath, "{"+k+"}", v)
	}
	target := "http://" + Host + rawPath
	if r.Query != "" {
		target += "?" + r.Query
	}
	hr := httptest.NewRequest(method, target, strings.NewReader(r.Body))
	if r.Source != "" {
		hr.RemoteAddr = net.JoinHostPort(r.Source, "41234")
	}
	if r.Body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.Headers {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	ev := samlocal.NewEvent(hr, []byte(r.Body), r.Route, params, "req-1", time.Now())
	ev.Headers["x-forwarded-proto"] = "https" // as API Gateway in front of production
	return ev
}
