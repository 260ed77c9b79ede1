package id

import (
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 10000; i++ {
		s := New()
		if !Valid(s) {
			t.Fatalf("New() = %q is not Valid", s)
		}
		if s[14] != '4' {
			t.Fatalf("New() = %q: version nibble %c, want 4", s, s[14])
		}
		if !strings.ContainsRune("89ab", rune(s[19])) {
			t.Fatalf("New() = %q: variant nibble %c, want 8, 9, a or b", s, s[19])
		}
		if seen[s] {
			t.Fatalf("New() repeated %q after %d ids", s, i)
		}
		seen[s] = true
	}
}

func TestValid(t *testing.T) {
	for _, tc := range []struct {
		s  string
		ok bool
	}{
		{"3f9c1d2e-5b6a-4c7d-8e9f-0a1b2c3d4e5f", true},
		{"00000000-0000-0000-0000-000000000000", true},
		{"ffffffff-ffff-1fff-0fff-ffffffffffff", true}, // any version and variant
		{"3F9C1D2E-5B6A-4C7D-8E9F-0A1B2C3D4E5F", false},
		{"3f9c1d2e-5b6a-4c7d-8e9f-0a1b2c3d4e5F", false},
		{"", false},
		{"3f9c1d2e-5b6a-4c7d-8e9f-0a1b2c3d4e5", false},
		{"3f9c1d2e-5b6a-4c7d-8e9f-0a1b2c3d4e5f0", false},
		{"3f9c1d2e5b6a4c7d8e9f0a1b2c3d4e5f", false},
		{"{3f9c1d2e-5b6a-4c7d-8e9f-0a1b2c3d4e5f}", false},
		{"urn:uuid:3f9c1d2e-5b6a-4c7d-8e9f-0a1b2c3d4e5f", false},
		{"3f9c1d2e_5b6a-4c7d-8e9f-0a1b2c3d4e5f", false},
		{"3f9c1d2-e5b6a-4c7d-8e9f-0a1b2c3d4e5f", false},
		{"3f9c1d2e-5b6a4-c7d-8e9f-0a1b2c3d4e5f", false},
		{"3f9c1d2e-5b6a-4c7d8-e9f-0a1b2c3d4e5f", false},
		{"3f9c1d2e-5b6a-4c7d-8e9f0-a1b2c3d4e5f", false},
		{"3f9c1d2e-5b6a-4c7d-8e9f-0a1b2c3d4e5g", false},
		{"3f9c1d2e-5b6a-4c7d-8e9f-0a1b2c3d4e-f", false},
		{"------------------------------------", false},
		{" 3f9c1d2e-5b6a-4c7d-8e9f-0a1b2c3d4e5", false},
		{"3f9c1d2e-5b6a-4c7d-8e9f-0a1b2c3d4eé", false}, // 36 bytes with a multi-byte rune
		{"../../3f9c1d2e-5b6a-4c7d-8e9f-0a1b2c", false},
		{strings.Repeat("a", 3000), false},
	} {
		if got := Valid(tc.s); got != tc.ok {
			t.Errorf("Valid(%q) = %v, want %v", tc.s, got, tc.ok)
		}
	}
}

func TestNewOrdered(t *testing.T) {
	prev := ""
	for i := 0; i < 50; i++ {
		s := NewOrdered()
		if !Valid(s) || s[14] != '7' {
			t.Fatalf("%s is not a version 7 UUID", s)
		}
		if s <= prev {
			t.Fatalf("%s does not sort after the earlier id %s", s, prev)
		}
		prev = s
	}
}

func TestDerived(t *testing.T) {
	a, b := Derived("realm\x1ftable-a"), Derived("realm\x1ftable-b")
	if !Valid(a) || !Valid(b) || a == b || Derived("realm\x1ftable-a") != a {
		t.Fatalf("%s %s", a, b)
	}
	if a[14] != '8' || !strings.ContainsRune("89ab", rune(a[19])) {
		t.Errorf("%s is not a version 8 UUID of the RFC 9562 variant", a)
	}
}
