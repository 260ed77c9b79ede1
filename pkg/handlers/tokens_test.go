package handlers

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/config"
)

func TestCustomerToken(t *testing.T) {
	h := newHarness(t)
	ron := h.createCustomer("Ron", "ron+shop@example.com")
	expect(t, h.do(req{Route: "POST /v2/customers", Headers: bearer(h.admin),
		Body: `{"data":{"type":"customer","name":"No Password","email":"nopass@example.com"}}`}), 201)
	gone := h.createCustomer("Gone", "gone@example.com")
	expect(t, h.do(req{Route: "DELETE /v2/customers/{customerId}", Path: map[string]string{"customerId": gone}, Headers: bearer(h.admin)}), 204)

	t.Run("success", func(t *testing.T) {
		r := h.login("RON+SHOP@example.com", testPassword)
		expect(t, r, 200)
		d := data(r)
		if d["type"] != "token" || d["customer_id"] != ron || d["token"] == "" || d["id"] == "" {
			t.Errorf("unexpected token %s", r.Body)
		}
		if r.Headers["Cache-Control"] != "no-store" || r.Headers["Pragma"] != "no-cache" {
			t.Errorf("a token answer may be cached: %v", r.Headers)
		}
		exp := int64(d["expires"].(float64))
		if want := time.Now().Add(24 * time.Hour).Unix(); exp < want-60 || exp > want+60 {
			t.Errorf("expires %d, want about %d", exp, want)
		}
	})
	t.Run("a stale customer token does not stop a new log-in", func(t *testing.T) {
		expect(t, h.do(req{Route: "POST /v2/customers/tokens", Headers: withCustomer(h.implicit, "expired.or.garbage"),
			Body: `{"data":{"type":"token","email":"ron+shop@example.com","password":"` + testPassword + `"}}`}), 200)
	})
	t.Run("mechanism may be omitted", func(t *testing.T) {
		expect(t, h.do(req{Route: "POST /v2/customers/tokens", Headers: bearer(h.implicit),
			Body: `{"data":{"type":"token","email":"ron+shop@example.com","password":"` + testPassword + `"}}`}), 200)
	})
	t.Run("every failure looks the same", func(t *testing.T) {
		var first string
		for _, c := range []struct{ email, password string }{
			{"ron+shop@example.com", "wrong password"},
			{"nobody@example.com", testPassword},
			{"nopass@example.com", testPassword},
			{"gone@example.com", testPassword},
		} {
			r := h.login(c.email, c.password)
			expect(t, r, 401)
			if first == "" {
				first = r.Body
			} else if r.Body != first {
				t.Errorf("%s: body %s differs from %s", c.email, r.Body, first)
			}
		}
	})
	for _, c := range []struct {
		name, body string
		status     int
	}{
		{"missing email and password", `{"data":{"type":"token"}}`, 422},
		{"wrong type", `{"data":{"type":"customer","email":"a@example.com","password":"x"}}`, 422},
		{"unknown mechanism", `{"data":{"type":"token","authentication_mechanism":"magic","email":"a@example.com","password":"x"}}`, 422},
		{"oidc without its members", `{"data":{"type":"token","authentication_mechanism":"oidc","oauth_authorization_code":"c"}}`, 422},
		{"malformed", `{"data":{`, 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			expect(t, h.do(req{Route: "POST /v2/customers/tokens", Headers: bearer(h.implicit), Body: c.body}), c.status)
		})
	}
	t.Run("needs an access token", func(t *testing.T) {
		expect(t, h.do(req{Route: "POST /v2/customers/tokens",
			Body: `{"data":{"type":"token","email":"ron+shop@example.com","password":"` + testPassword + `"}}`}), 401)
	})
}

// retryAfter is a 429's Retry-After in seconds.
func retryAfter(t *testing.T, r response) int {
	t.Helper()
	expect(t, r, 429)
	s, err := strconv.Atoi(r.Headers["Retry-After"])
	if err != nil || s < 1 {
		t.Fatalf("Retry-After %q", r.Headers["Retry-After"])
	}
	return s
}

// TestLoginThrottlePerAddress: an address gets a few attempts at once, then waits twice as
// long for each further one; an attacker there cannot keep the owner, elsewhere, out.
func TestLoginThrottlePerAddress(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.LoginFreeAttempts = 3 })
	h.createCustomer("Ron", "ron@example.com")
	const attacker, owner = "198.51.100.7", "203.0.113.9"
	var refusals []string
	for _, email := range []string{"ron@example.com", "nobody@example.com"} {
		t.Run(email, func(t *testing.T) {
			for i := 0; i < 3; i++ {
				expect(t, h.loginFrom(attacker, email, "wrong password"), 401)
			}
			// The fourth attempt from there waits (the first delay; the doubling of the
			// ones after is held by pkg/store's TestLoginCount, on a clock of its own).
			// Refused attempts count for nothing, however many (the SDK retries every 429).
			for i := 0; i < 10; i++ {
				r := h.loginFrom(attacker, email, testPassword)
				if s := retryAfter(t, r); s > int(h.cfg.LoginFirstDelay/time.Second) {
					t.Fatalf("Retry-After %d after 3 attempts, want at most the first delay", s)
				}
				if i == 0 {
					refusals = append(refusals, r.JSON["errors"].([]any)[0].(map[string]any)["title"].(string))
				}
			}
			// Another address is not affected, known email or not.
			want := 401
			if email == "ron@example.com" {
				want = 200
			}
			expect(t, h.loginFrom(owner, email, testPassword), want)
		})
	}
	if len(refusals) != 2 || refusals[0] != refusals[1] {
		t.Errorf("refusals differ for known and unknown emails: %q", refusals)
	}
}

