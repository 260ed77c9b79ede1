// Package soak drives the service as `make local` runs it with a storefront's and a back
// office's mixed workload from many concurrent clients, records every write the clients
// were told succeeded, and then reconciles that record against the table: nothing lost,
// nothing duplicated, counts that agree, and the customers it deleted erased by the
// scheduled cleanup, which runs meanwhile. With a chaos.Proxy between the functions and
// DynamoDB (Config.Faults) it does the same while DynamoDB throttles, fails, resets
// connections and loses answers of writes it applied.
package soak

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/acme/customers/pkg/chaos"
	"github.com/acme/customers/pkg/cleanup"
	"github.com/acme/customers/pkg/dynamolocal"
	"github.com/acme/customers/pkg/samlocal"
	"github.com/acme/customers/pkg/samtemplate"
)

// Functions are the template's functions the workload calls, and the scheduled cleanup
// the runner invokes (CleanupFunction): only these are built.
var Functions = []string{
	"AccessTokenFunction",
	"CreateCustomerFunction", "CreateCustomerTokenFunction", "GetCustomerFunction", "UpdateCustomerFunction", "DeleteCustomerFunction",
	"ListCustomersFunction",
	"CreateAddressFunction", "GetAddressFunction", "UpdateAddressFunction", "DeleteAddressFunction", "ListAddressesFunction",
	"AddCartItemFunction", "UpdateCartItemFunction", "DeleteCartItemFunction", "ListCartItemsFunction",
	"CheckoutFunction", "GetOrderFunction", "GetOrderItemsFunction", "ListOrdersFunction", "UpdateOrderFunction",
	CleanupFunction,
}

// CleanupFunction is the scheduled erasure of deleted customers (pkg/cleanup); cleanupEvent
// is the schedule's event it is invoked with, as `make invoke` does.
const (
	CleanupFunction = "CleanupDeletedCustomersFunction"
	cleanupEvent    = "events/cleanup-deleted-customers.json"
)

// StackConfig says where and how to start the service.
type StackConfig struct {
	// Root is the module root (template.yaml, the Makefile); found from the working
	// directory when empty.
	Root string
	// BuildDir receives the functions' binaries (built for this machine).
	BuildDir string
	// Prebuilt: BuildDir holds Functions built already (Build), so Start builds nothing.
	Prebuilt bool
	// SecretsDir holds the run's secrets; a new temporary folder when empty.
	SecretsDir string
	// Endpoint is a running DynamoDB (Local); when empty, DynamoDB Local is started on a
	// free port and stopped by Close.
	Endpoint string
	// Table is created fresh; it must not exist yet.
	Table string
	// Chaos puts a chaos.Proxy (no faults until told) between the functions and DynamoDB.
	Chaos bool
	// Concurrency is the most processes per function (samlocal.DefaultConcurrency when 0).
	Concurrency int
	// Log receives the functions' output and the local API's request log.
	Log io.Writer
}

// Stack is the service running for a run: the template's functions behind the local HTTP
// API, DynamoDB (Local) with a fresh table, and the proxy when asked for.
type Stack struct {
	URL          string // the API
	ClientID     string
	ClientSecret string
	Table        string
	Endpoint     string           // DynamoDB itself, not through the proxy
	DB           *dynamodb.Client // on Endpoint: the reconciliation reads the table with it
	Proxy        *chaos.Proxy     // nil without chaos
	Template     *samtemplate.Template

	runner       *samlocal.Runner
	srv          *http.Server
	cleanup      []func()
	cleanupEvent []byte
}

