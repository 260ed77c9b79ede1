package addresses

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/etag"
	"github.com/acme/customers/pkg/flows"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/problem"
)

// Field length limits, in characters.
const (
	MaxFieldLen        = 255
	MaxInstructionsLen = 1024
)

// Service carries out the address endpoints' rules.
type Service struct {
	store   Store
	schemas *flows.Schemas
	rules   func(context.Context) (Rules, error)
	now     func() time.Time
}

// NewService wires a Service; rules returns the store's current address rules, schemas
// the addresses flow's fields.
func NewService(s Store, rules func(context.Context) (Rules, error), schemas *flows.Schemas) *Service {
	return &Service{store: s, rules: rules, schemas: schemas, now: func() time.Time { return time.Now().UTC() }}
}

// isMember reports a member of an address body that is not a custom field.
func isMember(k string) bool { return k == "type" || echoed[k] || IsField(k) }

// owner authorises caller on customerID's addresses and returns the write guard. An id that
// cannot exist is a 404 without a database call.
func owner(c auth.Caller, customerID string) (Owner, error) {
	if err := customers.Authorize(c, customerID); err != nil {
		return Owner{}, err
	}
	if !id.Valid(customerID) {
		return Owner{}, customers.ErrNotFound
	}
	return OwnerOf(c, customerID), nil
}

// explain turns a missing owner into what caller should hear: a customer whose token names
// a customer that no longer exists holds a dead token (403); anyone else gets 404.
func explain(c auth.Caller, err error) error {
	if c.CustomerID != "" && errors.Is(err, customers.ErrNotFound) {
		return customers.ErrRevoked
	}
	return err
}

// List returns a page of the customer's addresses, oldest first.
func (s *Service) List(ctx context.Context, c auth.Caller, customerID string, limit, offset int, cursor string) (Page, error) {
	o, err := owner(c, customerID)
	if err != nil {
		return Page{}, err
	}
	p, err := s.store.Addresses(ctx, o, limit, offset, cursor)
	return p, explain(c, err)
}

// Create adds an address; the store's mandatory fields must be present and not empty, and
// the customer below the store's cap, if it has one.
func (s *Service) Create(ctx context.Context, c auth.Caller, customerID string, body api.Object) (*Address, error) {
	o, err := owner(c, customerID)
	if err != nil {
		return nil, err
	}
	in, err := s.read(ctx, body, "", true)
	if err != nil {
		return nil, err
	}
	now := s.now()
	a := &Address{ID: id.NewOrdered(), CustomerID: customerID, Values: map[string]string{}, Custom: in.custom, Version: 1, CreatedAt: now, UpdatedAt: now}
	for _, f := range Fields {
		a.Values[f] = in.values[f]
	}
	if err := s.store.CreateAddress(ctx, o, a, in.rules.MaxPerCustomer); err != nil {
		return nil, explain(c, err)
	}
	return a, nil
}

// Get reads one address. Another customer's address id under this customer's path is
// simply not found.
func (s *Service) Get(ctx context.Context, c auth.Caller, customerID, addressID string) (*Address, error) {
	o, err := owner(c, customerID)
	if err != nil {
		return nil, err
	}
	if !id.Valid(addressID) {
		return nil, ErrNotFound
	}
	a, err := s.store.Address(ctx, o, addressID)
	return a, explain(c, err)
}

// input is an address body read against the store's rules and the addresses flow.
type input struct {
	rules  Rules
	schema flows.Schema
	values map[string]string // the fields the body sets
	custom flows.Values
}

// read checks an address body (pathID: the address it updates, "" on create) against the
// store's address rules and the addresses flow's fields.
func (s *Service) read(ctx context.Context, body api.Object, pathID string, create bool) (in input, err error) {
	if in.rules, err = s.rules(ctx); err != nil {
		return in, err
	}
	if in.schema, err = s.schemas.ForBody(ctx, flows.Addresses, body, isMember); err != nil {
		return in, err
	}
	if in.values, in.custom, err = parse(body, pathID, in.schema, create); err != nil {
		return in, err
	}
	return in, Missing(in.values, in.rules.Mandatory, create, "data").Err()
}

// Update changes the fields the body names; a mandatory field cannot be blanked. With
// If-Match (m), the address must be at a version it names: the address read must be, and
// the write is at its version.
func (s *Service) Update(ctx context.Context, c auth.Caller, customerID, addressID string, body api.Object, m etag.Match) (*Address, error) {
	o, err := owner(c, customerID)
	if err != nil {
		return nil, err
	}
	if !id.Valid(addressID) {
		return nil, ErrNotFound
	}
	in, err := s.read(ctx, body, addressID, false)
	if err != nil {
		return nil, err
	}
	cur, err := s.store.Address(ctx, o, addressID)
	if err != nil {
		return nil, explain(c, err)
	}
	if err := m.Check(addressID, cur.Version); err != nil {
		return nil, err
	}
	next := make(map[string]string, len(Fields))
	for _, f := range Fields {
		next[f] = cur.Values[f]
		if v, ok := in.values[f]; ok {
			next[f] = v
		}
	}
	a, err := s.store.UpdateAddress(ctx, o, cur, next, in.schema.Prune(cur.Custom.Merge(in.custom)), s.now())
	return a, m.Refused(addressID, explain(c, err))
}

