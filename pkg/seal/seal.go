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

// Box seals and opens values for one purpose.
type Box struct{ aead cipher.AEAD }

// New derives purpose's key from secret (HMAC-SHA256) and returns its Box.
func New(secret []byte, purpose string) *Box {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	aead, _ := cipher.NewGCM(block)
	return &Box{aead}
}

// ErrOpen is any value that does not open: altered, sealed under another key or purpose, or
// for another context.
var ErrOpen = errors.New("seal: the value does not open")

// Seal encrypts plain bound to context (authenticated, not encrypted: a value sealed for
// one context does not open for another); the result starts with its random nonce.
func (b *Box) Seal(plain, context []byte) []byte {
	nonce := make([]byte, b.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return b.aead.Seal(nonce, nonce, plain, context)
}

// Open decrypts what Seal made for context.
func (b *Box) Open(sealed, context []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return nil, ErrOpen
	}
	plain, err := b.aead.Open(nil, sealed[:n], sealed[n:], context)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
