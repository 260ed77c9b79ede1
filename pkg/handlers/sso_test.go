package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/config"
	"github.com/acme/customers/pkg/mockidp"
	"github.com/acme/customers/pkg/secrets"
	"github.com/acme/customers/pkg/sso"
	"github.com/acme/customers/pkg/telemetry"
	"github.com/acme/customers/pkg/testenv"
)

// Single sign-on against a real OpenID Connect provider (scripts/mock-idp.mjs, on
// oauth2-mock-server): the configuration endpoints, the whole redirect chain as a browser
// follows it (storefront → service → provider → service → storefront), the one-time code's
// exchange, and what every failure leaves behind (nothing).

const (
	ssoClientID   = "sso-test-client"
	ssoSecret     = "sso-test-client-secret-1234"
	storefrontURI = "https://shop.example.test/oauth/callback"
	testVerifier  = "the-storefronts-own-pkce-verifier-0123456789-abcdefghij"
)

// ssoWorld is a realm with one profile at the test provider.
type ssoWorld struct {
	h             *harness
	idp           *mockidp.Provider
	realm, store  string
	profile       string
	authorizeLink string
}

func challengeOf(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// newSSO configures the realm (the storefront's redirect URI, policy) and a profile at the
// test provider, which knows the profile's client.
func newSSO(t *testing.T, policy string) *ssoWorld {
	t.Helper()
	return newSSOOn(t, newHarness(t, func(c *config.Config) { c.ProviderTimeout = time.Second }), policy)
}

// newSSOOn is newSSO on an existing harness.
func newSSOOn(t *testing.T, h *harness, policy string) *ssoWorld {
	t.Helper()
	idp := testenv.Provider(t)
	if err := idp.SetClient(context.Background(), ssoClientID, ssoSecret); err != nil {
		t.Fatal(err)
	}
	w := &ssoWorld{h: h, idp: idp}
	set := h.do(req{Route: "GET /v2/settings/customer-authentication", Headers: bearer(h.admin)})
	expect(t, set, 200)
	w.store = data(set)["id"].(string)
	w.realm = data(set)["relationships"].(map[string]any)["authentication-realm"].(map[string]any)["data"].(map[string]any)["id"].(string)
	expect(t, h.do(req{Route: "PUT /v2/authentication-realms/{realmId}", Path: map[string]string{"realmId": w.realm}, Headers: bearer(h.admin),
		Body: `{"data":{"type":"authentication-realm","redirect_uris":["` + storefrontURI + `","http://localhost:3000/callback"],"duplicate_email_policy":"` + policy + `"}}`}), 200)
	p := h.do(req{Route: "POST /v2/authentication-realms/{realmId}/oidc-profiles", Path: map[string]string{"realmId": w.realm},
		Headers: bearer(h.admin), Body: `{"data":{"type":"oidc-profile","name":"Test IdP","discovery_url":"` + idp.DiscoveryURL() +
			`","client_id":"` + ssoClientID + `","client_secret":"` + ssoSecret + `"}}`})
	expect(t, p, 201)
	w.profile = data(p)["id"].(string)
	w.authorizeLink = p.JSON["links"].(map[string]any)["authorization-endpoint"].(string)
	return w
}

func (w *ssoWorld) user(t *testing.T, sub, email string, verified bool, name string) {
	t.Helper()
	if err := w.idp.SetUser(context.Background(), map[string]any{"sub": sub, "email": email, "email_verified": verified, "name": name}); err != nil {
		t.Fatal(err)
	}
}

// authorizeURL is the storefront's link to the broker, with its parameters.
func (w *ssoWorld) authorizeURL(state, redirect string, extra url.Values) string {
	q := url.Values{"client_id": {"customers"}, "redirect_uri": {redirect}, "state": {state}, "response_type": {"code"},
		"scope": {"openid email"}, "code_challenge": {challengeOf(testVerifier)}, "code_challenge_method": {"S256"}}
	for k, v := range extra {
		q[k] = v
	}
	return w.authorizeLink + "&" + q.Encode()
}

// visit is one browser step: a URL of the service goes to its handler, any other to the
// network. It returns the status and the Location.
func (w *ssoWorld) visit(t *testing.T, handlers func(req) response, raw string) (int, string, response) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Host != testenv.Host {
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Get(raw)
		if err != nil {
			t.Fatalf("GET %s: %v", raw, err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location"), response{}
	}
	parts := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	var r req
	switch {
	case len(parts) == 6 && parts[1] == "login":
		r = req{Route: "GET /oidc-idp/login/stores/{storeId}/authentication-realms/{realmId}",
			Path: map[string]string{"storeId": parts[3], "realmId": parts[5]}}
	case len(parts) == 8 && parts[1] == "callback":
		r = callbackReq(u)
	default:
		t.Fatalf("the browser was sent to %s", raw)
	}
	r.Query = u.RawQuery
	resp := handlers(r)
	return resp.Status, resp.Headers["Location"], resp
}

// browse follows the chain from the storefront's link until the browser is sent back to
// the storefront (or a page answers instead of redirecting), and returns that last URL's
// query (or the page).
func (w *ssoWorld) browse(t *testing.T, start string) (url.Values, response) {
	t.Helper()
	return w.browseWith(t, w.h.do, start)
}

func (w *ssoWorld) browseWith(t *testing.T, handlers func(req) response, start string) (url.Values, response) {
	t.Helper()
	next := start
	for hop := 0; hop < 6; hop++ {
		status, loc, page := w.visit(t, handlers, next)
		if status != http.StatusFound {
			return nil, page
		}
		if strings.HasPrefix(loc, storefrontURI) || strings.HasPrefix(loc, "http://localhost:3000/callback") {
			u, _ := url.Parse(loc)
			return u.Query(), page
		}
		next = loc
	}
	t.Fatal("too many redirects")
	return nil, response{}
}

// callback goes as far as the provider's answer and returns the request that brings it to
// the service's callback.
func (w *ssoWorld) callback(t *testing.T) req {
	t.Helper()
	_, toProvider, _ := w.visit(t, w.h.do, w.authorizeURL("s", storefrontURI, nil))
	_, toCallback, _ := w.visit(t, w.h.do, toProvider)
	u, _ := url.Parse(toCallback)
	r := callbackReq(u)
	r.Query = u.RawQuery
	return r
}

// callbackReq is the request for the service's callback URL u (path parameters only).
func callbackReq(u *url.URL) req {
	parts := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	return req{Route: "GET /oidc-idp/callback/stores/{storeId}/authentication-realms/{realmId}/oidc-profiles/{profileId}",
		Path: map[string]string{"storeId": parts[3], "realmId": parts[5], "profileId": parts[7]}}
}

// login follows the chain and returns the storefront's code.
func (w *ssoWorld) login(t *testing.T) string {
	t.Helper()
	back, page := w.browse(t, w.authorizeURL("state-1", storefrontURI, nil))
	if back == nil {
		t.Fatalf("no way back to the storefront: %d %s", page.Status, page.Body)
	}
	if back.Get("state") != "state-1" || back.Get("code") == "" {
		t.Fatalf("back at the storefront with %v", back)
	}
	return back.Get("code")
}

func (w *ssoWorld) redeem(code, redirect, verifier string) response {
	return w.h.do(req{Route: "POST /v2/customers/tokens", Headers: bearer(w.h.implicit),
		Body: `{"data":{"type":"token","authentication_mechanism":"oidc","oauth_authorization_code":"` + code +
			`","oauth_redirect_uri":"` + redirect + `","oauth_code_verifier":"` + verifier + `"}}`})
}

// customers is every live customer's email.
func (w *ssoWorld) customers(t *testing.T) []string {
	t.Helper()
	var emails []string
	for _, it := range w.h.db.Items(t) {
		if strings.HasPrefix(testenv.Str(it, "PK"), "EMAIL#") {
			emails = append(emails, strings.TrimPrefix(testenv.Str(it, "PK"), "EMAIL#"))
		}
	}
	return emails
}

func TestSSOLogIn(t *testing.T) {
	w := newSSO(t, "allowed")
	h := w.h
	w.user(t, "sub-ann", "Ann.Perkins@example.com", true, "Ann Perkins")

	code := w.login(t)
	tok := w.redeem(code, storefrontURI, testVerifier)
	expect(t, tok, 200)
	if tok.Headers["Cache-Control"] != "no-store" {
		t.Errorf("headers %v", tok.Headers)
	}
	ann := data(tok)["customer_id"].(string)
	got := h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": ann},
		Headers: withCustomer(h.implicit, data(tok)["token"].(string))})
	expect(t, got, 200)
	c := data(got)
	if c["name"] != "Ann Perkins" || c["email"] != "Ann.Perkins@example.com" || c["authentication_mechanism"] != "oidc" || c["password"] != false {
		t.Errorf("customer %v", c)
	}

	t.Run("a code works once", func(t *testing.T) {
		r := w.redeem(code, storefrontURI, testVerifier)
		expect(t, r, 401)
		if e := errorsOf(t, r); !strings.Contains(e[0]["detail"].(string), "invalid code") {
			t.Errorf("%v", e)
		}
	})
	t.Run("the same identity logs in as the same customer", func(t *testing.T) {
		r := w.redeem(w.login(t), storefrontURI, testVerifier)
		expect(t, r, 200)
		if data(r)["customer_id"] != ann {
			t.Errorf("customer %v, want %s", data(r)["customer_id"], ann)
		}
	})
	t.Run("the provider's token endpoint saw the service's client, PKCE and nothing else", func(t *testing.T) {
		log, err := w.idp.Log(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		tokens := 0
		for _, r := range log {
			if r.Path == "/token" {
				tokens++
				if r.AuthorizationScheme != "Basic" || r.GrantType != "authorization_code" || r.CodeVerifierOK == nil || !*r.CodeVerifierOK {
					t.Errorf("token request %+v", r)
				}
			}
		}
		if tokens == 0 {
			t.Errorf("no token request in %+v", log)
		}
	})
	t.Run("a verified email links to the customer who has it", func(t *testing.T) {
		leslie := h.createCustomer("Leslie", "leslie@example.com")
		w.user(t, "sub-leslie", "LESLIE@example.com", true, "Leslie Knope")
		r := w.redeem(w.login(t), storefrontURI, testVerifier)
		expect(t, r, 200)
		if data(r)["customer_id"] != leslie {
			t.Fatalf("customer %v, want Leslie %s", data(r)["customer_id"], leslie)
		}
		// She keeps her password and her name.
		expect(t, h.login("leslie@example.com", testPassword), 200)
		if got := data(h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": leslie}, Headers: bearer(h.admin)})); got["name"] != "Leslie" || got["password"] != true {
			t.Errorf("customer %v", got)
		}
	})
	t.Run("an unverified email does not link", func(t *testing.T) {
		h.createCustomer("Tom", "tom@example.com")
		before := h.db.Snapshot(t)
		w.user(t, "sub-tom", "tom@example.com", false, "Tom")
		r := w.redeem(w.login(t), storefrontURI, testVerifier)
		expect(t, r, 409)
		unchangedBut(t, before, h.db.Snapshot(t), "SSO#")
	})
	t.Run("no email", func(t *testing.T) {
		w.user(t, "sub-anon", "", false, "Anon")
		before := h.db.Snapshot(t)
		r := w.redeem(w.login(t), storefrontURI, testVerifier)
		expect(t, r, 422)
		unchangedBut(t, before, h.db.Snapshot(t), "SSO#")
	})
	t.Run("deleting the customer frees the identity", func(t *testing.T) {
		w.user(t, "sub-april", "april@example.com", true, "April")
		april := data(w.redeem(w.login(t), storefrontURI, testVerifier))["customer_id"].(string)
		expect(t, h.do(req{Route: "DELETE /v2/customers/{customerId}", Path: map[string]string{"customerId": april}, Headers: bearer(h.admin)}), 204)
		for _, it := range h.db.Items(t) {
			if testenv.Str(it, "customer_id") == april {
				t.Errorf("left behind: %s", testenv.Render(it))
			}
		}
		r := w.redeem(w.login(t), storefrontURI, testVerifier)
		expect(t, r, 200)
		if data(r)["customer_id"] == april {
			t.Error("logged in as the deleted customer")
		}
	})
}

// unchangedBut fails unless the snapshots differ only in items whose key starts with one of
// prefixes.
func unchangedBut(t *testing.T, before, after map[string]string, prefixes ...string) {
	t.Helper()
	ignored := func(k string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				return true
			}
		}
		return false
	}
	for k, v := range before {
		if !ignored(k) && after[k] != v {
			t.Errorf("changed or gone: %s\n  was %s\n  now %s", k, v, after[k])
		}
	}
	for k, v := range after {
		if _, ok := before[k]; !ok && !ignored(k) {
			t.Errorf("new: %s %s", k, v)
		}
	}
}

