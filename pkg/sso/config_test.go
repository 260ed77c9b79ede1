package sso

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/problem"
)

func object(t *testing.T, s string) api.Object {
	t.Helper()
	var o api.Object
	if err := json.Unmarshal([]byte(s), &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func sources(err error) []string {
	list, _ := problem.Problems(err)
	var out []string
	for _, p := range list {
		out = append(out, p.Source)
	}
	return out
}

func TestCheckURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://shop.example.com/cb":           true,
		"https://shop.example.com:8443/cb?x=1":  true,
		"http://localhost:3000/cb":              true,
		"http://localhost/cb":                   true,
		"http://127.0.0.1:8080/cb":              true,
		"http://shop.example.com/cb":            false,
		"http://localhost.evil.example/cb":      false,
		"http://127.0.0.2/cb":                   false,
		"https://shop.example.com/cb#fragment":  false,
		"https://shop.example.com/cb#":          false,
		"https://user:pass@shop.example.com/cb": false,
		"/relative/cb":                          false,
		"shop.example.com/cb":                   false,
		"javascript:alert(1)":                   false,
		"ftp://shop.example.com/cb":             false,
		"https://":                              false,
		"https://shop.example.com/" + strings.Repeat("a", MaxURLLen-25): true, // MaxURLLen bytes exactly
		"https://shop.example.com/" + strings.Repeat("a", MaxURLLen-24): false,
		"https://shop.example.com/%zz":                                  false,
	} {
		if _, why := CheckURL(raw); (why == "") != ok {
			t.Errorf("CheckURL(%.60q): %q, want ok %v", raw, why, ok)
		}
	}
}

func TestParseRealm(t *testing.T) {
	cur := &Realm{ID: "r", Name: "Customers", RedirectURIs: []string{}, DuplicateEmailPolicy: PolicyAllowed, Version: 3}
	next, err := ParseRealm(object(t, `{"type":"authentication-realm","id":"echoed","meta":{},"name":"Shop",
		"redirect_uris":["https://a.example/cb","http://localhost:1/cb","https://a.example/cb"],"duplicate_email_policy":"api_only"}`), cur)
	if err != nil {
		t.Fatal(err)
	}
	if next.Name != "Shop" || len(next.RedirectURIs) != 2 || next.DuplicateEmailPolicy != PolicyAPIOnly || next.ID != "r" || cur.Name != "Customers" {
		t.Errorf("%+v (cur %+v)", next, cur)
	}
	if next, err := ParseRealm(object(t, `{"type":"authentication-realm"}`), cur); err != nil || next.Name != "Customers" {
		t.Errorf("an empty change: %+v %v", next, err)
	}
	many := `["https://a.example/1"` + strings.Repeat(`,"https://a.example/1"`, MaxRedirectURIs) + `]`
	for body, want := range map[string]string{
		`{"type":"realm"}`:                                                                "data.type",
		`{"type":"authentication-realm","name":""}`:                                       "data.name",
		`{"type":"authentication-realm","name":"  "}`:                                     "data.name",
		`{"type":"authentication-realm","name":7}`:                                        "data.name",
		`{"type":"authentication-realm","name":"a\u0000b"}`:                               "data.name",
		`{"type":"authentication-realm","name":"` + strings.Repeat("n", 256) + `"}`:       "data.name",
		`{"type":"authentication-realm","redirect_uris":null}`:                            "data.redirect_uris",
		`{"type":"authentication-realm","redirect_uris":"https://a.example/cb"}`:          "data.redirect_uris",
		`{"type":"authentication-realm","redirect_uris":[1]}`:                             "data.redirect_uris",
		`{"type":"authentication-realm","redirect_uris":["https://a.example","ftp://x"]}`: "data.redirect_uris[1]",
		`{"type":"authentication-realm","redirect_uris":` + many + `}`:                    "data.redirect_uris",
		`{"type":"authentication-realm","duplicate_email_policy":"never"}`:                "data.duplicate_email_policy",
		`{"type":"authentication-realm","duplicate_email_policy":true}`:                   "data.duplicate_email_policy",
		`{"type":"authentication-realm","client_secret":"x"}`:                             "data.client_secret",
	} {
		_, err := ParseRealm(object(t, body), cur)
		if got := sources(err); len(got) != 1 || got[0] != want {
			t.Errorf("%.80s: %v (%v), want %s", body, got, err, want)
		}
	}
	// Exactly MaxRedirectURIs is fine, and so is a name of exactly MaxNameLen characters.
	exact := `["https://a.example/1"` + strings.Repeat(`,"https://a.example/1"`, MaxRedirectURIs-1) + `]`
	if _, err := ParseRealm(object(t, `{"type":"authentication-realm","name":"`+strings.Repeat("é", MaxNameLen)+`","redirect_uris":`+exact+`}`), cur); err != nil {
		t.Error(err)
	}
	// Too many members is one 400, not one error each.
	var b strings.Builder
	b.WriteString(`{"type":"authentication-realm"`)
	for i := 0; i < 50; i++ {
		b.WriteString(`,"m` + strings.Repeat("x", i) + `":1`)
	}
	b.WriteString("}")
	if _, err := ParseRealm(object(t, b.String()), cur); !problem.Is(err, problem.BadRequest) {
		t.Errorf("%v", err)
	}
}

