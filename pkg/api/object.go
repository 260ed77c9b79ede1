package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"

	"github.com/acme/customers/pkg/problem"
)

// errNotString reports a member that is present but not a JSON string.
var errNotString = errors.New("not a string")

// Has reports whether the member is present (null included).
func (o Object) Has(key string) bool { _, ok := o[key]; return ok }

// IsNull reports whether the member is present and JSON null.
func (o Object) IsNull(key string) bool {
	raw, ok := o[key]
	return ok && bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// String returns a string member. ok is false when the member is absent; err is set when
// it is present but not a string (null included).
func (o Object) String(key string) (s string, ok bool, err error) {
	raw, present := o[key]
	if !present {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil || !isJSONString(raw) {
		return "", true, errNotString
	}
	return s, true, nil
}

func isJSONString(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '"'
}

// Keys returns the member names, sorted so that errors listed per member come out in the
// same order on every request.
func (o Object) Keys() []string {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// CheckMembers refuses an object with more members than a resource can have (max) with
// one 400, rather than one error per unknown member: a 1 MiB body of made-up names would
// otherwise make an answer many times its size.
func (o Object) CheckMembers(max int, resource string) error {
	return o.CheckMembersAt("data", max, resource)
}

// CheckMembersAt is CheckMembers for an object inside the body, at source ("data.price").
func (o Object) CheckMembersAt(source string, max int, resource string) error {
	if len(o) <= max {
		return nil
	}
	return &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: source,
		Detail: source + " has " + strconv.Itoa(len(o)) + " members; " + resource + " has at most " + strconv.Itoa(max)}
}
