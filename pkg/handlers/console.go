package handlers

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/console"
	"github.com/acme/customers/pkg/problem"
)

// Console is GET /console/{proxy+}: the staff console's files, public, with strict
// security headers. It reads nothing and needs no token: the console signs in against the
// API like any client. ("/console" and "/console/" are sent to its page by NotFound: a
// greedy route does not take an empty rest.)
func Console(*app.Deps) api.HandlerFunc {
	return func(_ context.Context, r *api.Request) (api.Response, error) {
		f, ok := console.Open(r.Param("proxy"))
		if !ok {
			return api.Response{}, problem.New(problem.NotFound, "Not Found", "the console has no file "+clip(r.Param("proxy"), maxEcho))
		}
		h := console.Headers()
		h["Content-Type"] = f.ContentType
		h["Cache-Control"] = "no-cache"
		if f.Immutable {
			h["Cache-Control"] = "public, max-age=31536000, immutable"
		}
		resp := api.Response{StatusCode: http.StatusOK, Headers: h, Body: string(f.Body)}
		if !utf8.Valid(f.Body) || !isText(f.ContentType) {
			resp.Body, resp.IsBase64Encoded = base64.StdEncoding.EncodeToString(f.Body), true
		}
		return resp, nil
	}
}

func isText(contentType string) bool {
	return strings.HasPrefix(contentType, "text/") || strings.Contains(contentType, "javascript") ||
		strings.Contains(contentType, "json") || strings.Contains(contentType, "svg")
}

// consoleHome is where "/console" and "/console/" send the browser.
const consoleHome = console.Prefix + console.Index
