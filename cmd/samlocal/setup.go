package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/acme/customers/pkg/dynamolocal"
	"github.com/acme/customers/pkg/samlocal"
	"github.com/acme/customers/pkg/samtemplate"
)

// options are the flags start-api and invoke share, as sam spells them.
type options struct {
	template string
	buildDir string
}

func parseFlags(name string, args []string, stderr io.Writer) (*options, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	for _, n := range []string{"t", "template"} {
		fs.StringVar(&o.template, n, "", "the SAM template (default: template.yaml in the module root)")
	}
	for _, n := range []string{"b", "build-dir"} {
		fs.StringVar(&o.buildDir, n, "", "where built functions go (default: .aws-sam/build next to the template)")
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	return o, fs.Args(), nil
}

// local is a DynamoDB (Local) with the template's table, and a runner for the template.
type local struct {
	endpoint string
	table    string
	runner   *samlocal.Runner
	stopDB   func()
}

// setUp starts DynamoDB Local on $DYNAMODB_PORT (8000) unless $DYNAMODB_ENDPOINT is set,
// creates the table $TABLE_NAME (customers) from the template unless it exists, and
// returns a runner for the template's functions. close undoes it all.
func setUp(ctx context.Context, o *options, stderr io.Writer) (*local, error) {
	tmplPath := o.template
	if tmplPath == "" {
		root, err := dynamolocal.ModuleRoot()
		if err != nil {
			return nil, err
		}
		tmplPath = filepath.Join(root, "template.yaml")
	}
	tmpl, err := samtemplate.Load(tmplPath)
	if err != nil {
		return nil, err
	}
	root := filepath.Dir(tmplPath)

	l := &local{table: cmp.Or(os.Getenv("TABLE_NAME"), samlocal.DefaultTableName), stopDB: func() {}}
	if l.endpoint = os.Getenv(dynamolocal.EnvEndpoint); l.endpoint == "" {
		port, err := envInt("DYNAMODB_PORT", 8000)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(stderr, "samlocal: starting DynamoDB Local on port %d\n", port)
		s, err := dynamolocal.Start(ctx, port)
		if err != nil {
			return nil, fmt.Errorf("%w\n(set DYNAMODB_PORT to another port, or DYNAMODB_ENDPOINT to use a running DynamoDB)", err)
		}
		l.endpoint, l.stopDB = s.Endpoint(), s.Stop
	}
	concurrency, err := envInt("FUNCTION_CONCURRENCY", samlocal.DefaultConcurrency)
	if err != nil {
		l.stopDB()
		return nil, err
	}
	l.runner, err = samlocal.New(ctx, samlocal.Config{
		Root:             root,
		Template:         tmpl,
		BuildDir:         o.buildDir,
		DynamoDBEndpoint: l.endpoint,
		TableName:        l.table,
		Concurrency:      concurrency,
		Log:              stderr,
	})
	if err != nil {
		l.stopDB()
		return nil, err
	}
	return l, nil
}

// close stops the functions' processes and DynamoDB Local if setUp started it.
func (l *local) close() {
	l.runner.Close()
	l.stopDB()
}

func envInt(name string, def int) (int, error) {
	s := os.Getenv(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, errors.New("$" + name + " must be a non-negative number")
	}
	return n, nil
}
