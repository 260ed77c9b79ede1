// Package mockidp runs a real OpenID Connect provider for tests and the local runner:
// scripts/mock-idp.mjs, which serves the npm package oauth2-mock-server (installed under
// the module root's node_modules by scripts/setup.sh) on 127.0.0.1, plus a control API
// that sets the registered client, the user who logs in, and faults.
//
// One provider holds one fault at a time, so tests that set faults on a shared provider
// must not run in parallel.
package mockidp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/acme/customers/pkg/childproc"
	"github.com/acme/customers/pkg/dynamolocal"
)

// startTimeout bounds how long Start waits for the provider's ready line.
const startTimeout = 20 * time.Second

// Provider is a running mock OpenID Connect provider.
type Provider struct {
	cmd      *exec.Cmd
	stdin    io.WriteCloser // held open: node exits when it closes (see scripts/mock-idp.mjs)
	issuer   string
	control  string
	http     *http.Client
	exited   chan struct{}   // closed when the process has exited
	waitErr  error           // valid after exited is closed
	output   *childproc.Tail // node's stderr and any stdout after the ready line
	stopOnce sync.Once
}

// Request is one request the provider saw, as GET /log reports it. CodeVerifierOK is nil
// unless the request was an authorization-code token request that used PKCE.
type Request struct {
	Path                string `json:"path"`
	Method              string `json:"method"`
	Query               string `json:"query"`
	AuthorizationScheme string `json:"authorization_scheme"`
	GrantType           string `json:"grant_type"`
	CodeVerifierOK      *bool  `json:"code_verifier_ok"`
}

// Start launches scripts/mock-idp.mjs (found from the module root) with node on free ports
// and returns once it is ready. ctx bounds the start-up only; call Stop to end it.
func Start(ctx context.Context) (*Provider, error) {
	return StartOn(ctx, 0)
}

// StartOn is Start with the provider (the issuer) on 127.0.0.1:port; 0 is any free port.
// The control API is always on a free port.
func StartOn(ctx context.Context, port int) (*Provider, error) {
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("mockidp: port %d out of range", port)
	}
	root, err := dynamolocal.ModuleRoot()
	if err != nil {
		return nil, fmt.Errorf("mockidp: %w", err)
	}
	return startOn(ctx, root, port)
}

func start(ctx context.Context, root string) (*Provider, error) { return startOn(ctx, root, 0) }

