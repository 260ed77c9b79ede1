package main

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"
)

// lambdaTimeout is the deadline every call gets, as the Lambda runtime gives the handler
// one (template.yaml: Timeout 10).
const lambdaTimeout = 10 * time.Second

// op is one side of a case: prepare sets up the next call and is not timed; run is the
// timed call; describe, when set, names the DynamoDB calls of the last call.
type op struct {
	function string // the template's function a handler side runs in (cost table)
	prepare  func(ctx context.Context) error
	run      func(ctx context.Context) error
	describe func() string
}

// sample is the measurements of one side.
type sample struct {
	durs   []time.Duration
	allocs uint64 // heap objects allocated during the timed calls, all goroutines
	bytes  uint64
	calls  map[string]int // the timed calls' DynamoDB calls, as describe lists them: how many calls made each
}

func (s sample) n() int { return len(s.durs) }

// quantile is the nearest-rank quantile.
func (s sample) quantile(q float64) time.Duration {
	if len(s.durs) == 0 {
		return 0
	}
	d := slices.Clone(s.durs)
	slices.Sort(d)
	i := int(math.Ceil(q*float64(len(d)))) - 1
	return d[max(i, 0)]
}

func (s sample) mean() time.Duration {
	if len(s.durs) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range s.durs {
		sum += d
	}
	return sum / time.Duration(len(s.durs))
}

func (s sample) allocsPerCall() float64 { return float64(s.allocs) / float64(max(s.n(), 1)) }
func (s sample) kibPerCall() float64    { return float64(s.bytes) / 1024 / float64(max(s.n(), 1)) }

// measure runs warm-up calls, then n timed calls of each side, interleaved (the side that
// goes first rotates every iteration) so all sides see the same state of DynamoDB Local,
// its JIT and the Go GC.
func measure(ctx context.Context, sides []*op, warm, n int) ([]sample, error) {
	warm = max(warm, 1)
	samples := make([]sample, len(sides))
	for i := range samples {
		samples[i].durs, samples[i].calls = make([]time.Duration, 0, n), map[string]int{}
	}
	for i := 0; i < warm+n; i++ {
		for k := range sides {
			j := (i + k) % len(sides)
			if err := once(ctx, sides[j], &samples[j], i >= warm); err != nil {
				return nil, err
			}
		}
	}
	return samples, nil
}

func once(ctx context.Context, o *op, s *sample, record bool) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if o.prepare != nil {
		if err := o.prepare(ctx); err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, lambdaTimeout)
	defer cancel()
	var m0, m1 runtime.MemStats
	if record {
		runtime.ReadMemStats(&m0)
	}
	t0 := time.Now()
	err := o.run(metered(cctx))
	d := time.Since(t0)
	if record {
		runtime.ReadMemStats(&m1)
	}
	if err != nil {
		return err
	}
	if record {
		s.durs = append(s.durs, d)
		s.allocs += m1.Mallocs - m0.Mallocs
		s.bytes += m1.TotalAlloc - m0.TotalAlloc
		if o.describe != nil {
			s.calls[o.describe()]++
		}
	}
	return nil
}
