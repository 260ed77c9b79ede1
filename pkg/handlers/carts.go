package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/carts"
	"github.com/acme/customers/pkg/money"
)

// Carts take any valid access token and ignore a customer token (Tokens.Application):
// whoever knows a cart's id may use it, as in the original, and a shopper whose customer
// token has expired keeps their cart.

// formatted is an amount as the original's display prices show it.
type formatted struct {
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
	Formatted string `json:"formatted"`
}

func formatOf(c money.Currency, amount int64) formatted {
	return formatted{Amount: amount, Currency: c.Code, Formatted: c.Format(amount)}
}

// price is a unit price or a line's value, as sent: includes_tax is the line's.
type price struct {
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	IncludesTax bool   `json:"includes_tax"`
}

type unitAndValue struct {
	Unit  formatted `json:"unit"`
	Value formatted `json:"value"`
}

// cartTotals are a cart's display prices. No tax engine: with and without tax are both the
// sum of the lines' values, and the tax is 0.
type cartTotals struct {
	WithTax    formatted `json:"with_tax"`
	WithoutTax formatted `json:"without_tax"`
	Tax        formatted `json:"tax"`
}

type cartTimestamps struct {
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	ExpiresAt string `json:"expires_at"`
}

type cartMeta struct {
	DisplayPrice cartTotals     `json:"display_price"`
	Timestamps   cartTimestamps `json:"timestamps"`
}

// itemView is a line as the original shows a custom item: the fields a catalog item would
// fill (slug, image) are empty.
type itemView struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	SKU         string `json:"sku"`
	Slug        string `json:"slug"`
	Image       struct {
		MimeType string `json:"mime_type"`
		FileName string `json:"file_name"`
		Href     string `json:"href"`
	} `json:"image"`
	Quantity    int64    `json:"quantity"`
	ManageStock bool     `json:"manage_stock"`
	UnitPrice   price    `json:"unit_price"`
	Value       price    `json:"value"`
	Links       struct{} `json:"links"`
	Meta        struct {
		DisplayPrice struct {
			WithTax    unitAndValue `json:"with_tax"`
			WithoutTax unitAndValue `json:"without_tax"`
			Tax        unitAndValue `json:"tax"`
		} `json:"display_price"`
		Timestamps struct {
			CreatedAt string `json:"created_at"`
			UpdatedAt string `json:"updated_at"`
		} `json:"timestamps"`
	} `json:"meta"`
}

// cartTimes are the cart's timestamps. A cart never written has none; it shows the time of
// the request for all three, as the original's new carts do.
func cartTimes(c *carts.Cart) cartTimestamps {
	created, updated, expires := c.CreatedAt, c.UpdatedAt, c.ExpiresAt
	if c.Version == 0 {
		now := time.Now()
		created, updated, expires = now, now, now
	}
	return cartTimestamps{CreatedAt: created.UTC().Format(time.RFC3339Nano), UpdatedAt: updated.UTC().Format(time.RFC3339Nano),
		ExpiresAt: expires.UTC().Format(time.RFC3339Nano)}
}

func metaOfCart(p carts.Priced) cartMeta {
	return cartMeta{DisplayPrice: totalsOf(p.Currency, p.Total()), Timestamps: cartTimes(p.Cart)}
}

// viewItem shows a line of a cart ("custom_item") or of an order ("order_item") priced in
// c; updated is its cart's or order's last change.
func viewItem(typ string, c money.Currency, l carts.Line, updated time.Time) itemView {
	v := itemView{ID: l.ID, Type: typ, Name: l.Name, Description: l.Description, SKU: l.SKU, Quantity: l.Quantity,
		UnitPrice: price{l.Amount, c.Code, l.IncludesTax}, Value: price{l.Value(), c.Code, l.IncludesTax}}
	amounts := unitAndValue{Unit: formatOf(c, l.Amount), Value: formatOf(c, l.Value())}
	v.Meta.DisplayPrice.WithTax, v.Meta.DisplayPrice.WithoutTax = amounts, amounts
	v.Meta.DisplayPrice.Tax = unitAndValue{Unit: formatOf(c, 0), Value: formatOf(c, 0)}
	// Lines keep when they were added; their last change is their cart's (order's).
	v.Meta.Timestamps.CreatedAt = l.CreatedAt.UTC().Format(time.RFC3339Nano)
	v.Meta.Timestamps.UpdatedAt = updated.UTC().Format(time.RFC3339Nano)
	return v
}

