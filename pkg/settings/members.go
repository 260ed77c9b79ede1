package settings

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/acme/customers/pkg/addresses"
	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/money"
	"github.com/acme/customers/pkg/problem"
)

// A member is a setting a PUT may carry: it checks the member's JSON value and, when the
// value is valid, records it in the patch. source names the member in errors.
type member func(source string, raw json.RawMessage, p *Patch) problem.List

// members are the settings a PUT takes, each with its rule; any other member is a 400.
var members = map[string]member{
	"address_mandatory_fields": into(nameSet("address field names", "an address field; the fields are "+strings.Join(addresses.Fields, ", "),
		addresses.IsField, 0), func(p *Patch) **[]string { return &p.AddressMandatoryFields }),
	"page_length":         into(wholeNumber(1, api.MaxLimit), func(p *Patch) **int { return &p.PageLength }),
	"list_child_products": into(boolean, func(p *Patch) **bool { return &p.ListChildProducts }),
	"additional_languages": into(nameSet("ISO 639-1 language codes", `an ISO 639-1 language code (two lower-case letters, such as "fr")`,
		isLanguage, MaxAdditionalLanguages), func(p *Patch) **[]string { return &p.AdditionalLanguages }),
	"calculation_method":             into(oneOf("simple", "line"), func(p *Patch) **string { return &p.CalculationMethod }),
	"include_organization_resources": into(boolean, func(p *Patch) **bool { return &p.IncludeOrganizationResources }),
	"max_addresses_per_customer":     into(orNull(wholeNumber(1, MaxAddressCap)), func(p *Patch) **int { return &p.MaxAddressesPerCustomer }),
	"currency":                       into(oneOf(money.Codes()...), func(p *Patch) **string { return &p.Currency }),
	"currency_limit":                 readOnly,
}

// parse validates a settings body. Every problem is a 400, one entry each.
func parse(o api.Object) (Patch, error) {
	var p Patch
	if err := o.CheckMembers(1+len(members), "a settings object"); err != nil {
		return p, err
	}
	var errs problem.List
	if t, _, _ := o.String("type"); t != "settings" {
		errs = append(errs, api.BadMember("data.type", "enum", `data.type must be one of the following: "settings"`))
	}
	for _, k := range o.Keys() {
		source := "data." + problem.Quote(k)
		m, ok := members[k]
		switch {
		case k == "type":
		case !ok:
			errs = append(errs, api.BadMember(source, "unknown", source+" is not a setting"))
		default:
			errs = append(errs, m(source, o[k], &p)...)
		}
	}
	return p, errs.Err()
}

// A check reads a member's value as a T, or says what is wrong with it.
type check[T any] func(source string, raw json.RawMessage) (T, problem.List)

// into is the member that stores what check reads in the Patch field that field points at.
func into[T any](check check[T], field func(*Patch) **T) member {
	return func(source string, raw json.RawMessage, p *Patch) problem.List {
		v, errs := check(source, raw)
		if errs == nil {
			*field(p) = &v
		}
		return errs
	}
}

// readOnly is a setting the original reports but does not let anyone change: a number is
// accepted and ignored ("attempts to update them fail silently"), so that what GET gives
// can be sent back; anything else is a mistake worth a 400.
func readOnly(source string, raw json.RawMessage, _ *Patch) problem.List {
	if raw = bytes.TrimSpace(raw); len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return nil
	}
	return problem.List{api.BadMember(source, "type", source+" is read-only; only a number is accepted, and ignored")}
}

// one is the check that f makes, which finds at most one problem.
func one[T any](f func(source string, raw json.RawMessage) (T, *problem.Error)) check[T] {
	return func(source string, raw json.RawMessage) (T, problem.List) {
		v, err := f(source, raw)
		if err != nil {
			return v, problem.List{err}
		}
		return v, nil
	}
}

var boolean = one(api.Boolean)

// wholeNumber reads a JSON integer from lo to hi: not "10", 1.5 or 1e2.
func wholeNumber(lo, hi int) check[int] {
	return one(func(source string, raw json.RawMessage) (int, *problem.Error) {
		v, err := api.WholeNumber(source, raw, int64(lo), int64(hi))
		return int(v), err
	})
}

// orNull lets null stand for "none", read as T's zero value.
func orNull[T any](c check[T]) check[T] {
	return func(source string, raw json.RawMessage) (T, problem.List) {
		if string(bytes.TrimSpace(raw)) == "null" {
			var none T
			return none, nil
		}
		return c(source, raw)
	}
}

// oneOf reads a string that is one of values.
func oneOf(values ...string) check[string] {
	quoted := `"` + strings.Join(values, `", "`) + `"`
	return func(source string, raw json.RawMessage) (string, problem.List) {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil || !bytes.HasPrefix(bytes.TrimSpace(raw), []byte(`"`)) {
			return "", problem.List{api.BadMember(source, "type", source+" must be a string, one of "+quoted)}
		}
		for _, ok := range values {
			if v == ok {
				return v, nil
			}
		}
		return "", problem.List{api.BadMember(source, "enum", source+" must be one of the following: "+quoted)}
	}
}

// nameSet reads a list of names that each pass valid, in order, without repeats, and at
// most limit of them (0: no limit beyond what valid allows). Each bad name is its own
// problem.
func nameSet(plural, notOne string, valid func(string) bool, limit int) check[[]string] {
	return func(source string, raw json.RawMessage) ([]string, problem.List) {
		var names []string
		if err := json.Unmarshal(raw, &names); err != nil || names == nil {
			return nil, problem.List{api.BadMember(source, "type", source+" must be a list of "+plural)}
		}
		var errs problem.List
		seen := map[string]bool{}
		clean := []string{}
		for _, n := range names {
			switch {
			case !valid(n):
				errs = append(errs, api.BadMember(source, "enum", `"`+problem.Quote(n)+`" is not `+notOne))
			case !seen[n]:
				seen[n] = true
				clean = append(clean, n)
			}
		}
		if limit > 0 && len(clean) > limit {
			errs = append(errs, api.BadMember(source, "length", source+" may hold at most "+strconv.Itoa(limit)+" "+plural))
		}
		return clean, errs
	}
}
