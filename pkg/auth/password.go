package auth

import (
	"errors"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Password length limits in bytes. bcrypt reads at most 72 bytes; longer passwords are
// refused rather than silently truncated.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 72
)

// Passwords hashes and checks passwords with bcrypt at a fixed cost.
type Passwords struct {
	cost      int
	dummyOnce sync.Once
	dummy     []byte
}

// Prepare makes the dummy hash that failures compare against. Functions that check
// passwords call it at cold start: made on first use instead, the first failure for an
// unknown email on a new instance would cost two bcrypt runs, and its time would tell.
func (p *Passwords) Prepare() {
	p.dummyOnce.Do(func() {
		p.dummy, _ = bcrypt.GenerateFromPassword([]byte("dummy password for timing"), p.cost)
	})
}

// Prepared reports whether the dummy hash exists.
func (p *Passwords) Prepared() bool { return p.dummy != nil }

// NewPasswords returns a hasher at the given bcrypt cost (10 or more).
func NewPasswords(cost int) (*Passwords, error) {
	if cost < bcrypt.DefaultCost || cost > bcrypt.MaxCost {
		return nil, errors.New("auth: bcrypt cost must be between 10 and 31")
	}
	return &Passwords{cost: cost}, nil
}

// Hash returns the bcrypt hash of password. The caller has checked the length.
func (p *Passwords) Hash(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), p.cost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// Check reports whether password matches hash. With an empty hash (no such customer, or a
// customer without a password) it compares against a dummy hash of the same cost, so that
// every failure takes as long as a real comparison. A password longer than MaxPasswordLen
// never matches: bcrypt's comparison reads only the first 72 bytes, so without this check
// any suffix appended to the right password would be accepted.
func (p *Passwords) Check(hash, password string) bool {
	if hash == "" || len(password) > MaxPasswordLen {
		p.Prepare()
		_ = bcrypt.CompareHashAndPassword(p.dummy, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// Cost is the bcrypt cost new hashes get.
func (p *Passwords) Cost() int { return p.cost }

// Outdated reports whether a stored hash was made at another cost than the current one:
// its comparisons then take another time than the dummy's, which would tell known emails
// from unknown ones, so a successful log-in makes it anew.
func (p *Passwords) Outdated(hash string) bool {
	c, err := bcrypt.Cost([]byte(hash))
	return err == nil && c != p.cost
}
