package orders

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/acme/customers/pkg/addresses"
	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/carts"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/flows"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/money"
	"github.com/acme/customers/pkg/problem"
	"github.com/acme/customers/pkg/safe"
)

// Rules are the store settings checkout obeys.
type Rules struct {
	Mandatory []string       // address fields an order's addresses must have
	Currency  money.Currency // the store currency orders are priced in
	Schema    flows.Schema   // the orders flow's fields (the service fills it in)
}

// Service carries out the checkout and order endpoints' rules.
type Service struct {
	store     Store
	customers *customers.Service
	rules     func(context.Context) (Rules, error)
	schemas   *flows.Schemas
	now       func() time.Time
}

// NewService wires a Service; rules returns the store's current settings.
func NewService(s Store, c *customers.Service, rules func(context.Context) (Rules, error), schemas *flows.Schemas) *Service {
	return &Service{store: s, customers: c, rules: rules, schemas: schemas, now: func() time.Time { return time.Now().UTC() }}
}

// MaxRefLen bounds external_ref and order_number (the original: 64 characters).
const MaxRefLen = 64

// checkoutInput is a validated checkout body.
type checkoutInput struct {
	customer          Customer // ID set: a registered customer; else a guest's name and email
	billing, shipping map[string]string
	externalRef       *string
	orderNumber       *string
	custom            flows.Values
}

