package orders

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/etag"
	"github.com/acme/customers/pkg/flows"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/problem"
)

// What staff may set (the original's values): an order's payment, its fulfilment (the
// API's "shipping") and, of its statuses, "cancelled" alone.
const (
	PaymentAuthorized = "authorized"
	PaymentPaid       = "paid"
	PaymentRefunded   = "refunded"
	ShippingFulfilled = "fulfilled"
	StatusCancelled   = "cancelled"
)

var (
	// Payments are the values of an order's payment.
	Payments = []string{PaymentUnpaid, PaymentAuthorized, PaymentPaid, PaymentRefunded}
	// Fulfilments are the values of an order's shipping.
	Fulfilments = []string{ShippingPending, ShippingFulfilled}
	// Statuses are the values an order's status takes here: checkout makes it incomplete,
	// staff may cancel it.
	Statuses = []string{StatusIncomplete, StatusCancelled}
)

// Ref is a new external_ref or order_number; a nil Value clears it.
type Ref struct{ Value *string }

// Patch is a validated order update: the members the body names, nil for the others.
type Patch struct {
	Status, Payment, Fulfilment *string
	ExternalRef, OrderNumber    *Ref
	// Shipping holds the shipping address fields the body sets ("" clears one).
	Shipping map[string]string
	// Custom are the orders flow's fields the body sets (nil clears one).
	Custom flows.Values
	// customer and billing are what the body sends back of the order's customer and billing
	// address, which never change: the same as the order's, they are ignored.
	customer, billing api.Object
}

// Errors of Update.
var (
	ErrStaffOnly = problem.Denied("updating an order needs a client_credentials token without a customer token: " +
		"a shopper cannot change an order")
	ErrStale = &problem.Error{Kind: problem.Conflict, Title: "Conflict",
		Detail: "the order changed while this request was processed; read it and retry"}
)

// Update changes an order, by staff alone (client_credentials without a customer token): its
// payment, its fulfilment (shipping), its status (to "cancelled" only), external_ref,
// order_number and fields of its shipping address, as a partial update. As in the original,
// an order once fulfilled keeps its shipping, shipping address and status, only a paid order
// can be fulfilled, and (ours) a cancelled order is never fulfilled or reopened. The order
// is read, checked and written at the version read: a concurrent change is a 409
// (ErrStale). An update that changes nothing writes nothing. With If-Match (m), the order
// read must be at a version m names (412 otherwise), and so must the order written: a
// concurrent change is then a 412.
func (s *Service) Update(ctx context.Context, caller auth.Caller, orderID string, body api.Object, m etag.Match) (*Order, error) {
	if !caller.Admin() {
		return nil, ErrStaffOnly
	}
	if !id.Valid(orderID) {
		return nil, ErrNotFound
	}
	var rules Rules
	var err error
	if body.Has("shipping_address") { // the store's mandatory fields
		if rules, err = s.rules(ctx); err != nil {
			return nil, err
		}
	}
	if rules.Schema, err = s.schemas.ForBody(ctx, flows.Orders, body, isUpdateMember); err != nil {
		return nil, err
	}
	p, err := parseUpdate(body, orderID, rules)
	if err != nil {
		return nil, err
	}
	cur, err := s.store.Order(ctx, orderID)
	if err != nil {
		return nil, err
	}
	if err := m.Check(orderID, cur.Version); err != nil {
		return nil, err
	}
	next, err := p.apply(cur)
	if err == nil && len(p.Custom) > 0 {
		next.Custom = rules.Schema.Prune(next.Custom)
	}
	switch {
	case err != nil:
		return nil, err
	case same(cur, next):
		return cur, nil
	}
	next.Version, next.UpdatedAt = cur.Version+1, s.now()
	if err := s.store.UpdateOrder(ctx, cur, next); err != nil {
		return nil, m.Refused(orderID, err)
	}
	return next, nil
}

// Members of an update body besides type and id: what it may set; what the API outputs and
// ignores when sent back (computed: totals, timestamps, links, relationships); and order data
// that never changes, ignored when sent back as it is and refused otherwise.
var (
	updateMembers = map[string]bool{"status": true, "payment": true, "shipping": true, "external_ref": true,
		"order_number": true, "shipping_address": true}
	updateEchoed = map[string]bool{"meta": true, "links": true, "relationships": true}
	updateFixed  = map[string]bool{"customer": true, "billing_address": true}
)

// isUpdateMember reports a member of an update body that is not a custom field.
func isUpdateMember(k string) bool {
	return k == "type" || k == "id" || updateMembers[k] || updateEchoed[k] || updateFixed[k]
}

