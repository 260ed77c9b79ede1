package soak

import (
	"context"
	"sync"
	"time"

	"github.com/acme/customers/pkg/cleanup"
)

// The scheduled cleanup during a run (reliability.md §17, S6 "cleanup under load"): the
// runner invokes CleanupFunction as its schedule would, only more often, while the clients
// run (every second time two at once: §12.4, catalogue row F44), then once more after they
// stop, faults lifted, so that the reconciliation finds every deleted customer erased.

// Phases of the cleanup's invocations, in the report's order.
const (
	cleanupDuring = "during the run"
	cleanupPair   = "during the run, two at once"
	cleanupFinal  = "after the run, before the reconciliation"
)

var cleanupPhases = []string{cleanupDuring, cleanupPair, cleanupFinal}

// CleanupRun is one invocation of the cleanup: its report, or the error it ended on.
type CleanupRun struct {
	Phase  string
	Report cleanup.Report
	Err    string
}

// cleanups records a run's invocations.
type cleanups struct {
	st   *Stack
	mu   sync.Mutex
	runs []CleanupRun
	pair bool // two have run at once
}

// invoke runs n invocations at once and waits for them.
func (c *cleanups) invoke(ctx context.Context, phase string, n int) {
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := c.st.Cleanup(ctx)
			run := CleanupRun{Phase: phase, Report: rep}
			if err != nil {
				run.Err = err.Error()
			}
			c.mu.Lock()
			c.runs = append(c.runs, run)
			c.mu.Unlock()
		}()
	}
	wg.Wait()
	c.pair = c.pair || n > 1
}

// schedule invokes the cleanup every `every` until stop is closed (every second time two
// at once), and returns once the invocation under way has ended. A tick that comes while
// one is under way is dropped, as a schedule's would wait for a free process.
func (c *cleanups) schedule(ctx context.Context, every time.Duration, stop <-chan struct{}) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for n := 1; ; n++ {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
			if n%2 == 0 {
				c.invoke(ctx, cleanupPair, 2)
			} else {
				c.invoke(ctx, cleanupDuring, 1)
			}
		}
	}
}

// final is the invocation after the clients stopped: two at once if no two have run at once
// yet (a run too short for a second tick), so that every run has.
func (c *cleanups) final(ctx context.Context) {
	n := 1
	if !c.pair {
		n = 2
	}
	c.invoke(ctx, cleanupFinal, n)
}
