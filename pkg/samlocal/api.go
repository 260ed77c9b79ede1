package samlocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/acme/customers/pkg/samtemplate"
)

// MaxBodySize is the largest request body an HTTP API accepts (10 MiB).
const MaxBodySize = 10 << 20

// Route maps an HttpApi route to the function that serves it.
type Route struct {
	Method   string // GET, POST, ... or ANY
	Path     string // /items/{id}, /files/{proxy+}, or $default
	Function string // the name Invoke is called with
}

// key is the route's key in API Gateway, and in the events it sends: "METHOD /path", or
// "$default" for the route that serves every request no other route matches.
func (r Route) key() string { return samtemplate.Route{Method: r.Method, Path: r.Path}.RouteKey() }

// CORS is an HttpApi CorsConfiguration with its origins resolved.
type CORS struct {
	AllowOrigins     []string // "*", exact origins, or wildcards like https://*.example.com
	AllowMethods     []string
	AllowHeaders     []string
	ExposeHeaders    []string
	AllowCredentials bool
	MaxAge           int // seconds; 0 leaves Access-Control-Max-Age out
}

// InvokeFunc invokes the named function with an event and returns its output.
type InvokeFunc func(ctx context.Context, function string, event []byte) ([]byte, error)

// APIConfig configures NewAPI.
type APIConfig struct {
	Routes []Route
	Invoke InvokeFunc
	CORS   *CORS     // nil when the API has no CORS configuration
	Log    io.Writer // one line per request; os.Stderr when nil
}

// API serves HTTP requests the way an API Gateway HTTP API in front of Lambda functions
// does: route selection, payload format 2.0 events, CORS, and API Gateway's own errors.
type API struct {
	routes []route
	invoke InvokeFunc
	cors   *CORS
	log    *prefixWriter
}

type route struct {
	Route
	segments []string // the path split on "/"; nil for $default
}

// NewAPI checks the routes and returns the handler.
func NewAPI(cfg APIConfig) (*API, error) {
	if cfg.Invoke == nil {
		return nil, errors.New("samlocal: APIConfig.Invoke is nil")
	}
	if cfg.Log == nil {
		cfg.Log = os.Stderr
	}
	a := &API{invoke: cfg.Invoke, cors: cfg.CORS, log: newLineLog(cfg.Log).writer("samlocal")}
	seen := map[string]bool{}
	for _, r := range cfg.Routes {
		r.Method = strings.ToUpper(r.Method)
		key := r.key()
		if seen[key] {
			return nil, fmt.Errorf("samlocal: route %s declared twice", key)
		}
		seen[key] = true
		rt := route{Route: r}
		if r.Path != samtemplate.DefaultRoute {
			if !strings.HasPrefix(r.Path, "/") {
				return nil, fmt.Errorf("samlocal: route %s: path must start with /", key)
			}
			rt.segments = strings.Split(r.Path[1:], "/")
			for i, s := range rt.segments {
				if strings.HasSuffix(s, "+}") && i != len(rt.segments)-1 {
					return nil, fmt.Errorf("samlocal: route %s: a greedy variable must be last", key)
				}
			}
		}
		a.routes = append(a.routes, rt)
	}
	// Most specific first: literal segments before variables before greedy variables,
	// a method before ANY, $default last.
	sort.SliceStable(a.routes, func(i, j int) bool { return a.routes[i].before(a.routes[j]) })
	return a, nil
}

func (r route) before(o route) bool {
	if (r.segments == nil) != (o.segments == nil) {
		return o.segments == nil
	}
	for i := 0; i < len(r.segments) && i < len(o.segments); i++ {
		if a, b := segmentRank(r.segments[i]), segmentRank(o.segments[i]); a != b {
			return a > b
		}
	}
	if len(r.segments) != len(o.segments) {
		return len(r.segments) > len(o.segments)
	}
	return r.Method != "ANY" && o.Method == "ANY"
}

func segmentRank(s string) int {
	switch {
	case strings.HasSuffix(s, "+}"):
		return 0
	case strings.HasPrefix(s, "{"):
		return 1
	}
	return 2
}

// match returns the route serving method and path, with its path parameters. Routes match
// by method and path together, so a path's route with another method does not stop the
// request from reaching $default.
func (a *API) match(method, escapedPath string) (*route, map[string]string) {
	parts := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	for i := range a.routes {
		rt := &a.routes[i]
		if rt.Method != "ANY" && rt.Method != method {
			continue
		}
		if rt.segments == nil {
			return rt, nil
		}
		if params, ok := matchSegments(rt.segments, parts); ok {
			return rt, params
		}
	}
	return nil, nil
}

