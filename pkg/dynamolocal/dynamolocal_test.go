package dynamolocal_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acme/customers/pkg/dynamolocal"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func TestStartListStop(t *testing.T) {
	ctx := context.Background()
	s, err := dynamolocal.Start(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if !strings.HasPrefix(s.Endpoint(), "http://127.0.0.1:") {
		t.Fatalf("endpoint %q", s.Endpoint())
	}
	client, err := dynamolocal.Client(ctx, s.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables: %v", err)
	}

	s.Stop()
	s.Stop() // idempotent
	hc := http.Client{Timeout: time.Second}
	if resp, err := hc.Get(s.Endpoint()); err == nil {
		resp.Body.Close()
		t.Fatalf("server still answers after Stop")
	}
}

func TestStartPortInUse(t *testing.T) {
	ctx := context.Background()
	s, err := dynamolocal.Start(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	p, err := strconv.Atoi(s.Endpoint()[strings.LastIndex(s.Endpoint(), ":")+1:])
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if s2, err := dynamolocal.Start(ctx, p); err == nil {
		s2.Stop()
		t.Fatal("second server on the same port started")
	} else if !strings.Contains(err.Error(), "not free") {
		t.Fatalf("unclear error: %v", err)
	}
}

func TestEndpointFromEnv(t *testing.T) {
	t.Setenv(dynamolocal.EnvEndpoint, "http://127.0.0.1:1")
	ep, stop, err := dynamolocal.Endpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stop()
	if ep != "http://127.0.0.1:1" {
		t.Fatalf("endpoint %q", ep)
	}
}

// A java that fails at once must produce an error carrying its output.
func TestStartReportsJavaOutput(t *testing.T) {
	bin := t.TempDir()
	script := "#!/bin/sh\necho 'boom: cannot start' >&2\nexit 3\n"
	if err := os.WriteFile(filepath.Join(bin, "java"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	_, err := dynamolocal.Start(context.Background(), 0)
	if err == nil || !strings.Contains(err.Error(), "boom: cannot start") {
		t.Fatalf("error %v, want java's stderr in it", err)
	}
}
