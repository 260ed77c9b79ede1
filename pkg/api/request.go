package api

import (
	"encoding/base64"
	"maps"
	"mime"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/acme/customers/pkg/problem"
)

// MaxBody is the largest request body the service reads (1 MiB).
const MaxBody = 1 << 20

// Request is the parts of an HTTP API event that handlers use.
type Request struct {
	ID       string
	Method   string
	RouteKey string
	Path     string
	// SourceIP is the client's address as API Gateway saw the connection (not a header the
	// client could set).
	SourceIP string
	// headers holds lower-cased names (payload v2 already lower-cases them).
	headers map[string]string
	params  map[string]string
	// query holds each parameter of rawQueryString, percent-decoded, with '+' kept as is.
	query map[string][]string
	// raw holds the same parameters' values as sent, not decoded.
	raw map[string][]string
	// queryErr refuses the first parameter whose name or value is not valid UTF-8.
	queryErr error
	rawBody  string
	base64   bool
	host     string
}

func newRequest(ev events.APIGatewayV2HTTPRequest) *Request {
	h := make(map[string]string, len(ev.Headers))
	for k, v := range ev.Headers {
		h[strings.ToLower(k)] = v
	}
	query, raw, queryErr := parseQuery(ev.RawQueryString)
	host := ev.RequestContext.DomainName
	if host == "" {
		host = h["host"]
	}
	return &Request{
		ID:       ev.RequestContext.RequestID,
		Method:   ev.RequestContext.HTTP.Method,
		RouteKey: ev.RouteKey,
		Path:     ev.RawPath,
		SourceIP: ev.RequestContext.HTTP.SourceIP,
		headers:  h,
		params:   ev.PathParameters,
		query:    query,
		raw:      raw,
		queryErr: queryErr,
		rawBody:  ev.Body,
		base64:   ev.IsBase64Encoded,
		host:     host,
	}
}

// Header returns a request header by case-insensitive name.
func (r *Request) Header(name string) string { return r.headers[strings.ToLower(name)] }

// Param returns a path parameter.
func (r *Request) Param(name string) string { return r.params[name] }

// Params returns a copy of every path parameter.
func (r *Request) Params() map[string]string { return maps.Clone(r.params) }

// parseQuery splits a raw query string without turning '+' into a space: the official SDK
// never encodes its query, so a '+' it sends is a literal plus (an email such as
// ron+1@example.com). Filter parsing decides per field what '+' means. err refuses the first
// parameter whose name or value, decoded, is not valid UTF-8: no text of ours holds such
// bytes, and a value that does would reach DynamoDB as a key it refuses.
func parseQuery(raw string) (decoded, undecoded map[string][]string, err error) {
	decoded, undecoded = map[string][]string{}, map[string][]string{}
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.PathUnescape(k); err == nil {
			k = dk
		}
		undecoded[k] = append(undecoded[k], v)
		if dv, err := url.PathUnescape(v); err == nil {
			v = dv
		}
		decoded[k] = append(decoded[k], v)
		if err == nil && !(utf8.ValidString(k) && utf8.ValidString(v)) {
			err = &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: problem.Quote(k),
				Detail: "the query parameter " + problem.Quote(k) + " is not valid UTF-8"}
		}
	}
	return decoded, undecoded, err
}

// RawQuery is Query's value as sent, not decoded (the filter grammar decodes it itself).
func (r *Request) RawQuery(name string) (string, bool, error) {
	if _, ok, err := r.Query(name); !ok || err != nil {
		return "", ok, err
	}
	return r.raw[name][0], true, nil
}

// Query returns the single value of a query parameter. A parameter given twice is a 400:
// there is no safe way to pick one.
func (r *Request) Query(name string) (string, bool, error) {
	vs, ok := r.query[name]
	if !ok {
		return "", false, nil
	}
	if len(vs) > 1 {
		return "", false, problem.Bad("Bad Request", name+" is given more than once")
	}
	return vs[0], true, nil
}

// Body returns the raw request body, decoded from base64 when the gateway encoded it.
func (r *Request) Body() ([]byte, error) {
	if len(r.rawBody) > MaxBody*4/3+4 {
		return nil, tooLarge()
	}
	b := []byte(r.rawBody)
	if r.base64 {
		d, err := base64.StdEncoding.DecodeString(r.rawBody)
		if err != nil {
			return nil, problem.Bad("Bad Request", "the body is not valid base64")
		}
		b = d
	}
	if len(b) > MaxBody {
		return nil, tooLarge()
	}
	return b, nil
}

func tooLarge() error {
	return problem.New(problem.TooLarge, "Request Entity Too Large", "the body is larger than 1 MiB")
}

// MediaType returns the request's Content-Type without parameters, lower-cased.
func (r *Request) MediaType() string {
	ct := r.Header("content-type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(ct))
	}
	return mt
}

// BaseURL is the scheme and host the caller used, for absolute links.
func (r *Request) BaseURL() string {
	scheme := "https"
	if p := r.Header("x-forwarded-proto"); p == "http" || p == "https" {
		scheme = p
	}
	return scheme + "://" + r.host
}
