package api

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/acme/customers/pkg/problem"
)

// newTestRequest builds a Request the way Handle does, from a payload v2 event.
func newTestRequest(headers map[string]string, rawQuery, body string, b64 bool) *Request {
	return newRequest(events.APIGatewayV2HTTPRequest{
		RouteKey:        "POST /v2/customers",
		RawPath:         "/v2/customers",
		RawQueryString:  rawQuery,
		Headers:         headers,
		Body:            body,
		IsBase64Encoded: b64,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID:  "req-1",
			DomainName: "api.example.test",
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST"},
		},
	})
}

// nested returns a body whose deepest value sits depth levels down, counting the outer
// object and data as two.
func nested(depth int) string {
	k := depth - 2
	return `{"data":{"x":` + strings.Repeat("[", k) + strings.Repeat("]", k) + `}}`
}

// exactly returns a valid body of n bytes.
func exactly(n int) string {
	base := `{"data":{"x":""}}`
	return `{"data":{"x":"` + strings.Repeat("a", n-len(base)) + `"}}`
}

const jsonCT = "application/json"

func TestDecodeData(t *testing.T) {
	const valid = `{"data":{"type":"customer","name":"Ron","email":"ron@example.com"}}`
	const ok = problem.Kind(-1)
	cases := []struct {
		name string
		ct   string // Content-Type; "-" for none
		body string
		b64  bool
		want problem.Kind
		keys []string
	}{
		{"valid", jsonCT, valid, false, ok, []string{"email", "name", "type"}},
		{"valid with surrounding whitespace", jsonCT, " \n\t" + valid + "\r\n ", false, ok, []string{"email", "name", "type"}},
		{"empty data", jsonCT, `{"data":{}}`, false, ok, []string{}},
		{"other top-level members are ignored", jsonCT, `{"data":{"a":1},"meta":{"a":1}}`, false, ok, []string{"a"}},
		{"same key in different objects", jsonCT, `{"data":{"a":{"k":1},"b":{"k":2},"k":3}}`, false, ok, []string{"a", "b", "k"}},
		{"same key in array elements", jsonCT, `{"data":{"l":[{"k":1},{"k":2}],"k":[1,"k"]}}`, false, ok, []string{"k", "l"}},
		{"value equal to a key", jsonCT, `{"data":{"a":"a","b":"a","c":["a","b"]}}`, false, ok, []string{"a", "b", "c"}},
		{"keys after nested values", jsonCT, `{"data":{"a":{"b":{"c":1}},"d":[[],{}],"e":null}}`, false, ok, []string{"a", "d", "e"}},
		{"Unicode keys", jsonCT, `{"data":{"é":1,"e":2,"ß":3,"ss":4}}`, false, ok, []string{"e", "ss", "ß", "é"}},

		// Media types.
		{"charset parameter", "application/json; charset=utf-8", valid, false, ok, nil},
		{"upper-case media type", "Application/JSON", valid, false, ok, nil},
		{"trailing semicolon", "application/json;", valid, false, ok, nil},
		{"JSON:API media type", "application/vnd.api+json", valid, false, ok, nil},
		{"text/plain", "text/plain", valid, false, problem.UnsupportedMedia, nil},
		{"no Content-Type", "-", valid, false, problem.UnsupportedMedia, nil},
		{"empty Content-Type", "", valid, false, problem.UnsupportedMedia, nil},
		{"form", "application/x-www-form-urlencoded", valid, false, problem.UnsupportedMedia, nil},
		{"multipart", "multipart/form-data; boundary=x", valid, false, problem.UnsupportedMedia, nil},
		{"json-patch", "application/json-patch+json", valid, false, problem.UnsupportedMedia, nil},
		{"application/jsonx", "application/jsonx", valid, false, problem.UnsupportedMedia, nil},
		{"text/json", "text/json", valid, false, problem.UnsupportedMedia, nil},
		{"two media types joined", "application/json, text/plain", valid, false, problem.UnsupportedMedia, nil},

		// Encodings and sizes.
		{"base64 body", jsonCT, base64.StdEncoding.EncodeToString([]byte(valid)), true, ok, []string{"email", "name", "type"}},
		{"bad base64", jsonCT, "eyJkYXRhIjp7fX0*", true, problem.BadRequest, nil},
		{"base64 of garbage", jsonCT, base64.StdEncoding.EncodeToString([]byte("{nope")), true, problem.BadRequest, nil},
		{"1 MiB exactly", jsonCT, exactly(MaxBody), false, ok, []string{"x"}},
		{"1 MiB plus a byte", jsonCT, exactly(MaxBody + 1), false, problem.TooLarge, nil},
		{"6 MB", jsonCT, exactly(6_000_001), false, problem.TooLarge, nil},
		{"1 MiB exactly, base64", jsonCT, base64.StdEncoding.EncodeToString([]byte(exactly(MaxBody))), true, ok, []string{"x"}},
		{"1 MiB plus a byte, base64", jsonCT, base64.StdEncoding.EncodeToString([]byte(exactly(MaxBody + 1))), true, problem.TooLarge, nil},

		// Empty and non-object bodies.
		{"empty body", jsonCT, "", false, problem.BadRequest, nil},
		{"whitespace-only body", jsonCT, " \r\n\t ", false, problem.BadRequest, nil},
		{"top-level array", jsonCT, `[{"data":{}}]`, false, problem.BadRequest, nil},
		{"empty array", jsonCT, `[]`, false, problem.BadRequest, nil},
		{"null", jsonCT, `null`, false, problem.BadRequest, nil},
		{"string", jsonCT, `"data"`, false, problem.BadRequest, nil},
		{"number", jsonCT, `42`, false, problem.BadRequest, nil},
		{"true", jsonCT, `true`, false, problem.BadRequest, nil},
		{"empty object", jsonCT, `{}`, false, problem.BadRequest, nil},
		{"data null", jsonCT, `{"data":null}`, false, problem.BadRequest, nil},
		{"data array", jsonCT, `{"data":[{"type":"customer"}]}`, false, problem.BadRequest, nil},
		{"data string", jsonCT, `{"data":"customer"}`, false, problem.BadRequest, nil},
		{"data number", jsonCT, `{"data":1}`, false, problem.BadRequest, nil},
		{"Data in another case", jsonCT, `{"Data":{"type":"customer"}}`, false, problem.BadRequest, nil},
		{"attributes at the top level", jsonCT, `{"type":"customer","name":"Ron"}`, false, problem.BadRequest, nil},

		// Duplicate and case-variant keys, anywhere.
		{"duplicate data", jsonCT, `{"data":{"name":"a"},"data":{"name":"b"}}`, false, problem.BadRequest, nil},
		{"duplicate attribute", jsonCT, `{"data":{"email":"a@x.com","email":"b@y.com"}}`, false, problem.BadRequest, nil},
		{"case-variant attribute", jsonCT, `{"data":{"email":"a@x.com","Email":"b@y.com"}}`, false, problem.BadRequest, nil},
		{"upper-case variant", jsonCT, `{"data":{"EMAIL":"a@x.com","email":"b@y.com"}}`, false, problem.BadRequest, nil},
		{"escaped duplicate", jsonCT, `{"data":{"email":"a@x.com","\u0065mail":"b@y.com"}}`, false, problem.BadRequest, nil},
		{"long s variant (U+017F)", jsonCT, `{"data":{"password":"aaaaaaaa","paſſword":"bbbbbbbb"}}`, false, problem.BadRequest, nil},
		{"Kelvin sign variant (U+212A)", jsonCT, `{"data":{"kind":"a","\u212aind":"b"}}`, false, problem.BadRequest, nil},
		{"case-variant data", jsonCT, `{"data":{},"DATA":{}}`, false, problem.BadRequest, nil},
		{"duplicate in a nested object", jsonCT, `{"data":{"x":{"a":1,"a":2}}}`, false, problem.BadRequest, nil},
		{"duplicate in an object in an array", jsonCT, `{"data":{"x":[1,{"y":[{"a":1,"A":2}]}]}}`, false, problem.BadRequest, nil},
		{"duplicate empty key", jsonCT, `{"data":{"":1,"":2}}`, false, problem.BadRequest, nil},

		// Trailing data.
		{"second object", jsonCT, `{"data":{}} {"x":1}`, false, problem.BadRequest, nil},
		{"second object without space", jsonCT, `{"data":{}}{"x":1}`, false, problem.BadRequest, nil},
		{"garbage", jsonCT, `{"data":{}}garbage`, false, problem.BadRequest, nil},
		{"closing bracket", jsonCT, `{"data":{}}]`, false, problem.BadRequest, nil},
		{"closing brace", jsonCT, `{"data":{}}}`, false, problem.BadRequest, nil},
		{"comma", jsonCT, `{"data":{}},`, false, problem.BadRequest, nil},
		{"number", jsonCT, `{"data":{}} 1`, false, problem.BadRequest, nil},
		{"NUL", jsonCT, "{\"data\":{}}\x00", false, problem.BadRequest, nil},
		{"no-break space", jsonCT, "{\"data\":{}}\u00a0", false, problem.BadRequest, nil},

		// Nesting.
		{"depth 32", jsonCT, nested(32), false, ok, []string{"x"}},
		{"depth 33", jsonCT, nested(33), false, problem.BadRequest, nil},
		{"depth 10000", jsonCT, nested(10000), false, problem.BadRequest, nil},

		// Malformed.
		{"trailing comma", jsonCT, `{"data":{"a":1,}}`, false, problem.BadRequest, nil},
		{"missing colon", jsonCT, `{"data":{"a" 1}}`, false, problem.BadRequest, nil},
		{"unquoted key", jsonCT, `{"data":{a:1}}`, false, problem.BadRequest, nil},
		{"numeric key", jsonCT, `{"data":{1:1}}`, false, problem.BadRequest, nil},
		{"bad literal", jsonCT, `{"data":{"a":tru}}`, false, problem.BadRequest, nil},
		{"unclosed", jsonCT, `{"data":{"a":1}`, false, problem.BadRequest, nil},
		{"unclosed string", jsonCT, `{"data":{"a":"1}}`, false, problem.BadRequest, nil},
		{"control character in a string", jsonCT, "{\"data\":{\"a\":\"\x01\"}}", false, problem.BadRequest, nil},
		{"single quotes", jsonCT, `{'data':{}}`, false, problem.BadRequest, nil},
		{"comment", jsonCT, `{"data":{} /* x */}`, false, problem.BadRequest, nil},
		{"NaN", jsonCT, `{"data":{"a":NaN}}`, false, problem.BadRequest, nil},
		{"leading zero", jsonCT, `{"data":{"a":01}}`, false, problem.BadRequest, nil},
		{"BOM", jsonCT, "\ufeff" + valid, false, problem.BadRequest, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{}
			if tc.ct != "-" {
				h["content-type"] = tc.ct
			}
			r := newTestRequest(h, "", tc.body, tc.b64)
			obj, err := DecodeData(r)
			if tc.want == ok {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if tc.keys != nil && !slices.Equal(obj.Keys(), tc.keys) {
					t.Errorf("keys = %q, want %q", obj.Keys(), tc.keys)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted: %v", obj.Keys())
			}
			l, isProblem := problem.Problems(err)
			if !isProblem || len(l) != 1 || l[0].Kind != tc.want {
				t.Fatalf("err = %v, want one problem of kind %d (HTTP %d)", err, tc.want, Status(tc.want))
			}
			if obj != nil {
				t.Errorf("a refused body returned %v", obj)
			}
		})
	}
}

