package store_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/carts"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/store"
	"github.com/acme/customers/pkg/testenv"
)

// cartStore is a store on a fresh table.
func cartStore(t *testing.T) (*testenv.DB, *store.Store, context.Context) {
	db := testenv.NewDB(t)
	return db, store.New(db.Client, db.Table), context.Background()
}

func newLine(name string, quantity, amount int64, at time.Time) carts.Line {
	return carts.Line{ID: id.NewOrdered(), Name: name, SKU: "sku-" + name, Description: "about " + name,
		Quantity: quantity, Amount: amount, IncludesTax: true, CreatedAt: at}
}

func addLine(t *testing.T, s *store.Store, cartID string, l carts.Line) *carts.Cart {
	t.Helper()
	c, err := s.AddLine(context.Background(), cartID, l, l.CreatedAt)
	if err != nil {
		t.Fatalf("add %s: %v", l.Name, err)
	}
	return c
}

// rawCartKey is the key of a cart's item, as checkout will know it.
func rawCartKey(cartID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "CART#" + cartID}, "SK": &types.AttributeValueMemberS{Value: "CART"}}
}

// cartItem reads the cart's item as stored.
func cartItem(t *testing.T, db *testenv.DB, cartID string) map[string]types.AttributeValue {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &db.Table, ConsistentRead: aws.Bool(true), Key: rawCartKey(cartID)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func num(item map[string]types.AttributeValue, name string) int64 {
	v, _ := item[name].(*types.AttributeValueMemberN)
	if v == nil {
		return -1
	}
	n, _ := strconv.ParseInt(v.Value, 10, 64)
	return n
}

// TestCartLayout holds the cart item to the layout checkout reads: one item per cart,
// version and n, one line:<id> map per line, the TTL attribute.
func TestCartLayout(t *testing.T) {
	db, s, ctx := cartStore(t)
	now := time.Now().UTC()

	c, err := s.Cart(ctx, "never")
	if err != nil || c.ID != "never" || c.Version != 0 || len(c.Lines) != 0 || !c.CreatedAt.IsZero() {
		t.Fatalf("a cart never written: %+v %v", c, err)
	}
	if len(db.Items(t)) != 0 {
		t.Fatal("reading a cart wrote something")
	}

	a := newLine("a", 2, 1999, now)
	b := newLine("b", 1, 5, now.Add(time.Millisecond))
	addLine(t, s, "c1", a)
	c = addLine(t, s, "c1", b)
	if c.Version != 2 || len(c.Lines) != 2 || c.Lines[0] != a || c.Lines[1] != b {
		t.Fatalf("after two adds: %+v", c)
	}
	all := db.Items(t)
	if len(all) != 1 {
		t.Fatalf("%d items for one cart", len(all))
	}
	it := all[0]
	if testenv.Str(it, "PK") != "CART#c1" || testenv.Str(it, "SK") != "CART" || testenv.Str(it, "type") != "cart" || num(it, "version") != 2 || num(it, "n") != 2 {
		t.Errorf("cart item %v", it)
	}
	var names []string
	for k := range it {
		names = append(names, k)
	}
	slices.Sort(names)
	want := []string{"PK", "SK", "created_at", "expires_at", "line:" + a.ID, "line:" + b.ID, "n", "type", "updated_at", "version", "write_token"}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("attributes %v, want %v", names, want)
	}
	line, _ := it["line:"+a.ID].(*types.AttributeValueMemberM)
	if line == nil {
		t.Fatalf("line:%s is not a map: %v", a.ID, it["line:"+a.ID])
	}
	members := slices.Sorted(maps.Keys(line.Value))
	if !slices.Equal(members, []string{"amount", "created_at", "description", "id", "includes_tax", "name", "quantity", "sku"}) {
		t.Errorf("line members %v", members)
	}
	if testenv.Str(line.Value, "id") != a.ID || num(line.Value, "quantity") != 2 || num(line.Value, "amount") != 1999 {
		t.Errorf("line %v", line.Value)
	}
	if exp := num(it, "expires_at"); exp != b.CreatedAt.Add(carts.Lifetime).Unix() {
		t.Errorf("expires_at %d, want 7 days after the last change (%d)", exp, b.CreatedAt.Add(carts.Lifetime).Unix())
	}
	if !c.CreatedAt.Equal(a.CreatedAt) || !c.UpdatedAt.Equal(b.CreatedAt) {
		t.Errorf("created %v, updated %v", c.CreatedAt, c.UpdatedAt)
	}
	// Empty strings are kept as such.
	e := newLine("e", 1, 0, now.Add(2*time.Millisecond))
	e.SKU, e.Description = "", ""
	if c = addLine(t, s, "c1", e); c.Lines[2] != e {
		t.Errorf("%+v, want %+v", c.Lines[2], e)
	}
	if got, err := s.Cart(ctx, "c1"); err != nil || !slices.Equal(got.Lines, c.Lines) || got.Version != 3 {
		t.Errorf("read back %+v %v", got, err)
	}
}

