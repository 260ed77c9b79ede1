// Command bench measures the service and prints a markdown report: for each endpoint, the
// handler's in-process latency against DynamoDB Local next to the bare DynamoDB calls that
// endpoint makes (so the cost of our code shows), allocations per call, bcrypt alone, and
// the size of each function's binary next to a minimal Lambda's. `make bench` runs it.
//
// The bare side is recorded, not written (record.go, replay.go): a middleware on the
// handlers' SDK client (table A) records every write made outside a handler call (the
// fixtures) and every call made during one, with copies of their inputs and when each
// started and ended. Two more tables made from template.yaml, B and C, follow A: each gets
// every write A got, in A's order, so conditions (a create's attribute_not_exists, a
// version) hold on them as they did on A. A bare side's timed call is the replay of the
// handler's previous call on B (bare with bcrypt: on C, with the case's bcrypt hashes and
// comparisons in the recorded call's longest pause): the recorded inputs deep-copied
// beforehand, table names rewritten, a transaction's ClientRequestToken dropped; calls
// that overlapped run in parallel, and a call waits for those that had ended before it
// started. Each replayed call must end as the handler's did (success, or the same error
// code). So a case is only its handler side (cases.go).
//
// The scale run (-scale=1000,100000 by default; -scale-only for nothing else) loads N
// customers into a fresh table for each N and measures the customer list's query shapes
// through the handler: latency, rows, DynamoDB calls and the read capacity DynamoDB
// reports, side by side for each N (scale.go, scaledata.go, scalereport.go). Then
// (-orders=100000 by default, 0 for none) one customer's order history of that many orders
// is read through the ListOrders handler at page 1 and deep down, by links.next and by
// page[offset] (scalehistory.go). Then (-cleanup=500 by default, 0 for none) that many
// deleted customers, each with addresses and orders, seeded through the store and erased by
// the scheduled cleanup's runner: items erased per second, and the read and write capacity
// DynamoDB reports per erased customer (scalecleanup.go).
//
// It uses the DynamoDB Local at $DYNAMODB_ENDPOINT, or starts one, and works on fresh
// tables made from template.yaml, deleted afterwards. Progress goes to stderr, the report to
// stdout (and to -o).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/dynamolocal"
	"github.com/acme/customers/pkg/flows"
	"github.com/acme/customers/pkg/samtemplate"
)

