package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestConsole drives the staff console (/console/index.html) in a real browser, Debian's
// Chromium through playwright-core, against start-api as `make local` serves it
// (testdata/console-e2e.mjs): sign in, search, create, a duplicate email, settings, pages
// and sorting, an address missing mandatory fields, custom fields, an order, delete through
// the confirmation dialog, a phone-sized screen, sign out, a session that expires. Each
// step leaves a screenshot in .aws-sam/console-screenshots and must pass axe with no
// serious or critical violation. What the run needs is seeded here, through the API.
func TestConsole(t *testing.T) {
	root := nodeModules(t, "playwright-core", "@axe-core/playwright")
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run `make deps` (scripts/setup.sh installs Debian's chromium package)")
	}
	const clientID, clientSecret = "console-test-client", "console-test-client-secret-0123456789"
	t.Setenv("CLIENT_ID", clientID)
	t.Setenv("CLIENT_SECRET", clientSecret)
	t.Setenv("MOCK_IDP", "0")
	addr, _, _ := serveAPI(t)
	base := "http://" + addr

	api := staffClient(t, base, clientID, clientSecret)
	seedConsole(t, api)

	shots := filepath.Join(root, ".aws-sam", "console-screenshots")
	if err := os.RemoveAll(shots); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), "node", "testdata/console-e2e.mjs")
	cmd.Env = append(os.Environ(), "API_URL="+base, "CLIENT_ID="+clientID, "CLIENT_SECRET="+clientSecret,
		"SCREENSHOT_DIR="+shots, "CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("the console run failed: %v (screenshots in %s)", err, shots)
	}

	// Every step left a screenshot, a PNG.
	steps := strings.Count(string(out), "\nok - ")
	pngs, _ := filepath.Glob(filepath.Join(shots, "*.png"))
	if len(pngs) < 15 || len(pngs) != steps {
		t.Errorf("%d screenshots for %d steps in %s", len(pngs), steps, shots)
	}
	for _, p := range pngs {
		if b, err := os.ReadFile(p); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("%s is not a PNG (%v)", p, err)
		}
	}
}

// apiClient calls the API as staff (client_credentials).
type apiClient struct {
	t           *testing.T
	base, token string
}

func staffClient(t *testing.T, base, id, secret string) apiClient {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	resp, err := http.PostForm(base+"/oauth/access_token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("access token: %d %v", resp.StatusCode, err)
	}
	return apiClient{t, base, tok.AccessToken}
}

// do sends {"data": body} and returns the answer's data when it is one object (nil when
// it is a list); anything but a 2xx fails the test.
func (c apiClient) do(method, path string, body any) map[string]any {
	c.t.Helper()
	b, _ := json.Marshal(map[string]any{"data": body})
	req, _ := http.NewRequest(method, c.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var answer struct {
		Data any `json:"data"`
	}
	if resp.StatusCode/100 != 2 || json.Unmarshal(raw, &answer) != nil {
		c.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	data, _ := answer.Data.(map[string]any)
	return data
}

// seedConsole writes what testdata/console-e2e.mjs expects: custom fields on customers
// (Tier, VIP, Loyalty points, Birthday), twelve customers (two whose names start with
// "Ron", one with "ron" inside), and an order of two waffle irons for Leslie Knope.
func seedConsole(t *testing.T, api apiClient) {
	flow := api.do("POST", "/v2/flows", map[string]any{"type": "flow", "name": "Customers", "slug": "customers",
		"description": "Extends customers", "enabled": true})
	for i, f := range []struct{ name, slug, typ, description string }{
		{"Tier", "tier", "string", "Loyalty tier"},
		{"VIP", "vip", "boolean", "Gets VIP treatment"},
		{"Loyalty points", "loyalty_points", "integer", ""},
		{"Birthday", "birthday", "date", ""},
	} {
		api.do("POST", "/v2/fields", map[string]any{"type": "field", "name": f.name, "slug": f.slug, "field_type": f.typ,
			"description": f.description, "required": false, "enabled": true, "order": i + 1,
			"relationships": map[string]any{"flow": map[string]any{"data": map[string]any{"type": "flow", "id": flow["id"]}}}})
	}
	var leslie string
	for _, name := range []string{"Ron Swanson", "Ronna Howard", "Veronica Lodge", "Leslie Knope", "Ann Perkins", "April Ludgate",
		"Andy Dwyer", "Tom Haverford", "Donna Meagle", "Ben Wyatt", "Chris Traeger", "Jerry Gergich"} {
		first := strings.ToLower(strings.Fields(name)[0])
		email := first + "@pawnee.example"
		if first == "ron" {
			email = "ron@swanson.example"
		}
		c := api.do("POST", "/v2/customers", map[string]any{"type": "customer", "name": name, "email": email})
		if first == "leslie" {
			leslie = c["id"].(string)
		}
	}
	api.do("POST", "/v2/carts/console-test-cart/items", map[string]any{"type": "custom_item", "name": "Waffle iron", "sku": "JJ-1",
		"quantity": 2, "price": map[string]any{"amount": 1250}})
	address := map[string]any{"first_name": "Leslie", "last_name": "Knope", "line_1": "1 City Hall", "city": "Pawnee",
		"county": "Wamapoke", "postcode": "47998", "country": "US"}
	order := api.do("POST", "/v2/carts/console-test-cart/checkout", map[string]any{"customer": map[string]any{"id": leslie},
		"billing_address": address, "shipping_address": address})
	if order["type"] != "order" {
		t.Fatalf("checkout: %v", order)
	}
}
