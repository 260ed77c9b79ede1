package handlers

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/acme/customers/pkg/store"
	"github.com/acme/customers/pkg/testenv"
)

// profiles counts the customers and the orders in the table.
func (h *harness) countItems(t *testing.T, prefix, sk string) int {
	t.Helper()
	n := 0
	for _, it := range h.db.Items(t) {
		if strings.HasPrefix(testenv.Str(it, "PK"), prefix) && testenv.Str(it, "SK") == sk {
			n++
		}
	}
	return n
}

// TestIdempotencyKey: a create sent again with its Idempotency-Key gets the first answer
// and writes nothing; the same key with another request is a 422; keys belong to their
// caller; bad keys are 400s; without the header nothing changes.
func TestIdempotencyKey(t *testing.T) {
	h := newHarness(t)
	create := func(headers map[string]string, name, email string) response {
		return h.do(req{Route: "POST /v2/customers", Headers: headers,
			Body: `{"data":{"type":"customer","name":"` + name + `","email":"` + email + `"}}`})
	}
	first := create(keyed(bearer(h.implicit), "k-1"), "Ann", "ann@example.com")
	expect(t, first, 201)
	before := h.db.Snapshot(t)
	again := create(keyed(bearer(h.implicit), "k-1"), "Ann", "ann@example.com")
	expect(t, again, 201)
	if again.Body != first.Body || again.Headers["Idempotent-Replayed"] != "true" || first.Headers["Idempotent-Replayed"] != "" ||
		again.Headers["ETag"] == "" || again.Headers["ETag"] != first.Headers["ETag"] {
		t.Errorf("replay %s %v, first %s", again.Body, again.Headers, first.Body)
	}
	if after := h.db.Snapshot(t); len(after) != len(before) {
		t.Errorf("the replay wrote: %d items, then %d", len(before), len(after))
	}

	t.Run("another request with the key", func(t *testing.T) {
		r := create(keyed(bearer(h.implicit), "k-1"), "Ann", "other@example.com")
		expect(t, r, 422)
		if e := errorsOf(t, r); e[0]["source"] != "Idempotency-Key" {
			t.Errorf("%v", e)
		}
		if after := h.db.Snapshot(t); len(after) != len(before) {
			t.Error("a refused key wrote")
		}
	})
	t.Run("keys are the caller's", func(t *testing.T) {
		// The same key from another caller (client_credentials) is another key.
		r := create(keyed(bearer(h.admin), "k-1"), "Ben", "ben@example.com")
		expect(t, r, 201)
		if r.Headers["Idempotent-Replayed"] != "" || data(r)["email"] != "ben@example.com" {
			t.Errorf("another caller's key replayed: %s", r.Body)
		}
		// Customers' keys: Ann's key does not answer Ben's address.
		ann, ben := data(first)["id"].(string), data(r)["id"].(string)
		h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": ann}, Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","password":"` + testPassword + `"}}`})
		h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": ben}, Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","password":"` + testPassword + `"}}`})
		add := func(id, email string) response {
			return h.do(req{Route: "POST /v2/customers/{customerId}/addresses", Path: map[string]string{"customerId": id},
				Headers: keyed(withCustomer(h.implicit, h.customerToken(email)), "address-1"), Body: anAddress})
		}
		a, b := add(ann, "ann@example.com"), add(ben, "ben@example.com")
		expect(t, a, 201)
		expect(t, b, 201)
		if data(a)["id"] == data(b)["id"] || b.Headers["Idempotent-Replayed"] != "" {
			t.Errorf("Ben's address is Ann's: %s / %s", a.Body, b.Body)
		}
	})
	t.Run("bad keys", func(t *testing.T) {
		for _, k := range []string{strings.Repeat("k", 256), "with space", "tab\tkey", "é"} {
			r := create(keyed(bearer(h.implicit), k), "Cy", "cy@example.com")
			expect(t, r, 400)
			if e := errorsOf(t, r); e[0]["source"] != "Idempotency-Key" {
				t.Errorf("%q: %v", k, e)
			}
		}
		if n := h.countItems(t, "CUSTOMER#", "#PROFILE"); n != 2 {
			t.Errorf("%d customers, want 2", n)
		}
	})
	t.Run("failures are not kept", func(t *testing.T) {
		// A refused create stores no answer: its retry runs again (and is refused again).
		for range 2 {
			expect(t, create(keyed(bearer(h.implicit), "k-taken"), "Ann", "ann@example.com"), 409)
		}
	})
	t.Run("without the header", func(t *testing.T) {
		expect(t, create(bearer(h.implicit), "Ann", "ann@example.com"), 409)
	})
}

// answerLost fails the UpdateItem that stores an idempotent answer, as a process that dies
// right after its create's transaction would never make it.
type answerLost struct{ store.API }

func (a answerLost) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if strings.HasPrefix(testenv.Str(in.Key, "PK"), "IDEMPOTENCY#") {
		return nil, errors.New("the process died")
	}
	return a.API.UpdateItem(ctx, in, o...)
}

// TestIdempotencyAnswerLost: when the answer could not be stored after the create (the
// process died in between), the resource exists once and a retry is told to wait (409 with
// Retry-After), never written again.
func TestIdempotencyAnswerLost(t *testing.T) {
	h := newHarness(t)
	_, dying := h.on(h.cfg, answerLost{h.db.Client})
	body := `{"data":{"type":"customer","name":"Dee","email":"dee@example.com"}}`
	first := h.doWith(dying, req{Route: "POST /v2/customers", Headers: keyed(bearer(h.implicit), "lost"), Body: body})
	expect(t, first, 201)
	retry := h.do(req{Route: "POST /v2/customers", Headers: keyed(bearer(h.implicit), "lost"), Body: body})
	expect(t, retry, 409)
	if retry.Headers["Retry-After"] == "" || errorsOf(t, retry)[0]["source"] != "Idempotency-Key" {
		t.Errorf("%v %s", retry.Headers, retry.Body)
	}
	if n := h.countItems(t, "CUSTOMER#", "#PROFILE"); n != 1 {
		t.Errorf("%d customers, want 1", n)
	}
}
