// Package secrets reads the deployment's secrets (the token signing keys, the client
// secret, the list cursors' and the identity providers' sealing keys) from AWS Secrets
// Manager, and keeps each for a bounded time per process: a function reads a secret at its
// first need after a cold start and again at most once per TTL, so that a rotation reaches
// every process within the TTL and a warm function makes no call for it.
//
// Every secret has one shape, a JSON object whose "current" value is the one to sign or
// seal with, and whose "others" are still accepted while a change goes through:
//
//	{"current": "<at least 32 characters>", "others": ["<the previous or the next one>"]}
//
// The template generates {"current": ...}; a rotation (cmd/keys) adds, swaps and drops.
package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/acme/customers/pkg/cache"
	"github.com/acme/customers/pkg/problem"
)

// MinLen is the shortest value accepted (the template generates 64 characters).
const MinLen = 32

// MaxOthers bounds the values a set holds besides the current one.
const MaxOthers = 4

// Set is one secret's values at one version.
type Set struct {
	Current string   `json:"current"`
	Others  []string `json:"others,omitempty"`
	// Created is when this version was written (Secrets Manager's CreatedDate): of two
	// versions of one secret, the later one wins.
	Created time.Time `json:"-"`
}

// All is every accepted value, the current one first.
func (s Set) All() []string { return append([]string{s.Current}, s.Others...) }

// errMalformed is a secret value that Parse refuses.
var errMalformed = errors.New("secrets: malformed value")

// Parse reads a secret's value.
func Parse(value string) (Set, error) {
	var s Set
	if err := json.Unmarshal([]byte(value), &s); err != nil {
		return Set{}, fmt.Errorf(`%w: not a JSON object {"current": ..., "others": [...]}`, errMalformed)
	}
	if len(s.Others) > MaxOthers {
		return Set{}, fmt.Errorf("%w: at most %d others", errMalformed, MaxOthers)
	}
	for i, v := range s.All() {
		if len(v) < MinLen {
			return Set{}, fmt.Errorf("%w: every value must be at least %d characters", errMalformed, MinLen)
		}
		if slices.Contains(s.All()[:i], v) {
			return Set{}, fmt.Errorf("%w: a value appears twice", errMalformed)
		}
	}
	return s, nil
}

// Encode is the secret's value for s.
func (s Set) Encode() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Source reads a secret by its ARN or name.
type Source interface {
	Get(ctx context.Context, id string) (Set, error)
}

// ErrNotConfigured is what a Value without a secret id answers: the function was not given
// that secret (template.yaml gives each secret to the functions that need it alone).
var ErrNotConfigured = errors.New("secrets: this function has no access to that secret")

// Value is one secret, read through src at most once per TTL. When a later read fails, the
// value read before stays in use (logged) and the read is tried again after RetryAfter:
// a Secrets Manager outage does not stop a warm function.
type Value struct {
	id string
	c  *cache.Value[Set]
}

// RetryAfter is how long a process keeps using a secret it could not read again.
const RetryAfter = 30 * time.Second

// NewValue returns secret id read through src and kept for ttl; an empty id gives a Value
// that answers ErrNotConfigured.
func NewValue(src Source, id string, ttl time.Duration, log *slog.Logger) *Value {
	load := func(ctx context.Context) (Set, error) {
		if id == "" {
			return Set{}, ErrNotConfigured
		}
		s, err := src.Get(ctx, id)
		if transient(err) {
			return Set{}, &problem.Error{Kind: problem.Unavailable, Title: "Service Unavailable",
				Detail: "the service is busy; retry shortly", RetryAfter: time.Second, Cause: err}
		}
		return s, err
	}
	c := cache.New(ttl, load).KeepOnFailure(RetryAfter, func(err error) {
		if log != nil {
			log.Warn("secret read failed; the value read before stays in use", "secret", id, "cause", err.Error())
		}
	})
	return &Value{id: id, c: c}
}

// transient reports whether a read failed for reasons that may pass (the network, a
// throttle, Secrets Manager's own failure), not for the function's configuration (no such
// secret, no permission, a malformed value).
func transient(err error) bool {
	var e *Error
	if err == nil || errors.Is(err, errMalformed) {
		return false
	}
	if errors.As(err, &e) {
		return e.Status >= 500 || e.Code == "ThrottlingException" || e.Code == "RequestLimitExceeded"
	}
	return true
}

// Configured reports whether the function was given the secret.
func (v *Value) Configured() bool { return v != nil && v.id != "" }

// Get returns the secret's values.
func (v *Value) Get(ctx context.Context) (Set, error) {
	if v == nil {
		return Set{}, ErrNotConfigured
	}
	return v.c.Get(ctx)
}

// Forget makes the next Get read the secret again.
func (v *Value) Forget() {
	if v != nil {
		v.c.Forget()
	}
}

// Static is a Source of fixed values (tests and tools).
type Static map[string]Set

// Get returns s[id].
func (s Static) Get(_ context.Context, id string) (Set, error) {
	v, ok := s[id]
	if !ok {
		return Set{}, fmt.Errorf("secrets: no secret %q", id)
	}
	return v, nil
}

// Generated returns a Static source holding a freshly generated value for each id (tests
// and benchmarks).
func Generated(ids ...string) Static {
	s := Static{}
	for _, id := range ids {
		s[id] = Set{Current: Generate(64), Created: time.Now().UTC().Truncate(time.Millisecond)}
	}
	return s
}