// Checkout turns a cart into an order: for a registered customer (data.customer.id; a
// customer token may check out only its own customer, client_credentials any) or a guest
// (data.customer.name and .email; never linked to a customer, even one with that email).
// The order keeps the cart's lines and totals as they are, and the cart is emptied in the
// same transaction, so a retried checkout cannot make a second order of the same items.
func (s *Service) Checkout(ctx context.Context, caller auth.Caller, cartID string, o api.Object) (*Order, error) {
	rules, err := s.rules(ctx)
	if err != nil {
		return nil, err
	}
	if rules.Schema, err = s.schemas.ForBody(ctx, flows.Orders, o, func(k string) bool { return checkoutMembers[k] }); err != nil {
		return nil, err
	}
	in, err := parseCheckout(o, rules)
	if err != nil {
		return nil, err
	}
	var g customers.Guard
	if in.customer.ID != "" {
		if !caller.MayActOn(in.customer.ID) {
			return nil, ErrNeedsCustomerToken
		}
		g.TokenGen = caller.TokenGen()
	}
	// The cart and the customer, at once.
	if err := carts.CheckID(cartID); err != nil {
		return nil, err
	}
	var (
		cart    *carts.Cart
		cartErr error
	)
	wait := safe.Go(func() { cart, cartErr = s.store.Cart(ctx, cartID) })
	if in.customer.ID != "" {
		c, err := s.customers.Get(ctx, caller, in.customer.ID)
		if err != nil {
			wait()
			return nil, err
		}
		in.customer.Name, in.customer.Email = c.Name, c.Email
	}
	wait()
	switch {
	case cartErr != nil:
		return nil, cartErr
	case len(cart.Lines) == 0:
		return nil, ErrEmptyCart
	}
	now := s.now()
	ord := &Order{
		ID:          id.NewOrdered(),
		Customer:    in.customer,
		Billing:     in.billing,
		Shipping:    in.shipping,
		Lines:       cart.Lines,
		Currency:    rules.Currency.Code,
		Status:      StatusIncomplete,
		Payment:     PaymentUnpaid,
		Fulfilment:  ShippingPending,
		ExternalRef: in.externalRef,
		OrderNumber: in.orderNumber,
		Custom:      in.custom,
		CartID:      cartID,
		Version:     1,
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	for _, l := range cart.Lines {
		ord.LineIDs = append(ord.LineIDs, l.ID)
		ord.Total += l.Value()
	}
	if err := s.store.PlaceOrder(ctx, ord, cart, g); err != nil {
		if caller.CustomerID != "" && err == customers.ErrNotFound {
			return nil, customers.ErrRevoked
		}
		return nil, err
	}
	return ord, nil
}

// checkoutMembers are what a checkout body may hold ("type" is ignored: the SDK sends none).
var checkoutMembers = map[string]bool{"type": true, "customer": true, "billing_address": true,
	"shipping_address": true, "external_ref": true, "order_number": true}

// parseCheckout validates a checkout body (the orders flow's fields included, with their
// defaults); every problem is its own 400.
func parseCheckout(o api.Object, rules Rules) (checkoutInput, error) {
	var in checkoutInput
	mandatory := rules.Mandatory
	if err := o.CheckMembers(len(checkoutMembers)+len(rules.Schema.Fields), "a checkout"); err != nil {
		return in, err
	}
	custom, errs := rules.Schema.Read(o, true, customBad)
	in.custom = custom
	for _, k := range o.Keys() {
		if !checkoutMembers[k] && !rules.Schema.Has(k) {
			errs = append(errs, bad("data."+problem.Quote(k), "unknown", "data."+problem.Quote(k)+" is not a checkout member"))
		}
	}
	c, cerrs := parseCustomer(o)
	in.customer, errs = c, append(errs, cerrs...)
	for _, a := range []struct {
		name string
		dst  *map[string]string
	}{{"billing_address", &in.billing}, {"shipping_address", &in.shipping}} {
		values, aerrs := parseAddress(o, a.name, mandatory)
		*a.dst, errs = values, append(errs, aerrs...)
	}
	for _, r := range []struct {
		name string
		dst  **string
	}{{"external_ref", &in.externalRef}, {"order_number", &in.orderNumber}} {
		v, err := OptionalRef(o, r.name)
		if err != nil {
			errs = append(errs, err)
		}
		*r.dst = v
	}
	return in, errs.Err()
}

// customBad is the 400 of a custom field's bad value.
func customBad(source, detail string) *problem.Error { return bad(source, "invalid", detail) }

func bad(source, title, detail string) *problem.Error {
	return &problem.Error{Kind: problem.BadRequest, Title: title, Detail: detail, Source: source}
}

// object decodes member name of o as a JSON object; ok is false when it is absent or null.
func object(o api.Object, name string) (obj api.Object, ok bool, err *problem.Error) {
	if !o.Has(name) || o.IsNull(name) {
		return nil, false, nil
	}
	if json.Unmarshal(o[name], &obj) != nil || obj == nil {
		return nil, false, bad("data."+name, "type", "data."+name+" must be an object")
	}
	return obj, true, nil
}

// parseCustomer reads data.customer: {"id": ...} for a registered customer, or {"name":
// ..., "email": ...} for a guest.
func parseCustomer(o api.Object) (Customer, problem.List) {
	c, ok, err := object(o, "customer")
	switch {
	case err != nil:
		return Customer{}, problem.List{err}
	case !ok:
		return Customer{}, problem.List{bad("data", "required",
			`data.customer is required: {"id": "<customer id>"} to check out a customer, or {"name": ..., "email": ...} for a guest`)}
	}
	if err := c.CheckMembersAt("data.customer", 3, "a checkout's customer"); err != nil {
		l, _ := problem.Problems(err)
		return Customer{}, l
	}
	if c.Has("id") {
		v, _, err := c.String("id")
		switch {
		case err != nil || !id.Valid(v):
			return Customer{}, problem.List{bad("data.customer.id", "format", "data.customer.id must be a customer's id")}
		case c.Has("name") || c.Has("email"):
			return Customer{}, problem.List{bad("data.customer", "conflict",
				"data.customer takes either an id (a registered customer) or a name and an email (a guest), not both")}
		}
		return Customer{ID: v}, nil
	}
	var out Customer
	var errs problem.List
	if v, ok, err := c.String("name"); !ok || err != nil || customers.CheckName(v) != nil {
		errs = append(errs, bad("data.customer.name", "format", "data.customer.name must be a name of 1 to 255 characters"))
	} else {
		out.Name = v
	}
	if v, ok, err := c.String("email"); !ok || err != nil || customers.CheckEmail(strings.TrimSpace(v), "data.customer.email") != nil {
		errs = append(errs, bad("data.customer.email", "format", "data.customer.email must be a valid email address"))
	} else {
		out.Email = strings.TrimSpace(v)
	}
	for _, k := range c.Keys() {
		if k != "name" && k != "email" {
			errs = append(errs, bad("data.customer."+problem.Quote(k), "unknown", "data.customer."+problem.Quote(k)+" is not a customer member"))
		}
	}
	return out, errs
}

// parseAddress reads a required address object: its fields as address fields (every field
// present in the result, unset ones ""), and each mandatory one missing its own 400. An
// address as the API shows it (a customer's saved one, as read) is taken as it is.
func parseAddress(o api.Object, name string, mandatory []string) (map[string]string, problem.List) {
	values, ok, errs := addressObject(o, name, mandatory, true)
	if !ok {
		return nil, problem.List{bad("data."+name, "required", "data."+name+" is required")}
	}
	return fill(values), errs
}

// addressObject reads member name of o as an object of address fields: the fields it sets
// (null sets ""), each bad field its own 400 (source data.<name>.<field>), and each mandatory
// field it leaves blank — with all, or leaves out — its own 400 (source data.<name>). ok is
// false when the member is absent or null.
func addressObject(o api.Object, name string, mandatory []string, all bool) (values map[string]string, ok bool, errs problem.List) {
	a, ok, err := object(o, name)
	switch {
	case err != nil:
		return nil, true, problem.List{err}
	case !ok:
		return nil, false, nil
	}
	source := "data." + name
	values, errs = addresses.Values(a, source) // it bounds the members, and takes an address as read
	if values == nil {
		return nil, true, errs
	}
	return values, true, append(errs, addresses.Missing(values, mandatory, all, source)...)
}

// fill returns every address field of values, unset ones "".
func fill(values map[string]string) map[string]string {
	all := make(map[string]string, len(addresses.Fields))
	for _, f := range addresses.Fields {
		all[f] = values[f]
	}
	return all
}

// OptionalRef reads an optional reference string (external_ref, order_number): at most 64
// characters without control characters, or null.
func OptionalRef(o api.Object, name string) (*string, *problem.Error) {
	if !o.Has(name) || o.IsNull(name) {
		return nil, nil
	}
	v, _, err := o.String(name)
	if err != nil || api.CheckText("data."+name, v, MaxRefLen, "") != nil {
		return nil, bad("data."+name, "format", "data."+name+" must be a string of at most 64 characters, or null")
	}
	return &v, nil
}
