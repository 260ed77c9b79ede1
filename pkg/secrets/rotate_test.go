package secrets

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRotate(t *testing.T) {
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	w := Waits{Promote: 15 * time.Minute, Retire: 24 * time.Hour}
	for _, tc := range []struct {
		name  string
		s     Set
		step  Step
		fresh string
		now   time.Time
		want  Set
		err   string
		soon  bool
	}{
		{"introduce", Set{Current: val1, Created: t0}, Introduce, val2, t0, Set{Current: val1, Others: []string{val2}}, "", false},
		{"introduce at once after a retirement", Set{Current: val1, Created: t0}, Introduce, val2, t0.Add(-time.Hour), Set{Current: val1, Others: []string{val2}}, "", false},
		{"introduce during a rotation", Set{Current: val1, Others: []string{val2}, Created: t0}, Introduce, val3, t0.Add(48 * time.Hour), Set{}, "under way", false},
		{"introduce a short value", Set{Current: val1, Created: t0}, Introduce, "short", t0, Set{}, "malformed", false},
		{"introduce the current value", Set{Current: val1, Created: t0}, Introduce, val1, t0, Set{}, "malformed", false},

		{"promote", Set{Current: val1, Others: []string{val2}, Created: t0}, Promote, "", t0.Add(w.Promote), Set{Current: val2, Others: []string{val1}}, "", false},
		{"promote the first of two", Set{Current: val1, Others: []string{val2, val3}, Created: t0}, Promote, "", t0.Add(time.Hour), Set{Current: val2, Others: []string{val1, val3}}, "", false},
		{"promote a second early", Set{Current: val1, Others: []string{val2}, Created: t0}, Promote, "", t0.Add(w.Promote - time.Second), Set{}, "2026-03-04T05:21:07Z", true},
		{"promote nothing", Set{Current: val1, Created: t0}, Promote, "", t0.Add(48 * time.Hour), Set{}, "introduce a value first", false},

		{"retire", Set{Current: val2, Others: []string{val1}, Created: t0}, Retire, "", t0.Add(w.Retire), Set{Current: val2}, "", false},
		{"retire every other", Set{Current: val2, Others: []string{val1, val3}, Created: t0}, Retire, "", t0.Add(w.Retire + time.Hour), Set{Current: val2}, "", false},
		{"retire a second early", Set{Current: val2, Others: []string{val1}, Created: t0}, Retire, "", t0.Add(w.Retire - time.Second), Set{}, "2026-03-05T05:06:07Z", true},
		{"retire nothing", Set{Current: val2, Created: t0}, Retire, "", t0.Add(48 * time.Hour), Set{}, "nothing to retire", false},

		{"an unknown step", Set{Current: val1, Others: []string{val2}, Created: t0}, "swap", "", t0.Add(48 * time.Hour), Set{}, `"swap"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			others := slices.Clone(tc.s.Others)
			got, err := Rotate(tc.s, tc.step, tc.fresh, tc.now, w)
			if !slices.Equal(tc.s.Others, others) {
				t.Errorf("Rotate changed its argument's others: %v", tc.s.Others)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || errors.Is(err, ErrTooSoon) != tc.soon {
					t.Fatalf("Rotate = %+v, %v; want an error with %q (too soon: %v)", got, err, tc.err, tc.soon)
				}
				if got.Current != "" || got.Others != nil {
					t.Errorf("a refused step gave %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Current != tc.want.Current || !slices.Equal(got.Others, tc.want.Others) || !got.Created.IsZero() {
				t.Errorf("Rotate = %+v, want %+v", got, tc.want)
			}
			if _, err := Parse(got.Encode()); err != nil {
				t.Errorf("the result does not parse: %v", err)
			}
		})
	}
	if TokenWaits.Promote != 15*time.Minute || TokenWaits.Retire != 24*time.Hour+10*time.Minute {
		t.Errorf("TokenWaits = %+v", TokenWaits)
	}
}

// A whole rotation through Local, as cmd/keys makes it: each step is a new version, and a
// step taken too soon changes nothing.
func TestRotationThroughLocal(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	l := localAt(t, &now)
	l.Put("keys", Set{Current: val1})
	step := func(st Step, fresh string) error {
		t.Helper()
		s, err := l.Get(ctx, "keys")
		if err != nil {
			t.Fatal(err)
		}
		next, err := Rotate(s, st, fresh, now, TokenWaits)
		if err != nil {
			return err
		}
		return l.Put("keys", next)
	}
	current := func() Set { s, _ := l.Get(ctx, "keys"); return s }
	now = now.Add(time.Second)
	if err := step(Introduce, val2); err != nil {
		t.Fatal(err)
	}
	if err := step(Promote, ""); !errors.Is(err, ErrTooSoon) {
		t.Errorf("promote at once: %v", err)
	}
	now = now.Add(TokenWaits.Promote)
	if err := step(Promote, ""); err != nil {
		t.Fatal(err)
	}
	if s := current(); s.Current != val2 || !slices.Equal(s.Others, []string{val1}) {
		t.Errorf("after promote: %+v", s)
	}
	now = now.Add(TokenWaits.Retire - time.Minute)
	if err := step(Retire, ""); !errors.Is(err, ErrTooSoon) {
		t.Errorf("retire early: %v", err)
	}
	now = now.Add(time.Minute)
	if err := step(Retire, ""); err != nil {
		t.Fatal(err)
	}
	if s := current(); s.Current != val2 || len(s.Others) != 0 {
		t.Errorf("after retire: %+v", s)
	}
}
