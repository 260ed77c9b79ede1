package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/carts"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/orders"
)

// An order is two items under ORDER#<id>: the order itself ("ORDER", what lists and reads
// show) and its lines ("LINES", at most orders.MaxLines, read only for the order's items),
// so that the order item stays small. A registered customer's order also has a link in the
// customer's partition: a copy of the order item under "#ORDER#<created>␟<id>", which sorts
// just below the profile ("#PROFILE"), so that one Query down from the profile reads the
// owner (access check, order count) and a page of the customer's orders, newest first.
// Addresses ("ADDRESS#...") sort above the profile and are never read with them.

// orderItem is an order as stored, and as its link in the customer's history.
type orderItem struct {
	key
	Type          string            `dynamodbav:"type"`
	ID            string            `dynamodbav:"id"`
	CustomerID    string            `dynamodbav:"customer_id,omitempty"`
	CustomerName  string            `dynamodbav:"customer_name"`
	CustomerEmail string            `dynamodbav:"customer_email"`
	Billing       map[string]string `dynamodbav:"billing_address"`
	Shipping      map[string]string `dynamodbav:"shipping_address"`
	LineIDs       []string          `dynamodbav:"line_ids"`
	Currency      string            `dynamodbav:"currency"`
	Total         int64             `dynamodbav:"total"`
	Status        string            `dynamodbav:"status"`
	Payment       string            `dynamodbav:"payment"`
	Fulfilment    string            `dynamodbav:"shipping"`
	ExternalRef   *string           `dynamodbav:"external_ref,omitempty"`
	OrderNumber   *string           `dynamodbav:"order_number,omitempty"`
	CartID        string            `dynamodbav:"cart_id"`
	Version       int64             `dynamodbav:"version"`
	CreatedAt     string            `dynamodbav:"created_at"`
	UpdatedAt     string            `dynamodbav:"updated_at"`
	RedactedAt    string            `dynamodbav:"redacted_at,omitempty"` // set by the erasure (erase.go) alone
	Custom        map[string]any    `dynamodbav:"custom,omitempty"`
	// The order (not its link) is in the staff list's indexes.
	GSI7PK string `dynamodbav:"GSI7PK,omitempty"`
	GSI7SK string `dynamodbav:"GSI7SK,omitempty"`
	GSI8PK string `dynamodbav:"GSI8PK,omitempty"`
	GSI8SK string `dynamodbav:"GSI8SK,omitempty"`
}

// orderLinesItem holds an order's lines, each as a cart keeps it (lineItem).
type orderLinesItem struct {
	key
	Type       string     `dynamodbav:"type"`
	CustomerID string     `dynamodbav:"customer_id,omitempty"`
	Lines      []lineItem `dynamodbav:"lines"`
}

const (
	typeOrder      = "order"
	typeOrderLink  = "order_link"
	typeOrderLines = "order_lines"
)

func newOrderItem(o *orders.Order) orderItem {
	created, ek := timeKey(o.CreatedAt), customers.EmailKey(o.Customer.Email)
	return orderItem{key: orderKey(o.ID), Type: typeOrder, ID: o.ID, CustomerID: o.Customer.ID,
		CustomerName: o.Customer.Name, CustomerEmail: o.Customer.Email, Billing: o.Billing, Shipping: o.Shipping,
		LineIDs: o.LineIDs, Currency: o.Currency, Total: o.Total, Status: o.Status, Payment: o.Payment,
		Fulfilment: o.Fulfilment, ExternalRef: o.ExternalRef, OrderNumber: o.OrderNumber, CartID: o.CartID,
		Version: o.Version, CreatedAt: created, UpdatedAt: timeKey(o.UpdatedAt), Custom: customMap(o.Custom),
		GSI7PK: ordersPart(shardOf(o.ID)), GSI7SK: sortKey(created, o.ID),
		GSI8PK: ordersPart(shardOf(ek)), GSI8SK: sortKey(ek, o.ID)}
}

func (it *orderItem) order() *orders.Order {
	o := &orders.Order{ID: it.ID, Customer: orders.Customer{ID: it.CustomerID, Name: it.CustomerName, Email: it.CustomerEmail},
		Billing: it.Billing, Shipping: it.Shipping, LineIDs: it.LineIDs, Currency: it.Currency, Total: it.Total,
		Status: it.Status, Payment: it.Payment, Fulfilment: it.Fulfilment, ExternalRef: it.ExternalRef,
		OrderNumber: it.OrderNumber, CartID: it.CartID, Version: it.Version, Custom: it.Custom}
	o.CreatedAt, _ = time.Parse(time.RFC3339Nano, it.CreatedAt)
	o.UpdatedAt, _ = time.Parse(time.RFC3339Nano, it.UpdatedAt)
	if it.RedactedAt != "" {
		o.RedactedAt, _ = time.Parse(time.RFC3339Nano, it.RedactedAt)
	}
	return o
}

