package filter

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var customers = Schema{
	"email":        {Kind: Email, Ops: []Op{Eq, Like, ILike, In}},
	"name":         {Kind: String, Ops: []Op{Eq, Like, ILike, In}},
	"id":           {Kind: String, Ops: []Op{Eq, Gt, Ge, Lt, Le}},
	"created_at":   {Kind: Time, Ops: []Op{Eq, Gt, Ge, Lt, Le}},
	"external_ref": {Kind: String, Ops: []Op{Eq}},
}

func TestParse(t *testing.T) {
	day := time.Date(2018, 4, 16, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		raw  string
		want Filter
	}{
		{"eq(email,ron@swanson.com)", Filter{{Op: Eq, Field: "email", Values: []string{"ron@swanson.com"}}}},
		{"eq(email,ron+shop@swanson.com)", Filter{{Op: Eq, Field: "email", Values: []string{"ron+shop@swanson.com"}}}},
		{"eq(email,ron%2Bshop%40swanson.com)", Filter{{Op: Eq, Field: "email", Values: []string{"ron+shop@swanson.com"}}}},
		{"eq(name,Ron+Swanson)", Filter{{Op: Eq, Field: "name", Values: []string{"Ron Swanson"}}}},
		{"eq(name,Ron%20Swanson)", Filter{{Op: Eq, Field: "name", Values: []string{"Ron Swanson"}}}},
		{"eq(name,C%2B%2B)", Filter{{Op: Eq, Field: "name", Values: []string{"C++"}}}},
		{`eq(name,"Ron Swanson")`, Filter{{Op: Eq, Field: "name", Values: []string{"Ron Swanson"}}}},
		{`eq(name,'Food \'n Stuff')`, Filter{{Op: Eq, Field: "name", Values: []string{"Food 'n Stuff"}}}},
		{`eq(name,"a,b) c")`, Filter{{Op: Eq, Field: "name", Values: []string{"a,b) c"}}}},
		{"eq(name,+Ron)", Filter{{Op: Eq, Field: "name", Values: []string{"Ron"}}}}, // leading spaces dropped
		{"eq( name , Ron)", Filter{{Op: Eq, Field: "name", Values: []string{"Ron"}}}},
		{`eq(name,"Ron"+)`, Filter{{Op: Eq, Field: "name", Values: []string{"Ron"}}}}, // a '+' after a quote is a space
		{"like(name,*swan*)", Filter{{Op: Like, Field: "name", Values: []string{"*swan*"}, Like: Pattern{Text: "swan", Prefix: true, Suffix: true}}}},
		{"like(name,Ron*)", Filter{{Op: Like, Field: "name", Values: []string{"Ron*"}, Like: Pattern{Text: "Ron", Suffix: true}}}},
		{"ilike(email,*@SWANSON.COM)", Filter{{Op: ILike, Field: "email", Values: []string{"*@SWANSON.COM"}, Like: Pattern{Text: "@SWANSON.COM", Prefix: true}}}},
		{"like(name,a*b)", Filter{{Op: Like, Field: "name", Values: []string{"a*b"}, Like: Pattern{Text: "a*b"}}}},
		{"in(email,a@x.com,b@x.com)", Filter{{Op: In, Field: "email", Values: []string{"a@x.com", "b@x.com"}}}},
		{"gt(created_at,2018-04-16)", Filter{{Op: Gt, Field: "created_at", Values: []string{"2018-04-16"}, Times: []time.Time{day}}}},
		{"ge(created_at,2018-04-16T00:00:00Z)", Filter{{Op: Ge, Field: "created_at", Values: []string{"2018-04-16T00:00:00Z"}, Times: []time.Time{day}}}},
		{`lt(created_at,"2018-04-16T00:00:00.000Z")`, Filter{{Op: Lt, Field: "created_at", Values: []string{"2018-04-16T00:00:00.000Z"}, Times: []time.Time{day}}}},
		{"ge(created_at,2018-04-16T02:00:00+02:00)", Filter{{Op: Ge, Field: "created_at", Values: []string{"2018-04-16T02:00:00+02:00"}, Times: []time.Time{day}}}},
		{"le(created_at,1523836800000)", Filter{{Op: Le, Field: "created_at", Values: []string{"1523836800000"}, Times: []time.Time{day}}}},
		{"eq(email,a@x.com):like(name,jon*)", Filter{
			{Op: Eq, Field: "email", Values: []string{"a@x.com"}},
			{Op: Like, Field: "name", Values: []string{"jon*"}, Like: Pattern{Text: "jon", Suffix: true}}}},
		{"eq(external_ref,crm:42)", nil}, // ':' inside parentheses is part of the value
		{"eq%28email%2Cron%2Bshop%40swanson.com%29", Filter{{Op: Eq, Field: "email", Values: []string{"ron+shop@swanson.com"}}}},
		{"like%28name%2C%2Aswan%2A%29%3Aeq%28name%2CRon+Swanson%29", Filter{
			{Op: Like, Field: "name", Values: []string{"*swan*"}, Like: Pattern{Text: "swan", Prefix: true, Suffix: true}},
			{Op: Eq, Field: "name", Values: []string{"Ron Swanson"}}}},
	}
	for _, c := range cases {
		t.Run(c.raw, func(t *testing.T) {
			got, err := Parse(c.raw, customers)
			if err != nil {
				t.Fatal(err)
			}
			if c.want == nil {
				if len(got) != 1 || got[0].Values[0] != "crm:42" {
					t.Errorf("got %+v", got)
				}
				return
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	eleven := strings.Repeat("eq(name,a):", 10) + "eq(name,a)"
	cases := []struct{ raw, says string }{
		{"", "expected an operator such as eq( at position 1"},
		{"eq(name,a):", "expected an operator such as eq( at position 12"},
		{"eq(Az_Z09.x,1)", `unknown field "Az_Z09.x"`}, // every kind of character a name may hold
		{"eq(email", "unbalanced parentheses"},
		{"eq(email,a@x.com", "unbalanced parentheses"},
		{"eq(email,a@x.com))", "an extra ')' at position 18"},
		{"eq(email,(a)", "'(' inside a value at position 10"},
		{"ne(email,a@x.com)", `unknown operator "ne"`},
		{"eq(password,x)", `unknown field "password"`},
		{"like(external_ref,x*)", "not allowed on external_ref"},
		{"gt(email,a)", "not allowed on email"},
		{"eq(name,a,b)", "takes one value"},
		{"eq(name)", "expected ',' and a value"},
		{"eq name", "expected '('"},
		{"eq(name,a)eq(name,b)", "expected ':' between expressions at position 11"},
		{"eq(name,a)|eq(name,b)", "expected ':'"},
		{"(eq(name,a)|eq(name,b))", "not supported"},
		{"gt(created_at,yesterday)", "not a date"},
		{"gt(created_at,2018-13-45)", "not a date"},
		{`eq(name,"open)`, "not closed"},
		{`eq(name,"a"b)`, "after a quoted value"},
		{`eq(email,"a@x.com"+)`, "after a quoted value"}, // in emails and times a '+' is no space
		{`eq(created_at,"2018-04-16"+)`, "after a quoted value"},
		{"eq(name,%zz)", "%-escape"},
		{"like(name," + strings.Repeat("%FF", 400) + "*)", "not valid UTF-8"},
		{`eq(name,"%C3")`, "not valid UTF-8"},
		{"eq(name,\xff)", "not valid UTF-8"},
		{"in(email,a@x.com,%ED%A0%80@x.com)", "not valid UTF-8"},
		{"eq%28name%2Ca", "unbalanced parentheses"},
		{eleven, "at most 10"},
		{"eq(name," + strings.Repeat("a", MaxLen) + ")", "longer than"},
	}
	for _, c := range cases {
		t.Run(c.raw[:min(len(c.raw), 40)], func(t *testing.T) {
			_, err := Parse(c.raw, customers)
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %v, want one saying %q", err, c.says)
			}
			if _, ok := err.(*Error); !ok {
				t.Errorf("error %T is not a *filter.Error", err)
			}
		})
	}
}

// TestParseLimits: each limit takes what is at it and refuses one more.
func TestParseLimits(t *testing.T) {
	in := func(n int) string { return "in(name" + strings.Repeat(",a", n) + ")" }
	exprs := func(n int) string { return strings.Repeat(":eq(name,a)", n)[1:] }
	long := func(n int) string { return "eq(name," + strings.Repeat("a", n-len("eq(name,)")) + ")" }
	for _, c := range []struct {
		raw  string
		says string // "" when accepted
	}{
		{in(MaxInValue), ""},
		{in(MaxInValue + 1), "at most 200 values"},
		{exprs(MaxExprs), ""},
		{exprs(MaxExprs + 1), "at most 10 expressions"},
		{long(MaxLen), ""},
		{long(MaxLen + 1), "longer than 8192 bytes"},
	} {
		t.Run(c.raw[:20], func(t *testing.T) {
			_, err := Parse(c.raw, customers)
			if (c.says == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.says)) {
				t.Errorf("%d bytes: error %v, want %q", len(c.raw), err, c.says)
			}
		})
	}
}

// TestParseTime: the forms a time takes, and the years a key can hold (1 to 9999).
func TestParseTime(t *testing.T) {
	refused := time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC) // not a time ParseTime returns
	for _, c := range []struct {
		v    string
		want time.Time
	}{
		{"0001-01-01", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"9999-12-31", time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"0000-12-31", refused},
		{"0", time.Unix(0, 0).UTC()},
		{"-1", refused},
		{"253402300799999", time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC)},
		{"253402300800000", refused},
		{"2018-04-16T10:11:59.715+02:00", time.Date(2018, 4, 16, 8, 11, 59, 715e6, time.UTC)},
		{"2018-04-16T10:11:59", refused},
	} {
		t.Run(c.v, func(t *testing.T) {
			got, err := ParseTime(c.v)
			if c.want == refused {
				if err == nil || !got.IsZero() {
					t.Errorf("ParseTime(%q) = %v, %v; want an error", c.v, got, err)
				}
				return
			}
			if err != nil || !got.Equal(c.want) || got.Location() != time.UTC {
				t.Errorf("ParseTime(%q) = %v, %v; want %v", c.v, got, err, c.want)
			}
		})
	}
}

