package samlocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// DefaultConcurrency is how many processes a function may run at once unless told otherwise.
const DefaultConcurrency = 8

// initTimeout bounds how long a process may take to ask for its first event, as Lambda
// bounds a function's initialisation.
const initTimeout = 10 * time.Second

// Lambda says how to run one function's bootstrap.
type Lambda struct {
	Name        string            // AWS_LAMBDA_FUNCTION_NAME, e.g. the template's logical id
	Bootstrap   string            // path of the executable
	Env         map[string]string // the function's environment; the runner adds the variables Lambda sets
	MemorySize  int               // MB, for AWS_LAMBDA_FUNCTION_MEMORY_SIZE
	Timeout     time.Duration     // an invocation running longer is killed; 3s when 0
	Concurrency int               // most processes at once; DefaultConcurrency when 0
	Log         io.Writer         // the processes' stdout and stderr, line by line, prefixed with Name; os.Stderr when nil
}

// ErrTimeout is wrapped by the *InvokeError of an invocation that exceeded its timeout.
var ErrTimeout = errors.New("function timed out")

// InvokeError is a failed invocation: the handler returned an error, or the process
// crashed, failed to initialise or timed out. Payload is the Lambda error document
// ({"errorMessage": ..., "errorType": ...}) the invocation produced.
type InvokeError struct {
	Type    string // e.g. the handler's error type, "Runtime.ExitError", "Sandbox.Timedout"
	Message string
	Payload []byte
}

func (e *InvokeError) Error() string { return e.Type + ": " + e.Message }

// Unwrap makes errors.Is(err, ErrTimeout) report timeouts.
func (e *InvokeError) Unwrap() error {
	if e.Type == "Sandbox.Timedout" {
		return ErrTimeout
	}
	return nil
}

func newInvokeError(typ, msg string) *InvokeError {
	payload, _ := json.Marshal(map[string]string{"errorType": typ, "errorMessage": msg})
	return &InvokeError{Type: typ, Message: msg, Payload: payload}
}

// Pool runs a function's bootstrap processes: one invocation per process at a time,
// processes kept warm between invocations, a new one started when all are busy, up to
// Concurrency; beyond that invocations wait for a free process.
type Pool struct {
	fn    Lambda
	log   *lineLog
	slots chan struct{} // one token per running invocation

	mu     sync.Mutex
	idle   []*process
	live   map[*process]struct{}
	seq    int
	closed bool
}

// NewPool returns a pool for fn; processes start on demand.
func NewPool(fn Lambda) *Pool {
	if fn.Concurrency <= 0 {
		fn.Concurrency = DefaultConcurrency
	}
	if fn.Log == nil {
		fn.Log = os.Stderr
	}
	if fn.Timeout <= 0 {
		fn.Timeout = 3 * time.Second // the Lambda default
	}
	return &Pool{
		fn:    fn,
		log:   newLineLog(fn.Log),
		slots: make(chan struct{}, fn.Concurrency),
		live:  map[*process]struct{}{},
	}
}

// Invoke sends event to a process of the function and returns the function's response.
// ctx bounds the wait for a free process; once handed over, the invocation runs until it
// answers, fails or times out, as in Lambda. A failed invocation returns an *InvokeError.
func (p *Pool) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.slots }()

	for {
		proc, warm, err := p.get()
		if err != nil {
			return nil, err
		}
		out, err := proc.invoke(event, p.fn.Timeout)
		if err == errNotTaken && warm {
			continue // a warm process died while idle: replace it
		}
		p.put(proc)
		if err == errNotTaken {
			err = proc.exitError()
		}
		return out, err
	}
}

// InitDurations returns how long each process the pool started took to initialise, from
// its start to its first request for an event (Lambda's Init Duration), in start order;
// processes still initialising are left out.
func (p *Pool) InitDurations() []time.Duration {
	p.mu.Lock()
	procs := slices.Collect(maps.Keys(p.live))
	procs = append(procs, p.idle...)
	p.mu.Unlock()
	var out []time.Duration
	seen := map[*process]bool{}
	for _, proc := range procs {
		if seen[proc] {
			continue
		}
		seen[proc] = true
		proc.mu.Lock()
		if !proc.ready.IsZero() {
			out = append(out, proc.ready.Sub(proc.started))
		}
		proc.mu.Unlock()
	}
	return out
}

// Processes returns how many processes are running.
func (p *Pool) Processes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.live)
}

// Close kills every process of the pool; invocations in flight fail.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	procs := slices.Collect(maps.Keys(p.live))
	p.mu.Unlock()
	for _, proc := range procs {
		proc.kill()
	}
}

// get returns an idle live process, or starts one.
func (p *Pool) get() (proc *process, warm bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, false, errors.New("samlocal: pool closed")
	}
	for len(p.idle) > 0 {
		proc = p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if !proc.dead() {
			return proc, true, nil
		}
		delete(p.live, proc)
	}
	p.seq++
	proc, err = startProcess(p.fn, p.seq, p.log)
	if err != nil {
		return nil, false, err
	}
	p.live[proc] = struct{}{}
	go func() { // forget the process once it exits
		<-proc.exited
		p.mu.Lock()
		delete(p.live, proc)
		p.mu.Unlock()
	}()
	return proc, false, nil
}