// PlaceOrder implements orders.Store with one transaction: the order, its lines, the cart
// emptied (if still at the version read) and, for a registered customer, the link in its
// history and the count on its profile (if still live, at the guard's token generation).
func (s *Store) PlaceOrder(ctx context.Context, o *orders.Order, cart *carts.Cart, g customers.Guard) error {
	it := newOrderItem(o)
	order, err := attributevalue.MarshalMap(it)
	if err != nil {
		return fail("place order", err)
	}
	li := orderLinesItem{key: orderLinesKey(o.ID), Type: typeOrderLines, CustomerID: o.Customer.ID}
	for _, l := range o.Lines {
		li.Lines = append(li.Lines, newLineItem(l))
	}
	lines, err := attributevalue.MarshalMap(li)
	if err != nil {
		return fail("place order", err)
	}
	var link map[string]types.AttributeValue
	if o.Customer.ID != "" {
		it.key, it.Type = orderLinkKey(o.Customer.ID, it.CreatedAt, o.ID), typeOrderLink
		it.GSI7PK, it.GSI7SK, it.GSI8PK, it.GSI8SK = "", "", "", "" // the order alone is listed
		if link, err = attributevalue.MarshalMap(it); err != nil {
			return fail("place order", err)
		}
	}
	owner, err := expression.NewBuilder().WithCondition(guardCondition(g)).Build()
	if err != nil {
		return fail("place order", err)
	}
	emptyCart, err := s.deleteCartAsRead(cart)
	if err != nil {
		return err
	}
	pk, _ := attributevalue.MarshalMap(customerKey(o.Customer.ID))
	reasons, err := s.transact(ctx, "place order", func() []types.TransactWriteItem {
		items := []types.TransactWriteItem{
			{Put: &types.Put{TableName: &s.table, Item: order, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			{Put: &types.Put{TableName: &s.table, Item: lines, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			emptyCart,
			{Update: s.countUpdate(countOrders, 1)},
		}
		if link == nil {
			return items
		}
		return append(items,
			types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: link, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: pk, UpdateExpression: aws.String("ADD order_count :one"),
				ConditionExpression: owner.Condition(), ExpressionAttributeNames: owner.Names(),
				ExpressionAttributeValues:           withValue(owner.Values(), ":one", numberAV(1)),
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}})
	})
	switch {
	case err != nil:
		return err
	case failed(reasons, 2):
		return orders.ErrCartChanged
	case failed(reasons, 5):
		return guardFailure(reasons[5].Item, g)
	case reasons != nil:
		return orders.ErrCartChanged // an id collision: vanishingly rare, and safe to retry
	}
	return nil
}

// UpdateOrder implements orders.Store with one transaction: the order's changeable members
// (statuses, references, shipping address) with its version and updated_at, on condition
// that the version is still cur's, and the same over the copy in a registered customer's
// history, on condition that the copy exists. The cleanup of a deleted customer erases those
// copies (and only those: orders stay), so a copy that is gone must stay gone: when the
// transaction fails on the copy's condition alone, it is sent again without the copy. The
// common case is one transaction, with no read of the copy; the order's lines never change.
func (s *Store) UpdateOrder(ctx context.Context, cur, next *orders.Order) error {
	it := newOrderItem(next)
	shipping, err := attributevalue.Marshal(it.Shipping)
	if err != nil {
		return fail("update order", err)
	}
	u := expression.Set(expression.Name("status"), expression.Value(it.Status)).
		Set(expression.Name("payment"), expression.Value(it.Payment)).
		Set(expression.Name("shipping"), expression.Value(it.Fulfilment)).
		Set(expression.Name("shipping_address"), expression.Value(shipping)).
		Set(expression.Name("version"), expression.Value(it.Version)).
		Set(expression.Name("updated_at"), expression.Value(it.UpdatedAt)).
		Set(expression.Name("custom"), expression.Value(customMap(next.Custom)))
	for _, ref := range []struct {
		name  string
		value *string
	}{{"external_ref", it.ExternalRef}, {"order_number", it.OrderNumber}} {
		if ref.value == nil {
			u = u.Remove(expression.Name(ref.name))
		} else {
			u = u.Set(expression.Name(ref.name), expression.Value(*ref.value))
		}
	}
	order, err := expression.NewBuilder().WithUpdate(u).
		WithCondition(expression.Name("version").Equal(expression.Value(cur.Version))).Build()
	if err != nil {
		return fail("update order", err)
	}
	copyOf, err := expression.NewBuilder().WithUpdate(u).WithCondition(expression.AttributeExists(expression.Name(attrPK))).Build()
	if err != nil {
		return fail("update order", err)
	}
	orderK, _ := attributevalue.MarshalMap(orderKey(cur.ID))
	var linkK map[string]types.AttributeValue
	if cur.Customer.ID != "" {
		linkK, _ = attributevalue.MarshalMap(orderLinkKey(cur.Customer.ID, timeKey(cur.CreatedAt), cur.ID))
	}
	for {
		reasons, err := s.transact(ctx, "update order", func() []types.TransactWriteItem {
			items := []types.TransactWriteItem{{Update: &types.Update{TableName: &s.table, Key: orderK,
				UpdateExpression: order.Update(), ConditionExpression: order.Condition(),
				ExpressionAttributeNames: order.Names(), ExpressionAttributeValues: order.Values(),
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}}}
			if linkK == nil {
				return items
			}
			return append(items, types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: linkK,
				UpdateExpression: copyOf.Update(), ConditionExpression: copyOf.Condition(),
				ExpressionAttributeNames: copyOf.Names(), ExpressionAttributeValues: copyOf.Values()}})
		})
		switch {
		case err != nil:
			return err
		case failed(reasons, 0) && len(reasons[0].Item) == 0:
			return orders.ErrNotFound
		case failed(reasons, 0):
			return changed(reasons[0].Item, orders.ErrStale)
		case failed(reasons, 1) && linkK != nil:
			linkK = nil // the copy is gone: the order alone
			continue
		case reasons != nil:
			return orders.ErrStale
		}
		return nil
	}
}

