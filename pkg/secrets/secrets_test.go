package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acme/customers/pkg/problem"
)

var ctx = context.Background()

// Values of at least MinLen characters.
var (
	val1 = strings.Repeat("1", MinLen)
	val2 = strings.Repeat("2", MinLen)
	val3 = strings.Repeat("3", MinLen+10)
	val4 = strings.Repeat("4", MinLen)
	val5 = strings.Repeat("5", MinLen)
	val6 = strings.Repeat("6", MinLen)
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value string
		want  Set
		ok    bool
	}{
		{"current alone", `{"current":"` + val1 + `"}`, Set{Current: val1}, true},
		{"current and others", `{"current":"` + val1 + `","others":["` + val2 + `","` + val3 + `"]}`, Set{Current: val1, Others: []string{val2, val3}}, true},
		{"empty others", `{"current":"` + val1 + `","others":[]}`, Set{Current: val1, Others: []string{}}, true},
		{"MaxOthers others", `{"current":"` + val1 + `","others":["` + val2 + `","` + val3 + `","` + val4 + `","` + val5 + `"]}`, Set{Current: val1, Others: []string{val2, val3, val4, val5}}, true},
		{"an unknown member is ignored", `{"current":"` + val1 + `","note":"x"}`, Set{Current: val1}, true},
		{"whitespace", " {\n \"current\" : \"" + val1 + "\" }\n", Set{Current: val1}, true},

		{"one other too many", `{"current":"` + val1 + `","others":["` + val2 + `","` + val3 + `","` + val4 + `","` + val5 + `","` + val6 + `"]}`, Set{}, false},
		{"current one character short", `{"current":"` + val1[1:] + `"}`, Set{}, false},
		{"an other one character short", `{"current":"` + val1 + `","others":["` + val2[1:] + `"]}`, Set{}, false},
		{"a later other short", `{"current":"` + val1 + `","others":["` + val2 + `","x"]}`, Set{}, false},
		{"an empty other", `{"current":"` + val1 + `","others":[""]}`, Set{}, false},
		{"no current", `{"others":["` + val2 + `"]}`, Set{}, false},
		{"empty object", `{}`, Set{}, false},
		{"current repeated in others", `{"current":"` + val1 + `","others":["` + val1 + `"]}`, Set{}, false},
		{"an other twice", `{"current":"` + val1 + `","others":["` + val2 + `","` + val3 + `","` + val2 + `"]}`, Set{}, false},
		{"current not a string", `{"current":12345678901234567890123456789012345}`, Set{}, false},
		{"others not a list", `{"current":"` + val1 + `","others":"` + val2 + `"}`, Set{}, false},
		{"not JSON", val1, Set{}, false},
		{"empty", ``, Set{}, false},
		{"null", `null`, Set{}, false},
		{"a list", `["` + val1 + `"]`, Set{}, false},
		{"a string", `"` + val1 + `"`, Set{}, false},
		{"truncated", `{"current":"` + val1, Set{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.value)
			if !tc.ok {
				if err == nil || !errors.Is(err, errMalformed) {
					t.Fatalf("Parse = %+v, %v; want errMalformed", s, err)
				}
				for _, v := range []string{val1, val2, val1[1:]} {
					if strings.Contains(err.Error(), v) {
						t.Errorf("the error quotes a value: %v", err)
					}
				}
				if s.Current != "" || s.Others != nil {
					t.Errorf("a refused value gave %+v", s)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Current != tc.want.Current || fmt.Sprint(s.Others) != fmt.Sprint(tc.want.Others) || !s.Created.IsZero() {
				t.Errorf("Parse = %+v, want %+v", s, tc.want)
			}
		})
	}
}