func TestDecodeDataHeaderCase(t *testing.T) {
	r := newTestRequest(map[string]string{"Content-Type": "application/json"}, "", `{"data":{}}`, false)
	if _, err := DecodeData(r); err != nil {
		t.Errorf("Content-Type with capitals: %v", err)
	}
}

func TestCheckJSON(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{`1`, true},
		{`"x"`, true},
		{`null`, true},
		{`[]`, true},
		{`{}`, true},
		{` {} `, true},
		{`[{"a":1},{"a":1}]`, true},
		{`{"a":[{"a":{"a":1}}]}`, true},
		{`{"a":1,"b":{"a":2,"b":[3]},"c":"a"}`, true},
		{`1 2`, false},
		{`"a""b"`, false},
		{`null null`, false},
		{`[] []`, false},
		{`{}{}`, false},
		{`[]]`, false},
		{`{}}`, false},
		{`{`, false},
		{`[`, false},
		{`]`, false},
		{`}`, false},
		{`{"a":1,"a":1}`, false},
		{`{"a":1,"b":{"c":1,"C":1}}`, false},
		{`[{"a":1,"a":2}]`, false},
		{`{"a":{},"a":[]}`, false},
		{``, true}, // DecodeData refuses empty bodies before this
		{strings.Repeat("[", 32) + strings.Repeat("]", 32), true},
		{strings.Repeat("[", 33) + strings.Repeat("]", 33), false},
		{strings.Repeat(`{"a":`, 32) + "1" + strings.Repeat("}", 32), true},
		{strings.Repeat(`{"a":`, 33) + "1" + strings.Repeat("}", 33), false},
		{strings.Repeat("[", 100000), false},
	} {
		err := checkJSON([]byte(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("checkJSON(%.60q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
		if err != nil && !problem.Is(err, problem.BadRequest) {
			t.Errorf("checkJSON(%.60q) = %v, want a 400 problem", tc.in, err)
		}
	}
}

func TestFoldKey(t *testing.T) {
	// Keys encoding/json would match to one struct field fold alike, and others do not.
	same := [][]string{
		{"email", "Email", "EMAIL", "eMaIl"},
		{"password", "paſſword", "PAſſWORD"},
		{"kind", "\u212aind", "Kind"},
		{"é", "É"},
		{"σ", "Σ", "ς"},
	}
	for _, group := range same {
		for _, k := range group[1:] {
			if foldKey(k) != foldKey(group[0]) {
				t.Errorf("foldKey(%q) = %q, foldKey(%q) = %q: want equal", k, foldKey(k), group[0], foldKey(group[0]))
			}
		}
	}
	for _, pair := range [][2]string{{"email", "e-mail"}, {"ss", "ß"}, {"i", "ı"}, {"a", "á"}, {"", " "}} {
		if foldKey(pair[0]) == foldKey(pair[1]) {
			t.Errorf("foldKey(%q) == foldKey(%q)", pair[0], pair[1])
		}
	}
	// encoding/json really does merge these keys into one field.
	var s struct {
		Password string `json:"password"`
	}
	if err := json.Unmarshal([]byte(`{"paſſword":"x"}`), &s); err != nil || s.Password != "x" {
		t.Logf("encoding/json no longer folds U+017F (got %q, %v); foldKey is stricter than needed", s.Password, err)
	}
}

// FuzzCheckJSON: checkJSON never panics, refuses with a 400 problem, and accepts only what
// encoding/json considers valid.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{
		`{"data":{"type":"customer","name":"Ron","email":"ron@example.com"}}`,
		`{"data":{}} {"x":1}`, `{"data":{}}garbage`, `{"data":{}}]`, `[]`, `null`, `"x"`, ``, ` `,
		`{"a":1,"A":2}`, `{"a":{"b":[1,2,{"c":null}]}}`, `{"a":"\u0041"}`, `{"\u212a":1,"k":2}`,
		nested(32), nested(33), `[1,2,3`, `{"a":}`, `1e999`, `-0.0e+1`, "\"\xff\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := checkJSON(b)
		if err == nil {
			if len(strings.TrimSpace(string(b))) > 0 && !json.Valid(b) {
				t.Fatalf("accepted invalid JSON %q", b)
			}
			return
		}
		if !problem.Is(err, problem.BadRequest) {
			t.Fatalf("err = %v, want a 400 problem", err)
		}
	})
}
