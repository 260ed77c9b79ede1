// Package filter parses the `filter` query parameter of list endpoints into a typed
// expression: op(field,value[,value...]) joined by ':' (AND), as Elastic Path's API writes
// it. Which fields exist and which operators each allows is the caller's Schema, so the
// same grammar serves customers and, later, orders.
//
// Parse takes the raw, undecoded query text: %XX escapes are decoded (a client may encode
// the whole expression, parentheses and commas included), and an unencoded '+' is a space,
// except in email values, where it is a literal plus (the official SDK sends plus-addressed
// emails unencoded, and emails hold no spaces); '%2B' is always a plus. Values may be quoted
// with " or ' and use backslash escapes inside the quotes. The decoded text must be valid
// UTF-8. What a time value stands for (TimeRange, MatchTime) is said here too, once for
// every resource, so that matching a row and a store's key range on a time agree.
package filter

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Op is a comparison operator.
type Op string

// The operators of the grammar.
const (
	Eq    Op = "eq"
	Like  Op = "like"
	ILike Op = "ilike"
	In    Op = "in"
	Gt    Op = "gt"
	Ge    Op = "ge"
	Lt    Op = "lt"
	Le    Op = "le"
)

var knownOps = map[Op]bool{Eq: true, Like: true, ILike: true, In: true, Gt: true, Ge: true, Lt: true, Le: true}

// Kind is what a field's values are, which decides how they are read.
type Kind int

const (
	String Kind = iota // free text: '+' is a space
	Email              // an email: '+' is literal
	Time               // a timestamp: RFC 3339, YYYY-MM-DD, or Unix milliseconds
)

// Field is one filterable field of a resource.
type Field struct {
	Kind Kind
	Ops  []Op
	// MaxLen bounds a value in bytes (0: no bound): what the field can hold. A longer value
	// cannot match, and could make a key DynamoDB refuses (over 1,024 bytes): it is refused.
	MaxLen int
}

// Schema is the filterable fields of a resource, by name.
type Schema map[string]Field

// Limits of the grammar.
const (
	MaxExprs   = 10
	MaxLen     = 8 << 10 // bytes of the raw parameter
	MaxInValue = 200     // values of one in(...)
)

// Pattern is a like/ilike value: the text between the wildcards and where they were.
type Pattern struct {
	Text           string
	Prefix, Suffix bool // a '*' at the start (anything may come before) / at the end
}

// Expr is one comparison.
type Expr struct {
	Op     Op
	Field  string
	Values []string    // decoded values (one, or several for in)
	Times  []time.Time // Values as times, for Time fields
	Like   Pattern     // for like and ilike
}

// Filter is the AND of its expressions.
type Filter []Expr

// Error is a filter the grammar or the schema refuses; its message says what is wrong.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// Parse parses raw, the undecoded text of the filter parameter, against schema.
func Parse(raw string, schema Schema) (Filter, error) {
	if len(raw) > MaxLen {
		return nil, errorf("the filter is longer than %d bytes", MaxLen)
	}
	// Mark the unencoded pluses before decoding, so that each value can decide what they mean.
	text, err := url.PathUnescape(strings.ReplaceAll(raw, "+", plusMark))
	if err != nil {
		return nil, errorf("the filter holds a broken %%-escape")
	}
	if !utf8.ValidString(text) {
		// Values become DynamoDB keys, which must be text.
		return nil, errorf("the filter is not valid UTF-8 (once %%-decoded)")
	}
	p := &parser{s: text}
	var f Filter
	for {
		if len(f) == MaxExprs {
			return nil, errorf("a filter may hold at most %d expressions", MaxExprs)
		}
		e, err := p.expr(schema)
		if err != nil {
			return nil, err
		}
		f = append(f, e)
		if p.done() {
			return f, nil
		}
		if !p.eat(':') {
			return nil, errorf("expected ':' between expressions at position %d", p.i+1)
		}
	}
}

type parser struct {
	s string
	i int
}

func (p *parser) done() bool { return p.i >= len(p.s) }

func (p *parser) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.i]
}