func TestCartLines(t *testing.T) {
	db, s, ctx := cartStore(t)
	now := time.Now().UTC()
	// Lines list oldest first whatever their ids, then by id.
	late := newLine("late", 1, 1, now.Add(time.Second))
	early := newLine("early", 1, 1, now)
	tie := newLine("tie", 1, 1, now)
	addLine(t, s, "c", late)
	addLine(t, s, "c", early)
	c := addLine(t, s, "c", tie)
	first, second := early, tie
	if tie.ID < early.ID {
		first, second = tie, early
	}
	if c.Lines[0].ID != first.ID || c.Lines[1].ID != second.ID || c.Lines[2].ID != late.ID {
		t.Errorf("order %v", c.Lines)
	}

	t.Run("update sets only what the patch names", func(t *testing.T) {
		q, name := int64(7), "Renamed"
		c, err := s.UpdateLine(ctx, "c", late.ID, carts.Patch{Quantity: &q, Name: &name}, now.Add(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := c.Lines[2]
		if got.Quantity != 7 || got.Name != "Renamed" || got.SKU != late.SKU || got.Amount != 1 || !got.CreatedAt.Equal(late.CreatedAt) || c.Version != 4 {
			t.Errorf("%+v (version %d)", got, c.Version)
		}
		empty, amount, tax := "", int64(0), false
		c, err = s.UpdateLine(ctx, "c", late.ID, carts.Patch{SKU: &empty, Description: &empty, Amount: &amount, IncludesTax: &tax}, now.Add(3*time.Second))
		if got := c.Lines[2]; err != nil || got.SKU != "" || got.Description != "" || got.Amount != 0 || got.IncludesTax || got.Quantity != 7 {
			t.Errorf("%+v %v", got, err)
		}
	})
	t.Run("a missing line is not found and nothing changes", func(t *testing.T) {
		before := cartItem(t, db, "c")
		q := int64(1)
		for _, target := range []struct{ cart, line string }{{"c", id.New()}, {"no-such-cart", late.ID}} {
			if _, err := s.UpdateLine(ctx, target.cart, target.line, carts.Patch{Quantity: &q}, now); !errors.Is(err, carts.ErrLineNotFound) {
				t.Errorf("update %v: %v, want ErrLineNotFound", target, err)
			}
			if _, err := s.RemoveLine(ctx, target.cart, target.line, now); !errors.Is(err, carts.ErrLineNotFound) {
				t.Errorf("remove %v: %v, want ErrLineNotFound", target, err)
			}
		}
		if after := cartItem(t, db, "c"); num(after, "version") != num(before, "version") || num(after, "expires_at") != num(before, "expires_at") {
			t.Error("a refused change changed the cart")
		}
		if len(db.Items(t)) != 1 {
			t.Error("a change to a cart not stored created it")
		}
	})
	t.Run("remove uncounts", func(t *testing.T) {
		c, err := s.RemoveLine(ctx, "c", early.ID, now.Add(4*time.Second))
		if err != nil || len(c.Lines) != 2 || num(cartItem(t, db, "c"), "n") != 2 {
			t.Fatalf("%+v %v", c, err)
		}
		if _, err := s.RemoveLine(ctx, "c", early.ID, now); !errors.Is(err, carts.ErrLineNotFound) {
			t.Errorf("removed twice: %v", err)
		}
	})
	t.Run("empty deletes the item; a new cart starts over", func(t *testing.T) {
		read, _ := s.Cart(ctx, "c")
		if err := s.EmptyCart(ctx, "c"); err != nil {
			t.Fatal(err)
		}
		if len(db.Items(t)) != 0 {
			t.Fatal("the cart item is still there")
		}
		if err := s.EmptyCart(ctx, "c"); err != nil {
			t.Errorf("emptying an empty cart: %v", err)
		}
		c := addLine(t, s, "c", newLine("again", 1, 1, time.Now().UTC()))
		if c.Version != 1 || len(c.Lines) != 1 || c.CreatedAt.Equal(read.CreatedAt) {
			t.Errorf("%+v", c)
		}
	})
}

// TestCartAsRead: a checkout deletes the cart under the condition that it is the cart it
// read, which a cart emptied and filled again to the same version is not.
func TestCartAsRead(t *testing.T) {
	db, s, ctx := cartStore(t)
	deleteAsRead := func(c *carts.Cart) error {
		action, err := s.DeleteCartAsRead(c)
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{action}})
		return err
	}
	addLine(t, s, "c", newLine("a", 1, 100, time.Now().UTC()))
	read, _ := s.Cart(ctx, "c")
	if err := s.EmptyCart(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	addLine(t, s, "c", newLine("b", 1, 100_000, time.Now().UTC()))
	again, _ := s.Cart(ctx, "c")
	if again.Version != read.Version {
		t.Fatalf("versions %d and %d: the case this guards against needs them equal", again.Version, read.Version)
	}
	var tce *types.TransactionCanceledException
	if err := deleteAsRead(read); !errors.As(err, &tce) {
		t.Errorf("deleting the cart as first read: %v, want a cancelled transaction", err)
	}
	addLine(t, s, "c", newLine("c", 1, 1, time.Now().UTC()))
	if err := deleteAsRead(again); !errors.As(err, &tce) {
		t.Errorf("deleting a cart changed since: %v, want a cancelled transaction", err)
	}
	now, _ := s.Cart(ctx, "c")
	if err := deleteAsRead(now); err != nil {
		t.Errorf("deleting the cart as read: %v", err)
	}
	if len(db.Items(t)) != 0 {
		t.Error("the cart is still there")
	}
}

// TestExpiredCart: DynamoDB deletes an expired item some time after its expires_at; until
// then it is a cart that no longer exists.
func TestExpiredCart(t *testing.T) {
	db, s, ctx := cartStore(t)
	old := time.Now().UTC().Add(-carts.Lifetime - time.Hour)
	stale := newLine("stale", 3, 100, old)
	addLine(t, s, "c", stale) // expires_at is an hour ago

	if c, err := s.Cart(ctx, "c"); err != nil || c.Version != 0 || len(c.Lines) != 0 {
		t.Errorf("an expired cart reads %+v %v, want an empty cart", c, err)
	}
	q := int64(1)
	if _, err := s.UpdateLine(ctx, "c", stale.ID, carts.Patch{Quantity: &q}, time.Now()); !errors.Is(err, carts.ErrLineNotFound) {
		t.Errorf("update in an expired cart: %v", err)
	}
	if _, err := s.RemoveLine(ctx, "c", stale.ID, time.Now()); !errors.Is(err, carts.ErrLineNotFound) {
		t.Errorf("remove from an expired cart: %v", err)
	}
	db.Calls().Reset()
	fresh := newLine("fresh", 1, 5, time.Now().UTC())
	c := addLine(t, s, "c", fresh)
	if c.Version != 1 || len(c.Lines) != 1 || c.Lines[0].ID != fresh.ID || !c.CreatedAt.Equal(fresh.CreatedAt) {
		t.Errorf("an add to an expired cart: %+v, want a new cart with the new line alone", c)
	}
	if calls := db.Calls().ByOp(); calls["UpdateItem"] != 2 || calls["DeleteItem"] != 1 || len(calls) != 2 {
		t.Errorf("calls %v, want the add, the removal of the expired cart, the add again", calls)
	}
}

// TestLargestCart: a cart of MaxLines lines with every text at its longest, in characters
// of 4 bytes, fits in one DynamoDB item (at most 400 KB), and its total at the largest
// quantity and price is exact.
func TestLargestCart(t *testing.T) {
	db, s, ctx := cartStore(t)
	now := time.Now().UTC()
	wide := func(n int) string { return strings.Repeat("𝄞", n) } // 4 bytes in UTF-8
	for i := range carts.MaxLines {
		l := carts.Line{ID: id.NewOrdered(), Name: wide(carts.MaxNameLen), SKU: wide(carts.MaxSKULen), Description: wide(carts.MaxDescriptionLen),
			Quantity: carts.MaxQuantity, Amount: carts.MaxAmount, CreatedAt: now.Add(time.Duration(i) * time.Microsecond)}
		addLine(t, s, "big", l)
	}
	if _, err := s.AddLine(ctx, "big", newLine("one too many", 1, 1, now), now); !errors.Is(err, carts.ErrFull) {
		t.Errorf("line %d: %v, want ErrFull", carts.MaxLines+1, err)
	}
	c, err := s.Cart(ctx, "big")
	if err != nil || len(c.Lines) != carts.MaxLines {
		t.Fatalf("%d lines, %v", len(c.Lines), err)
	}
	if c.Total() != 100_000_000_000_000_000 || c.Total() != carts.MaxTotal {
		t.Errorf("total %d", c.Total())
	}
	// A strongly consistent read costs 1 RCU per 4 KB: the item is large, and within 400 KB.
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &db.Table, ConsistentRead: aws.Bool(true), Key: rawCartKey("big"),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil || out.ConsumedCapacity == nil {
		t.Fatal(err)
	}
	t.Logf("the largest cart is read with %.0f RCU (%.0f KB at most)", *out.ConsumedCapacity.CapacityUnits, *out.ConsumedCapacity.CapacityUnits*4)
	if rcu := *out.ConsumedCapacity.CapacityUnits; rcu < 50 || rcu > 100 {
		t.Errorf("%.1f RCU: the item is not the 200–400 KB expected", rcu)
	}
}
