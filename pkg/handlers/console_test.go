package handlers

import (
	"strings"
	"testing"

	"github.com/acme/customers/pkg/console"
)

// The console's files: public, with the security headers, and nothing but its own files.
func TestConsoleFiles(t *testing.T) {
	h := newHarness(t)
	get := func(proxy string) response {
		return h.do(req{Route: "GET /console/{proxy+}", Path: map[string]string{"proxy": proxy}})
	}
	page := h.do(req{Route: "GET /console/{proxy+}", Path: map[string]string{"proxy": "index.html"}})
	if page.Status != 200 || !strings.HasPrefix(page.Headers["Content-Type"], "text/html") || !strings.Contains(page.Body, "<html") {
		t.Fatalf("%d %v %.200s", page.Status, page.Headers, page.Body)
	}
	for name, want := range map[string]string{
		"Content-Security-Policy": console.CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
		"X-Frame-Options": "DENY", "Cache-Control": "no-cache",
	} {
		if page.Headers[name] != want {
			t.Errorf("%s: %q, want %q", name, page.Headers[name], want)
		}
	}
	if csp := page.Headers["Content-Security-Policy"]; strings.Contains(csp, "unsafe") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	for _, bad := range []string{"../console.go", "..", "./index.html", "a/../index.html", ".hidden", "static/index.html", "/etc/passwd",
		"index.html/", "nothing.js", "%2e%2e/console.go", "assets/../../console.go"} {
		if r := get(bad); r.Status != 404 {
			t.Errorf("%q: %d %.100s", bad, r.Status, r.Body)
		}
	}
	// "/console" and "/console/" reach the page through the $default route.
	for _, path := range []string{"/console", "/console/"} {
		r := h.notFoundCall("GET", path, nil)
		if r.Status != 302 || r.Headers["Location"] != "/console/index.html" {
			t.Errorf("%s: %d %v", path, r.Status, r.Headers)
		}
	}
	if r := h.notFoundCall("POST", "/console/", nil); r.Status != 404 {
		t.Errorf("POST /console/: %d", r.Status)
	}
}
