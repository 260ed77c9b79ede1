// Package samlocal does locally what `sam local start-api` and `sam local invoke` do,
// without Docker: it reads template.yaml, builds the functions' bootstrap binaries through
// the Makefile, runs them as processes speaking the Lambda Runtime API (one invocation per
// process at a time, more processes when busy, kept warm), and serves the HttpApi routes
// as API Gateway would, with payload format 2.0 events.
//
// A test can start everything in-process:
//
//	r, err := samlocal.New(ctx, samlocal.Config{DynamoDBEndpoint: endpoint, TableName: "t1"})
//	...
//	defer r.Close()
//	err = r.Build(ctx)                        // every function of the template
//	out, err := r.Invoke(ctx, "GetCustomerFunction", event)
//	h, err := r.Handler()                     // the HttpApi routes
//	srv := httptest.NewServer(h)
package samlocal

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/acme/customers/pkg/dynamolocal"
	"github.com/acme/customers/pkg/samtemplate"
	"github.com/acme/customers/pkg/secrets"
)

// Local defaults, also documented in the README.
const (
	DefaultClientID  = "local-client"
	DefaultTableName = "customers"
)

// parameterEnv maps the template's parameters to the environment variables that override
// them locally, with their local defaults ("" means the template's Default).
var parameterEnv = []struct{ param, env, def string }{
	{"ClientId", "CLIENT_ID", DefaultClientID},
	{"BcryptCost", "BCRYPT_COST", ""},
	{"CorsAllowOrigins", "CORS_ALLOW_ORIGINS", ""},
}

// ParametersFromEnv returns the template parameter values for a local run: CLIENT_ID,
// BCRYPT_COST and CORS_ALLOW_ORIGINS from the environment,
// else the local defaults (the template's Default for BcryptCost and CorsAllowOrigins).
func ParametersFromEnv() samtemplate.Values {
	v := samtemplate.Values{}
	for _, p := range parameterEnv {
		if s := cmp.Or(os.Getenv(p.env), p.def); s != "" {
			v[p.param] = s
		}
	}
	return v
}

// Config configures a Runner. Only the zero values' defaults need reading.
type Config struct {
	// Root is the module root holding template.yaml and the Makefile; by default the
	// folder with go.mod above the working directory.
	Root string
	// Template defaults to Root/template.yaml.
	Template *samtemplate.Template
	// BuildDir defaults to Root/.aws-sam/build; function LogicalId's bootstrap is
	// BuildDir/LogicalId/bootstrap.
	BuildDir string
	// SecretsDir holds the template's secrets (made on first run); $SAMLOCAL_SECRETS_DIR,
	// else Root/.aws-sam/secrets, by default (tests give each run a folder of its own).
	SecretsDir string
	// DynamoDBEndpoint is given to the functions as AWS_ENDPOINT_URL_DYNAMODB; when set,
	// New creates the table there unless it exists.
	DynamoDBEndpoint string
	// TableName is what !Ref of the table yields; DefaultTableName when empty.
	TableName string
	// Parameters are the template parameter values; ParametersFromEnv() when nil.
	Parameters samtemplate.Values
	// Concurrency is the most processes per function; $FUNCTION_CONCURRENCY, else
	// DefaultConcurrency, when 0.
	Concurrency int
	// Log receives the functions' output and the request log; os.Stderr when nil.
	Log io.Writer
	// PrepareEvent, when set, rewrites every event before it is sent to a function (by
	// Invoke and by the HTTP handler), e.g. to fill in fresh tokens.
	PrepareEvent func(event []byte) ([]byte, error)
}

// Runner runs the template's functions locally.
type Runner struct {
	cfg    Config
	tmpl   *samtemplate.Template
	values samtemplate.Values

	secrets *localSecrets

	mu     sync.Mutex
	pools  map[string]*Pool
	closed bool
}

// New loads the template, checks every function's environment resolves, and creates the
// table in DynamoDB when cfg.DynamoDBEndpoint is set. It builds nothing: call Build.
func New(ctx context.Context, cfg Config) (*Runner, error) {
	if cfg.Root == "" {
		root, err := dynamolocal.ModuleRoot()
		if err != nil {
			return nil, err
		}
		cfg.Root = root
	}
	if cfg.Template == nil {
		t, err := samtemplate.Load(filepath.Join(cfg.Root, "template.yaml"))
		if err != nil {
			return nil, err
		}
		cfg.Template = t
	}
	cfg.BuildDir = cmp.Or(cfg.BuildDir, filepath.Join(cfg.Root, ".aws-sam", "build"))
	cfg.SecretsDir = cmp.Or(cfg.SecretsDir, os.Getenv("SAMLOCAL_SECRETS_DIR"), filepath.Join(cfg.Root, ".aws-sam", "secrets"))
	cfg.TableName = cmp.Or(cfg.TableName, DefaultTableName)
	if cfg.Parameters == nil {
		cfg.Parameters = ParametersFromEnv()
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency, _ = strconv.Atoi(os.Getenv("FUNCTION_CONCURRENCY"))
		if cfg.Concurrency <= 0 {
			cfg.Concurrency = DefaultConcurrency
		}
	}
	if cfg.Log == nil {
		cfg.Log = os.Stderr
	}

	r := &Runner{cfg: cfg, tmpl: cfg.Template, values: samtemplate.Values{}, pools: map[string]*Pool{}}
	for k, v := range cfg.Parameters {
		r.values[k] = v
	}
	if r.tmpl.Table != nil {
		r.values[r.tmpl.Table.LogicalID] = cfg.TableName
	}
	sec, err := startSecrets(cfg.SecretsDir, r.tmpl, r.values)
	if err != nil {
		return nil, err
	}
	r.secrets = sec
	for i := range r.tmpl.Functions {
		if _, err := r.tmpl.Environment(&r.tmpl.Functions[i], r.values); err != nil {
			r.Close()
			return nil, err
		}
	}
	if cfg.DynamoDBEndpoint != "" && r.tmpl.Table != nil {
		client, err := dynamolocal.Client(ctx, cfg.DynamoDBEndpoint)
		if err != nil {
			r.Close()
			return nil, err
		}
		if _, err := r.tmpl.EnsureTable(ctx, client, cfg.TableName); err != nil {
			r.Close()
			return nil, err
		}
	}
	return r, nil
}

