package soak

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// request is one API call of the workload, sent until it has a definite answer (see send).
type request struct {
	route    string // the template's route key, e.g. "POST /v2/customers": what the report groups by
	method   string
	path     string
	query    url.Values
	body     []byte
	form     bool   // application/x-www-form-urlencoded instead of JSON
	bearer   string // Authorization: Bearer
	customer string // X-Moltin-Customer-Token
	key      string // Idempotency-Key
	// ok are the statuses that answer the call as the workload expects; anything else
	// (after the retries) is an unexpected answer.
	ok []int
	// gone are the statuses that, on a retry, mean the first attempt did it (a delete's
	// 404): the call is answered as its first attempt would have been, ok[0].
	gone []int
}

// response is the call's final answer.
type response struct {
	status   int // 0: no answer at all
	header   http.Header
	body     []byte
	attempts int
	err      error // the last transport error, when status is 0
}

// definite reports whether the call got an answer that says what happened: any status
// but a 5xx, a 409 "in progress" or none.
func (r response) definite() bool { return r.status != 0 && r.status < 500 && !inProgress(r) }

// inProgress is the idempotency layer's "a request with this key is still in progress;
// retry shortly": a 409 with Retry-After about the Idempotency-Key.
func inProgress(r response) bool {
	return r.status == http.StatusConflict && r.header.Get("Retry-After") != "" &&
		bytes.Contains(r.body, []byte(`"Idempotency-Key"`))
}

// api is the workload's HTTP side: one client for every simulated client, the attempts'
// statistics, and the retry policy.
type api struct {
	base        string
	http        *http.Client
	stats       *stats
	maxAttempts int
	anomalies   *anomalies
	// refusal is the answer to a wrong password, once a client has seen it: a deleted
	// customer's log-in must get the same.
	refusal atomic.Pointer[[]byte]
}

// send sends r and retries it as a careful client does: on no answer (connection error,
// timeout), on a 503 (waiting as Retry-After says) and on a keyed create's "in progress"
// 409, up to maxAttempts. Creates are retried with their Idempotency-Key, so a retry never
// creates twice; updates and deletes are retried as they are. Every attempt is recorded.
func (a *api) send(r request) response {
	var res response
	for attempt := 1; ; attempt++ {
		res = a.attempt(r)
		res.attempts = attempt
		retry := res.status == 0 || res.status == http.StatusServiceUnavailable || inProgress(res)
		if !retry || attempt >= a.maxAttempts {
			break
		}
		time.Sleep(backoff(res, attempt))
	}
	if res.attempts > 1 && slices.Contains(r.gone, res.status) {
		res.status = r.ok[0] // the first attempt's, whose answer did not come
	}
	switch {
	case slices.Contains(r.ok, res.status):
	case inProgress(res):
		// The key's record was written with the resource, its answer never stored (that
		// write failed after the create): as README says, a retry is told to wait until
		// the key expires. The resource exists; this client never learns its answer.
		a.anomalies.add("key in progress for good", "%s %s (Idempotency-Key %s): 409 in progress after %d attempts: %s",
			r.method, r.path, r.key, res.attempts, snippet(res.body))
	default:
		a.anomalies.unexpected(r, res)
	}
	return res
}

// backoff is the pause before retry attempt+1: Retry-After when the answer has one (at
// most 2 s, so that a run's clients are not idle for long), else exponential with jitter.
func backoff(res response, attempt int) time.Duration {
	if s, err := strconv.Atoi(res.header.Get("Retry-After")); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, 2*time.Second) + rand.N(100*time.Millisecond)
	}
	return rand.N(min(2*time.Second, 50*time.Millisecond<<attempt)) + 10*time.Millisecond
}

func (a *api) attempt(r request) response {
	u := a.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequest(r.method, u, body)
	if err != nil {
		panic(err)
	}
	if r.body != nil {
		if r.form {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if r.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+r.bearer)
	}
	if r.customer != "" {
		req.Header.Set("X-Moltin-Customer-Token", r.customer)
	}
	if r.key != "" {
		req.Header.Set("Idempotency-Key", r.key)
	}
	start := time.Now()
	resp, err := a.http.Do(req)
	var res response
	if err == nil {
		res.body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		res.status, res.header = resp.StatusCode, resp.Header
	}
	took := time.Since(start)
	if err != nil {
		res = response{err: err, header: http.Header{}}
	}
	a.stats.record(r.route, res, took)
	return res
}

// stats are every attempt's status and latency, by route.
type stats struct {
	mu     sync.Mutex
	routes map[string]*routeStats
}

type routeStats struct {
	statuses map[int]int // 0: no answer
	// gateway counts the 5xx the local API Gateway made itself (a function crashed or
	// timed out): {"message": ...} instead of the contract's error envelope.
	gateway int
	// no503Retry counts 503s without Retry-After.
	no503Retry int
	latencies  []time.Duration
	replayed   int // answers with Idempotent-Replayed: true
}

func newStats() *stats { return &stats{routes: map[string]*routeStats{}} }

func (s *stats) record(route string, res response, took time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.routes[route]
	if rs == nil {
		rs = &routeStats{statuses: map[int]int{}}
		s.routes[route] = rs
	}
	rs.statuses[res.status]++
	if res.status != 0 {
		rs.latencies = append(rs.latencies, took)
	}
	if res.status >= 500 && bytes.HasPrefix(res.body, []byte(`{"message"`)) {
		rs.gateway++
	}
	if res.status == http.StatusServiceUnavailable && res.header.Get("Retry-After") == "" {
		rs.no503Retry++
	}
	if res.header.Get("Idempotent-Replayed") == "true" {
		rs.replayed++
	}
}

// anomalies are the answers the workload did not expect, and the reads that disagreed
// with what the clients had been told: each a violation, kept with its request.
type anomalies struct {
	mu   sync.Mutex
	list []anomaly
	n    map[string]int // by kind
}

type anomaly struct {
	kind   string // "unexpected answer", "stale read", ...
	detail string
}

func newAnomalies() *anomalies { return &anomalies{n: map[string]int{}} }

// keep is how many anomalies of a kind are kept with their details.
const keep = 25

func (a *anomalies) add(kind, format string, args ...any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n[kind]++
	if a.n[kind] <= keep {
		a.list = append(a.list, anomaly{kind, fmt.Sprintf(format, args...)})
	}
}

func (a *anomalies) unexpected(r request, res response) {
	what := fmt.Sprintf("%s %s", r.method, r.path)
	if r.key != "" {
		what += " (Idempotency-Key " + r.key + ")"
	}
	if res.status == 0 {
		a.add("no answer", "%s: no answer after %d attempts: %v", what, res.attempts, res.err)
		return
	}
	a.add("unexpected answer", "%s: %d after %d attempts, expected %v: %s", what, res.status, res.attempts, r.ok, snippet(res.body))
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// decode reads a JSON answer into v; a malformed answer is an anomaly.
func (a *api) decode(r request, res response, v any) bool {
	if err := json.Unmarshal(res.body, v); err != nil {
		a.anomalies.add("malformed answer", "%s %s: %d %v: %s", r.method, r.path, res.status, err, snippet(res.body))
		return false
	}
	return true
}

// errNoAnswer is returned by steps that could not get a definite answer.
var errNoAnswer = errors.New("no definite answer")

// newHTTPClient is the workload's client: many connections to one host, a timeout above
// the functions' (10 s) and the local runner's queueing.
func newHTTPClient(clients int, timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		MaxIdleConns: clients * 4, MaxIdleConnsPerHost: clients * 4, IdleConnTimeout: time.Minute,
	}}
}
