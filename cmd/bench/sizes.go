package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/acme/customers/pkg/samtemplate"
)

// minimalPackage is a Lambda that does nothing but one GetItem (events, lambda, config,
// dynamodb): the floor our binaries are compared with. It lives under testdata so that
// ./... leaves it alone, and builds with the module's go.mod.
const minimalPackage = "./cmd/bench/testdata/minimal"

// minimalFlags are the flags of the Makefile's build-%Function rule, stated here for the
// minimal binary (the functions themselves are built by make).
var minimalFlags = []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w"}

type binary struct {
	name string
	size int64
}

// buildSizes builds every makefile-built function of the template with
// `make build-<LogicalId> GOARCH=arm64 ARTIFACTS_DIR=<tmp>/<LogicalId>`, and the minimal
// Lambda with the same go build flags, and returns their sizes, the minimal one first.
func buildSizes(ctx context.Context, root string, tpl *samtemplate.Template) ([]binary, error) {
	tmp, err := os.MkdirTemp("", "bench-binaries-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	out := filepath.Join(tmp, "minimal", "bootstrap")
	cmd := exec.CommandContext(ctx, "go", append(minimalFlags, "-o", out, minimalPackage)...)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if err := runIn(root, cmd); err != nil {
		return nil, fmt.Errorf("build the minimal Lambda: %w", err)
	}
	minimal, err := size(out)
	if err != nil {
		return nil, err
	}
	bins := []binary{{"minimal Lambda (GetItem only)", minimal}}
	for _, f := range tpl.Functions {
		if f.BuildMethod != "makefile" {
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: make build-%s GOARCH=arm64\n", f.LogicalID)
		dir := filepath.Join(tmp, f.LogicalID)
		cmd := exec.CommandContext(ctx, "make", "--no-print-directory", "build-"+f.LogicalID,
			"GOARCH=arm64", "ARTIFACTS_DIR="+dir)
		if err := runIn(root, cmd); err != nil {
			return nil, fmt.Errorf("make build-%s: %w", f.LogicalID, err)
		}
		n, err := size(filepath.Join(dir, "bootstrap"))
		if err != nil {
			return nil, err
		}
		bins = append(bins, binary{f.LogicalID, n})
	}
	return bins, nil
}

func runIn(dir string, cmd *exec.Cmd) error {
	var out bytes.Buffer
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%v\n%s", err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}

func size(path string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
