package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/flows"
)

// Flows and fields (keys.go: the FLOWS partition). A flow is its item FLOW#<id> and its
// slug's claim DEF#<slug> (flow id, enabled, field count); a field is its item
// DEF#<flow slug>#<slug> and a pointer FIELD#<id> to it. Every write that touches two of
// them is one transaction.

type flowItem struct {
	key
	Type        string `dynamodbav:"type"`
	ID          string `dynamodbav:"id"`
	Slug        string `dynamodbav:"slug"`
	Name        string `dynamodbav:"name"`
	Description string `dynamodbav:"description"`
	Enabled     bool   `dynamodbav:"enabled"`
	Version     int64  `dynamodbav:"version"`
	CreatedAt   string `dynamodbav:"created_at"`
	UpdatedAt   string `dynamodbav:"updated_at"`
}

// flowClaim is a flow's slug claim, the head of its definitions.
type flowClaim struct {
	key
	Type    string `dynamodbav:"type"`
	FlowID  string `dynamodbav:"flow_id"`
	Enabled bool   `dynamodbav:"enabled"`
	Fields  int    `dynamodbav:"field_count"`
	// Retired are the ids of the flow's deleted fields, whose values records may still
	// hold: a write drops them (flows.Schema.Prune).
	Retired []string `dynamodbav:"retired,stringset,omitempty"`
}

// fieldItem is a field; its rules and default are kept as JSON text, which keeps integers
// and floats apart exactly.
type fieldItem struct {
	key
	Type        string `dynamodbav:"type"`
	ID          string `dynamodbav:"id"`
	FlowID      string `dynamodbav:"flow_id"`
	FlowSlug    string `dynamodbav:"flow_slug"`
	Name        string `dynamodbav:"name"`
	Slug        string `dynamodbav:"slug"`
	Description string `dynamodbav:"description"`
	FieldType   string `dynamodbav:"field_type"`
	Rules       string `dynamodbav:"rules"`
	Required    bool   `dynamodbav:"required"`
	Default     string `dynamodbav:"default"`
	Enabled     bool   `dynamodbav:"enabled"`
	OmitNull    bool   `dynamodbav:"omit_null"`
	Order       int    `dynamodbav:"order"`
	Version     int64  `dynamodbav:"version"`
	CreatedAt   string `dynamodbav:"created_at"`
	UpdatedAt   string `dynamodbav:"updated_at"`
}

type fieldPtr struct {
	key
	Type     string `dynamodbav:"type"`
	FlowSlug string `dynamodbav:"flow_slug"`
	Slug     string `dynamodbav:"slug"`
}

const (
	typeFlow      = "flow"
	typeFlowClaim = "flow_slug"
	typeField     = "field"
	typeFieldPtr  = "field_ref"
)

func newFlowItem(f *flows.Flow) flowItem {
	return flowItem{key: flowKey(f.ID), Type: typeFlow, ID: f.ID, Slug: f.Slug, Name: f.Name, Description: f.Description,
		Enabled: f.Enabled, Version: f.Version, CreatedAt: timeKey(f.CreatedAt), UpdatedAt: timeKey(f.UpdatedAt)}
}

func (it *flowItem) flow() *flows.Flow {
	f := &flows.Flow{ID: it.ID, Slug: it.Slug, Name: it.Name, Description: it.Description, Enabled: it.Enabled, Version: it.Version}
	f.CreatedAt, _ = time.Parse(time.RFC3339Nano, it.CreatedAt)
	f.UpdatedAt, _ = time.Parse(time.RFC3339Nano, it.UpdatedAt)
	return f
}

