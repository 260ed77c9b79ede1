package auth

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/acme/customers/pkg/problem"
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
	tk, _ := newTestTokens(t)
	cc, _ := tk.IssueAccess(ClientCredentials, "client-1")
	im, _ := tk.IssueAccess(Implicit, "client-1")
	ct, _ := tk.IssueCustomer(testCustomerID, 4)
	expired := forge(hs256, customerClaimsAt(t0.Add(-CustomerTokenTTL-1)), tk.customerKey, sha256.New)
	forged := forge(hs256, customerClaimsAt(t0), []byte("attacker-attacker-attacker-attacker"), sha256.New)
	none := forge(header("alg", "none"), customerClaimsAt(t0), nil, nil)

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
		{"forged bearer", hdrs{"Authorization": "Bearer " + forge(hs256, accessClaimsAt(t0), []byte("x"), sha256.New)}, unauthorized, "", ""},
		{"alg none bearer", hdrs{"Authorization": "Bearer " + forge(header("alg", "none"), accessClaimsAt(t0), nil, nil)}, unauthorized, "", ""},
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
			c, err := tk.Caller(tc.h)
			switch tc.want {
			case ok:
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if c.Grant != tc.grant || c.CustomerID != tc.customer {
					t.Errorf("caller = %+v, want grant %q customer %q", c, tc.grant, tc.customer)
				}
				if tc.customer != "" && c.Gen != 4 {
					t.Errorf("Gen = %d, want 4", c.Gen)
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
	tk, _ := newTestTokens(t)
	im, _ := tk.IssueAccess(Implicit, "client-1")
	for _, ct := range []string{"", "garbage", strings.Repeat(".", 9000), im.Value} {
		g, err := tk.Access(hdrs{"Authorization": "Bearer " + im.Value, CustomerTokenHeader: ct})
		if err != nil || g != Implicit {
			t.Errorf("customer token %.20q: Access = %q, %v", ct, g, err)
		}
	}
	if _, err := tk.Access(hdrs{CustomerTokenHeader: "x"}); !problem.Is(err, problem.Unauthorized) {
		t.Errorf("Access without Authorization: err = %v, want 401 problem", err)
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
	c := Client{ID: "client-1", Secret: "s3cret-s3cret"}
	for _, tc := range []struct {
		secret string
		want   bool
	}{
		{"s3cret-s3cret", true},
		{"s3cret-s3creT", false},
		{"s3cret-s3cret ", false},
		{"s3cret", false},
		{"", false},
	} {
		if got := c.CheckSecret(tc.secret); got != tc.want {
			t.Errorf("CheckSecret(%q) = %v", tc.secret, got)
		}
	}
	// A client without a secret accepts nothing, not even an empty secret.
	for _, s := range []string{"", "x"} {
		if (Client{ID: "client-1"}).CheckSecret(s) {
			t.Errorf("a client without a secret accepted %q", s)
		}
	}
}
