package customers

import (
	"net/netip"
	"time"
)

// LoginPolicy decides how many password checks an email gets (see README "Log-in
// throttling"). Attempts are counted in fixed windows keyed by their start, two ways at
// once, with one conditional write:
//
//   - per email and source address: FreeAttempts at once, then each further attempt waits
//     FirstDelay since that address's last counted attempt, twice as long every time,
//     until the window ends. An attacker at one address gets a few dozen guesses a window
//     and cannot touch the owner, who logs in from another address.
//   - per email, from every address together: at most MaxAttempts a window (NIST SP
//     800-63B: at most 100 consecutive failures per account), so that guesses spread over
//     many addresses still stop.
//
// An attempt refused is not counted (the official SDK retries a 429 three times: those
// retries never lengthen a wait). A successful log-in clears what was counted against its
// email and its own address.
type LoginPolicy struct {
	Window       time.Duration
	MaxAttempts  int // per email and window, from all addresses
	FreeAttempts int // per email, address and window, before the delays start
	FirstDelay   time.Duration
}

// WindowStart is the start of the window that holds now.
func (p LoginPolicy) WindowStart(now time.Time) time.Time {
	w := int64(p.Window / time.Millisecond)
	ms := now.UnixMilli()
	return time.UnixMilli(ms - ms%w).UTC()
}

// Delays are the waits after the free attempts, as long as they fit in a window:
// Delays()[k] is what attempt FreeAttempts+k+1 from one address waits after the one before.
// Past the last, an address waits for the next window.
func (p LoginPolicy) Delays() []time.Duration {
	var out []time.Duration
	for d := p.FirstDelay; d > 0 && d < p.Window; d *= 2 {
		out = append(out, d)
	}
	return out
}

// Wait is how long an attempt must wait, given what the window counted so far: n attempts
// for the email, a from this address, the last of them at last. Zero when it may go now.
func (p LoginPolicy) Wait(now time.Time, n, a int, last time.Time) time.Duration {
	end := p.WindowStart(now).Add(p.Window).Sub(now)
	if n >= p.MaxAttempts {
		return end
	}
	k := a - p.FreeAttempts
	if k < 0 {
		return 0
	}
	delays := p.Delays()
	if k >= len(delays) {
		return end
	}
	return min(max(last.Add(delays[k]).Sub(now), 0), end)
}

// AddressKey is what throttling counts a source address as: an IPv4 address itself, an
// IPv6 address by its /64 (one subscriber's usual allocation, which would otherwise give
// an attacker 2^64 addresses to rotate through), anything unreadable as one "unknown".
func AddressKey(source string) string {
	a, err := netip.ParseAddr(source)
	if err != nil {
		return "unknown"
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
}
