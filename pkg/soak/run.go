package soak

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/acme/customers/pkg/chaos"
)

// Config is a run's workload.
type Config struct {
	Clients  int           // concurrent clients (16)
	Duration time.Duration // how long they start new steps (60 s)
	// Faults, when set, are injected between the functions and DynamoDB for the whole
	// workload (the stack must have been started with Chaos) and lifted for the
	// reconciliation.
	Faults *chaos.Faults
	// Timeout bounds one HTTP attempt (30 s); MaxAttempts one call's attempts (8).
	Timeout     time.Duration
	MaxAttempts int
	// CleanupEvery is how often the scheduled cleanup is invoked while the clients run
	// (10 s, and at least 4 times a run: a quarter of Duration when that is shorter).
	CleanupEvery time.Duration
	// Weights override the mix's weights by step name ("delete customer": 12): a short run
	// makes a rare step common enough to happen.
	Weights map[string]int
	// Seed makes the clients' choices repeatable (0: random).
	Seed uint64
	// Progress receives a line every few seconds; nil for none.
	Progress io.Writer
}

// Result is what a run did and found.
type Result struct {
	Config   Config
	Start    time.Time
	Elapsed  time.Duration // the workload, from the first step to the last answer
	Routes   map[string]*routeStats
	Writes   map[string]int // acknowledged writes by kind
	Customer int            // acknowledged customers
	Checks   []*Check
	// Anomalies are the answers and reads the clients did not expect, by kind.
	Anomalies     []anomaly
	AnomalyCounts map[string]int
	Cleanups      []CleanupRun                    // the cleanup's invocations
	Faults        map[string]map[chaos.Kind]int64 // injected, by DynamoDB operation
	UpstreamError string                          // the proxy's last failure to reach DynamoDB
	Items         int                             // items in the table at the end
	LoadBefore    string                          // /proc/loadavg before and after the run
	LoadAfter     string
	CPUs          int

	ledger *ledger
}

// WriteLedger writes what the clients were told, as JSON: every acknowledged customer
// (its last acknowledged values, its addresses and orders), every acknowledged order,
// and the writes left unanswered; the history the reconciliation checked.
func (r *Result) WriteLedger(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", " ")
	return e.Encode(r.ledger)
}

// failing are the anomaly kinds that fail a run. Reported only: "index read" (a list by
// index that did not show a write yet: production's indexes are eventually consistent)
// and "key in progress for good" (the documented answer to a retry whose first request's
// answer could not be stored).
var failing = map[string]bool{"unexpected answer": true, "no answer": true, "stale read": true, "stale count": true,
	"idempotency": true, "malformed answer": true}

// Violations lists why the run failed: each failing check and anomaly kind, the 5xx the
// clients saw (with faults, 503s with Retry-After are allowed and nothing else), and the
// cleanup's invocations that ended on an error (with faults, only the final one counts: a
// failed run is what the next one resumes from).
func (r *Result) Violations() []string {
	var v []string
	for _, c := range r.Cleanups {
		if c.Err != "" && (r.Config.Faults == nil || c.Phase == cleanupFinal) {
			v = append(v, fmt.Sprintf("cleanup %s: %s", c.Phase, c.Err))
		}
	}
	for _, c := range r.Checks {
		if !c.OK() {
			v = append(v, fmt.Sprintf("%s: %d violations", c.Name, len(c.Violations)))
		}
	}
	for kind, n := range r.AnomalyCounts {
		if failing[kind] {
			v = append(v, fmt.Sprintf("%d %s", n, kind))
		}
	}
	for route, rs := range r.Routes {
		for status, n := range rs.statuses {
			switch {
			case status < 500:
			case status == http.StatusServiceUnavailable && r.Config.Faults != nil:
			default:
				v = append(v, fmt.Sprintf("%s: %d answers %d", route, n, status))
			}
		}
		if rs.no503Retry > 0 {
			v = append(v, fmt.Sprintf("%s: %d answers 503 without Retry-After", route, rs.no503Retry))
		}
	}
	return v
}