func (p *parser) eat(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

// plusMark stands for an unencoded '+' until a value decides whether it is a space.
const plusMark = "\uE000"

// skipSpaces skips spaces (and unencoded pluses, unless they are literal here).
func (p *parser) skipSpaces(plusIsLiteral ...bool) {
	literal := len(plusIsLiteral) > 0 && plusIsLiteral[0]
	for !p.done() {
		switch {
		case p.s[p.i] == ' ':
			p.i++
		case !literal && strings.HasPrefix(p.s[p.i:], plusMark):
			p.i += len(plusMark)
		default:
			return
		}
	}
}

// word reads an operator or field name.
func (p *parser) word() string {
	start := p.i
	for !p.done() {
		c := p.s[p.i]
		if c == '_' || c == '.' || c == '-' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i]
}

func (p *parser) expr(schema Schema) (Expr, error) {
	var e Expr
	if p.peek() == '(' {
		return e, errorf("grouping with parentheses and '|' (OR) is not supported; join expressions with ':'")
	}
	start := p.i
	e.Op = Op(p.word())
	if e.Op == "" {
		return e, errorf("expected an operator such as eq( at position %d", start+1)
	}
	if !knownOps[e.Op] {
		return e, errorf("unknown operator %q: the operators are eq, like, ilike, in, gt, ge, lt, le", e.Op)
	}
	if !p.eat('(') {
		return e, errorf("expected '(' after %s", e.Op)
	}
	p.skipSpaces()
	e.Field = p.word()
	fs, ok := schema[e.Field]
	if e.Field == "" {
		return e, errorf("expected a field name after %s(", e.Op)
	}
	if !ok {
		return e, errorf("unknown field %q: filterable fields are %s", e.Field, schema.names())
	}
	if !fs.allows(e.Op) {
		return e, errorf("operator %s is not allowed on %s; allowed: %s", e.Op, e.Field, fs.opNames())
	}
	p.skipSpaces()
	for {
		if !p.eat(',') {
			if p.done() {
				return e, errorf("unbalanced parentheses: %s( is not closed", e.Op)
			}
			return e, errorf("expected ',' and a value after %s(%s", e.Op, e.Field)
		}
		v, err := p.value(fs.Kind)
		if err != nil {
			return e, err
		}
		if fs.MaxLen > 0 && len(v) > fs.MaxLen {
			return e, errorf("a %s value is longer than any %s can be", e.Field, e.Field)
		}
		e.Values = append(e.Values, v)
		if p.eat(')') {
			break
		}
		if p.done() {
			return e, errorf("unbalanced parentheses: %s( is not closed", e.Op)
		}
		if p.peek() != ',' {
			return e, errorf("unexpected %q in %s(%s, ...)", p.peek(), e.Op, e.Field)
		}
	}
	switch {
	case e.Op != In && len(e.Values) != 1:
		return e, errorf("%s takes one value; use in(%s,a,b) for several", e.Op, e.Field)
	case len(e.Values) > MaxInValue:
		return e, errorf("in takes at most %d values", MaxInValue)
	}
	if p.peek() == ')' {
		return e, errorf("unbalanced parentheses: an extra ')' at position %d", p.i+1)
	}
	if e.Op == Like || e.Op == ILike {
		e.Like = pattern(e.Values[0])
	}
	if fs.Kind == Time {
		for _, v := range e.Values {
			t, err := ParseTime(v)
			if err != nil {
				return e, errorf("%q is not a date for %s: use 2006-01-02, 2006-01-02T15:04:05Z or Unix milliseconds", v, e.Field)
			}
			e.Times = append(e.Times, t)
		}
	}
	return e, nil
}

// value reads one operand: quoted, or up to the next ',' or ')'.
func (p *parser) value(kind Kind) (string, error) {
	p.skipSpaces(kind == Email || kind == Time)
	if q := p.peek(); q == '"' || q == '\'' {
		p.i++
		var b strings.Builder
		for {
			if p.done() {
				return "", errorf("a quoted value is not closed")
			}
			c := p.s[p.i]
			p.i++
			switch {
			case c == '\\':
				if p.done() {
					return "", errorf("a quoted value ends with a backslash")
				}
				b.WriteByte(p.s[p.i])
				p.i++
			case c == q:
				p.skipSpaces(kind == Email || kind == Time)
				if c := p.peek(); c != ',' && c != ')' && !p.done() {
					return "", errorf("unexpected %q after a quoted value", c)
				}
				return decode(b.String(), kind)
			default:
				b.WriteByte(c)
			}
		}
	}
	start := p.i
	for !p.done() && p.s[p.i] != ',' && p.s[p.i] != ')' {
		if p.s[p.i] == '(' {
			return "", errorf("unbalanced parentheses: '(' inside a value at position %d", p.i+1)
		}
		p.i++
	}
	return decode(p.s[start:p.i], kind)
}

// decode settles what the unencoded pluses of a value mean: a space, except in emails and
// times (an offset such as +02:00), which hold no spaces.
func decode(s string, kind Kind) (string, error) {
	if kind == Email || kind == Time {
		return strings.ReplaceAll(s, plusMark, "+"), nil
	}
	return strings.ReplaceAll(s, plusMark, " "), nil
}

// pattern reads '*' wildcards at the start and end of a like value; others are literal.
func pattern(v string) Pattern {
	var p Pattern
	if strings.HasPrefix(v, "*") {
		p.Prefix, v = true, v[1:]
	}
	if strings.HasSuffix(v, "*") {
		p.Suffix, v = true, v[:len(v)-1]
	}
	p.Text = v
	return p
}

// ParseTime reads RFC 3339 (with or without fractions), a date (midnight UTC), or Unix
// milliseconds.
func ParseTime(v string) (time.Time, error) {
	t, err := parseTime(v)
	if err != nil || t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, errorf("not a time between the years 1 and 9999")
	}
	return t, nil
}

func parseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms >= 0 {
		return time.UnixMilli(ms).UTC(), nil
	}
	return time.Time{}, errorf("not a time")
}

// TimeRange is the instants a time value stands for, at the precision it was written in:
// a date is its whole day (UTC), a time without fractions its second, Unix milliseconds
// their millisecond, and fractions the digits given. eq matches the range; gt is after it,
// ge from its start, lt before its start, le up to its end (MatchTime; a store's key
// ranges on time indexes follow the same rule).
func TimeRange(raw string, t time.Time) (from, to time.Time) {
	switch {
	case len(raw) == len("2006-01-02") && strings.Count(raw, "-") == 2:
		return t, t.Add(24 * time.Hour)
	case !strings.ContainsAny(raw, "T:"):
		return t, t.Add(time.Millisecond)
	}
	digits := 0
	if i := strings.IndexByte(raw, '.'); i >= 0 {
		for j := i + 1; j < len(raw) && raw[j] >= '0' && raw[j] <= '9'; j++ {
			digits++
		}
	}
	step := time.Second
	for ; digits > 0 && step > time.Nanosecond; digits-- {
		step /= 10
	}
	return t, t.Add(step)
}

// MatchTime reports whether v satisfies e, an expression on a Time field, by TimeRange.
func MatchTime(v time.Time, e Expr) bool {
	from, to := TimeRange(e.Values[0], e.Times[0])
	switch e.Op {
	case Eq:
		return !v.Before(from) && v.Before(to)
	case Gt:
		return !v.Before(to)
	case Ge:
		return !v.Before(from)
	case Lt:
		return v.Before(from)
	case Le:
		return v.Before(to)
	}
	return false
}

func (f Field) allows(op Op) bool {
	for _, o := range f.Ops {
		if o == op {
			return true
		}
	}
	return false
}

func (f Field) opNames() string {
	names := make([]string, len(f.Ops))
	for i, o := range f.Ops {
		names[i] = string(o)
	}
	return strings.Join(names, ", ")
}

func (s Schema) names() string {
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// MatchText applies eq, in, like and ilike to v; with foldEq, eq and in ignore letter case
// (emails).
func MatchText(v string, e Expr, foldEq bool) bool {
	switch e.Op {
	case Eq, In:
		for _, want := range e.Values {
			if v == want || (foldEq && strings.EqualFold(v, want)) {
				return true
			}
		}
		return false
	case ILike:
		return MatchLike(strings.ToLower(v), Pattern{Text: strings.ToLower(e.Like.Text), Prefix: e.Like.Prefix, Suffix: e.Like.Suffix})
	case Like:
		return MatchLike(v, e.Like)
	}
	return false
}

// MatchLike matches v against a like pattern: '*' at the start and/or the end of the text.
func MatchLike(v string, p Pattern) bool {
	switch {
	case p.Prefix && p.Suffix:
		return strings.Contains(v, p.Text)
	case p.Prefix:
		return strings.HasSuffix(v, p.Text)
	case p.Suffix:
		return strings.HasPrefix(v, p.Text)
	}
	return v == p.Text
}
