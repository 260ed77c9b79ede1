package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/acme/customers/pkg/problem"
)

// The checks below read one member's JSON value for the resources whose validation errors
// are 400s (addresses, settings, cart items). Each names the member by its source
// ("data.price.amount") and titles what is wrong: "type" (not the JSON type asked for),
// "range", "length" or "format".

// BadMember is a 400 about one member of a body.
func BadMember(source, title, detail string) *problem.Error {
	return &problem.Error{Kind: problem.BadRequest, Title: title, Detail: detail, Source: source}
}

// WholeNumber reads a JSON integer from lo to hi: not "10", 1.5, 1.0 or 1e2.
func WholeNumber(source string, raw json.RawMessage, lo, hi int64) (int64, *problem.Error) {
	want := source + " must be a whole number from " + strconv.FormatInt(lo, 10) + " to " + strconv.FormatInt(hi, 10)
	v, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange), err == nil && (v < lo || v > hi):
		return 0, BadMember(source, "range", want)
	case err != nil:
		return 0, BadMember(source, "type", want)
	}
	return v, nil
}

// Boolean reads true or false.
func Boolean(source string, raw json.RawMessage) (bool, *problem.Error) {
	switch string(bytes.TrimSpace(raw)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, BadMember(source, "type", source+" must be true or false")
}

// Text reads a JSON string that CheckText accepts.
func Text(source string, raw json.RawMessage, max int, allow string) (string, *problem.Error) {
	var s string
	if !isJSONString(raw) || json.Unmarshal(raw, &s) != nil {
		return "", BadMember(source, "type", source+" must be a string")
	}
	return s, CheckText(source, s, max, allow)
}

// CheckText holds a text value to at most max characters, none of them a control
// character other than those in allow.
func CheckText(source, s string, max int, allow string) *problem.Error {
	if utf8.RuneCountInString(s) > max {
		return BadMember(source, "length", source+" must be at most "+strconv.Itoa(max)+" characters")
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && !strings.ContainsRune(allow, r) }) {
		return BadMember(source, "format", source+" must not contain control characters")
	}
	return nil
}

// IsEmail reports whether e is an email address the service takes: ASCII only
// (internationalised domains in their xn-- form), a local part of 1 to 64 bytes without
// leading, trailing or doubled dots, spaces or specials, and a domain of at least two
// labels of letters, digits and inner hyphens, each at most 63 bytes. Refusing non-ASCII
// addresses removes Unicode case-mapping collisions (ı, ſ, K) from uniqueness keys. The
// overall length is the caller's rule.
func IsEmail(e string) bool {
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || len(local) > 64 || strings.Contains(domain, "@") {
		return false
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),:;<>[\]`, c) >= 0 {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
				return false
			}
		}
	}
	return true
}
