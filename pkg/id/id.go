// Package id makes and checks resource ids: random (version 4) UUIDs in lower-case text.
package id

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

// New returns a random UUID.
func New() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return format(b)
}

func format(b [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// Valid reports whether s is a UUID in canonical lower-case form. Ids that are not valid
// cannot exist, so callers answer 404 without a database call.
func Valid(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

var (
	orderedMu sync.Mutex
	lastMs    uint64
)

// NewOrdered returns a random UUID whose text sorts by creation time (version 7: the first
// 48 bits are the Unix time in milliseconds). Items keyed by it list in creation order; ids
// made by one process never share a millisecond, so they keep their order too.
func NewOrdered() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	orderedMu.Lock()
	ms := max(uint64(time.Now().UnixMilli()), lastMs+1)
	lastMs = ms
	orderedMu.Unlock()
	for i := 0; i < 6; i++ {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return format(b)
}

// Derived returns the UUID that name stands for: the same name always gives the same id,
// different names different ids (the first 122 bits of name's SHA-256, as a version 8
// UUID). It names what exists once per deployment, such as the store's authentication
// realm, without a write to make it.
func Derived(name string) string {
	sum := sha256.Sum256([]byte(name))
	var b [16]byte
	copy(b[:], sum[:16])
	b[6] = b[6]&0x0f | 0x80
	b[8] = b[8]&0x3f | 0x80
	return format(b)
}
