package cache

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestValue(t *testing.T) {
	stored, loads := 1, 0
	fail := false
	c := New(10*time.Second, func(context.Context) (int, error) {
		loads++
		if fail {
			return 0, errors.New("down")
		}
		return stored, nil
	})
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	ctx := context.Background()
	get := func(want, wantLoads int) {
		t.Helper()
		v, err := c.Get(ctx)
		if err != nil || v != want || loads != wantLoads {
			t.Fatalf("got %d (%v) after %d loads, want %d after %d", v, err, loads, want, wantLoads)
		}
	}
	get(1, 1)
	get(1, 1) // cached
	stored = 2
	now = now.Add(9*time.Second + 999*time.Millisecond)
	get(1, 1) // within the TTL: the documented staleness
	now = now.Add(time.Millisecond)
	get(2, 2) // never as old as the TTL
	c.Set(3)
	get(3, 2) // a change through this process, seen at once
	c.Forget()
	get(2, 3)
	now = now.Add(10 * time.Second)
	fail = true
	if v, err := c.Get(ctx); err == nil || v != 0 || loads != 4 {
		t.Errorf("failed load: %d, %v after %d loads", v, err, loads)
	}
	fail = false
	get(2, 5) // a failure is not cached

	zero := New(0, func(context.Context) (int, error) { loads++; return 7, nil })
	for range 3 {
		zero.Get(ctx)
	}
	if loads != 8 {
		t.Errorf("TTL 0 must load every time: %d loads", loads)
	}
}

func TestConcurrentColdGet(t *testing.T) {
	var mu sync.Mutex
	loads := 0
	c := New(time.Minute, func(context.Context) (string, error) {
		mu.Lock()
		loads++
		mu.Unlock()
		time.Sleep(10 * time.Millisecond)
		return "v", nil
	})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); c.Get(context.Background()) }()
	}
	wg.Wait()
	if loads != 1 {
		t.Errorf("%d loads by 8 concurrent cold callers, want 1", loads)
	}
}

func TestRefresh(t *testing.T) {
	stored, loads := 1, 0
	c := New(time.Hour, func(context.Context) (int, error) { loads++; return stored, nil })
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	ctx := context.Background()
	c.Get(ctx)
	stored = 2
	if v, _ := c.Refresh(ctx, time.Second); v != 2 || loads != 2 {
		t.Errorf("a first refresh: %d after %d loads", v, loads)
	}
	stored = 3
	now = now.Add(999 * time.Millisecond)
	if v, _ := c.Refresh(ctx, time.Second); v != 2 || loads != 2 {
		t.Errorf("a refresh within minAge of the last: %d after %d loads", v, loads)
	}
	now = now.Add(time.Millisecond)
	if v, _ := c.Refresh(ctx, time.Second); v != 3 || loads != 3 {
		t.Errorf("a refresh minAge after the last: %d after %d loads", v, loads)
	}
	if v, _ := c.Get(ctx); v != 3 || loads != 3 {
		t.Errorf("a refreshed value is cached: %d after %d loads", v, loads)
	}
}