func startOn(ctx context.Context, root string, port int) (*Provider, error) {
	if _, err := os.Stat(filepath.Join(root, "node_modules", "oauth2-mock-server", "package.json")); err != nil {
		return nil, fmt.Errorf("mockidp: node_modules/oauth2-mock-server is missing under %s (run `make deps` or `sh scripts/setup.sh`): %w", root, err)
	}
	script := filepath.Join(root, "scripts", "mock-idp.mjs")
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("mockidp: %w", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("mockidp: node not found on PATH (Node.js 18 or later): %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()

	out := &childproc.Tail{Max: 8192}
	ready := &firstLine{line: make(chan string, 1), rest: out}
	cmd := exec.Command(node, script)
	cmd.Dir = root
	// The port asked for (0: a free one), whatever PORT says (make local uses it for the API).
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "CONTROL_PORT=0")
	cmd.Stdout = ready
	cmd.Stderr = out
	cmd.SysProcAttr = childproc.SysProcAttr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("mockidp: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("mockidp: start node: %w", err)
	}
	p := &Provider{
		cmd:    cmd,
		stdin:  stdin,
		http:   &http.Client{Timeout: 30 * time.Second},
		exited: make(chan struct{}),
		output: out,
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()

	fail := func(err error) (*Provider, error) {
		p.Stop()
		return nil, fmt.Errorf("mockidp: %s did not start: %w\nnode output (tail):\n%s", script, err, out.String())
	}
	select {
	case line := <-ready.line:
		var addr struct{ Issuer, Control string }
		if err := json.Unmarshal([]byte(line), &addr); err != nil || addr.Issuer == "" || addr.Control == "" {
			return fail(fmt.Errorf("unexpected ready line %q", line))
		}
		p.issuer, p.control = addr.Issuer, addr.Control
		return p, nil
	case <-p.exited:
		return fail(fmt.Errorf("node exited: %v", p.waitErr))
	case <-ctx.Done():
		return fail(ctx.Err())
	}
}

// Issuer is the provider's issuer URL, e.g. http://127.0.0.1:PORT.
func (p *Provider) Issuer() string { return p.issuer }

// DiscoveryURL is the provider's OpenID Connect discovery document.
func (p *Provider) DiscoveryURL() string { return p.issuer + "/.well-known/openid-configuration" }

// SetClient registers the confidential client: from then on the token endpoint requires
// client_secret_basic with exactly these credentials (until then it accepts any client).
func (p *Provider) SetClient(ctx context.Context, id, secret string) error {
	return p.call(ctx, http.MethodPost, "/client", map[string]string{"client_id": id, "client_secret": secret}, nil)
}

// SetUser sets the claims of the user the next log-ins get (ID token and userinfo); "sub"
// is required.
func (p *Provider) SetUser(ctx context.Context, claims map[string]any) error {
	return p.call(ctx, http.MethodPost, "/user", claims, nil)
}

// Fault makes the provider misbehave in one way until Reset; kind is one of slow (params
// {"ms": N}), down, discovery_500, token_error, wrong_audience, wrong_azp, expired,
// future_iat, wrong_nonce, no_nonce, wrong_issuer, bad_signature, alg_none, hs256 (see
// scripts/mock-idp.mjs).
func (p *Provider) Fault(ctx context.Context, kind string, params map[string]any) error {
	body := map[string]any{}
	for k, v := range params {
		body[k] = v
	}
	body["kind"] = kind
	return p.call(ctx, http.MethodPost, "/fault", body, nil)
}

// Rotate makes a new RS256 key the signer and drops the old one from the JWKS.
func (p *Provider) Rotate(ctx context.Context) error {
	return p.call(ctx, http.MethodPost, "/rotate", nil, nil)
}

// Reset clears the fault and the request log; the client, user and keys stay.
func (p *Provider) Reset(ctx context.Context) error {
	return p.call(ctx, http.MethodPost, "/reset", nil, nil)
}

// Log returns the requests the provider saw since the last Reset.
func (p *Provider) Log(ctx context.Context) ([]Request, error) {
	var log []Request
	err := p.call(ctx, http.MethodGet, "/log", nil, &log)
	return log, err
}

// Stop kills the provider's process group and waits for it to exit. It is safe to call
// more than once.
func (p *Provider) Stop() {
	p.stopOnce.Do(func() {
		_ = p.stdin.Close()
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	})
}

// call sends a control request with in as its JSON body (if not nil) and decodes the
// answer into out (if not nil).
func (p *Provider) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("mockidp: %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.control+path, body)
	if err != nil {
		return fmt.Errorf("mockidp: %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return fmt.Errorf("mockidp: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("mockidp: %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("mockidp: %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(raw)))
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("mockidp: %s %s: %w", method, path, err)
		}
	}
	return nil
}

// firstLine sends the first line written to it on line and passes the rest to rest.
type firstLine struct {
	mu   sync.Mutex
	buf  []byte
	sent bool
	line chan string
	rest io.Writer
}

func (f *firstLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sent {
		return f.rest.Write(p)
	}
	f.buf = append(f.buf, p...)
	i := bytes.IndexByte(f.buf, '\n')
	if i < 0 {
		return len(p), nil
	}
	f.sent = true
	f.line <- string(f.buf[:i])
	if _, err := f.rest.Write(f.buf[i+1:]); err != nil {
		return 0, err
	}
	f.buf = nil
	return len(p), nil
}
