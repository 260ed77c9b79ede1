package samlocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
)

// Build runs `make build-<LogicalId> ARTIFACTS_DIR=<buildDir>/<LogicalId> GOARCH=<host>`
// in root for each function, a few at a time, the way `sam build` calls the Makefile but
// for the machine the runner runs on. It returns every failure with make's output.
func Build(ctx context.Context, root, buildDir string, logicalIDs []string) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, max(2, runtime.NumCPU()))
	)
	for _, id := range logicalIDs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := buildOne(ctx, root, buildDir, id); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func buildOne(ctx context.Context, root, buildDir, id string) error {
	artifacts, err := filepath.Abs(filepath.Join(buildDir, id))
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "make", "--no-print-directory", "build-"+id,
		"ARTIFACTS_DIR="+artifacts, "GOARCH="+runtime.GOARCH)
	cmd.Dir = root
	// Own process group, so that cancelling kills make and the go build it runs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s: %v\n%s", id, err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}

// bootstrapPath is where Build puts a function's executable.
func bootstrapPath(buildDir, id string) string {
	return filepath.Join(buildDir, id, "bootstrap")
}