// put returns a process to the idle list unless it has exited or the pool is closed.
func (p *Pool) put(proc *process) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || proc.dead() {
		proc.kill()
		delete(p.live, proc)
		return
	}
	p.idle = append(p.idle, proc)
}

// process is one running bootstrap with its own Runtime API endpoint.
type process struct {
	name    string
	cmd     *exec.Cmd
	server  *http.Server
	next    chan *invocation // hands an event to a waiting GET /next
	exited  chan struct{}    // closed when the process has exited
	waitErr error            // valid once exited is closed
	timeout time.Duration

	mu        sync.Mutex
	current   *invocation
	initError *InvokeError // from POST /runtime/init/error
	started   time.Time    // when the process was started
	ready     time.Time    // when it first asked for an event: its init was done
}

type invocation struct {
	id       string
	event    []byte
	deadline time.Time
	done     chan result // buffered: the first answer wins
}

type result struct {
	body []byte
	err  *InvokeError
}

var errNotTaken = errors.New("process exited before taking the event")

func startProcess(fn Lambda, seq int, log *lineLog) (*process, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("samlocal: runtime API listener for %s: %w", fn.Name, err)
	}
	p := &process{
		name:    fn.Name,
		next:    make(chan *invocation),
		exited:  make(chan struct{}),
		timeout: fn.Timeout,
	}
	p.server = &http.Server{Handler: p.runtimeAPI(fn), ReadHeaderTimeout: 10 * time.Second}
	go p.server.Serve(ln)

	bootstrap, err := filepath.Abs(fn.Bootstrap)
	if err != nil {
		ln.Close()
		return nil, err
	}
	cmd := exec.Command(bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = processEnv(fn, ln.Addr().String(), seq)
	prefix := fn.Name
	if seq > 1 {
		prefix += "#" + strconv.Itoa(seq)
	}
	out := log.writer(prefix)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	cmd.WaitDelay = time.Second
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		p.server.Close()
		return nil, fmt.Errorf("samlocal: start %s: %w", fn.Name, err)
	}
	p.cmd = cmd
	go func() {
		p.waitErr = cmd.Wait()
		out.Flush()
		p.server.Close()
		close(p.exited)
	}()
	return p, nil
}

// processEnv is the environment Lambda gives a function: the function's own variables,
// then the ones Lambda reserves. Nothing is inherited from the runner but PATH.
func processEnv(fn Lambda, runtimeAPI string, seq int) []string {
	env := map[string]string{"PATH": os.Getenv("PATH"), "TZ": "UTC", "LANG": "en_US.UTF-8"}
	maps.Copy(env, fn.Env)
	region := "us-east-1"
	maps.Copy(env, map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          runtimeAPI,
		"AWS_LAMBDA_FUNCTION_NAME":        fn.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(fn.MemorySize),
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + fn.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().Format("2006/01/02") + "/[$LATEST]local" + strconv.Itoa(seq),
		"AWS_REGION":                      region,
		"AWS_DEFAULT_REGION":              region,
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                filepath.Dir(fn.Bootstrap),
		"AWS_ACCESS_KEY_ID":               "local",
		"AWS_SECRET_ACCESS_KEY":           "local",
	})
	if d, ok := fn.Env["_HANDLER"]; ok && d != "" {
		env["_HANDLER"] = d
	}
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// invoke hands event to the process and waits for its answer.
func (p *process) invoke(event []byte, timeout time.Duration) ([]byte, error) {
	inv := &invocation{id: newID(), event: event, done: make(chan result, 1)}
	p.mu.Lock()
	p.current = inv
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.current = nil
		p.mu.Unlock()
	}()

	handover := time.NewTimer(initTimeout)
	defer handover.Stop()
	select {
	case p.next <- inv:
	case <-p.exited:
		return nil, errNotTaken
	case <-handover.C:
		p.kill()
		return nil, newInvokeError("Runtime.InitError",
			fmt.Sprintf("%s did not ask for an event within %s", p.name, initTimeout))
	}

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-inv.done:
		if r.err != nil {
			return r.err.Payload, r.err
		}
		return r.body, nil
	case <-p.exited:
		err := p.exitError()
		return err.Payload, err
	case <-timer.C:
		p.kill()
		err := newInvokeError("Sandbox.Timedout",
			fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, timeout.Seconds()))
		return err.Payload, err
	}
}

// exitError describes a process that has exited.
func (p *process) exitError() *InvokeError {
	p.mu.Lock()
	initErr := p.initError
	p.mu.Unlock()
	if initErr != nil {
		return initErr
	}
	return newInvokeError("Runtime.ExitError",
		fmt.Sprintf("Runtime exited with error: %v", p.waitErr))
}

func (p *process) dead() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// kill ends the process group and waits until the process is gone.
func (p *process) kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.exited
}
