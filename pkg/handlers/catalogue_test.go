package handlers

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/telemetry"
	"github.com/acme/customers/pkg/testenv"
)

// The bad-input and fault catalogue of ../shared/reference/reliability.md §16, one row per
// case: what is sent, the status each request must get, and the table unchanged after it
// (but for the log-in attempt counters a failed log-in is there to write, and rows that
// say what they write). Rows that need a fault or a run of their own name the test that
// holds them.

// catalogueWorld is what the rows act on: two customers with passwords, tokens and
// addresses, and an order of B's.
type catalogueWorld struct {
	a, b             string // customer ids
	aToken, bToken   string // their customer tokens
	aAddr, bAddr     string
	bOrder           string
	aEmail, bEmail   string
	deletedToken     string // of a customer deleted since
	beforePassChange string // of A's, issued before A's password changed
}

func newCatalogueWorld(t *testing.T, h *harness) *catalogueWorld {
	w := &catalogueWorld{aEmail: "cat.a@example.com", bEmail: "cat.b@example.com"}
	w.a, w.b = h.createCustomer("Cat A", w.aEmail), h.createCustomer("Cat B", w.bEmail)
	w.aAddr, w.bAddr = h.createAddress(w.a), h.createAddress(w.b)
	w.aToken, w.bToken = h.customerToken(w.aEmail), h.customerToken(w.bEmail)
	w.bOrder = h.placeOrder("cat-b", bearer(h.admin), `{"id":"`+w.b+`"}`)
	gone := h.createCustomer("Gone", "cat.gone@example.com")
	w.deletedToken = h.customerToken("cat.gone@example.com")
	expect(t, h.do(req{Route: "DELETE /v2/customers/{customerId}", Path: map[string]string{"customerId": gone}, Headers: bearer(h.admin)}), 204)
	c := h.createCustomer("Cat C", "cat.c@example.com")
	w.beforePassChange = h.customerToken("cat.c@example.com")
	expect(t, h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": c}, Headers: bearer(h.admin),
		Body: `{"data":{"type":"customer","password":"another password 123"}}`}), 200)
	return w
}

