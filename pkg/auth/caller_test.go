package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/acme/customers/pkg/problem"
	"github.com/acme/customers/pkg/secrets"
)

// hdrs is a Headers with case-insensitive names, as API Gateway delivers them.
type hdrs map[string]string

func (h hdrs) Header(name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func TestCaller(t *testing.T) {
	f := newFixture(t)
	tk := f.verifier(t)
	cc, _ := f.tk.IssueAccess(ctx, ClientCredentials, "client-1")
	im, _ := f.tk.IssueAccess(ctx, Implicit, "client-1")
	ct, _ := f.tk.IssueCustomer(ctx, testCustomerID, 4)
	ck, ckid := f.key(CustomerKind)
	ak, akid := f.key(AccessKind)
	_, attacker, _ := ed25519.GenerateKey(rand.Reader)
	expired := forge(edHeader(ckid), customerClaimsAt(t0.Add(-CustomerTokenTTL-time.Second)), withEd(ck))
	forged := forge(edHeader(ckid), customerClaimsAt(t0), withEd(attacker))
	none := forge(header("alg", "none", "kid", ckid), customerClaimsAt(t0), nil)
	hs := forge(header("alg", "HS256", "kid", ckid), customerClaimsAt(t0), withHMAC(sha256.New, ck.Public().(ed25519.PublicKey)))
	customerUnderAccessKey := forge(edHeader(akid), customerClaimsAt(t0), withEd(ak))
	accessUnderCustomerKey := forge(edHeader(ckid), accessClaimsAt(t0), withEd(ck))

	const (
		ok = iota
		unauthorized
		forbidden
	)
	cases := []struct {
		name     string
		h        hdrs
		want     int
		grant    Grant
		customer string
	}{
		{"no headers", hdrs{}, unauthorized, "", ""},
		{"empty Authorization", hdrs{"Authorization": ""}, unauthorized, "", ""},
		{"only a customer token", hdrs{CustomerTokenHeader: ct.Value}, unauthorized, "", ""},
		{"Bearer without a token", hdrs{"Authorization": "Bearer"}, unauthorized, "", ""},
		{"Bearer and spaces", hdrs{"Authorization": "Bearer    "}, unauthorized, "", ""},
		{"Basic", hdrs{"Authorization": "Basic Y2xpZW50OnNlY3JldA=="}, unauthorized, "", ""},
		{"Basic with a valid token", hdrs{"Authorization": "Basic " + cc.Value}, unauthorized, "", ""},
		{"token without a scheme", hdrs{"Authorization": cc.Value}, unauthorized, "", ""},
		{"Bearer: with a colon", hdrs{"Authorization": "Bearer: " + cc.Value}, unauthorized, "", ""},
		{"BearerX", hdrs{"Authorization": "BearerX " + cc.Value}, unauthorized, "", ""},
		{"customer token as the bearer", hdrs{"Authorization": "Bearer " + ct.Value}, unauthorized, "", ""},
		{"forged bearer", hdrs{"Authorization": "Bearer " + forge(edHeader(akid), accessClaimsAt(t0), withEd(attacker))}, unauthorized, "", ""},
		{"alg none bearer", hdrs{"Authorization": "Bearer " + forge(header("alg", "none", "kid", akid), accessClaimsAt(t0), nil)}, unauthorized, "", ""},
		{"access claims under the customer key as the bearer", hdrs{"Authorization": "Bearer " + accessUnderCustomerKey}, unauthorized, "", ""},
		{"two bearer tokens joined by a comma", hdrs{"Authorization": "Bearer " + cc.Value + ",Bearer " + cc.Value}, unauthorized, "", ""},
		{"bearer plus 9000 dots", hdrs{"Authorization": "Bearer " + strings.Repeat(".", 9000)}, unauthorized, "", ""},

		{"client_credentials", hdrs{"Authorization": "Bearer " + cc.Value}, ok, ClientCredentials, ""},
		{"implicit", hdrs{"Authorization": "Bearer " + im.Value}, ok, Implicit, ""},
		{"lower-case bearer", hdrs{"authorization": "bearer " + cc.Value}, ok, ClientCredentials, ""},
		{"upper-case BEARER", hdrs{"AUTHORIZATION": "BEARER " + cc.Value}, ok, ClientCredentials, ""},
		{"extra spaces", hdrs{"Authorization": "  Bearer    " + cc.Value + "  "}, ok, ClientCredentials, ""},
		{"empty customer token header is no customer token", hdrs{"Authorization": "Bearer " + cc.Value, CustomerTokenHeader: ""}, ok, ClientCredentials, ""},

		{"implicit with a customer token", hdrs{"Authorization": "Bearer " + im.Value, CustomerTokenHeader: ct.Value}, ok, Implicit, testCustomerID},
		{"client_credentials with a customer token", hdrs{"Authorization": "Bearer " + cc.Value, CustomerTokenHeader: ct.Value}, ok, ClientCredentials, testCustomerID},
		{"customer token header in upper case", hdrs{"Authorization": "Bearer " + im.Value, "X-MOLTIN-CUSTOMER-TOKEN": ct.Value}, ok, Implicit, testCustomerID},
		{"customer token with spaces around it", hdrs{"Authorization": "Bearer " + im.Value, CustomerTokenHeader: "  " + ct.Value + " "}, ok, Implicit, testCustomerID},

		{"customer token of spaces", hdrs{"Authorization": "Bearer " + im.Value, CustomerTokenHeader: "   "}, forbidden, "", ""},
		{"garbage customer token", hdrs{"Authorization": "Bearer " + im.Value, CustomerTokenHeader: "garbage"}, forbidden, "", ""},
		{"expired customer token", hdrs{"Authorization": "Bearer " + im.Value, CustomerTokenHeader: expired}, forbidden, "", ""},
		{"forged customer token", hdrs{"Authorization": "Bearer " + im.Value, CustomerTokenHeader: forged}, forbidden, "", ""},
		{"alg none customer token", hdrs{"Authorization": "Bearer " + im.Value, CustomerTokenHeader: none}, forbidden, "", ""},
		{"HS256 customer token under the public key", hdrs{"Authorization": "Bearer " + im.Value, CustomerTokenHeader: hs}, forbidden, "", ""},
		{"customer claims under the access key", hdrs{"Authorization": "Bearer " + im.Value, CustomerTokenHeader: customerUnderAccessKey}, forbidden, "", ""},
		{"access token as the customer token", hdrs{"Authorization": "Bearer " + im.Value, CustomerTokenHeader: im.Value}, forbidden, "", ""},
		{"Bearer-prefixed customer token", hdrs{"Authorization": "Bearer " + im.Value, CustomerTokenHeader: "Bearer " + ct.Value}, forbidden, "", ""},
		{"two customer tokens joined by a comma", hdrs{"Authorization": "Bearer " + im.Value, CustomerTokenHeader: ct.Value + "," + ct.Value}, forbidden, "", ""},
		{"two customer tokens joined by a comma and space", hdrs{"Authorization": "Bearer " + im.Value, CustomerTokenHeader: ct.Value + ", " + ct.Value}, forbidden, "", ""},
		{"customer token of 9000 dots", hdrs{"Authorization": "Bearer " + im.Value, CustomerTokenHeader: strings.Repeat(".", 9000)}, forbidden, "", ""},
		// A bad access token wins over a bad customer token: 401 first.
		{"bad bearer and bad customer token", hdrs{"Authorization": "Bearer x", CustomerTokenHeader: "y"}, unauthorized, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tk.Caller(ctx, tc.h)
			switch tc.want {
			case ok:
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if c.Grant != tc.grant || c.CustomerID != tc.customer {
					t.Errorf("caller = %+v, want grant %q customer %q", c, tc.grant, tc.customer)
				}
				if tc.customer != "" && (c.Gen != 4 || !c.IssuedAt.Equal(t0)) {
					t.Errorf("Gen = %d, IssuedAt = %v; want 4, %v", c.Gen, c.IssuedAt, t0)
				}
				if tc.customer == "" && (c.Gen != 0 || !c.IssuedAt.IsZero()) {
					t.Errorf("caller without a customer token: %+v", c)
				}
				// Application ignores the customer token: the same grant, no customer.
				a, err := tk.Application(ctx, tc.h)
				if err != nil || a != (Caller{Grant: tc.grant}) {
					t.Errorf("Application = %+v, %v", a, err)
				}
			case unauthorized, forbidden:
				kind := problem.Unauthorized
				if tc.want == forbidden {
					kind = problem.Forbidden
				}
				if err == nil {
					t.Fatalf("accepted: %+v", c)
				}
				l, isProblem := problem.Problems(err)
				if !isProblem || len(l) != 1 || l[0].Kind != kind {
					t.Fatalf("err = %#v, want one problem of kind %d", err, kind)
				}
				if c != (Caller{}) {
					t.Errorf("a failed Caller returned %+v", c)
				}
				if strings.Contains(err.Error(), "eyJ") {
					t.Errorf("the error quotes a token: %v", err)
				}
			}
		})
	}
}

