package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/acme/customers/pkg/fixtures"
	"github.com/acme/customers/pkg/samlocal"
	"github.com/acme/customers/pkg/samtemplate"
	"github.com/acme/customers/pkg/secrets"
)

// coldCases are the functions whose cold starts are measured, with the event each is
// started with: a reader that verifies a token (its first request reads the published
// keys), and the token function (it reads two secrets and publishes its keys first).
var coldCases = []struct{ function, event string }{
	{"GetCustomerFunction", "events/get-customer.json"},
	{"AccessTokenFunction", "events/access-token.json"},
}

// coldStart is one binary's cold starts: from starting its process to its first request
// for an event (init, Lambda's Init Duration), and to its first answer (init and that
// request).
type coldStart struct {
	name        string
	init, times sample
}

// coldStarts measures n cold starts of the minimal Lambda and of each coldCases function:
// each a new process under the local Lambda Runtime API (pkg/samlocal), its init and its
// first request (against DynamoDB Local at endpoint and the runner's Secrets Manager),
// timed from the process's start to the answer. Built for this machine's architecture,
// like `make local`.
func coldStarts(ctx context.Context, root string, tpl *samtemplate.Template, endpoint string, n int) ([]coldStart, error) {
	tmp, err := os.MkdirTemp("", "bench-cold-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	r, err := samlocal.New(ctx, samlocal.Config{Root: root, Template: tpl, BuildDir: tmp, DynamoDBEndpoint: endpoint,
		TableName: fmt.Sprintf("bench-cold-%d", os.Getpid()), SecretsDir: filepath.Join(tmp, "secrets"), Log: io.Discard})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var ids []string
	for _, c := range coldCases {
		ids = append(ids, c.function)
	}
	fmt.Fprintf(os.Stderr, "bench: cold starts: building %v for %s\n", ids, runtime.GOARCH)
	if err := r.Build(ctx, ids...); err != nil {
		return nil, err
	}
	minimal := filepath.Join(tmp, "minimal", "bootstrap")
	cmd := exec.CommandContext(ctx, "go", append(minimalFlags, "-o", minimal, minimalPackage)...)
	cmd.Env = append(os.Environ(), "GOOS=linux", "CGO_ENABLED=0")
	if err := runIn(root, cmd); err != nil {
		return nil, fmt.Errorf("build the minimal Lambda: %w", err)
	}
	prep, err := fixtures.ForRunner(ctx, r, endpoint)
	if err != nil {
		return nil, err
	}
	table := r.Values()[tpl.Table.LogicalID]
	type target struct {
		name  string
		fn    samlocal.Lambda
		event []byte
	}
	var targets []target
	for _, c := range coldCases {
		fn, err := tpl.Function(c.function)
		if err != nil {
			return nil, err
		}
		env, err := tpl.Environment(fn, r.Values())
		if err != nil {
			return nil, err
		}
		env["AWS_ENDPOINT_URL_DYNAMODB"], env[secrets.EndpointEnv] = endpoint, r.SecretsURL()
		raw, err := os.ReadFile(filepath.Join(root, c.event))
		if err != nil {
			return nil, err
		}
		ev, err := prep.Prepare(ctx, raw)
		if err != nil {
			return nil, err
		}
		targets = append(targets, target{c.function, samlocal.Lambda{Name: c.function, Bootstrap: filepath.Join(tmp, c.function, "bootstrap"),
			Env: env, MemorySize: fn.MemorySize, Timeout: 10 * time.Second, Concurrency: 1, Log: io.Discard}, ev})
	}
	// The minimal Lambda reads the same customer as GetCustomerFunction.
	targets = append([]target{{"minimal Lambda (GetItem only)", samlocal.Lambda{Name: "minimal", Bootstrap: minimal,
		Env: map[string]string{"TABLE_NAME": table, "AWS_ENDPOINT_URL_DYNAMODB": endpoint}, MemorySize: 256,
		Timeout: 10 * time.Second, Concurrency: 1, Log: io.Discard}, targets[0].event}}, targets...)
	out := make([]coldStart, len(targets))
	for i := range out {
		out[i].name = targets[i].name
	}
	// Round robin, so that a busy moment of the machine falls on every binary alike.
	for run := -1; run < n; run++ {
		for i, t := range targets {
			p := samlocal.NewPool(t.fn)
			start := time.Now()
			res, err := p.Invoke(ctx, t.event)
			d := time.Since(start)
			inits := p.InitDurations()
			p.Close()
			if err != nil {
				return nil, fmt.Errorf("cold start of %s: %w", t.name, err)
			}
			if status := statusOf(res); status >= 300 {
				return nil, fmt.Errorf("cold start of %s: status %d: %s", t.name, status, res)
			}
			if len(inits) != 1 {
				return nil, fmt.Errorf("cold start of %s: %d processes", t.name, len(inits))
			}
			if run >= 0 { // the first round warms the page cache
				out[i].times.durs = append(out[i].times.durs, d)
				out[i].init.durs = append(out[i].init.durs, inits[0])
			}
		}
	}
	return out, nil
}

// statusOf is the statusCode of a function's API Gateway answer (0 when it has none).
func statusOf(res []byte) int {
	var r struct {
		StatusCode int `json:"statusCode"`
	}
	_ = json.Unmarshal(res, &r)
	return r.StatusCode
}