func matchSegments(pattern, parts []string) (map[string]string, bool) {
	params := map[string]string{}
	for i, seg := range pattern {
		if strings.HasSuffix(seg, "+}") { // greedy: one or more remaining segments
			rest := strings.Join(parts[min(i, len(parts)):], "/")
			if rest == "" {
				return nil, false
			}
			v, err := url.PathUnescape(rest)
			if err != nil {
				return nil, false
			}
			params[seg[1:len(seg)-2]] = v
			return params, true
		}
		if i >= len(parts) {
			return nil, false
		}
		v, err := url.PathUnescape(parts[i])
		if err != nil {
			return nil, false
		}
		if strings.HasPrefix(seg, "{") {
			if v == "" {
				return nil, false
			}
			params[seg[1:len(seg)-1]] = v
		} else if v != seg {
			return nil, false
		}
	}
	return params, len(parts) == len(pattern)
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	requestID := newID()
	w.Header().Set("Apigw-Requestid", requestID)
	status, fn := a.serve(w, r, requestID, start)
	if fn == "" {
		fn = "-"
	}
	fmt.Fprintf(a.log, "%s %s %d %s %s\n", r.Method, r.URL.RequestURI(), status, fn, time.Since(start).Round(time.Millisecond))
}

// serve answers the request and returns the status and the function it invoked.
func (a *API) serve(w http.ResponseWriter, r *http.Request, requestID string, start time.Time) (int, string) {
	origin := r.Header.Get("Origin")
	if a.cors != nil && r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
		a.preflight(w, r)
		return http.StatusNoContent, ""
	}
	if r.ContentLength > MaxBodySize {
		return apiError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large"), ""
	}
	rt, params := a.match(r.Method, r.URL.EscapedPath())
	if rt == nil {
		return apiError(w, http.StatusNotFound, "Not Found"), ""
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodySize))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return apiError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large"), rt.Function
		}
		return apiError(w, http.StatusBadRequest, "Bad Request"), rt.Function
	}

	event, err := json.Marshal(NewEvent(r, body, rt.key(), params, requestID, start))
	if err != nil {
		return apiError(w, http.StatusInternalServerError, "Internal Server Error"), rt.Function
	}
	out, err := a.invoke(r.Context(), rt.Function, event)
	switch {
	case errors.Is(err, ErrTimeout):
		fmt.Fprintf(a.log, "%s: %v\n", rt.Function, err)
		return apiError(w, http.StatusServiceUnavailable, "Service Unavailable"), rt.Function
	case err != nil:
		fmt.Fprintf(a.log, "%s: %v\n", rt.Function, err)
		return apiError(w, http.StatusInternalServerError, "Internal Server Error"), rt.Function
	}
	resp, err := ParseResponse(out)
	if err != nil {
		fmt.Fprintf(a.log, "%s: %v\n", rt.Function, err)
		return apiError(w, http.StatusInternalServerError, "Internal Server Error"), rt.Function
	}

	h := w.Header()
	for k, v := range resp.Header {
		if a.cors != nil && strings.HasPrefix(strings.ToLower(k), "access-control-") {
			continue // API Gateway ignores the backend's CORS headers when it handles CORS
		}
		h[k] = v
	}
	if h.Get("Content-Type") == "" {
		h["Content-Type"] = nil // no sniffing: API Gateway sends none either
	}
	if a.cors != nil && origin != "" && a.cors.originAllowed(origin) {
		a.cors.setOrigin(h, origin)
		if len(a.cors.ExposeHeaders) > 0 {
			h.Set("Access-Control-Expose-Headers", strings.Join(a.cors.ExposeHeaders, ","))
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	w.WriteHeader(resp.StatusCode)
	if r.Method != http.MethodHead {
		w.Write(resp.Body)
	}
	return resp.StatusCode, rt.Function
}

// preflight answers a CORS preflight as an HTTP API does: 204, with the CORS headers only
// when the origin, method and headers asked for are all allowed.
func (a *API) preflight(w http.ResponseWriter, r *http.Request) {
	c := a.cors
	origin := r.Header.Get("Origin")
	method := r.Header.Get("Access-Control-Request-Method")
	allowed := c.originAllowed(origin) && containsFold(c.AllowMethods, method)
	for _, h := range r.Header.Values("Access-Control-Request-Headers") {
		for name := range strings.SplitSeq(h, ",") {
			if name = strings.TrimSpace(name); name != "" && !containsFold(c.AllowHeaders, name) {
				allowed = false
			}
		}
	}
	if allowed {
		h := w.Header()
		c.setOrigin(h, origin)
		h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
		if len(c.AllowHeaders) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.ToLower(strings.Join(c.AllowHeaders, ",")))
		}
		if c.MaxAge > 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func (c *CORS) originAllowed(origin string) bool {
	for _, o := range c.AllowOrigins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
		if prefix, suffix, ok := strings.Cut(o, "*"); ok &&
			len(origin) > len(prefix)+len(suffix) &&
			strings.HasPrefix(strings.ToLower(origin), strings.ToLower(prefix)) &&
			strings.HasSuffix(strings.ToLower(origin), strings.ToLower(suffix)) {
			return true
		}
	}
	return false
}

func (c *CORS) setOrigin(h http.Header, origin string) {
	if slices.Contains(c.AllowOrigins, "*") && !c.AllowCredentials {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// containsFold reports whether list holds s, ignoring case, or "*".
func containsFold(list []string, s string) bool {
	for _, v := range list {
		if v == "*" || strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// apiError writes one of API Gateway's own error responses.
func apiError(w http.ResponseWriter, status int, message string) int {
	body, _ := json.Marshal(map[string]string{"message": message})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
	return status
}