func TestSSOPolicyAPIOnly(t *testing.T) {
	w := newSSO(t, "api_only")
	w.h.createCustomer("Ron", "ron@example.com")
	w.user(t, "sub-ron", "ron@example.com", true, "Ron")
	before := w.h.db.Snapshot(t)
	r := w.redeem(w.login(t), storefrontURI, testVerifier)
	expect(t, r, 409)
	unchangedBut(t, before, w.h.db.Snapshot(t), "SSO#")
	// A new email still signs up.
	w.user(t, "sub-chris", "chris@example.com", true, "Chris")
	expect(t, w.redeem(w.login(t), storefrontURI, testVerifier), 200)
}

func TestSSOCodeChecks(t *testing.T) {
	w := newSSO(t, "allowed")
	w.user(t, "sub-1", "one@example.com", true, "One")
	for _, c := range []struct {
		name               string
		redirect, verifier string
		detail             string
	}{
		{"another redirect URI", "http://localhost:3000/callback", testVerifier, "redirect_uri mismatch"},
		{"another verifier", storefrontURI, "another-verifier-0123456789-abcdefghijklmnopqrstu", "code verifier mismatch"},
		{"a verifier too short", storefrontURI, "short", "code verifier mismatch"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code := w.login(t)
			before := w.h.db.Snapshot(t)
			r := w.redeem(code, c.redirect, c.verifier)
			expect(t, r, 401)
			if e := errorsOf(t, r); !strings.Contains(e[0]["detail"].(string), c.detail) {
				t.Errorf("%v", e)
			}
			unchangedBut(t, before, w.h.db.Snapshot(t), "SSO#CODE#")
			// The code is spent: the right values no longer help.
			expect(t, w.redeem(code, storefrontURI, testVerifier), 401)
		})
	}
	t.Run("a made-up code", func(t *testing.T) {
		expect(t, w.redeem("made-up", storefrontURI, testVerifier), 401)
	})
	t.Run("missing members", func(t *testing.T) {
		r := w.h.do(req{Route: "POST /v2/customers/tokens", Headers: bearer(w.h.implicit),
			Body: `{"data":{"type":"token","authentication_mechanism":"oidc"}}`})
		expect(t, r, 422)
		if e := errorsOf(t, r); len(e) != 3 {
			t.Errorf("%v", e)
		}
	})
}

