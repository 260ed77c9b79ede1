package auth

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestNewPasswordsCost(t *testing.T) {
	for _, tc := range []struct {
		cost int
		ok   bool
	}{
		{-1, false}, {0, false}, {bcrypt.MinCost, false}, {9, false},
		{10, true}, {12, true}, {31, true}, {32, false},
	} {
		p, err := NewPasswords(tc.cost)
		if (err == nil) != tc.ok {
			t.Errorf("NewPasswords(%d) err = %v, want ok=%v", tc.cost, err, tc.ok)
		}
		if err == nil && p.Cost() != tc.cost {
			t.Errorf("Cost() = %d, want %d", p.Cost(), tc.cost)
		}
	}
}

// TestPasswords hashes three times at cost 10 (50 to 100 ms each) and checks a few times:
// keep it that way.
func TestPrepareMakesTheDummyOnce(t *testing.T) {
	p, _ := NewPasswords(10)
	if p.Prepared() {
		t.Fatal("a new Passwords has a dummy hash already")
	}
	p.Prepare()
	d := p.dummy
	if !p.Prepared() || len(d) == 0 {
		t.Fatal("Prepare made no dummy hash")
	}
	p.Prepare()
	p.Check("", "x")
	if string(p.dummy) != string(d) {
		t.Error("the dummy hash was made again")
	}
}

func TestPasswords(t *testing.T) {
	p, err := NewPasswords(10)
	if err != nil {
		t.Fatal(err)
	}
	const pw = "correct horse battery"
	h, err := p.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := bcrypt.Cost([]byte(h)); err != nil || c != 10 {
		t.Fatalf("hash cost = %d, %v", c, err)
	}
	if strings.Contains(h, pw) {
		t.Fatal("the hash contains the password")
	}

	max := strings.Repeat("p", MaxPasswordLen)
	hMax, err := p.Hash(max)
	if err != nil {
		t.Fatalf("hashing a 72-byte password: %v", err)
	}
	if _, err := p.Hash(max + "q"); err == nil {
		t.Error("a 73-byte password was hashed (bcrypt would silently truncate it)")
	}

	cases := []struct {
		name, hash, password string
		want                 bool
	}{
		{"right password", h, pw, true},
		{"wrong password", h, "correct horse battery!", false},
		{"empty password", h, "", false},
		{"72-byte password", hMax, max, true},
		// bcrypt compares only the first 72 bytes: anything longer must never match.
		{"72-byte password plus one byte", hMax, max + "q", false},
		{"72-byte password plus a suffix", hMax, max + strings.Repeat("q", 100), false},
		{"empty hash", "", pw, false},
		{"malformed hash", "$2a$10$notahash", pw, false},
		{"the password as its own hash", pw, pw, false},
	}
	t.Run("check", func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				if got := p.Check(tc.hash, tc.password); got != tc.want {
					t.Errorf("Check = %v, want %v", got, tc.want)
				}
			})
		}
	})
	t.Run("outdated", func(t *testing.T) { testOutdated(t, p, h, pw) })
}

func testOutdated(t *testing.T, p *Passwords, h, pw string) {
	// The dummy hash that empty-hash checks compare against costs as much as a real one.
	p.Prepare()
	if c, err := bcrypt.Cost(p.dummy); err != nil || c != p.Cost() {
		t.Errorf("dummy hash cost = %d, %v; want %d", c, err, p.Cost())
	}

	// Outdated: a hash made at a lower cost than the policy's.
	low, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	p11, _ := NewPasswords(11)
	h11, err := p11.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		p    *Passwords
		hash string
		want bool
	}{
		{"cost 4 under policy 10", p, string(low), true},
		{"cost 10 under policy 10", p, h, false},
		{"cost 10 under policy 11", p11, h, true},
		{"cost 11 under policy 10 (the cost was lowered)", p, string(h11), true},
		{"empty hash", p, "", false},
		{"malformed hash", p, "not a hash", false},
	} {
		if got := tc.p.Outdated(tc.hash); got != tc.want {
			t.Errorf("%s: Outdated = %v, want %v", tc.name, got, tc.want)
		}
	}
	// A hash at a lower cost still checks (so that it can be upgraded on log-in).
	if !p.Check(string(low), pw) {
		t.Error("a cost-4 hash of the right password did not check")
	}
}
