package flows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/acme/customers/pkg/api"
)

// A value of a field is, by its type: a string (string, date), an int64 (integer), a float64
// (float) or a bool (boolean); nil is null. Dates are "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS",
// as the original writes them.

// MaxSafeInteger bounds integer values: beyond it a JavaScript client (the official SDK)
// would read a different number.
const MaxSafeInteger = 1<<53 - 1

var slugValue = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Decode reads a field's JSON value as its type's Go value, or says in one sentence what is
// wrong (the caller names the member). null is nil: whether null is allowed is not Decode's
// business.
func (f *Field) Decode(raw json.RawMessage) (any, string) {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return nil, ""
	}
	v, ok := decodeAs(f.Type, raw)
	if !ok {
		return nil, "must be " + typeNoun[f.Type]
	}
	if msg := f.Check(v); msg != "" {
		return nil, msg
	}
	return v, ""
}

var typeNoun = map[FieldType]string{
	String:  "a string",
	Integer: fmt.Sprintf("a whole number from -%d to %d", MaxSafeInteger, MaxSafeInteger),
	Boolean: "true or false",
	Float:   "a number, 0 or of a magnitude from 1e-130 to 1e125",
	Date:    `a date, "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS"`,
}

// decodeAs reads raw as a value of type t.
func decodeAs(t FieldType, raw json.RawMessage) (any, bool) {
	switch t {
	case String, Date:
		var s string
		if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			return nil, false
		}
		if t == Date && !IsDate(s) {
			return nil, false
		}
		return s, true
	case Integer:
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || n > MaxSafeInteger || n < -MaxSafeInteger {
			return nil, false
		}
		return n, true
	case Float:
		if len(raw) == 0 || !(raw[0] == '-' || '0' <= raw[0] && raw[0] <= '9') {
			return nil, false
		}
		x, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || !storable(x) {
			return nil, false
		}
		return x, true
	case Boolean:
		b, err := api.Boolean("", raw)
		return b, err == nil
	}
	return nil, false
}

// storable reports whether DynamoDB can store x: 0, or a magnitude from 1e-130 to just
// under 1e126.
func storable(x float64) bool {
	a := math.Abs(x)
	return x == 0 || a >= 1e-130 && a < 1e126
}

// IsDate reports whether s is a date as fields take them: a real calendar day,
// "YYYY-MM-DD", optionally with a time "HH:MM:SS" after one space.
func IsDate(s string) bool {
	layout := time.DateOnly
	if len(s) > len(time.DateOnly) {
		layout = time.DateTime
	}
	t, err := time.Parse(layout, s)
	return err == nil && t.Format(layout) == s
}

// Check holds a non-null value of the field's type to the field's rules, and its length
// when it is text; it returns what is wrong in one sentence ("" when nothing is).
func (f *Field) Check(v any) string {
	if s, ok := v.(string); ok {
		if len(s) > MaxTextValue {
			return fmt.Sprintf("must be at most %d bytes (UTF-8)", MaxTextValue)
		}
		if strings.ContainsFunc(s, isControl) {
			return "must not contain control characters"
		}
	}
	for _, r := range f.Rules {
		if msg := r.check(v); msg != "" {
			return msg
		}
	}
	return ""
}

func isControl(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f }

func (r Rule) check(v any) string {
	switch r.Type {
	case "enum":
		if !slices.ContainsFunc(r.Options, func(o any) bool { return equal(o, v) }) {
			return "must be one of " + listOptions(r.Options)
		}
	case "email":
		if s, _ := v.(string); len(s) > 254 || !api.IsEmail(s) {
			return "must be an email address"
		}
	case "slug":
		if s, _ := v.(string); !slugValue.MatchString(s) {
			return "must be a slug: letters, digits, hyphens and underscores"
		}
	case "between":
		x := number(v)
		if x < r.From || x > r.To {
			return "must be from " + formatNumber(r.From) + " to " + formatNumber(r.To)
		}
	}
	return ""
}

// equal compares two values of one field.
func equal(a, b any) bool {
	if x, ok := a.(float64); ok {
		return x == number(b)
	}
	if n, ok := a.(int64); ok {
		m, ok := b.(int64)
		return ok && n == m
	}
	return a == b
}

func number(v any) float64 {
	switch n := v.(type) {
	case int64:
		return float64(n)
	case float64:
		return n
	}
	return math.NaN()
}

func formatNumber(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// listOptions renders an enum's options for an error, the first ten of them.
func listOptions(opts []any) string {
	parts := make([]string, 0, min(len(opts), 10))
	for _, o := range opts[:min(len(opts), 10)] {
		b, _ := json.Marshal(o)
		parts = append(parts, string(b))
	}
	s := strings.Join(parts, ", ")
	if len(opts) > 10 {
		s += fmt.Sprintf(" (and %d more)", len(opts)-10)
	}
	return s
}
