package api

import (
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/acme/customers/pkg/problem"
)

func TestParseQuery(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want map[string][]string
	}{
		{"", map[string][]string{}},
		{"&&", map[string][]string{}},
		{"a=1", map[string][]string{"a": {"1"}}},
		{"a", map[string][]string{"a": {""}}},
		{"a=", map[string][]string{"a": {""}}},
		{"a=1=2", map[string][]string{"a": {"1=2"}}},
		// '+' stays a literal plus; %20 and %2B are decoded.
		{"filter=eq(email,ron+1@example.com)", map[string][]string{"filter": {"eq(email,ron+1@example.com)"}}},
		{"filter=eq(name,Ron+Swanson)", map[string][]string{"filter": {"eq(name,Ron+Swanson)"}}},
		{"filter=eq(name,Ron%20Swanson)", map[string][]string{"filter": {"eq(name,Ron Swanson)"}}},
		{"filter=eq(email,ron%2B1@example.com)", map[string][]string{"filter": {"eq(email,ron+1@example.com)"}}},
		{"filter=eq(email,ron%2b1@example.com)", map[string][]string{"filter": {"eq(email,ron+1@example.com)"}}},
		{"filter=eq(name,%22a%26b%22)", map[string][]string{"filter": {`eq(name,"a&b")`}}},
		// Brackets arrive raw from the SDK or encoded from other clients.
		{"page[limit]=10&page[offset]=20", map[string][]string{"page[limit]": {"10"}, "page[offset]": {"20"}}},
		{"page%5Blimit%5D=10", map[string][]string{"page[limit]": {"10"}}},
		// Undecodable escapes are kept as sent.
		{"filter=eq(name,100%)", map[string][]string{"filter": {"eq(name,100%)"}}},
		{"a%zz=b%2", map[string][]string{"a%zz": {"b%2"}}},
		// Repeats are kept, for Query to refuse.
		{"sort=name&sort=email", map[string][]string{"sort": {"name", "email"}}},
		{"sort=name&sort=name", map[string][]string{"sort": {"name", "name"}}},
	} {
		if got, _, _ := parseQuery(tc.raw); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseQuery(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

func TestQuery(t *testing.T) {
	r := newTestRequest(nil, "sort=name&filter=a&filter=b&empty=&page%5Blimit%5D=5&page[limit]=6", "", false)
	for _, tc := range []struct {
		name, v string
		ok      bool
		bad     bool
	}{
		{"sort", "name", true, false},
		{"empty", "", true, false},
		{"absent", "", false, false},
		{"Sort", "", false, false},
		{"filter", "", false, true},
		{"page[limit]", "", false, true},
	} {
		v, ok, err := r.Query(tc.name)
		if v != tc.v || ok != tc.ok || (err != nil) != tc.bad {
			t.Errorf("Query(%q) = %q, %v, %v", tc.name, v, ok, err)
		}
		if tc.bad && !problem.Is(err, problem.BadRequest) {
			t.Errorf("Query(%q) err = %v, want a 400 problem", tc.name, err)
		}
	}
}

func TestRequestFields(t *testing.T) {
	ev := events.APIGatewayV2HTTPRequest{
		RouteKey:       "GET /v2/customers/{id}",
		RawPath:        "/v2/customers/abc",
		PathParameters: map[string]string{"id": "abc"},
		Headers: map[string]string{
			"X-Moltin-Customer-Token": "tok",
			"content-type":            "Application/JSON; Charset=UTF-8",
			"host":                    "ignored.example",
		},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID:  "req-9",
			DomainName: "api.example.test",
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"},
		},
	}
	r := newRequest(ev)
	if r.ID != "req-9" || r.Method != "GET" || r.RouteKey != "GET /v2/customers/{id}" || r.Path != "/v2/customers/abc" {
		t.Errorf("request = %+v", r)
	}
	for _, name := range []string{"X-Moltin-Customer-Token", "x-moltin-customer-token", "X-MOLTIN-CUSTOMER-TOKEN"} {
		if got := r.Header(name); got != "tok" {
			t.Errorf("Header(%q) = %q", name, got)
		}
	}
	if r.Header("authorization") != "" {
		t.Error("absent header not empty")
	}
	if r.Param("id") != "abc" || r.Param("other") != "" {
		t.Errorf("Param: %q %q", r.Param("id"), r.Param("other"))
	}
	if r.MediaType() != "application/json" {
		t.Errorf("MediaType = %q", r.MediaType())
	}
	if r.BaseURL() != "https://api.example.test" {
		t.Errorf("BaseURL = %q (the gateway's domain name wins over Host)", r.BaseURL())
	}
	// Without a domain name (a hand-made event) the Host header is used.
	ev.RequestContext.DomainName = ""
	if got := newRequest(ev).BaseURL(); got != "https://ignored.example" {
		t.Errorf("BaseURL without a domain name = %q", got)
	}
}

func TestBaseURLScheme(t *testing.T) {
	for _, tc := range []struct{ proto, want string }{
		{"", "https://api.example.test"},
		{"https", "https://api.example.test"},
		{"http", "http://api.example.test"},
		{"HTTP", "https://api.example.test"},
		{"ftp", "https://api.example.test"},
		{"javascript", "https://api.example.test"},
		{"http,https", "https://api.example.test"},
	} {
		r := newTestRequest(map[string]string{"x-forwarded-proto": tc.proto}, "", "", false)
		if got := r.BaseURL(); got != tc.want {
			t.Errorf("x-forwarded-proto %q: BaseURL = %q, want %q", tc.proto, got, tc.want)
		}
	}
}

func TestMediaType(t *testing.T) {
	for _, tc := range []struct{ ct, want string }{
		{"", ""},
		{"application/json", "application/json"},
		{"application/json; charset=utf-8", "application/json"},
		{"APPLICATION/JSON;CHARSET=UTF-8", "application/json"},
		{" application/json ", "application/json"},
		{"text/plain", "text/plain"},
		{"application/json, text/plain", "application/json, text/plain"},
	} {
		r := newTestRequest(map[string]string{"content-type": tc.ct}, "", "", false)
		if got := r.MediaType(); got != tc.want {
			t.Errorf("MediaType(%q) = %q, want %q", tc.ct, got, tc.want)
		}
	}
}