// Secrets is the functions' Secrets Manager: the template's secrets as the functions read
// them (cmd/keys rotates them through its URL, SecretsURL).
func (r *Runner) Secrets() *secrets.Local { return r.secrets.Local }

// SecretsDir is the folder the secrets are kept in.
func (r *Runner) SecretsDir() string { return r.cfg.SecretsDir }

// SecretsURL is the address of the functions' Secrets Manager.
func (r *Runner) SecretsURL() string { return r.secrets.url }

// Template returns the template the runner serves.
func (r *Runner) Template() *samtemplate.Template { return r.tmpl }

// Values returns the parameter and resource values the functions' environment is
// resolved with.
func (r *Runner) Values() samtemplate.Values { return r.values }

// Build builds the named functions, or all of them when none are named.
func (r *Runner) Build(ctx context.Context, logicalIDs ...string) error {
	if len(logicalIDs) == 0 {
		for _, fn := range r.tmpl.Functions {
			logicalIDs = append(logicalIDs, fn.LogicalID)
		}
	}
	for _, id := range logicalIDs {
		if _, err := r.tmpl.Function(id); err != nil {
			return err
		}
	}
	return Build(ctx, r.cfg.Root, r.cfg.BuildDir, logicalIDs)
}

// Invoke runs the function with the event (after PrepareEvent) and returns its output,
// like `sam local invoke -e`. The function must have been built. A failed invocation
// returns an *InvokeError whose Payload is the Lambda error document.
func (r *Runner) Invoke(ctx context.Context, logicalID string, event []byte) ([]byte, error) {
	pool, err := r.pool(logicalID)
	if err != nil {
		return nil, err
	}
	if r.cfg.PrepareEvent != nil {
		if event, err = r.cfg.PrepareEvent(event); err != nil {
			return nil, fmt.Errorf("samlocal: prepare event for %s: %w", logicalID, err)
		}
	}
	return pool.Invoke(ctx, event)
}

// Handler serves every HttpApi route of the template, like `sam local start-api`.
func (r *Runner) Handler() (http.Handler, error) {
	var routes []Route
	for _, fn := range r.tmpl.Functions {
		for _, rt := range fn.Routes {
			routes = append(routes, Route{Method: rt.Method, Path: rt.Path, Function: fn.LogicalID})
		}
	}
	cors, err := r.CORS()
	if err != nil {
		return nil, err
	}
	return NewAPI(APIConfig{Routes: routes, Invoke: r.Invoke, CORS: cors, Log: r.cfg.Log})
}

// CORS returns the HttpApi's CORS configuration with its origins resolved, nil if none.
func (r *Runner) CORS() (*CORS, error) {
	if r.tmpl.Api == nil || r.tmpl.Api.Cors == nil {
		return nil, nil
	}
	c := r.tmpl.Api.Cors
	origins, err := r.tmpl.ResolveList(c.AllowOrigins, r.values)
	if err != nil {
		return nil, fmt.Errorf("CorsConfiguration.AllowOrigins: %w", err)
	}
	return &CORS{
		AllowOrigins: origins, AllowMethods: c.AllowMethods, AllowHeaders: c.AllowHeaders,
		ExposeHeaders: c.ExposeHeaders, AllowCredentials: c.AllowCredentials, MaxAge: c.MaxAge,
	}, nil
}

// Close stops every function process.
func (r *Runner) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for _, p := range r.pools {
		p.Close()
	}
	if r.secrets != nil {
		_ = r.secrets.srv.Close()
	}
}

// pool returns the function's process pool, creating it on first use.
func (r *Runner) pool(logicalID string) (*Pool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, errors.New("samlocal: runner closed")
	}
	if p, ok := r.pools[logicalID]; ok {
		return p, nil
	}
	fn, err := r.tmpl.Function(logicalID)
	if err != nil {
		return nil, err
	}
	bootstrap := bootstrapPath(r.cfg.BuildDir, logicalID)
	if _, err := os.Stat(bootstrap); err != nil {
		return nil, fmt.Errorf("samlocal: %s is not built (%v); call Build first", logicalID, err)
	}
	env, err := r.tmpl.Environment(fn, r.values)
	if err != nil {
		return nil, err
	}
	if r.cfg.DynamoDBEndpoint != "" {
		env["AWS_ENDPOINT_URL_DYNAMODB"] = r.cfg.DynamoDBEndpoint
	}
	env[secrets.EndpointEnv] = r.secrets.url
	p := NewPool(Lambda{
		Name:        logicalID,
		Bootstrap:   bootstrap,
		Env:         env,
		MemorySize:  fn.MemorySize,
		Timeout:     time.Duration(fn.Timeout) * time.Second,
		Concurrency: r.cfg.Concurrency,
		Log:         r.cfg.Log,
	})
	r.pools[logicalID] = p
	return p, nil
}
