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