// signedAs re-signs raw's claims (changed by edit) with method and key under raw's kid and
// header.
func signedAs(t testing.TB, raw string, method jwt.SigningMethod, key any, header map[string]any, edit func(jwt.MapClaims)) string {
	t.Helper()
	claims := jwt.MapClaims{}
	old, _, err := jwt.NewParser().ParseUnverified(raw, claims)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(claims)
	}
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = old.Header["kid"]
	maps.Copy(tok.Header, header)
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// unsigned is raw with header replaced and no signature (alg none and its spellings).
func unsigned(raw, alg string) string {
	parts := strings.Split(raw, ".")
	return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"`+alg+`","typ":"JWT"}`)) + "." + parts[1] + "."
}

// catalogueRow is one case of the catalogue.
type catalogueRow struct {
	id, what string
	// run sends the case's requests and checks their answers.
	run func(t *testing.T, h *harness, w *catalogueWorld)
	// writes is what the row may change: partition prefixes ("" for nothing).
	writes []string
}

func catalogueRows() []catalogueRow {
	// customer sends a GET of A with the implicit token and customer token ct.
	asCustomer := func(h *harness, w *catalogueWorld, ct string) response {
		return h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": w.a}, Headers: withCustomer(h.implicit, ct)})
	}
	asAccess := func(h *harness, at string) response {
		return h.do(req{Route: "GET /v2/customers", Headers: bearer(at)})
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, attacker := auth.SigningKey("attacker-secret-0123456789abcdefghij", auth.CustomerKind)
	hourAgo := func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }
	return []catalogueRow{
		{id: "B01", what: "customer token with alg none / None / NoNe, empty signature: 403 (a bad customer token; access: 401)",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				for _, alg := range []string{"none", "None", "NoNe"} {
					statuses(t, 403, asCustomer(h, w, unsigned(w.aToken, alg)))
					statuses(t, 401, asAccess(h, unsigned(h.admin, alg)))
				}
			}},
		{id: "B02", what: "signed HS384/HS512/RS256/ES256, or HS256 with a wrong key or the public key",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				for _, s := range []struct {
					m   jwt.SigningMethod
					key any
				}{{jwt.SigningMethodHS384, []byte("k")}, {jwt.SigningMethodHS512, []byte("k")}, {jwt.SigningMethodRS256, rsaKey},
					{jwt.SigningMethodES256, ecKey}, {jwt.SigningMethodHS256, []byte("wrong key")},
					{jwt.SigningMethodEdDSA, attacker}} {
					statuses(t, 403, asCustomer(h, w, signedAs(t, w.aToken, s.m, s.key, nil, nil)))
					statuses(t, 401, asAccess(h, signedAs(t, h.admin, s.m, s.key, nil, nil)))
				}
			}},
		{id: "B03", what: "no exp; exp in the past; nbf in the future",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				key := matrixKey(h, auth.CustomerKind)
				for _, edit := range []func(jwt.MapClaims){
					func(c jwt.MapClaims) { delete(c, "exp") }, hourAgo,
					func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() },
				} {
					statuses(t, 403, asCustomer(h, w, signedAs(t, w.aToken, jwt.SigningMethodEdDSA, key, nil, edit)))
					statuses(t, 401, asAccess(h, signedAs(t, h.admin, jwt.SigningMethodEdDSA, matrixKey(h, auth.AccessKind), nil, edit)))
				}
			}},
		{id: "B04", what: "wrong iss / aud / typ; an access token as the customer token and the reverse",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				key := matrixKey(h, auth.CustomerKind)
				for _, edit := range []func(jwt.MapClaims){
					func(c jwt.MapClaims) { c["iss"] = "another-stack" }, func(c jwt.MapClaims) { c["aud"] = "api" },
					func(c jwt.MapClaims) { c["typ"] = "access" },
				} {
					statuses(t, 403, asCustomer(h, w, signedAs(t, w.aToken, jwt.SigningMethodEdDSA, key, nil, edit)))
				}
				statuses(t, 403, asCustomer(h, w, h.implicit))
				statuses(t, 401, asAccess(h, w.aToken))
			}},
		{id: "B05", what: "kid a path or SQL; jwk / jku carrying the attacker's key: refused, no lookup by raw kid",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				for _, header := range []map[string]any{{"kid": "../../../../dev/null"}, {"kid": "' UNION SELECT 'key' --"},
					{"jwk": map[string]any{"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}}, {"jku": "https://attacker.example/jwks.json"}} {
					statuses(t, 403, asCustomer(h, w, signedAs(t, w.aToken, jwt.SigningMethodEdDSA, attacker, header, nil)))
				}
			}},
		{id: "B06", what: "a customer token of 9,000 dots; three segments of invalid base64: refused fast",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				start := time.Now()
				statuses(t, 403, asCustomer(h, w, "Bearer "+strings.Repeat(".", 9000)), asCustomer(h, w, "!!!.@@@.###"))
				if d := time.Since(start); d > time.Second {
					t.Errorf("took %s", d)
				}
			}},
		{id: "B07", what: "two customer token headers (arrive comma-joined)",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				statuses(t, 403, asCustomer(h, w, w.aToken+","+w.aToken))
			}},
		{id: "B08", what: "the token of a deleted customer; a token issued before a password change",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				statuses(t, 403, h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": w.a},
					Headers: withCustomer(h.implicit, w.deletedToken)}))
				statuses(t, 403, h.do(req{Route: "GET /v2/orders", Headers: withCustomer(h.implicit, w.beforePassChange)}))
			}},
		{id: "B09", what: "A's token on B's customer, addresses, address and order: as for an id that does not exist",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				as := withCustomer(h.implicit, w.aToken)
				b := map[string]string{"customerId": w.b}
				statuses(t, 403,
					h.do(req{Route: "GET /v2/customers/{customerId}", Path: b, Headers: as}),
					h.do(req{Route: "PUT /v2/customers/{customerId}", Path: b, Headers: as, Body: `{"data":{"type":"customer","name":"Mine"}}`}),
					h.do(req{Route: "DELETE /v2/customers/{customerId}", Path: b, Headers: as}),
					h.do(req{Route: "GET /v2/customers/{customerId}/addresses", Path: b, Headers: as}),
					h.do(req{Route: "GET /v2/customers/{customerId}/addresses/{addressId}", Path: map[string]string{"customerId": w.b, "addressId": w.bAddr}, Headers: as}),
					h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": "00000000-0000-4000-8000-000000000000"}, Headers: as}))
				// B's address under A's own path: not A's, so not found, as a made-up id.
				statuses(t, 404, h.do(req{Route: "GET /v2/customers/{customerId}/addresses/{addressId}", Path: map[string]string{"customerId": w.a, "addressId": w.bAddr}, Headers: as}),
					h.do(req{Route: "GET /v2/customers/{customerId}/addresses/{addressId}", Path: map[string]string{"customerId": w.a, "addressId": "00000000-0000-4000-8000-000000000000"}, Headers: as}))
				statuses(t, 404, h.do(req{Route: "GET /v2/orders/{orderId}", Path: map[string]string{"orderId": w.bOrder}, Headers: as}),
					h.do(req{Route: "GET /v2/orders/{orderId}", Path: map[string]string{"orderId": "00000000-0000-4000-8000-000000000000"}, Headers: as}))
			}},
		{id: "B10", what: "the implicit token (with or without a customer token) lists customers or filters by email",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				for _, q := range []string{"", "filter=eq(email," + w.bEmail + ")"} {
					statuses(t, 403, h.do(req{Route: "GET /v2/customers", Query: q, Headers: bearer(h.implicit)}),
						h.do(req{Route: "GET /v2/customers", Query: q, Headers: withCustomer(h.implicit, w.aToken)}))
				}
			}},
		{id: "B11", what: "no Authorization, Basic, an empty bearer: 401; the scheme in lower case and extra spaces are RFC 7235's (accepted)",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				statuses(t, 401, h.do(req{Route: "GET /v2/customers"}),
					h.do(req{Route: "GET /v2/customers", Headers: map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}}),
					h.do(req{Route: "GET /v2/customers", Headers: map[string]string{"Authorization": "Bearer "}}))
				statuses(t, 200, h.do(req{Route: "GET /v2/customers", Headers: map[string]string{"Authorization": "bearer " + h.admin}}),
					h.do(req{Route: "GET /v2/customers", Headers: map[string]string{"Authorization": "  Bearer   " + h.admin + " "}}))
			}},
		{id: "B12", what: "a password of 72 ASCII bytes: 201; of 73: 422, never truncated", writes: []string{"CUSTOMER#", "EMAIL#", "COUNT#"},
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				statuses(t, 201, signUp(h, "b12a@example.com", strings.Repeat("p", 72)))
				statuses(t, 422, signUp(h, "b12b@example.com", strings.Repeat("p", 73)))
				statuses(t, 401, h.login("b12a@example.com", strings.Repeat("p", 71)))
			}},
		{id: "B13", what: "24 CJK characters (72 bytes) and a 15-emoji passphrase: accepted; 25 CJK (75 bytes): 422", writes: []string{"CUSTOMER#", "EMAIL#", "COUNT#"},
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				statuses(t, 201, signUp(h, "b13a@example.com", strings.Repeat("密", 24)), signUp(h, "b13c@example.com", strings.Repeat("🔑", 15)))
				statuses(t, 422, signUp(h, "b13b@example.com", strings.Repeat("密", 25)))
				statuses(t, 200, h.login("b13a@example.com", strings.Repeat("密", 24)))
			}},
		{id: "B14", what: "a password with NUL is taken as sent (documented), at sign-up and log-in alike; invalid UTF-8 is not JSON: 400",
			writes: []string{"CUSTOMER#", "EMAIL#", "COUNT#"},
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				statuses(t, 201, signUp(h, "b14a@example.com", `pass\u0000word123`))
				statuses(t, 200, h.login("b14a@example.com", `pass\u0000word123`))
				statuses(t, 401, h.login("b14a@example.com", "password123"))
				// Invalid UTF-8 is not JSON: 400, at sign-up and at log-in alike.
				statuses(t, 400, signUp(h, "b14b@example.com", "pass\xffword123"), h.login(w.aEmail, "pass\xffword123"))
				statuses(t, 401, h.login(w.aEmail, `pass\u0000word123`))
			}},
		{id: "B15", what: "log-in with an unknown email, a wrong password, a customer without a password, a deleted one: one answer",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				nopass := h.do(req{Route: "POST /v2/customers", Headers: bearer(h.admin), Body: `{"data":{"type":"customer","name":"N","email":"b15@example.com"}}`})
				_ = nopass
				rs := []response{h.login("nobody@example.com", testPassword), h.login(w.aEmail, "wrong password 1"),
					h.login("b15@example.com", testPassword), h.login("cat.gone@example.com", testPassword)}
				for _, r := range rs {
					if r.Status != 401 || r.Body != rs[0].Body {
						t.Errorf("%d %s, want %s", r.Status, r.Body, rs[0].Body)
					}
				}
			}, writes: []string{"CUSTOMER#", "EMAIL#", "COUNT#"}},
		{id: "B16", what: "repeated wrong passwords on one account: throttled (429 with Retry-After) long before 101",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				var last response
				for i := 0; i < 20 && last.Status != 429; i++ {
					last = h.loginFrom("10.9.9.9", w.bEmail, "wrong password 2")
				}
				if last.Status != 429 || last.Headers["Retry-After"] == "" {
					t.Errorf("%d %v", last.Status, last.Headers)
				}
			}},
		{id: "B17", what: "a password on the common-password list (any letter case), one byte below the minimum (SPEC: 8 to 72 bytes): 422, nothing written",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				statuses(t, 422, signUp(h, "b17@example.com", "password123"), signUp(h, "b17@example.com", "QWERTYUIOP"),
					signUp(h, "b17@example.com", "1234567"))
				statuses(t, 422, h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": w.a}, Headers: bearer(h.admin),
					Body: `{"data":{"type":"customer","password":"Qwerty123"}}`}))
			}},
		{id: "B18", what: "an email or password change with an old customer token and no current password: refused",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				old := h.oldToken(w.a, 0)
				a := map[string]string{"customerId": w.a}
				for _, body := range []string{`"email":"new.a@example.com"`, `"password":"a new password 1"`} {
					r := h.do(req{Route: "PUT /v2/customers/{customerId}", Path: a, Headers: withCustomer(h.implicit, old),
						Body: `{"data":{"type":"customer",` + body + `}}`})
					if r.Status < 400 || r.Status >= 500 {
						t.Errorf("%s: %d %s", body, r.Status, r.Body)
					}
				}
			}},
		{id: "B19", what: "a hash stored at cost 4, then a log-in: the hash made anew at the policy's cost (and again when the policy changes), tokens unaffected",
			writes: []string{"CUSTOMER#", "EMAIL#", "COUNT#"},
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				const email = "b19@example.com"
				at := func(cost int) map[string]api.HandlerFunc {
					cfg := h.cfg
					cfg.BcryptCost = cost
					_, handlers := h.on(cfg, h.db.Client)
					return handlers
				}
				h.createCustomer("Old", email)
				tok := h.customerToken(email)
				// held are the items holding the hash: the customer and its email claim (what
				// log-ins read).
				held := func() []map[string]types.AttributeValue {
					var its []map[string]types.AttributeValue
					for _, it := range h.db.Items(t) {
						if testenv.Str(it, "password_hash") != "" && (testenv.Str(it, "email") == email || strings.Contains(testenv.Str(it, "PK"), email)) {
							its = append(its, it)
						}
					}
					if len(its) != 2 {
						t.Fatalf("%d items hold the hash, want 2 (the customer and its email claim)", len(its))
					}
					return its
				}
				// A hash made at cost 4 (the service makes none below 10: an import's, say).
				old, _ := bcrypt.GenerateFromPassword([]byte(testPassword), 4)
				for _, it := range held() {
					if _, err := h.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &h.db.Table,
						Item: withHash(it, string(old))}); err != nil {
						t.Fatal(err)
					}
				}
				for _, cost := range []int{h.cfg.BcryptCost, h.cfg.BcryptCost + 1, h.cfg.BcryptCost} {
					statuses(t, 200, h.doWith(at(cost), req{Route: "POST /v2/customers/tokens", Headers: bearer(h.implicit),
						Body: `{"data":{"type":"token","email":"` + email + `","password":"` + testPassword + `"}}`}))
					for _, it := range held() {
						if c, _ := bcrypt.Cost([]byte(testenv.Str(it, "password_hash"))); c != cost {
							t.Errorf("%s: stored cost %d, want %d", testenv.Str(it, "PK"), c, cost)
						}
					}
				}
				// Making the hash anew is not a password change: the token from before still works.
				statuses(t, 200, h.do(req{Route: "GET /v2/orders", Headers: withCustomer(h.implicit, tok)}))
			}},
		{id: "B20", what: "server-owned members in a create or update (id, password_hash, deleted_at, version): 422, nothing stored; meta (what the SDK sends back) is ignored",
			writes: []string{"CUSTOMER#" /* meta's update: its version and updated_at */},
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				a := map[string]string{"customerId": w.a}
				get := func() string {
					d := data(h.do(req{Route: "GET /v2/customers/{customerId}", Path: a, Headers: bearer(h.admin)}))
					return fmt.Sprint(d["id"], d["name"], d["email"], d["password"], d["external_ref"])
				}
				before := get()
				statuses(t, 200, h.do(req{Route: "PUT /v2/customers/{customerId}", Path: a, Headers: bearer(h.admin), Body: `{"data":{"type":"customer","meta":{"timestamps":{}}}}`}))
				for _, m := range []string{`"id":"00000000-0000-4000-8000-000000000000"`, `"password_hash":"$2a$04$x"`,
					`"deleted_at":"2020-01-01T00:00:00Z"`, `"version":99`} {
					r := h.do(req{Route: "PUT /v2/customers/{customerId}", Path: a, Headers: bearer(h.admin), Body: `{"data":{"type":"customer",` + m + `}}`})
					if r.Status != 400 && r.Status != 422 {
						t.Errorf("%s: %d %s", m, r.Status, r.Body)
					}
				}
				r := h.do(req{Route: "POST /v2/customers/{customerId}/addresses", Path: a, Headers: bearer(h.admin),
					Body: `{"data":{"type":"address","customer_id":"` + w.b + `","line_1":"x","county":"y","postcode":"1","country":"US"}}`})
				if r.Status != 400 && r.Status != 422 {
					t.Errorf("customer_id on an address: %d %s", r.Status, r.Body)
				}
				if after := get(); after != before {
					t.Errorf("stored %s, was %s", after, before)
				}
			}},
		{id: "B21", what: "a key twice, or twice in another letter case",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				for _, body := range []string{`{"data":{"type":"customer","name":"X","email":"a@x.com","Email":"b@y.com"}}`,
					`{"data":{"type":"customer","name":"X","email":"a@x.com","email":"b@y.com"}}`} {
					r := h.do(req{Route: "POST /v2/customers", Headers: bearer(h.implicit), Body: body})
					if r.Status != 400 && r.Status != 422 {
						t.Errorf("%s: %d", body, r.Status)
					}
				}
			}},
		{id: "B22", what: "JSON followed by more, a top-level array, null",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				for _, body := range []string{`{"data":{"type":"customer","name":"X","email":"x@x.com"}}{"x":1}`,
					`{"data":{"type":"customer","name":"X","email":"x@x.com"}} garbage`, `[{"data":{}}]`, `null`} {
					statuses(t, 400, h.do(req{Route: "POST /v2/customers", Headers: bearer(h.implicit), Body: body}))
				}
			}},
		{id: "B23", what: "Content-Type text/plain; a body without a content type",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				body := `{"data":{"type":"customer","name":"X","email":"x@x.com"}}`
				headers := bearer(h.implicit)
				headers["content-type"] = "text/plain"
				statuses(t, 415, h.do(req{Route: "POST /v2/customers", Headers: headers, Body: body}))
				headers["content-type"] = ""
				statuses(t, 415, h.do(req{Route: "POST /v2/customers", Headers: headers, Body: body}))
			}},
		{id: "B24", what: "a wrong or missing data.type",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				for _, body := range []string{`{"data":{"type":"address","name":"X","email":"x@x.com"}}`, `{"data":{"name":"X","email":"x@x.com"}}`} {
					r := h.do(req{Route: "POST /v2/customers", Headers: bearer(h.implicit), Body: body})
					if r.Status != 400 && r.Status != 422 {
						t.Errorf("%s: %d", body, r.Status)
					}
				}
			}},
		{id: "B25", what: "a body of 6 MB + 1 and of 10 MB + 1: 413 before it is decoded (base64 bodies: pkg/api's TestDecodeData); 10 KB of headers: served",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				for _, n := range []int{6_000_001, 10_000_001} {
					body := `{"data":{"type":"customer","name":"X","email":"b25@example.com","external_ref":"` + strings.Repeat("x", n) + `"}}`
					statuses(t, 413, h.do(req{Route: "POST /v2/customers", Headers: bearer(h.admin), Body: body}))
				}
				// The gateway's own 413 past 10 MiB is make local's (pkg/samlocal's TestStartAPI).
				headers := bearer(h.admin)
				headers["X-Padding"] = strings.Repeat("p", 10<<10)
				for i := range 100 {
					headers[fmt.Sprintf("X-Pad-%d", i)] = strings.Repeat("q", 100)
				}
				statuses(t, 200, h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": w.a}, Headers: headers}))
			}},
		{id: "B26", what: "custom data: 33-level nesting, 10,000 keys, 500 KB, members named with . # : or after keys and reserved words: 400/422 before DynamoDB, as values of a field and as fields",
			writes: []string{"FLOWS|"},
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				flow := h.createFlow("customers")
				note := h.createField(flow, "note", `"string"`)
				defer func() {
					statuses(t, 204, h.do(req{Route: "DELETE /v2/fields/{fieldId}", Path: map[string]string{"fieldId": note}, Headers: bearer(h.admin)}),
						h.do(req{Route: "DELETE /v2/flows/{flowId}", Path: map[string]string{"flowId": flow}, Headers: bearer(h.admin)}))
				}()
				nested := strings.Repeat(`{"a":`, 33) + `1` + strings.Repeat(`}`, 33)
				var many strings.Builder
				for i := range 10_000 {
					fmt.Fprintf(&many, `,"k%d":1`, i)
				}
				for _, b := range []string{`"note":` + nested, `"note":{"a":1}`, `"note":"` + strings.Repeat("x", 500<<10) + `"`,
					many.String()[1:], `"a.b":"x","c#d":"x","e:f":"x"`, `"PK":"CUSTOMER#x","SK":"#PROFILE"`, `"password_hash":"x"`,
					`"attribute_not_exists":"x","SELECT":"x"`} {
					r := h.do(req{Route: "POST /v2/customers", Headers: bearer(h.admin), Body: `{"data":{"type":"customer","name":"X","email":"b26@example.com",` + b + `}}`})
					if r.Status != 400 && r.Status != 422 {
						t.Errorf("%.60s: %d %.200s", b, r.Status, r.Body)
					}
				}
				// Nor can a field be named so.
				for _, slug := range []string{"a.b", "c#d", "e:f", "PK", "id", "password", "created_at", strings.Repeat("s", 1000)} {
					if r := h.fieldCall(flow, `"slug":"`+slug+`","field_type":"string"`); r.Status != 422 {
						t.Errorf("field %.40q: %d %s", slug, r.Status, r.Body)
					}
				}
			}},
		{id: "B27", what: "emails: another letter case is the same customer (409); a dotless ı, a display name, a 65-octet local part, 255 characters: 422",
			writes: []string{"CUSTOMER#", "EMAIL#", "COUNT#"},
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				statuses(t, 201, signUp(h, "Bob@Example.COM", testPassword))
				statuses(t, 409, signUp(h, "bob@example.com", testPassword), signUp(h, "BOB@EXAMPLE.COM", testPassword))
				statuses(t, 200, h.login("bOb@eXample.com", testPassword))
				label := strings.Repeat("c", 61)
				long := strings.Repeat("a", 64) + "@" + label + "." + label + "." + label + ".com" // 254 octets: the longest
				statuses(t, 201, signUp(h, long, testPassword))
				statuses(t, 422, signUp(h, "m\u0131ke@example.com", testPassword), signUp(h, "Bob <b27@example.com>", testPassword),
					signUp(h, strings.Repeat("a", 65)+"@example.com", testPassword), signUp(h, "a"+long, testPassword))
			}},
		{id: "B28", what: "a name of 100,000 characters or with CR/LF or ANSI escapes: 422; <script> in an address line: stored as sent, escaped in JSON; no log line forged or carrying it",
			writes: []string{"CUSTOMER#" /* the address */},
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				var logs bytes.Buffer
				defer func(l *slog.Logger) { api.Logger = l }(api.Logger)
				api.Logger = telemetry.NewLogger(&logs)
				a := map[string]string{"customerId": w.a}
				for _, name := range []string{strings.Repeat("n", 100_000), `Ron\r\n{\"level\":\"ERROR\"}`, `Ron\u001b[31mred`} {
					statuses(t, 422, h.do(req{Route: "PUT /v2/customers/{customerId}", Path: a, Headers: bearer(h.admin),
						Body: `{"data":{"type":"customer","name":"` + name + `"}}`}))
				}
				const script = `<script>alert(1)</script>`
				r := h.do(req{Route: "POST /v2/customers/{customerId}/addresses", Path: a, Headers: bearer(h.admin),
					Body: strings.Replace(anAddress, "1 Pawnee Way", script, 1)})
				statuses(t, 201, r)
				if strings.Contains(r.Body, "<script>") || data(r)["line_1"] != script {
					t.Errorf("the answer carries %q raw, or not as sent: %s", script, r.Body)
				}
				for line := range strings.Lines(logs.String()) {
					if strings.Contains(line, "script") || strings.Contains(line, "ERROR\\\"") || !strings.HasPrefix(line, "{") {
						t.Errorf("log line %q", line)
					}
				}
				if logs.Len() == 0 {
					t.Error("nothing logged")
				}
			}},
		{id: "B29", what: "external_ref of 2,049 characters: 422; the 26th address past a cap of 25: 400 (no cap unless max_addresses_per_customer is set)",
			writes: []string{"CUSTOMER#", "EMAIL#", "COUNT#", "SETTINGS"},
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				statuses(t, 422, h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": w.a}, Headers: bearer(h.admin),
					Body: `{"data":{"type":"customer","external_ref":"` + strings.Repeat("x", 2049) + `"}}`}))
				setCap := func(v string) {
					statuses(t, 200, h.do(req{Route: "PUT /v2/settings", Headers: bearer(h.admin), Body: `{"data":{"type":"settings","max_addresses_per_customer":` + v + `}}`}))
				}
				setCap("25")
				defer setCap("null")
				c := map[string]string{"customerId": h.createCustomer("Many", "b29@example.com")}
				for range 25 {
					statuses(t, 201, h.do(req{Route: "POST /v2/customers/{customerId}/addresses", Path: c, Headers: bearer(h.admin), Body: anAddress}))
				}
				statuses(t, 400, h.do(req{Route: "POST /v2/customers/{customerId}/addresses", Path: c, Headers: bearer(h.admin), Body: anAddress}))
			}},
		{id: "B30", what: "filters on password, unknown operators, unbalanced parentheses, 11 expressions, 1,000 nested and: 400 at once; like(email,*): served",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				statuses(t, 200, h.do(req{Route: "GET /v2/customers", Query: "filter=like(email,*)", Headers: bearer(h.admin)}))
				eleven := strings.TrimSuffix(strings.Repeat("eq(name,x):", 11), ":")
				start := time.Now()
				for _, q := range []string{"eq(password,x)", "eq(password_hash,x)", "ne(name,x)", "eq(name,x", "eq(name,x))", eleven,
					strings.Repeat("and(", 1000) + "eq(name,x)" + strings.Repeat(")", 1000)} {
					statuses(t, 400, h.do(req{Route: "GET /v2/customers", Query: "filter=" + q, Headers: bearer(h.admin)}))
				}
				if d := time.Since(start); d > time.Second {
					t.Errorf("took %s", d)
				}
			}},
		{id: "B31", what: "page[limit] 0, -1, 1e9, abc; page[offset] 10,001; sort=password: capped or 400",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				for _, q := range []string{"page[limit]=-1", "page[limit]=abc", "page[offset]=10001", "sort=password", "page[limit]=1e9"} {
					r := h.do(req{Route: "GET /v2/customers", Query: q, Headers: bearer(h.admin)})
					if r.Status != 400 && r.Status != 200 {
						t.Errorf("%s: %d %s", q, r.Status, r.Body)
					}
					if r.Status == 200 && len(r.JSON["data"].([]any)) > 100 {
						t.Errorf("%s: %d rows", q, len(r.JSON["data"].([]any)))
					}
				}
			}},
		{id: "B32", what: "a path id that is no UUID, 3,000 bytes long, an encoded ../, an address id as a customer id: 4xx, never 5xx",
			run: func(t *testing.T, h *harness, w *catalogueWorld) {
				for _, id := range []string{"not-a-uuid", strings.Repeat("a", 3000), "%2F..%2F", "../x", w.aAddr} {
					r := h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": id}, Headers: bearer(h.admin)})
					if r.Status < 400 || r.Status >= 500 {
						t.Errorf("%.40q: %d %s", id, r.Status, r.Body)
					}
				}
			}},
	}
}

