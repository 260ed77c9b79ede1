package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// caseResult is one measured case; bare is nil without DynamoDB calls, bareBcrypt nil
// when the endpoint does no bcrypt work.
type caseResult struct {
	c                benchCase
	handler          sample
	bare, bareBcrypt *sample
	// units is the capacity the handler's calls consumed over runs calls (cost table).
	units reading
	runs  int
	fn    string // its function, memory  its MemorySize
	mem   int
}

// report is everything the markdown report shows.
type report struct {
	started  time.Time
	elapsed  time.Duration
	load     [2]string // /proc/loadavg at the start and the end
	command  string    // markdown
	root     string
	env      *env // nil when latency was not measured
	warm     [2]int
	iters    [2]int // fast, bcrypt-bound
	cases    []caseResult
	hash     sample // bcrypt alone
	compare  sample
	verifyHS sample // an access token's verification before asymmetric signing (HS256)
	verifyEd sample // and now (EdDSA, the key cached)
	binaries []binary
	cold     []coldStart  // the minimal Lambda first
	scale    *scaleReport // nil when the scale run did not run
}

func us(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Microsecond)) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

func signedMS(d time.Duration) string {
	if d >= 0 {
		return "+" + ms(d)
	}
	return ms(d)
}

func mib(n int64) string { return fmt.Sprintf("%.2f", float64(n)/(1<<20)) }

