package customers_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/flows"
	"github.com/acme/customers/pkg/problem"
)

const validatePathID = "3f9c1d2e-5b6a-4c7d-8e9f-0a1b2c3d4e5f"

func validateObject(t *testing.T, body string) api.Object {
	t.Helper()
	var o api.Object
	if err := json.Unmarshal([]byte(body), &o); err != nil {
		t.Fatalf("test body %s: %v", body, err)
	}
	return o
}

// validateSources returns the source of each problem in err, in order, and checks that
// every one is a 422 "Failed Validation".
func validateSources(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	l, ok := problem.Problems(err)
	if !ok {
		t.Fatalf("err = %v, not a problem", err)
	}
	var out []string
	for _, e := range l {
		if e.Kind != problem.Unprocessable || e.Title != "Failed Validation" || e.Detail == "" {
			t.Errorf("problem %+v is not a 422 Failed Validation with a detail", e)
		}
		out = append(out, e.Source)
	}
	return out
}

func TestParseInput(t *testing.T) {
	s := func(v string) *string { return &v }
	q := func(v string) string { b, _ := json.Marshal(v); return string(b) }
	cust := func(members string) string {
		if members != "" {
			members = "," + members
		}
		return `{"type":"customer"` + members + `}`
	}
	base := `"name":"Ron Swanson","email":"ron@example.com"`

	cases := []struct {
		name    string
		body    string
		create  bool
		pathID  string
		sources []string // nil: valid
		want    *customers.Input
	}{
		// Create.
		{"create minimal", cust(base), true, "", nil,
			&customers.Input{Name: s("Ron Swanson"), Email: s("ron@example.com")}},
		{"current password of 72 bytes", cust(`"email":"ron@example.com","current_password":` + q(strings.Repeat("p", 72))), false, "", nil,
			&customers.Input{Email: s("ron@example.com"), CurrentPassword: s(strings.Repeat("p", 72))}},
		{"current password of 73 bytes", cust(`"current_password":` + q(strings.Repeat("p", 73))), false, "", []string{"data.current_password"}, nil},
		{"current password not a string", cust(`"current_password":1`), false, "", []string{"data.current_password"}, nil},
		{"create with everything", cust(base + `,"password":"hunter22","external_ref":"crm-1"`), true, "", nil,
			&customers.Input{Name: s("Ron Swanson"), Email: s("ron@example.com"), Password: s("hunter22"), SetExternalRef: true, ExternalRef: s("crm-1")}},
		{"email is trimmed, case kept", cust(`"name":"Ron","email":"  Ron@Example.COM \t"`), true, "", nil,
			&customers.Input{Name: s("Ron"), Email: s("Ron@Example.COM")}},
		{"missing name and email", cust(""), true, "", []string{"data.name", "data.email"}, nil},
		{"missing everything", `{}`, true, "", []string{"data.type", "data.name", "data.email"}, nil},
		{"missing name", cust(`"email":"ron@example.com"`), true, "", []string{"data.name"}, nil},
		{"empty name and email", cust(`"name":"","email":""`), true, "", []string{"data.name", "data.email"}, nil},
		{"name and email null", cust(`"name":null,"email":null`), true, "", []string{"data.name", "data.email"}, nil},
		{"name and email numbers", cust(`"name":1,"email":2`), true, "", []string{"data.name", "data.email"}, nil},
		{"every field invalid at once", `{"type":"address","name":" ","email":"x","password":"short","external_ref":1,"foo":1}`, true, "",
			[]string{"data.type", "data.name", "data.email", "data.password", "data.external_ref", "data.foo"}, nil},

		// type.
		{"type missing", `{` + base + `}`, true, "", []string{"data.type"}, nil},
		{"type address", `{"type":"address",` + base + `}`, true, "", []string{"data.type"}, nil},
		{"type Customer", `{"type":"Customer",` + base + `}`, true, "", []string{"data.type"}, nil},
		{"type customers", `{"type":"customers",` + base + `}`, true, "", []string{"data.type"}, nil},
		{"type null", `{"type":null,` + base + `}`, true, "", []string{"data.type"}, nil},
		{"type number", `{"type":1,` + base + `}`, true, "", []string{"data.type"}, nil},
		{"type missing on update", `{"name":"x"}`, false, validatePathID, []string{"data.type"}, nil},

		// Unknown and server-owned members.
		{"unknown attribute", cust(base + `,"nickname":"Ronnie"`), true, "", []string{"data.nickname"}, nil},
		{"unknown attributes, sorted", cust(base + `,"zeta":1,"alpha":2,"mid":3`), true, "", []string{"data.alpha", "data.mid", "data.zeta"}, nil},
		{"case variant of a field", cust(base + `,"Email":"other@example.com"`), true, "", []string{"data.Email"}, nil},
		{"password hash", cust(base + `,"password_hash":"$2a$10$x"`), true, "", []string{"data.password_hash"}, nil},
		{"server-owned fields", cust(base + `,"deleted_at":"2020-01-01T00:00:00Z","version":3,"created_at":"x"`), true, "",
			[]string{"data.created_at", "data.deleted_at", "data.version"}, nil},
		{"attributes object", cust(`"attributes":{` + base + `}`), true, "", []string{"data.name", "data.email", "data.attributes"}, nil},
		{"echoed members are ignored on create", cust(base + `,"id":"whatever","meta":{"timestamps":{}},"links":{"self":"x"},"relationships":{},"authentication_mechanism":"oidc"`), true, "", nil,
			&customers.Input{Name: s("Ron Swanson"), Email: s("ron@example.com")}},

		// Update.
		{"update with type only", cust(""), false, validatePathID, nil, &customers.Input{}},
		{"update name only", cust(`"name":"Leslie"`), false, validatePathID, nil, &customers.Input{Name: s("Leslie")}},
		{"update with matching id", cust(`"id":"` + validatePathID + `","name":"Leslie","meta":{}`), false, validatePathID, nil, &customers.Input{Name: s("Leslie")}},
		{"update with another id", cust(`"id":"00000000-0000-4000-8000-000000000000","name":"Leslie"`), false, validatePathID, []string{"data.id"}, nil},
		{"update with the id in upper case", cust(`"id":"` + strings.ToUpper(validatePathID) + `"`), false, validatePathID, []string{"data.id"}, nil},
		{"update with a numeric id", cust(`"id":1`), false, validatePathID, []string{"data.id"}, nil},
		{"update with a null id", cust(`"id":null`), false, validatePathID, []string{"data.id"}, nil},
		{"update with a null name", cust(`"name":null`), false, validatePathID, []string{"data.name"}, nil},
		{"update with a bad email", cust(`"email":"nope"`), false, validatePathID, []string{"data.email"}, nil},

		// Passwords: bytes, not characters; never truncated.
		{"password of 7 bytes", cust(base + `,"password":"1234567"`), true, "", []string{"data.password"}, nil},
		{"password of 8 bytes", cust(base + `,"password":"zq8!vk2m"`), true, "", nil, nil},
		{"a common password", cust(base + `,"password":"Password123"`), true, "", []string{"data.password"}, nil},
		{"a common password on update", cust(`"password":"qwertyuiop"`), false, validatePathID, []string{"data.password"}, nil},
		{"password of 72 bytes", cust(base + `,"password":` + q(strings.Repeat("a", 72))), true, "", nil, nil},
		{"password of 73 bytes", cust(base + `,"password":` + q(strings.Repeat("a", 73))), true, "", []string{"data.password"}, nil},
		{"password of 24 CJK characters (72 bytes)", cust(base + `,"password":` + q(strings.Repeat("密", 24))), true, "", nil, nil},
		{"password of 25 CJK characters (75 bytes)", cust(base + `,"password":` + q(strings.Repeat("密", 25))), true, "", []string{"data.password"}, nil},
		{"password of 15 emoji (60 bytes)", cust(base + `,"password":` + q(strings.Repeat("🔑", 15))), true, "", nil, nil},
		{"password of 3 emoji (12 bytes)", cust(base + `,"password":` + q(strings.Repeat("🔑", 3))), true, "", nil, nil},
		{"password of 7 ASCII + 1 two-byte char", cust(base + `,"password":` + q("1234567é")), true, "", nil, nil},
		{"empty password", cust(base + `,"password":""`), true, "", []string{"data.password"}, nil},
		{"password with spaces around it is kept", cust(base + `,"password":"  pass word  "`), true, "", nil,
			&customers.Input{Name: s("Ron Swanson"), Email: s("ron@example.com"), Password: s("  pass word  ")}},
		{"password number", cust(base + `,"password":12345678`), true, "", []string{"data.password"}, nil},
		{"password true (as output) is ignored", cust(base + `,"password":true`), true, "", nil, nil},
		{"password null", cust(base + `,"password":null`), true, "", []string{"data.password"}, nil},

		// external_ref.
		{"external_ref null", cust(base + `,"external_ref":null`), true, "", nil,
			&customers.Input{Name: s("Ron Swanson"), Email: s("ron@example.com"), SetExternalRef: true}},
		{"external_ref empty", cust(base + `,"external_ref":""`), true, "", nil,
			&customers.Input{Name: s("Ron Swanson"), Email: s("ron@example.com"), SetExternalRef: true, ExternalRef: s("")}},
		{"external_ref of 2048 characters", cust(base + `,"external_ref":` + q(strings.Repeat("x", 2048))), true, "", nil, nil},
		{"external_ref of 2048 CJK characters", cust(base + `,"external_ref":` + q(strings.Repeat("参", 2048))), true, "", nil, nil},
		{"external_ref of 2049 characters", cust(base + `,"external_ref":` + q(strings.Repeat("x", 2049))), true, "", []string{"data.external_ref"}, nil},
		{"external_ref number", cust(base + `,"external_ref":42`), true, "", []string{"data.external_ref"}, nil},
		{"external_ref object", cust(base + `,"external_ref":{}`), true, "", []string{"data.external_ref"}, nil},
		{"external_ref null on update", cust(`"external_ref":null`), false, validatePathID, nil, &customers.Input{SetExternalRef: true}},

		// name.
		{"name of 255 characters", cust(`"email":"a@x.com","name":` + q(strings.Repeat("é", 255))), true, "", nil, nil},
		{"name of 256 characters", cust(`"email":"a@x.com","name":` + q(strings.Repeat("é", 256))), true, "", []string{"data.name"}, nil},
		{"name of 100000 characters", cust(`"email":"a@x.com","name":` + q(strings.Repeat("n", 100000))), true, "", []string{"data.name"}, nil},
		{"name with a newline", cust(`"email":"a@x.com","name":"Ron\nSwanson"`), true, "", []string{"data.name"}, nil},
		{"name with CR LF", cust(`"email":"a@x.com","name":"Ron\r\n[INFO] forged"`), true, "", []string{"data.name"}, nil},
		{"name with a unit separator", cust(`"email":"a@x.com","name":"Ron\u001fSwanson"`), true, "", []string{"data.name"}, nil},
		{"name with a tab", cust(`"email":"a@x.com","name":"Ron\tSwanson"`), true, "", []string{"data.name"}, nil},
		{"name with an ANSI escape", cust(`"email":"a@x.com","name":"\u001b[31mRon"`), true, "", []string{"data.name"}, nil},
		{"name with DEL", cust(`"email":"a@x.com","name":"Ron\u007f"`), true, "", []string{"data.name"}, nil},
		{"name with a C1 control", cust(`"email":"a@x.com","name":"Ron\u0085"`), true, "", []string{"data.name"}, nil},
		{"name of spaces", cust(`"email":"a@x.com","name":"   "`), true, "", []string{"data.name"}, nil},
		{"name with markup is data", cust(`"email":"a@x.com","name":"<script>alert(1)</script>"`), true, "", nil, nil},
		{"name with emoji and accents", cust(`"email":"a@x.com","name":"Zoë 🦊 Ångström"`), true, "", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in, err := customers.ParseInput(validateObject(t, tc.body), tc.create, tc.pathID, flows.Schema{})
			got := validateSources(t, err)
			if !reflect.DeepEqual(got, tc.sources) {
				t.Fatalf("problems at %q, want %q (err %v)", got, tc.sources, err)
			}
			if tc.want != nil && !reflect.DeepEqual(in, *tc.want) {
				t.Errorf("input = %s, want %s", showInput(in), showInput(*tc.want))
			}
		})
	}
}

