package console

import (
	"regexp"
	"strings"
	"testing"
)

// The page works under its own Content-Security-Policy: no inline script, style or event
// handler, and every file it names is one of the console's, cached for good only when its
// name changes with its content.
func TestPageKeepsToItsPolicy(t *testing.T) {
	page, ok := Open(Index)
	if !ok || page.Immutable || !strings.HasPrefix(page.ContentType, "text/html") {
		t.Fatalf("index.html: %v %q immutable %v", ok, page.ContentType, page.Immutable)
	}
	html := string(page.Body)
	for _, script := range regexp.MustCompile(`(?is)<script([^>]*)>(.*?)</script>`).FindAllStringSubmatch(html, -1) {
		if !strings.Contains(script[1], "src=") || strings.TrimSpace(script[2]) != "" {
			t.Errorf("index.html holds an inline script %q: the policy (%s) refuses it", script[0], CSP)
		}
	}
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<style`),
		regexp.MustCompile(`(?i)\sstyle\s*=`),
		regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
		regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:)?//`),
	} {
		if m := bad.FindString(html); m != "" {
			t.Errorf("index.html holds %q: the policy (%s) refuses inline styles and handlers, and the console loads nothing from elsewhere", m, CSP)
		}
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"#:]+)"`).FindAllStringSubmatch(html, -1)
	var scripts, styles int
	for _, m := range refs {
		f, ok := Open(m[1])
		if !ok {
			t.Errorf("index.html names %s, which the console does not have", m[1])
			continue
		}
		if !f.Immutable || !regexp.MustCompile(`^app-[A-Z0-9]+\.min\.(js|css)$`).MatchString(m[1]) {
			t.Errorf("%s: immutable %v; a file the page names must have its content's hash in its name", m[1], f.Immutable)
		}
		switch {
		case strings.HasSuffix(m[1], ".js"):
			scripts++
		case strings.HasSuffix(m[1], ".css"):
			styles++
		}
	}
	if scripts != 1 || styles != 1 {
		t.Errorf("index.html names %d scripts and %d style sheets, want the bundle's one of each", scripts, styles)
	}
}

// The bundle keeps the access token in memory only, and evaluates no text as code (the
// policy would refuse it).
func TestBundleKeepsNothing(t *testing.T) {
	page, _ := Open(Index)
	name := regexp.MustCompile(`src="(app-[A-Z0-9]+\.min\.js)"`).FindSubmatch(page.Body)
	if name == nil {
		t.Fatal("index.html names no bundle")
	}
	js, ok := Open(string(name[1]))
	if !ok || !strings.Contains(js.ContentType, "javascript") {
		t.Fatalf("%s: %v %q", name[1], ok, js.ContentType)
	}
	for _, bad := range []string{"localStorage", "sessionStorage", "document.cookie", "indexedDB", "eval(", "new Function", "innerHTML", "insertAdjacentHTML"} {
		if strings.Contains(string(js.Body), bad) {
			t.Errorf("the bundle uses %s", bad)
		}
	}
}
