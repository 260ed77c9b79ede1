package idempotency

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/acme/customers/pkg/problem"
)

func TestParse(t *testing.T) {
	for _, k := range []string{"a", strings.Repeat("k", MaxKeyLen), "0b8f3c1e-6f0a-4c8e-9d59-1f1b2c3d4e5f", "!~"} {
		if got, err := Parse(k); err != nil || got != k {
			t.Errorf("%q: %q %v", k, got, err)
		}
	}
	for _, k := range []string{"", strings.Repeat("k", MaxKeyLen+1), "a b", "tab\t", "é", "\x7f", "new\nline"} {
		_, err := Parse(k)
		var pe *problem.Error
		if !errors.As(err, &pe) || pe.Kind != problem.BadRequest || pe.Source != Header {
			t.Errorf("%q: %v", k, err)
		}
	}
}

func TestFingerprint(t *testing.T) {
	base := Fingerprint("POST /v2/customers/{customerId}/addresses", map[string]string{"customerId": "a"}, []byte(`{"x":1}`))
	for name, other := range map[string]string{
		"route":  Fingerprint("POST /v2/flows", map[string]string{"customerId": "a"}, []byte(`{"x":1}`)),
		"params": Fingerprint("POST /v2/customers/{customerId}/addresses", map[string]string{"customerId": "b"}, []byte(`{"x":1}`)),
		"body":   Fingerprint("POST /v2/customers/{customerId}/addresses", map[string]string{"customerId": "a"}, []byte(`{"x":2}`)),
		// The route and the body do not run into each other.
		"split": Fingerprint("POST /v2/customers/{customerId}/addresses"+"\x1fcustomerId=a", nil, []byte(`{"x":1}`)),
	} {
		if other == base {
			t.Errorf("another %s, the same fingerprint", name)
		}
	}
	two := map[string]string{"a": "1", "b": "2"}
	if Fingerprint("r", two, nil) != Fingerprint("r", map[string]string{"b": "2", "a": "1"}, nil) {
		t.Error("parameter order changes the fingerprint")
	}
}

func TestPendingInContext(t *testing.T) {
	ctx := context.Background()
	if From(ctx) != nil {
		t.Fatal("a Pending from nowhere")
	}
	p := &Pending{Scope: Scope("implicit", ""), Key: "k"}
	ctx = With(ctx, p)
	if From(ctx) != p || p.Written() {
		t.Fatal("the Pending is not carried")
	}
	p.MarkWritten()
	if From(ctx) != nil || !p.Written() {
		t.Error("a written Pending is offered again")
	}
	q := &Pending{Scope: Scope("implicit", "c1"), Key: "k"}
	if p.ID() == q.ID() || len(p.ID()) != 64 {
		t.Errorf("ids %s %s: one key of two callers must be two records", p.ID(), q.ID())
	}
	if Scope("client_credentials", "") == Scope("implicit", "") {
		t.Error("scopes of two grants are one")
	}
}
