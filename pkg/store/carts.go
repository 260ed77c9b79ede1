package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/carts"
	"github.com/acme/customers/pkg/idempotency"
)

// A cart is one item (cartKey), so that every change to it is one conditional UpdateItem
// and a read is one GetItem:
//
//	PK CART#<cartId>, SK CART, type "cart"
//	version     N  +1 on every change
//	n           N  the number of lines
//	line:<id>   M  one attribute per line: {id, name, sku, description, quantity, amount,
//	               includes_tax, created_at}
//	created_at, updated_at  S  (timeKey)
//	expires_at  N  the table's TTL attribute: Unix seconds, carts.Lifetime after the last change
//
// DynamoDB's TTL deletes an expired item only some time after it expires (typically within
// a few days), so an item past expires_at is treated as absent here: reads see an empty
// cart, line changes find no line, and an add removes it first (a conditional DeleteItem)
// and starts a new cart.
const (
	typeCart    = "cart"
	attrN       = "n"
	attrVersion = "version"
	attrCreated = "created_at"
	attrUpdated = "updated_at"
	attrExpires = "expires_at"
)

// lineItem is a line as stored, in its attribute line:<id>.
type lineItem struct {
	ID          string `dynamodbav:"id"`
	Name        string `dynamodbav:"name"`
	SKU         string `dynamodbav:"sku"`
	Description string `dynamodbav:"description"`
	Quantity    int64  `dynamodbav:"quantity"`
	Amount      int64  `dynamodbav:"amount"`
	IncludesTax bool   `dynamodbav:"includes_tax"`
	CreatedAt   string `dynamodbav:"created_at"`
}

func newLineItem(l carts.Line) lineItem {
	return lineItem{ID: l.ID, Name: l.Name, SKU: l.SKU, Description: l.Description,
		Quantity: l.Quantity, Amount: l.Amount, IncludesTax: l.IncludesTax, CreatedAt: timeKey(l.CreatedAt)}
}

func (li lineItem) line() carts.Line {
	l := carts.Line{ID: li.ID, Name: li.Name, SKU: li.SKU, Description: li.Description,
		Quantity: li.Quantity, Amount: li.Amount, IncludesTax: li.IncludesTax}
	l.CreatedAt, _ = time.Parse(time.RFC3339Nano, li.CreatedAt)
	return l
}

// cartHeader is the cart item's attributes other than its lines.
type cartHeader struct {
	Version   int64  `dynamodbav:"version"`
	N         int64  `dynamodbav:"n"`
	CreatedAt string `dynamodbav:"created_at"`
	UpdatedAt string `dynamodbav:"updated_at"`
	ExpiresAt int64  `dynamodbav:"expires_at"`
}

// expired reports whether a cart item is past its expires_at at now.
func expired(item map[string]types.AttributeValue, now time.Time) bool {
	var h cartHeader
	_ = attributevalue.UnmarshalMap(item, &h)
	return h.ExpiresAt != 0 && h.ExpiresAt <= now.Unix()
}

// cartOf reads a cart item; no item, or an expired one, is an empty cart.
func cartOf(op, cartID string, item map[string]types.AttributeValue, now time.Time) (*carts.Cart, error) {
	c := &carts.Cart{ID: cartID}
	if len(item) == 0 || expired(item, now) {
		return c, nil
	}
	var h cartHeader
	if err := attributevalue.UnmarshalMap(item, &h); err != nil {
		return nil, fail(op, err)
	}
	c.Version = h.Version
	c.CreatedAt, _ = time.Parse(time.RFC3339Nano, h.CreatedAt)
	c.UpdatedAt, _ = time.Parse(time.RFC3339Nano, h.UpdatedAt)
	c.ExpiresAt = time.Unix(h.ExpiresAt, 0).UTC()
	for name, av := range item {
		if !strings.HasPrefix(name, prefixLine) {
			continue
		}
		var li lineItem
		if err := attributevalue.Unmarshal(av, &li); err != nil {
			return nil, fail(op, err)
		}
		c.Lines = append(c.Lines, li.line())
	}
	c.Sort()
	return c, nil
}

// Cart implements carts.Store with one consistent GetItem.
func (s *Store) Cart(ctx context.Context, cartID string) (*carts.Cart, error) {
	k, _ := attributevalue.MarshalMap(cartKey(cartID))
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fail("get cart", err)
	}
	return cartOf("get cart", cartID, out.Item, time.Now())
}

// live is the condition that the cart item is absent or not expired at now.
func live(now time.Time) expression.ConditionBuilder {
	e := expression.Name(attrExpires)
	return expression.AttributeNotExists(e).Or(e.GreaterThan(expression.Value(now.Unix())))
}

