package settings

import (
	"context"
	"testing"
	"time"
)

// countingStore is a Store in memory that counts reads (the cache is pure logic; the
// DynamoDB implementation is tested in pkg/handlers and pkg/store).
type countingStore struct {
	s     Settings
	reads int
}

func (c *countingStore) Settings(context.Context) (Settings, error) { c.reads++; return c.s, nil }
func (c *countingStore) UpdateSettings(_ context.Context, p Patch) (Settings, error) {
	c.s = c.s.Apply(p)
	return c.s, nil
}

func TestCacheAge(t *testing.T) {
	st := &countingStore{s: Defaults()}
	now := time.Unix(1000, 0)
	svc := NewService(st, 10*time.Second)
	svc.now = func() time.Time { return now }
	ctx := context.Background()
	read := func(want, reads int) {
		t.Helper()
		n, err := svc.PageLength(ctx)
		if err != nil || n != want || st.reads != reads {
			t.Fatalf("page length %d (%v) after %d reads, want %d after %d", n, err, st.reads, want, reads)
		}
	}
	read(25, 1)
	read(25, 1)          // cached
	st.s.PageLength = 40 // changed by another process
	now = now.Add(9 * time.Second)
	read(25, 1) // still within the TTL: the documented staleness
	now = now.Add(time.Second)
	read(40, 2) // never older than the TTL
	svc2 := NewService(st, 0)
	for i := 0; i < 3; i++ {
		if _, err := svc2.Current(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if st.reads != 5 {
		t.Errorf("TTL 0 must read every time: %d reads", st.reads)
	}
}
