package money

import (
	"math"
	"regexp"
	"testing"
)

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		code   string
		amount int64
		want   string
	}{
		{"USD", 1234, "$12.34"},
		{"USD", 0, "$0.00"},
		{"USD", 5, "$0.05"},
		{"USD", 100, "$1.00"},
		{"USD", 475000, "$4750.00"}, // no grouping, as the original
		{"USD", -212, "-$2.12"},
		{"EUR", 1999, "€19.99"},
		{"GBP", 1, "£0.01"},
		{"JPY", 1234, "¥1234"},
		{"JPY", 0, "¥0"},
		{"KRW", 1000000, "₩1000000"},
		{"KWD", 1234, "KWD 1.234"},
		{"KWD", 7, "KWD 0.007"},
		{"BHD", 1000, "BHD 1.000"},
		{"CHF", 995, "CHF 9.95"},
		{"CAD", 100, "CA$1.00"},
		// The largest cart total: 100 lines × 10,000 × 10^11 minor units.
		{"USD", 100_000_000_000_000_000, "$1000000000000000.00"},
		{"JPY", 100_000_000_000_000_000, "¥100000000000000000"},
		{"KWD", 100_000_000_000_000_000, "KWD 100000000000000.000"},
		{"USD", math.MaxInt64, "$92233720368547758.07"},
		{"USD", math.MinInt64, "-$92233720368547758.08"},
	} {
		cur, ok := Lookup(c.code)
		if !ok {
			t.Fatalf("%s is not in the table", c.code)
		}
		if got := cur.Format(c.amount); got != c.want {
			t.Errorf("%s %d: %q, want %q", c.code, c.amount, got, c.want)
		}
	}
}

func TestTable(t *testing.T) {
	code := regexp.MustCompile(`^[A-Z]{3}$`)
	for _, k := range Codes() {
		c, _ := Lookup(k)
		if !code.MatchString(k) || c.Code != k || c.Exponent < 0 || c.Exponent > 3 || c.prefix == "" {
			t.Errorf("%+v", c)
		}
	}
	if _, ok := Lookup(Default); !ok {
		t.Error("the default currency is not in the table")
	}
	for _, k := range []string{"usd", "XXX", "", "US"} {
		if _, ok := Lookup(k); ok {
			t.Errorf("%q found", k)
		}
	}
	want := map[string]int{"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "KWD": 3}
	for k, e := range want {
		if c, _ := Lookup(k); c.Exponent != e {
			t.Errorf("%s exponent %d, want %d", k, c.Exponent, e)
		}
	}
}
