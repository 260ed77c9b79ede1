package customers

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/flows"
	"github.com/acme/customers/pkg/password"
	"github.com/acme/customers/pkg/problem"
)

// Field limits.
const (
	MaxNameLen        = 255  // characters
	MaxEmailLen       = 254  // bytes (RFC 5321)
	MaxEmailLocalLen  = 64   // bytes
	MaxExternalRefLen = 2048 // characters
)

// Input is a validated customer body.
type Input struct {
	Name, Email *string
	Password    *string
	// CurrentPassword proves a customer's identity when they change their email or an
	// existing password (write-only: checked, never stored).
	CurrentPassword *string
	// ExternalRef is meaningful when SetExternalRef: nil means null.
	SetExternalRef bool
	ExternalRef    *string
	// Custom are the values of the schema's fields (on create, with defaults filled in).
	Custom flows.Values
}

// echoed are members the API itself outputs; a client that sends a customer back as it
// read it may include them, and they are ignored (never stored).
var echoed = map[string]bool{"id": true, "meta": true, "links": true, "relationships": true,
	"authentication_mechanism": true}

// attributes are the members a customer body may set.
var attributes = map[string]bool{"type": true, "name": true, "email": true, "password": true,
	"current_password": true, "external_ref": true}

// isMember reports a member of a customer body that is not a custom field.
func isMember(k string) bool { return attributes[k] || echoed[k] }

// maxMembers is the most members a customer body can have, custom fields aside.
var maxMembers = len(attributes) + len(echoed)

// ParseInput validates a customer body: its attributes, and the custom fields of schema
// (the customers flow's). create requires name and email (and the required custom fields);
// pathID, when set, must match a data.id the body carries. Every invalid member is
// reported, one error each.
func ParseInput(o api.Object, create bool, pathID string, schema flows.Schema) (Input, error) {
	var in Input
	var errs problem.List
	if err := o.CheckMembers(maxMembers+len(schema.Fields), "a customer"); err != nil {
		return in, err
	}
	if t, ok, err := o.String("type"); !ok || err != nil || t != "customer" {
		if !ok {
			errs = append(errs, problem.Invalid("data.type", "The data.type field is required."))
		} else {
			errs = append(errs, problem.Invalid("data.type", `The data.type field must be "customer".`))
		}
	}
	str := func(name string, required bool) *string {
		s, ok, err := o.String(name)
		switch {
		case !ok && required:
			errs = append(errs, problem.Invalid("data."+name, "The data."+name+" field is required."))
		case err != nil:
			errs = append(errs, problem.Invalid("data."+name, "The data."+name+" field must be a string."))
		case ok:
			return &s
		}
		return nil
	}
	if in.Name = str("name", create); in.Name != nil {
		if err := CheckName(*in.Name); err != nil {
			errs = append(errs, err)
		}
	}
	if in.Email = str("email", create); in.Email != nil {
		e := strings.TrimSpace(*in.Email)
		in.Email = &e
		if err := CheckEmail(e, "data.email"); err != nil {
			errs = append(errs, err)
		}
	}
	// A customer read from the API says "password": true|false; sent back as it was read,
	// that boolean is the output form and is ignored. A new password is a string.
	if isBool(o["password"]) {
		delete(o, "password")
	}
	if in.Password = str("password", false); in.Password != nil {
		if err := CheckPassword(*in.Password, "data.password"); err != nil {
			errs = append(errs, err)
		}
	}
	if in.CurrentPassword = str("current_password", false); in.CurrentPassword != nil &&
		len(*in.CurrentPassword) > auth.MaxPasswordLen {
		// No password can be that long: refuse without a bcrypt comparison.
		errs = append(errs, problem.Invalid("data.current_password", "The data.current_password field must be at most 72 bytes."))
	}
	if o.Has("external_ref") {
		in.SetExternalRef = true
		if !o.IsNull("external_ref") {
			if in.ExternalRef = str("external_ref", false); in.ExternalRef != nil &&
				utf8.RuneCountInString(*in.ExternalRef) > MaxExternalRefLen {
				errs = append(errs, problem.Invalid("data.external_ref", "The data.external_ref field must be at most 2048 characters."))
			}
		}
	}
	if pathID != "" && o.Has("id") {
		if s, _, err := o.String("id"); err != nil || s != pathID {
			errs = append(errs, problem.Invalid("data.id", "The data.id field must match the id in the path."))
		}
	}
	custom, cerrs := schema.Read(o, create, problem.Invalid)
	in.Custom, errs = custom, append(errs, cerrs...)
	for _, k := range o.Keys() {
		switch {
		case attributes[k] || echoed[k] || schema.Has(k):
		default:
			name := "data." + problem.Quote(k)
			errs = append(errs, problem.Invalid(name, "The "+name+" field is not a customer attribute."))
		}
	}
	return in, errs.Err()
}

func isBool(raw []byte) bool {
	t := strings.TrimSpace(string(raw))
	return t == "true" || t == "false"
}

// CheckName validates a customer's name: not blank, at most 255 characters, no control
// characters.
func CheckName(s string) *problem.Error {
	switch {
	case strings.TrimSpace(s) == "":
		return problem.Invalid("data.name", "The data.name field is required.")
	case utf8.RuneCountInString(s) > MaxNameLen:
		return problem.Invalid("data.name", "The data.name field must be at most 255 characters.")
	case hasControl(s):
		return problem.Invalid("data.name", "The data.name field must not contain control characters.")
	}
	return nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

// CheckEmail validates an email address (api.IsEmail says which).
func CheckEmail(e, source string) *problem.Error {
	switch {
	case e == "":
		return problem.Invalid(source, "The "+source+" field is required.")
	case len(e) > MaxEmailLen:
		return problem.Invalid(source, "The "+source+" field must be at most 254 characters.")
	case !api.IsEmail(e):
		return problem.Invalid(source, "The "+source+" field must be a valid email address.")
	}
	return nil
}

// EmailKey is the normalised form of a valid email that uniqueness and look-ups use.
func EmailKey(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// CheckPassword enforces the length limits in bytes and refuses a common password (sign-up
// and every password change come through here; a log-in does not, so a customer whose
// password became common can still log in and change it). The password is otherwise taken
// exactly as sent (no trimming, no normalisation).
func CheckPassword(p, source string) *problem.Error {
	switch {
	case len(p) < auth.MinPasswordLen:
		return problem.Invalid(source, "The "+source+" field must be at least 8 bytes.")
	case len(p) > auth.MaxPasswordLen:
		return problem.Invalid(source, "The "+source+" field must be at most 72 bytes.")
	case password.Common(p):
		return problem.Invalid(source, "The "+source+" field is a commonly used password; choose another.")
	}
	return nil
}

// Apply returns c with the patch applied, as a store would write it.
func (p Patch) Apply(c *Customer, now time.Time) *Customer {
	n := *c
	if p.Name != nil {
		n.Name = *p.Name
	}
	if p.Email != nil {
		n.Email = *p.Email
	}
	if p.PasswordHash != nil {
		n.PasswordHash, n.HasPassword = *p.PasswordHash, true
		n.TokenGen++
	}
	if p.SetExternalRef {
		n.ExternalRef = p.ExternalRef
	}
	if p.ReplaceCustom {
		n.Custom = p.Custom
	}
	n.Version++
	n.UpdatedAt = now
	return &n
}