func TestSetEncodeAll(t *testing.T) {
	created := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, tc := range []struct {
		s    Set
		want string
		all  []string
	}{
		{Set{Current: val1, Created: created}, `{"current":"` + val1 + `"}`, []string{val1}},
		{Set{Current: val1, Others: []string{}}, `{"current":"` + val1 + `"}`, []string{val1}},
		{Set{Current: val1, Others: []string{val2, val3}, Created: created}, `{"current":"` + val1 + `","others":["` + val2 + `","` + val3 + `"]}`, []string{val1, val2, val3}},
	} {
		if got := tc.s.Encode(); got != tc.want {
			t.Errorf("Encode = %s, want %s", got, tc.want)
		}
		back, err := Parse(tc.s.Encode())
		if err != nil || back.Current != tc.s.Current || len(back.Others) != len(tc.s.Others) {
			t.Errorf("Parse(Encode(%+v)) = %+v, %v", tc.s, back, err)
		}
		all := tc.s.All()
		if fmt.Sprint(all) != fmt.Sprint(tc.all) {
			t.Errorf("All = %v, want %v", all, tc.all)
		}
		// All is a new slice: changing it changes nothing in the set.
		all[0] = "x"
		if len(all) > 1 {
			all[1] = "y"
		}
		if tc.s.Current == "x" || len(tc.s.Others) > 0 && tc.s.Others[0] == "y" {
			t.Error("All aliases the set")
		}
	}
	// Others with spare capacity: appending to All's result must not write into them.
	others := make([]string, 1, 4)
	others[0] = val2
	s := Set{Current: val1, Others: others}
	a := s.All()
	_ = append(a, "x")
	if others[:2][1] == "x" {
		t.Error("All writes into the others' backing array")
	}
}

// source is a Source whose answers the test sets, counting the reads.
type source struct {
	mu    sync.Mutex
	set   Set
	err   error
	reads int
}

func (s *source) Get(_ context.Context, id string) (Set, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	if s.err != nil {
		return Set{}, s.err
	}
	return s.set, nil
}

func (s *source) answer(set Set, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set, s.err = set, err
}

func (s *source) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

func TestValueTTLAndForget(t *testing.T) {
	src := &source{set: Set{Current: val1}}
	v := NewValue(src, "token-keys", time.Hour, nil)
	if !v.Configured() {
		t.Error("a Value with an id is not configured")
	}
	for range 3 {
		if s, err := v.Get(ctx); err != nil || s.Current != val1 {
			t.Fatalf("Get = %+v, %v", s, err)
		}
	}
	if n := src.count(); n != 1 {
		t.Errorf("%d reads within the TTL, want 1", n)
	}
	src.answer(Set{Current: val2}, nil)
	if s, _ := v.Get(ctx); s.Current != val1 {
		t.Errorf("within the TTL the value read before is kept: %+v", s)
	}
	v.Forget()
	if s, err := v.Get(ctx); err != nil || s.Current != val2 || src.count() != 2 {
		t.Errorf("after Forget: %+v, %v after %d reads", s, err, src.count())
	}

	// A small TTL: read again once it has gone by.
	src = &source{set: Set{Current: val1}}
	v = NewValue(src, "token-keys", 20*time.Millisecond, nil)
	v.Get(ctx)
	src.answer(Set{Current: val2}, nil)
	time.Sleep(25 * time.Millisecond)
	if s, _ := v.Get(ctx); s.Current != val2 || src.count() != 2 {
		t.Errorf("after the TTL: %+v after %d reads", s, src.count())
	}

	// TTL 0: read on every use.
	src = &source{set: Set{Current: val1}}
	v = NewValue(src, "token-keys", 0, nil)
	for range 3 {
		v.Get(ctx)
	}
	if n := src.count(); n != 3 {
		t.Errorf("%d reads with TTL 0, want 3", n)
	}
}

