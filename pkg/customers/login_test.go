package customers

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/acme/customers/pkg/problem"
)

// Each log-in result counts one metric, or none for a failure of ours.
func TestLoginOutcome(t *testing.T) {
	throttled := &problem.Error{Kind: problem.TooManyRequests, Title: "Too Many Requests", RetryAfter: time.Second}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"success", nil, MetricLoginSuccess},
		{"bad credentials", ErrBadCredentials, MetricLoginFailure},
		{"bad credentials, wrapped", fmt.Errorf("login: %w", ErrBadCredentials), MetricLoginFailure},
		{"throttled", throttled, MetricLoginThrottled},
		{"throttled, wrapped", fmt.Errorf("login: %w", throttled), MetricLoginThrottled},
		{"DynamoDB unavailable", &problem.Error{Kind: problem.Unavailable, Title: "Service Unavailable"}, ""},
		{"internal", errors.New("boom"), ""},
		{"deadline", context.DeadlineExceeded, ""},
		{"another 401", &problem.Error{Kind: problem.Unauthorized, Title: "Unauthorized", Detail: "token expired"}, ""},
	} {
		if got := LoginOutcome(tc.err); got != tc.want {
			t.Errorf("%s: LoginOutcome = %q, want %q", tc.name, got, tc.want)
		}
	}
}
