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