func TestKeepOnFailure(t *testing.T) {
	stored, loads := 1, 0
	var fail error
	c := New(10*time.Second, func(context.Context) (int, error) {
		loads++
		if fail != nil {
			return 0, fail
		}
		return stored, nil
	})
	var failures []error
	if c.KeepOnFailure(3*time.Second, func(err error) { failures = append(failures, err) }) != c {
		t.Fatal("KeepOnFailure does not return its Value")
	}
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	ctx := context.Background()

	// Never loaded: a failure fails, and is not reported as a kept value.
	fail = errors.New("down")
	if v, err := c.Get(ctx); err != fail || v != 0 || len(failures) != 0 {
		t.Fatalf("a value never loaded: %d, %v (%d failures reported)", v, err, len(failures))
	}
	fail = nil
	if v, err := c.Get(ctx); err != nil || v != 1 || loads != 2 {
		t.Fatalf("%d, %v after %d loads", v, err, loads)
	}

	// Loaded, then a reload fails: the old value, reported.
	now = now.Add(10 * time.Second)
	fail = errors.New("throttled")
	stored = 2
	if v, err := c.Get(ctx); err != nil || v != 1 || loads != 3 {
		t.Fatalf("a failed reload: %d, %v after %d loads", v, err, loads)
	}
	if len(failures) != 1 || failures[0] != fail {
		t.Errorf("failures reported: %v", failures)
	}
	// Kept for the retry period, then loaded again.
	now = now.Add(3*time.Second - time.Millisecond)
	if v, err := c.Get(ctx); err != nil || v != 1 || loads != 3 {
		t.Errorf("within the retry period: %d, %v after %d loads", v, err, loads)
	}
	now = now.Add(time.Millisecond)
	if v, err := c.Get(ctx); err != nil || v != 1 || loads != 4 || len(failures) != 2 {
		t.Errorf("after the retry period, failing still: %d, %v after %d loads, %d failures", v, err, loads, len(failures))
	}
	now = now.Add(3 * time.Second)
	fail = nil
	if v, err := c.Get(ctx); err != nil || v != 2 || loads != 5 {
		t.Errorf("after the retry period, succeeding: %d, %v after %d loads", v, err, loads)
	}
	// A success starts a full TTL again.
	now = now.Add(10*time.Second - time.Millisecond)
	if _, _ = c.Get(ctx); loads != 5 {
		t.Errorf("a full TTL after the success: %d loads", loads)
	}

	// Refresh keeps the value too.
	now = now.Add(time.Minute)
	fail = errors.New("refresh failed")
	if v, err := c.Refresh(ctx, time.Second); err != nil || v != 2 || loads != 6 || len(failures) != 3 {
		t.Errorf("a failed refresh: %d, %v after %d loads, %d failures", v, err, loads, len(failures))
	}

	// Forget does not lose the kept value: a failure after it still answers it.
	c.Forget()
	if v, err := c.Get(ctx); err != nil || v != 2 || loads != 7 {
		t.Errorf("a failure after Forget: %d, %v after %d loads", v, err, loads)
	}

	// A value Set counts as loaded.
	s := New(time.Second, func(context.Context) (string, error) { return "", errors.New("down") }).KeepOnFailure(time.Second, func(error) {})
	s.Set("set")
	s.Forget()
	if v, err := s.Get(ctx); err != nil || v != "set" {
		t.Errorf("a Set value: %q, %v", v, err)
	}
}

// A retry period longer than the TTL, and a TTL of 0, keep the value for the retry period.
func TestKeepOnFailureRetryPeriods(t *testing.T) {
	for _, tc := range []struct{ ttl, retry time.Duration }{{0, 30 * time.Second}, {time.Second, time.Minute}, {time.Minute, time.Second}} {
		loads, fail := 0, false
		c := New(tc.ttl, func(context.Context) (int, error) {
			loads++
			if fail {
				return 0, errors.New("down")
			}
			return 1, nil
		}).KeepOnFailure(tc.retry, func(error) {})
		now := time.Unix(1000, 0)
		c.now = func() time.Time { return now }
		c.Get(context.Background())
		now = now.Add(tc.ttl)
		fail = true
		c.Get(context.Background())
		now = now.Add(tc.retry - time.Nanosecond)
		c.Get(context.Background())
		if loads != 2 {
			t.Errorf("ttl %v retry %v: %d loads within the retry period, want 2", tc.ttl, tc.retry, loads)
		}
		now = now.Add(time.Nanosecond)
		if v, err := c.Get(context.Background()); loads != 3 || v != 1 || err != nil {
			t.Errorf("ttl %v retry %v: %d loads after the retry period, want 3 (%d, %v)", tc.ttl, tc.retry, loads, v, err)
		}
	}
}
