package soak

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/acme/customers/pkg/chaos"
	"github.com/acme/customers/pkg/cleanup"
)

// Report writes the result as markdown: what ran where, throughput and latency per
// endpoint, the faults injected, the reconciliation, and every violation with its details.
// about describes the code and machine (commit, settings) in a line of its own.
func (r *Result) Report(w io.Writer, title, about string) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("### %s\n\n", title)
	p("%s, %d clients for %s (seed %d); %d CPUs, load average %s before, %s after. %s\n\n",
		r.Start.UTC().Format("2006-01-02 15:04 UTC"), r.Config.Clients, r.Config.Duration, r.Config.Seed, r.CPUs,
		orUnknown(r.LoadBefore), orUnknown(r.LoadAfter), about)

	total, ok2xx := 0, 0
	for _, rs := range r.Routes {
		for s, n := range rs.statuses {
			total += n
			if s >= 200 && s < 300 {
				ok2xx += n
			}
		}
	}
	secs := r.Elapsed.Seconds()
	p("**%d requests in %.1f s: %.1f requests/s** (%d answered 2xx). Acknowledged writes: %s; %d items in the table at the end.\n\n",
		total, secs, float64(total)/secs, ok2xx, writes(r.Writes), r.Items)

	if r.Config.Faults != nil {
		p("Faults between the functions and DynamoDB Local: %s.\n\n", r.Config.Faults)
		r.faultTable(p)
		if r.UpstreamError != "" {
			p("The proxy failed to reach DynamoDB Local itself for the requests counted as upstream failures (their callers saw a reset); the last error: `%s`.\n\n", r.UpstreamError)
		}
	}

	p("| endpoint | requests | /s | 2xx | 4xx | 503 | other 5xx | p50 ms | p95 ms | p99 ms | max ms |\n")
	p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, route := range slices.Sorted(maps.Keys(r.Routes)) {
		rs := r.Routes[route]
		var n, c2, c4, c503, c5 int
		var fours []string
		for _, s := range slices.Sorted(maps.Keys(rs.statuses)) {
			k := rs.statuses[s]
			n += k
			switch {
			case s >= 200 && s < 300:
				c2 += k
			case s >= 400 && s < 500:
				c4 += k
				fours = append(fours, fmt.Sprintf("%d×%d", k, s))
			case s == http.StatusServiceUnavailable:
				c503 += k
			default:
				c5 += k // 0 (no answer) among them
			}
		}
		four := fmt.Sprint(c4)
		if len(fours) > 0 {
			four += " (" + strings.Join(fours, ", ") + ")"
		}
		p("| `%s` | %d | %.1f | %d | %s | %d | %d | %s | %s | %s | %s |\n", route, n, float64(n)/secs, c2, four, c503, c5,
			ms(pct(rs.latencies, 50)), ms(pct(rs.latencies, 95)), ms(pct(rs.latencies, 99)), ms(pct(rs.latencies, 100)))
	}
	p("\nLatency is per HTTP attempt, as the client measured it (a retried call counts each attempt). ")
	p("Other 5xx counts answers that were no 503, and attempts without an answer.\n\n")

	r.cleanupTable(p)

	p("| reconciliation | checked | result |\n|---|--:|---|\n")
	for _, c := range r.Checks {
		result := "✓ 0"
		switch {
		case c.Info:
			result = fmt.Sprintf("%d (reported, not a failure)", len(c.Violations))
		case len(c.Violations) > 0:
			result = fmt.Sprintf("**✗ %d**", len(c.Violations))
		}
		p("| %s | %d | %s |\n", c.Name, c.Checked, result)
	}
	p("\n")
	kinds := slices.Sorted(maps.Keys(r.AnomalyCounts))
	if len(kinds) == 0 {
		p("Every answer was the one expected; every read showed the last acknowledged write.\n\n")
	} else {
		p("| what the clients saw | count | fails the run |\n|---|--:|---|\n")
		for _, k := range kinds {
			p("| %s | %d | %v |\n", k, r.AnomalyCounts[k], failing[k])
		}
		p("\n")
	}
	if v := r.Violations(); len(v) == 0 {
		p("**Result: pass.** 0 lost, 0 duplicated, deleted customers erased, counts consistent, %s.\n\n", map[bool]string{true: "no 5xx but 503s with Retry-After", false: "0 5xx"}[r.Config.Faults != nil])
	} else {
		sort.Strings(v)
		p("**Result: FAIL.**\n\n")
		for _, s := range v {
			p("- %s\n", s)
		}
		p("\n")
	}
	var details []string
	for _, c := range r.Checks {
		for _, d := range c.Violations {
			details = append(details, c.Name+": "+d)
		}
	}
	for _, a := range r.Anomalies {
		details = append(details, a.kind+": "+a.detail)
	}
	for _, c := range r.Cleanups {
		if c.Err != "" {
			details = append(details, "cleanup "+c.Phase+": "+c.Err)
		}
	}
	if len(details) > 0 {
		p("<details><summary>Details (%d, at most %d of each kind of answer)</summary>\n\n", len(details), keep)
		for _, d := range details {
			p("- %s\n", strings.ReplaceAll(d, "\n", " "))
		}
		p("\n</details>\n\n")
	}
}

// cleanupTable sums the cleanup's invocations by phase (CleanupRun).
func (r *Result) cleanupTable(p func(string, ...any)) {
	p("| scheduled cleanup (retention 0) | invocations | customers erased | orders redacted | skipped | stopped early | errors |\n")
	p("|---|--:|--:|--:|--:|--:|--:|\n")
	row := func(name string, runs []CleanupRun) {
		var sum cleanup.Report
		stopped, failed := 0, 0
		for _, c := range runs {
			sum = sum.Add(c.Report)
			if c.Report.StoppedEarly {
				stopped++
			}
			if c.Err != "" {
				failed++
			}
		}
		p("| %s | %d | %d | %d | %d | %d | %d |\n", name, len(runs), sum.CustomersErased, sum.OrdersRedacted, sum.Skipped, stopped, failed)
	}
	for _, phase := range cleanupPhases {
		var runs []CleanupRun
		for _, c := range r.Cleanups {
			if c.Phase == phase {
				runs = append(runs, c)
			}
		}
		if len(runs) > 0 {
			row(phase, runs)
		}
	}
	row("all", r.Cleanups)
	p("\nA run that ends on an error reports nothing but its error (its log line has its counts); the next run resumes.\n\n")
}

func (r *Result) faultTable(p func(string, ...any)) {
	ops := slices.Sorted(maps.Keys(r.Faults))
	p("| DynamoDB operation | requests |")
	for _, k := range chaos.Kinds {
		p(" %s |", k)
	}
	p("\n|---|--:|%s\n", strings.Repeat("--:|", len(chaos.Kinds)))
	sum := map[chaos.Kind]int64{}
	var all int64
	for _, op := range ops {
		c := r.Faults[op]
		n := c[chaos.Pass] + c[chaos.Throttle] + c[chaos.Error] + c[chaos.Reset] + c[chaos.Drop]
		all += n
		p("| %s | %d |", op, n)
		for _, k := range chaos.Kinds {
			p(" %d |", c[k])
			sum[k] += c[k]
		}
		p("\n")
	}
	p("| all | %d |", all)
	for _, k := range chaos.Kinds {
		p(" %d |", sum[k])
	}
	p("\n\n")
}

func writes(w map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(w)) {
		parts = append(parts, fmt.Sprintf("%d %s", w[k], k))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f", d.Seconds()*1000) }

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
