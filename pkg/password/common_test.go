package password

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

func TestCommon(t *testing.T) {
	for _, tc := range []struct {
		p    string
		want bool
	}{
		// Known entries, in any case: the list is lower-case and so is the comparison.
		{"password123", true},
		{"PASSWORD123", true},
		{"Password123", true},
		{"pAsSwOrD123", true},
		{"12345678", true}, // the shortest entries are 8 bytes, as the shortest passwords
		{"iloveyou", true},
		{"Trustno1", true},
		{"qwertyuiop", true},
		{"P@ssw0rd", true},
		// Not on the list.
		{"correct horse battery staple", false},
		{"Tr0ub4dor&3-plus-more", false},
		{"zq8!vk2m", false},
		{"密密密密密密密密", false},
		{"", false},
		// Shorter than any password the policy accepts: never on the list (the length
		// check refuses it first anyway).
		{"1234567", false},
		{"passwor", false},
		// A common password with something added is not the same password.
		{"password123 ", false},
		{" password123", false},
		{"password1234567890!", false},
	} {
		if got := Common(tc.p); got != tc.want {
			t.Errorf("Common(%q) = %v, want %v", tc.p, got, tc.want)
		}
	}
}

// TestList holds the list to what the package says of it: ASVS's 3,000 at least, only
// passwords the policy would otherwise accept (8 to 72 bytes), lower-case, each once.
func TestList(t *testing.T) {
	set := load(commonGz)
	if n := len(set); n < 3000 {
		t.Fatalf("%d passwords, want at least 3000", n)
	}
	for p := range set {
		if len(p) < 8 || len(p) > 72 || strings.ToLower(p) != p || strings.TrimSpace(p) != p {
			t.Errorf("%q should not be on the list", p)
		}
	}
}

// TestLoadBroken: a list that cannot be read stops the function instead of letting every
// password through.
func TestLoadBroken(t *testing.T) {
	var truncated bytes.Buffer
	w := gzip.NewWriter(&truncated)
	w.Write([]byte("password123\n"))
	w.Close()
	for name, gz := range map[string][]byte{
		"not gzip":  []byte("password123\n"),
		"truncated": truncated.Bytes()[:truncated.Len()-4],
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("load did not panic")
				}
			}()
			load(gz)
		})
	}
}

func TestLoadLines(t *testing.T) {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte("password123\nqwertyuiop\n"))
	w.Close()
	set := load(b.Bytes())
	if _, ok := set["qwertyuiop"]; len(set) != 2 || !ok {
		t.Errorf("load = %v, want password123 and qwertyuiop (and no empty line)", set)
	}
}

// BenchmarkLoad is the first call's cost: decompressing and indexing the list.
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		load(commonGz)
	}
}

// BenchmarkCommon is a check once the list is loaded, for a password on it (in capitals,
// so lower-casing does work) and one not on it.
func BenchmarkCommon(b *testing.B) {
	Common("")
	for _, p := range []string{"PASSWORD123", "correct horse battery staple"} {
		b.Run(p, func(b *testing.B) {
			for b.Loop() {
				Common(p)
			}
		})
	}
}