// Start builds Functions and starts the stack. Close stops it.
func Start(ctx context.Context, cfg StackConfig) (_ *Stack, err error) {
	s := &Stack{Table: cfg.Table}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if cfg.Root == "" {
		if cfg.Root, err = dynamolocal.ModuleRoot(); err != nil {
			return nil, err
		}
	}
	if cfg.Table == "" {
		return nil, errors.New("soak: a table name is required")
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if s.Template, err = samtemplate.Load(filepath.Join(cfg.Root, "template.yaml")); err != nil {
		return nil, err
	}
	if s.Endpoint = cfg.Endpoint; s.Endpoint == "" {
		db, err := dynamolocal.Start(ctx, 0)
		if err != nil {
			return nil, err
		}
		s.Endpoint = db.Endpoint()
		s.cleanup = append(s.cleanup, db.Stop)
	}
	if s.DB, err = dynamolocal.Client(ctx, s.Endpoint); err != nil {
		return nil, err
	}
	if _, err := s.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &cfg.Table}); err == nil {
		return nil, fmt.Errorf("soak: table %s exists already: a run needs a fresh one", cfg.Table)
	}
	if err := s.Template.CreateTable(ctx, s.DB, cfg.Table); err != nil {
		return nil, err
	}
	functionsDB := s.Endpoint
	if cfg.Chaos {
		if s.Proxy, err = chaos.New(s.Endpoint); err != nil {
			return nil, err
		}
		s.cleanup = append(s.cleanup, func() { s.Proxy.Close() })
		functionsDB = s.Proxy.URL()
	}
	if cfg.SecretsDir == "" {
		dir, err := os.MkdirTemp("", "soak-secrets-")
		if err != nil {
			return nil, err
		}
		cfg.SecretsDir = dir
		s.cleanup = append(s.cleanup, func() { os.RemoveAll(dir) })
	}
	if s.cleanupEvent, err = os.ReadFile(filepath.Join(cfg.Root, cleanupEvent)); err != nil {
		return nil, err
	}
	params := samlocal.ParametersFromEnv()
	// No retention: every customer deleted before a cleanup run is due at that run, so the
	// run's final cleanup leaves none behind (a deployment's grace period changes only when).
	params["CleanupRetentionDays"] = "0"
	s.runner, err = samlocal.New(ctx, samlocal.Config{
		Root: cfg.Root, Template: s.Template, BuildDir: cfg.BuildDir, SecretsDir: cfg.SecretsDir,
		DynamoDBEndpoint: functionsDB, TableName: cfg.Table, Concurrency: cfg.Concurrency, Log: cfg.Log,
		Parameters: params,
	})
	if err != nil {
		return nil, err
	}
	if !cfg.Prebuilt {
		if err := s.runner.Build(ctx, Functions...); err != nil {
			return nil, err
		}
	}
	values := s.runner.Values()
	s.ClientID = values["ClientId"]
	if id := values["ClientSecret"]; id != "" {
		set, err := s.runner.Secrets().Get(ctx, id)
		if err != nil {
			return nil, err
		}
		s.ClientSecret = set.Current
	}
	h, err := s.runner.Handler()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	s.URL = "http://" + ln.Addr().String()
	return s, nil
}

// Cleanup invokes CleanupFunction once, as its schedule does, and returns its report (the
// function's answer); a run that ends on an error returns the error alone.
func (s *Stack) Cleanup(ctx context.Context) (cleanup.Report, error) {
	var rep cleanup.Report
	out, err := s.runner.Invoke(ctx, CleanupFunction, s.cleanupEvent)
	if err != nil {
		return rep, err
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		return rep, fmt.Errorf("soak: the cleanup's answer %q: %w", out, err)
	}
	return rep, nil
}

// Build builds Functions into buildDir for this machine, as Start does, for stacks started
// with Prebuilt.
func Build(ctx context.Context, root, buildDir string) error {
	return samlocal.Build(ctx, root, buildDir, Functions)
}

// Close stops the API, the functions, the proxy and DynamoDB Local if Start started it;
// the table stays (DynamoDB Local's is in memory).
func (s *Stack) Close() {
	if s.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.srv.Shutdown(ctx)
		cancel()
	}
	if s.runner != nil {
		s.runner.Close()
	}
	for i := len(s.cleanup) - 1; i >= 0; i-- {
		s.cleanup[i]()
	}
}