// Run runs the workload against st, then reconciles.
func Run(ctx context.Context, st *Stack, cfg Config) (*Result, error) {
	if cfg.Clients <= 0 {
		cfg.Clients = 16
	}
	if cfg.Duration <= 0 {
		cfg.Duration = time.Minute
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.CleanupEvery <= 0 {
		cfg.CleanupEvery = min(10*time.Second, cfg.Duration/4)
	}
	if cfg.Seed == 0 {
		cfg.Seed = mrand.Uint64()
	}
	if cfg.Faults != nil && st.Proxy == nil {
		return nil, errors.New("soak: faults need a stack started with Chaos")
	}
	res := &Result{Config: cfg, LoadBefore: loadavg(), CPUs: runtime.NumCPU()}
	an := newAnomalies()
	a := &api{base: st.URL, http: newHTTPClient(cfg.Clients, cfg.Timeout), stats: newStats(), maxAttempts: cfg.MaxAttempts, anomalies: an}
	run := fmt.Sprintf("%x", cfg.Seed&0xffffff)
	clients := make([]*client, cfg.Clients)
	for i := range clients {
		c := &client{n: i, run: run, api: a, an: an, led: newLedger(), rng: mrand.New(mrand.NewPCG(cfg.Seed, uint64(i))), weights: cfg.Weights}
		c.creds.id, c.creds.secret = st.ClientID, st.ClientSecret
		clients[i] = c
	}
	if cfg.Faults != nil {
		if err := st.Proxy.SetFaults(*cfg.Faults); err != nil {
			return nil, err
		}
	}
	res.Start = time.Now()
	deadline := res.Start.Add(cfg.Duration)
	var wg sync.WaitGroup
	var steps sync.Map
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if c.tokens() != nil {
					time.Sleep(100 * time.Millisecond)
					continue
				}
				if n == 0 {
					c.signUp()
				} else {
					c.step()
				}
				n++
				steps.Store(c.n, n)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	cl := &cleanups{st: st}
	scheduled := make(chan struct{})
	go func() { cl.schedule(ctx, cfg.CleanupEvery, done); close(scheduled) }()
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
wait:
	for {
		select {
		case <-done:
			break wait
		case <-tick.C:
			if cfg.Progress != nil {
				total := 0
				steps.Range(func(_, v any) bool { total += v.(int); return true })
				fmt.Fprintf(cfg.Progress, "soak: %s: %d steps, %d requests\n", time.Since(res.Start).Round(time.Second), total, a.stats.requests())
			}
		}
	}
	res.Elapsed = time.Since(res.Start)
	<-scheduled // the invocation under way when the clients stopped, under the same faults
	if cfg.Faults != nil {
		res.Faults = st.Proxy.Counts()
		if err := st.Proxy.UpstreamError(); err != nil {
			res.UpstreamError = err.Error()
		}
		st.Proxy.SetFaults(chaos.Faults{})
	}
	res.LoadAfter = loadavg()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	led := newLedger()
	for _, c := range clients {
		led.merge(c.led)
	}
	res.Writes, res.Customer, res.ledger = led.Writes, len(led.Customers), led
	cl.final(ctx)
	res.Cleanups = cl.runs
	a.stats.mu.Lock()
	res.Routes = a.stats.routes
	a.stats.routes = map[string]*routeStats{}
	a.stats.mu.Unlock()
	an.mu.Lock()
	res.Anomalies, res.AnomalyCounts = an.list, an.n
	an.mu.Unlock()

	// The reconciliation's own calls are neither in the figures nor among the anomalies.
	ra := &api{base: st.URL, http: a.http, stats: newStats(), maxAttempts: cfg.MaxAttempts, anomalies: newAnomalies()}
	staff := clients[0].staff
	if staff == "" {
		if err := clients[0].tokens(); err != nil {
			return nil, errors.New("soak: no staff token for the reconciliation")
		}
		staff = clients[0].staff
	}
	checks, t, err := reconcile(ctx, st.DB, st.Table, ra, staff, led)
	if err != nil {
		return nil, err
	}
	res.Checks, res.Items = checks, t.items
	return res, nil
}

func (s *stats) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, rs := range s.routes {
		for _, k := range rs.statuses {
			n += k
		}
	}
	return n
}

// loadavg is the machine's load average (1, 5, 15 minutes), or "" where unknown.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