func showInput(in customers.Input) string {
	p := func(s *string) string {
		if s == nil {
			return "nil"
		}
		if len(*s) > 40 {
			return `"` + (*s)[:40] + `…"`
		}
		return `"` + *s + `"`
	}
	return "{Name:" + p(in.Name) + " Email:" + p(in.Email) + " Password:" + p(in.Password) +
		" SetExternalRef:" + map[bool]string{true: "true", false: "false"}[in.SetExternalRef] + " ExternalRef:" + p(in.ExternalRef) + "}"
}

func TestParseInputMissingFieldDetails(t *testing.T) {
	_, err := customers.ParseInput(validateObject(t, `{"type":"customer"}`), true, "", flows.Schema{})
	l, _ := problem.Problems(err)
	if len(l) != 2 {
		t.Fatalf("problems = %v", err)
	}
	for i, f := range []string{"name", "email"} {
		if l[i].Source != "data."+f || !strings.Contains(l[i].Detail, "required") || api.Status(l[i].Kind) != 422 {
			t.Errorf("problem %d = %+v", i, l[i])
		}
	}
}

func TestCheckEmail(t *testing.T) {
	local64 := strings.Repeat("l", 64)
	// longest: 64 + "@" + 189 = 254 bytes, in labels of at most 63.
	domain189 := strings.Repeat("d", 63) + "." + strings.Repeat("d", 63) + "." + strings.Repeat("d", 57) + ".com"
	valid := []string{
		"a@b.co",
		"ron@example.com",
		"ron+1@example.com",
		"ron+tag+more@example.com",
		"first.last@example.com",
		"a.b.c@example.com",
		"user@mail.sub.example.co.uk",
		"UPPER@EXAMPLE.COM",
		"o'brien@example.ie",
		"a!#$%&'*+/=?^_`{|}~-@example.com",
		"user@a-b.example",
		"user@xn--bcher-kva.example",
		"user@123.example",
		"1@2.3",
		local64 + "@example.com",
		local64 + "@" + domain189,
		"a@" + strings.Repeat("d", 63) + ".com",
		// Each end of each range a domain character may be in.
		"a@09.azAZ", "a@x-0.9", "a@a.z", "a@A.Z",
	}
	invalid := []string{
		// Just outside each range a domain character may be in.
		"a@x/.com", "a@x:.com", "a@x`.com", "a@x{.com", "a@x@.com", "a@x[.com", "a@x,.com", "a@x..com",
		"",
		"plainaddress",
		"@example.com",
		"ron@",
		"ron@@example.com",
		"ron@exa@mple.com",
		"a@b@c.com",
		".ron@example.com",
		"ron.@example.com",
		"ro..n@example.com",
		"..@example.com",
		".@example.com",
		strings.Repeat("l", 65) + "@example.com",
		local64 + "@" + domain189 + "x",
		"a@" + strings.Repeat("d", 250) + ".com",
		"mıke@example.com",      // dotless i
		"\u212a@example.com",    // Kelvin sign
		"ſteve@example.com",     // long s
		"ron@exämple.com",       // IDN not in xn-- form
		"ron@example.com\u200b", // zero-width space
		"Bob <b@example.com>",
		"<b@example.com>",
		"b@example.com>",
		`"ron"@example.com`,
		`"ron swanson"@example.com`,
		"ron(comment)@example.com",
		"ron,leslie@example.com",
		"ron;x@example.com",
		"ron:x@example.com",
		`ro\n@example.com`,
		"ron[1]@example.com",
		"ron swanson@example.com",
		"ron@exam ple.com",
		" ron@example.com",
		"ron@example.com ",
		"ron\t@example.com",
		"ron\n@example.com",
		"ron@example.com\n",
		"ron\x00@example.com",
		"ron\x7f@example.com",
		"ron@localhost",
		"ron@example",
		"ron@-example.com",
		"ron@example-.com",
		"ron@example.-com",
		"ron@.example.com",
		"ron@example..com",
		"ron@example.com.",
		"ron@exam_ple.com",
		"ron@[127.0.0.1]",
		"ron@127.0.0.1]",
		"ron@" + strings.Repeat("d", 64) + ".com",
		"ron@example.com,leslie@example.com",
	}
	for _, e := range valid {
		if err := customers.CheckEmail(e, "data.email"); err != nil {
			t.Errorf("CheckEmail(%q) = %v, want valid", e, err)
		}
	}
	for _, e := range invalid {
		err := customers.CheckEmail(e, "data.email")
		if err == nil {
			t.Errorf("CheckEmail(%q) accepted", e)
			continue
		}
		if err.Kind != problem.Unprocessable || err.Source != "data.email" || err.Title != "Failed Validation" {
			t.Errorf("CheckEmail(%q) = %+v", e, err)
		}
	}
	if len(local64+"@"+domain189) != 254 {
		t.Fatalf("the longest valid address is %d bytes", len(local64+"@"+domain189))
	}
	if err := customers.CheckEmail("", "data.email"); err == nil || !strings.Contains(err.Detail, "required") {
		t.Errorf("empty email: %v", err)
	}
	if err := customers.CheckEmail(local64+"@"+domain189+"x", "data.email"); err == nil || !strings.Contains(err.Detail, "254") {
		t.Errorf("255-byte email: %v", err)
	}
	if err := customers.CheckEmail("x", "data.customer.email"); err == nil || err.Source != "data.customer.email" {
		t.Errorf("source not kept: %v", err)
	}
}

func TestEmailKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ron@example.com", "ron@example.com"},
		{"Ron@Example.COM", "ron@example.com"},
		{"  RON+1@EXAMPLE.COM\t\n", "ron+1@example.com"},
		{"Bob@Example.COM", "bob@example.com"},
	} {
		if got := customers.EmailKey(tc.in); got != tc.want {
			t.Errorf("EmailKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// Two addresses differing only in case share a key.
	if customers.EmailKey("Bob@Example.COM") != customers.EmailKey("bob@example.com") {
		t.Error("case variants have different keys")
	}
}

func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct {
		p  string
		ok bool
	}{
		{"", false},
		{"1234567", false},
		{"zq8!vk2m", true},
		{"12345678", false}, // 8 bytes, but common
		{"PASSWORD123", false},
		{strings.Repeat("x", 72), true},
		{strings.Repeat("x", 73), false},
		{strings.Repeat("密", 24), true},
		{strings.Repeat("密", 25), false},
		{"密密", false},          // 6 bytes
		{"密密密", true},          // 9 bytes: the limit is in bytes
		{"pass\x00word", true}, // taken as sent
	} {
		err := customers.CheckPassword(tc.p, "data.password")
		if (err == nil) != tc.ok {
			t.Errorf("CheckPassword(%d bytes, %d runes) = %v, want ok=%v", len(tc.p), utf8.RuneCountInString(tc.p), err, tc.ok)
		}
		if err != nil && (err.Source != "data.password" || err.Kind != problem.Unprocessable) {
			t.Errorf("problem = %+v", err)
		}
	}
}

// TestCheckPasswordCommon: a common password is refused in any case, saying why, after
// the length limits (a 7-byte common password is told its length).
func TestCheckPasswordCommon(t *testing.T) {
	err := customers.CheckPassword("Password123", "data.password")
	if err == nil || err.Detail != "The data.password field is a commonly used password; choose another." {
		t.Errorf("CheckPassword(Password123) = %+v", err)
	}
	if err := customers.CheckPassword("1234567", "data.password"); err == nil || !strings.Contains(err.Detail, "at least 8 bytes") {
		t.Errorf("CheckPassword(1234567) = %+v", err)
	}
}

func TestPatchApply(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := created.Add(time.Hour)
	ref := "crm-1"
	orig := customers.Customer{
		ID: validatePathID, Name: "Ron", Email: "ron@example.com", ExternalRef: &ref,
		AuthMechanism: customers.MechanismPassword, PasswordHash: "$2a$10$old", HasPassword: true,
		TokenGen: 2, Version: 5, CreatedAt: created, UpdatedAt: created,
	}
	s := func(v string) *string { return &v }
	cases := []struct {
		name  string
		patch customers.Patch
		edit  func(c *customers.Customer)
	}{
		{"empty patch", customers.Patch{}, func(*customers.Customer) {}},
		{"name", customers.Patch{Name: s("Leslie")}, func(c *customers.Customer) { c.Name = "Leslie" }},
		{"email", customers.Patch{Email: s("leslie@example.com")}, func(c *customers.Customer) { c.Email = "leslie@example.com" }},
		{"password", customers.Patch{PasswordHash: s("$2a$10$new")}, func(c *customers.Customer) {
			c.PasswordHash, c.TokenGen = "$2a$10$new", 3
		}},
		{"clear external_ref", customers.Patch{SetExternalRef: true}, func(c *customers.Customer) { c.ExternalRef = nil }},
		{"set external_ref", customers.Patch{SetExternalRef: true, ExternalRef: s("crm-2")}, func(c *customers.Customer) { c.ExternalRef = s("crm-2") }},
		{"external_ref given without SetExternalRef is ignored", customers.Patch{ExternalRef: s("crm-2")}, func(*customers.Customer) {}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := orig
			before := c
			got := tc.patch.Apply(&c, now)
			want := orig
			tc.edit(&want)
			want.Version, want.UpdatedAt = orig.Version+1, now
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("Apply =\n %+v\nwant\n %+v", *got, want)
			}
			if !reflect.DeepEqual(c, before) {
				t.Errorf("Apply modified its input: %+v", c)
			}
			if got == &c {
				t.Error("Apply returned its input")
			}
		})
	}

	// A first password sets HasPassword and bumps the generation.
	c := orig
	c.PasswordHash, c.HasPassword = "", false
	got := customers.Patch{PasswordHash: s("$2a$10$first")}.Apply(&c, now)
	if !got.HasPassword || got.PasswordHash != "$2a$10$first" || got.TokenGen != orig.TokenGen+1 {
		t.Errorf("first password: %+v", got)
	}
}

