package seal

import (
	"context"
	"sync"
	"time"

	"github.com/acme/customers/pkg/secrets"
)

// Keyring is the Box of one purpose under a secret that may rotate: it seals under the
// secret's current value and opens what any of its values sealed.
type Keyring struct {
	purpose string
	secret  *secrets.Value

	mu      sync.Mutex
	created time.Time
	current string
	box     *Box
}

// NewKeyring returns purpose's keyring under secret.
func NewKeyring(secret *secrets.Value, purpose string) *Keyring {
	return &Keyring{purpose: purpose, secret: secret}
}

// Box returns the Box for the secret's values as they are now (derived again only when they
// changed).
func (k *Keyring) Box(ctx context.Context) (*Box, error) {
	set, err := k.secret.Get(ctx)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.box == nil || !set.Created.Equal(k.created) || set.Current != k.current {
		var more [][]byte
		for _, o := range set.Others {
			more = append(more, []byte(o))
		}
		k.box, k.created, k.current = New([]byte(set.Current), k.purpose, more...), set.Created, set.Current
	}
	return k.box, nil
}
