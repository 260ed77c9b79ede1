package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/acme/customers/pkg/problem"
)

// Response is what a handler returns: a status and a value rendered as JSON.
type Response = events.APIGatewayV2HTTPResponse

const contentTypeJSON = "application/json; charset=utf-8"

// statuses is the one table that maps problem kinds to HTTP statuses.
var statuses = map[problem.Kind]int{
	problem.Internal:         http.StatusInternalServerError,
	problem.BadRequest:       http.StatusBadRequest,
	problem.Unauthorized:     http.StatusUnauthorized,
	problem.Forbidden:        http.StatusForbidden,
	problem.NotFound:         http.StatusNotFound,
	problem.MethodNotAllowed: http.StatusMethodNotAllowed,
	problem.Conflict:         http.StatusConflict,
	problem.TooLarge:         http.StatusRequestEntityTooLarge,
	problem.UnsupportedMedia: http.StatusUnsupportedMediaType,
	problem.Unprocessable:    http.StatusUnprocessableEntity,
	problem.TooManyRequests:  http.StatusTooManyRequests,
	problem.Unavailable:      http.StatusServiceUnavailable,

	problem.PreconditionFailed: http.StatusPreconditionFailed,
}

// Status is the HTTP status of a problem kind.
func Status(k problem.Kind) int { return statuses[k] }

// JSON renders v with the given status.
func JSON(status int, v any) (Response, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // links hold '&'; escaping it as \u0026 is valid but unreadable
	if err := enc.Encode(v); err != nil {
		return Response{}, err
	}
	return Response{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": contentTypeJSON},
		Body:       strings.TrimSuffix(b.String(), "\n"),
	}, nil
}

// Data renders {"data": v}.
func Data(status int, v any) (Response, error) {
	return JSON(status, struct {
		Data any `json:"data"`
	}{v})
}

// NoStore marks a response that carries a credential as never to be cached, by the browser
// or anything between (RFC 6749 §5.1).
func NoStore(resp Response, err error) (Response, error) {
	if err == nil {
		resp.Headers["Cache-Control"] = "no-store"
		resp.Headers["Pragma"] = "no-cache"
	}
	return resp, err
}

// NoContent is a 204 without a body.
func NoContent() (Response, error) {
	return Response{StatusCode: http.StatusNoContent}, nil
}

type errorEntry struct {
	Status    int    `json:"status"`
	Title     string `json:"title"`
	Detail    string `json:"detail,omitempty"`
	Source    string `json:"source,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// MaxErrors bounds the entries of an error response: past it, one more entry says how many
// were left out, so that no body, however bad, makes an answer larger than a few KiB.
const MaxErrors = 20

// errorResponse renders the contract's error envelope. Internal errors become a 500 that
// names only the request id.
func errorResponse(err error, requestID string) Response {
	list, ok := problem.Problems(err)
	if !ok {
		list = problem.List{{Kind: problem.Internal, Title: "Internal Server Error",
			Detail: "an unexpected error occurred; quote the request id when reporting it"}}
	}
	if len(list) > MaxErrors {
		more := &problem.Error{Kind: list[0].Kind, Title: "Too Many Errors",
			Detail: strconv.Itoa(len(list)-MaxErrors) + " more problems are not listed; fix these first"}
		list = append(list[:MaxErrors:MaxErrors], more)
	}
	status := statuses[list[0].Kind]
	entries := make([]errorEntry, len(list))
	var retry int
	var allow []string
	var etag string
	for i, e := range list {
		entries[i] = errorEntry{Status: statuses[e.Kind], Title: e.Title, Detail: e.Detail, Source: e.Source}
		if e.Kind == problem.Internal || e.Kind == problem.Unavailable {
			entries[i].RequestID = requestID
		}
		if s := int((e.RetryAfter + 999_999_999) / 1_000_000_000); s > retry {
			retry = s
		}
		if len(e.Allow) > 0 && allow == nil {
			allow = e.Allow
		}
		if e.ETag != "" && etag == "" {
			etag = e.ETag
		}
	}
	resp, _ := JSON(status, struct {
		Errors []errorEntry `json:"errors"`
	}{entries})
	if retry > 0 {
		resp.Headers["Retry-After"] = strconv.Itoa(retry)
	}
	if allow != nil {
		resp.Headers["Allow"] = strings.Join(allow, ", ")
	}
	if etag != "" {
		resp.Headers["ETag"] = etag
	}
	return resp
}

// Redirect sends the browser to location (302 Found) and keeps what it carries (codes,
// states) out of caches and out of the Referer of the next page.
func Redirect(location string) (Response, error) {
	return Response{StatusCode: http.StatusFound, Headers: map[string]string{
		"Location": location, "Cache-Control": "no-store", "Pragma": "no-cache", "Referrer-Policy": "no-referrer"}}, nil
}
