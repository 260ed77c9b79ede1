// Package testenv gives tests a real DynamoDB: DynamoDB Local (started once per test
// binary unless DYNAMODB_ENDPOINT names a running one) and a fresh table per test, created
// from template.yaml's definition. It also counts the DynamoDB calls a test makes, so tests
// can hold each request to its round-trip budget. If DynamoDB Local cannot start, the tests
// fail; they never skip.
package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/acme/customers/pkg/dynamolocal"
	"github.com/acme/customers/pkg/samtemplate"
)

var (
	endpoint string
	tpl      *samtemplate.Template
	tables   atomic.Int64
)

// Main starts DynamoDB Local for the package's tests and stops it afterwards. Call it from
// TestMain.
func Main(m *testing.M) {
	ctx := context.Background()
	ep, stop, err := dynamolocal.Endpoint(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv: DynamoDB Local is required:", err)
		os.Exit(1)
	}
	endpoint = ep
	code := m.Run()
	stopProvider()
	stop()
	os.Exit(code)
}

// Endpoint is the DynamoDB endpoint Main started or found.
func Endpoint() string { return endpoint }

// Template returns the project's parsed template.yaml.
func Template(t testing.TB) *samtemplate.Template {
	t.Helper()
	if tpl == nil {
		root, err := dynamolocal.ModuleRoot()
		if err != nil {
			t.Fatal(err)
		}
		if tpl, err = samtemplate.Load(filepath.Join(root, "template.yaml")); err != nil {
			t.Fatal(err)
		}
	}
	return tpl
}

// DB is a client on a fresh table, counting the calls made through it.
type DB struct {
	*dynamodb.Client
	Table string
	calls *dynamolocal.Calls
}

// Calls returns the counter of this client.
func (d *DB) Calls() *dynamolocal.Calls { return d.calls }

// NewDB creates a fresh table from the template and returns a counting client on it.
func NewDB(t testing.TB) *DB {
	t.Helper()
	if endpoint == "" {
		t.Fatal("testenv: call testenv.Main from TestMain")
	}
	calls := dynamolocal.NewCalls()
	table, indexes := partitionKeys(Template(t).Table)
	calls.RecordAccess(table, indexes)
	base, err := dynamolocal.Client(context.Background(), endpoint)
	if err != nil {
		t.Fatal(err)
	}
	client := dynamodb.New(base.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, calls.Install)
	})
	name := fmt.Sprintf("test-%d-%d", os.Getpid(), tables.Add(1))
	if err := Template(t).CreateTable(context.Background(), base, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = base.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	calls.Reset()
	return &DB{Client: client, Table: name, calls: calls}
}

// partitionKeys names the partition key attribute of the table and of each of its indexes.
func partitionKeys(t *samtemplate.Table) (table string, indexes map[string]string) {
	hash := func(ks []samtemplate.KeyElement) string {
		for _, k := range ks {
			if k.KeyType == "HASH" {
				return k.AttributeName
			}
		}
		return ""
	}
	indexes = map[string]string{}
	for _, ix := range append(slices.Clone(t.GlobalSecondaryIndexes), t.LocalSecondaryIndexes...) {
		indexes[ix.IndexName] = hash(ix.KeySchema)
	}
	return hash(t.KeySchema), indexes
}
