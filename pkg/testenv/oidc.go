package testenv

import (
	"context"
	"sync"
	"testing"

	"github.com/acme/customers/pkg/mockidp"
)

// idp is the test binary's mock OpenID Connect provider, started by the first Provider call.
var idp struct {
	once sync.Once
	mu   sync.Mutex
	p    *mockidp.Provider
	err  error
}

// Provider returns the test binary's mock OpenID Connect provider (scripts/mock-idp.mjs),
// starting it on first use; Main stops it after the tests. The test fails if it cannot
// start. When the test ends its fault is cleared (Reset); the client and user it set stay,
// so a test that depends on them sets them itself. Tests that use it must not run in
// parallel with each other: the provider holds one fault at a time.
func Provider(t testing.TB) *mockidp.Provider {
	t.Helper()
	idp.once.Do(func() {
		p, err := mockidp.Start(context.Background())
		idp.mu.Lock()
		idp.p, idp.err = p, err
		idp.mu.Unlock()
	})
	idp.mu.Lock()
	p, err := idp.p, idp.err
	idp.mu.Unlock()
	if err != nil {
		t.Fatal("testenv: the mock OpenID Connect provider is required:", err)
	}
	t.Cleanup(func() {
		if err := p.Reset(context.Background()); err != nil {
			t.Errorf("testenv: reset the mock OpenID Connect provider: %v", err)
		}
	})
	return p
}

// stopProvider stops the provider if a test started one.
func stopProvider() {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	if idp.p != nil {
		idp.p.Stop()
	}
}
