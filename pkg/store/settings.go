package store

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/etag"
	"github.com/acme/customers/pkg/settings"
)

// settingsItem is the store's settings as stored: every member ever set, and nothing for
// those never set. It has settings.Patch's fields, so that each converts to the other.
type settingsItem struct {
	AddressMandatoryFields       *[]string `dynamodbav:"address_mandatory_fields,omitempty"`
	PageLength                   *int      `dynamodbav:"page_length,omitempty"`
	ListChildProducts            *bool     `dynamodbav:"list_child_products,omitempty"`
	AdditionalLanguages          *[]string `dynamodbav:"additional_languages,omitempty"`
	CalculationMethod            *string   `dynamodbav:"calculation_method,omitempty"`
	IncludeOrganizationResources *bool     `dynamodbav:"include_organization_resources,omitempty"`
	MaxAddressesPerCustomer      *int      `dynamodbav:"max_addresses_per_customer,omitempty"` // 0: no cap
	Currency                     *string   `dynamodbav:"currency,omitempty"`
}

// settingsOf reads a settings item: the defaults with what it sets, at its version (0: an
// item never written, or written before the settings had a version).
func settingsOf(op string, item map[string]types.AttributeValue) (settings.Settings, error) {
	var it settingsItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return settings.Settings{}, fail(op, err)
	}
	st := settings.Defaults().Apply(settings.Patch(it))
	st.Version = versionOf(item)
	return st, nil
}

// Settings implements settings.Store with one consistent GetItem.
func (s *Store) Settings(ctx context.Context) (settings.Settings, error) {
	k, _ := attributevalue.MarshalMap(settingsKey())
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return settings.Settings{}, fail("get settings", err)
	}
	return settingsOf("get settings", out.Item)
}

// UpdateSettings implements settings.Store with one UpdateItem that sets the members p sets,
// adds one to the version and returns the new item. With versions (If-Match's) it is
// conditional, and recognises its own change when the SDK sends it again (attrWriteToken).
func (s *Store) UpdateSettings(ctx context.Context, p settings.Patch, versions []int64) (settings.Settings, error) {
	members, err := attributevalue.MarshalMap(settingsItem(p)) // nil members are left out
	if err != nil {
		return settings.Settings{}, fail("update settings", err)
	}
	token := newWriteToken()
	u := expression.Set(expression.Name("type"), expression.Value("settings")).
		Set(expression.Name(attrWriteToken), expression.Value(token)).
		Add(expression.Name(attrVersion), expression.Value(1))
	for _, name := range slices.Sorted(maps.Keys(members)) {
		u = u.Set(expression.Name(name), expression.Value(members[name]))
	}
	b := expression.NewBuilder().WithUpdate(u)
	if versions != nil {
		b = b.WithCondition(versionIn(versions))
	}
	expr, err := b.Build()
	if err != nil {
		return settings.Settings{}, fail("update settings", err)
	}
	k, _ := attributevalue.MarshalMap(settingsKey())
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: k, UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValues: types.ReturnValueAllNew, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf) && appliedBy(ccf.Item, token):
		return settingsOf("update settings", ccf.Item) // this write, sent again: it landed
	case errors.As(err, &ccf):
		return settings.Settings{}, &etag.Changed{Version: versionOf(ccf.Item), Err: settings.ErrStale}
	case err != nil:
		return settings.Settings{}, fail("update settings", err)
	}
	return settingsOf("update settings", out.Attributes)
}
