// Package cache keeps a value a function reads often and changes rarely (the store's
// settings, the custom fields of a resource) for a bounded time per process: a warm Lambda
// pays no read for it, and a change made through another process is seen within the TTL.
// That TTL is the documented staleness bound of whatever is cached.
package cache

import (
	"context"
	"sync"
	"time"
)

// Value is one cached value, loaded by load at most once per TTL (concurrent callers of a
// cold cache wait for one load).
type Value[T any] struct {
	load func(context.Context) (T, error)
	ttl  time.Duration
	now  func() time.Time

	// retry and failed, when set (KeepOnFailure): a failed reload of a value loaded
	// before keeps that value for retry more, and reports the failure.
	retry  time.Duration
	failed func(error)

	mu        sync.Mutex
	v         T
	loaded    bool
	fetched   time.Time
	refreshed time.Time // when Refresh last loaded
}

// New returns a Value that load fills, at most ttl old when Get returns it (0: read every
// time).
func New[T any](ttl time.Duration, load func(context.Context) (T, error)) *Value[T] {
	return &Value[T]{load: load, ttl: ttl, now: time.Now}
}

// KeepOnFailure makes a failed reload keep the value loaded before, as if it had been
// loaded retry before its TTL ends, and report the failure to failed; a value never loaded
// still fails. For values whose last good copy beats no copy (secrets).
func (c *Value[T]) KeepOnFailure(retry time.Duration, failed func(error)) *Value[T] {
	c.retry, c.failed = retry, failed
	return c
}

// Get returns the value, loading it when it is older than the TTL or was never loaded. A
// failed load is not cached.
func (c *Value[T]) Get(ctx context.Context) (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fetched.IsZero() && c.now().Sub(c.fetched) < c.ttl {
		return c.v, nil
	}
	return c.reload(ctx)
}

// reload loads the value and keeps it unless the load failed (c.mu held).
func (c *Value[T]) reload(ctx context.Context) (T, error) {
	v, err := c.load(ctx)
	if err != nil {
		if c.loaded && c.failed != nil {
			c.failed(err)
			c.fetched = c.now().Add(c.retry - c.ttl)
			return c.v, nil
		}
		var zero T
		return zero, err
	}
	c.v, c.fetched, c.loaded = v, c.now(), true
	return v, nil
}

// Refresh loads the value again unless the last Refresh that did was less than minAge ago
// (loads by Get do not count): however often callers want it fresh, it is loaded for them
// at most once per minAge.
func (c *Value[T]) Refresh(ctx context.Context, minAge time.Duration) (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.refreshed.IsZero() && c.now().Sub(c.refreshed) < minAge {
		return c.v, nil
	}
	c.refreshed = c.now()
	return c.reload(ctx)
}

// Set replaces the value as if just loaded: after a change made through this process, so
// that this process sees it at once.
func (c *Value[T]) Set(v T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.v, c.fetched, c.loaded = v, c.now(), true
}

// Forget drops the value: the next Get loads it.
func (c *Value[T]) Forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fetched = time.Time{}
}
