package main

// Recording: a middleware on the handler side's SDK client (table A) keeps, in order, every
// write made outside a handler call (the fixtures) and every call made during one (a
// segment, with when each call started and ended). Each follower (replay.go) gets them all
// in that order.

import (
	"cmp"
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// call is one recorded DynamoDB operation.
type call struct {
	op string
	// in is the input as the SDK had it when the call returned: a copy of its top-level
	// struct (so a caller that reused the struct could not change it), sharing the maps and
	// slices below, which pkg/store builds for each call and never changes afterwards. A
	// replay deep-copies it; copying here would be timed as the handler's cost.
	in         any
	start, end time.Duration // since the segment began
	outcome    string        // "" for success, else the error code (ConditionalCheckFailedException)
}

// segment is what one handler call did (owner is its side), or one write made outside a
// handler call (owner nil).
type segment struct {
	owner *op
	calls []call
	began time.Time
	took  time.Duration // the handler call, for owner != nil
}

// writes are the operations that change a table: the only ones a follower makes for a
// fixture or for another case's handler call.
var writes = map[string]bool{"PutItem": true, "UpdateItem": true, "DeleteItem": true,
	"BatchWriteItem": true, "TransactWriteItems": true}

// recorder records what is done through the client it is installed on.
type recorder struct {
	mu        sync.Mutex
	open      *segment // the handler call under way, if any
	followers []*follower
}

// install adds the recorder at the end of the Initialize step, after the SDK has filled
// in the input (a transaction's ClientRequestToken); it times the rest of the call.
func (r *recorder) install(s *middleware.Stack) error { return s.Initialize.Add(r, middleware.After) }

func (r *recorder) ID() string { return "recordCalls" }

func (r *recorder) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	start := time.Now()
	out, md, err := next.HandleInitialize(ctx, in)
	end := time.Now()
	op := middleware.GetOperationName(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.open
	if s == nil {
		if !writes[op] {
			return out, md, err
		}
		s = &segment{began: start}
		defer r.push(s) // before the unlock
	}
	s.calls = append(s.calls, call{op: op, in: topCopy(in.Parameters), start: start.Sub(s.began), end: end.Sub(s.began),
		outcome: outcome(err)})
	return out, md, err
}

// follow gives f everything recorded from now on.
func (r *recorder) follow(f *follower) {
	r.mu.Lock()
	r.followers = append(r.followers, f)
	r.mu.Unlock()
}

func (r *recorder) push(s *segment) {
	for _, f := range r.followers {
		f.queue = append(f.queue, s)
	}
}

// record makes every run of o a segment owned by o, and sets o.describe to describe the
// last one. The segment is made in prepare, so the timed run only marks its start and end.
func (r *recorder) record(o *op) (last func() *segment) {
	var next, done *segment
	prepare, run := o.prepare, o.run
	o.prepare = func(ctx context.Context) error {
		next = &segment{owner: o, calls: make([]call, 0, 16)}
		if prepare != nil {
			return prepare(ctx)
		}
		return nil
	}
	o.run = func(ctx context.Context) error {
		r.mu.Lock()
		next.began, r.open = time.Now(), next
		r.mu.Unlock()
		err := run(ctx)
		r.mu.Lock()
		next.took, r.open = time.Since(next.began), nil
		r.push(next)
		r.mu.Unlock()
		done = next
		return err
	}
	o.describe = func() string { return describe(newSchedule(done)) }
	return func() *segment { return done }
}

// topCopy copies the struct a pointer points to.
func topCopy(p any) any {
	v := reflect.ValueOf(p)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return p
	}
	c := reflect.New(v.Elem().Type())
	c.Elem().Set(v.Elem())
	return c.Interface()
}

func outcome(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return err.Error()
}

// schedule is how a segment's calls are replayed, from when they started and ended.
// Rounds: a call that started after every earlier call had ended begins a new round;
// within a round, a call waits for the calls that had ended before it started (deps), and
// the others run alongside it. So the replay keeps every order the recording showed and
// runs in parallel exactly the calls that overlapped.
type schedule struct {
	calls  []call  // by start
	rounds [][]int // indices into calls
	deps   [][]int // per call, the earlier calls of its round that had ended before it started
	// pause is where the handler paused longest (its bcrypt work): before round pause, or
	// after the last one when pause == len(rounds).
	pause int
}

func newSchedule(s *segment) schedule {
	sc := schedule{calls: slices.Clone(s.calls), deps: make([][]int, len(s.calls))}
	slices.SortStableFunc(sc.calls, func(a, b call) int { return cmp.Compare(a.start, b.start) })
	var (
		ended   time.Duration // the latest end so far
		longest = time.Duration(-1)
	)
	for j, c := range sc.calls {
		if j == 0 || c.start > ended {
			if c.start-ended > longest {
				sc.pause, longest = len(sc.rounds), c.start-ended
			}
			sc.rounds = append(sc.rounds, nil)
		}
		round := sc.rounds[len(sc.rounds)-1]
		for _, i := range round {
			if sc.calls[i].end < c.start {
				sc.deps[j] = append(sc.deps[j], i)
			}
		}
		sc.rounds[len(sc.rounds)-1] = append(round, j)
		ended = max(ended, c.end)
	}
	if s.took-ended > longest {
		sc.pause = len(sc.rounds)
	}
	return sc
}

// describe lists the operations: rounds joined by ", then ", the calls of a round that
// overlapped by " ∥ ", and within a round, " → " before the calls that started after
// another call of the round had ended.
func describe(sc schedule) string {
	if len(sc.calls) == 0 {
		return "none"
	}
	rounds := make([]string, len(sc.rounds))
	layer := make([]int, len(sc.calls))
	for k, round := range sc.rounds {
		var layers []map[string]int
		for _, j := range round {
			for _, d := range sc.deps[j] {
				layer[j] = max(layer[j], layer[d]+1)
			}
			if layer[j] == len(layers) {
				layers = append(layers, map[string]int{})
			}
			layers[layer[j]][sc.calls[j].op]++
		}
		parts := make([]string, len(layers))
		for l, ops := range layers {
			parts[l] = joinOps(ops, " ∥ ")
		}
		rounds[k] = strings.Join(parts, " → ")
	}
	return strings.Join(rounds, ", then ")
}
