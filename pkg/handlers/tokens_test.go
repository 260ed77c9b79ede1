package handlers

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/crypto/bcrypt"
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
		{"oidc is not configured", `{"data":{"type":"token","authentication_mechanism":"oidc","oauth_authorization_code":"c"}}`, 400},
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

func TestLoginThrottle(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.MaxLoginFailures = 3; c.LoginWindow = 2 * time.Second })
	h.createCustomer("Ron", "ron@example.com")
	for _, email := range []string{"ron@example.com", "nobody@example.com"} {
		t.Run(email, func(t *testing.T) {
			for i := 0; i < 3; i++ {
				expect(t, h.login(email, "wrong password"), 401)
			}
			// Throttled now, even with the right password; the same for unknown emails.
			r := h.login(email, testPassword)
			expect(t, r, 429)
			if s, err := strconv.Atoi(r.Headers["Retry-After"]); err != nil || s < 1 || s > 2 {
				t.Errorf("Retry-After %q", r.Headers["Retry-After"])
			}
			// Another email is not affected.
			expect(t, h.login("other-"+email, "wrong password"), 401)
		})
	}
	time.Sleep(2100 * time.Millisecond) // the window ends: the owner gets in
	expect(t, h.login("ron@example.com", testPassword), 200)
	// A success clears the count.
	for i := 0; i < 2; i++ {
		expect(t, h.login("ron@example.com", "wrong password"), 401)
	}
	expect(t, h.login("ron@example.com", testPassword), 200)
	expect(t, h.login("ron@example.com", "wrong password"), 401)
	expect(t, h.login("ron@example.com", testPassword), 200)
}

func TestLoginThrottleUnderConcurrency(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.MaxLoginFailures = 5; c.LoginWindow = time.Minute })
	h.createCustomer("Ron", "ron@example.com")
	const n = 20
	statuses := make(chan int, n)
	for i := 0; i < n; i++ {
		go func() { statuses <- h.login("ron@example.com", "wrong password").Status }()
	}
	count := map[int]int{}
	for i := 0; i < n; i++ {
		count[<-statuses]++
	}
	if count[401] != 5 || count[429] != n-5 {
		t.Errorf("statuses %v: parallel guesses must not slip past the limit of 5", count)
	}
}

func TestLoginOddEmails(t *testing.T) {
	h := newHarness(t)
	for _, email := range []string{strings.Repeat("a", 3000) + "@example.com", "not an email", "a@b"} {
		r := h.login(email, testPassword)
		expect(t, r, 401)
	}
}

func TestLoginUpgradesOldHashes(t *testing.T) {
	h := newHarness(t)
	h.createCustomer("Ron", "ron@example.com") // hashed at cost 10
	tok := h.customerToken("ron@example.com")
	cfg := h.cfg
	cfg.BcryptCost = 11
	deps, err := app.New(cfg, h.db.Client)
	if err != nil {
		t.Fatal(err)
	}
	r := h.doWith(map[string]api.HandlerFunc{"POST /v2/customers/tokens": CreateCustomerToken(deps)}, req{Route: "POST /v2/customers/tokens",
		Headers: bearer(h.implicit), Body: `{"data":{"type":"token","email":"ron@example.com","password":"` + testPassword + `"}}`})
	expect(t, r, 200)
	out, err := h.db.Scan(context.Background(), &dynamodb.ScanInput{TableName: &h.db.Table})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range out.Items {
		if v, ok := it["password_hash"].(*types.AttributeValueMemberS); ok {
			if c, _ := bcrypt.Cost([]byte(v.Value)); c != 11 {
				t.Errorf("stored cost %d, want 11", c)
			}
		}
	}
	// The upgrade is not a password change: tokens issued before it still work.
	ron := data(r)["customer_id"].(string)
	expect(t, h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": ron}, Headers: withCustomer(h.implicit, tok)}), 200)
}
