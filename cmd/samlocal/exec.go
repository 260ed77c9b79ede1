package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/acme/customers/pkg/dynamolocal"
)

// execCommand runs a command with DYNAMODB_ENDPOINT pointing at a DynamoDB Local started
// for it on a free port (or at $DYNAMODB_ENDPOINT when set), stops DynamoDB Local
// afterwards, and returns the command's exit status.
func execCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, "samlocal: exec needs a command\n", usage)
		return 2
	}
	// Signals go to the command; this process waits for it, then cleans up.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)

	endpoint, stop, err := dynamolocal.Endpoint(ctx)
	if err != nil {
		return report(stderr, err)
	}
	defer stop()

	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	cmd.Env = append(os.Environ(), dynamolocal.EnvEndpoint+"="+endpoint)
	if err := cmd.Start(); err != nil {
		return report(stderr, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-signals:
			cmd.Process.Signal(sig)
		case err := <-done:
			var exitErr *exec.ExitError
			switch {
			case err == nil:
				return 0
			case errors.As(err, &exitErr):
				if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					return 128 + int(ws.Signal())
				}
				return exitErr.ExitCode()
			default:
				return report(stderr, err)
			}
		}
	}
}
