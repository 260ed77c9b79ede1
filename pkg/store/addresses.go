package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/addresses"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/flows"
)

// addressItem is an address as stored, in its customer's partition. Only non-empty fields
// are stored.
type addressItem struct {
	key
	Type       string            `dynamodbav:"type"`
	ID         string            `dynamodbav:"id"`
	CustomerID string            `dynamodbav:"customer_id"`
	Fields     map[string]string `dynamodbav:"fields"`
	Custom     map[string]any    `dynamodbav:"custom,omitempty"`
	Version    int64             `dynamodbav:"version"`
	CreatedAt  string            `dynamodbav:"created_at"`
	UpdatedAt  string            `dynamodbav:"updated_at"`
}

const typeAddress = "address"

func newAddressItem(a *addresses.Address) addressItem {
	fields := map[string]string{}
	for k, v := range a.Values {
		if v != "" {
			fields[k] = v
		}
	}
	return addressItem{key: addressKey(a.CustomerID, a.ID), Type: typeAddress, ID: a.ID, CustomerID: a.CustomerID,
		Fields: fields, Custom: customMap(a.Custom), Version: a.Version, CreatedAt: timeKey(a.CreatedAt), UpdatedAt: timeKey(a.UpdatedAt)}
}

func (it *addressItem) address() *addresses.Address {
	a := &addresses.Address{ID: it.ID, CustomerID: it.CustomerID, Values: map[string]string{}, Custom: it.Custom, Version: it.Version}
	for _, f := range addresses.Fields {
		a.Values[f] = it.Fields[f]
	}
	a.CreatedAt, _ = time.Parse(time.RFC3339Nano, it.CreatedAt)
	a.UpdatedAt, _ = time.Parse(time.RFC3339Nano, it.UpdatedAt)
	return a
}

// customMap is custom values as stored: a map by field id, nulls left out.
func customMap(v flows.Values) map[string]any {
	m := make(map[string]any, len(v))
	for k, x := range v {
		if x != nil {
			m[k] = x
		}
	}
	return m
}

// attrAddressCount is the profile's count of the customer's addresses.
const attrAddressCount = "address_count"

// ownerCondition is what the owning customer's profile must satisfy for a write, and also
// whatever else the write needs of it.
func ownerCondition(o addresses.Owner, also ...expression.ConditionBuilder) (expression.Expression, error) {
	c := guardCondition(customers.Guard{TokenGen: o.TokenGen})
	for _, a := range also {
		c = c.And(a)
	}
	return expression.NewBuilder().WithCondition(c).Build()
}

// belowCap is the condition that the profile counts fewer than limit addresses (none for
// limit 0, no cap).
func belowCap(limit int) []expression.ConditionBuilder {
	if limit <= 0 {
		return nil
	}
	n := expression.Name(attrAddressCount)
	return []expression.ConditionBuilder{expression.AttributeNotExists(n).Or(n.LessThan(expression.Value(limit)))}
}

// addressCount is the count kept on a profile item.
func addressCount(profile map[string]types.AttributeValue) int {
	var count struct {
		N int `dynamodbav:"address_count"`
	}
	_ = attributevalue.UnmarshalMap(profile, &count)
	return max(count.N, 0)
}

// ownerFailure explains why the owner's condition failed, from the profile as it was.
func ownerFailure(r types.CancellationReason, o addresses.Owner) error {
	err := guardFailure(r.Item, customers.Guard{TokenGen: o.TokenGen})
	if errors.Is(err, customers.ErrStale) { // no version was asked for: cannot happen
		return addresses.ErrStale
	}
	return err
}

// checkOwner applies the owner's condition to a profile read alongside, the way a write's
// condition would.
func checkOwner(profile map[string]types.AttributeValue, o addresses.Owner) error {
	return liveFor(profile, o.TokenGen)
}

