// Package idempotency makes a create safe to retry: a POST that carries an Idempotency-Key
// header writes its resource at most once per key, caller and 24 hours, and a retry gets
// the first answer again.
//
// The key's record is written in the same DynamoDB transaction as the resource (the store
// adds it to the create's transaction when the request's context carries a Pending), so no
// crash can leave a resource without its record or a record without its resource; the
// answer is added to the record right after. A retry with the same key and the same request
// replays that answer; with another request it is a 422; while the first request is still
// running (its record written, its answer not yet), the retry waits a little for it.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/acme/customers/pkg/problem"
)

// Header is the request header that carries the key.
const Header = "Idempotency-Key"

// TTL is how long a key is remembered.
const TTL = 24 * time.Hour

// MaxKeyLen bounds a key (a UUID is 36 characters).
const MaxKeyLen = 255

// Pending is a keyed request on its way: who sent it (Scope), its key, and what it asks
// (Fingerprint).
type Pending struct {
	Scope       string
	Key         string
	Fingerprint string
	Created     time.Time
	written     atomic.Bool
}

// ID is the record's identity: a hash of the scope and the key (no key is stored as sent).
func (p *Pending) ID() string {
	sum := sha256.Sum256([]byte(p.Scope + "\x1f" + p.Key))
	return hex.EncodeToString(sum[:])
}

// Written reports whether a committed transaction wrote the record.
func (p *Pending) Written() bool { return p.written.Load() }

// MarkWritten is the store's: the transaction that holds the record committed.
func (p *Pending) MarkWritten() { p.written.Store(true) }

type ctxKey struct{}

// With returns ctx carrying p: the store adds p's record to the request's create.
func With(ctx context.Context, p *Pending) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the Pending ctx carries that no transaction has written yet, or nil.
func From(ctx context.Context) *Pending {
	p, _ := ctx.Value(ctxKey{}).(*Pending)
	if p == nil || p.Written() {
		return nil
	}
	return p
}

// Record is a key's record as stored.
type Record struct {
	Fingerprint string
	// Done is set once the answer is stored: Status, Body, ContentType and ETag.
	Done        bool
	Status      int
	Body        string
	ContentType string
	ETag        string // the created resource's, when it has one
	Created     time.Time
}

// ErrRace is the store's answer when another request with the same key wrote its record
// first: nothing of this request was written.
var ErrRace = errors.New("idempotency: another request with this key wrote first")

// Parse checks a key: 1 to MaxKeyLen visible ASCII characters.
func Parse(v string) (string, error) {
	bad := len(v) == 0 || len(v) > MaxKeyLen
	for i := 0; i < len(v) && !bad; i++ {
		bad = v[i] < 0x21 || v[i] > 0x7e
	}
	if bad {
		return "", &problem.Error{Kind: problem.BadRequest, Title: "Bad Request", Source: Header,
			Detail: "Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good one)"}
	}
	return v, nil
}

// Fingerprint identifies what a request asks: its route, its path parameters and its body
// as sent (a retry sends the same bytes).
func Fingerprint(route string, params map[string]string, body []byte) string {
	h := sha256.New()
	part := func(b []byte) { // length-prefixed: no part runs into the next
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
		h.Write(b)
	}
	part([]byte(route))
	for _, k := range slices.Sorted(maps.Keys(params)) {
		part([]byte(k))
		part([]byte(params[k]))
	}
	part(body)
	return hex.EncodeToString(h.Sum(nil))
}

// ErrReused refuses a key sent again with another request.
var ErrReused = &problem.Error{Kind: problem.Unprocessable, Title: "Unprocessable Entity", Source: Header,
	Detail: "this Idempotency-Key was used for another request in the last 24 hours: use a new key for a new request"}

// ErrInProgress answers a retry that came while the first request with its key is still
// being answered (or its answer was lost with its process): retry shortly.
var ErrInProgress = &problem.Error{Kind: problem.Conflict, Title: "Conflict", Source: Header, RetryAfter: time.Second,
	Detail: "a request with this Idempotency-Key is still in progress; retry shortly"}

// Scope is the caller a key belongs to: keys of one caller never answer another's.
func Scope(grant, customerID string) string {
	return strings.Join([]string{grant, customerID}, "/")
}