func TestValueNotConfigured(t *testing.T) {
	src := &source{set: Set{Current: val1}}
	v := NewValue(src, "", time.Hour, nil)
	if v.Configured() {
		t.Error("a Value without an id is configured")
	}
	if s, err := v.Get(ctx); !errors.Is(err, ErrNotConfigured) || s.Current != "" {
		t.Errorf("Get = %+v, %v; want ErrNotConfigured", s, err)
	}
	if problem.Is(errAt(v), problem.Unavailable) {
		t.Error("ErrNotConfigured is not a 503")
	}
	if src.count() != 0 {
		t.Error("a Value without an id read its source")
	}
	var nilValue *Value
	if nilValue.Configured() {
		t.Error("a nil Value is configured")
	}
	if _, err := nilValue.Get(ctx); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("nil Value: %v", err)
	}
	nilValue.Forget() // no panic
}

func errAt(v *Value) error { _, err := v.Get(ctx); return err }

// A failure to read the secret again keeps the value read before (logged), and the read is
// tried again after RetryAfter; a value never read still fails.
func TestValueKeepOnFailure(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	src := &source{err: errors.New("dial tcp: i/o timeout")}
	v := NewValue(src, "client-secret", 0, log)
	if _, err := v.Get(ctx); err == nil {
		t.Fatal("a value never read: no error")
	}
	if logs.Len() != 0 {
		t.Errorf("a first failure is not a kept value, yet logged: %s", logs.String())
	}
	src.answer(Set{Current: val1}, nil)
	if s, err := v.Get(ctx); err != nil || s.Current != val1 {
		t.Fatal(s, err)
	}
	boom := &Error{Status: 503, Code: "ServiceUnavailable", Message: "down"}
	src.answer(Set{}, boom)
	reads := src.count()
	s, err := v.Get(ctx)
	if err != nil || s.Current != val1 {
		t.Errorf("a failed read again: %+v, %v; want the value read before", s, err)
	}
	if src.count() != reads+1 {
		t.Errorf("%d reads, want %d", src.count(), reads+1)
	}
	out := logs.String()
	if !strings.Contains(out, `"level":"WARN"`) || !strings.Contains(out, `"secret":"client-secret"`) || !strings.Contains(out, "ServiceUnavailable") {
		t.Errorf("log: %s", out)
	}
	if strings.Contains(out, val1) {
		t.Errorf("the log holds the secret: %s", out)
	}
	// Within RetryAfter the kept value serves without a read, even at TTL 0.
	for range 3 {
		if s, err := v.Get(ctx); err != nil || s.Current != val1 {
			t.Errorf("%+v, %v", s, err)
		}
	}
	if src.count() != reads+1 {
		t.Errorf("%d reads within RetryAfter, want %d", src.count(), reads+1)
	}
	// Forget reads at once; a success replaces the kept value.
	src.answer(Set{Current: val2}, nil)
	v.Forget()
	if s, _ := v.Get(ctx); s.Current != val2 {
		t.Errorf("after the failure passed: %+v", s)
	}
	if RetryAfter != 30*time.Second {
		t.Errorf("RetryAfter = %v", RetryAfter)
	}

	// Without a logger the value is kept all the same.
	src = &source{set: Set{Current: val1}}
	v = NewValue(src, "x", 0, nil)
	v.Get(ctx)
	src.answer(Set{}, boom)
	if s, err := v.Get(ctx); err != nil || s.Current != val1 {
		t.Errorf("no logger: %+v, %v", s, err)
	}
}