// opOrder lists DynamoDB operations in the order a request makes them, for the calls column.
var opOrder = []string{"BatchGetItem", "GetItem", "Query", "UpdateItem", "PutItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}

func formatCalls(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	return joinOps(m, " + ")
}

// sortOps sorts operations in opOrder.
func sortOps(ops []string) []string {
	slices.SortFunc(ops, func(a, b string) int {
		ia, ib := slices.Index(opOrder, a), slices.Index(opOrder, b)
		if ia < 0 || ib < 0 {
			return strings.Compare(a, b)
		}
		return ia - ib
	})
	return ops
}

// joinOps lists operations counted in m ("2× GetItem"), in opOrder, joined by sep.
func joinOps(m map[string]int, sep string) string {
	ops := make([]string, 0, len(m))
	for op := range m {
		ops = append(ops, op)
	}
	sortOps(ops)
	parts := make([]string, len(ops))
	for i, op := range ops {
		parts[i] = op
		if m[op] > 1 {
			parts[i] = fmt.Sprintf("%d× %s", m[op], op)
		}
	}
	return strings.Join(parts, sep)
}

// mostCalls is the DynamoDB calls most of s's calls made, and how many made them when
// not all did.
func (s sample) mostCalls() string {
	var most string
	for d, k := range s.calls {
		if k > s.calls[most] || (k == s.calls[most] && d < most) {
			most = d
		}
	}
	if s.calls[most] < s.n() {
		return fmt.Sprintf("%s (%d of %d calls)", most, s.calls[most], s.n())
	}
	return most
}

func sameCalls(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func (r *report) write(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("# Benchmark report")
	p("")
	p("- Command: %s", r.command)
	p("- Date: %s (took %s)", r.started.UTC().Format("2006-01-02 15:04 MST"), r.elapsed.Round(time.Second))
	p("- Machine: %s, %d logical cores, %s/%s", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	p("- Go: %s", runtime.Version())
	if r.load[0] != "" {
		p("- Load average (1, 5, 15 min) at the start: %s; at the end: %s", r.load[0], r.load[1])
	}
	if c := commit(r.root); c != "" {
		p("- Commit: %s", c)
	}
	if e := r.env; e != nil || r.scale != nil {
		if e == nil {
			e = r.scale.env
		}
		jar := e.jarName()
		where := strings.TrimSpace(jar + " started by the bench (`-inMemory -sharedDb`)")
		if !e.started {
			where = "at $DYNAMODB_ENDPOINT (" + e.endpoint + ")"
			if jar != "" {
				where += ", installed release " + jar
			}
		}
		p("- DynamoDB Local: %s; %s", where, javaVersion())
	}
	if r.env != nil {
		r.writeLatency(p)
	}
	if r.scale != nil {
		r.scale.write(p)
	}
	if len(r.cases) > 0 {
		r.writeCost(p)
	}
	if len(r.cold) > 0 {
		r.writeCold(p)
	}
	if len(r.binaries) > 0 {
		r.writeSizes(p)
	}
}

// Published on-demand prices, us-east-1, as of 2026-12-01 (README, Cost): API Gateway HTTP
// API requests (first 300 million a month), Lambda arm64 requests and GB-seconds, DynamoDB
// on-demand request units (since the price cut of November 2024).
const (
	priceHTTPAPI  = 1.00         // $ per million requests
	priceLambdaRq = 0.20         // $ per million requests
	priceGBSecond = 0.0000133334 // $ per GB-second, arm64
	priceWRU      = 0.625        // $ per million write request units
	priceRRU      = 0.125        // $ per million read request units
)

func (r *report) writeCost(p func(string, ...any)) {
	p("")
	p("### Cost per million requests")
	p("")
	p("Per request: the read and write request units DynamoDB Local reported for the handler's calls (averaged over its")
	p("%d or so calls, warm), the handler's p50 rounded up to the millisecond as Lambda's billed duration at the", r.iters[0])
	p("function's memory from template.yaml, and the resulting dollars per million requests at us-east-1 on-demand prices")
	p("(HTTP API $%.2f/M requests; Lambda arm64 $%.2f/M requests + $%.10f per GB-second; DynamoDB $%.3f/M WRU, $%.3f/M RRU).", priceHTTPAPI, priceLambdaRq, priceGBSecond, priceWRU, priceRRU)
	p("Logs, Secrets Manager reads (cold starts only) and data transfer are not included.")
	p("")
	p("| endpoint | RRU | WRU | billed ms | MB | API $ | Lambda $ | DynamoDB $ | total $ per million |")
	p("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, cr := range r.cases {
		if cr.runs == 0 || cr.mem == 0 {
			continue
		}
		rru, wru := cr.units.rcu/float64(cr.runs), cr.units.wcu/float64(cr.runs)
		billed := math.Ceil(float64(cr.handler.quantile(0.5)) / float64(time.Millisecond))
		lambda := priceLambdaRq + billed/1000*float64(cr.mem)/1024*priceGBSecond*1e6
		ddb := rru*priceRRU + wru*priceWRU
		mark := ""
		if !cr.units.complete() {
			mark = " (some calls reported no units)"
		}
		p("| %s%s | %.2f | %.2f | %.0f | %d | %.2f | %.2f | %.2f | %.2f |", cr.c.name, mark, rru, wru, billed, cr.mem,
			priceHTTPAPI, lambda, ddb, priceHTTPAPI+lambda+ddb)
	}
}

func (r *report) writeCold(p func(string, ...any)) {
	p("")
	p("### Cold starts")
	p("")
	p("Each a new process under the local Lambda Runtime API (`pkg/samlocal`), from its start to the answer of its first")
	p("request: Go runtime and package init, the function's wiring, and that request against DynamoDB Local (and `make")
	p("local`'s Secrets Manager for the token function, which reads its signing secret and the client secret, and publishes")
	p("its public keys before the first token). %d runs each after one untimed round, round robin, built for %s.", r.cold[0].times.n(), runtime.GOARCH)
	p("Init is from the process's start to its first request for an event (Lambda's Init Duration). The get-customer")
	p("request verifies its token, so its first request also reads the published keys (one BatchGetItem) and the")
	p("customers flow's fields (one Query) before its GetItem; the minimal Lambda (aws-sdk-go-v2's default config")
	p("loader, one GetItem) answers the same event with its one GetItem.")
	p("")
	p("| binary | init p50 ms | init p95 ms | init p50 vs minimal | init + first request p50 ms | p95 ms | p50 vs minimal |")
	p("|---|--:|--:|--:|--:|--:|--:|")
	initFloor, floor := r.cold[0].init.quantile(0.5), r.cold[0].times.quantile(0.5)
	for i, c := range r.cold {
		vsInit, vs := "—", "—"
		if i > 0 {
			vsInit = fmt.Sprintf("×%.2f", float64(c.init.quantile(0.5))/float64(initFloor))
			vs = fmt.Sprintf("×%.2f", float64(c.times.quantile(0.5))/float64(floor))
		}
		p("| %s | %s | %s | %s | %s | %s | %s |", c.name, ms(c.init.quantile(0.5)), ms(c.init.quantile(0.95)), vsInit,
			ms(c.times.quantile(0.5)), ms(c.times.quantile(0.95)), vs)
	}
}

func (r *report) writeLatency(p func(string, ...any)) {
	cost := r.env.deps.Config.BcryptCost
	p("")
	p("## Latency: handler in-process vs the bare DynamoDB calls")
	p("")
	p("*Handler*: the endpoint's handler called in-process as the Lambda runtime calls it (`api.Handle(...)` with an API")
	p("Gateway HTTP API v2 event and a 10 s deadline), i.e. our whole request path: access log (formatted, written to")
	p("`io.Discard`), token verification, body parsing and validation, the domain service, bcrypt, the store")
	p("(`attributevalue`, the `expression` builder), rendering. *Bare*: the handler's DynamoDB calls made again with")
	p("the SDK alone: a middleware on the handler's client records each call's input and when it started and ended; the")
	p("bare side replays one handler call (the previous one) on a table of its own that gets every write the handler's")
	p("table got, in the same order, so conditions hold alike. Its inputs are deep-copied before the timed call; calls that")
	p("overlapped run in parallel, and a call waits for the calls that had ended before it started. *Bare + bcrypt*: for")
	p("the endpoints that hash or compare a password (bcrypt cost %d), the replay plus the same bcrypt work in the", cost)
	p("recorded call's longest pause, on a third such table. All tables are made from template.yaml on one DynamoDB Local")
	p("over loopback; all clients share one HTTP client and carry the call counter; the handler's also carries the")
	p("recorder (one allocation and about a microsecond per call). The sides run interleaved. %d timed calls per side",
		r.iters[0])
	p("after %d warm-up calls (%d after %d for bcrypt-bound endpoints), after a warm-up pass over every case. Times in",
		r.warm[0], r.iters[1], r.warm[1])
	p("milliseconds. *Δ* is handler p50 − bare p50; *Δ excl. bcrypt* is handler p50 − (bare + bcrypt) p50 where there")
	p("is bcrypt, else Δ: the cost of our code")
	p("(differences of medians, not medians of differences). DynamoDB calls: as recorded on the handler's timed calls")
	p("(the most frequent, when they differed); ∥ joins calls that overlapped, \", then\" starts calls made after every")
	p("earlier call had ended, and → within a group marks calls that started after another call of the group had ended.")
	p("")
	p("| endpoint | DynamoDB calls | handler p50 | p95 | mean | bare p50 | p95 | mean | Δ p50 | bare + bcrypt p50 | Δ excl. bcrypt |")
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, cr := range r.cases {
		h := cr.handler
		bare := [3]string{"—", "—", "—"}
		delta, withBcrypt, rest := h.quantile(0.5), "—", h.quantile(0.5)
		if b := cr.bare; b != nil {
			bare = [3]string{ms(b.quantile(0.5)), ms(b.quantile(0.95)), ms(b.mean())}
			delta -= b.quantile(0.5)
			rest = delta
		}
		if b := cr.bareBcrypt; b != nil {
			withBcrypt = ms(b.quantile(0.5))
			rest = h.quantile(0.5) - b.quantile(0.5)
		}
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", cr.c.name, h.mostCalls(),
			ms(h.quantile(0.5)), ms(h.quantile(0.95)), ms(h.mean()), bare[0], bare[1], bare[2],
			signedMS(delta), withBcrypt, signedMS(rest))
	}
	p("")
	p("bcrypt alone (golang.org/x/crypto/bcrypt, cost %d, %d calls after %d warm-up): it is most of create customer,", cost, r.iters[1], r.warm[1])
	p("update with a password, and log-in.")
	p("")
	p("| operation | p50 | p95 | mean |")
	p("|---|--:|--:|--:|")
	p("| GenerateFromPassword (sign-up, password change) | %s | %s | %s |", ms(r.hash.quantile(0.5)), ms(r.hash.quantile(0.95)), ms(r.hash.mean()))
	p("| CompareHashAndPassword (log-in) | %s | %s | %s |", ms(r.compare.quantile(0.5)), ms(r.compare.quantile(0.95)), ms(r.compare.mean()))
	p("")
	p("Token verification alone (%d calls after %d warm-up; every request verifies its access token, a customer's also", r.verifyEd.n(), r.warm[0])
	p("its customer token): before, HS256 under a key every function held; now, EdDSA under the published public key,")
	p("cached (no DynamoDB call), as in a warm function.")
	p("")
	p("| verification | p50 µs | p95 µs | mean µs | allocs | KiB |")
	p("|---|--:|--:|--:|--:|--:|")
	for _, v := range []struct {
		name string
		s    sample
	}{{"HS256, before (golang-jwt)", r.verifyHS}, {"EdDSA, now (golang-jwt, crypto/ed25519)", r.verifyEd}} {
		p("| %s | %s | %s | %s | %.0f | %.1f |", v.name, us(v.s.quantile(0.5)), us(v.s.quantile(0.95)), us(v.s.mean()),
			v.s.allocsPerCall(), v.s.kibPerCall())
	}
	p("")
	p("Notes: log-in throttling is configured with limits nobody reaches (the failure cases fail hundreds of times for")
	p("one email), so every attempt is counted and none refused; the policy is in the condition of the counting")
	p("UpdateItem either way. Before every *success* the window's counts for the email are cleared (untimed), so it makes")
	p("the plain log-in's two calls; *success after a counted attempt* has one attempt counted first (untimed), which")
	p("the success then clears (a third call). *unknown email* logs in with an email nobody holds: the claim read finds")
	p("nothing and bcrypt compares against a dummy hash of the same cost, so its calls and time should be those of the")
	p("known email's *failure*.")
	p("")
	p("Settings are cached per process: the bench sets the settings TTL to %s and reads them once before measuring, so",
		r.env.deps.Config.SettingsTTL)
	p("every request is a warm Lambda's and none reads the settings (in a cold process, or once the TTL has run out, the")
	p("customer and address lists and address create and update make one GetItem more). *update settings* writes")
	p("page_length %d, the default, so the lists' page stays %d.", settingsPageLength, settingsPageLength)
	p("")
	p("*delete customer* gets a fresh customer before every call, *delete address* a fresh address, *update email* a new")
	p("email (all untimed); *create address* adds to one customer. The address lists read a customer holding %d", bookAddresses)
	p("addresses, seeded untimed with BatchWriteItem (items as pkg/store writes them, checked against one it wrote) and")
	p("its address_count set to match.")
	p("")
	p("Carts and orders: each cart case has a cart of its own holding %d custom items, made through the store (untimed);", cartLines)
	p("before every call (untimed) *add to cart* has the line the call before added removed, *remove cart item* gets a")
	p("line to remove and *empty cart* its lines back, so every call finds the same cart. *checkout* gets a fresh cart of")
	p("%d lines before every call (untimed): *customer token* for a customer of its own (whose history grows by one", cartLines)
	p("order a call), *guest* with the implicit token alone. The order cases read a customer holding %d orders placed", shopperOrders)
	p("through the orders service (untimed): its newest order, the first page of its history (the default 25) with its")
	p("token, the first page of every order (client_credentials; the checkout cases' orders among them), and its orders")
	p("by `filter=eq(customer_id,…)` (client_credentials: one Query of its history, every link of it, sorted and paged")
	p("in memory).")
	p("")
	p("Absolute figures are DynamoDB Local's on this machine, not DynamoDB's; read the columns against each other.")
	p("")
	p("### Allocations per call")
	p("")
	p("Heap allocations during the timed call, whole process (the SDK's HTTP transport goroutines count on both sides),")
	p("averaged over the timed calls.")
	p("")
	p("| endpoint | handler allocs | handler KiB | bare allocs | bare KiB | handler − bare allocs |")
	p("|---|--:|--:|--:|--:|--:|")
	for _, cr := range r.cases {
		h := cr.handler
		b := [3]string{"—", "—", fmt.Sprintf("%+.0f", h.allocsPerCall())}
		if cr.bare != nil {
			b = [3]string{fmt.Sprintf("%.0f", cr.bare.allocsPerCall()), fmt.Sprintf("%.1f", cr.bare.kibPerCall()),
				fmt.Sprintf("%+.0f", h.allocsPerCall()-cr.bare.allocsPerCall())}
		}
		p("| %s | %.0f | %.1f | %s | %s | %s |", cr.c.name, h.allocsPerCall(), h.kibPerCall(), b[0], b[1], b[2])
	}
}

func (r *report) writeSizes(p func(string, ...any)) {
	p("")
	p("## Binary sizes")
	p("")
	p("Each function built exactly as `sam build` builds it: `make build-<LogicalId> GOARCH=arm64 ARTIFACTS_DIR=<temp dir>`")
	p("(`GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags=\"-s -w\"`); the minimal")
	p("Lambda (`cmd/bench/testdata/minimal`: aws-lambda-go events + lambda, aws-sdk-go-v2 config + dynamodb, one GetItem)")
	p("built with the same command and flags against the same go.mod.")
	p("")
	p("| binary | bytes | MiB | vs minimal |")
	p("|---|--:|--:|--:|")
	floor := r.binaries[0].size
	for i, b := range r.binaries {
		vs := "—"
		if i > 0 {
			vs = fmt.Sprintf("%+.2f MiB (×%.2f)", float64(b.size-floor)/(1<<20), float64(b.size)/float64(floor))
		}
		p("| %s | %d | %s | %s |", b.name, b.size, mib(b.size), vs)
	}
}

// cpuModel is the first "model name" of /proc/cpuinfo, when there is one.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// loadAverage is the first three fields of /proc/loadavg, when there is one.
func loadAverage() string {
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

func javaVersion() string {
	out, err := exec.Command("java", "-version").CombinedOutput()
	if err != nil {
		return "java version unknown"
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return first
}

// commit is HEAD's short hash, noting uncommitted changes.
func commit(root string) string {
	cmd := exec.Command("git", "rev-parse", "--short", "HEAD")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	c := strings.TrimSpace(string(out))
	cmd = exec.Command("git", "status", "--porcelain")
	cmd.Dir = root
	if st, err := cmd.Output(); err == nil && strings.TrimSpace(string(st)) != "" {
		c += " with uncommitted changes in the working tree"
	}
	return c
}