func TestAccessIgnoresCustomerToken(t *testing.T) {
	f := newFixture(t)
	tk := f.tk
	im, _ := tk.IssueAccess(ctx, Implicit, "client-1")
	for _, ct := range []string{"", "garbage", strings.Repeat(".", 9000), im.Value} {
		h := hdrs{"Authorization": "Bearer " + im.Value, CustomerTokenHeader: ct}
		g, err := tk.Access(ctx, h)
		if err != nil || g != Implicit {
			t.Errorf("customer token %.20q: Access = %q, %v", ct, g, err)
		}
		c, err := tk.Application(ctx, h)
		if err != nil || c != (Caller{Grant: Implicit}) {
			t.Errorf("customer token %.20q: Application = %+v, %v", ct, c, err)
		}
	}
	for _, h := range []hdrs{{CustomerTokenHeader: "x"}, {"Authorization": "Bearer x"}} {
		if g, err := tk.Access(ctx, h); !problem.Is(err, problem.Unauthorized) || g != "" {
			t.Errorf("Access(%v) = %q, %v; want a 401 problem", h, g, err)
		}
		if c, err := tk.Application(ctx, h); !problem.Is(err, problem.Unauthorized) || c != (Caller{}) {
			t.Errorf("Application(%v) = %+v, %v; want a 401 problem", h, c, err)
		}
	}
}