func newFieldItem(f *flows.Field) fieldItem {
	rules, _ := json.Marshal(flows.RulesJSON(f.Rules))
	def, _ := json.Marshal(f.Default)
	return fieldItem{key: fieldDefKey(f.FlowSlug, f.Slug), Type: typeField, ID: f.ID, FlowID: f.FlowID, FlowSlug: f.FlowSlug,
		Name: f.Name, Slug: f.Slug, Description: f.Description, FieldType: string(f.Type), Rules: string(rules),
		Required: f.Required, Default: string(def), Enabled: f.Enabled, OmitNull: f.OmitNull, Order: f.Order,
		Version: f.Version, CreatedAt: timeKey(f.CreatedAt), UpdatedAt: timeKey(f.UpdatedAt)}
}

// field rebuilds the field, its rules and default read as a field of its type reads them.
func (it *fieldItem) field() *flows.Field {
	f := &flows.Field{ID: it.ID, FlowID: it.FlowID, FlowSlug: it.FlowSlug, Name: it.Name, Slug: it.Slug,
		Description: it.Description, Type: flows.FieldType(it.FieldType), Required: it.Required, Enabled: it.Enabled,
		OmitNull: it.OmitNull, Order: it.Order, Version: it.Version}
	f.CreatedAt, _ = time.Parse(time.RFC3339Nano, it.CreatedAt)
	f.UpdatedAt, _ = time.Parse(time.RFC3339Nano, it.UpdatedAt)
	f.Rules, _ = flows.DecodeRules(json.RawMessage(it.Rules), f.Type)
	f.Default, _ = f.Decode(json.RawMessage(it.Default))
	return f
}

func marshal(v any) map[string]types.AttributeValue {
	m, err := attributevalue.MarshalMap(v)
	if err != nil {
		panic(err) // the items above always marshal
	}
	return m
}

// CreateFlow implements flows.Store: the flow, its slug's claim and the flow count, in one
// transaction.
func (s *Store) CreateFlow(ctx context.Context, f *flows.Flow) error {
	const op = "create flow"
	flow, claim := marshal(newFlowItem(f)), marshal(flowClaim{key: flowDefKey(f.Slug), Type: typeFlowClaim, FlowID: f.ID, Enabled: f.Enabled})
	count, _ := attributevalue.MarshalMap(flowCountKey())
	reasons, err := s.transact(ctx, op, func() []types.TransactWriteItem {
		return []types.TransactWriteItem{
			{Put: &types.Put{TableName: &s.table, Item: flow, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			{Put: &types.Put{TableName: &s.table, Item: claim, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			{Update: &types.Update{TableName: &s.table, Key: count, UpdateExpression: aws.String("ADD n :one"),
				ConditionExpression:       aws.String("attribute_not_exists(n) OR n < :max"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":one": numberAV(1), ":max": numberAV(flows.MaxFlows)}}},
		}
	})
	switch {
	case err != nil:
		return err
	case failed(reasons, 1):
		return flows.ErrFlowSlugTaken
	case failed(reasons, 2):
		return flows.ErrTooManyFlows
	case reasons != nil:
		return flows.ErrStale // an id collision: vanishingly rare
	}
	return nil
}

// Flow implements flows.Store with one consistent GetItem.
func (s *Store) Flow(ctx context.Context, id string) (*flows.Flow, error) {
	return getOne(ctx, s, "get flow", flowKey(id), (*flowItem).flow, flows.ErrFlowNotFound)
}

// Flows implements flows.Store with one Query (at most flows.MaxFlows items, a page).
func (s *Store) Flows(ctx context.Context) ([]*flows.Flow, error) {
	rows, err := s.between(ctx, "list flows", partFlows, "FLOW#", "FLOW$")
	if err != nil {
		return nil, err
	}
	return decodeAll("list flows", rows, (*flowItem).flow)
}

// between reads partition pk's rows with sort keys from from to to (every page, strongly
// consistent): the definitions of flows and of single sign-on, few and small.
func (s *Store) between(ctx context.Context, op, pk, from, to string) ([]map[string]types.AttributeValue, error) {
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{TableName: &s.table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk},
			":from": &types.AttributeValueMemberS{Value: from}, ":to": &types.AttributeValueMemberS{Value: to}}})
	var rows []map[string]types.AttributeValue
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fail(op, err)
		}
		rows = append(rows, out.Items...)
	}
	return rows, nil
}