// A callback's state works once: two callbacks with the provider's one code make one
// storefront code.
func TestSSOCallbackReplay(t *testing.T) {
	w := newSSO(t, "allowed")
	w.user(t, "sub-1", "one@example.com", true, "One")
	_, toProvider, _ := w.visit(t, w.h.do, w.authorizeURL("s", storefrontURI, nil))
	_, toCallback, _ := w.visit(t, w.h.do, toProvider)
	status, back, _ := w.visit(t, w.h.do, toCallback)
	if status != 302 || !strings.Contains(back, "code=") {
		t.Fatalf("%d %s", status, back)
	}
	status, _, page := w.visit(t, w.h.do, toCallback)
	if status != 400 || !strings.Contains(page.Body, "start it again") {
		t.Fatalf("replayed callback: %d %s", status, page.Body)
	}
}

func TestSSOAuthorizeChecks(t *testing.T) {
	w := newSSO(t, "allowed")
	bad := func(name string, link string, status int) {
		t.Run(name, func(t *testing.T) {
			got, _, page := w.visit(t, w.h.do, link)
			if got != status {
				t.Errorf("%d %s", got, page.Body)
			}
		})
	}
	// Not the realm's client or redirect URI: the browser is told, never sent anywhere.
	bad("another client", w.authorizeURL("s", storefrontURI, url.Values{"client_id": {"someone"}}), 400)
	bad("an unregistered redirect URI", w.authorizeURL("s", "https://evil.example/cb", nil), 400)
	bad("another store", strings.Replace(w.authorizeURL("s", storefrontURI, nil), w.store, w.realm, 1), 404)
	t.Run("a state too long is not sent back", func(t *testing.T) {
		_, loc, _ := w.visit(t, w.h.do, w.authorizeURL(strings.Repeat("s", 1025), storefrontURI, nil))
		u, _ := url.Parse(loc)
		if !strings.HasPrefix(loc, storefrontURI) || u.Query().Get("error") != "invalid_request" || u.Query().Has("state") {
			t.Errorf("%s", loc)
		}
	})
	// The storefront hears of the rest at its redirect URI.
	for _, c := range []struct {
		name  string
		extra url.Values
		err   string
	}{
		{"no state", url.Values{"state": {""}}, "invalid_request"},
		{"plain PKCE", url.Values{"code_challenge_method": {"plain"}}, "invalid_request"},
		{"no challenge", url.Values{"code_challenge": {""}}, "invalid_request"},
		{"implicit flow", url.Values{"response_type": {"token"}}, "unsupported_response_type"},
		{"no openid scope", url.Values{"scope": {"email"}}, "invalid_scope"},
		{"unknown profile", url.Values{"elasticpath_commerce_cloud_profile_id": {"2b6f0cc9-0b1f-4c3f-9a51-3c1d7d0c2e11"}}, "invalid_request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			link := w.authorizeURL("s", storefrontURI, c.extra)
			if c.name == "unknown profile" {
				link = strings.Replace(link, w.profile, "2b6f0cc9-0b1f-4c3f-9a51-3c1d7d0c2e11", 1)
			}
			status, loc, page := w.visit(t, w.h.do, link)
			u, _ := url.Parse(loc)
			if status != 302 || !strings.HasPrefix(loc, storefrontURI) || u.Query().Get("error") != c.err {
				t.Errorf("%d %s %s", status, loc, page.Body)
			}
		})
	}
}