// withHash is a copy of item holding hash as its password_hash.
func withHash(item map[string]types.AttributeValue, hash string) map[string]types.AttributeValue {
	item = maps.Clone(item)
	item["password_hash"] = &types.AttributeValueMemberS{Value: hash}
	return item
}

// statuses checks that every answer of rs has the status want.
func statuses(t *testing.T, want int, rs ...response) {
	t.Helper()
	for i, r := range rs {
		if r.Status != want {
			t.Errorf("request %d: status %d, want %d: %s", i+1, r.Status, want, r.Body)
		}
	}
}

// signUp creates a customer with the implicit token.
func signUp(h *harness, email, password string) response {
	return h.do(req{Route: "POST /v2/customers", Headers: bearer(h.implicit),
		Body: `{"data":{"type":"customer","name":"Cat","email":"` + email + `","password":"` + password + `"}}`})
}

// TestCatalogue runs every row of the catalogue against one world, each with the table
// compared before and after.
func TestCatalogue(t *testing.T) {
	h := newHarness(t)
	w := newCatalogueWorld(t, h)
	rows := append(catalogueRows(), catalogueFaultRows()...)
	for _, row := range append(rows, catalogueCleanupRows()...) {
		t.Run(row.id, func(t *testing.T) {
			ht := *h
			ht.t = t
			before := h.db.Snapshot(t)
			row.run(t, &ht, w)
			after := h.db.Snapshot(t)
			changed := func(k string) bool {
				if strings.HasPrefix(k, "LOGIN#") {
					return false // a failed log-in counts itself
				}
				for _, p := range row.writes {
					if strings.HasPrefix(k, p) {
						return false
					}
				}
				return true
			}
			for k, v := range after {
				if before[k] != v && changed(k) {
					t.Errorf("%s (%s) changed %s", row.id, row.what, k)
				}
			}
			for k := range before {
				if _, ok := after[k]; !ok && changed(k) {
					t.Errorf("%s (%s) deleted %s", row.id, row.what, k)
				}
			}
		})
	}
}