// CreateAddress implements addresses.Store: one transaction puts the address and counts it
// on its live owner, under the cap (limit; 0 is none). The count and the cap are checked in the same
// condition, so parallel creates cannot slip past the cap.
func (s *Store) CreateAddress(ctx context.Context, o addresses.Owner, a *addresses.Address, limit int) error {
	item, err := attributevalue.MarshalMap(newAddressItem(a))
	if err != nil {
		return fail("create address", err)
	}
	cond, err := ownerCondition(o, belowCap(limit)...)
	if err != nil {
		return fail("create address", err)
	}
	pk, _ := attributevalue.MarshalMap(customerKey(o.CustomerID))
	reasons, err := s.transact(ctx, "create address", func() []types.TransactWriteItem {
		return []types.TransactWriteItem{
			{Put: &types.Put{TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			{Update: &types.Update{TableName: &s.table, Key: pk, UpdateExpression: aws.String("ADD " + attrAddressCount + " :one"),
				ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(),
				ExpressionAttributeValues:           withValue(cond.Values(), ":one", numberAV(1)),
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
		}
	})
	switch {
	case err != nil:
		return err
	case failed(reasons, 1):
		// The profile as it was says which part failed: the owner before the cap.
		if err := checkOwner(reasons[1].Item, o); err != nil {
			return err
		}
		if limit > 0 && addressCount(reasons[1].Item) >= limit {
			return addresses.CapReached(limit)
		}
		return addresses.ErrStale
	case reasons != nil:
		return addresses.ErrStale // an id collision: vanishingly rare, and safe to retry
	}
	return nil
}

func withValue(m map[string]types.AttributeValue, k string, v types.AttributeValue) map[string]types.AttributeValue {
	out := map[string]types.AttributeValue{k: v}
	for kk, vv := range m {
		out[kk] = vv
	}
	return out
}

// Address implements addresses.Store: one BatchGetItem reads the address and its owner.
func (s *Store) Address(ctx context.Context, o addresses.Owner, addressID string) (*addresses.Address, error) {
	ak := addressKey(o.CustomerID, addressID)
	found, err := s.batchGet(ctx, "get address", customerKey(o.CustomerID), ak)
	if err != nil {
		return nil, err
	}
	if err := checkOwner(found[customerKey(o.CustomerID)], o); err != nil {
		return nil, err
	}
	if found[ak] == nil {
		return nil, addresses.ErrNotFound
	}
	var it addressItem
	if err := attributevalue.UnmarshalMap(found[ak], &it); err != nil {
		return nil, fail("get address", err)
	}
	return it.address(), nil
}

// UpdateAddress implements addresses.Store: one transaction checks the owner and writes the
// address if it is still at cur's version.
func (s *Store) UpdateAddress(ctx context.Context, o addresses.Owner, cur *addresses.Address, values map[string]string, custom flows.Values, now time.Time) (*addresses.Address, error) {
	next := *cur
	next.Values, next.Custom, next.Version, next.UpdatedAt = values, custom, cur.Version+1, now
	it := newAddressItem(&next)
	fields, err := attributevalue.Marshal(it.Fields)
	if err != nil {
		return nil, fail("update address", err)
	}
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name("fields"), expression.Value(fields)).
			Set(expression.Name("custom"), expression.Value(customMap(next.Custom))).
			Set(expression.Name("updated_at"), expression.Value(it.UpdatedAt)).
			Set(expression.Name("version"), expression.Value(next.Version))).
		WithCondition(expression.Name("version").Equal(expression.Value(cur.Version))).Build()
	if err != nil {
		return nil, fail("update address", err)
	}
	cond, err := ownerCondition(o)
	if err != nil {
		return nil, fail("update address", err)
	}
	pk, _ := attributevalue.MarshalMap(customerKey(o.CustomerID))
	ak, _ := attributevalue.MarshalMap(addressKey(o.CustomerID, cur.ID))
	reasons, err := s.transact(ctx, "update address", func() []types.TransactWriteItem {
		return []types.TransactWriteItem{
			{ConditionCheck: &types.ConditionCheck{TableName: &s.table, Key: pk, ConditionExpression: cond.Condition(),
				ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values(),
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
			{Update: &types.Update{TableName: &s.table, Key: ak, UpdateExpression: expr.Update(),
				ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(),
				ExpressionAttributeValues: expr.Values(), ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
		}
	})
	switch {
	case err != nil:
		return nil, err
	case failed(reasons, 0):
		return nil, ownerFailure(reasons[0], o)
	case failed(reasons, 1) && len(reasons[1].Item) == 0:
		return nil, addresses.ErrNotFound
	case failed(reasons, 1):
		return nil, changed(reasons[1].Item, addresses.ErrStale)
	case reasons != nil:
		return nil, addresses.ErrStale
	}
	return &next, nil
}

// DeleteAddress implements addresses.Store: one transaction deletes the address (at one of
// versions, when given) and uncounts it on its live owner.
func (s *Store) DeleteAddress(ctx context.Context, o addresses.Owner, addressID string, versions []int64) error {
	cond, err := ownerCondition(o)
	if err != nil {
		return fail("delete address", err)
	}
	exists := expression.AttributeExists(expression.Name(attrPK))
	if versions != nil {
		exists = exists.And(versionIn(versions))
	}
	at, err := expression.NewBuilder().WithCondition(exists).Build()
	if err != nil {
		return fail("delete address", err)
	}
	pk, _ := attributevalue.MarshalMap(customerKey(o.CustomerID))
	ak, _ := attributevalue.MarshalMap(addressKey(o.CustomerID, addressID))
	reasons, err := s.transact(ctx, "delete address", func() []types.TransactWriteItem {
		return []types.TransactWriteItem{
			{Update: &types.Update{TableName: &s.table, Key: pk, UpdateExpression: aws.String("ADD " + attrAddressCount + " :minus"),
				ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(),
				ExpressionAttributeValues:           withValue(cond.Values(), ":minus", numberAV(-1)),
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
			{Delete: &types.Delete{TableName: &s.table, Key: ak, ConditionExpression: at.Condition(),
				ExpressionAttributeNames: at.Names(), ExpressionAttributeValues: at.Values(),
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
		}
	})
	switch {
	case err != nil:
		return err
	case failed(reasons, 0):
		return ownerFailure(reasons[0], o)
	case failed(reasons, 1) && len(reasons[1].Item) > 0:
		return changed(reasons[1].Item, addresses.ErrStale) // at another version than versions
	case reasons != nil:
		return addresses.ErrNotFound
	}
	return nil
}

// Addresses implements addresses.Store: a page of the owner's partition from its profile
// up (see customerPage).
func (s *Store) Addresses(ctx context.Context, o addresses.Owner, limit, offset int, cursor string) (addresses.Page, error) {
	res, err := s.customerPage(ctx, partitionPage{customerID: o.CustomerID, tokenGen: o.TokenGen,
		from: skProfile, to: addressesEnd, count: "address_count", op: "list addresses"}, limit, offset, cursor)
	if err != nil {
		return addresses.Page{}, err
	}
	page := addresses.Page{Total: res.total, Next: res.next}
	page.Addresses, err = decodeAll("list addresses", res.rows, (*addressItem).address)
	return page, err
}
