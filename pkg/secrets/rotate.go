package secrets

import (
	"errors"
	"fmt"
	"time"
)

// Step is one step of a rotation: a new value is introduced (accepted, published, not yet
// used), promoted (used; the old one still accepted), and the old one retired.
type Step string

const (
	Introduce Step = "introduce"
	Promote   Step = "promote"
	Retire    Step = "retire"
)

// Waits is how old the secret's version must be before each step: long enough for every
// process (and every outside verifier) to have seen the version before.
type Waits struct {
	Promote, Retire time.Duration
}

// TokenWaits are the waits of the token signing keys: a new key is promoted once every
// process has read it (SECRETS_CACHE_SECONDS), every verifier has read the published keys
// (TOKEN_KEYS_CACHE_SECONDS) and every outside verifier the key set (its max-age), 5
// minutes each; the old one is retired once the last token it signed has expired (24 hours
// for a customer token) and every process signs with the new one.
var TokenWaits = Waits{Promote: 15 * time.Minute, Retire: 24*time.Hour + 10*time.Minute}

// ErrTooSoon refuses a step taken before its wait.
var ErrTooSoon = errors.New("secrets: too soon for this step")

// Rotate returns s after step, at now; fresh is the new value Introduce adds.
func Rotate(s Set, step Step, fresh string, now time.Time, w Waits) (Set, error) {
	age := now.Sub(s.Created)
	switch step {
	case Introduce:
		if len(s.Others) > 0 {
			return Set{}, errors.New("secrets: a rotation is under way (the secret has other values): promote or retire first")
		}
		next := Set{Current: s.Current, Others: []string{fresh}}
		if _, err := Parse(next.Encode()); err != nil {
			return Set{}, err
		}
		return next, nil
	case Promote:
		if len(s.Others) == 0 {
			return Set{}, errors.New("secrets: nothing to promote: introduce a value first")
		}
		if age < w.Promote {
			return Set{}, fmt.Errorf("%w: promote %s after the introduction (at %s)", ErrTooSoon, w.Promote, s.Created.Add(w.Promote).Format(time.RFC3339))
		}
		return Set{Current: s.Others[0], Others: append([]string{s.Current}, s.Others[1:]...)}, nil
	case Retire:
		if len(s.Others) == 0 {
			return Set{}, errors.New("secrets: nothing to retire")
		}
		if age < w.Retire {
			return Set{}, fmt.Errorf("%w: retire %s after the promotion (at %s)", ErrTooSoon, w.Retire, s.Created.Add(w.Retire).Format(time.RFC3339))
		}
		return Set{Current: s.Current}, nil
	}
	return Set{}, fmt.Errorf("secrets: unknown step %q (introduce, promote or retire)", step)
}
