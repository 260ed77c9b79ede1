package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/acme/customers/pkg/fixtures"
	"github.com/acme/customers/pkg/samlocal"
)

// invoke runs one function with one event, like `sam local invoke -e`, after filling the
// event's placeholders with pkg/fixtures, and prints the
// function's response (or its error document) on stdout. It fails when the invocation does.
func invoke(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, rest, err := parseFlags("invoke", args, stderr)
	if err != nil {
		return 2
	}
	if len(rest) != 2 {
		fmt.Fprint(stderr, "samlocal: invoke needs <LogicalId> <event.json|->\n", usage)
		return 2
	}
	id, eventPath := rest[0], rest[1]
	var event []byte
	if eventPath == "-" {
		event, err = io.ReadAll(stdin)
	} else {
		event, err = os.ReadFile(eventPath)
	}
	if err != nil {
		return report(stderr, err)
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	l, err := setUp(ctx, o, stderr)
	if err != nil {
		return report(stderr, err)
	}
	defer l.close()
	if err := l.runner.Build(ctx, id); err != nil {
		return report(stderr, err)
	}
	if usesFixtures(event) {
		prep, err := fixtures.ForRunner(ctx, l.runner, l.endpoint)
		if err == nil {
			event, err = prep.Prepare(ctx, event)
		}
		if err != nil {
			return report(stderr, err)
		}
	}
	out, err := l.runner.Invoke(ctx, id, event)
	if len(out) > 0 {
		fmt.Fprintf(stdout, "%s\n", out)
	}
	var ie *samlocal.InvokeError
	if errors.As(err, &ie) {
		fmt.Fprintf(stderr, "samlocal: %s failed: %v\n", id, err)
		return 1
	}
	return report(stderr, err)
}

// usesFixtures reports whether an event needs pkg/fixtures: it has placeholders such as
// {{client_credentials_token}} (see events/README.md) or acts on the example customer.
func usesFixtures(event []byte) bool {
	return bytes.Contains(event, []byte("{{")) || bytes.Contains(event, []byte(fixtures.Email))
}