// parseUpdate validates an update body; every problem is its own 400, named by its source.
// mandatory are the store's mandatory address fields, which the shipping address may not
// blank.
func parseUpdate(o api.Object, orderID string, rules Rules) (Patch, error) {
	var p Patch
	mandatory := rules.Mandatory
	if err := o.CheckMembers(2+len(updateMembers)+len(updateEchoed)+len(updateFixed)+len(rules.Schema.Fields), "an order update"); err != nil {
		return p, err
	}
	custom, errs := rules.Schema.Read(o, false, customBad)
	p.Custom = custom
	if t, _, _ := o.String("type"); t != "order" {
		errs = append(errs, bad("data.type", "enum", `data.type must be "order"`))
	}
	oneOf := func(k string, values []string, detail string) *string {
		v, _, err := o.String(k)
		if err != nil || !slices.Contains(values, v) {
			errs = append(errs, bad("data."+k, "enum", detail))
			return nil
		}
		return &v
	}
	for _, k := range o.Keys() {
		switch k {
		case "type":
		case "id":
			if v, _, err := o.String(k); err != nil || v != orderID {
				errs = append(errs, bad("data.id", "mismatch", "data.id must match the order id in the path"))
			}
		case "status":
			p.Status = oneOf(k, Statuses, `data.status can only be set to "cancelled"`)
		case "payment":
			p.Payment = oneOf(k, Payments, "data.payment must be one of "+quoted(Payments))
		case "shipping":
			p.Fulfilment = oneOf(k, Fulfilments, "data.shipping must be one of "+quoted(Fulfilments))
		case "external_ref", "order_number":
			v, err := OptionalRef(o, k)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if k == "external_ref" {
				p.ExternalRef = &Ref{v}
			} else {
				p.OrderNumber = &Ref{v}
			}
		case "shipping_address":
			if o.IsNull(k) {
				errs = append(errs, bad("data.shipping_address", "type", "data.shipping_address must be an object of the address fields to change"))
				continue
			}
			values, _, aerrs := addressObject(o, k, mandatory, false)
			p.Shipping, errs = values, append(errs, aerrs...)
		case "customer", "billing_address":
			obj, ok, err := object(o, k)
			if err == nil && !ok {
				err = immutable(k)
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if k == "customer" {
				p.customer = obj
			} else {
				p.billing = obj
			}
		default:
			if !updateEchoed[k] && !rules.Schema.Has(k) {
				errs = append(errs, bad("data."+problem.Quote(k), "unknown", "data."+problem.Quote(k)+" is not a member an order update takes"))
			}
		}
	}
	return p, errs.Err()
}

func quoted(values []string) string {
	return `"` + strings.Join(values, `", "`) + `"`
}

func immutable(member string) *problem.Error {
	return bad("data."+member, "immutable", "an order's "+member+" cannot change (send it back as it is, or leave it out)")
}

// Problems with an update that the order as read refuses.
func fulfilled(member string) *problem.Error {
	return bad("data."+member, "fulfilled", "the order is fulfilled: its shipping, shipping_address and status can no longer change")
}

var (
	errNotPaid = bad("data.shipping", "not paid",
		`only a paid order can be fulfilled: set data.payment to "paid" first, or in the same request`)
	errCancelledNotFulfilled = bad("data.shipping", "cancelled", "a cancelled order cannot be fulfilled")
	errCancelledStays        = bad("data.status", "cancelled", "a cancelled order stays cancelled")
)

// apply returns the order p makes of cur, or why the order as read refuses it.
func (p Patch) apply(cur *Order) (*Order, error) {
	next := *cur
	var errs problem.List
	if p.customer != nil && !unchanged(p.customer, customerFields(cur.Customer)) {
		errs = append(errs, immutable("customer"))
	}
	if p.billing != nil && !unchanged(p.billing, fill(cur.Billing)) {
		errs = append(errs, immutable("billing_address"))
	}
	if len(p.Custom) > 0 {
		next.Custom = cur.Custom.Merge(p.Custom)
	}
	set(&next.Status, p.Status)
	set(&next.Payment, p.Payment)
	set(&next.Fulfilment, p.Fulfilment)
	if p.ExternalRef != nil {
		next.ExternalRef = p.ExternalRef.Value
	}
	if p.OrderNumber != nil {
		next.OrderNumber = p.OrderNumber.Value
	}
	next.Shipping = fill(cur.Shipping)
	maps.Copy(next.Shipping, p.Shipping)

	// The original's rules: a fulfilled order keeps its shipping, shipping address and
	// status; only a paid order is fulfilled. Ours: a cancelled order is never fulfilled,
	// and stays cancelled.
	done := cur.Fulfilment == ShippingFulfilled
	if next.Status != cur.Status {
		switch {
		case done:
			errs = append(errs, fulfilled("status"))
		case next.Status != StatusCancelled:
			errs = append(errs, errCancelledStays)
		}
	}
	if next.Fulfilment != cur.Fulfilment {
		switch {
		case done:
			errs = append(errs, fulfilled("shipping"))
		case next.Status == StatusCancelled:
			errs = append(errs, errCancelledNotFulfilled)
		case next.Payment != PaymentPaid:
			errs = append(errs, errNotPaid)
		}
	}
	if done && !maps.Equal(next.Shipping, fill(cur.Shipping)) {
		errs = append(errs, fulfilled("shipping_address"))
	}
	return &next, errs.Err()
}

func set[T any](dst, v *T) {
	if v != nil {
		*dst = *v
	}
}

// same reports whether next changes nothing of cur that an update may change.
func same(cur, next *Order) bool {
	return cur.Status == next.Status && cur.Payment == next.Payment && cur.Fulfilment == next.Fulfilment &&
		sameRef(cur.ExternalRef, next.ExternalRef) && sameRef(cur.OrderNumber, next.OrderNumber) &&
		maps.Equal(fill(cur.Shipping), next.Shipping) && reflect.DeepEqual(cur.Custom.Merge(nil), next.Custom.Merge(nil))
}

func sameRef(a, b *string) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// customerFields is an order's customer as the API shows it.
func customerFields(c Customer) map[string]string {
	f := map[string]string{"name": c.Name, "email": c.Email}
	if c.ID != "" {
		f["id"] = c.ID
	}
	return f
}

// unchanged reports whether every member of sent is one of have's with the same value (null
// standing for "", as an unset address field).
func unchanged(sent api.Object, have map[string]string) bool {
	for _, k := range sent.Keys() {
		v, _, err := sent.String(k)
		want, known := have[k]
		if !known || (err != nil && !sent.IsNull(k)) || v != want {
			return false
		}
	}
	return true
}