// totalsOf are display prices of a total in c: no tax engine, so with and without tax are
// the same and the tax 0.
func totalsOf(c money.Currency, total int64) cartTotals {
	t := formatOf(c, total)
	return cartTotals{WithTax: t, WithoutTax: t, Tax: formatOf(c, 0)}
}

// cartItems renders a cart's items with its totals (what the original answers to every
// item request), or the error that came instead.
func cartItems(status int) func(carts.Priced, error) (api.Response, error) {
	return func(p carts.Priced, err error) (api.Response, error) {
		if err != nil {
			return api.Response{}, err
		}
		items := make([]itemView, len(p.Lines))
		for i, l := range p.Lines {
			items[i] = viewItem("custom_item", p.Currency, l, p.UpdatedAt)
		}
		return api.JSON(status, struct {
			Data []itemView `json:"data"`
			Meta cartMeta   `json:"meta"`
		}{items, metaOfCart(p)})
	}
}

// cart renders a cart, or the error that came instead.
func cart(r *api.Request) func(carts.Priced, error) (api.Response, error) {
	return func(p carts.Priced, err error) (api.Response, error) {
		if err != nil {
			return api.Response{}, err
		}
		type ref struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}
		type view struct {
			ID               string `json:"id"`
			Type             string `json:"type"`
			Name             string `json:"name"`
			Description      string `json:"description"`
			DiscountSettings struct {
				CustomDiscountsEnabled bool `json:"custom_discounts_enabled"`
			} `json:"discount_settings"`
			Links         selfLink `json:"links"`
			Meta          cartMeta `json:"meta"`
			Relationships struct {
				Items struct {
					Data []ref `json:"data"`
				} `json:"items"`
			} `json:"relationships"`
		}
		v := view{ID: p.ID, Type: "cart", Name: "Cart", Links: selfLink{Self: r.BaseURL() + "/v2/carts/" + p.ID}, Meta: metaOfCart(p)}
		v.Relationships.Items.Data = make([]ref, len(p.Lines))
		for i, l := range p.Lines {
			v.Relationships.Items.Data[i] = ref{"custom_item", l.ID}
		}
		return api.Data(http.StatusOK, v)
	}
}

// GetCart is GET /v2/carts/{cartId}: a cart never written is an empty cart.
func GetCart(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Application, func(ctx context.Context, r *api.Request, _ auth.Caller) (api.Response, error) {
		return cart(r)(d.Carts.Get(ctx, r.Param("cartId")))
	})
}

// ListCartItems is GET /v2/carts/{cartId}/items: every line (at most carts.MaxLines), oldest
// first, with the cart's totals.
func ListCartItems(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Application, func(ctx context.Context, r *api.Request, _ auth.Caller) (api.Response, error) {
		return cartItems(http.StatusOK)(d.Carts.Get(ctx, r.Param("cartId")))
	})
}

// AddCartItem is POST /v2/carts/{cartId}/items with a custom item: 201 with the cart's
// items. With an Idempotency-Key, a retried add adds once.
func AddCartItem(d *app.Deps) api.HandlerFunc {
	return withIdempotentBody(d, d.Tokens.Application, func(ctx context.Context, r *api.Request, _ auth.Caller, body api.Object) (api.Response, error) {
		return cartItems(http.StatusCreated)(d.Carts.Add(ctx, r.Param("cartId"), body))
	})
}

// UpdateCartItem is PUT /v2/carts/{cartId}/items/{itemId}, a partial update: 200 with the
// cart's items.
func UpdateCartItem(d *app.Deps) api.HandlerFunc {
	return withBody(d.Tokens.Application, func(ctx context.Context, r *api.Request, _ auth.Caller, body api.Object) (api.Response, error) {
		return cartItems(http.StatusOK)(d.Carts.Update(ctx, r.Param("cartId"), r.Param("itemId"), body))
	})
}

// DeleteCartItem is DELETE /v2/carts/{cartId}/items/{itemId}: 200 with the items left, as
// the original's "Remove Cart Item" answers and the SDK's RemoveItem reads.
func DeleteCartItem(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Application, func(ctx context.Context, r *api.Request, _ auth.Caller) (api.Response, error) {
		return cartItems(http.StatusOK)(d.Carts.Remove(ctx, r.Param("cartId"), r.Param("itemId")))
	})
}

// EmptyCart is DELETE /v2/carts/{cartId}/items: 204, as the original's "Delete all Cart
// Items".
func EmptyCart(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Application, func(ctx context.Context, r *api.Request, _ auth.Caller) (api.Response, error) {
		if err := d.Carts.Empty(ctx, r.Param("cartId")); err != nil {
			return api.Response{}, err
		}
		return api.NoContent()
	})
}
