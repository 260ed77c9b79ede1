package seal

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acme/customers/pkg/secrets"
)

func TestKeyring(t *testing.T) {
	ctx := context.Background()
	a, b := strings.Repeat("a", 64), strings.Repeat("b", 64)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	src := secrets.Static{"cursor": {Current: a, Created: t0}}
	k := NewKeyring(secrets.NewValue(src, "cursor", 0, nil), "cursor")
	box, err := k.Box(ctx)
	if err != nil {
		t.Fatal(err)
	}
	old := box.Seal([]byte("v"), []byte("ctx"))
	// The purpose is the keyring's: New(a, "cursor") opens it, another purpose does not.
	if p, err := New([]byte(a), "cursor").Open(old, []byte("ctx")); err != nil || string(p) != "v" {
		t.Errorf("New(a) opens: %q %v", p, err)
	}
	if _, err := New([]byte(a), "idp").Open(old, []byte("ctx")); err != ErrOpen {
		t.Errorf("another purpose opens: %v", err)
	}
	// The same version: the same Box, not derived again.
	if again, _ := k.Box(ctx); again != box {
		t.Error("the Box was derived again for the same version")
	}

	// Introduce b: still sealed under a; b's values open.
	src["cursor"] = secrets.Set{Current: a, Others: []string{b}, Created: t0.Add(time.Minute)}
	box2, err := k.Box(ctx)
	if err != nil || box2 == box {
		t.Fatalf("a new version: %p %v", box2, err)
	}
	fromB := New([]byte(b), "cursor").Seal([]byte("w"), nil)
	if p, err := box2.Open(fromB, nil); err != nil || string(p) != "w" {
		t.Errorf("what b sealed: %q %v", p, err)
	}
	if _, err := New([]byte(a), "cursor").Open(box2.Seal([]byte("v"), nil), nil); err != nil {
		t.Errorf("the introduced version does not seal under a: %v", err)
	}

	// Promote b: sealed under b, a still opens.
	src["cursor"] = secrets.Set{Current: b, Others: []string{a}, Created: t0.Add(2 * time.Minute)}
	box3, _ := k.Box(ctx)
	if _, err := New([]byte(b), "cursor").Open(box3.Seal([]byte("v"), nil), nil); err != nil {
		t.Errorf("the promoted version does not seal under b: %v", err)
	}
	if p, err := box3.Open(old, []byte("ctx")); err != nil || string(p) != "v" {
		t.Errorf("what a sealed, after the promotion: %q %v", p, err)
	}

	// Retire a: what a sealed no longer opens.
	src["cursor"] = secrets.Set{Current: b, Created: t0.Add(3 * time.Minute)}
	box4, _ := k.Box(ctx)
	if _, err := box4.Open(old, []byte("ctx")); err != ErrOpen {
		t.Errorf("what a sealed, after the retirement: %v", err)
	}

	// A change of the current value within one version (a hand edit), or of the version
	// alone, derives the Box again.
	src["cursor"] = secrets.Set{Current: a, Created: t0.Add(3 * time.Minute)}
	box5, _ := k.Box(ctx)
	if box5 == box4 {
		t.Error("a new current value at one version kept the Box")
	}
	src["cursor"] = secrets.Set{Current: a, Created: t0.Add(4 * time.Minute)}
	if box6, _ := k.Box(ctx); box6 == box5 {
		t.Error("a new version kept the Box")
	}

	// Failures are the secret's.
	if _, err := NewKeyring(secrets.NewValue(src, "", 0, nil), "x").Box(ctx); !errors.Is(err, secrets.ErrNotConfigured) {
		t.Errorf("no secret: %v", err)
	}
	if box, err := NewKeyring(secrets.NewValue(src, "missing", 0, nil), "x").Box(ctx); err == nil || box != nil {
		t.Errorf("a missing secret: %v %v", box, err)
	}
}

func TestKeyringConcurrent(t *testing.T) {
	ctx := context.Background()
	src := secrets.Static{"cursor": {Current: strings.Repeat("a", 64)}}
	k := NewKeyring(secrets.NewValue(src, "cursor", time.Hour, nil), "cursor")
	var wg sync.WaitGroup
	boxes := make([]*Box, 8)
	for i := range boxes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			boxes[i], _ = k.Box(ctx)
		}()
	}
	wg.Wait()
	for _, b := range boxes {
		if b == nil || b != boxes[0] {
			t.Fatal("concurrent callers got different boxes")
		}
	}
}
