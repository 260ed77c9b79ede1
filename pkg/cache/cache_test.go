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
