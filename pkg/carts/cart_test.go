package carts

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/problem"
)

func TestCheckID(t *testing.T) {
	for id, ok := range map[string]bool{
		"a": true, "AZaz09_-": true, strings.Repeat("x", MaxIDLen): true,
		"": false, strings.Repeat("x", MaxIDLen+1): false, "a.b": false, "a b": false, "a/b": false,
		"é": false, "a#b": false, "a\x00": false,
	} {
		err := CheckID(id)
		if (err == nil) != ok {
			t.Errorf("%q: %v", id, err)
		}
		if err != nil && (!problem.Is(err, problem.BadRequest) || err.(*problem.Error).Source != "cartId") {
			t.Errorf("%q: %#v", id, err)
		}
	}
}

func TestTotalAndOrder(t *testing.T) {
	t0 := time.Unix(1000, 0)
	c := &Cart{Lines: []Line{
		{ID: "c", Quantity: 3, Amount: 333, CreatedAt: t0.Add(time.Second)},
		{ID: "b", Quantity: 1, Amount: 1, CreatedAt: t0},
		{ID: "a", Quantity: 2, Amount: 0, CreatedAt: t0},
	}}
	if c.Total() != 1000 {
		t.Errorf("total %d", c.Total())
	}
	c.Sort()
	if c.Lines[0].ID != "a" || c.Lines[1].ID != "b" || c.Lines[2].ID != "c" {
		t.Errorf("order %v", c.Lines)
	}
	full := &Cart{}
	for range MaxLines {
		full.Lines = append(full.Lines, Line{Quantity: MaxQuantity, Amount: MaxAmount})
	}
	if full.Total() != MaxTotal || MaxTotal != 100_000_000_000_000_000 {
		t.Errorf("largest total %d", full.Total())
	}
	if (&Cart{}).Total() != 0 {
		t.Error("an empty cart totals something")
	}
}

func object(t *testing.T, s string) api.Object {
	t.Helper()
	var o api.Object
	if err := json.Unmarshal([]byte(s), &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestParseNew(t *testing.T) {
	l, err := ParseNew(object(t, `{"type":"custom_item","name":"N","quantity":3,"price":{"amount":100000000000}}`))
	if err != nil || l != (Line{Name: "N", Quantity: 3, Amount: MaxAmount, IncludesTax: true}) {
		t.Errorf("%+v %v", l, err)
	}
	l, err = ParseNew(object(t, `{"type":"custom_item","name":"N","sku":"S","description":null,"quantity":10000,"price":{"amount":0,"includes_tax":false},"id":"ignored","meta":{}}`))
	if err != nil || l != (Line{Name: "N", SKU: "S", Quantity: MaxQuantity, Amount: 0}) {
		t.Errorf("%+v %v", l, err)
	}
	var list problem.List
	if _, err := ParseNew(object(t, `{"type":"custom_item","name":"N","quantity":1,"price":{"amount":1,"x":1,"y":2}}`)); !errors.As(err, &list) || len(list) != 1 || list[0].Source != "data.price" {
		t.Errorf("%v", err)
	}
}

func TestParsePatch(t *testing.T) {
	const item = "0193a000-0000-7000-8000-000000000000"
	p, err := ParsePatch(object(t, `{"type":"cart_item","id":"`+item+`","quantity":null,"price":{"includes_tax":false}}`), item)
	if err != nil || p.Quantity != nil || p.Amount != nil || p.IncludesTax == nil || *p.IncludesTax || p.Name != nil {
		t.Errorf("%+v %v", p, err)
	}
	p, err = ParsePatch(object(t, `{"type":"custom_item","sku":null,"quantity":7}`), item)
	if err != nil || p.SKU == nil || *p.SKU != "" || p.Quantity == nil || *p.Quantity != 7 {
		t.Errorf("%+v %v", p, err)
	}
	if _, err := ParsePatch(object(t, `{"type":"cart_item","id":"other","quantity":1}`), item); err == nil {
		t.Error("an id other than the path's was accepted")
	}
}
