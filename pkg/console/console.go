// Package console serves the staff console: a single-page application (static files built
// from console/src by esbuild and embedded in the binary) that talks only to the public
// API. Nothing in it is secret: the files are public, and a staff member signs in with the
// client id and secret, which stay in the page's memory.
package console

import (
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var files embed.FS

// Prefix is where the console lives under the API's origin.
const Prefix = "/console/"

// Index is the console's page.
const Index = "index.html"

// CSP is the Content-Security-Policy of every file: scripts and styles from the console's
// own files only (no inline script or style), API calls to the same origin, no framing.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// File is one file to send.
type File struct {
	Body        []byte
	ContentType string
	// Immutable is set for files whose name changes with their content: they may be
	// cached for long; the page itself is checked each time.
	Immutable bool
}

// Open returns the file at name (a path under Prefix, without it), or false when there is
// none. Names are clean relative paths: no "..", no hidden files.
func Open(name string) (File, bool) {
	if name == "" {
		name = Index
	}
	if name != path.Clean(name) || strings.HasPrefix(name, "/") || strings.HasPrefix(name, ".") || strings.Contains(name, "/.") {
		return File{}, false
	}
	b, err := fs.ReadFile(files, "static/"+name)
	if err != nil {
		return File{}, false
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = http.DetectContentType(b)
	}
	return File{Body: b, ContentType: ct, Immutable: strings.Contains(name, ".min.") || strings.HasPrefix(name, "assets/")}, true
}

// Headers are the security headers every console answer carries.
func Headers() map[string]string {
	return map[string]string{
		"Content-Security-Policy":      CSP,
		"X-Content-Type-Options":       "nosniff",
		"Referrer-Policy":              "no-referrer",
		"X-Frame-Options":              "DENY",
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
		"Permissions-Policy":           "camera=(), microphone=(), geolocation=(), payment=()",
	}
}
