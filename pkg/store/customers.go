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

	"github.com/acme/customers/pkg/customers"
)

// customerItem is a customer as stored. The password hash lives only here: the indexes
// project the public attributes alone (see template.yaml).
type customerItem struct {
	key
	Type          string  `dynamodbav:"type"`
	ID            string  `dynamodbav:"id"`
	Name          string  `dynamodbav:"name,omitempty"`
	NameLower     string  `dynamodbav:"name_lower,omitempty"`
	Email         string  `dynamodbav:"email,omitempty"`
	EmailKey      string  `dynamodbav:"email_key,omitempty"`
	ExternalRef   *string `dynamodbav:"external_ref,omitempty"`
	AuthMechanism string  `dynamodbav:"authentication_mechanism"`
	PasswordHash  string  `dynamodbav:"password_hash,omitempty"`
	HasPassword   bool    `dynamodbav:"has_password"`
	TokenGen      int64   `dynamodbav:"token_gen"`
	Version       int64   `dynamodbav:"version"`
	CreatedAt     string  `dynamodbav:"created_at"`
	UpdatedAt     string  `dynamodbav:"updated_at"`
	DeletedAt     string  `dynamodbav:"deleted_at,omitempty"`
	// Custom holds the customers flow's values by field id: a map written with every
	// customer (empty at first), so that an update can set one value inside it, and
	// projected into the list indexes.
	Custom map[string]any `dynamodbav:"custom"`
	// Identities names the identity items (identityKey) that log in as this customer, so
	// that a delete removes them with the customer.
	Identities []string `dynamodbav:"identities,stringset,omitempty"`
	GSI1PK     string   `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK     string   `dynamodbav:"GSI1SK,omitempty"`
	GSI2PK     string   `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK     string   `dynamodbav:"GSI2SK,omitempty"`
	GSI3PK     string   `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK     string   `dynamodbav:"GSI3SK,omitempty"`
	GSI4PK     string   `dynamodbav:"GSI4PK,omitempty"`
	GSI4SK     string   `dynamodbav:"GSI4SK,omitempty"`
	GSI5PK     string   `dynamodbav:"GSI5PK,omitempty"`
	GSI5SK     string   `dynamodbav:"GSI5SK,omitempty"`
	GSI6PK     string   `dynamodbav:"GSI6PK,omitempty"`
	GSI6SK     string   `dynamodbav:"GSI6SK,omitempty"`
}

// emailItem claims an email (normalised) for one customer, and carries the credentials a
// log-in checks (the hash and the token generation), so that a log-in reads this one item.
// Every write that changes them on the customer changes them here in the same
// transaction. Credentials is false on claims written before they carried them.
type emailItem struct {
	key
	Type         string `dynamodbav:"type"`
	CustomerID   string `dynamodbav:"customer_id"`
	PasswordHash string `dynamodbav:"password_hash,omitempty"`
	TokenGen     int64  `dynamodbav:"token_gen"`
	Credentials  bool   `dynamodbav:"credentials"`
}

const typeCustomer = "customer"

func newCustomerItem(c *customers.Customer) customerItem {
	created, updated := timeKey(c.CreatedAt), timeKey(c.UpdatedAt)
	part := customersPart(shardOf(c.ID))
	it := customerItem{
		key:           customerKey(c.ID),
		Type:          typeCustomer,
		ID:            c.ID,
		Name:          c.Name,
		NameLower:     strings.ToLower(c.Name),
		Email:         c.Email,
		EmailKey:      customers.EmailKey(c.Email),
		ExternalRef:   c.ExternalRef,
		AuthMechanism: c.AuthMechanism,
		PasswordHash:  c.PasswordHash,
		HasPassword:   c.HasPassword,
		TokenGen:      c.TokenGen,
		Version:       c.Version,
		CreatedAt:     created,
		UpdatedAt:     updated,
		Custom:        map[string]any{},
		Identities:    c.Identities,
		GSI1PK:        part, GSI1SK: sortKey(created, c.ID),
		GSI2PK: emailPart(c.Email), GSI2SK: sortKey(customers.EmailKey(c.Email), c.ID),
		GSI3PK: part, GSI3SK: sortKey(c.Name, c.ID),
		GSI4PK: part, GSI4SK: sortKey(updated, c.ID),
		GSI5PK: part, GSI5SK: c.ID,
	}
	if c.ExternalRef != nil {
		it.GSI6PK, it.GSI6SK = xrefPart(*c.ExternalRef), c.ID
	}
	for k, v := range c.Custom {
		if v != nil {
			it.Custom[k] = v
		}
	}
	return it
}

// emailPart is the GSI2 partition of an email: its shard is the email's, so that eq(email)
// reads one partition.
func emailPart(email string) string {
	return customersPart(shardOf(customers.EmailKey(email)))
}

func (it *customerItem) customer() *customers.Customer {
	c := &customers.Customer{
		ID:            it.ID,
		Name:          it.Name,
		Email:         it.Email,
		ExternalRef:   it.ExternalRef,
		AuthMechanism: it.AuthMechanism,
		PasswordHash:  it.PasswordHash,
		HasPassword:   it.HasPassword,
		TokenGen:      it.TokenGen,
		Version:       it.Version,
		Deleted:       it.DeletedAt != "",
		Custom:        it.Custom,
		Identities:    it.Identities,
	}
	c.CreatedAt, _ = time.Parse(time.RFC3339Nano, it.CreatedAt)
	c.UpdatedAt, _ = time.Parse(time.RFC3339Nano, it.UpdatedAt)
	return c
}

// putEmail claims c's email for it, with its credentials.
func (s *Store) putEmail(c *customers.Customer) *types.Put {
	item, _ := attributevalue.MarshalMap(emailItem{key: emailKey(customers.EmailKey(c.Email)), Type: "email", CustomerID: c.ID,
		PasswordHash: c.PasswordHash, TokenGen: c.TokenGen, Credentials: true})
	return &types.Put{TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}
}

// setCredentials writes c's credentials on its email's claim, which must still be its.
func (s *Store) setCredentials(c *customers.Customer) *types.Update {
	k, _ := attributevalue.MarshalMap(emailKey(customers.EmailKey(c.Email)))
	return &types.Update{TableName: &s.table, Key: k,
		UpdateExpression:    aws.String("SET password_hash = :h, token_gen = :g, credentials = :true"),
		ConditionExpression: aws.String("customer_id = :id"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":h": &types.AttributeValueMemberS{Value: c.PasswordHash}, ":g": numberAV(c.TokenGen),
			":true": &types.AttributeValueMemberBOOL{Value: true}, ":id": &types.AttributeValueMemberS{Value: c.ID}}}
}

func (s *Store) deleteEmail(email, customerID string) *types.Delete {
	k, _ := attributevalue.MarshalMap(emailKey(customers.EmailKey(email)))
	return &types.Delete{TableName: &s.table, Key: k,
		ConditionExpression:       aws.String("customer_id = :id"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: customerID}}}
}

// Create implements customers.Store: one transaction puts the customer, claims the email
// and counts the customer.
func (s *Store) Create(ctx context.Context, c *customers.Customer) error {
	return s.create(ctx, c, "")
}

// CreateWithIdentity implements customers.IdentityStore: Create's transaction also claims
// the customer's identity (free, or held by orphan).
func (s *Store) CreateWithIdentity(ctx context.Context, c *customers.Customer, orphan string) error {
	return s.create(ctx, c, orphan)
}

func (s *Store) create(ctx context.Context, c *customers.Customer, orphan string) error {
	item, err := attributevalue.MarshalMap(newCustomerItem(c))
	if err != nil {
		return fail("create customer", err)
	}
	reasons, err := s.transact(ctx, "create customer", func() []types.TransactWriteItem {
		items := []types.TransactWriteItem{
			{Put: &types.Put{TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			{Put: s.putEmail(c)},
			{Update: s.countUpdate(countCustomers, 1)},
		}
		for _, name := range c.Identities {
			items = append(items, types.TransactWriteItem{Put: s.putIdentity(name, c.ID, orphan)})
		}
		return items
	})
	switch {
	case err != nil:
		return err
	case failed(reasons, 1):
		return customers.ErrEmailTaken
	case failed(reasons, 3):
		return customers.ErrIdentityTaken
	case reasons != nil:
		return customers.ErrStale // an id collision: vanishingly rare, and safe to retry
	}
	return nil
}

// Get implements customers.Store with one strongly consistent read.
func (s *Store) Get(ctx context.Context, id string) (*customers.Customer, error) {
	return getOne(ctx, s, "get customer", customerKey(id), (*customerItem).customer, customers.ErrNotFound)
}

// patchUpdate is the update expression shared by Update and ChangeCredentials; token is
// the write's own (see attrWriteToken).
func patchUpdate(p customers.Patch, now time.Time, id, token string) expression.UpdateBuilder {
	ts := timeKey(now)
	u := expression.Set(expression.Name("updated_at"), expression.Value(ts)).
		Set(expression.Name(attrWriteToken), expression.Value(token)).
		Set(expression.Name("GSI4SK"), expression.Value(sortKey(ts, id))).
		Add(expression.Name("version"), expression.Value(1))
	if p.Name != nil {
		u = u.Set(expression.Name("name"), expression.Value(*p.Name)).
			Set(expression.Name("name_lower"), expression.Value(strings.ToLower(*p.Name))).
			Set(expression.Name("GSI3SK"), expression.Value(sortKey(*p.Name, id)))
	}
	if p.Email != nil {
		u = u.Set(expression.Name("email"), expression.Value(*p.Email)).
			Set(expression.Name("email_key"), expression.Value(customers.EmailKey(*p.Email))).
			Set(expression.Name("GSI2PK"), expression.Value(emailPart(*p.Email))).
			Set(expression.Name("GSI2SK"), expression.Value(sortKey(customers.EmailKey(*p.Email), id)))
	}
	if p.PasswordHash != nil {
		u = u.Set(expression.Name("password_hash"), expression.Value(*p.PasswordHash)).
			Set(expression.Name("has_password"), expression.Value(true)).
			Add(expression.Name("token_gen"), expression.Value(1))
	}
	if p.ReplaceCustom {
		u = u.Set(expression.Name("custom"), expression.Value(customMap(p.Custom)))
	}
	if p.SetExternalRef {
		if p.ExternalRef == nil {
			u = u.Remove(expression.Name("external_ref")).Remove(expression.Name("GSI6PK")).Remove(expression.Name("GSI6SK"))
		} else {
			u = u.Set(expression.Name("external_ref"), expression.Value(*p.ExternalRef)).
				Set(expression.Name("GSI6PK"), expression.Value(xrefPart(*p.ExternalRef))).
				Set(expression.Name("GSI6SK"), expression.Value(id))
		}
	}
	return u
}

func guardCondition(g customers.Guard) expression.ConditionBuilder {
	c := expression.AttributeExists(expression.Name(attrPK)).
		And(expression.AttributeNotExists(expression.Name("deleted_at")))
	if g.Version != 0 {
		c = c.And(expression.Name("version").Equal(expression.Value(g.Version)))
	}
	if g.TokenGen != nil {
		c = c.And(expression.Name("token_gen").Equal(expression.Value(*g.TokenGen)))
	}
	if g.Versions != nil {
		c = c.And(versionIn(g.Versions))
	}
	return c
}

// guardFailure explains a failed guard from the item as it was: a live record at another
// version is stale (with its version, for If-Match's 412).
func guardFailure(old map[string]types.AttributeValue, g customers.Guard) error {
	if err := liveFor(old, g.TokenGen); err != nil {
		return err
	}
	return changed(old, customers.ErrStale)
}

// liveFor checks a customer item the way guardCondition would, version aside: it must
// exist, not be deleted, and when tokenGen is set, be at that token generation.
func liveFor(item map[string]types.AttributeValue, tokenGen *int64) error {
	var it customerItem
	if len(item) == 0 || attributevalue.UnmarshalMap(item, &it) != nil || it.DeletedAt != "" {
		return customers.ErrNotFound
	}
	if tokenGen != nil && it.TokenGen != *tokenGen {
		return customers.ErrRevoked
	}
	return nil
}

// Update implements customers.Store with one conditional UpdateItem that returns the new
// item. Sent again by the SDK after its answer was lost, it finds its own change in the
// item its failed condition returns (appliedBy), and returns that.
func (s *Store) Update(ctx context.Context, id string, p customers.Patch, now time.Time, g customers.Guard) (*customers.Customer, error) {
	token := newWriteToken()
	expr, err := expression.NewBuilder().WithUpdate(patchUpdate(p, now, id, token)).WithCondition(guardCondition(g)).Build()
	if err != nil {
		return nil, fail("update customer", err)
	}
	k, _ := attributevalue.MarshalMap(customerKey(id))
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           &s.table,
		Key:                                 k,
		UpdateExpression:                    expr.Update(),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err != nil {
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return nil, fail("update customer", err)
		}
		if !appliedBy(ccf.Item, token) {
			return nil, guardFailure(ccf.Item, g)
		}
		out = &dynamodb.UpdateItemOutput{Attributes: ccf.Item} // this write, which landed: the record with it
	}
	var it customerItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return nil, fail("update customer", err)
	}
	return it.customer(), nil
}

// ChangeCredentials implements customers.Store: the update and the claim's credentials
// change together; a new email also releases the old claim and claims the new one.
func (s *Store) ChangeCredentials(ctx context.Context, cur *customers.Customer, p customers.Patch, now time.Time) (*customers.Customer, error) {
	expr, err := expression.NewBuilder().WithUpdate(patchUpdate(p, now, cur.ID, newWriteToken())).
		WithCondition(guardCondition(customers.Guard{Version: cur.Version})).Build()
	if err != nil {
		return nil, fail("change credentials", err)
	}
	next := p.Apply(cur, now)
	moves := customers.EmailKey(cur.Email) != customers.EmailKey(next.Email)
	k, _ := attributevalue.MarshalMap(customerKey(cur.ID))
	reasons, err := s.transact(ctx, "change credentials", func() []types.TransactWriteItem {
		items := []types.TransactWriteItem{
			{Update: &types.Update{TableName: &s.table, Key: k, UpdateExpression: expr.Update(),
				ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(),
				ExpressionAttributeValues: expr.Values(), ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
		}
		if !moves {
			return append(items, types.TransactWriteItem{Update: s.setCredentials(next)})
		}
		return append(items, types.TransactWriteItem{Delete: s.deleteEmail(cur.Email, cur.ID)},
			types.TransactWriteItem{Put: s.putEmail(next)})
	})
	if err != nil {
		return nil, err
	}
	switch {
	case reasons == nil:
	case moves && failed(reasons, 2):
		return nil, customers.ErrEmailTaken
	case failed(reasons, 0) && liveFor(reasons[0].Item, nil) == nil:
		return nil, changed(reasons[0].Item, customers.ErrStale)
	default:
		return nil, customers.ErrStale
	}
	return next, nil
}

// Delete implements customers.Store: the customer becomes a tombstone without personal data
// (queued for the cleanup on GSI1), its email is freed and the count drops, in one
// transaction. Then its log-in attempts go (dropLogins: one Query, and a BatchWriteItem when
// there are any), now, while the email is known and still its own: the tombstone does not
// keep it for the cleanup. They are security state that expires by TTL anyway (an hour or
// so), so a failure there does not fail the delete, which has happened.
func (s *Store) Delete(ctx context.Context, cur *customers.Customer, now time.Time) error {
	ts := timeKey(now)
	u := expression.Set(expression.Name("deleted_at"), expression.Value(ts)).
		Set(expression.Name("GSI1PK"), expression.Value(deletedPart(shardOf(cur.ID)))).
		Set(expression.Name("GSI1SK"), expression.Value(sortKey(ts, cur.ID))).
		Add(expression.Name("version"), expression.Value(1))
	for _, a := range []string{"name", "name_lower", "email", "email_key", "password_hash", "external_ref", "custom", "identities", attrWriteToken,
		"GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "GSI4PK", "GSI4SK", "GSI5PK", "GSI5SK", "GSI6PK", "GSI6SK"} {
		u = u.Remove(expression.Name(a))
	}
	expr, err := expression.NewBuilder().WithUpdate(u).
		WithCondition(guardCondition(customers.Guard{Version: cur.Version})).Build()
	if err != nil {
		return fail("delete customer", err)
	}
	k, _ := attributevalue.MarshalMap(customerKey(cur.ID))
	reasons, err := s.transact(ctx, "delete customer", func() []types.TransactWriteItem {
		items := []types.TransactWriteItem{
			{Update: &types.Update{TableName: &s.table, Key: k, UpdateExpression: expr.Update(),
				ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(),
				ExpressionAttributeValues: expr.Values(), ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
			{Delete: s.deleteEmail(cur.Email, cur.ID)},
			{Update: s.countUpdate(countCustomers, -1)},
		}
		for _, name := range cur.Identities {
			items = append(items, types.TransactWriteItem{Delete: s.deleteIdentity(name, cur.ID)})
		}
		return items
	})
	if err != nil {
		return err
	}
	if failed(reasons, 0) && liveFor(reasons[0].Item, nil) == nil {
		return changed(reasons[0].Item, customers.ErrStale)
	}
	if reasons != nil {
		return customers.ErrStale
	}
	_ = s.dropLogins(ctx, customers.EmailKey(cur.Email))
	return nil
}
