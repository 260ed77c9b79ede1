package customers

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/acme/customers/pkg/filter"
	"github.com/acme/customers/pkg/flows"
)

// maxSortKey is DynamoDB's limit on a sort key, in bytes.
const maxSortKey = 1024

// keyText is the part of a filter value the store may put in an index key condition
// (pkg/store/keys.go): an email's lower-case form, a name or an id as given, each followed
// by a one-byte separator. An external_ref is hashed into its key and a time has a fixed
// width, so neither has one.
func keyText(field, v string) (string, bool) {
	switch field {
	case "email":
		return EmailKey(v) + "\x1f", true
	case "name", "id":
		return v + "\x1f", true
	}
	return "", false
}

// FuzzParseFilter: whatever ParseFilter accepts is valid UTF-8, within its field's limit,
// and makes a key DynamoDB takes.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"eq(email,ron+x@y.com)", "like(name,*son*)", "gt(id,a):lt(id,b)", "eq(external_ref,crm:1)",
		"like(name," + strings.Repeat("%FF", 400) + "*)", "ilike(email,\xc3*)", "in(name,a,%ED%A0%80)",
		"eq(email," + strings.Repeat("Ⱥ", 127) + ")", "like(name," + strings.Repeat("é", 510) + "*)",
		"eq(id," + strings.Repeat("a", 37) + ")", "eq(external_ref," + strings.Repeat("x", 8000) + ")",
		"gt(created_at,9999-12-31):le(updated_at,253402300799999)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := ParseFilter(raw, flows.Schema{})
		if err != nil {
			return
		}
		for _, e := range got {
			for _, v := range e.Values {
				if !utf8.ValidString(v) {
					t.Fatalf("accepted a %s value that is not valid UTF-8: %.40q", e.Field, v)
				}
				if limit := FilterSchema[e.Field].MaxLen; limit > 0 && len(v) > limit {
					t.Fatalf("accepted a %d-byte %s value", len(v), e.Field)
				}
				if k, ok := keyText(e.Field, v); ok && len(k) > maxSortKey {
					t.Fatalf("a %s value makes a %d-byte key", e.Field, len(k))
				}
			}
			if FilterSchema[e.Field].Kind == filter.Time && len(e.Times) != len(e.Values) {
				t.Fatalf("times %+v", e)
			}
		}
	})
}

func TestCustomFilter(t *testing.T) {
	schema := flows.Schema{Fields: []*flows.Field{
		{ID: "t", Slug: "tier", Type: flows.String}, {ID: "p", Slug: "points", Type: flows.Integer},
		{ID: "d", Slug: "discount", Type: flows.Float}, {ID: "v", Slug: "vip", Type: flows.Boolean},
		{ID: "b", Slug: "birthday", Type: flows.Date}, {ID: "c", Slug: "crm-id", Type: flows.String},
	}}
	ann := &Customer{Name: "Ann", Custom: flows.Values{"t": "Gold", "p": float64(50), "d": 0.25, "v": true, "b": "1980-05-01", "c": "A-1"}}
	bob := &Customer{Name: "Bob", Custom: flows.Values{"p": int64(-3)}}
	cy := &Customer{Name: "Cy", Custom: flows.Values{"b": "1980-05-01 10:00:00"}}
	for raw, want := range map[string]string{
		"eq(tier,Gold)": "Ann", "eq(tier,gold)": "", "ilike(tier,gold)": "Ann", "like(tier,G*)": "Ann", "in(tier,x,Gold)": "Ann",
		"eq(points,50)": "Ann", "gt(points,49)": "Ann", "ge(points,50)": "Ann", "lt(points,50)": "Bob", "le(points,-3)": "Bob",
		"gt(points,50)": "", "eq(points,-3)": "Bob",
		"lt(discount,0.3)": "Ann", "ge(discount,0.25)": "Ann", "gt(discount,0.25)": "",
		"eq(vip,true)": "Ann", "eq(vip,false)": "",
		// A day bound is the whole day; a bound with a time compares with the time.
		"eq(birthday,1980-05-01)": "Ann,Cy", "gt(birthday,1980-04-30)": "Ann,Cy", "lt(birthday,1980-05-01)": "",
		"le(birthday,1980-05-01)": "Ann,Cy", "gt(birthday,1980-05-01)": "",
		"gt(birthday,1980-05-01 09:00:00)": "Cy", "lt(birthday,1980-05-01 09:00:00)": "Ann",
		"eq(crm-id,A-1)": "Ann", "eq(name,Bob):lt(points,0)": "Bob",
	} {
		f, err := ParseFilter(raw, schema)
		if err != nil {
			t.Errorf("%s: %v", raw, err)
			continue
		}
		var got []string
		for _, c := range []*Customer{ann, bob, cy} {
			if Matches(c, f) {
				got = append(got, c.Name)
			}
		}
		if strings.Join(got, ",") != want {
			t.Errorf("%s: %v, want %s", raw, got, want)
		}
	}
	for _, raw := range []string{"eq(points,1.5)", "eq(discount,x)", "eq(vip,1)", "eq(birthday,2024-02-30)", "gt(tier,a)", "eq(unknown,1)", "like(points,1*)"} {
		if _, err := ParseFilter(raw, schema); err == nil {
			t.Errorf("%s: accepted", raw)
		}
	}
	if _, err := ParseFilter("eq(tier,gold)", flows.Schema{}); err == nil {
		t.Error("a custom field without the schema")
	}
}
