package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/acme/customers/pkg/problem"
)

// maxDepth bounds JSON nesting; DynamoDB refuses documents deeper than 32 levels.
const maxDepth = 32

// Object is the members of a request's "data" object, keyed exactly as sent.
type Object map[string]json.RawMessage

// DecodeData reads a JSON body of the form {"data": {...}} strictly: the media type must be
// JSON, the body one JSON value with nothing after it, no object anywhere may repeat a key
// (even in another letter case: Go's decoder would silently merge "Email" into "email"),
// it must be valid UTF-8, and "data" must be an object.
func DecodeData(r *Request) (Object, error) {
	if mt := r.MediaType(); mt != "application/json" && mt != "application/vnd.api+json" {
		return nil, problem.New(problem.UnsupportedMedia, "Unsupported Media Type",
			"send the body as application/json")
	}
	b, err := r.Body()
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, problem.Bad("Bad Request", "the request body is empty")
	}
	// JSON is UTF-8 (RFC 8259); Go's decoder would silently turn invalid bytes into U+FFFD,
	// storing (say) a password other than the one sent.
	if !utf8.Valid(b) {
		return nil, problem.Bad("Bad Request", "the body is not valid UTF-8")
	}
	if err := checkJSON(b); err != nil {
		return nil, err
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, problem.Bad("Bad Request", "the body must be a JSON object")
	}
	raw, ok := env["data"]
	if !ok {
		return nil, problem.Bad("Bad Request", "the body must have a data object")
	}
	var obj Object
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, problem.Bad("Bad Request", "data must be an object")
	}
	return obj, nil
}

// checkJSON walks the token stream once, rejecting what encoding/json would accept
// silently: duplicate or case-variant keys, excessive nesting and trailing data.
func checkJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	type frame struct {
		object bool
		key    bool // the next string token in an object is a key
		seen   map[string]struct{}
	}
	var stack []*frame
	malformed := problem.Bad("Bad Request", "the body is not valid JSON")
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return malformed
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if len(stack) >= maxDepth {
					return problem.Bad("Bad Request", "the body is nested too deeply")
				}
				if top != nil && top.object {
					top.key = true
				}
				stack = append(stack, &frame{object: t == '{', key: t == '{', seen: map[string]struct{}{}})
			case '}', ']':
				stack = stack[:len(stack)-1]
				if len(stack) == 0 && dec.More() {
					return problem.Bad("Bad Request", "the body has data after the JSON value")
				}
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].key = true
				}
			}
			continue
		case string:
			if top != nil && top.object && top.key {
				k := foldKey(t)
				if _, dup := top.seen[k]; dup {
					return problem.Bad("Bad Request", "the body repeats the key \""+problem.Quote(t)+"\"")
				}
				top.seen[k] = struct{}{}
				top.key = false
				continue
			}
		}
		if top != nil && top.object {
			top.key = true
		}
		if top == nil && dec.More() {
			return problem.Bad("Bad Request", "the body has data after the JSON value")
		}
	}
	if len(stack) != 0 {
		return malformed
	}
	// Token() stops at the end of the first value; anything after it must be whitespace.
	if rest, _ := io.ReadAll(dec.Buffered()); len(bytes.TrimSpace(rest)) > 0 {
		return problem.Bad("Bad Request", "the body has data after the JSON value")
	}
	return nil
}

// foldKey maps key to a form shared by every key encoding/json would match to the same
// struct field: each rune becomes the smallest rune of its Unicode simple-fold orbit, the
// equivalence bytes.EqualFold (and so encoding/json) uses. strings.ToLower is not enough:
// "paſſword" (U+017F) matches a field named "password" but does not lower-case to it.
func foldKey(key string) string {
	var b strings.Builder
	b.Grow(len(key))
	for _, r := range key {
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteRune(r)
			continue
		}
		for {
			f := unicode.SimpleFold(r)
			if f <= r {
				r = f
				break
			}
			r = f
		}
		if r < utf8.RuneSelf && 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
