// Package chaos puts a fault-injecting HTTP proxy between the functions and DynamoDB
// (Local): the functions reach DynamoDB at AWS_ENDPOINT_URL_DYNAMODB, the runner sets it
// from its DynamoDBEndpoint, and pointing that at a Proxy makes a share of their calls meet
// what a real table and a real network do now and then:
//
//   - Throttle: HTTP 400 ProvisionedThroughputExceededException; the request never
//     reaches the table.
//   - Error: HTTP 500 InternalServerError; the request never reaches the table.
//   - Reset: the connection is reset before the request reaches the table.
//   - Drop: the request is forwarded and applied, then the connection is reset instead of
//     the answer (the caller cannot know it was applied; the SDK sends it again).
//   - Slow: an added delay (up to Faults.Delay) before the request is forwarded.
//
// Each HTTP attempt draws its fate once: the rates are probabilities per attempt, so a
// call the SDK retries three times fails for good with the rate cubed.
package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Kind is what the proxy did to one request.
type Kind int

// The kinds of fate a request meets.
const (
	Pass Kind = iota // forwarded untouched
	Throttle
	Error
	Reset
	Drop
	Slow // forwarded after a delay (counted besides the fate that follows)
	// Upstream counts requests the proxy could not forward (DynamoDB did not answer): the
	// caller's connection is reset, as a Reset's.
	Upstream
	nKinds
)

var kindNames = [nKinds]string{"pass", "throttle", "error 500", "reset", "drop after apply", "slow", "upstream failure"}

func (k Kind) String() string {
	if k < 0 || k >= nKinds {
		return "kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// Kinds are the faults (and the upstream failures), in the order reports list them.
var Kinds = []Kind{Throttle, Error, Reset, Drop, Slow, Upstream}

// Faults are the rates of each fault, as probabilities per HTTP attempt (0 to 1; Throttle,
// Error, Reset and Drop together at most 1), and how long a slow request is held at most.
type Faults struct {
	Throttle, Error, Reset, Drop float64
	// Slow is the share of requests held back before they are forwarded, each for a random
	// time up to Delay.
	Slow  float64
	Delay time.Duration
}

// DefaultFaults are `make chaos`'s rates: about one DynamoDB attempt in ten meets a fault,
// and one in a few thousand calls fails three attempts in a row (what the SDK's retries
// cannot hide).
var DefaultFaults = Faults{Throttle: 0.03, Error: 0.02, Reset: 0.02, Drop: 0.02, Slow: 0.05, Delay: 200 * time.Millisecond}

// Validate checks the rates.
func (f Faults) Validate() error {
	for _, r := range []float64{f.Throttle, f.Error, f.Reset, f.Drop, f.Slow} {
		if r < 0 || r > 1 {
			return fmt.Errorf("chaos: a rate must be between 0 and 1, got %g", r)
		}
	}
	if s := f.Throttle + f.Error + f.Reset + f.Drop; s > 1 {
		return fmt.Errorf("chaos: throttle, error, reset and drop add up to %g, more than 1", s)
	}
	if f.Slow > 0 && f.Delay <= 0 {
		return errors.New("chaos: slow requests need a delay")
	}
	return nil
}

func (f Faults) String() string {
	return fmt.Sprintf("throttle %g, error 500 %g, reset %g, drop after apply %g, slow %g (up to %s)",
		f.Throttle, f.Error, f.Reset, f.Drop, f.Slow, f.Delay)
}

// Proxy forwards DynamoDB's JSON protocol to a target endpoint, injecting faults.
type Proxy struct {
	target string
	srv    *http.Server
	ln     net.Listener
	client *http.Client

	mu     sync.Mutex
	faults Faults
	forced map[string][]Kind // operation -> the fates of its next requests, in order
	counts map[string]*[nKinds]int64
	// upstreamErr is the last failure to forward a request.
	upstreamErr error
}

// New starts a proxy on a free port of 127.0.0.1 in front of target (e.g. DynamoDB Local's
// endpoint), with no faults until SetFaults.
func New(target string) (*Proxy, error) {
	if !strings.HasPrefix(target, "http://") {
		return nil, fmt.Errorf("chaos: target %q: only http:// endpoints", target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		target: strings.TrimSuffix(target, "/"),
		ln:     ln,
		client: &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}},
		forced: map[string][]Kind{},
		counts: map[string]*[nKinds]int64{},
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

// URL is the proxy's endpoint: give it to the functions as their DynamoDB endpoint.
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() }

// SetFaults changes the rates for the requests that arrive from now on.
func (p *Proxy) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = f
	return nil
}

// Faults are the rates in force.
func (p *Proxy) Faults() Faults {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults
}

// Force makes the next requests of operation op (e.g. "UpdateItem") meet the fates given,
// one each, before the rates apply again: a test's way to reproduce one fault exactly.
func (p *Proxy) Force(op string, kinds ...Kind) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forced[op] = append(p.forced[op], kinds...)
}

