// Package money is the currencies amounts are kept in: ISO 4217 codes from a small built-in
// table, each with its minor-unit exponent (how many decimal places an amount has) and how
// an amount in it is written. Amounts are whole numbers of minor units (int64): cents for
// USD, yen for JPY, fils for KWD; nothing here ever uses floating point.
package money

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Currency is one currency of the table.
type Currency struct {
	// Code is the ISO 4217 code, three upper-case letters ("USD").
	Code string
	// Exponent is the number of minor-unit digits: 2 for USD (cents), 0 for JPY, 3 for KWD.
	Exponent int
	// prefix is written before an amount: a symbol ("$") or the code and a space ("KWD ").
	prefix string
}

// Default is the currency of a store that never chose one.
const Default = "USD"

// table: exponents from ISO 4217; prefixes as English-locale formatting writes them
// (Intl.NumberFormat("en-US", {style: "currency"})): a symbol where one is unambiguous
// there, the code otherwise.
var table = func() map[string]Currency {
	m := map[string]Currency{}
	for _, c := range []Currency{
		{"USD", 2, "$"}, {"EUR", 2, "€"}, {"GBP", 2, "£"}, {"JPY", 0, "¥"},
		{"CAD", 2, "CA$"}, {"AUD", 2, "A$"}, {"NZD", 2, "NZ$"}, {"HKD", 2, "HK$"},
		{"MXN", 2, "MX$"}, {"BRL", 2, "R$"}, {"INR", 2, "₹"}, {"CNY", 2, "CN¥"},
		{"KRW", 0, "₩"}, {"CHF", 2, "CHF "}, {"SEK", 2, "SEK "}, {"NOK", 2, "NOK "},
		{"DKK", 2, "DKK "}, {"PLN", 2, "PLN "}, {"CZK", 2, "CZK "}, {"SGD", 2, "SGD "},
		{"ZAR", 2, "ZAR "}, {"KWD", 3, "KWD "}, {"BHD", 3, "BHD "}, {"ISK", 0, "ISK "},
	} {
		m[c.Code] = c
	}
	return m
}()

// Lookup returns the currency with that ISO 4217 code (upper case); ok is false for a code
// the table does not have.
func Lookup(code string) (c Currency, ok bool) {
	c, ok = table[code]
	return c, ok
}

// Codes returns the table's codes, sorted.
func Codes() []string { return slices.Sorted(maps.Keys(table)) }

// Format writes an amount of minor units: a minus sign when it is negative, the currency's
// prefix, the whole units, and, unless the exponent is 0, a point and exactly Exponent
// digits; no grouping separators (as the original writes "$4750.00"). USD 1234 is "$12.34",
// JPY 1234 "¥1234", KWD 1234 "KWD 1.234".
func (c Currency) Format(minor int64) string {
	var b strings.Builder
	// The magnitude as unsigned, so that even math.MinInt64 has one.
	mag := uint64(minor)
	if minor < 0 {
		b.WriteByte('-')
		mag = -mag
	}
	b.WriteString(c.prefix)
	digits := strconv.FormatUint(mag, 10)
	if c.Exponent == 0 {
		b.WriteString(digits)
		return b.String()
	}
	if pad := c.Exponent + 1 - len(digits); pad > 0 {
		digits = strings.Repeat("0", pad) + digits
	}
	cut := len(digits) - c.Exponent
	b.WriteString(digits[:cut])
	b.WriteByte('.')
	b.WriteString(digits[cut:])
	return b.String()
}
