package handlers

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/config"
	"github.com/acme/customers/pkg/samtemplate"
	"github.com/acme/customers/pkg/secrets"
	"github.com/acme/customers/pkg/store"
	"github.com/acme/customers/pkg/testenv"
)

func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Verbose() {
		api.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	testenv.Main(m)
}

const (
	testClientID     = "test-client"
	testClientSecret = "test-client-secret-0123456789abcdef"
	testPassword     = "correct horse battery"
)

// endpoints serves every route of template.yaml: Routes and the $default route.
func endpoints() map[string]app.Endpoint {
	all := maps.Clone(Routes)
	all[samtemplate.DefaultRoute] = NotFound
	return all
}

// harness runs handlers in-process against a fresh DynamoDB Local table.
type harness struct {
	t        *testing.T
	db       *testenv.DB
	deps     *app.Deps
	cfg      config.Config
	secrets  secrets.Static // every secret, as the functions of a deployment read them
	handlers map[string]api.HandlerFunc
	admin    string // a client_credentials access token
	implicit string // an implicit access token
}

func newHarness(t *testing.T, tweak ...func(*config.Config)) *harness {
	t.Helper()
	db := testenv.NewDB(t)
	cfg := config.Config{
		TableName:  db.Table,
		Issuer:     config.DefaultIssuer,
		ClientID:   testClientID,
		Secrets:    config.AllSecrets,
		SecretsTTL: time.Hour,
		KeysTTL:    time.Hour,
		BcryptCost: 10,
		// Windows are fixed, from the Unix epoch: a test that crossed from one into the next
		// would see its counts start afresh. 1,000 hours makes that a once-in-six-weeks moment.
		LoginWindow:       1000 * time.Hour,
		LoginMaxAttempts:  100,
		LoginFreeAttempts: 5,
		// Long enough that no test run, however slow the machine, waits it out by accident.
		LoginFirstDelay: time.Minute,
		ReauthMaxAge:    10 * time.Minute,
		// One process serves every handler here, so a settings change is seen at once;
		// across Lambda processes it takes up to the TTL (see pkg/settings).
		SettingsTTL: time.Hour,
	}
	for _, f := range tweak {
		f(&cfg)
	}
	h := &harness{t: t, db: db, cfg: cfg, secrets: secrets.Generated(cfg.Secrets.IDs()...)}
	h.secrets[cfg.Secrets.Client] = secrets.Set{Current: testClientSecret}
	h.deps, h.handlers = h.on(cfg, db.Client)
	h.admin = h.accessToken("client_credentials")
	h.implicit = h.accessToken("implicit")
	// A warm process: the published token keys read (the cold() handlers read them at
	// their first verification).
	if _, err := h.deps.Tokens.PublicKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h
}

// response is a handler's answer with its body parsed.
type response struct {
	Status  int
	Headers map[string]string
	Body    string
	JSON    map[string]any
}

// req describes one request.
type req = testenv.Request

func (h *harness) do(r req) response {
	h.t.Helper()
	return h.doWith(h.handlers, r)
}

// on builds every handler on cfg and a DynamoDB client, with the harness's secrets.
func (h *harness) on(cfg config.Config, db store.API) (*app.Deps, map[string]api.HandlerFunc) {
	h.t.Helper()
	return h.onWith(cfg, db, h.secrets)
}

// onWith builds every handler on cfg, a DynamoDB client and the secrets src.
func (h *harness) onWith(cfg config.Config, db store.API, src secrets.Source) (*app.Deps, map[string]api.HandlerFunc) {
	h.t.Helper()
	deps, err := app.New(cfg, db, src)
	if err != nil {
		h.t.Fatal(err)
	}
	handlers := map[string]api.HandlerFunc{}
	for route, e := range endpoints() {
		handlers[route] = e(deps)
	}
	return deps, handlers
}

// cold returns handlers like a newly started function's: nothing cached yet.
func (h *harness) cold() map[string]api.HandlerFunc {
	h.t.Helper()
	_, handlers := h.on(h.cfg, h.db.Client) // a new process: nothing cached yet
	return handlers
}

func (h *harness) doWith(handlers map[string]api.HandlerFunc, r req) response {
	h.t.Helper()
	handler, ok := handlers[r.Route]
	if !ok {
		h.t.Fatalf("no handler for %q", r.Route)
	}
	ev := testenv.Event(r)
	out, err := api.Handle(r.Route, handler)(context.Background(), ev)
	if err != nil {
		h.t.Fatalf("%s: handler returned an error: %v", r.Route, err)
	}
	resp := response{Status: out.StatusCode, Headers: out.Headers, Body: out.Body}
	consoleFile := r.Route == "GET /console/{proxy+}" && out.StatusCode == 200 // the console's files are not JSON
	if out.Body != "" && !consoleFile {
		if err := json.Unmarshal([]byte(out.Body), &resp.JSON); err != nil {
			h.t.Fatalf("%s: body is not a JSON object: %q", r.Route, out.Body)
		}
		if ct := out.Headers["Content-Type"]; ct != "application/json; charset=utf-8" {
			h.t.Errorf("%s: Content-Type %q", r.Route, ct)
		}
	}
	return resp
}

