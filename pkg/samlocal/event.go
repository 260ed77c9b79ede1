package samlocal

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// NewEvent translates an HTTP request into the event an API Gateway HTTP API sends a Lambda
// integration (payload format 2.0). routeKey is the matched route ("GET /items/{id}"),
// params its path parameters, body the request body already read.
func NewEvent(r *http.Request, body []byte, routeKey string, params map[string]string, requestID string, now time.Time) events.APIGatewayV2HTTPRequest {
	sourceIP := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = host
	}
	headers := map[string]string{}
	var cookies []string
	for name, values := range r.Header {
		name = strings.ToLower(name)
		if name == "cookie" { // API Gateway moves cookies out of the headers
			for _, v := range values {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[name] = strings.Join(values, ",")
	}
	headers["host"] = r.Host
	headers["content-length"] = strconv.Itoa(len(body))
	if xff := headers["x-forwarded-for"]; xff != "" {
		headers["x-forwarded-for"] = xff + ", " + sourceIP
	} else {
		headers["x-forwarded-for"] = sourceIP
	}
	headers["x-forwarded-proto"] = "http"
	if _, port, err := net.SplitHostPort(r.Host); err == nil {
		headers["x-forwarded-port"] = port
	} else {
		headers["x-forwarded-port"] = "80"
	}
	headers["x-amzn-trace-id"] = strings.SplitN(traceID(), ";", 2)[0]

	var query map[string]string
	if r.URL.RawQuery != "" {
		values, _ := url.ParseQuery(r.URL.RawQuery) // keep what parses, as API Gateway does
		query = make(map[string]string, len(values))
		for k, v := range values {
			query[k] = strings.Join(v, ",")
		}
	}
	if len(params) == 0 {
		params = nil
	}

	domainPrefix, _, _ := strings.Cut(r.Host, ".")
	if h, _, err := net.SplitHostPort(domainPrefix); err == nil {
		domainPrefix = h
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              routeKey,
		RawPath:               r.URL.Path, // HTTP APIs pass the decoded path
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     routeKey,
			AccountID:    "123456789012",
			Stage:        "$default",
			RequestID:    requestID,
			APIID:        "local",
			DomainName:   r.Host,
			DomainPrefix: domainPrefix,
			Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if utf8.Valid(body) {
		ev.Body = string(body)
	} else {
		ev.Body = base64.StdEncoding.EncodeToString(body)
		ev.IsBase64Encoded = true
	}
	return ev
}

// Response is what API Gateway makes of a function's output: status, headers and body.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// ParseResponse interprets a function's output the way an HTTP API does for payload format
// 2.0: a JSON object with a statusCode is a structured response (headers,
// multiValueHeaders, cookies, body, isBase64Encoded); any other valid JSON is returned as
// the body of a 200 application/json response.
func ParseResponse(out []byte) (*Response, error) {
	if !json.Valid(out) {
		return nil, errors.New("function output is not JSON")
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(out, &probe) != nil || probe["statusCode"] == nil {
		return &Response{
			StatusCode: http.StatusOK,
			Header:     http.Header{"Content-Type": {"application/json"}},
			Body:       out,
		}, nil
	}
	var fr events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &fr); err != nil {
		return nil, fmt.Errorf("malformed function response: %w", err)
	}
	if fr.StatusCode < 100 || fr.StatusCode > 599 {
		return nil, fmt.Errorf("malformed function response: statusCode %d", fr.StatusCode)
	}
	resp := &Response{StatusCode: fr.StatusCode, Header: http.Header{}, Body: []byte(fr.Body)}
	for _, k := range sortedKeys(fr.MultiValueHeaders) {
		for _, v := range fr.MultiValueHeaders[k] {
			resp.Header.Add(k, v)
		}
	}
	for _, k := range sortedKeys(fr.Headers) {
		resp.Header.Set(k, fr.Headers[k])
	}
	for _, c := range fr.Cookies {
		resp.Header.Add("Set-Cookie", c)
	}
	if fr.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(fr.Body)
		if err != nil {
			return nil, fmt.Errorf("malformed function response: body is not base64: %w", err)
		}
		resp.Body = b
	}
	return resp, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
