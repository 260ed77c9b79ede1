package handlers

import (
	"strconv"

	"github.com/acme/customers/pkg/orders"
)

// PROVISIONAL: replaced by the carts branch's price rendering at merge.

type moneyView struct {
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
	Formatted string `json:"formatted"`
}

type displayPrice struct {
	WithTax    moneyView `json:"with_tax"`
	WithoutTax moneyView `json:"without_tax"`
}

func priceOf(amount int64, currency string) displayPrice {
	m := moneyView{amount, currency, strconv.FormatInt(amount, 10)}
	return displayPrice{m, m}
}

type lineView struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	Name     string `json:"name"`
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"`
}

func viewLine(typ string, l orders.Line, currency string) lineView {
	return lineView{typ, l.ID, l.Name, l.SKU, l.Quantity}
}