func (h *harness) accessToken(grant string) string {
	h.t.Helper()
	form := "grant_type=" + grant + "&client_id=" + testClientID
	if grant == "client_credentials" {
		form += "&client_secret=" + testClientSecret
	}
	r := h.do(req{Route: "POST /oauth/access_token", Body: form,
		Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"}})
	if r.Status != 200 {
		h.t.Fatalf("access token: %d %s", r.Status, r.Body)
	}
	return r.JSON["access_token"].(string)
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

func withCustomer(access, customerToken string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + access, "X-Moltin-Customer-Token": customerToken}
}

// createCustomer signs a customer up with a password and returns its id.
func (h *harness) createCustomer(name, email string) string {
	h.t.Helper()
	r := h.do(req{Route: "POST /v2/customers", Headers: bearer(h.admin),
		Body: `{"data":{"type":"customer","name":"` + name + `","email":"` + email + `","password":"` + testPassword + `"}}`})
	if r.Status != 201 {
		h.t.Fatalf("create %s: %d %s", email, r.Status, r.Body)
	}
	return data(r)["id"].(string)
}

// anAddress is a complete address body.
const anAddress = `{"data":{"type":"address","first_name":"Ron","last_name":"Swanson","line_1":"1 Pawnee Way","county":"Wamapoke","postcode":"47998","country":"US"}}`

// createAddress adds anAddress to a customer and returns its id.
func (h *harness) createAddress(customerID string) string {
	h.t.Helper()
	r := h.do(req{Route: "POST /v2/customers/{customerId}/addresses", Path: map[string]string{"customerId": customerID},
		Headers: bearer(h.admin), Body: anAddress})
	if r.Status != 201 {
		h.t.Fatalf("create address: %d %s", r.Status, r.Body)
	}
	return data(r)["id"].(string)
}

// login asks for a customer token.
func (h *harness) login(email, password string) response {
	h.t.Helper()
	return h.loginFrom("", email, password)
}

// loginFrom asks for a customer token from a source address ("": the default one).
func (h *harness) loginFrom(source, email, password string) response {
	h.t.Helper()
	return h.do(req{Route: "POST /v2/customers/tokens", Headers: bearer(h.implicit), Source: source,
		Body: `{"data":{"type":"token","email":"` + email + `","password":"` + password + `","authentication_mechanism":"password"}}`})
}

func (h *harness) customerToken(email string) string {
	h.t.Helper()
	r := h.login(email, testPassword)
	if r.Status != 200 {
		h.t.Fatalf("login %s: %d %s", email, r.Status, r.Body)
	}
	return data(r)["token"].(string)
}

func data(r response) map[string]any {
	d, _ := r.JSON["data"].(map[string]any)
	return d
}

// errorsOf returns the error entries of an error response.
func errorsOf(t *testing.T, r response) []map[string]any {
	t.Helper()
	list, ok := r.JSON["errors"].([]any)
	if !ok || len(list) == 0 {
		t.Fatalf("no errors in %d %s", r.Status, r.Body)
	}
	out := make([]map[string]any, len(list))
	for i, e := range list {
		out[i] = e.(map[string]any)
		if st, ok := out[i]["status"].(float64); !ok || int(st) == 0 {
			t.Errorf("error entry without an integer status: %v", out[i])
		}
	}
	return out
}

// expect checks a status, printing the body when it differs.
func expect(t *testing.T, r response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
}

// followByCursor reads r's first page with page[limit]=2, then follows links.next to the
// end, and returns the ids in the order shown. Every next link must carry a cursor, and each
// page reached by one must cost one Query and one GetItem (the profile alongside).
func (h *harness) followByCursor(t *testing.T, r req) []string {
	t.Helper()
	var seen []string
	r.Query = "page[limit]=2"
	for page := 0; r.Query != ""; page++ {
		h.db.Calls().Reset()
		resp := h.do(r)
		expect(t, resp, 200)
		if calls := h.db.Calls().ByOp(); page > 0 && (calls["Query"] != 1 || calls["GetItem"] != 1) {
			t.Errorf("page %d by cursor made %v, want one Query and one GetItem", page+1, calls)
		}
		for _, v := range resp.JSON["data"].([]any) {
			seen = append(seen, v.(map[string]any)["id"].(string))
		}
		r.Query = ""
		if next, _ := resp.JSON["links"].(map[string]any)["next"].(string); next != "" {
			if !strings.Contains(next, "page[cursor]=") {
				t.Fatalf("next link without a cursor: %s", next)
			}
			r.Query = next[strings.Index(next, "?")+1:]
		}
		if page > 5 {
			t.Fatal("links.next never ends")
		}
	}
	return seen
}