func TestCallerAdmin(t *testing.T) {
	for _, tc := range []struct {
		c    Caller
		want bool
	}{
		{Caller{Grant: ClientCredentials}, true},
		{Caller{Grant: ClientCredentials, CustomerID: testCustomerID}, false},
		{Caller{Grant: Implicit}, false},
		{Caller{Grant: Implicit, CustomerID: testCustomerID}, false},
		{Caller{}, false},
	} {
		if got := tc.c.Admin(); got != tc.want {
			t.Errorf("%+v.Admin() = %v", tc.c, got)
		}
	}
}

func TestCallerMayActOnAndTokenGen(t *testing.T) {
	const other = "0c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5"
	for _, tc := range []struct {
		name      string
		c         Caller
		own, any_ bool
		gen       *int64
	}{
		{"administrator", Caller{Grant: ClientCredentials}, true, true, nil},
		{"client_credentials with a customer token", Caller{Grant: ClientCredentials, CustomerID: testCustomerID, Gen: 3}, true, false, ptr(3)},
		{"implicit with a customer token", Caller{Grant: Implicit, CustomerID: testCustomerID}, true, false, ptr(0)},
		{"implicit alone", Caller{Grant: Implicit}, false, false, nil},
		{"nobody", Caller{}, false, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.MayActOn(testCustomerID); got != tc.own {
				t.Errorf("MayActOn(its customer) = %v", got)
			}
			if got := tc.c.MayActOn(other); got != tc.any_ {
				t.Errorf("MayActOn(another customer) = %v", got)
			}
			// An empty id is nobody's: a caller without a customer token may not act on
			// it by matching its empty CustomerID.
			if got := tc.c.MayActOn(""); got != tc.c.Admin() {
				t.Errorf("MayActOn(\"\") = %v", got)
			}
			g := tc.c.TokenGen()
			if (g == nil) != (tc.gen == nil) || g != nil && *g != *tc.gen {
				t.Errorf("TokenGen = %v, want %v", g, tc.gen)
			}
		})
	}
}

func ptr(v int64) *int64 { return &v }

func TestBearer(t *testing.T) {
	for _, tc := range []struct {
		in, tok string
		ok      bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"bEaReR abc", "abc", true},
		{"  Bearer   abc  ", "abc", true},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Bearer\tabc", "", false},
		{"Basic abc", "", false},
		{"abc", "", false},
		{"", "", false},
	} {
		tok, ok := bearer(tc.in)
		if tok != tc.tok || ok != tc.ok {
			t.Errorf("bearer(%q) = %q, %v; want %q, %v", tc.in, tok, ok, tc.tok, tc.ok)
		}
	}
}

func TestClientCheckSecret(t *testing.T) {
	const (
		current = "s3cret-s3cret-s3cret-s3cret-s3cret-1"
		other   = "s3cret-s3cret-s3cret-s3cret-s3cret-2"
	)
	src := secrets.Static{"client": {Current: current, Created: t0}}
	c := Client{ID: "client-1", Secret: secrets.NewValue(src, "client", 0, nil)}
	check := func(presented string, want bool) {
		t.Helper()
		got, err := c.CheckSecret(ctx, presented)
		if err != nil || got != want {
			t.Errorf("CheckSecret(%q) = %v, %v; want %v", presented, got, err, want)
		}
	}
	check(current, true)
	check(current[:len(current)-1]+"X", false)
	check(current+" ", false)
	check(" "+current, false)
	check(current[:10], false)
	check(current+current, false)
	check(other, false)
	check("", false)

	// During a change both the current secret and the other one are accepted.
	src["client"] = secrets.Set{Current: other, Others: []string{current}, Created: t0.Add(time.Minute)}
	check(current, true)
	check(other, true)
	check(current+other, false)
	check("", false)
	// After it, the old one is not.
	src["client"] = secrets.Set{Current: other, Created: t0.Add(2 * time.Minute)}
	check(current, false)
	check(other, true)

	// An empty secret accepts nothing, not even an empty secret.
	src["client"] = secrets.Set{Current: ""}
	check("", false)
	check("x", false)

	// A client without a secret accepts nothing and says why.
	for _, c := range []Client{{ID: "client-1"}, {ID: "client-1", Secret: secrets.NewValue(src, "", 0, nil)}} {
		if ok, err := c.CheckSecret(ctx, current); ok || !errors.Is(err, secrets.ErrNotConfigured) {
			t.Errorf("a client without a secret: %v, %v", ok, err)
		}
	}
	// A failure to read the secret is an error, not a wrong secret.
	boom := errors.New("secrets manager: down")
	failing := &countingSource{src: src, err: boom}
	if ok, err := (Client{ID: "client-1", Secret: secrets.NewValue(failing, "client", 0, nil)}).CheckSecret(ctx, current); ok || !errors.Is(err, boom) {
		t.Errorf("a failed read: %v, %v", ok, err)
	}
}