type options struct {
	n, nBcrypt, warm, warmBcrypt int
	out                          string
	latency, sizes               bool
	cold                         int
	scale                        scaleOptions
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 200, "timed calls per side and endpoint")
	flag.IntVar(&o.nBcrypt, "n-bcrypt", 50, "timed calls per side for bcrypt-bound endpoints and bcrypt alone")
	flag.IntVar(&o.warm, "warmup", 50, "warm-up calls per side and endpoint")
	flag.IntVar(&o.warmBcrypt, "warmup-bcrypt", 5, "warm-up calls for bcrypt-bound endpoints")
	flag.StringVar(&o.out, "o", "", "also write the report to this file")
	flag.BoolVar(&o.latency, "latency", true, "measure latency (needs DynamoDB Local)")
	flag.BoolVar(&o.sizes, "sizes", true, "build the functions and report their sizes")
	flag.IntVar(&o.cold, "cold", 20, "cold starts per binary (minimal Lambda, a reader, the token function; 0 for none)")
	scale := flag.String("scale", "1000,100000", "customer counts of the scale run, comma-separated (\"\" for none); each is loaded into a fresh table")
	scaleOnly := flag.Bool("scale-only", false, "run only the scale runs, customer lists, order history and cleanup (no latency, no sizes)")
	flag.IntVar(&o.scale.orders, "orders", 100000, "orders of the order-history scale run's customer, loaded into a fresh table (0 for none)")
	flag.IntVar(&o.scale.cleanup.deleted, "cleanup", 500, "deleted customers the scheduled cleanup run erases, seeded into a fresh table (0 for none)")
	flag.IntVar(&o.scale.cleanup.addresses, "cleanup-addresses", 3, "addresses of each customer of the cleanup run")
	flag.IntVar(&o.scale.cleanup.orders, "cleanup-orders", 2, "orders of each customer of the cleanup run")
	flag.IntVar(&o.scale.cleanup.kept, "cleanup-kept", 20, "customers of the cleanup run it must leave alone (half live, half deleted within the retention)")
	flag.IntVar(&o.scale.runs, "scale-runs", 7, "timed passes over the list shapes per N (one call of each shape a pass)")
	flag.IntVar(&o.scale.warm, "scale-warmup", 5, "untimed passes over the list shapes, per N, before the timed ones")
	flag.IntVar(&o.scale.workers, "scale-writers", 8, "goroutines writing the scale run's customers")
	flag.Parse()
	var err error
	if o.scale.sizes, err = parseSizes(*scale); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if *scaleOnly {
		o.latency, o.sizes = false, false
	}
	o.scale.runs, o.scale.warm, o.scale.workers = max(o.scale.runs, 1), max(o.scale.warm, 0), max(o.scale.workers, 1)
	o.scale.orders = max(o.scale.orders, 0)
	c := &o.scale.cleanup
	c.deleted, c.addresses, c.orders, c.kept = max(c.deleted, 0), max(c.addresses, 0), max(c.orders, 0), max(c.kept, 0)
	o.scale.cursorPage, o.scale.cursorLimit = 400, 25
	o.scale.cursorOffsets = (o.scale.cursorPage - 1) * o.scale.cursorLimit

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	root, err := dynamolocal.ModuleRoot()
	if err != nil {
		return err
	}
	tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		return err
	}
	r := &report{
		started: time.Now(),
		load:    [2]string{loadAverage()},
		root:    root,
		warm:    [2]int{o.warm, o.warmBcrypt},
		iters:   [2]int{o.n, o.nBcrypt},
		command: "`" + strings.Join(append([]string{"go run ./cmd/bench"}, os.Args[1:]...), " ") + "`",
	}
	if os.Getenv("MAKELEVEL") != "" {
		r.command = "`make bench`, which runs " + r.command
	}
	// The handlers' access log is formatted as in production but not written.
	api.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	if o.latency {
		rec := &recorder{}
		meter := newCapacity()
		meter.marked = true // the handler calls alone: not the fixtures, not the replays
		e, closeEnv, err := newEnv(ctx, root, tpl, rec.install, meter.install)
		if err != nil {
			return err
		}
		defer closeEnv()
		r.env = e
		if err := latency(ctx, e, rec, meter, o, r); err != nil {
			return err
		}
		if o.cold > 0 {
			if r.cold, err = coldStarts(ctx, root, tpl, e.endpoint, o.cold); err != nil {
				return err
			}
		}
	}
	if len(o.scale.sizes) > 0 || o.scale.orders > 0 || o.scale.cleanup.deleted > 0 {
		if r.scale, err = runScale(ctx, root, tpl, o.scale); err != nil {
			return err
		}
	}
	if o.sizes {
		if r.binaries, err = buildSizes(ctx, root, tpl); err != nil {
			return err
		}
	}
	r.elapsed, r.load[1] = time.Since(r.started), loadAverage()
	var buf bytes.Buffer
	r.write(&buf)
	if _, err := os.Stdout.Write(buf.Bytes()); err != nil {
		return err
	}
	if o.out != "" {
		if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(o.out, buf.Bytes(), 0o644)
	}
	return nil
}