// Delete removes an address; with If-Match (m), only if it is at a version m names (in the
// delete's condition).
func (s *Service) Delete(ctx context.Context, c auth.Caller, customerID, addressID string, m etag.Match) error {
	o, err := owner(c, customerID)
	if err != nil {
		return err
	}
	if !id.Valid(addressID) {
		return ErrNotFound
	}
	return m.Refused(addressID, explain(c, s.store.DeleteAddress(ctx, o, addressID, m.Versions(addressID))))
}

// Missing reports each of the mandatory fields that values leaves blank (all: also those it
// does not set), one 400 each, under source (the address object's place in the body).
func Missing(values map[string]string, mandatory []string, all bool, source string) problem.List {
	var errs problem.List
	for _, f := range mandatory {
		if v, ok := values[f]; (ok || all) && strings.TrimSpace(v) == "" {
			errs = append(errs, &problem.Error{Kind: problem.BadRequest, Title: "required", Detail: f + " is required", Source: source})
		}
	}
	return errs
}

func bad(field, title, detail string) *problem.Error {
	return api.BadMember("data."+field, title, detail)
}

// Values validates an object of address fields, wherever in a body it stands (source: its
// place, e.g. "data.billing_address"), and returns the fields it sets (null sets ""). An
// address may stand there as the API shows it: its type ("address") and the members the API
// outputs (id, links, meta, relationships) are ignored, as the address endpoints ignore them;
// any other member is refused. Every problem is its own 400; an object with more members
// than an address can have is one, and no values (nil).
func Values(o api.Object, source string) (map[string]string, problem.List) {
	if err := o.CheckMembersAt(source, 1+len(echoed)+len(Fields), "an address"); err != nil {
		l, _ := problem.Problems(err)
		return nil, l
	}
	values := map[string]string{}
	var errs problem.List
	for _, k := range o.Keys() {
		switch {
		case echoed[k]:
		case k == "type":
			if t, _, _ := o.String("type"); t != "address" {
				errs = append(errs, api.BadMember(source+".type", "enum", source+`.type must be "address" when given`))
			}
		default:
			if err := fieldValue(o, k, source, values); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return values, errs
}

// fieldValue validates member k of o, an address object at source, into values.
func fieldValue(o api.Object, k, source string, values map[string]string) *problem.Error {
	switch {
	case !IsField(k):
		return api.BadMember(source+"."+problem.Quote(k), "unknown", problem.Quote(k)+" is not an address field")
	case o.IsNull(k):
		values[k] = ""
		return nil
	}
	limit, allow := MaxFieldLen, ""
	if k == "instructions" {
		limit, allow = MaxInstructionsLen, "\n\r\t"
	}
	v, err := api.Text(source+"."+k, o[k], limit, allow)
	if err != nil {
		return err
	}
	values[k] = v
	return nil
}

// echoed are members the API outputs; sent back as read, they are ignored.
var echoed = map[string]bool{"id": true, "links": true, "meta": true, "relationships": true}

// parse validates an address body and returns the fields it sets (null sets "") and the
// custom values of schema's fields (on create with their defaults). pathID, when set, must
// match a data.id the body carries. Address errors are 400s, one per problem.
func parse(o api.Object, pathID string, schema flows.Schema, create bool) (map[string]string, flows.Values, error) {
	values := map[string]string{}
	var errs problem.List
	if err := o.CheckMembers(1+len(echoed)+len(Fields)+len(schema.Fields), "an address"); err != nil {
		return nil, nil, err
	}
	custom, cerrs := schema.Read(o, create, customBad)
	errs = append(errs, cerrs...)
	if t, _, _ := o.String("type"); t != "address" {
		errs = append(errs, bad("type", "enum", `data.type must be one of the following: "address"`))
	}
	if pathID != "" && o.Has("id") {
		if s, _, err := o.String("id"); err != nil || s != pathID {
			errs = append(errs, bad("id", "mismatch", "data.id must match the id in the path"))
		}
	}
	for _, k := range o.Keys() {
		if k == "type" || echoed[k] || schema.Has(k) {
			continue
		}
		if err := fieldValue(o, k, "data", values); err != nil {
			errs = append(errs, err)
		}
	}
	return values, custom, errs.Err()
}

// customBad is the 400 of a custom field's bad value.
func customBad(source, detail string) *problem.Error { return api.BadMember(source, "invalid", detail) }
