package store

import (
	"context"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

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

// settingsOf reads a settings item: the defaults with what it sets.
func settingsOf(op string, item map[string]types.AttributeValue) (settings.Settings, error) {
	var it settingsItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return settings.Settings{}, fail(op, err)
	}
	return settings.Defaults().Apply(settings.Patch(it)), nil
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

// UpdateSettings implements settings.Store with one UpdateItem that sets the members p sets
// and returns the new item.
func (s *Store) UpdateSettings(ctx context.Context, p settings.Patch) (settings.Settings, error) {
	members, err := attributevalue.MarshalMap(settingsItem(p)) // nil members are left out
	if err != nil {
		return settings.Settings{}, fail("update settings", err)
	}
	u := expression.Set(expression.Name("type"), expression.Value("settings"))
	for _, name := range slices.Sorted(maps.Keys(members)) {
		u = u.Set(expression.Name(name), expression.Value(members[name]))
	}
	expr, err := expression.NewBuilder().WithUpdate(u).Build()
	if err != nil {
		return settings.Settings{}, fail("update settings", err)
	}
	k, _ := attributevalue.MarshalMap(settingsKey())
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: k, UpdateExpression: expr.Update(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValues: types.ReturnValueAllNew,
	})
	if err != nil {
		return settings.Settings{}, fail("update settings", err)
	}
	return settingsOf("update settings", out.Attributes)
}