// FuzzParse: no input panics; whatever parses satisfies the schema and the limits, and its
// values are valid UTF-8 (they become DynamoDB keys).
func FuzzParse(f *testing.F) {
	for _, s := range []string{"eq(email,ron+x@y.com)", `like(name,"*a\"b*")`, "in(email,a,b,c):gt(created_at,1)",
		"ge(created_at,2018-04-16T10:11:59.715Z)", "eq(name,%41)", "((", "eq(name,'x'):",
		"like(name," + strings.Repeat("%FF", 400) + "*)", "eq(name,\xc3)", `eq(name,"\\\xe2\x82")`, "in(name,a,%ED%A0%80)",
		"eq(email,%F0%9F%98%80" + strings.Repeat("a", 3000) + ")", "like(name,*" + strings.Repeat("é", 1500) + "*)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := Parse(raw, customers)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T", err)
			}
			return
		}
		if len(got) == 0 || len(got) > MaxExprs {
			t.Fatalf("%d expressions", len(got))
		}
		for _, e := range got {
			fs, ok := customers[e.Field]
			if !ok || !fs.allows(e.Op) || len(e.Values) == 0 {
				t.Fatalf("accepted %+v", e)
			}
			if fs.Kind == Time && len(e.Times) != len(e.Values) {
				t.Fatalf("times %+v", e)
			}
			for _, v := range append(e.Values, e.Like.Text) {
				if !utf8.ValidString(v) {
					t.Fatalf("accepted a value that is not valid UTF-8: %.40q", v)
				}
			}
		}
	})
}
