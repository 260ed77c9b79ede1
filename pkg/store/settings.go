package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/settings"
)

// settingsItem is the store's settings; members never set are absent.
type settingsItem struct {
	AddressMandatoryFields *[]string `dynamodbav:"address_mandatory_fields"`
	PageLength             *int      `dynamodbav:"page_length"`
}

func (it settingsItem) settings() settings.Settings {
	s := settings.Defaults()
	if it.AddressMandatoryFields != nil {
		s.AddressMandatoryFields = *it.AddressMandatoryFields
		if s.AddressMandatoryFields == nil {
			s.AddressMandatoryFields = []string{}
		}
	}
	if it.PageLength != nil {
		s.PageLength = *it.PageLength
	}
	return s
}

// Settings implements settings.Store with one consistent GetItem.
func (s *Store) Settings(ctx context.Context) (settings.Settings, error) {
	k, _ := attributevalue.MarshalMap(settingsKey())
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return settings.Settings{}, fail("get settings", err)
	}
	var it settingsItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return settings.Settings{}, fail("get settings", err)
	}
	return it.settings(), nil
}

// UpdateSettings implements settings.Store with one UpdateItem returning the new item.
func (s *Store) UpdateSettings(ctx context.Context, p settings.Patch) (settings.Settings, error) {
	u := expression.Set(expression.Name("type"), expression.Value("settings"))
	if p.AddressMandatoryFields != nil {
		fields := *p.AddressMandatoryFields
		if fields == nil {
			fields = []string{}
		}
		av, err := attributevalue.Marshal(fields)
		if err != nil {
			return settings.Settings{}, fail("update settings", err)
		}
		if l, ok := av.(*types.AttributeValueMemberNULL); ok && l.Value {
			av = &types.AttributeValueMemberL{Value: []types.AttributeValue{}}
		}
		u = u.Set(expression.Name("address_mandatory_fields"), expression.Value(av))
	}
	if p.PageLength != nil {
		u = u.Set(expression.Name("page_length"), expression.Value(*p.PageLength))
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
	var it settingsItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return settings.Settings{}, fail("update settings", err)
	}
	return it.settings(), nil
}
