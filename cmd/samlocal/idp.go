package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/acme/customers/pkg/mockidp"
)

// The client start-api registers at its mock identity provider, unless
// $MOCK_IDP_CLIENT_ID and $MOCK_IDP_CLIENT_SECRET say otherwise.
const (
	defaultIdPClientID     = "local-storefront-sso"
	defaultIdPClientSecret = "local-sso-secret"
)

// localIdP is the mock OpenID Connect provider start-api runs next to the API, so that
// single sign-on can be tried locally: an OIDC profile created with its discovery URL,
// client id and secret logs shoppers in through it (its /authorize logs in at once, with
// no log-in page).
type localIdP struct {
	p                *mockidp.Provider
	clientID, secret string
}

// startIdP starts the mock provider (pkg/mockidp) on $MOCK_IDP_PORT (any free port when
// unset) and registers the client on it. It returns nil when $MOCK_IDP is 0 (or false,
// off, no), and nil after a warning on stderr when the provider cannot be started: the
// API is served without it.
func startIdP(ctx context.Context, stderr io.Writer) *localIdP {
	switch strings.ToLower(strings.TrimSpace(os.Getenv("MOCK_IDP"))) {
	case "0", "false", "off", "no":
		return nil
	}
	warn := func(err error) *localIdP {
		fmt.Fprintf(stderr, "samlocal: warning: no mock identity provider for single sign-on (set MOCK_IDP=0 to not start one): %v\n", err)
		return nil
	}
	port, err := envInt("MOCK_IDP_PORT", 0)
	if err != nil {
		return warn(err)
	}
	fmt.Fprintln(stderr, "samlocal: starting the mock identity provider")
	p, err := mockidp.StartOn(ctx, port)
	if err != nil {
		return warn(err)
	}
	l := &localIdP{p: p,
		clientID: cmp.Or(os.Getenv("MOCK_IDP_CLIENT_ID"), defaultIdPClientID),
		secret:   cmp.Or(os.Getenv("MOCK_IDP_CLIENT_SECRET"), defaultIdPClientSecret)}
	if err := p.SetClient(ctx, l.clientID, l.secret); err != nil {
		p.Stop()
		return warn(err)
	}
	return l
}

// banner prints what an OIDC profile needs to use the provider.
func (l *localIdP) banner(w io.Writer) {
	if l == nil {
		return
	}
	fmt.Fprintf(w, "Identity provider (mock, for single sign-on)\n  discovery_url  %s\n  client_id      %s\n  client_secret  %s\n",
		l.p.DiscoveryURL(), l.clientID, l.secret)
}

// stop stops the provider; a nil localIdP has none.
func (l *localIdP) stop() {
	if l != nil {
		l.p.Stop()
	}
}