// touch is what every change of a cart sets: the time of the change, a new expiry, the
// next version.
func touch(u expression.UpdateBuilder, now time.Time) expression.UpdateBuilder {
	return u.Set(expression.Name(attrUpdated), expression.Value(timeKey(now))).
		Set(expression.Name(attrExpires), expression.Value(now.Add(carts.Lifetime).Unix())).
		Add(expression.Name(attrVersion), expression.Value(1))
}

// updateCart runs one conditional UpdateItem on a cart item and returns the cart after it,
// or failed when the condition failed, with the item as it was if onFail asks for it. With a
// token (attrWriteToken; onFail ALL_OLD), a condition that failed on the write's own change
// (the SDK sent it again after its answer was lost) is a success: the cart as it is.
func (s *Store) updateCart(ctx context.Context, op, cartID string, u expression.UpdateBuilder, c expression.ConditionBuilder,
	onFail types.ReturnValuesOnConditionCheckFailure, token string, now time.Time) (cart *carts.Cart, old map[string]types.AttributeValue, failed bool, err error) {
	if token != "" {
		u = u.Set(expression.Name(attrWriteToken), expression.Value(token))
	}
	expr, err := expression.NewBuilder().WithUpdate(u).WithCondition(c).Build()
	if err != nil {
		return nil, nil, false, fail(op, err)
	}
	k, _ := attributevalue.MarshalMap(cartKey(cartID))
	if idempotency.From(ctx) != nil {
		return s.updateCartKeyed(ctx, op, cartID, k, expr, onFail)
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: k, UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: onFail,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) && appliedBy(ccf.Item, token) {
		cart, err = cartOf(op, cartID, ccf.Item, now)
		return cart, nil, false, err
	}
	if errors.As(err, &ccf) {
		return nil, ccf.Item, true, nil
	}
	if err != nil {
		return nil, nil, false, fail(op, err)
	}
	cart, err = cartOf(op, cartID, out.Attributes, now)
	return cart, nil, false, err
}

// updateCartKeyed is updateCart for a request with an Idempotency-Key: the update and the
// key's record in one transaction (written together or not at all; an SDK retry after a
// lost answer is recognised by DynamoDB through the transaction's ClientRequestToken), then
// the cart read back, as a transaction returns no item.
func (s *Store) updateCartKeyed(ctx context.Context, op, cartID string, k map[string]types.AttributeValue, expr expression.Expression,
	onFail types.ReturnValuesOnConditionCheckFailure) (cart *carts.Cart, old map[string]types.AttributeValue, failed bool, err error) {
	reasons, err := s.transact(ctx, op, func() []types.TransactWriteItem {
		return []types.TransactWriteItem{{Update: &types.Update{TableName: &s.table, Key: k, UpdateExpression: expr.Update(),
			ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
			ReturnValuesOnConditionCheckFailure: onFail}}}
	})
	switch {
	case err != nil:
		return nil, nil, false, err
	case reasons != nil:
		return nil, reasons[0].Item, true, nil
	}
	cart, err = s.Cart(ctx, cartID)
	return cart, nil, false, err
}

// addAttempts bounds the adds tried on one request: the second runs after an expired cart
// was removed; a third would need that to happen again within the request.
const addAttempts = 3

// AddLine implements carts.Store: one UpdateItem sets the line, counts it and creates the
// cart if need be, on the condition that the cart has fewer than carts.MaxLines lines, so
// that parallel adds cannot pass the cap. An expired cart is removed first (see above).
func (s *Store) AddLine(ctx context.Context, cartID string, l carts.Line, now time.Time) (*carts.Cart, error) {
	line, err := attributevalue.Marshal(newLineItem(l))
	if err != nil {
		return nil, fail("add to cart", err)
	}
	created, n := expression.Name(attrCreated), expression.Name(attrN)
	// A builder a call: updateCart adds the write token to the one it is given.
	update := func() expression.UpdateBuilder {
		return touch(expression.Set(expression.Name(lineAttr(l.ID)), expression.Value(line)).
			Set(expression.Name("type"), expression.Value(typeCart)).
			Set(created, created.IfNotExists(expression.Value(timeKey(now)))).
			Add(n, expression.Value(1)), now)
	}
	// The line must be new: an SDK retry of this very update after a lost answer fails here
	// instead of counting the line twice, and its write token tells it the update was its own.
	c := expression.AttributeNotExists(n).Or(n.LessThan(expression.Value(carts.MaxLines))).And(live(now)).
		And(expression.AttributeNotExists(expression.Name(lineAttr(l.ID))))
	token := newWriteToken()
	for attempt := 1; attempt <= addAttempts; attempt++ {
		cart, old, failed, err := s.updateCart(ctx, "add to cart", cartID, update(), c, types.ReturnValuesOnConditionCheckFailureAllOld, token, now)
		switch {
		case err != nil:
			return nil, err
		case !failed:
			return cart, nil
		case !expired(old, now):
			return nil, carts.ErrFull
		}
		if err := s.dropExpiredCart(ctx, cartID, now); err != nil {
			return nil, err
		}
	}
	return nil, unavailable("add to cart", errors.New("the cart expired again and again"))
}

