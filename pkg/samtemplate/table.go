package samtemplate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Table is the template's AWS::DynamoDB::Table: the properties CreateTable needs, as
// CloudFormation spells them.
type Table struct {
	LogicalID               string
	BillingMode             string // PAY_PER_REQUEST or PROVISIONED (the default)
	AttributeDefinitions    []AttributeDefinition
	KeySchema               []KeyElement
	GlobalSecondaryIndexes  []Index
	LocalSecondaryIndexes   []Index
	ProvisionedThroughput   *Throughput
	StreamSpecification     *struct{ StreamViewType string }
	TimeToLiveSpecification *struct {
		AttributeName string
		Enabled       bool
	}
}

// AttributeDefinition declares a key attribute's type (S, N or B).
type AttributeDefinition struct {
	AttributeName string
	AttributeType string
}

// KeyElement is one part of a key schema (KeyType HASH or RANGE).
type KeyElement struct {
	AttributeName string
	KeyType       string
}

// Index is a global or local secondary index.
type Index struct {
	IndexName             string
	KeySchema             []KeyElement
	Projection            Projection
	ProvisionedThroughput *Throughput
}

// Projection says which attributes an index copies.
type Projection struct {
	ProjectionType   string // ALL, KEYS_ONLY or INCLUDE
	NonKeyAttributes []string
}

// Throughput is a provisioned capacity.
type Throughput struct {
	ReadCapacityUnits  int64
	WriteCapacityUnits int64
}

// parseTable reads the table properties; intrinsics are not allowed in the fields used.
func parseTable(id string, props map[string]any) (*Table, error) {
	// The properties are plain data: decode them through JSON into the typed struct.
	data, err := json.Marshal(props)
	if err != nil {
		return nil, err
	}
	t := &Table{}
	if err := json.Unmarshal(data, t); err != nil {
		return nil, fmt.Errorf("table properties: %w", err)
	}
	t.LogicalID = id
	if len(t.KeySchema) == 0 {
		return nil, errors.New("table has no KeySchema")
	}
	return t, nil
}

// CreateTableInput builds the CreateTable request for the template's table under the
// given name. Server-side encryption, point-in-time recovery and tags are left out: they
// do not change how the table behaves locally.
func (t *Template) CreateTableInput(tableName string) (*dynamodb.CreateTableInput, error) {
	tbl := t.Table
	if tbl == nil {
		return nil, fmt.Errorf("template has no %s", TypeTable)
	}
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(tableName),
		BillingMode: types.BillingModeProvisioned,
		KeySchema:   keySchema(tbl.KeySchema),
	}
	if tbl.BillingMode != "" {
		in.BillingMode = types.BillingMode(tbl.BillingMode)
	}
	provisioned := in.BillingMode == types.BillingModeProvisioned
	for _, a := range tbl.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName),
			AttributeType: types.ScalarAttributeType(a.AttributeType),
		})
	}
	if provisioned {
		if tbl.ProvisionedThroughput == nil {
			return nil, errors.New("table is PROVISIONED but has no ProvisionedThroughput")
		}
		in.ProvisionedThroughput = throughput(tbl.ProvisionedThroughput)
	}
	for _, ix := range tbl.GlobalSecondaryIndexes {
		g := types.GlobalSecondaryIndex{
			IndexName:  aws.String(ix.IndexName),
			KeySchema:  keySchema(ix.KeySchema),
			Projection: projection(ix.Projection),
		}
		if provisioned {
			if ix.ProvisionedThroughput == nil {
				return nil, fmt.Errorf("index %s has no ProvisionedThroughput", ix.IndexName)
			}
			g.ProvisionedThroughput = throughput(ix.ProvisionedThroughput)
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, g)
	}
	for _, ix := range tbl.LocalSecondaryIndexes {
		in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, types.LocalSecondaryIndex{
			IndexName:  aws.String(ix.IndexName),
			KeySchema:  keySchema(ix.KeySchema),
			Projection: projection(ix.Projection),
		})
	}
	if s := tbl.StreamSpecification; s != nil && s.StreamViewType != "" {
		in.StreamSpecification = &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewType(s.StreamViewType),
		}
	}
	return in, nil
}

// CreateTable creates the template's table under tableName, enables its time-to-live
// attribute when the template does, and waits until the table is ACTIVE. It fails with a
// *types.ResourceInUseException (see errors.As) when the table exists; EnsureTable
// accepts an existing table.
func (t *Template) CreateTable(ctx context.Context, client *dynamodb.Client, tableName string) error {
	in, err := t.CreateTableInput(tableName)
	if err != nil {
		return err
	}
	if _, err := client.CreateTable(ctx, in); err != nil {
		return fmt.Errorf("create table %s: %w", tableName, err)
	}
	if err := waitActive(ctx, client, tableName); err != nil {
		return err
	}
	if ttl := t.Table.TimeToLiveSpecification; ttl != nil && ttl.Enabled {
		_, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName: aws.String(tableName),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{
				AttributeName: aws.String(ttl.AttributeName),
				Enabled:       aws.Bool(true),
			},
		})
		if err != nil {
			return fmt.Errorf("enable time to live on %s: %w", tableName, err)
		}
	}
	return nil
}

// EnsureTable creates the table like CreateTable unless a table of that name exists
// already (it is not compared with the template); created reports which happened.
func (t *Template) EnsureTable(ctx context.Context, client *dynamodb.Client, tableName string) (created bool, err error) {
	_, err = client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(tableName)})
	var notFound *types.ResourceNotFoundException
	switch {
	case err == nil:
		return false, waitActive(ctx, client, tableName)
	case !errors.As(err, &notFound):
		return false, fmt.Errorf("describe table %s: %w", tableName, err)
	}
	err = t.CreateTable(ctx, client, tableName)
	var inUse *types.ResourceInUseException
	if errors.As(err, &inUse) { // created meanwhile by someone else
		return false, waitActive(ctx, client, tableName)
	}
	return err == nil, err
}

func waitActive(ctx context.Context, client *dynamodb.Client, tableName string) error {
	w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(tableName)}, 2*time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", tableName, err)
	}
	return nil
}

func keySchema(ks []KeyElement) []types.KeySchemaElement {
	out := make([]types.KeySchemaElement, 0, len(ks))
	for _, k := range ks {
		out = append(out, types.KeySchemaElement{
			AttributeName: aws.String(k.AttributeName),
			KeyType:       types.KeyType(k.KeyType),
		})
	}
	return out
}

func projection(p Projection) *types.Projection {
	out := &types.Projection{ProjectionType: types.ProjectionType(p.ProjectionType)}
	if len(p.NonKeyAttributes) > 0 {
		out.NonKeyAttributes = p.NonKeyAttributes
	}
	return out
}

func throughput(t *Throughput) *types.ProvisionedThroughput {
	return &types.ProvisionedThroughput{
		ReadCapacityUnits:  aws.Int64(t.ReadCapacityUnits),
		WriteCapacityUnits: aws.Int64(t.WriteCapacityUnits),
	}
}
