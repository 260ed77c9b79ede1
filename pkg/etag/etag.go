// Package etag is the service's entity-tags and If-Match preconditions (RFC 9110 §8.8.3,
// §13.1.1): every single resource carries a strong ETag made of its id and the version its
// record is at, and a PUT or DELETE with If-Match is written only if the record is still at
// a version the header names, as part of the write's own DynamoDB condition.
//
// The tag is "<id>:<version>" (settings, a singleton: "settings:<version>"). Strong, because
// If-Match compares strongly and a weak tag never matches; the version, because every change
// of a record adds one to it in the same write, so the tag changes exactly when the record
// does; the id with it, because versions alone repeat across resources (every new one is at
// 1) and a client that sent one resource's tag to another would otherwise overwrite it.
package etag

import (
	"errors"
	"strconv"
	"strings"

	"github.com/acme/customers/pkg/problem"
)

// Header and IfMatchHeader are the header names.
const (
	Header        = "ETag"
	IfMatchHeader = "If-Match"
)

// Settings is the id in the settings' tag (the settings are one resource without an id).
const Settings = "settings"

// MaxTags bounds the entity-tags an If-Match may list (a DynamoDB condition takes them all).
const MaxTags = 20

// Of is the strong ETag of resource id at version, quoted as the header carries it.
func Of(id string, version int64) string {
	return `"` + id + ":" + strconv.FormatInt(version, 10) + `"`
}

// Match is a request's If-Match header. The zero Match is an absent header: no
// precondition.
type Match struct {
	present bool
	any     bool
	tags    []string // the strong entity-tags' opaque values, unquoted
}

// Any is If-Match: *, which any existing resource meets.
var Any = Match{present: true, any: true}

// Present reports whether the request had an If-Match header.
func (m Match) Present() bool { return m.present }

// ErrMalformed is the 400 of an If-Match that is not "*" or a list of entity-tags.
var ErrMalformed = &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: IfMatchHeader,
	Detail: `If-Match must be "*" or a list of entity-tags such as "<id>:<version>", as the ETag header gave them`}

var errTooMany = &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: IfMatchHeader,
	Detail: "If-Match may list at most " + strconv.Itoa(MaxTags) + " entity-tags"}

// Parse reads an If-Match header's value ("" when absent): "*", or a comma-separated list of
// entity-tags, strong ("x") or weak (W/"x"). Weak tags are kept out: If-Match compares
// strongly, so they never match.
func Parse(header string) (Match, error) {
	s := strings.Trim(header, " \t")
	switch s {
	case "":
		if header != "" {
			return Match{}, ErrMalformed
		}
		return Match{}, nil
	case "*":
		return Any, nil
	}
	m := Match{present: true}
	count := 0
	for s != "" {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			break
		}
		if s[0] == ',' { // empty list elements are allowed (RFC 9110 §5.6.1)
			s = s[1:]
			continue
		}
		weak := strings.HasPrefix(s, "W/")
		if weak {
			s = s[2:]
		}
		if s == "" || s[0] != '"' {
			return Match{}, ErrMalformed
		}
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return Match{}, ErrMalformed
		}
		opaque := s[1 : 1+end]
		for i := 0; i < len(opaque); i++ {
			if c := opaque[i]; c < 0x21 || c == 0x7f { // etagc: %x21 / %x23-7E / obs-text (DQUOTE ends it)
				return Match{}, ErrMalformed
			}
		}
		if count++; count > MaxTags {
			return Match{}, errTooMany
		}
		if !weak {
			m.tags = append(m.tags, opaque)
		}
		s = strings.TrimLeft(s[2+end:], " \t")
		if s != "" && s[0] != ',' {
			return Match{}, ErrMalformed
		}
	}
	if count == 0 {
		return Match{}, ErrMalformed
	}
	return m, nil
}

// Versions are the versions of resource id that m accepts, for a write's condition: nil
// when any version will do (no If-Match, or "*"), and otherwise those its strong tags for id
// name, an empty (non-nil) list when they name none: a condition no record meets.
func (m Match) Versions(id string) []int64 {
	if !m.present || m.any {
		return nil
	}
	vs := []int64{}
	for _, t := range m.tags {
		rest, ok := strings.CutPrefix(t, id+":")
		if !ok || rest == "" || rest[0] < '0' || rest[0] > '9' {
			continue
		}
		v, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || strconv.FormatInt(v, 10) != rest {
			continue
		}
		vs = append(vs, v)
	}
	return vs
}

// Holds reports whether resource id, existing at version, meets m.
func (m Match) Holds(id string, version int64) bool {
	if !m.present || m.any {
		return true
	}
	for _, v := range m.Versions(id) {
		if v == version {
			return true
		}
	}
	return false
}

// Check is nil when resource id at version meets m, and the 412 otherwise.
func (m Match) Check(id string, version int64) error {
	if m.Holds(id, version) {
		return nil
	}
	return Failed(id, version)
}

// Failed is the 412 of a write whose If-Match the resource, at version, does not meet;
// its ETag header gives the current tag. Nothing was written.
func Failed(id string, version int64) *problem.Error {
	return &problem.Error{Kind: problem.PreconditionFailed, Title: "Precondition Failed", Source: IfMatchHeader,
		Detail: "the resource is no longer at the version If-Match names (it is at " + Of(id, version) +
			", the ETag header of this answer); read it again, then retry with its ETag",
		ETag: Of(id, version)}
}

// Changed is a write refused because the record was no longer at the version the write
// required. Err is what the domain answers without If-Match (its 409), Version the version
// the record is at (from the item DynamoDB returns with the failed condition).
type Changed struct {
	Version int64
	Err     error
}

func (e *Changed) Error() string { return e.Err.Error() }
func (e *Changed) Unwrap() error { return e.Err }

// Refused is err as a request with m hears it: when m is present and err is a Changed, the
// 412 naming resource id's current tag; otherwise err itself (a Changed unwraps to its 409).
func (m Match) Refused(id string, err error) error {
	var c *Changed
	if m.present && errors.As(err, &c) {
		return Failed(id, c.Version)
	}
	return err
}
