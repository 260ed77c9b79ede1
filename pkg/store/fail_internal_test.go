package store

import (
	"errors"
	"testing"
)

func TestItemTooLarge(t *testing.T) {
	for _, msg := range []string{"ValidationException: Item size has exceeded the maximum allowed size",
		"ValidationException: Item size to update has exceeded the maximum allowed size"} {
		if err := fail("update customer", errors.New(msg)); err != ErrItemTooLarge {
			t.Errorf("%s: %v", msg, err)
		}
	}
	if err := fail("update customer", errors.New("ValidationException: something else")); err == ErrItemTooLarge {
		t.Error("another validation error")
	}
}