// Counts are how many requests of each operation met each fate so far.
func (p *Proxy) Counts() map[string]map[Kind]int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]map[Kind]int64{}
	for op, c := range p.counts {
		m := map[Kind]int64{}
		for k, n := range c {
			if n > 0 {
				m[Kind(k)] = n
			}
		}
		out[op] = m
	}
	return out
}

// Total is how many requests met fate k so far, over every operation.
func (p *Proxy) Total(k Kind) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var n int64
	for _, c := range p.counts {
		n += c[k]
	}
	return n
}

// Close stops the proxy; requests in flight are cut.
func (p *Proxy) Close() error {
	err := p.srv.Close()
	p.client.CloseIdleConnections()
	return err
}

// fate draws what happens to one request of op: a fault (or Pass) and an added delay.
func (p *Proxy) fate(op string) (Kind, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.counts[op]
	if c == nil {
		c = new([nKinds]int64)
		p.counts[op] = c
	}
	if q := p.forced[op]; len(q) > 0 {
		k := q[0]
		p.forced[op] = slices.Delete(q, 0, 1)
		c[k]++
		return k, 0
	}
	f := p.faults
	var delay time.Duration
	if f.Slow > 0 && rand.Float64() < f.Slow {
		delay = rand.N(f.Delay) + 1
		c[Slow]++
	}
	k := Pass
	r := rand.Float64()
	for _, t := range []struct {
		k    Kind
		rate float64
	}{{Throttle, f.Throttle}, {Error, f.Error}, {Reset, f.Reset}, {Drop, f.Drop}} {
		if r < t.rate {
			k = t.k
			break
		}
		r -= t.rate
	}
	c[k]++
	return k, delay
}

func (p *Proxy) count(op string, k Kind, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[op][k]++
	p.upstreamErr = err
}

// UpstreamError is the last error met forwarding a request to the target, nil if none.
func (p *Proxy) UpstreamError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.upstreamErr
}

// operation names the DynamoDB operation of a request: X-Amz-Target is
// "DynamoDB_20120810.<Operation>".
func operation(r *http.Request) string {
	t := r.Header.Get("X-Amz-Target")
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		return t[i+1:]
	}
	return "unknown"
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // the caller went away
	}
	kind, delay := p.fate(operation(r))
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	switch kind {
	case Throttle:
		awsError(w, http.StatusBadRequest, "ProvisionedThroughputExceededException",
			"The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API. (injected)")
		return
	case Error:
		awsError(w, http.StatusInternalServerError, "InternalServerError", "Internal server error (injected)")
		return
	case Reset:
		reset(w)
		return
	}
	status, header, answer, err := p.forward(r, body)
	if err != nil {
		p.count(operation(r), Upstream, err)
		reset(w) // what a caller of an unreachable DynamoDB sees, near enough
		return
	}
	if kind == Drop {
		reset(w) // applied; the answer never arrives
		return
	}
	for k, v := range header {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	w.Write(answer)
}

// hopHeaders are not forwarded (RFC 9110 §7.6.1).
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func (p *Proxy) forward(r *http.Request, body []byte) (int, http.Header, []byte, error) {
	// Not the caller's context: a request the caller gave up on is still applied or not as
	// DynamoDB decides, as it would be over a network.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header = r.Header.Clone()
	for _, h := range hopHeaders {
		req.Header.Del(h)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	h := resp.Header.Clone()
	for _, k := range hopHeaders {
		h.Del(k)
	}
	h.Set("Content-Length", strconv.Itoa(len(answer)))
	return resp.StatusCode, h, answer, nil
}

// awsError answers as DynamoDB does when it refuses a request (JSON 1.0 protocol).
func awsError(w http.ResponseWriter, status int, code, message string) {
	body := []byte(fmt.Sprintf(`{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":%q}`, code, message))
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	h.Set("X-Amzn-Requestid", fmt.Sprintf("CHAOS%016X", rand.Uint64()))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// reset closes the caller's connection with a TCP reset (SO_LINGER 0), answering nothing.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}