// UpdateFlow implements flows.Store: the flow at cur's version and its claim's enabled, in
// one transaction; a new slug moves the claim, which only a flow without fields may do.
func (s *Store) UpdateFlow(ctx context.Context, cur, next *flows.Flow) error {
	const op = "update flow"
	flow := marshal(newFlowItem(next))
	version := map[string]types.AttributeValue{":v": numberAV(cur.Version)}
	oldClaim, _ := attributevalue.MarshalMap(flowDefKey(cur.Slug))
	reasons, err := s.transact(ctx, op, func() []types.TransactWriteItem {
		items := []types.TransactWriteItem{{Put: &types.Put{TableName: &s.table, Item: flow,
			ConditionExpression: aws.String("version = :v"), ExpressionAttributeValues: version,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}}}
		if next.Slug == cur.Slug {
			return append(items, types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: oldClaim,
				UpdateExpression: aws.String("SET enabled = :e"), ConditionExpression: aws.String("flow_id = :id"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":e": &types.AttributeValueMemberBOOL{Value: next.Enabled},
					":id": &types.AttributeValueMemberS{Value: cur.ID}}}})
		}
		claim := marshal(flowClaim{key: flowDefKey(next.Slug), Type: typeFlowClaim, FlowID: next.ID, Enabled: next.Enabled})
		return append(items,
			types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: oldClaim,
				ConditionExpression:       aws.String("flow_id = :id AND (attribute_not_exists(field_count) OR field_count = :zero)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: cur.ID}, ":zero": numberAV(0)}}},
			types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: claim, ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	})
	switch {
	case err != nil:
		return err
	case failed(reasons, 0):
		return changed(reasons[0].Item, flows.ErrStale)
	case next.Slug != cur.Slug && failed(reasons, 1):
		return flows.ErrSlugWithFields
	case next.Slug != cur.Slug && failed(reasons, 2):
		return flows.ErrFlowSlugTaken
	case reasons != nil:
		return flows.ErrStale
	}
	return nil
}

