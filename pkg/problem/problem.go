// Package problem defines the service's error values: every expected failure carries a
// Kind, and package api maps kinds to HTTP statuses in one table. Anything that is not a
// *Error is an internal failure and is never shown to a caller.
package problem

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind classifies a failure. Package api owns the kind → HTTP status table.
type Kind int

const (
	Internal           Kind = iota // a bug or an unexpected dependency failure (500)
	BadRequest                     // malformed request, bad query parameter (400)
	Unauthorized                   // missing, malformed, forged or expired access token (401)
	Forbidden                      // a valid token without the right, or a bad customer token (403)
	NotFound                       // no such resource (404)
	MethodNotAllowed               // (405)
	Conflict                       // uniqueness or concurrent-write conflict (409)
	TooLarge                       // request body over the limit (413)
	UnsupportedMedia               // Content-Type the endpoint does not take (415)
	Unprocessable                  // a field failed validation (422)
	TooManyRequests                // throttled (429)
	Unavailable                    // a dependency is throttling or timed out (503)
	PreconditionFailed             // If-Match names another version than the resource's (412)
)

// Error is one problem with a request, rendered as one entry of the contract's
// {"errors":[...]} envelope.
type Error struct {
	Kind   Kind
	Title  string
	Detail string
	Source string
	// RetryAfter, when set, becomes the Retry-After header (429 and 503).
	RetryAfter time.Duration
	// Allow, when set, becomes the Allow header: the methods the path does have (405).
	Allow []string
	// ETag, when set, becomes the ETag header: the resource's current tag (412).
	ETag string
	// Cause is logged, never rendered.
	Cause error
}

func (e *Error) Error() string {
	s := e.Title
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Cause }

// List is several problems reported together (one per invalid field).
type List []*Error

func (l List) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Err returns the list as an error, or nil when it is empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Problems extracts the problems carried by err. ok is false for internal errors.
func Problems(err error) (List, bool) {
	var l List
	if errors.As(err, &l) {
		return l, true
	}
	var e *Error
	if errors.As(err, &e) {
		return List{e}, true
	}
	return nil, false
}

// Is reports whether err carries a problem of kind k.
func Is(err error, k Kind) bool {
	l, ok := Problems(err)
	if !ok {
		return false
	}
	for _, e := range l {
		if e.Kind == k {
			return true
		}
	}
	return false
}

// Invalid is a customer-validation failure (422, title "Failed Validation") on one field.
func Invalid(source, detail string) *Error {
	return &Error{Kind: Unprocessable, Title: "Failed Validation", Detail: detail, Source: source}
}

// Bad is a 400 with a title and detail.
func Bad(title, detail string) *Error {
	return &Error{Kind: BadRequest, Title: title, Detail: detail}
}

// New is a problem of kind k.
func New(k Kind, title, detail string) *Error {
	return &Error{Kind: k, Title: title, Detail: detail}
}

// Missing reports a resource that does not exist (404).
func Missing(what string) *Error {
	return &Error{Kind: NotFound, Title: "Not Found", Detail: what + " not found"}
}

// Denied reports a valid caller without the right (403).
func Denied(detail string) *Error {
	return &Error{Kind: Forbidden, Title: "Forbidden", Detail: detail}
}

// maxQuoted bounds the bytes of client-sent text (a member name, a value) that an error
// repeats: a body may hold names of any length, and an answer must stay small.
const maxQuoted = 64

// Quote returns s for an error's detail or source, cut to at most 64 bytes at a character
// boundary (with "…" after a cut) and with invalid UTF-8 replaced.
func Quote(s string) string {
	if len(s) <= maxQuoted {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.ToValidUTF8(s[:cut], "\uFFFD") + "…"
}
