package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/acme/customers/pkg/dynamolocal"
)

// TestSDKEndToEnd drives what `make local` serves with the official JavaScript SDK
// (@moltin/sdk from package.json), unchanged: authenticate, sign up, log in, read and
// update with the customer token, list, delete (testdata/sdk-e2e.mjs).
func TestSDKEndToEnd(t *testing.T) {
	root, err := dynamolocal.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "@moltin", "sdk")); err != nil {
		t.Fatal("@moltin/sdk is not installed: run `make deps` (make test does)")
	}
	t.Setenv("CLIENT_ID", "sdk-test-client")
	t.Setenv("CLIENT_SECRET", "sdk-test-client-secret")
	addr, _ := serveAPI(t)
	cmd := exec.Command("node", "testdata/sdk-e2e.mjs")
	cmd.Env = append(os.Environ(), "API_HOST="+addr)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("the SDK run failed: %v", err)
	}
}
