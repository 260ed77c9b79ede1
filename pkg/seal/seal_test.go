package seal

import (
	"bytes"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := []byte("a deployment secret of 32 bytes!")
	b := New(key, "purpose")
	sealed := b.Seal([]byte("the secret"), []byte("ctx-1"))
	if bytes.Contains(sealed, []byte("the secret")) {
		t.Fatal("sealed text holds the plain text")
	}
	if again := b.Seal([]byte("the secret"), []byte("ctx-1")); bytes.Equal(again, sealed) {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	if p, err := b.Open(b.Seal(nil, nil), nil); err != nil || len(p) != 0 {
		t.Errorf("an empty value: %q %v", p, err)
	}
	plain, err := b.Open(sealed, []byte("ctx-1"))
	if err != nil || string(plain) != "the secret" {
		t.Fatalf("%q %v", plain, err)
	}
	for name, open := range map[string]func() ([]byte, error){
		"another context": func() ([]byte, error) { return b.Open(sealed, []byte("ctx-2")) },
		"another purpose": func() ([]byte, error) { return New(key, "other").Open(sealed, []byte("ctx-1")) },
		"another key": func() ([]byte, error) {
			return New([]byte("another secret of 32 bytes......"), "purpose").Open(sealed, []byte("ctx-1"))
		},
		"altered": func() ([]byte, error) {
			c := bytes.Clone(sealed)
			c[len(c)-1] ^= 1
			return b.Open(c, []byte("ctx-1"))
		},
		"too short":      func() ([]byte, error) { return b.Open(sealed[:11], []byte("ctx-1")) },
		"just the nonce": func() ([]byte, error) { return b.Open(sealed[:12], []byte("ctx-1")) },
		"empty":          func() ([]byte, error) { return b.Open(nil, nil) },
	} {
		if p, err := open(); err != ErrOpen || p != nil {
			t.Errorf("%s: %q %v, want ErrOpen", name, p, err)
		}
	}
}

func TestBoxWithSeveralKeys(t *testing.T) {
	k1 := []byte("the current secret of 32 bytes!!")
	k2 := []byte("the previous secret of 32 bytes!")
	k3 := []byte("an older secret still accepted..")
	both := New(k1, "purpose", k2, k3)
	for name, key := range map[string][]byte{"the first key": k1, "the second key": k2, "the third key": k3} {
		sealed := New(key, "purpose").Seal([]byte("v"), []byte("ctx"))
		if p, err := both.Open(sealed, []byte("ctx")); err != nil || string(p) != "v" {
			t.Errorf("what %s sealed: %q %v", name, p, err)
		}
		if _, err := both.Open(sealed, []byte("other")); err != ErrOpen {
			t.Errorf("what %s sealed, another context: %v", name, err)
		}
		if _, err := New(key, "other").Open(both.Seal([]byte("v"), []byte("ctx")), []byte("ctx")); err != ErrOpen {
			t.Errorf("another purpose under %s: %v", name, err)
		}
	}
	// It seals with the first key alone.
	sealed := both.Seal([]byte("v"), []byte("ctx"))
	if p, err := New(k1, "purpose").Open(sealed, []byte("ctx")); err != nil || string(p) != "v" {
		t.Errorf("the first key alone: %q %v", p, err)
	}
	for _, k := range [][]byte{k2, k3} {
		if _, err := New(k, "purpose").Open(sealed, []byte("ctx")); err != ErrOpen {
			t.Errorf("a later key opens what the box sealed: %v", err)
		}
	}
	// The order of the keys decides which seals.
	if _, err := New(k1, "purpose").Open(New(k2, "purpose", k1).Seal([]byte("v"), nil), nil); err != ErrOpen {
		t.Errorf("New(k2, k1) sealed with k1: %v", err)
	}
	// Refused for every key: altered, short, another purpose's key.
	c := bytes.Clone(sealed)
	c[len(c)-1] ^= 1
	for name, s := range map[string][]byte{
		"altered":        c,
		"too short":      sealed[:11],
		"just the nonce": sealed[:12],
		"nonce and 15":   sealed[:12+15],
		"empty":          nil,
		"another key":    New([]byte("another secret of 32 bytes......"), "purpose").Seal([]byte("v"), []byte("ctx")),
	} {
		if p, err := both.Open(s, []byte("ctx")); err != ErrOpen || p != nil {
			t.Errorf("%s: %q %v", name, p, err)
		}
	}
	// The shortest value that opens: nonce and tag around nothing.
	if p, err := both.Open(both.Seal(nil, nil), nil); err != nil || len(p) != 0 {
		t.Errorf("an empty value: %q %v", p, err)
	}
	if n := len(both.Seal(nil, nil)); n != 12+16 {
		t.Errorf("an empty value seals to %d bytes", n)
	}
}
