package testenv

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Items reads every item of the table: a consistent Scan in 4 parallel segments, every page.
func (d *DB) Items(t testing.TB) []map[string]types.AttributeValue {
	t.Helper()
	const segments = 4
	var (
		mu    sync.Mutex
		all   []map[string]types.AttributeValue
		wg    sync.WaitGroup
		first error
	)
	for seg := range segments {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := dynamodb.NewScanPaginator(d.Client, &dynamodb.ScanInput{TableName: &d.Table, ConsistentRead: aws.Bool(true),
				Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(segments)})
			for p.HasMorePages() {
				out, err := p.NextPage(context.Background())
				mu.Lock()
				if err != nil {
					first = err
					mu.Unlock()
					return
				}
				all = append(all, out.Items...)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
	return all
}

// Str is the string attribute name of an item ("" when it has none).
func Str(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// Render renders an item as text, attributes in name order and maps nested, to compare
// items and to look for values in them.
func Render(item map[string]types.AttributeValue) string {
	names := make([]string, 0, len(item))
	for k := range item {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, "%s=%s;", k, renderValue(item[k]))
	}
	return b.String()
}

func renderValue(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprint(v.Value)
	case *types.AttributeValueMemberM:
		return "{" + Render(v.Value) + "}"
	case *types.AttributeValueMemberL:
		parts := make([]string, 0, len(v.Value))
		for _, e := range v.Value {
			parts = append(parts, renderValue(e))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return fmt.Sprintf("%T", v)
}

// Snapshot is every item of the table, rendered, by "PK|SK".
func (d *DB) Snapshot(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, it := range d.Items(t) {
		out[Str(it, "PK")+"|"+Str(it, "SK")] = Render(it)
	}
	return out
}

// Erasure is what the table must look like after the cleanup erased some customers.
type Erasure struct {
	// Erased are the ids of the customers that must be erased.
	Erased map[string]bool
	// Before is the table's Snapshot before the cleanup ran.
	Before map[string]string
	// Marks are values of the erased customers' personal data (as seed.Spec.Mark puts
	// them in); no item may hold one, in any case.
	Marks []string
	// Redacted is the marker that replaces personal data in orders (store.Redacted).
	Redacted string
}

// owner is the customer an item belongs to: the one whose partition it is in, or whose id
// it carries (addresses, orders, email claims); "" for none (settings, counts, carts, log-in
// windows).
func owner(k, rendered string) string {
	pk, _, _ := strings.Cut(k, "|")
	if id, ok := strings.CutPrefix(pk, "CUSTOMER#"); ok {
		return id
	}
	if strings.HasPrefix(rendered, "customer_id=") || strings.Contains(rendered, ";customer_id=") {
		_, rest, _ := strings.Cut(";"+rendered, ";customer_id=")
		id, _, _ := strings.Cut(rest, ";")
		return id
	}
	return ""
}

// Check walks the whole table and holds it to e: nothing of an erased customer is left but
// its orders (their order and lines items), redacted (name and email Redacted, every
// address field Redacted or empty, redacted_at set); no item holds a mark (in any case)
// unless it belongs to a customer who was not erased (a new sign-up may have re-used an
// erased customer's email); and every item that belonged to no erased customer is as it
// was before, none gone and none new (count shards, which the erasure does not touch but
// seeding may, excepted). It returns how many orders of erased customers it found.
func (e Erasure) Check(t testing.TB, d *DB) int {
	t.Helper()
	lowMarks := make([]string, len(e.Marks))
	for i, m := range e.Marks {
		lowMarks[i] = strings.ToLower(m)
	}
	orders, errs := 0, 0
	report := func(format string, args ...any) {
		if errs++; errs <= 10 {
			t.Errorf(format, args...)
		}
	}
	after := map[string]string{}
	for _, it := range d.Items(t) {
		pk, sk, r := Str(it, "PK"), Str(it, "SK"), Render(it)
		k := pk + "|" + sk
		who := owner(k, r)
		if who == "" || e.Erased[who] {
			for _, m := range lowMarks {
				if strings.Contains(strings.ToLower(r), m) {
					report("%s holds an erased customer's data (%s): %s", k, m, r)
				}
			}
		}
		if strings.HasPrefix(pk, "COUNT#") {
			continue
		}
		if !e.Erased[who] {
			after[k] = r
			continue
		}
		if !strings.HasPrefix(pk, "ORDER#") {
			report("%s of an erased customer remains: %s", k, r)
			continue
		}
		if sk != "ORDER" {
			continue
		}
		orders++
		if Str(it, "customer_name") != e.Redacted || Str(it, "customer_email") != e.Redacted || Str(it, "redacted_at") == "" {
			report("order %s not redacted: %s", k, r)
		}
		for _, a := range []string{"billing_address", "shipping_address"} {
			m, _ := it[a].(*types.AttributeValueMemberM)
			if m == nil {
				report("order %s has no %s", k, a)
				continue
			}
			for f, v := range m.Value {
				if s := renderValue(v); s != "" && s != e.Redacted {
					report("order %s: %s.%s is %q", k, a, f, s)
				}
			}
		}
	}
	for k, was := range e.Before {
		if strings.HasPrefix(k, "COUNT#") || e.Erased[owner(k, was)] {
			continue
		}
		now, ok := after[k]
		switch {
		case !ok:
			report("%s, no erased customer's, is gone", k)
		case now != was:
			report("%s, no erased customer's, changed:\nbefore %s\nafter  %s", k, was, now)
		}
		delete(after, k)
	}
	for k := range after {
		report("%s appeared", k)
	}
	if errs > 10 {
		t.Errorf("... %d problems in all", errs)
	}
	return orders
}
