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
	"github.com/acme/customers/pkg/mockidp"
)

// TestEndToEnd serves the project's template as `make local` does and drives it over HTTP:
// the official JavaScript SDK (@moltin/sdk from package.json), unchanged — authenticate,
// sign up, log in, read and update with the customer token, list, delete, carts of custom
// items, checkout for a customer and a guest, a customer's orders and the staff's order list
// (testdata/sdk-e2e.mjs) —; single sign-on through a mock OpenID Connect provider with the
// same SDK (testdata/sso-e2e.mjs); and the routes the API does not have.
func TestEndToEnd(t *testing.T) {
	nodeModules(t, "@moltin/sdk", "jose")
	t.Setenv("CLIENT_ID", "sdk-test-client")
	t.Setenv("CLIENT_SECRET", "sdk-test-client-secret-0123456789abcdef")
	const origin = "https://shop.example.test"
	t.Setenv("CORS_ALLOW_ORIGINS", origin)
	t.Setenv("MOCK_IDP", "0") // single sign-on below uses a provider of its own; TestStartAPI checks start-api's
	addr, stdout, _ := serveAPI(t)

	t.Run("official SDK", func(t *testing.T) {
		cmd := exec.Command("node", "testdata/sdk-e2e.mjs")
		cmd.Env = append(os.Environ(), "API_HOST="+addr, "TOKEN_ISSUER=local") // AWS::StackName locally
		out, err := cmd.CombinedOutput()
		t.Logf("%s", out)
		if err != nil {
			t.Fatalf("the SDK run failed: %v", err)
		}
	})

	// Single sign-on through a mock provider, as a back office and a storefront do it with
	// the SDK: the configuration, the shopper's browser through the broker's redirects, the
	// code for a customer token (testdata/sso-e2e.mjs); then what the provider saw of it.
	t.Run("single sign-on", func(t *testing.T) {
		ctx := t.Context()
		idp, err := mockidp.Start(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(idp.Stop)
		const idpClient, idpSecret = "e2e-storefront-sso", "e2e-sso-secret"
		if err := idp.SetClient(ctx, idpClient, idpSecret); err != nil {
			t.Fatal(err)
		}
		user := map[string]any{"sub": "e2e-sub-1", "email": "sso.shopper@example.com", "email_verified": true, "name": "Sso Shopper"}
		if err := idp.SetUser(ctx, user); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("node", "testdata/sso-e2e.mjs")
		cmd.Env = append(os.Environ(), "API_HOST="+addr, "IDP_ISSUER="+idp.Issuer(), "IDP_DISCOVERY_URL="+idp.DiscoveryURL(),
			"IDP_CLIENT_ID="+idpClient, "IDP_CLIENT_SECRET="+idpSecret)
		out, err := cmd.CombinedOutput()
		t.Logf("%s", out)
		if err != nil {
			t.Fatalf("the single sign-on run failed: %v", err)
		}

		// The service logged in at the provider as a confidential client with PKCE: every
		// code it redeemed, it redeemed with client_secret_basic and the right verifier.
		log, err := idp.Log(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var authorizes, tokens int
		for _, r := range log {
			switch {
			case r.Path == "/authorize":
				authorizes++
			case r.Path == "/token" && r.Method == http.MethodPost:
				tokens++
				if r.AuthorizationScheme != "Basic" || r.GrantType != "authorization_code" || r.CodeVerifierOK == nil || !*r.CodeVerifierOK {
					t.Errorf("the service's token request: %+v (verifier ok %v), want Basic, authorization_code, a matching verifier",
						r, r.CodeVerifierOK != nil && *r.CodeVerifierOK)
				}
			}
		}
		if authorizes == 0 || tokens != authorizes {
			t.Errorf("the provider saw %d log-ins and %d code redemptions, want as many of each:\n%+v", authorizes, tokens, log)
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

// nodeModules fails the test unless the npm packages are installed, and returns the module
// root they are under.
func nodeModules(t *testing.T, pkgs ...string) string {
	t.Helper()
	root, err := dynamolocal.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range pkgs {
		if _, err := os.Stat(filepath.Join(root, "node_modules", pkg)); err != nil {
			t.Fatalf("%s is not installed: run `make deps` (make test does)", pkg)
		}
	}
	return root
}
