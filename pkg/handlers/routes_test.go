package handlers

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/samtemplate"
	"github.com/acme/customers/pkg/testenv"
)

// Routes is template.yaml's route table: the same keys, so NotFound's 405s and Allow
// headers never drift from what API Gateway serves.
func TestRoutesAreTheTemplates(t *testing.T) {
	var inTemplate, defaults []string
	for _, fn := range testenv.Template(t).Functions {
		for _, rt := range fn.Routes {
			if rt.Path == samtemplate.DefaultRoute {
				defaults = append(defaults, fn.LogicalID)
				continue
			}
			inTemplate = append(inTemplate, rt.RouteKey())
		}
	}
	var inRoutes []string
	for key := range Routes {
		inRoutes = append(inRoutes, key)
	}
	sort.Strings(inTemplate)
	sort.Strings(inRoutes)
	if !slices.Equal(inRoutes, inTemplate) {
		t.Errorf("handlers.Routes has\n  %v\ntemplate.yaml has\n  %v", inRoutes, inTemplate)
	}
	if !slices.Equal(defaults, []string{"NotFoundFunction"}) {
		t.Errorf("the $default route is served by %v, want [NotFoundFunction]", defaults)
	}
}

// notFoundCall sends method and path to the $default route.
func (h *harness) notFoundCall(method, path string, headers map[string]string) response {
	h.t.Helper()
	return h.do(req{Route: samtemplate.DefaultRoute, Call: method + " " + path, Headers: headers})
}

