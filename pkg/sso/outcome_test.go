package sso

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/acme/customers/pkg/problem"
)

// Each SSO log-in result counts one metric, or none for a failure of ours or the provider's.
func TestLoginOutcome(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"success", nil, MetricLoginSuccess},
		{"code refused", ErrInvalidCode, MetricLoginFailure},
		{"redirect refused, wrapped", fmt.Errorf("redeem: %w", ErrRedirectMismatch), MetricLoginFailure},
		{"verifier refused", ErrVerifierMismatch, MetricLoginFailure},
		{"identity not taken", problem.New(problem.Conflict, "Conflict", "email taken"), MetricLoginFailure},
		{"several problems", problem.List{ErrInvalidCode, ErrVerifierMismatch}, MetricLoginFailure},
		{"one of them ours", problem.List{ErrInvalidCode, &problem.Error{Kind: problem.Internal}}, ""},
		{"provider unavailable", &problem.Error{Kind: problem.Unavailable, Title: "Service Unavailable"}, ""},
		{"internal", errors.New("boom"), ""},
		{"deadline", context.DeadlineExceeded, ""},
	} {
		if got := LoginOutcome(tc.err); got != tc.want {
			t.Errorf("%s: LoginOutcome = %q, want %q", tc.name, got, tc.want)
		}
	}
}
