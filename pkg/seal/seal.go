// Package seal encrypts small values with AES-256-GCM under a key derived from one of the
// deployment's secrets for one purpose, so that each use (list cursors, identity provider
// client secrets) has its own key and nothing sealed for one opens as another.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
)

// Box seals and opens values for one purpose: it seals under its first key and opens what
// any of its keys sealed (a rotation's current and previous secrets).
type Box struct{ aeads []cipher.AEAD }

// New derives purpose's key from secret (HMAC-SHA256) and returns its Box; more secrets
// add keys that open but do not seal.
func New(secret []byte, purpose string, more ...[]byte) *Box {
	b := &Box{}
	for _, s := range append([][]byte{secret}, more...) {
		m := hmac.New(sha256.New, s)
		m.Write([]byte(purpose))
		block, err := aes.NewCipher(m.Sum(nil))
		if err != nil {
			panic(err) // a 32-byte key always makes a cipher
		}
		aead, _ := cipher.NewGCM(block)
		b.aeads = append(b.aeads, aead)
	}
	return b
}

// ErrOpen is any value that does not open: altered, sealed under another key or purpose, or
// for another context.
var ErrOpen = errors.New("seal: the value does not open")

// Seal encrypts plain bound to context (authenticated, not encrypted: a value sealed for
// one context does not open for another); the result starts with its random nonce.
func (b *Box) Seal(plain, context []byte) []byte {
	aead := b.aeads[0]
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	return aead.Seal(nonce, nonce, plain, context)
}

// Open decrypts what Seal made for context.
func (b *Box) Open(sealed, context []byte) ([]byte, error) {
	for _, aead := range b.aeads {
		n := aead.NonceSize()
		if len(sealed) < n+aead.Overhead() {
			return nil, ErrOpen
		}
		if plain, err := aead.Open(nil, sealed[:n], sealed[n:], context); err == nil {
			return plain, nil
		}
	}
	return nil, ErrOpen
}
