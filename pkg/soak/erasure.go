package soak

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/acme/customers/pkg/store"
)

// The reconciliation of deleted customers: after the final cleanup, each must be erased
// as README's "Scheduled cleanup" says (and testenv.Erasure holds pkg/cleanup's tests to):
// nothing of it left but its orders, redacted, and none of its personal values anywhere.
// testenv.Erasure itself does not fit a run under load: it compares the whole table with
// a snapshot taken before the cleanup, which the clients change meanwhile.

// erasedCustomers are the ledger's customers that must be erased: every acknowledged
// delete, and the unanswered ones that were applied (the customer is not live: a delete
// that never came leaves it live and untouched, the live customers' checks hold it).
func erasedCustomers(t *table, led *ledger) map[string]bool {
	gone := map[string]bool{}
	for _, cu := range led.Customers {
		if cu.Deleted || cu.DeleteUnsure && t.customers[cu.ID] == nil {
			gone[cu.ID] = true
		}
	}
	return gone
}

// reconcileErasure checks that every customer in gone is erased, that no tombstone is left
// (the final cleanup came after every delete), and that no item holds an erased
// customer's personal value; and reports the unanswered deletes and the idempotency
// records that still hold such values.
func reconcileErasure(t *table, led *ledger, gone map[string]bool) []*Check {
	erased := &Check{Name: "deleted customers erased after the final cleanup: no profile, tombstone, email claim, address or history link; their orders there, redacted"}
	erased.Checked = len(t.deleted)
	for id := range t.deleted {
		erased.fail("customer %s is still a tombstone", id)
	}
	claimed := map[string]string{} // customer id -> an email claim naming it
	for email, cl := range t.claims {
		claimed[cl.str("customer_id")] = email
	}
	orders := map[string][]string{} // customer id -> its orders in the table
	for id, it := range t.orders {
		orders[it.str("customer_id")] = append(orders[it.str("customer_id")], id)
	}
	marks := map[string]string{} // lower-cased personal value -> whose
	unanswered, applied := 0, 0
	for _, cu := range led.Customers {
		if cu.DeleteUnsure {
			unanswered++
		}
		if !gone[cu.ID] {
			continue
		}
		if cu.DeleteUnsure {
			applied++
		}
		erased.Checked++
		id := cu.ID
		if t.customers[id] != nil {
			erased.fail("customer %s, deleted, is live", id)
		}
		if n := len(t.addresses[id]); n > 0 {
			erased.fail("customer %s, erased, has %d addresses left", id, n)
		}
		if n := len(t.links[id]); n > 0 {
			erased.fail("customer %s, erased, has %d history links left", id, n)
		}
		if email, ok := claimed[id]; ok {
			erased.fail("customer %s, erased, holds the claim on %s", id, email)
		}
		for _, oid := range orders[id] {
			if why := unredacted(t.orders[oid]); why != "" {
				erased.fail("order %s of erased customer %s: %s", oid, id, why)
			}
		}
		for _, m := range cu.marks() {
			if m != "" {
				marks[strings.ToLower(m)] = id
			}
		}
	}

	left := &Check{Name: "no item holds an erased customer's name, email, external_ref or address, idempotency records of its keyed requests included (log-in windows aside: they expire by TTL)"}
	for _, it := range t.all {
		pk := it.str("PK")
		if strings.HasPrefix(pk, "LOGIN#") {
			// Keyed by an email anyone may type: a log-in with an erased customer's email
			// (the workload's own check after a delete) makes one, which TTL deletes.
			continue
		}
		left.Checked++
		if m, whose := it.holds(marks); m != "" {
			left.fail("%s|%s holds %q of erased customer %s", pk, it.str("SK"), m, whose)
		}
	}
	return []*Check{erased, left,
		{Name: fmt.Sprintf("unanswered customer deletes (%d) that were applied, the customer erased (%d); the others live, untouched", unanswered, applied), Info: true}}
}

// unredacted says how an erased customer's order still holds personal data ("" if not):
// the erasure makes its name and email store.Redacted, every non-empty field of its
// addresses too, and sets redacted_at.
func unredacted(it item) string {
	if it.str("redacted_at") == "" || it.str("customer_name") != store.Redacted || it.str("customer_email") != store.Redacted {
		return fmt.Sprintf("not redacted (name %q, email %q, redacted_at %q)", it.str("customer_name"), it.str("customer_email"), it.str("redacted_at"))
	}
	for _, a := range []string{"billing_address", "shipping_address"} {
		fields, _ := it[a].(map[string]any)
		for _, f := range slices.Sorted(maps.Keys(fields)) {
			if v, _ := fields[f].(string); v != "" && v != store.Redacted {
				return fmt.Sprintf("%s.%s is %q", a, f, v)
			}
		}
	}
	return ""
}

// holds returns the first of marks that one of the item's strings holds as a whole word
// (between characters no mark has: '#', the key separator, quotes of a stored JSON answer),
// in any case, and whose mark it is. Whole words, so that "Shopper 01-5" is not found in
// "Shopper 01-50".
func (it item) holds(marks map[string]string) (string, string) {
	var found, whose string
	var walk func(v any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case string:
			for _, w := range strings.FieldsFunc(strings.ToLower(v), notInMark) {
				if id, ok := marks[strings.TrimSpace(w)]; ok {
					found, whose = w, id
					return false
				}
			}
		case map[string]any:
			for k, e := range v {
				if !walk(k) || !walk(e) {
					return false
				}
			}
		case []any:
			for _, e := range v {
				if !walk(e) {
					return false
				}
			}
		}
		return true
	}
	walk(map[string]any(it))
	return found, whose
}

// notInMark reports the characters no mark holds: the workload's names, emails,
// external_refs and address markers are letters, digits, spaces and "@._-".
func notInMark(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(" @._-", r)
}
