package carts

import (
	"encoding/json"
	"strings"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/problem"
)

// attributes are the members an item body may set besides type; echoed are members the
// API outputs, ignored when a client sends an item back as it read it.
var (
	attributes = map[string]bool{"name": true, "sku": true, "description": true, "quantity": true, "price": true}
	echoed     = map[string]bool{"id": true, "links": true, "meta": true, "relationships": true, "slug": true,
		"image": true, "manage_stock": true, "unit_price": true, "value": true}
)

// maxMembers is the most members an item body can have.
var maxMembers = 1 + len(attributes) + len(echoed)

// priceMembers are the members of data.price.
var priceMembers = map[string]bool{"amount": true, "includes_tax": true}

// ParseNew validates the body of an item added to a cart: a custom_item with a name, a
// quantity and price.amount; sku and description default to "" and price.includes_tax to
// true (as the original's). Every bad member is its own 400, named by its source.
func ParseNew(o api.Object) (Line, error) {
	if err := o.CheckMembers(maxMembers, "a cart item"); err != nil {
		return Line{}, err
	}
	p, errs := parse(o, "")
	if t, _, _ := o.String("type"); t != "custom_item" {
		errs = append(errs, api.BadMember("data.type", "enum",
			`data.type must be "custom_item": only custom items can be added to a cart here (there is no catalog)`))
	}
	if !o.Has("name") {
		errs = append(errs, required("data.name"))
	}
	if !o.Has("quantity") {
		errs = append(errs, required("data.quantity"))
	}
	if !o.Has("price") {
		errs = append(errs, required("data.price"))
	} else if p.Amount == nil && !hasPriceError(errs) {
		errs = append(errs, required("data.price.amount"))
	}
	if len(errs) > 0 {
		return Line{}, errs
	}
	l := Line{Name: *p.Name, Quantity: *p.Quantity, Amount: *p.Amount, IncludesTax: true}
	set(&l.SKU, p.SKU)
	set(&l.Description, p.Description)
	set(&l.IncludesTax, p.IncludesTax)
	return l, nil
}

// ParsePatch validates the body of an item update, a partial one: the type is the
// original's "cart_item" (what the SDK's UpdateItem sends) or "custom_item", and a data.id
// must be the path's. A null quantity, which the SDK sends when UpdateItem is given none,
// leaves the quantity as it is.
func ParsePatch(o api.Object, itemID string) (Patch, error) {
	if err := o.CheckMembers(maxMembers, "a cart item"); err != nil {
		return Patch{}, err
	}
	p, errs := parse(o, itemID)
	if t, _, _ := o.String("type"); t != "cart_item" && t != "custom_item" {
		errs = append(errs, api.BadMember("data.type", "enum", `data.type must be one of the following: "cart_item", "custom_item"`))
	}
	return p, errs.Err()
}

func set[T any](dst, v *T) {
	if v != nil {
		*dst = *v
	}
}

func required(source string) *problem.Error {
	return api.BadMember(source, "required", source+" is required")
}

// hasPriceError reports whether errs already say what is wrong with data.price.
func hasPriceError(errs problem.List) bool {
	for _, e := range errs {
		if strings.HasPrefix(e.Source, "data.price") {
			return true
		}
	}
	return false
}

// parse reads the members an item body may carry, for an add (pathID "") or an update.
func parse(o api.Object, pathID string) (Patch, problem.List) {
	var p Patch
	var errs problem.List
	add := func(err *problem.Error) bool {
		if err != nil {
			errs = append(errs, err)
		}
		return err == nil
	}
	text := func(k string, max int, dst **string) {
		if o.IsNull(k) && k != "name" { // null clears an optional text
			empty := ""
			*dst = &empty
			return
		}
		v, err := api.Text("data."+k, o[k], max, "")
		if k == "name" && err == nil && strings.TrimSpace(v) == "" {
			err = required("data.name")
		}
		if add(err) {
			*dst = &v
		}
	}
	for _, k := range o.Keys() {
		switch {
		case k == "type":
		case k == "id": // an update's must be the path's; an add's is ignored, as the others echoed
			if s, _, err := o.String("id"); pathID != "" && (err != nil || s != pathID) {
				add(api.BadMember("data.id", "mismatch", "data.id must match the item id in the path"))
			}
		case echoed[k]:
		case k == "name":
			text(k, MaxNameLen, &p.Name)
		case k == "sku":
			text(k, MaxSKULen, &p.SKU)
		case k == "description":
			text(k, MaxDescriptionLen, &p.Description)
		case k == "quantity":
			if pathID != "" && o.IsNull(k) {
				continue
			}
			if v, err := api.WholeNumber("data.quantity", o[k], 1, MaxQuantity); add(err) {
				p.Quantity = &v
			}
		case k == "price":
			errs = append(errs, parsePrice(o[k], &p)...)
		default:
			add(api.BadMember("data."+problem.Quote(k), "unknown", "data."+problem.Quote(k)+" is not a member of a cart item"))
		}
	}
	return p, errs
}

// parsePrice reads data.price: {"amount": <minor units>, "includes_tax": <bool>}.
func parsePrice(raw json.RawMessage, p *Patch) problem.List {
	var price api.Object
	if err := json.Unmarshal(raw, &price); err != nil || price == nil {
		return problem.List{api.BadMember("data.price", "type", `data.price must be an object: {"amount": <whole minor units>, "includes_tax": <boolean>}`)}
	}
	if err := price.CheckMembersAt("data.price", len(priceMembers), "a price"); err != nil {
		l, _ := problem.Problems(err)
		return l
	}
	var errs problem.List
	for _, k := range price.Keys() {
		source := "data.price." + problem.Quote(k)
		switch k {
		case "amount":
			v, err := api.WholeNumber(source, price[k], 0, MaxAmount)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			p.Amount = &v
		case "includes_tax":
			v, err := api.Boolean(source, price[k])
			if err != nil {
				errs = append(errs, err)
				continue
			}
			p.IncludesTax = &v
		default:
			errs = append(errs, api.BadMember(source, "unknown", source+" is not a member of a price"))
		}
	}
	return errs
}
