package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acme/customers/pkg/dynamolocal"
	"github.com/acme/customers/pkg/id"
)

// TestEndToEnd serves the project's template as `make local` does and drives it over HTTP:
// the official JavaScript SDK (@moltin/sdk from package.json), unchanged — authenticate,
// sign up, log in, read and update with the customer token, list, delete, carts of custom
// items, checkout for a customer and a guest, a customer's orders and the staff's order list
// (testdata/sdk-e2e.mjs) — and the routes the API does not have.
func TestEndToEnd(t *testing.T) {
	root, err := dynamolocal.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "@moltin", "sdk")); err != nil {
		t.Fatal("@moltin/sdk is not installed: run `make deps` (make test does)")
	}
	t.Setenv("CLIENT_ID", "sdk-test-client")
	t.Setenv("CLIENT_SECRET", "sdk-test-client-secret")
	const origin = "https://shop.example.test"
	t.Setenv("CORS_ALLOW_ORIGINS", origin)
	addr, stdout := serveAPI(t)

	t.Run("official SDK", func(t *testing.T) {
		cmd := exec.Command("node", "testdata/sdk-e2e.mjs")
		cmd.Env = append(os.Environ(), "API_HOST="+addr)
		out, err := cmd.CombinedOutput()
		t.Logf("%s", out)
		if err != nil {
			t.Fatalf("the SDK run failed: %v", err)
		}
	})

	// API Gateway sends what no route takes to the $default route, NotFoundFunction: the
	// contract's error envelope instead of API Gateway's {"message":"Not Found"}.
	t.Run("routes the API does not have", func(t *testing.T) {
		if !strings.Contains(stdout.String(), "$default") || !strings.Contains(stdout.String(), "NotFoundFunction") {
			t.Errorf("the banner does not list the $default route:\n%s", stdout.String())
		}
		tests := []struct {
			method, path string
			status       int
			title, allow string
		}{
			{"GET", "/v2/nothing", 404, "Not Found", ""},
			{"PATCH", "/v2/customers/" + id.New(), 405, "Method Not Allowed", "DELETE, GET, PUT"},
			{"DELETE", "/v2/settings", 405, "Method Not Allowed", "GET, PUT"},
		}
		for _, tt := range tests {
			req, _ := http.NewRequest(tt.method, "http://"+addr+tt.path, strings.NewReader(`{"data":{"type":"customer"}}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Origin", origin)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var env struct {
				Errors []struct {
					Status        int
					Title, Detail string
				}
			}
			if err := json.Unmarshal(body, &env); err != nil || len(env.Errors) != 1 {
				t.Errorf("%s %s: %d %s", tt.method, tt.path, resp.StatusCode, body)
				continue
			}
			h, e := resp.Header, env.Errors[0]
			if resp.StatusCode != tt.status || e.Status != tt.status || e.Title != tt.title || e.Detail == "" ||
				h.Get("Allow") != tt.allow || h.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Errorf("%s %s: %d, Allow %q, Content-Type %q, %s", tt.method, tt.path, resp.StatusCode, h.Get("Allow"), h.Get("Content-Type"), body)
			}
			if h.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(h.Get("Access-Control-Expose-Headers"), "Retry-After") {
				t.Errorf("%s %s: CORS headers %v", tt.method, tt.path, h)
			}
		}
	})
}
