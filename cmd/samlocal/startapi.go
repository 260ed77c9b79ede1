package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// startAPI serves the template's HttpApi routes until ctx ends or SIGINT/SIGTERM arrives,
// with a mock OpenID Connect provider for single sign-on next to them (see startIdP).
func startAPI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, rest, err := parseFlags("start-api", args, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("start-api takes no arguments, got %q", rest)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	port, err := envInt("PORT", 3000)
	if err != nil {
		return err
	}

	l, err := setUp(ctx, o, stderr)
	if err != nil {
		return err
	}
	defer l.close()
	idp := startIdP(ctx, stderr)
	defer idp.stop()
	fns := l.runner.Template().Functions
	fmt.Fprintf(stderr, "samlocal: building %d functions\n", len(fns))
	if err := l.runner.Build(ctx); err != nil {
		return err
	}
	handler, err := l.runner.Handler()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	url := "http://" + ln.Addr().String()
	values := l.runner.Values()
	fmt.Fprintf(stdout, "API            %s\nStaff console  %s/console/ (sign in with the client id and secret below)\n", url, url)
	for _, fn := range fns {
		for _, rt := range fn.Routes {
			fmt.Fprintf(stdout, "  %-40s %s\n", rt.RouteKey(), fn.LogicalID)
		}
	}
	clientSecret := "(none: the template has no ClientSecret)"
	if id := values["ClientSecret"]; id != "" {
		set, err := l.runner.Secrets().Get(ctx, id)
		if err != nil {
			return err
		}
		clientSecret = set.Current
	}
	fmt.Fprintf(stdout, "Client id      %s\nClient secret  %s\nSecrets        %s (the functions' Secrets Manager, at %s)\nDynamoDB       %s (table %s)\n",
		values["ClientId"], clientSecret, l.runner.SecretsDir(), l.runner.SecretsURL(), l.endpoint, l.table)
	idp.banner(stdout)
	fmt.Fprintln(stdout, "Ctrl-C stops everything.")

	select {
	case err = <-served:
	case <-ctx.Done():
		stop() // a second Ctrl-C now ends the runner at once
		fmt.Fprintln(stderr, "samlocal: stopping")
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = srv.Shutdown(shutdown)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
