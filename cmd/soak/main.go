// Command soak runs the service as `make local` does (DynamoDB Local and the template's
// functions behind the local HTTP API, in-process, on free ports, a fresh table) under a
// mixed workload of concurrent clients, then reconciles every acknowledged write against
// the table, and prints a markdown report (also written to -o). With -chaos, a
// fault-injecting proxy sits between the functions and DynamoDB Local (pkg/chaos).
// It exits 1 when the reconciliation, the answers or the scheduled cleanup (invoked
// during the run and after it) fail.
//
//	go run ./cmd/soak                      # make soak
//	go run ./cmd/soak -chaos               # make chaos
//	go run ./cmd/soak -clients 32 -duration 5m -chaos -throttle 0.1
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/acme/customers/pkg/chaos"
	"github.com/acme/customers/pkg/dynamolocal"
	"github.com/acme/customers/pkg/samlocal"
	"github.com/acme/customers/pkg/soak"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	clients := fs.Int("clients", 16, "concurrent clients")
	duration := fs.Duration("duration", time.Minute, "how long the clients start new steps")
	withChaos := fs.Bool("chaos", false, "inject faults between the functions and DynamoDB Local")
	f := chaos.DefaultFaults
	fs.Float64Var(&f.Throttle, "throttle", f.Throttle, "with -chaos: share of DynamoDB requests answered ProvisionedThroughputExceededException")
	fs.Float64Var(&f.Error, "error500", f.Error, "with -chaos: share answered 500 InternalServerError")
	fs.Float64Var(&f.Reset, "reset", f.Reset, "with -chaos: share whose connection is reset before they reach the table")
	fs.Float64Var(&f.Drop, "drop", f.Drop, "with -chaos: share applied, then their answer cut (connection reset)")
	fs.Float64Var(&f.Slow, "slow", f.Slow, "with -chaos: share delayed")
	fs.DurationVar(&f.Delay, "delay", f.Delay, "with -chaos: the longest added delay")
	seed := fs.Uint64("seed", 0, "seed of the clients' choices (0: random)")
	out := fs.String("o", "", "also write the report to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *withChaos {
		if err := f.Validate(); err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
	}
	root, err := dynamolocal.ModuleRoot()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	name := "soak"
	if *withChaos {
		name = "chaos"
	}
	work := filepath.Join(root, ".aws-sam", "soak")
	if err := os.MkdirAll(work, 0o755); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	logPath := filepath.Join(work, name+"-functions.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer logFile.Close()

	fmt.Fprintf(stderr, "soak: building %d functions and starting the stack (functions' log: %s)\n", len(soak.Functions), logPath)
	st, err := soak.Start(ctx, soak.StackConfig{Root: root, BuildDir: filepath.Join(work, "build"),
		Endpoint: os.Getenv(dynamolocal.EnvEndpoint), Table: fmt.Sprintf("%s-%d", name, time.Now().UnixNano()),
		Chaos: *withChaos, Log: logFile})
	if err != nil {
		fmt.Fprintln(stderr, "soak:", err)
		return 1
	}
	defer st.Close()
	cfg := soak.Config{Clients: *clients, Duration: *duration, Seed: *seed, Progress: stderr}
	if *withChaos {
		cfg.Faults = &f
	}
	fmt.Fprintf(stderr, "soak: %d clients for %s against %s (table %s)\n", *clients, *duration, st.URL, st.Table)
	res, err := soak.Run(ctx, st, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "soak:", err)
		return 1
	}
	var b strings.Builder
	res.Report(&b, "make "+name, about(root, st))
	fmt.Fprint(stdout, b.String())
	if *out != "" {
		if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stderr, "soak: report written to %s\n", *out)
	}
	ledgerPath := filepath.Join(work, name+"-ledger.json")
	if f, err := os.Create(ledgerPath); err == nil {
		res.WriteLedger(f)
		f.Close()
		fmt.Fprintf(stderr, "soak: what the clients were told: %s\n", ledgerPath)
	}
	if v := res.Violations(); len(v) > 0 {
		fmt.Fprintf(stderr, "soak: FAIL (%d violations; the functions' log is %s)\n", len(v), logPath)
		return 1
	}
	return 0
}

// about names the code, the machine and the settings a report is about.
func about(root string, st *soak.Stack) string {
	git := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = root
		b, err := cmd.Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	commit := git("rev-parse", "--short", "HEAD")
	if commit == "" {
		commit = "unknown"
	}
	if dirty := git("status", "--porcelain", "--untracked-files=no"); dirty != "" {
		commit += fmt.Sprintf(" with uncommitted changes in %d files", len(strings.Split(dirty, "\n")))
	}
	concurrency := os.Getenv("FUNCTION_CONCURRENCY")
	if concurrency == "" {
		concurrency = fmt.Sprint(samlocal.DefaultConcurrency)
	}
	cost := samlocal.ParametersFromEnv()["BcryptCost"]
	if p, ok := st.Template.Parameters["BcryptCost"]; cost == "" && ok {
		cost = p.Default
	}
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("Commit %s; %s, %s/%s, %s; up to %s processes per function; bcrypt cost %s; DynamoDB Local in memory.",
		commit, cpu, runtime.GOOS, runtime.GOARCH, runtime.Version(), concurrency, cost)
}