// DeleteFlow implements flows.Store: the flow, its claim (if it holds no fields) and one
// off the count, in one transaction.
func (s *Store) DeleteFlow(ctx context.Context, f *flows.Flow) error {
	flow, _ := attributevalue.MarshalMap(flowKey(f.ID))
	claim, _ := attributevalue.MarshalMap(flowDefKey(f.Slug))
	count, _ := attributevalue.MarshalMap(flowCountKey())
	reasons, err := s.transact(ctx, "delete flow", func() []types.TransactWriteItem {
		return []types.TransactWriteItem{
			{Delete: &types.Delete{TableName: &s.table, Key: flow, ConditionExpression: aws.String("version = :v"),
				ExpressionAttributeValues:           map[string]types.AttributeValue{":v": numberAV(f.Version)},
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
			{Delete: &types.Delete{TableName: &s.table, Key: claim,
				ConditionExpression:       aws.String("flow_id = :id AND (attribute_not_exists(field_count) OR field_count = :zero)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: f.ID}, ":zero": numberAV(0)}}},
			{Update: &types.Update{TableName: &s.table, Key: count, UpdateExpression: aws.String("ADD n :minus"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":minus": numberAV(-1)}}},
		}
	})
	switch {
	case err != nil:
		return err
	case failed(reasons, 1):
		return flows.ErrHasFields
	case failed(reasons, 0):
		return changed(reasons[0].Item, flows.ErrStale)
	case reasons != nil:
		return flows.ErrStale
	}
	return nil
}

// CreateField implements flows.Store: the field (its slug free in the flow), its pointer
// and one more on its flow's claim (still that flow's, under the limit), in one
// transaction.
func (s *Store) CreateField(ctx context.Context, f *flows.Field) error {
	field := marshal(newFieldItem(f))
	ptr := marshal(fieldPtr{key: fieldPtrKey(f.ID), Type: typeFieldPtr, FlowSlug: f.FlowSlug, Slug: f.Slug})
	claim, _ := attributevalue.MarshalMap(flowDefKey(f.FlowSlug))
	reasons, err := s.transact(ctx, "create field", func() []types.TransactWriteItem {
		return []types.TransactWriteItem{
			{Put: &types.Put{TableName: &s.table, Item: field, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			{Put: &types.Put{TableName: &s.table, Item: ptr, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			{Update: &types.Update{TableName: &s.table, Key: claim, UpdateExpression: aws.String("ADD field_count :one"),
				ConditionExpression: aws.String("flow_id = :id AND (attribute_not_exists(field_count) OR field_count < :max)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":one": numberAV(1), ":max": numberAV(flows.MaxFieldsPerFlow),
					":id": &types.AttributeValueMemberS{Value: f.FlowID}},
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
		}
	})
	switch {
	case err != nil:
		return err
	case failed(reasons, 0):
		return flows.ErrFieldSlugTaken
	case failed(reasons, 2):
		if attrString(reasons[2].Item, "flow_id") != f.FlowID {
			return flows.ErrFlowNotFound // deleted, or its slug moved, meanwhile
		}
		return flows.ErrTooManyFields
	case reasons != nil:
		return flows.ErrStale
	}
	return nil
}

// Field implements flows.Store: the pointer, then the field (two consistent GetItems).
func (s *Store) Field(ctx context.Context, id string) (*flows.Field, error) {
	ptr, err := getOne(ctx, s, "get field", fieldPtrKey(id), func(p *fieldPtr) *fieldPtr { return p }, flows.ErrFieldNotFound)
	if err != nil {
		return nil, err
	}
	return getOne(ctx, s, "get field", fieldDefKey(ptr.FlowSlug, ptr.Slug), (*fieldItem).field, flows.ErrFieldNotFound)
}

// FlowFields implements flows.Store with one consistent Query: the flow's claim and its
// fields, which sort right after it.
func (s *Store) FlowFields(ctx context.Context, flowSlug string) (*flows.Flow, []*flows.Field, error) {
	head := flowDefKey(flowSlug).SK
	rows, err := s.between(ctx, "list fields", partFlows, head, head+"#\uffff")
	if err != nil {
		return nil, nil, err
	}
	var flow *flows.Flow
	var fields []*flows.Field
	for _, row := range rows {
		switch attrString(row, "type") {
		case typeFlowClaim:
			var c flowClaim
			if err := attributevalue.UnmarshalMap(row, &c); err != nil {
				return nil, nil, fail("list fields", err)
			}
			flow = &flows.Flow{ID: c.FlowID, Slug: flowSlug, Enabled: c.Enabled, Fields: c.Fields, Retired: c.Retired}
		case typeField:
			var it fieldItem
			if err := attributevalue.UnmarshalMap(row, &it); err != nil {
				return nil, nil, fail("list fields", err)
			}
			fields = append(fields, it.field())
		}
	}
	return flow, fields, nil
}

// AllFields implements flows.Store: every definition row (claims and fields), fields kept.
func (s *Store) AllFields(ctx context.Context) ([]*flows.Field, error) {
	rows, err := s.between(ctx, "list fields", partFlows, "DEF#", "DEF$")
	if err != nil {
		return nil, err
	}
	var fields []*flows.Field
	for _, row := range rows {
		if attrString(row, "type") != typeField {
			continue
		}
		var it fieldItem
		if err := attributevalue.UnmarshalMap(row, &it); err != nil {
			return nil, fail("list fields", err)
		}
		fields = append(fields, it.field())
	}
	return fields, nil
}

// UpdateField implements flows.Store: the field at cur's version; a new slug moves it (its
// old item deleted, the new one's slug free, the pointer moved), in one transaction.
func (s *Store) UpdateField(ctx context.Context, cur, next *flows.Field) error {
	field := marshal(newFieldItem(next))
	// The field read, at its version: not another one created since under the same slug.
	version := map[string]types.AttributeValue{":v": numberAV(cur.Version), ":id": &types.AttributeValueMemberS{Value: cur.ID}}
	const same = "id = :id AND version = :v"
	reasons, err := s.transact(ctx, "update field", func() []types.TransactWriteItem {
		if next.Slug == cur.Slug {
			return []types.TransactWriteItem{{Put: &types.Put{TableName: &s.table, Item: field,
				ConditionExpression: aws.String(same), ExpressionAttributeValues: version,
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}}}
		}
		old, _ := attributevalue.MarshalMap(fieldDefKey(cur.FlowSlug, cur.Slug))
		ptr := marshal(fieldPtr{key: fieldPtrKey(cur.ID), Type: typeFieldPtr, FlowSlug: next.FlowSlug, Slug: next.Slug})
		return []types.TransactWriteItem{
			{Delete: &types.Delete{TableName: &s.table, Key: old, ConditionExpression: aws.String(same), ExpressionAttributeValues: version,
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
			{Put: &types.Put{TableName: &s.table, Item: field, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			{Put: &types.Put{TableName: &s.table, Item: ptr}},
		}
	})
	switch {
	case err != nil:
		return err
	case failed(reasons, 0):
		return sameField(reasons[0].Item, cur.ID, flows.ErrStale)
	case failed(reasons, 1):
		return flows.ErrFieldSlugTaken
	case reasons != nil:
		return flows.ErrStale
	}
	return nil
}

// sameField is err for a field write refused by its condition: with the version the field
// is at (etag.Changed) when item, as the condition found it, is still that field (id), and
// as it is when the slug now holds another field, or none.
func sameField(item map[string]types.AttributeValue, id string, err error) error {
	if attrString(item, "id") != id {
		return err
	}
	return changed(item, err)
}

// DeleteField implements flows.Store: the field (atVersion: still at f's version), its
// pointer and one off its flow's claim, in one transaction.
func (s *Store) DeleteField(ctx context.Context, f *flows.Field, atVersion bool) error {
	cond, values := "id = :id", map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: f.ID}}
	if atVersion {
		cond, values[":v"] = cond+" AND version = :v", numberAV(f.Version)
	}
	field, _ := attributevalue.MarshalMap(fieldDefKey(f.FlowSlug, f.Slug))
	ptr, _ := attributevalue.MarshalMap(fieldPtrKey(f.ID))
	claim, _ := attributevalue.MarshalMap(flowDefKey(f.FlowSlug))
	reasons, err := s.transact(ctx, "delete field", func() []types.TransactWriteItem {
		return []types.TransactWriteItem{
			{Delete: &types.Delete{TableName: &s.table, Key: field, ConditionExpression: aws.String(cond),
				ExpressionAttributeValues: values, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
			{Delete: &types.Delete{TableName: &s.table, Key: ptr}},
			{Update: &types.Update{TableName: &s.table, Key: claim, UpdateExpression: aws.String("ADD field_count :minus, retired :id"),
				ConditionExpression: aws.String("attribute_exists(PK)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":minus": numberAV(-1),
					":id": &types.AttributeValueMemberSS{Value: []string{f.ID}}}}},
		}
	})
	switch {
	case err != nil:
		return err
	case failed(reasons, 0) && attrString(reasons[0].Item, "id") == f.ID:
		return changed(reasons[0].Item, flows.ErrStale) // at another version
	case failed(reasons, 0):
		return flows.ErrFieldNotFound
	case reasons != nil:
		return flows.ErrStale
	}
	return nil
}