// TestLoginCeilingPerEmail: guesses spread over many addresses still stop at the email's
// ceiling, for every address, until the window ends.
func TestLoginCeilingPerEmail(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.LoginMaxAttempts = 10; c.LoginFreeAttempts = 3 })
	h.createCustomer("Ron", "ron@example.com")
	statuses := map[int]int{}
	for i := 0; i < 25; i++ {
		statuses[h.loginFrom("10.0.0."+strconv.Itoa(i), "ron@example.com", "wrong password").Status]++
	}
	if statuses[401] != 10 || statuses[429] != 15 {
		t.Errorf("statuses %v: want 10 attempts, then refusals", statuses)
	}
	if s := retryAfter(t, h.loginFrom("203.0.113.9", "ron@example.com", testPassword)); s > int(h.cfg.LoginWindow/time.Second) {
		t.Errorf("Retry-After %d, past the window's end", s)
	}
	// Another email is not affected.
	expect(t, h.loginFrom("10.0.0.1", "other@example.com", "wrong password"), 401)
}

// TestLoginIPv6CountsBySubnet: the addresses of one /64 are one address.
func TestLoginIPv6CountsBySubnet(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.LoginFreeAttempts = 3 })
	for i := 1; i <= 3; i++ {
		expect(t, h.loginFrom("2001:db8:1:2::"+strconv.Itoa(i), "ron@example.com", "wrong password"), 401)
	}
	retryAfter(t, h.loginFrom("2001:db8:1:2:ffff::9", "ron@example.com", "wrong password"))
	expect(t, h.loginFrom("2001:db8:1:3::1", "ron@example.com", "wrong password"), 401)
}

// TestLoginSuccessClears: a success clears what was counted against its email and address.
func TestLoginSuccessClears(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.LoginFreeAttempts = 3 })
	h.createCustomer("Ron", "ron@example.com")
	for round := 0; round < 3; round++ {
		for i := 0; i < 2; i++ {
			expect(t, h.login("ron@example.com", "wrong password"), 401)
		}
		expect(t, h.login("ron@example.com", testPassword), 200)
	}
	for i := 0; i < 3; i++ {
		expect(t, h.login("ron@example.com", "wrong password"), 401)
	}
	retryAfter(t, h.login("ron@example.com", testPassword))
}

// TestLoginThrottleUnderConcurrency: parallel guesses pass no limit, per address or per
// email.
func TestLoginThrottleUnderConcurrency(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.LoginMaxAttempts = 7; c.LoginFreeAttempts = 5 })
	h.createCustomer("Ron", "ron@example.com")
	run := func(source func(int) string) map[int]int {
		const n = 20
		statuses := make(chan int, n)
		for i := 0; i < n; i++ {
			go func() { statuses <- h.loginFrom(source(i), "ron@example.com", "wrong password").Status }()
		}
		count := map[int]int{}
		for i := 0; i < n; i++ {
			count[<-statuses]++
		}
		return count
	}
	// From one address: its 5 free attempts, then each next one must wait after the last.
	if c := run(func(int) string { return "198.51.100.7" }); c[401] != 5 || c[429] != 15 {
		t.Errorf("one address: statuses %v, want 5 × 401", c)
	}
	// From many: the email's ceiling of 7 (5 counted already).
	if c := run(func(i int) string { return "10.1.0." + strconv.Itoa(i) }); c[401] != 2 || c[429] != 18 {
		t.Errorf("many addresses: statuses %v, want 2 × 401", c)
	}
}

// TestLoginPreparesTheDummyHash: the log-in and update functions make the dummy hash when
// they start, not on their first failure (which would then take twice as long).
func TestLoginPreparesTheDummyHash(t *testing.T) {
	h := newHarness(t)
	for _, e := range []app.Endpoint{CreateCustomerToken, UpdateCustomer} {
		deps, err := app.New(h.cfg, h.db.Client, h.secrets)
		if err != nil {
			t.Fatal(err)
		}
		if deps.Customers.Passwords().Prepared() {
			t.Fatal("prepared before the function was built")
		}
		e(deps)
		if !deps.Customers.Passwords().Prepared() {
			t.Error("the function started without the dummy hash")
		}
	}
}

func TestLoginOddEmails(t *testing.T) {
	h := newHarness(t)
	for _, email := range []string{strings.Repeat("a", 3000) + "@example.com", "not an email", "a@b"} {
		r := h.login(email, testPassword)
		expect(t, r, 401)
	}
}