func TestNotFound(t *testing.T) {
	h := newHarness(t)
	customer := "/v2/customers/" + id.New()
	tests := []struct {
		name, method, path string
		headers            map[string]string
		status             int
		allow              string
	}{
		{"unknown path", "GET", "/v2/nothing", nil, 404, ""},
		{"root", "GET", "/", nil, 404, ""},
		{"unknown path under a customer", "GET", customer + "/orders", nil, 404, ""},
		{"one segment too many", "GET", "/v2/settings/store", nil, 404, ""},
		{"a wrong method on a customer", "PATCH", customer, nil, 405, "DELETE, GET, PUT"},
		{"a wrong method on the settings", "DELETE", "/v2/settings", nil, 405, "GET, PUT"},
		{"GET on the token endpoint", "GET", "/oauth/access_token", nil, 405, "POST"},
		{"HEAD is not GET", "HEAD", "/v2/customers", nil, 405, "GET, POST"},
		// POST /v2/customers/tokens is a literal route, but GET, PUT and DELETE of that path
		// go to the {customerId} routes, as API Gateway routes them.
		{"a path two patterns match", "PATCH", "/v2/customers/tokens", nil, 405, "DELETE, GET, POST, PUT"},
		// Before and without authentication: whoever asks, and with whatever token.
		{"with a bad bearer", "GET", "/v2/nothing", map[string]string{"Authorization": "Bearer forged"}, 404, ""},
		{"with a bad bearer on a known path", "PATCH", customer, map[string]string{"Authorization": "Bearer forged"}, 405, "DELETE, GET, PUT"},
		{"with a client_credentials token", "PATCH", customer, bearer(h.admin), 405, "DELETE, GET, PUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.notFoundCall(tt.method, tt.path, tt.headers)
			expect(t, r, tt.status)
			if got := r.Headers["Allow"]; got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
			e := errorsOf(t, r)
			if len(e) != 1 || e[0]["status"] != float64(tt.status) || e[0]["detail"] == "" {
				t.Fatalf("errors %v", e)
			}
			if want := map[int]string{404: "Not Found", 405: "Method Not Allowed"}[tt.status]; e[0]["title"] != want {
				t.Errorf("title %v, want %s", e[0]["title"], want)
			}
			if tt.status == 404 && !strings.Contains(e[0]["detail"].(string), tt.path) {
				t.Errorf("the detail does not name the path: %v", e[0]["detail"])
			}
			if tt.status == 405 && (!strings.Contains(e[0]["detail"].(string), tt.method) || !strings.Contains(e[0]["detail"].(string), tt.allow)) {
				t.Errorf("the detail does not name the method and the allowed ones: %v", e[0]["detail"])
			}
		})
	}

	// The SDK's flow entries (Flows.GetEntry and friends) are not here, and the 404 says where
	// custom data is instead.
	for _, path := range []string{"/v2/flows/customers/entries", "/v2/flows/customers/entries/" + id.New()} {
		r := h.notFoundCall("GET", path, bearer(h.admin))
		expect(t, r, 404)
		if d := errorsOf(t, r)[0]["detail"].(string); !strings.Contains(d, "flow entries are not supported") {
			t.Errorf("%s: %q", path, d)
		}
	}

	// A path is quoted at most maxEcho bytes long, as valid UTF-8, whatever was sent.
	t.Run("long and invalid paths are clipped", func(t *testing.T) {
		for _, path := range []string{
			"/v2/" + strings.Repeat("é", 5000),
			"/v2/\xff\xfe" + strings.Repeat("x", 5000),
			"/" + strings.Repeat("a", maxEcho-2) + "€€",
		} {
			ev := testenv.Event(req{Route: samtemplate.DefaultRoute, Call: "GET /placeholder"})
			ev.RawPath, ev.RequestContext.HTTP.Path = path, path
			out, err := api.Handle("test", NotFound(h.deps))(context.Background(), ev)
			if err != nil || out.StatusCode != 404 {
				t.Fatalf("%d %v", out.StatusCode, err)
			}
			var env struct{ Errors []struct{ Detail string } }
			if err := json.Unmarshal([]byte(out.Body), &env); err != nil || len(env.Errors) != 1 {
				t.Fatalf("body %q: %v", out.Body, err)
			}
			quoted := strings.TrimPrefix(env.Errors[0].Detail, "there is no endpoint at ")
			if !utf8.ValidString(out.Body) || len(quoted) > maxEcho+len("…") || !strings.HasSuffix(quoted, "…") {
				t.Errorf("detail %q (%d bytes quoted)", env.Errors[0].Detail, len(quoted))
			}
		}
	})

	// Every method a path of the template does not have is a 405 listing the ones it has;
	// the expectation comes from template.yaml, matched by a regular expression.
	t.Run("every path and method of the template", func(t *testing.T) {
		type pattern struct {
			re     *regexp.Regexp
			method string
		}
		var patterns []pattern
		var paths []string
		for _, fn := range testenv.Template(t).Functions {
			for _, rt := range fn.Routes {
				if rt.Path == samtemplate.DefaultRoute {
					continue
				}
				segments := strings.Split(rt.Path, "/")
				for i, seg := range segments {
					if strings.HasPrefix(seg, "{") {
						segments[i] = "[^/]+"
					} else {
						segments[i] = regexp.QuoteMeta(seg)
					}
				}
				patterns = append(patterns, pattern{regexp.MustCompile("^" + strings.Join(segments, "/") + "$"), rt.Method})
				paths = append(paths, strings.NewReplacer("{customerId}", id.New(), "{addressId}", id.New(), "{cartId}", "a-cart", "{itemId}", id.New()).Replace(rt.Path))
			}
		}
		for _, path := range paths {
			var allow []string
			for _, p := range patterns {
				if p.re.MatchString(path) && !slices.Contains(allow, p.method) {
					allow = append(allow, p.method)
				}
			}
			sort.Strings(allow)
			for _, method := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"} {
				if slices.Contains(allow, method) {
					continue // API Gateway sends that to its route's function
				}
				r := h.notFoundCall(method, path, nil)
				if r.Status != 405 || r.Headers["Allow"] != strings.Join(allow, ", ") {
					t.Errorf("%s %s: %d, Allow %q, want 405, Allow %q", method, path, r.Status, r.Headers["Allow"], strings.Join(allow, ", "))
				}
			}
		}
	})
}