// dropExpiredCart deletes a cart item that is expired at now, and nothing else: an add
// made meanwhile to a new cart under the same id stays.
func (s *Store) dropExpiredCart(ctx context.Context, cartID string, now time.Time) error {
	expr, err := expression.NewBuilder().WithCondition(expression.Name(attrExpires).LessThanEqual(expression.Value(now.Unix()))).Build()
	if err != nil {
		return fail("drop expired cart", err)
	}
	k, _ := attributevalue.MarshalMap(cartKey(cartID))
	_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: k,
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	if conditionFailed(err) {
		return nil
	}
	return fail("drop expired cart", err)
}

// lineExists is the condition of a change to one line: the cart is live and has the line.
func lineExists(itemID string, now time.Time) expression.ConditionBuilder {
	return expression.AttributeExists(expression.Name(lineAttr(itemID))).And(live(now))
}

// UpdateLine implements carts.Store: one UpdateItem sets the members p changes inside the
// line's map, on the condition that the line exists.
func (s *Store) UpdateLine(ctx context.Context, cartID, itemID string, p carts.Patch, now time.Time) (*carts.Cart, error) {
	line := lineAttr(itemID) + "."
	u := touch(expression.UpdateBuilder{}, now)
	u = setMember(u, line+"name", p.Name)
	u = setMember(u, line+"sku", p.SKU)
	u = setMember(u, line+"description", p.Description)
	u = setMember(u, line+"quantity", p.Quantity)
	u = setMember(u, line+"amount", p.Amount)
	u = setMember(u, line+"includes_tax", p.IncludesTax)
	cart, _, failed, err := s.updateCart(ctx, "update cart item", cartID, u, lineExists(itemID, now), types.ReturnValuesOnConditionCheckFailureNone, "", now)
	if failed {
		return nil, carts.ErrLineNotFound
	}
	return cart, err
}

// setMember adds SET path = *v to u, unless v is nil.
func setMember[T any](u expression.UpdateBuilder, path string, v *T) expression.UpdateBuilder {
	if v == nil {
		return u
	}
	return u.Set(expression.Name(path), expression.Value(*v))
}

// RemoveLine implements carts.Store: one UpdateItem removes the line and uncounts it, on the
// condition that the line exists. Sent again by the SDK after its answer was lost, it finds
// the line gone by its own hand (its write token) and answers the cart, not a 404.
func (s *Store) RemoveLine(ctx context.Context, cartID, itemID string, now time.Time) (*carts.Cart, error) {
	u := touch(expression.Remove(expression.Name(lineAttr(itemID))).Add(expression.Name(attrN), expression.Value(-1)), now)
	cart, _, failed, err := s.updateCart(ctx, "remove cart item", cartID, u, lineExists(itemID, now),
		types.ReturnValuesOnConditionCheckFailureAllOld, newWriteToken(), now)
	if failed {
		return nil, carts.ErrLineNotFound
	}
	return cart, err
}

// EmptyCart implements carts.Store with one DeleteItem: the cart reads as empty afterwards,
// and a later add starts a new one (at version 1, with a new created_at).
func (s *Store) EmptyCart(ctx context.Context, cartID string) error {
	k, _ := attributevalue.MarshalMap(cartKey(cartID))
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: k})
	return fail("empty cart", err)
}

// cartAsRead is the condition that a cart item is still the cart c was read as: the same
// version of the same cart. Version alone is not enough: a cart emptied (deleted) and
// filled again starts over at version 1, but with a new created_at. A checkout deletes the
// cart it ordered under this condition, in the transaction that writes the order.
func cartAsRead(c *carts.Cart) expression.ConditionBuilder {
	return expression.Name(attrVersion).Equal(expression.Value(c.Version)).
		And(expression.Name(attrCreated).Equal(expression.Value(timeKey(c.CreatedAt))))
}

// deleteCartAsRead is the transaction action that deletes the cart c, read by Cart, if it
// is still as read (cartAsRead).
func (s *Store) deleteCartAsRead(c *carts.Cart) (types.TransactWriteItem, error) {
	expr, err := expression.NewBuilder().WithCondition(cartAsRead(c)).Build()
	if err != nil {
		return types.TransactWriteItem{}, fail("delete cart", err)
	}
	k, _ := attributevalue.MarshalMap(cartKey(c.ID))
	return types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: k,
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}}, nil
}
