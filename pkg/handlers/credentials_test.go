package handlers

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/crypto/bcrypt"

	"github.com/acme/customers/pkg/config"
	"github.com/acme/customers/pkg/testenv"
)

// oldToken is a customer token for id issued longer ago than REAUTH_MAX_AGE_SECONDS (but
// still valid): what a thief who took a token from a shopper's browser holds.
func (h *harness) oldToken(id string, gen int64) string {
	h.t.Helper()
	deps, _ := h.on(h.cfg, h.db.Client)
	tok, err := deps.Tokens.WithClock(func() time.Time { return time.Now().Add(-h.cfg.ReauthMaxAge - time.Minute) }).IssueCustomer(context.Background(), id, gen)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok.Value
}

// TestCredentialChangesNeedProof: a customer changing their email or an existing password
// proves it is them with the current password or a recent log-in; staff need neither.
func TestCredentialChangesNeedProof(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.LoginFreeAttempts = 3 })
	put := func(id string, headers map[string]string, body string) response {
		return h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": id}, Headers: headers,
			Body: `{"data":{"type":"customer",` + body + `}}`})
	}
	get := func(id string) map[string]any {
		r := h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": id}, Headers: bearer(h.admin)})
		expect(t, r, 200)
		return data(r)
	}
	refused := func(t *testing.T, r response, detail string) {
		t.Helper()
		expect(t, r, 403)
		e := errorsOf(t, r)[0]
		if e["source"] != "data.current_password" || !strings.Contains(e["detail"].(string), detail) {
			t.Errorf("error %v, want source data.current_password and %q", e, detail)
		}
	}

	t.Run("a recent log-in may change the email", func(t *testing.T) {
		id := h.createCustomer("Fresh", "fresh@example.com")
		expect(t, put(id, withCustomer(h.implicit, h.customerToken("fresh@example.com")), `"email":"fresh2@example.com"`), 200)
		expect(t, h.login("fresh2@example.com", testPassword), 200)
	})
	t.Run("an old token may not change the email", func(t *testing.T) {
		id := h.createCustomer("Old", "old@example.com")
		tok := withCustomer(h.implicit, h.oldToken(id, 0))
		refused(t, put(id, tok, `"email":"thief@example.com"`), "needs data.current_password")
		refused(t, put(id, tok, `"email":"thief@example.com","current_password":"wrong password"`), "is not this customer's password")
		if e := get(id)["email"]; e != "old@example.com" {
			t.Errorf("email %v after refused changes", e)
		}
		expect(t, h.login("old@example.com", testPassword), 200)
		// The same email in another case is not a change of credentials.
		expect(t, put(id, tok, `"email":"OLD@example.com"`), 200)
		// Neither is a new name.
		expect(t, put(id, tok, `"name":"Old Timer"`), 200)
		// With the current password it goes through.
		r := put(id, tok, `"email":"new@example.com","current_password":"`+testPassword+`"`)
		expect(t, r, 200)
		if strings.Contains(r.Body, "current_password") || strings.Contains(r.Body, testPassword) {
			t.Errorf("the answer repeats the current password: %s", r.Body)
		}
		expect(t, h.login("new@example.com", testPassword), 200)
		expect(t, h.login("old@example.com", testPassword), 401)
	})
	t.Run("an old token may not change an existing password", func(t *testing.T) {
		id := h.createCustomer("Pass", "pass@example.com")
		tok := withCustomer(h.implicit, h.oldToken(id, 0))
		refused(t, put(id, tok, `"password":"stolen account"`), "needs data.current_password")
		expect(t, h.login("pass@example.com", "stolen account"), 401)
		expect(t, put(id, tok, `"password":"my new password","current_password":"`+testPassword+`"`), 200)
		expect(t, h.login("pass@example.com", "my new password"), 200)
		// The change ended the old token.
		expect(t, put(id, tok, `"name":"Still Me"`), 403)
	})
	t.Run("client_credentials with an old customer token needs proof too", func(t *testing.T) {
		id := h.createCustomer("Scoped", "scoped@example.com")
		refused(t, put(id, withCustomer(h.admin, h.oldToken(id, 0)), `"email":"scoped2@example.com"`), "needs data.current_password")
	})
	t.Run("a first password needs no proof", func(t *testing.T) {
		r := h.do(req{Route: "POST /v2/customers", Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","name":"No Pass","email":"nopass@example.com"}}`})
		expect(t, r, 201)
		id := data(r)["id"].(string)
		expect(t, put(id, withCustomer(h.implicit, h.oldToken(id, 0)), `"password":"`+testPassword+`"`), 200)
		expect(t, h.login("nopass@example.com", testPassword), 200)
	})
	t.Run("staff need no proof", func(t *testing.T) {
		id := h.createCustomer("Staffed", "staffed@example.com")
		expect(t, put(id, bearer(h.admin), `"email":"staffed2@example.com","password":"set by staff"`), 200)
		expect(t, h.login("staffed2@example.com", "set by staff"), 200)
	})
	t.Run("wrong current passwords are throttled like log-ins", func(t *testing.T) {
		id := h.createCustomer("Guess", "guess@example.com")
		tok := withCustomer(h.implicit, h.oldToken(id, 0))
		for i := 0; i < 3; i++ {
			refused(t, put(id, tok, `"email":"mine@example.com","current_password":"guess `+string(rune('a'+i))+`"`), "is not this customer's password")
		}
		r := put(id, tok, `"email":"mine@example.com","current_password":"`+testPassword+`"`)
		retryAfter(t, r)
		// The log-in endpoint counts against the same limit.
		retryAfter(t, h.login("guess@example.com", testPassword))
	})
	t.Run("an overlong current password is refused without a check", func(t *testing.T) {
		id := h.createCustomer("Long", "long@example.com")
		r := put(id, withCustomer(h.implicit, h.oldToken(id, 0)), `"email":"long2@example.com","current_password":"`+strings.Repeat("p", 73)+`"`)
		expect(t, r, 422)
	})
}

// TestCommonPasswordsRefused: sign-up and every password change (staff's, the customer's
// own with the current password, a first password) refuse a password on the common list,
// in any case, with a 422 on data.password, and write nothing. Log-in does not look at the
// list: a customer whose stored password is common (set before the list, or imported)
// still logs in, and can change it.
func TestCommonPasswordsRefused(t *testing.T) {
	h := newHarness(t)
	put := func(id string, headers map[string]string, body string) response {
		return h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": id}, Headers: headers,
			Body: `{"data":{"type":"customer",` + body + `}}`})
	}
	// refused sends a request that must be refused for its common password, and checks that
	// the table is as it was.
	refused := func(t *testing.T, send func() response) {
		t.Helper()
		before := table(t, h)
		r := send()
		expect(t, r, 422)
		es := errorsOf(t, r)
		if len(es) != 1 || es[0]["source"] != "data.password" ||
			es[0]["detail"] != "The data.password field is a commonly used password; choose another." {
			t.Errorf("errors %v, want one on data.password saying the password is common", es)
		}
		if !reflect.DeepEqual(table(t, h), before) {
			t.Error("a refused request changed the table")
		}
	}

	t.Run("sign-up", func(t *testing.T) {
		for _, p := range []string{"password123", "Password123", "QWERTYUIOP"} {
			refused(t, func() response {
				return h.do(req{Route: "POST /v2/customers", Headers: bearer(h.implicit),
					Body: `{"data":{"type":"customer","name":"Common","email":"common@example.com","password":"` + p + `"}}`})
			})
		}
		// The same sign-up with a password of its own goes through.
		expect(t, h.do(req{Route: "POST /v2/customers", Headers: bearer(h.implicit),
			Body: `{"data":{"type":"customer","name":"Common","email":"common@example.com","password":"` + testPassword + `"}}`}), 201)
	})
	t.Run("staff change", func(t *testing.T) {
		id := h.createCustomer("Staffed", "staffed-common@example.com")
		refused(t, func() response { return put(id, bearer(h.admin), `"password":"iloveyou1"`) })
		expect(t, h.login("staffed-common@example.com", testPassword), 200)
		expect(t, h.login("staffed-common@example.com", "iloveyou1"), 401)
	})
	t.Run("the customer's own change", func(t *testing.T) {
		id := h.createCustomer("Own", "own-common@example.com")
		tok := withCustomer(h.implicit, h.customerToken("own-common@example.com"))
		refused(t, func() response {
			return put(id, tok, `"password":"Sunshine1","current_password":"`+testPassword+`"`)
		})
		expect(t, h.login("own-common@example.com", testPassword), 200)
	})
	t.Run("a first password", func(t *testing.T) {
		r := h.do(req{Route: "POST /v2/customers", Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","name":"First","email":"first-common@example.com"}}`})
		expect(t, r, 201)
		id := data(r)["id"].(string)
		refused(t, func() response { return put(id, bearer(h.admin), `"password":"trustno1"`) })
	})
	t.Run("log-in with a stored common password", func(t *testing.T) {
		const email, common = "stored-common@example.com", "password123"
		id := h.createCustomer("Stored", email)
		// No request can set it: write its hash where the log-in reads it (the customer and
		// its email claim).
		hash, err := bcrypt.GenerateFromPassword([]byte(common), h.cfg.BcryptCost)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, it := range h.db.Items(t) {
			if testenv.Str(it, "password_hash") == "" || (testenv.Str(it, "email") != email && !strings.Contains(testenv.Str(it, "PK"), email)) {
				continue
			}
			it["password_hash"] = &types.AttributeValueMemberS{Value: string(hash)}
			if _, err := h.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &h.db.Table, Item: it}); err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 2 {
			t.Fatalf("%d items hold the hash, want 2 (the customer and its email claim)", n)
		}
		r := h.login(email, common)
		expect(t, r, 200)
		expect(t, h.login(email, testPassword), 401)
		// The current password may be common: it is only compared. The new one may not.
		tok := withCustomer(h.implicit, data(r)["token"].(string))
		refused(t, func() response { return put(id, tok, `"password":"password1234","current_password":"`+common+`"`) })
		expect(t, put(id, tok, `"password":"`+testPassword+`","current_password":"`+common+`"`), 200)
		expect(t, h.login(email, testPassword), 200)
	})
}

// table is every item of the harness's table by key (a scan's order may change).
func table(t *testing.T, h *harness) map[string]map[string]types.AttributeValue {
	t.Helper()
	items := map[string]map[string]types.AttributeValue{}
	for _, it := range h.db.Items(t) {
		items[testenv.Str(it, "PK")+" "+testenv.Str(it, "SK")] = it
	}
	return items
}
