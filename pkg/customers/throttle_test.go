package customers

import (
	"testing"
	"time"
)

func TestLoginPolicyDelays(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    LoginPolicy
		want []time.Duration
	}{
		{"an hour from 1 s", LoginPolicy{Window: time.Hour, FirstDelay: time.Second},
			[]time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048}},
		{"a delay as long as the window is not kept", LoginPolicy{Window: 4 * time.Second, FirstDelay: time.Second}, []time.Duration{1, 2}},
		{"a delay just under the window is", LoginPolicy{Window: 4*time.Second + 1, FirstDelay: time.Second}, []time.Duration{1, 2, 4}},
		{"a first delay as long as the window", LoginPolicy{Window: time.Second, FirstDelay: time.Second}, nil},
		{"no first delay", LoginPolicy{Window: time.Hour}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.p.Delays()
			if len(got) != len(tc.want) {
				t.Fatalf("Delays() = %v, want %v seconds", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i]*time.Second {
					t.Errorf("Delays()[%d] = %v, want %vs", i, got[i], int64(tc.want[i]))
				}
			}
		})
	}
}

func TestLoginPolicyWindowStart(t *testing.T) {
	p := LoginPolicy{Window: time.Hour}
	for _, tc := range []struct{ now, want string }{
		{"2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z"},
		{"2026-12-01T10:59:59.999Z", "2026-12-01T10:00:00Z"},
		{"2026-12-01T11:00:00Z", "2026-12-01T11:00:00Z"},
		{"2026-12-01T10:30:00+02:00", "2026-12-01T08:00:00Z"},
	} {
		now, _ := time.Parse(time.RFC3339Nano, tc.now)
		if got := p.WindowStart(now).Format(time.RFC3339Nano); got != tc.want {
			t.Errorf("WindowStart(%s) = %s, want %s", tc.now, got, tc.want)
		}
	}
}

func TestLoginPolicyWait(t *testing.T) {
	p := LoginPolicy{Window: time.Hour, MaxAttempts: 100, FreeAttempts: 3, FirstDelay: time.Second}
	start, _ := time.Parse(time.RFC3339, "2026-12-01T10:00:00Z")
	now := start.Add(10 * time.Minute)
	toEnd := 50 * time.Minute
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	for _, tc := range []struct {
		name string
		n, a int
		last time.Time
		want time.Duration
	}{
		{"first attempt", 0, 0, time.Time{}, 0},
		{"last free attempt", 2, 2, now, 0},
		{"first delayed attempt, too soon", 3, 3, ago(300 * time.Millisecond), 700 * time.Millisecond},
		{"first delayed attempt, just in time", 3, 3, ago(time.Second), 0},
		{"first delayed attempt, late", 3, 3, ago(time.Minute), 0},
		{"second delayed attempt waits 2 s", 4, 4, now, 2 * time.Second},
		{"fifth delayed attempt waits 16 s", 7, 7, ago(time.Second), 15 * time.Second},
		{"the last delay", 14, 14, now, 2048 * time.Second},

		{"past the last delay: the next window", 15, 15, ago(time.Hour), toEnd},
		{"the email's ceiling", 100, 0, time.Time{}, toEnd},
		{"just under the email's ceiling", 99, 0, time.Time{}, 0},
		{"the ceiling wins over a free address", 100, 1, now, toEnd},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Wait(now, tc.n, tc.a, tc.last); got != tc.want {
				t.Errorf("Wait = %v, want %v", got, tc.want)
			}
		})
	}
	// A delay that ends past the window's end ends with the window.
	late := start.Add(40 * time.Minute)
	if got := p.Wait(late, 14, 14, late); got != 20*time.Minute {
		t.Errorf("a delay past the window's end: Wait = %v, want the 20 minutes left", got)
	}
}

func TestAddressKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"203.0.113.9", "203.0.113.9"},
		{"::ffff:203.0.113.9", "203.0.113.9"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"", "unknown"},
		{"not an address", "unknown"},
		{"203.0.113.9:443", "unknown"},
	} {
		if got := AddressKey(tc.in); got != tc.want {
			t.Errorf("AddressKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