// latency measures every case and bcrypt alone. rec and meter are installed on e.db: the
// meter reads the capacity units of each case's handler calls.
func latency(ctx context.Context, e *env, rec *recorder, meter *capacity, o options, r *report) error {
	// The bare sides replay on tables of their own that follow e.table: bare on one, bare
	// with bcrypt on the other (each replay makes the handler call's writes once more).
	var followers []*follower
	for _, suffix := range []string{"-bare", "-bare-bcrypt"} {
		f, err := e.follow(ctx, rec, suffix)
		if err != nil {
			return err
		}
		followers = append(followers, f)
	}
	bare, bareBcrypt := followers[0], followers[1]
	fmt.Fprintf(os.Stderr, "bench: DynamoDB Local at %s, tables %s (handlers), %s and %s (bare); seeding %d customers, %d addresses for one and %d orders for another\n",
		e.endpoint, e.table, bare.table, bareBcrypt.table, seedCustomers, bookAddresses, shopperOrders)
	for range seedCustomers {
		if _, err := e.customer(ctx, "seed"); err != nil {
			return err
		}
	}
	if err := e.seedAddresses(ctx, bookAddresses); err != nil {
		return err
	}
	if err := e.seedOrders(ctx, shopperOrders); err != nil {
		return err
	}
	// Warm the settings cache and the core flows' schemas (SettingsTTL outlasts the run), as
	// a warm Lambda has them. The schemas are read before the custom-field cases create the
	// customers flow through e.custom (customDeps), so e.deps serve the other cases as a
	// process of a table without custom fields.
	if _, err := e.deps.Settings.Current(ctx); err != nil {
		return err
	}
	for _, slug := range flows.Core {
		if _, err := e.deps.Schemas.For(ctx, slug); err != nil {
			return err
		}
	}
	// sides[i] is case i's handler, then its bare side, then its bare side with bcrypt.
	sides := make([][]*op, len(cases))
	for i, c := range cases {
		h, err := c.handler(ctx, e)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		last := rec.record(h)
		// A first call shows whether the endpoint reaches DynamoDB at all.
		if err := once(ctx, h, &sample{}, false); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		sides[i] = []*op{h}
		if len(last().calls) > 0 {
			sides[i] = append(sides[i], bare.side(h, nil))
			if c.bcryptBound() {
				sides[i] = append(sides[i], bareBcrypt.side(h, e.bcryptWork(c.hashes, c.compares)))
			}
		}
	}
	iters := func(c benchCase) (warm, n int) {
		if c.bcryptBound() {
			return o.warmBcrypt, o.nBcrypt
		}
		return o.warm, o.n
	}
	// measureCase measures case i. A bare side replays the handler's previous call, so the
	// handler makes one call first; afterwards the tables no side of the case replayed on
	// make the case's writes, untimed, so that their queues stay short.
	measureCase := func(i, warm, n int) ([]sample, error) {
		if len(sides[i]) > 1 {
			if err := once(ctx, sides[i][0], &sample{}, false); err != nil {
				return nil, err
			}
		}
		s, err := measure(ctx, sides[i], warm, n)
		if err != nil {
			return nil, err
		}
		for _, f := range followers[len(sides[i])-1:] {
			if _, err := f.next(ctx, nil); err != nil {
				return nil, err
			}
		}
		return s, nil
	}
	// A first pass warms DynamoDB Local's JIT up on every kind of request.
	fmt.Fprintln(os.Stderr, "bench: warm-up pass")
	for i, c := range cases {
		warm, _ := iters(c)
		if _, err := measureCase(i, warm, 0); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
	}
	for i, c := range cases {
		warm, n := iters(c)
		fmt.Fprintf(os.Stderr, "bench: %s (%d calls per side)\n", c.name, n)
		meter.reset()
		s, err := measureCase(i, warm, n)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		// The handler ran once before a replayed case, then warm-up and timed calls.
		runs := max(warm, 1) + n
		if len(sides[i]) > 1 {
			runs++
		}
		cr := caseResult{c: c, handler: s[0], units: meter.read(), runs: runs, fn: sides[i][0].function}
		if fn, err := e.tpl.Function(cr.fn); err == nil {
			cr.mem = fn.MemorySize
		}
		if len(s) > 1 {
			cr.bare = &s[1]
		}
		if len(s) > 2 {
			cr.bareBcrypt = &s[2]
		}
		r.cases = append(r.cases, cr)
	}
	fmt.Fprintln(os.Stderr, "bench: bcrypt alone")
	hash := &op{run: func(context.Context) error {
		_, err := e.hashPassword(fixturePassword)
		return err
	}}
	compare := &op{run: func(context.Context) error {
		if !e.comparePassword(fixturePassword) {
			return errors.New("bcrypt: the fixture password does not match its hash")
		}
		return nil
	}}
	s, err := measure(ctx, []*op{hash, compare}, o.warmBcrypt, o.nBcrypt)
	if err != nil {
		return err
	}
	r.hash, r.compare = s[0], s[1]
	return verification(ctx, e, o, r)
}

// verification measures verifying one access token, warm (its keys cached): EdDSA as the
// functions verify now, next to HS256 with the same claims and checks as before asymmetric
// signing (golang-jwt under a 32-byte key derived as that design did).
func verification(ctx context.Context, e *env, o options, r *report) error {
	fmt.Fprintln(os.Stderr, "bench: token verification alone")
	if _, err := e.deps.Tokens.VerifyAccess(ctx, e.admin); err != nil {
		return err
	}
	hsKey := []byte("bench-hs256-key-0123456789abcdef")
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(e.admin, claims); err != nil {
		return err
	}
	hs, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(hsKey)
	if err != nil {
		return err
	}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(),
		jwt.WithIssuer(e.deps.Config.Issuer), jwt.WithAudience("api"), jwt.WithStrictDecoding())
	before := &op{run: func(context.Context) error {
		_, err := parser.Parse(hs, func(*jwt.Token) (any, error) { return hsKey, nil })
		return err
	}}
	now := &op{run: func(ctx context.Context) error {
		_, err := e.deps.Tokens.VerifyAccess(ctx, e.admin)
		return err
	}}
	s, err := measure(ctx, []*op{before, now}, o.warm, verifyCalls)
	if err != nil {
		return err
	}
	r.verifyHS, r.verifyEd = s[0], s[1]
	return nil
}

// verifyCalls is how many verifications each side times.
const verifyCalls = 5000