// A provider that misbehaves: the browser comes back to the storefront with an OAuth
// error and no code, and nothing but the broker's spent state changed.
func TestSSOProviderFaults(t *testing.T) {
	w := newSSO(t, "allowed")
	w.user(t, "sub-f", "faults@example.com", true, "Faults")
	ctx := context.Background()
	for _, c := range []struct {
		kind   string
		params map[string]any
		err    string
		cold   bool // a new process: the provider not discovered yet
	}{
		{"wrong_audience", nil, "server_error", false},
		{"expired", nil, "server_error", false},
		{"future_iat", nil, "server_error", false},
		{"wrong_nonce", nil, "server_error", false},
		{"no_nonce", nil, "server_error", false},
		{"wrong_issuer", nil, "server_error", false},
		{"bad_signature", nil, "server_error", false},
		{"wrong_azp", nil, "server_error", false},
		{"alg_none", nil, "server_error", false},
		{"hs256", nil, "server_error", false},
		{"token_error", nil, "server_error", false},
		{"slow", map[string]any{"ms": 2500}, "temporarily_unavailable", false},
		{"down", nil, "temporarily_unavailable", true},
		{"discovery_500", nil, "server_error", true},
	} {
		t.Run(c.kind, func(t *testing.T) {
			handlers := w.h.do
			if c.cold {
				cold := w.h.cold()
				handlers = func(r req) response { return w.h.doWith(cold, r) }
			}
			before := w.h.db.Snapshot(t)
			var back url.Values
			var page response
			if c.kind == "down" || c.kind == "discovery_500" || c.kind == "slow" {
				// The provider fails before the browser reaches it: at discovery (cold) or,
				// slow, at every step; set the fault first.
				if err := w.idp.Fault(ctx, c.kind, c.params); err != nil {
					t.Fatal(err)
				}
				back, page = w.browseWith(t, handlers, w.authorizeURL("s", storefrontURI, nil))
			} else {
				// The browser reaches the provider; the fault is in what it answers the service.
				_, toProvider, _ := w.visit(t, handlers, w.authorizeURL("s", storefrontURI, nil))
				_, toCallback, _ := w.visit(t, handlers, toProvider)
				if err := w.idp.Fault(ctx, c.kind, c.params); err != nil {
					t.Fatal(err)
				}
				var loc string
				_, loc, page = w.visit(t, handlers, toCallback)
				if u, err := url.Parse(loc); err == nil && strings.HasPrefix(loc, storefrontURI) {
					back = u.Query()
				}
			}
			if back == nil || back.Get("error") != c.err || back.Get("code") != "" || back.Get("state") != "s" {
				t.Fatalf("back at the storefront with %v (page %d %s)", back, page.Status, page.Body)
			}
			unchangedBut(t, before, w.h.db.Snapshot(t), "SSO#STATE#")
			if err := w.idp.Reset(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("a provider that changed its key", func(t *testing.T) {
		if err := w.idp.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
		expect(t, w.redeem(w.login(t), storefrontURI, testVerifier), 200)
	})
	t.Run("a client secret sealed under another key", func(t *testing.T) {
		// A process of a deployment whose sealing secret moved on since the profile was
		// made, and no longer has the value it was sealed under.
		moved := maps.Clone(w.h.secrets)
		moved[w.h.cfg.Secrets.SSO] = secrets.Set{Current: secrets.Generate(64)}
		_, other := w.h.onWith(w.h.cfg, w.h.db.Client, moved)
		do := func(r req) response { return w.h.doWith(other, r) }
		_, toProvider, _ := w.visit(t, do, w.authorizeURL("s", storefrontURI, nil))
		_, toCallback, _ := w.visit(t, do, toProvider)
		_, loc, page := w.visit(t, do, toCallback)
		u, _ := url.Parse(loc)
		if page.Status != 302 || u.Query().Get("error") != "server_error" || u.Query().Get("code") != "" {
			t.Errorf("%d %s %s", page.Status, loc, page.Body)
		}
	})
	t.Run("the shopper declined", func(t *testing.T) {
		_, toProvider, _ := w.visit(t, w.h.do, w.authorizeURL("s", storefrontURI, nil))
		_, toCallback, _ := w.visit(t, w.h.do, toProvider)
		u, _ := url.Parse(toCallback)
		q := u.Query()
		q.Del("code")
		q.Set("error", "access_denied")
		u.RawQuery = q.Encode()
		_, loc, _ := w.visit(t, w.h.do, u.String())
		back, _ := url.Parse(loc)
		if back.Query().Get("error") != "access_denied" || back.Query().Get("state") != "s" {
			t.Errorf("%s", loc)
		}
	})
}

func TestSSOConfiguration(t *testing.T) {
	idp := testenv.Provider(t)
	h := newHarness(t, func(c *config.Config) { c.ProviderTimeout = time.Second })
	set := h.do(req{Route: "GET /v2/settings/customer-authentication", Headers: bearer(h.admin)})
	expect(t, set, 200)
	if data(set)["meta"].(map[string]any)["client_id"] != "customers" || data(set)["type"] != "customer-authentication-settings" {
		t.Errorf("%s", set.Body)
	}
	realm := data(set)["relationships"].(map[string]any)["authentication-realm"].(map[string]any)["data"].(map[string]any)["id"].(string)
	realmPath := map[string]string{"realmId": realm}

	t.Run("the realm exists from the start, with its defaults", func(t *testing.T) {
		for _, r := range []response{
			h.do(req{Route: "GET /v2/authentication-realms/{realmId}", Path: realmPath, Headers: bearer(h.implicit)}),
			h.do(req{Route: "GET /v2/authentication-realms", Headers: bearer(h.implicit)}),
		} {
			expect(t, r, 200)
		}
		r := data(h.do(req{Route: "GET /v2/authentication-realms/{realmId}", Path: realmPath, Headers: bearer(h.implicit)}))
		if r["duplicate_email_policy"] != "allowed" || len(r["redirect_uris"].([]any)) != 0 || r["name"] != "Customers" {
			t.Errorf("%v", r)
		}
		expect(t, h.do(req{Route: "GET /v2/authentication-realms/{realmId}", Path: map[string]string{"realmId": "2b6f0cc9-0b1f-4c3f-9a51-3c1d7d0c2e11"}, Headers: bearer(h.implicit)}), 404)
	})
	t.Run("bad realm changes change nothing", func(t *testing.T) {
		for _, body := range []string{
			`{"type":"authentication-realm","redirect_uris":["http://shop.example.com/cb"]}`,
			`{"type":"authentication-realm","redirect_uris":["https://shop.example.com/cb#x"]}`,
			`{"type":"authentication-realm","redirect_uris":["/relative"]}`,
			`{"type":"authentication-realm","redirect_uris":"https://shop.example.com/cb"}`,
			`{"type":"authentication-realm","duplicate_email_policy":"sometimes"}`,
			`{"type":"authentication-realm","name":""}`,
			`{"type":"authentication-realm","colour":"red"}`,
			`{"type":"customer","name":"x"}`,
		} {
			before := h.db.Snapshot(t)
			r := h.do(req{Route: "PUT /v2/authentication-realms/{realmId}", Path: realmPath, Headers: bearer(h.admin), Body: `{"data":` + body + `}`})
			expect(t, r, 422)
			unchangedBut(t, before, h.db.Snapshot(t))
		}
		expect(t, h.do(req{Route: "PUT /v2/authentication-realms/{realmId}", Path: realmPath, Headers: bearer(h.implicit),
			Body: `{"data":{"type":"authentication-realm","name":"x"}}`}), 403)
	})
	t.Run("a realm change", func(t *testing.T) {
		r := h.do(req{Route: "PUT /v2/authentication-realms/{realmId}", Path: realmPath, Headers: bearer(h.admin),
			Body: `{"data":{"type":"authentication-realm","name":"Shoppers","redirect_uris":["http://127.0.0.1:8080/cb","https://shop.example.com/cb","https://shop.example.com/cb"]}}`})
		expect(t, r, 200)
		if got := data(r); got["name"] != "Shoppers" || len(got["redirect_uris"].([]any)) != 2 || got["meta"].(map[string]any)["created_at"] == nil {
			t.Errorf("%v", got)
		}
	})
	profiles := "POST /v2/authentication-realms/{realmId}/oidc-profiles"
	const secret = "a-client-secret-nobody-may-read"
	t.Run("bad profiles change nothing", func(t *testing.T) {
		for _, c := range []struct{ body, source string }{
			{`{"type":"oidc-profile","name":"X","discovery_url":"` + idp.DiscoveryURL() + `","client_id":"c"}`, "data.client_secret"},
			{`{"type":"oidc-profile","name":"X","discovery_url":"http://idp.example.com/.well-known/openid-configuration","client_id":"c","client_secret":"s"}`, "data.discovery_url"},
			{`{"type":"oidc-profile","name":"X","discovery_url":"` + idp.Issuer() + `","client_id":"c","client_secret":"s"}`, "data.discovery_url"},
			// Nobody answers there.
			{`{"type":"oidc-profile","name":"X","discovery_url":"http://127.0.0.1:9/.well-known/openid-configuration","client_id":"c","client_secret":"s"}`, "data.discovery_url"},
		} {
			before := h.db.Snapshot(t)
			r := h.do(req{Route: profiles, Path: realmPath, Headers: bearer(h.admin), Body: `{"data":` + c.body + `}`})
			expect(t, r, 422)
			if e := errorsOf(t, r); e[0]["source"] != c.source {
				t.Errorf("%v", e)
			}
			unchangedBut(t, before, h.db.Snapshot(t))
		}
	})
	var profile string
	t.Run("profiles", func(t *testing.T) {
		r := h.do(req{Route: profiles, Path: realmPath, Headers: bearer(h.admin), Body: `{"data":{"type":"oidc-profile","name":"Mock","discovery_url":"` +
			idp.DiscoveryURL() + `","client_id":"c","client_secret":"` + secret + `"}}`})
		expect(t, r, 201)
		profile = data(r)["id"].(string)
		links := r.JSON["links"].(map[string]any)
		if data(r)["meta"].(map[string]any)["issuer"] != idp.Issuer() ||
			links["authorization-endpoint"] != "https://api.example.test/oidc-idp/login/stores/"+data(set)["id"].(string)+"/authentication-realms/"+realm+"?elasticpath_commerce_cloud_profile_id="+profile ||
			!strings.HasSuffix(links["callback-endpoint"].(string), "/oidc-profiles/"+profile) || links["client-discovery-url"] == nil {
			t.Errorf("%s", r.Body)
		}
		path := map[string]string{"realmId": realm, "profileId": profile}
		for _, r := range []response{
			r,
			h.do(req{Route: "GET /v2/authentication-realms/{realmId}/oidc-profiles", Path: realmPath, Headers: bearer(h.implicit)}),
			h.do(req{Route: "GET /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}", Path: path, Headers: bearer(h.implicit)}),
			h.do(req{Route: "PUT /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}", Path: path, Headers: bearer(h.admin),
				Body: `{"data":{"type":"oidc-profile","name":"Renamed","client_secret":"` + secret + `-2"}}`}),
		} {
			expect(t, r, r.Status) // any 2xx checked below
			if r.Status >= 300 || strings.Contains(r.Body, secret) || strings.Contains(r.Body, "client_secret") {
				t.Errorf("%d %s", r.Status, r.Body)
			}
		}
		// The table holds it sealed, never in the clear.
		for _, it := range h.db.Items(t) {
			if strings.Contains(testenv.Render(it), secret) {
				t.Errorf("the secret is in the table: %s", testenv.Render(it))
			}
		}
		expect(t, h.do(req{Route: "DELETE /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}", Path: path, Headers: bearer(h.implicit)}), 403)
		expect(t, h.do(req{Route: "DELETE /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}", Path: path, Headers: bearer(h.admin)}), 204)
		expect(t, h.do(req{Route: "GET /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}", Path: path, Headers: bearer(h.implicit)}), 404)
		if r := h.do(req{Route: "GET /v2/authentication-realms/{realmId}/oidc-profiles", Path: realmPath, Headers: bearer(h.implicit)}); len(r.JSON["data"].([]any)) != 0 {
			t.Errorf("%s", r.Body)
		}
	})
	t.Run("the discovery document", func(t *testing.T) {
		r := h.do(req{Route: "GET /oidc-idp/stores/{storeId}/authentication-realms/{realmId}/.well-known/openid-configuration",
			Path: map[string]string{"storeId": data(set)["id"].(string), "realmId": realm}})
		expect(t, r, 200)
		if !strings.HasSuffix(r.JSON["authorization_endpoint"].(string), "/authentication-realms/"+realm) {
			t.Errorf("%s", r.Body)
		}
	})
}

// Two callbacks with the provider's one answer at the same moment, and two token requests
// with one code at the same moment: exactly one of each gets through.
func TestSSOConcurrentReplays(t *testing.T) {
	w := newSSO(t, "allowed")
	w.user(t, "sub-race", "race@example.com", true, "Race")
	cb := w.callback(t)
	codes := make(chan string, 2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := w.h.do(cb)
			if loc := r.Headers["Location"]; r.Status == 302 && strings.Contains(loc, "code=") {
				u, _ := url.Parse(loc)
				codes <- u.Query().Get("code")
			} else if r.Status != 400 {
				t.Errorf("%d %s", r.Status, r.Body)
			}
		}()
	}
	wg.Wait()
	close(codes)
	var got []string
	for c := range codes {
		got = append(got, c)
	}
	if len(got) != 1 {
		t.Fatalf("%d codes from two callbacks with one state", len(got))
	}
	tokens := make(chan string, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := w.redeem(got[0], storefrontURI, testVerifier)
			switch r.Status {
			case 200:
				tokens <- data(r)["customer_id"].(string)
			case 401:
			default:
				t.Errorf("%d %s", r.Status, r.Body)
			}
		}()
	}
	wg.Wait()
	close(tokens)
	if n := len(tokens); n != 1 {
		t.Fatalf("%d tokens from one code", n)
	}
	if emails := w.customers(t); len(emails) != 1 {
		t.Errorf("customers %v", emails)
	}
}

// An SSO log-in counts its outcome as a metric (EMF lines in the function's log), as a
// password log-in does: success, and a replayed code as a failure.
func TestSSOLogInMetrics(t *testing.T) {
	w := newSSO(t, "allowed")
	w.user(t, "sub-m", "metrics@example.com", true, "Em")
	var logs bytes.Buffer
	defer func(l *slog.Logger) { api.Logger = l }(api.Logger)
	api.Logger = telemetry.NewLogger(&logs)
	code := w.login(t)
	expect(t, w.redeem(code, storefrontURI, testVerifier), 200)
	expect(t, w.redeem(code, storefrontURI, testVerifier), 401)
	counted := map[string]int{}
	for line := range strings.Lines(logs.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil || m["_aws"] == nil {
			continue
		}
		if p := telemetry.CheckEMF(m); p != nil {
			t.Errorf("%v: %s", p, line)
		}
		for _, name := range []string{sso.MetricLoginSuccess, sso.MetricLoginFailure} {
			if m[name] != nil {
				counted[name]++
			}
		}
	}
	if counted[sso.MetricLoginSuccess] != 1 || counted[sso.MetricLoginFailure] != 1 {
		t.Errorf("counted %v, want one success and one failure", counted)
	}
}