func TestParseProfile(t *testing.T) {
	const good = `"type":"oidc-profile","name":"Google","discovery_url":"https://accounts.example.com/.well-known/openid-configuration","client_id":"id","client_secret":"secret"`
	in, err := ParseProfile(object(t, `{`+good+`}`), true)
	if err != nil || in.DiscoveryURL != "https://accounts.example.com/.well-known/openid-configuration" || in.ClientSecret != "secret" || in.Name != "Google" || in.ClientID != "id" {
		t.Fatalf("%+v %v", in, err)
	}
	if IssuerOf(in.DiscoveryURL) != "https://accounts.example.com" {
		t.Error(IssuerOf(in.DiscoveryURL))
	}
	if in, err := ParseProfile(object(t, `{"type":"oidc-profile","name":"New"}`), false); err != nil || in.Name != "New" || in.ClientSecret != "" {
		t.Errorf("update: %+v %v", in, err)
	}
	if _, err := ParseProfile(object(t, `{"type":"oidc-profile"}`), true); len(sources(err)) != 4 {
		t.Errorf("create without members: %v", sources(err))
	}
	for body, want := range map[string]string{
		`{"type":"oidc-profile","discovery_url":"http://accounts.example.com/.well-known/openid-configuration"}`: "data.discovery_url",
		`{"type":"oidc-profile","discovery_url":"https://accounts.example.com"}`:                                 "data.discovery_url",
		`{"type":"oidc-profile","discovery_url":"https://a.example/.well-known/openid-configuration?x=1"}`:       "data.discovery_url",
		`{"type":"oidc-profile","client_secret":""}`:                                                             "data.client_secret",
		`{"type":"oidc-profile","client_secret":"` + strings.Repeat("s", MaxSecretLen+1) + `"}`:                  "data.client_secret",
		`{"type":"oidc-profile","client_id":["x"]}`:                                                              "data.client_id",
		`{"type":"oidc-profile","issuer":"x"}`:                                                                   "data.issuer",
		`{"type":"oidc-profiles","name":"x"}`:                                                                    "data.type",
	} {
		_, err := ParseProfile(object(t, body), false)
		if got := sources(err); len(got) != 1 || got[0] != want {
			t.Errorf("%.80s: %v, want %s", body, got, want)
		}
	}
	if _, err := ParseProfile(object(t, `{"type":"oidc-profile","client_secret":"`+strings.Repeat("s", MaxSecretLen)+`"}`), false); err != nil {
		t.Error(err)
	}
}

func TestBrokerHelpers(t *testing.T) {
	for scope, ok := range map[string]bool{"openid email": true, "openid+email": true, "email openid": true, "openidx email": false, "": false, "email": false} {
		if hasScope(scope, "openid") != ok {
			t.Errorf("hasScope(%q)", scope)
		}
	}
	got := withParams("https://shop.example/cb?keep=1&state=old", "code", "c d", "state", "s&t", "empty", "")
	u, _ := url.Parse(got)
	if q := u.Query(); q.Get("keep") != "1" || q.Get("code") != "c d" || q.Get("state") != "s&t" || q.Has("empty") || u.Host != "shop.example" {
		t.Errorf("%s", got)
	}
	for in, want := range map[string]string{"invalid_grant": "invalid_grant", "": "error", "a\"b": "error", "x\ny": "error", "a b": "error", "a\\b": "error", "~!": "~!", "é": "error", "\x7f": "error",
		strings.Repeat("e", 64): strings.Repeat("e", 64), strings.Repeat("e", 65): "error"} {
		if safeCode(in) != want {
			t.Errorf("safeCode(%q) = %q", in, safeCode(in))
		}
	}
	for raw, want := range map[string]bool{`true`: true, `"true"`: true, ` true `: true, `false`: false, `"yes"`: false, ``: false, `1`: false} {
		if isTrue(json.RawMessage(raw)) != want {
			t.Errorf("isTrue(%s)", raw)
		}
	}
	if identityKey("https://a", "sub") == identityKey("https://b", "sub") {
		t.Error("two issuers share an identity")
	}
	if len(random()) != 43 || random() == random() || HashOf("x") != HashOf("x") || len(HashOf("x")) != 64 {
		t.Error("random or hashOf")
	}
	if !challengeRE.MatchString(strings.Repeat("A", 43)) || challengeRE.MatchString(strings.Repeat("A", 42)) || challengeRE.MatchString(strings.Repeat("A", 44)) ||
		challengeRE.MatchString(strings.Repeat("=", 43)) {
		t.Error("challengeRE")
	}
	if !verifierRE.MatchString(strings.Repeat("a", 43)) || !verifierRE.MatchString(strings.Repeat("~", 128)) || verifierRE.MatchString(strings.Repeat("a", 42)) ||
		verifierRE.MatchString(strings.Repeat("a", 129)) || verifierRE.MatchString(strings.Repeat("a", 42)+"+") {
		t.Error("verifierRE")
	}
	if CallbackPath("s", "r", "p") != "/oidc-idp/callback/stores/s/authentication-realms/r/oidc-profiles/p" ||
		LoginPath("s", "r") != "/oidc-idp/login/stores/s/authentication-realms/r" ||
		DiscoveryPath("s", "r") != "/oidc-idp/stores/s/authentication-realms/r/.well-known/openid-configuration" {
		t.Error("paths")
	}
}