// Order implements orders.Store with one consistent GetItem.
func (s *Store) Order(ctx context.Context, id string) (*orders.Order, error) {
	return getOne(ctx, s, "get order", orderKey(id), (*orderItem).order, orders.ErrNotFound)
}

// OwnOrder implements orders.Store with one consistent BatchGetItem of the order, its lines
// when asked, and the owner's profile when there is an owner.
func (s *Store) OwnOrder(ctx context.Context, id string, lines bool, owner string, g customers.Guard) (*orders.Order, error) {
	keys := []key{orderKey(id)}
	if lines {
		keys = append(keys, orderLinesKey(id))
	}
	if owner != "" {
		keys = append(keys, customerKey(owner))
	}
	found, err := s.batchGet(ctx, "get order", keys...)
	if err != nil {
		return nil, err
	}
	if owner != "" {
		if err := liveFor(found[customerKey(owner)], g.TokenGen); err != nil {
			return nil, err
		}
	}
	raw := found[orderKey(id)]
	if raw == nil {
		return nil, orders.ErrNotFound
	}
	var it orderItem
	if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
		return nil, fail("get order", err)
	}
	o := it.order()
	if owner != "" && o.Customer.ID != owner {
		return nil, orders.ErrNotFound
	}
	if lines {
		var li orderLinesItem
		if err := attributevalue.UnmarshalMap(found[orderLinesKey(id)], &li); err != nil {
			return nil, fail("get order", err)
		}
		for _, l := range li.Lines {
			o.Lines = append(o.Lines, l.line())
		}
	}
	return o, nil
}

// CustomerOrders implements orders.Store: a page of the customer's partition from its
// profile down (see customerPage), newest first.
func (s *Store) CustomerOrders(ctx context.Context, customerID string, owner *customers.Guard, limit, offset int, cursor string) (orders.Page, error) {
	p := partitionPage{customerID: customerID, anyOwner: owner == nil,
		from: prefixOrderLink, to: skProfile, desc: true, count: "order_count", op: "list orders"}
	if owner != nil {
		p.tokenGen = owner.TokenGen
	}
	res, err := s.customerPage(ctx, p, limit, offset, cursor)
	if err != nil {
		return orders.Page{}, err
	}
	page := orders.Page{Total: res.total, Exact: true, Next: res.next}
	page.Orders, err = decodeAll("list orders", res.rows, (*orderItem).order)
	return page, err
}