// A read that fails for reasons that may pass is a 503 (retry shortly); one that fails for
// the function's configuration is not (an internal error, logged).
func TestValueFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		err       error
		transient bool
	}{
		{"a network failure", errors.New("dial tcp 10.0.0.1:443: connection refused"), true},
		{"a deadline", context.DeadlineExceeded, true},
		{"Secrets Manager's own failure", &Error{Status: 500, Code: "InternalServiceError"}, true},
		{"a 503", &Error{Status: 503, Code: "ServiceUnavailable"}, true},
		{"an answer without a body", &Error{Status: 502}, true},
		{"a throttle", &Error{Status: 400, Code: "ThrottlingException", Message: "Rate exceeded"}, true},
		{"a request limit", &Error{Status: 400, Code: "RequestLimitExceeded"}, true},
		{"a wrapped throttle", fmt.Errorf("x: %w", &Error{Status: 400, Code: "ThrottlingException"}), true},

		{"no such secret", &Error{Status: 400, Code: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret."}, false},
		{"no permission", &Error{Status: 400, Code: "AccessDeniedException"}, false},
		{"a KMS key it cannot use", &Error{Status: 400, Code: "DecryptionFailure"}, false},
		{"a 499", &Error{Status: 499, Code: "Other"}, false},
		{"a malformed value", fmt.Errorf("secret x: %w", errMalformed), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := NewValue(&source{err: tc.err}, "x", time.Hour, nil)
			_, err := v.Get(ctx)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("err = %v does not carry %v", err, tc.err)
			}
			l, isProblem := problem.Problems(err)
			if !tc.transient {
				if isProblem {
					t.Errorf("err = %v is a problem (%+v); want an internal error", err, l)
				}
				return
			}
			if !isProblem || len(l) != 1 || l[0].Kind != problem.Unavailable || l[0].RetryAfter != time.Second {
				t.Fatalf("err = %#v, want one 503 problem with Retry-After", err)
			}
			if strings.Contains(l[0].Title+l[0].Detail, "dial") || strings.Contains(l[0].Detail, "Throttling") {
				t.Errorf("the problem shows the cause: %+v", l[0])
			}
		})
	}
	if transient(nil) {
		t.Error("nil is transient")
	}
}

func TestStaticAndGenerated(t *testing.T) {
	s := Static{"a": {Current: val1}}
	if got, err := s.Get(ctx, "a"); err != nil || got.Current != val1 {
		t.Errorf("Get(a) = %+v, %v", got, err)
	}
	if _, err := s.Get(ctx, "b"); err == nil || !strings.Contains(err.Error(), `"b"`) {
		t.Errorf("Get(b) = %v", err)
	}
	before := time.Now().UTC().Truncate(time.Millisecond)
	g := Generated("x", "y", "z")
	if len(g) != 3 {
		t.Fatalf("Generated = %v", g)
	}
	seen := map[string]bool{}
	for id, set := range g {
		if len(set.Current) != 64 || len(set.Others) != 0 || seen[set.Current] {
			t.Errorf("%s: %+v", id, set)
		}
		if _, err := Parse(set.Encode()); err != nil {
			t.Errorf("%s: %v", id, err)
		}
		if set.Created.Before(before) || set.Created.After(time.Now()) || set.Created.Location() != time.UTC ||
			!set.Created.Equal(set.Created.Truncate(time.Millisecond)) {
			t.Errorf("%s: Created %v", id, set.Created)
		}
		seen[set.Current] = true
	}
	if len(Generated()) != 0 {
		t.Error("Generated() is not empty")
	}
}

func TestGenerate(t *testing.T) {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	for _, n := range []int{0, 1, 32, 64} {
		if s := Generate(n); len(s) != n {
			t.Errorf("Generate(%d) has %d characters", n, len(s))
		}
	}
	if Generate(64) == Generate(64) {
		t.Error("two values are equal")
	}
	// Every character appears about as often as any other (no bias toward the first).
	const per = 1000
	counts := map[rune]int{}
	for _, r := range Generate(per * len(chars)) {
		counts[r]++
	}
	if len(counts) != len(chars) {
		t.Errorf("%d distinct characters, want %d", len(counts), len(chars))
	}
	for r, n := range counts {
		if !strings.ContainsRune(chars, r) {
			t.Errorf("character %q", r)
		}
		if n < per*8/10 || n > per*12/10 {
			t.Errorf("%q appears %d times in %d, want about %d", r, n, per*len(chars), per)
		}
	}
}
