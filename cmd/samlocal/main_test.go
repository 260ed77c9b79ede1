package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acme/customers/pkg/dynamolocal"
)

// The runner's own test template: every function runs pkg/samlocal/testdata/echo.
const testTemplate = "../../pkg/samlocal/testdata/template.yaml"

// endpoint is a DynamoDB Local shared by the tests that need one.
var endpoint string

func TestMain(m *testing.M) {
	ep, stop, err := dynamolocal.Endpoint(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	endpoint = ep
	// The runs' secrets in a folder of their own, not the developer's .aws-sam/secrets.
	dir, err := os.MkdirTemp("", "samlocal-secrets-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("SAMLOCAL_SECRETS_DIR", dir)
	code := m.Run()
	stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func useDynamoDB(t *testing.T) {
	t.Setenv("DYNAMODB_ENDPOINT", endpoint)
	t.Setenv("TABLE_NAME", "cmd-test-"+regexp.MustCompile(`[^a-z0-9_.-]+`).ReplaceAllString(strings.ToLower(t.Name()), "-"))
}

func TestUsage(t *testing.T) {
	var stderr bytes.Buffer
	if code := run(context.Background(), nil, nil, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "usage") {
		t.Errorf("no arguments: %d %q", code, stderr.String())
	}
	if code := run(context.Background(), []string{"nope"}, nil, io.Discard, io.Discard); code != 2 {
		t.Errorf("unknown command: %d", code)
	}
}

func TestExec(t *testing.T) {
	t.Run("given endpoint and exit status", func(t *testing.T) {
		t.Setenv("DYNAMODB_ENDPOINT", "http://127.0.0.1:1")
		code := run(context.Background(), []string{"exec", "--", "sh", "-c", `test "$DYNAMODB_ENDPOINT" = http://127.0.0.1:1 && exit 7`}, nil, io.Discard, io.Discard)
		if code != 7 {
			t.Errorf("exit status %d, want 7", code)
		}
	})
	t.Run("starts DynamoDB Local", func(t *testing.T) {
		t.Setenv("DYNAMODB_ENDPOINT", "")
		var stdout bytes.Buffer
		code := run(context.Background(), []string{"exec", "sh", "-c", `echo "$DYNAMODB_ENDPOINT"`}, nil, &stdout, io.Discard)
		ep := strings.TrimSpace(stdout.String())
		if code != 0 || !strings.HasPrefix(ep, "http://127.0.0.1:") {
			t.Fatalf("exit %d, endpoint %q", code, ep)
		}
		// DynamoDB Local is stopped once the command is done.
		if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(ep, "http://"), time.Second); err == nil {
			conn.Close()
			t.Errorf("DynamoDB Local at %s still runs", ep)
		}
	})
}

func TestInvoke(t *testing.T) {
	useDynamoDB(t)
	buildDir := t.TempDir()
	event := filepath.Join(t.TempDir(), "event.json")
	tests := []struct {
		name, body string
		code       int
		want       string
	}{
		{"success", `{"version":"2.0","rawPath":"/echo/7","pathParameters":{"id":"7"}}`, 0, `"statusCode":200`},
		{"function error", `{"rawPath":"/any/error"}`, 1, `"errorMessage":"boom"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(event, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr syncBuffer
			code := run(context.Background(), []string{"invoke", "-t", testTemplate, "-b", buildDir, "EchoFunction", event}, nil, &stdout, &stderr)
			if code != tt.code || !strings.Contains(stdout.String(), tt.want) {
				t.Errorf("exit %d, stdout %s\nstderr %s", code, stdout.String(), stderr.String())
			}
			if tt.code == 0 && !json.Valid([]byte(stdout.String())) {
				t.Errorf("stdout is not JSON: %s", stdout.String())
			}
		})
	}
	// The project's own event, placeholders filled by pkg/fixtures, as `make invoke` runs it.
	t.Run("events/access-token.json", func(t *testing.T) {
		var stdout, stderr syncBuffer
		code := run(context.Background(), []string{"invoke", "-b", buildDir, "AccessTokenFunction", "../../events/access-token.json"}, nil, &stdout, &stderr)
		if code != 0 || !strings.Contains(stdout.String(), `"statusCode":200`) {
			t.Errorf("exit %d, stdout %s\nstderr %s", code, stdout.String(), stderr.String())
		}
	})
	if code := run(context.Background(), []string{"invoke", "-t", testTemplate, "EchoFunction"}, nil, io.Discard, io.Discard); code != 2 {
		t.Errorf("invoke without an event: exit %d, want 2", code)
	}
}

// serveAPI runs `samlocal start-api` with args in-process on a free port until the test
// ends, and returns its address and what it printed.
func serveAPI(t *testing.T, args ...string) (addr string, stdout, stderr *syncBuffer) {
	t.Helper()
	useDynamoDB(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = ln.Addr().String()
	ln.Close()
	t.Setenv("PORT", addr[strings.LastIndex(addr, ":")+1:])

	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"start-api"}, args...), nil, stdout, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("start-api exited with %d:\n%s", code, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("start-api did not stop")
		}
		if _, err := http.Get("http://" + addr + "/"); err == nil {
			t.Error("the API still answers after stopping")
		}
	})
	// The first start builds every function: minutes on a busy 2-core machine with a cold cache.
	for deadline := time.Now().Add(8 * time.Minute); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr, stdout, stderr
		}
		select {
		case code := <-done:
			done <- code // for the cleanup, which reports it with what start-api printed
			t.Fatal("start-api exited")
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("API never answered:\n%s", stderr.String())
		}
	}
}

func TestStartAPI(t *testing.T) {
	t.Setenv("CLIENT_ID", "cmd-test-client")
	buildDir := t.TempDir()
	// serve runs start-api on the test template and checks it serves and prints the API.
	serve := func(t *testing.T) (stdout, stderr *syncBuffer) {
		addr, stdout, stderr := serveAPI(t, "-t", testTemplate, "-b", buildDir)
		resp, err := http.Get("http://" + addr + "/echo/1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /echo/1: %d", resp.StatusCode)
		}
		for _, want := range []string{"http://" + addr, "GET /echo/{id}", "cmd-test-client", endpoint} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("banner lacks %q:\n%s", want, stdout.String())
			}
		}
		return stdout, stderr
	}
	const idpTitle = "Identity provider (mock, for single sign-on)"

	// make local: a mock OpenID Connect provider next to the API, its client registered,
	// what a profile needs in the banner, stopped with the API.
	t.Run("mock identity provider", func(t *testing.T) {
		t.Setenv("MOCK_IDP", "")
		t.Setenv("MOCK_IDP_PORT", "")
		t.Setenv("MOCK_IDP_CLIENT_ID", "")
		t.Setenv("MOCK_IDP_CLIENT_SECRET", "cmd-test-sso-secret")
		var discovery string
		// Registered before serveAPI's cleanup, so it runs after start-api has stopped.
		t.Cleanup(func() {
			if discovery == "" {
				return
			}
			if resp, err := http.Get(discovery); err == nil {
				resp.Body.Close()
				t.Errorf("the mock provider still answers after start-api stopped: %s", discovery)
			}
		})
		stdout, _ := serve(t)
		banner := stdout.String()
		block := banner[max(strings.Index(banner, idpTitle), 0):]
		m := regexp.MustCompile(`(?m)^  discovery_url  (http://127\.0\.0\.1:\d+/\.well-known/openid-configuration)\n  client_id      (\S+)\n  client_secret  (\S+)\n`).FindStringSubmatch(block)
		if !strings.Contains(banner, idpTitle) || m == nil {
			t.Fatalf("the banner has no mock identity provider block:\n%s", banner)
		}
		if strings.Index(banner, idpTitle) < strings.Index(banner, "GET /echo/{id}") || !strings.HasSuffix(banner, "Ctrl-C stops everything.\n") {
			t.Errorf("the provider block is not after the routes, before the last line:\n%s", banner)
		}
		discovery = m[1]
		if m[2] != "local-storefront-sso" || m[3] != "cmd-test-sso-secret" {
			t.Errorf("client %q secret %q, want local-storefront-sso (the default) and $MOCK_IDP_CLIENT_SECRET", m[2], m[3])
		}
		resp, err := http.Get(discovery)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Issuer        string `json:"issuer"`
			TokenEndpoint string `json:"token_endpoint"`
		}
		err = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || doc.Issuer+"/.well-known/openid-configuration" != discovery {
			t.Fatalf("GET %s: %d %+v %v", discovery, resp.StatusCode, doc, err)
		}
		// The client is registered: the token endpoint wants exactly its credentials.
		for secret, want := range map[string]int{"cmd-test-sso-secret": http.StatusBadRequest, "wrong": http.StatusUnauthorized} {
			req, _ := http.NewRequest(http.MethodPost, doc.TokenEndpoint, strings.NewReader("grant_type=authorization_code&code=none&redirect_uri=http://localhost/cb"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth("local-storefront-sso", secret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("token request with secret %q: %d %s, want %d", secret, resp.StatusCode, body, want)
			}
		}
	})

	t.Run("MOCK_IDP=0", func(t *testing.T) {
		t.Setenv("MOCK_IDP", "0")
		stdout, _ := serve(t)
		if strings.Contains(stdout.String(), idpTitle) {
			t.Errorf("MOCK_IDP=0, yet a provider in the banner:\n%s", stdout.String())
		}
	})

	// A provider that cannot start is a warning: the API is served all the same.
	t.Run("provider fails to start", func(t *testing.T) {
		busy, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer busy.Close()
		t.Setenv("MOCK_IDP", "")
		t.Setenv("MOCK_IDP_PORT", strconv.Itoa(busy.Addr().(*net.TCPAddr).Port))
		stdout, stderr := serve(t)
		if strings.Contains(stdout.String(), idpTitle) {
			t.Errorf("a provider in the banner though its port was taken:\n%s", stdout.String())
		}
		if !strings.Contains(stderr.String(), "warning: no mock identity provider") {
			t.Errorf("no warning on stderr:\n%s", stderr.String())
		}
	})
}
