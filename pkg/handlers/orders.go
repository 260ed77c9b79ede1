package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/acme/customers/pkg/addresses"
	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/etag"
	"github.com/acme/customers/pkg/flows"
	"github.com/acme/customers/pkg/money"
	"github.com/acme/customers/pkg/orders"
)

// orderView is an order as the API shows it.
type orderView struct {
	Type            string            `json:"type"`
	ID              string            `json:"id"`
	Status          string            `json:"status"`
	Payment         string            `json:"payment"`
	Shipping        string            `json:"shipping"`
	Customer        orderCustomer     `json:"customer"`
	BillingAddress  map[string]string `json:"billing_address"`
	ShippingAddress map[string]string `json:"shipping_address"`
	ExternalRef     *string           `json:"external_ref"`
	OrderNumber     *string           `json:"order_number"`
	Relationships   orderRelations    `json:"relationships"`
	Meta            orderMeta         `json:"meta"`
}

type orderCustomer struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

type relation struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type orderRelations struct {
	Items struct {
		Data []relation `json:"data"`
	} `json:"items"`
	Customer *struct {
		Data relation `json:"data"`
	} `json:"customer,omitempty"`
	// Cart is the cart the order was checked out from (emptied since).
	Cart struct {
		Data relation `json:"data"`
	} `json:"cart"`
}

// orderPrices are an order's display prices: its total (no tax engine: with and without tax
// alike, tax 0), and where payment stands, as the SDK's Order type reads them: nothing is
// paid or authorized yet, so the balance owing is the total; no discount, no shipping.
type orderPrices struct {
	cartTotals
	Authorized   formatted `json:"authorized"`
	BalanceOwing formatted `json:"balance_owing"`
	Paid         formatted `json:"paid"`
	Discount     formatted `json:"discount"`
	Shipping     formatted `json:"shipping"`
}

func pricesOf(o *orders.Order) orderPrices {
	c := currencyOf(o)
	zero := formatOf(c, 0)
	return orderPrices{cartTotals: totalsOf(c, o.Total), Authorized: zero, BalanceOwing: formatOf(c, o.Total),
		Paid: zero, Discount: zero, Shipping: zero}
}

type orderMeta struct {
	DisplayPrice orderPrices `json:"display_price"`
	Timestamps   struct {
		CreatedAt string `json:"created_at"`
		UpdatedAt string `json:"updated_at"`
	} `json:"timestamps"`
	// RedactedAt: the order's customer was deleted and erased; its name, email and
	// addresses are "[redacted]".
	RedactedAt string `json:"redacted_at,omitempty"`
}

func viewOrder(o *orders.Order) orderView {
	v := orderView{Type: "order", ID: o.ID, Status: o.Status, Payment: o.Payment, Shipping: o.Fulfilment,
		Customer:       orderCustomer{ID: o.Customer.ID, Name: o.Customer.Name, Email: o.Customer.Email},
		BillingAddress: addressFields(o.Billing), ShippingAddress: addressFields(o.Shipping),
		ExternalRef: o.ExternalRef, OrderNumber: o.OrderNumber}
	v.Relationships.Items.Data = make([]relation, len(o.LineIDs))
	for i, id := range o.LineIDs {
		v.Relationships.Items.Data[i] = relation{"item", id}
	}
	if o.Customer.ID != "" {
		v.Relationships.Customer = &struct {
			Data relation `json:"data"`
		}{relation{"customer", o.Customer.ID}}
	}
	v.Relationships.Cart.Data = relation{"cart", o.CartID}
	v.Meta.DisplayPrice = pricesOf(o)
	m := metaOf(o.CreatedAt, o.UpdatedAt)
	v.Meta.Timestamps = m.Timestamps
	if !o.RedactedAt.IsZero() {
		v.Meta.RedactedAt = o.RedactedAt.UTC().Format(time.RFC3339Nano)
	}
	return v
}

// currencyOf is the currency an order was priced in: the store's at its checkout, always
// one of the table's (the settings take no other).
func currencyOf(o *orders.Order) money.Currency {
	c, _ := money.Lookup(o.Currency)
	return c
}

// addressFields is every address field, unset ones "".
func addressFields(values map[string]string) map[string]string {
	out := make(map[string]string, len(addresses.Fields))
	for _, f := range addresses.Fields {
		out[f] = values[f]
	}
	return out
}

// orderKind is how orders are shown, custom fields included.
var orderKind = kind[*orders.Order]{flow: flows.Orders,
	view:   func(_ *api.Request, o *orders.Order) any { return viewOrder(o) },
	custom: func(o *orders.Order) flows.Values { return o.Custom }}

// Checkout is POST /v2/carts/{cartId}/checkout.
func Checkout(d *app.Deps) api.HandlerFunc {
	return withIdempotentBody(d, d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller, body api.Object) (api.Response, error) {
		return orderKind.one(ctx, d, r, http.StatusCreated)(d.Orders.Checkout(ctx, c, r.Param("cartId"), body))
	})
}

// GetOrder is GET /v2/orders/{orderId}.
func GetOrder(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller) (api.Response, error) {
		return orderKind.one(ctx, d, r, http.StatusOK)(d.Orders.Get(ctx, c, r.Param("orderId")))
	})
}

// UpdateOrder is PUT /v2/orders/{orderId}, a partial update by staff.
func UpdateOrder(d *app.Deps) api.HandlerFunc {
	return withBodyMatch(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller, body api.Object, m etag.Match) (api.Response, error) {
		return orderKind.one(ctx, d, r, http.StatusOK)(d.Orders.Update(ctx, c, r.Param("orderId"), body, m))
	})
}

// GetOrderItems is GET /v2/orders/{orderId}/items.
func GetOrderItems(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller) (api.Response, error) {
		o, err := d.Orders.Items(ctx, c, r.Param("orderId"))
		if err != nil {
			return api.Response{}, err
		}
		items := make([]itemView, len(o.Lines))
		for i, l := range o.Lines {
			items[i] = viewItem("order_item", currencyOf(o), l, o.UpdatedAt)
		}
		return api.JSON(http.StatusOK, struct {
			Data []itemView `json:"data"`
		}{items})
	})
}

// ListOrders is GET /v2/orders: a customer's own orders with its token, every order with
// client_credentials; filter, sort (created_at), page.
func ListOrders(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller) (api.Response, error) {
		if !c.Admin() && c.CustomerID == "" {
			return api.Response{}, orders.ErrNoOrders
		}
		var q orders.ListQuery
		if raw, ok, err := r.RawQuery("filter"); err != nil {
			return api.Response{}, err
		} else if ok {
			if q.Filter, err = orders.ParseFilter(raw); err != nil {
				return api.Response{}, err
			}
		}
		page, err := api.ParsePage(ctx, r, d.Settings.PageLength)
		if err != nil {
			return api.Response{}, err
		}
		sort, err := api.ParseSort(r, []string{"created_at"}, api.Sort{Field: "created_at", Desc: true})
		if err != nil {
			return api.Response{}, err
		}
		if q.Cursor, _, err = r.Query(api.CursorParam); err != nil {
			return api.Response{}, err
		}
		q.Desc, q.Limit, q.Offset = sort.Desc, page.Limit, page.Offset
		res, err := d.Orders.List(ctx, c, q)
		if err != nil {
			return api.Response{}, err
		}
		views, err := orderKind.all(ctx, d, r, res.Orders)
		if err != nil {
			return api.Response{}, err
		}
		return api.List(r, views, page, api.Result{Total: res.Total, Exact: res.Exact, Next: res.Next})
	})
}