// FuzzCheckEmail: CheckEmail never panics, and what it accepts is ASCII, at most 254
// bytes, with exactly one @, and keeps its key stable.
func FuzzCheckEmail(f *testing.F) {
	for _, s := range []string{
		"ron@example.com", "ron+1@example.com", "a@b.co", "mıke@x.com", "\u212a@x.com", "Bob <b@x.com>",
		"a@b@c.com", ".a@x.com", "a..b@x.com", "a@x", "a@-x.com", "", "@", "a@.", strings.Repeat("a", 300) + "@x.com",
		"\xff@x.com", "a@x.com\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, e string) {
		if err := customers.CheckEmail(e, "data.email"); err != nil {
			if err.Kind != problem.Unprocessable || err.Source != "data.email" {
				t.Fatalf("CheckEmail(%q) = %+v", e, err)
			}
			return
		}
		if len(e) > customers.MaxEmailLen {
			t.Fatalf("accepted %d bytes", len(e))
		}
		if strings.Count(e, "@") != 1 {
			t.Fatalf("accepted %q: not exactly one @", e)
		}
		for i := 0; i < len(e); i++ {
			if e[i] <= ' ' || e[i] >= 0x7f {
				t.Fatalf("accepted %q: byte %#x", e, e[i])
			}
		}
		local, _, _ := strings.Cut(e, "@")
		if len(local) > customers.MaxEmailLocalLen {
			t.Fatalf("accepted a local part of %d bytes", len(local))
		}
		k := customers.EmailKey(e)
		if customers.CheckEmail(k, "data.email") != nil || customers.EmailKey(k) != k {
			t.Fatalf("the key %q of %q is not itself a valid, stable email", k, e)
		}
	})
}

func TestPasswordFlagIsIgnored(t *testing.T) {
	for _, v := range []string{"true", "false"} {
		in, err := customers.ParseInput(api.Object{"type": []byte(`"customer"`), "password": []byte(v)}, false, "", flows.Schema{})
		if err != nil || in.Password != nil {
			t.Errorf("password %s: %+v %v", v, in, err)
		}
	}
}
