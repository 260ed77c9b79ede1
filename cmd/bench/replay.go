package main

// Replaying: a follower is a table made like table A that gets every write recorded on A,
// in the order A got them, so that it holds what A held at the same point. Its bare side
// replays one handler call at a time: the fixtures and other cases' writes queued before
// it are made untimed, then the handler call's own calls are made, timed, with their
// recorded inputs deep-copied beforehand, as its schedule says (record.go).

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// follower is one table following table A (from).
type follower struct {
	db          *dynamodb.Client
	from, table string
	queue       []*segment // recorded, not yet made here
}

// next makes, untimed, the writes of the queued segments that come before the oldest one
// owner made, and returns that one. With owner nil it makes them all.
func (f *follower) next(ctx context.Context, owner *op) (*segment, error) {
	for len(f.queue) > 0 {
		s := f.queue[0]
		f.queue[0], f.queue = nil, f.queue[1:]
		if owner != nil && s.owner == owner {
			return s, nil
		}
		for _, c := range newSchedule(s).calls {
			if !writes[c.op] {
				continue
			}
			if err := f.write(ctx, c); err != nil {
				return nil, err
			}
		}
	}
	if owner != nil {
		return nil, errors.New("replay: no recorded handler call left to replay")
	}
	return nil, nil
}

// write makes one recorded write, and what DynamoDB leaves unprocessed of a
// BatchWriteItem (A's writer did the same, and its retries are recorded too: writing an
// item again changes nothing).
func (f *follower) write(ctx context.Context, c call) error {
	in := clone(c.in, f.from, f.table)
	for {
		out, err := invoke(ctx, f.db, in)
		if got := outcome(err); got != c.outcome {
			return f.mismatch(c, got)
		}
		bw, _ := out.(*dynamodb.BatchWriteItemOutput)
		if err != nil || bw == nil || len(bw.UnprocessedItems) == 0 {
			return nil
		}
		in = &dynamodb.BatchWriteItemInput{RequestItems: bw.UnprocessedItems}
	}
}

func (f *follower) mismatch(c call, got string) error {
	show := func(o string) string {
		if o == "" {
			return "success"
		}
		return o
	}
	return fmt.Errorf("replay: %s on %s got %s where it got %s on %s: the tables no longer hold the same items",
		c.op, f.table, show(got), show(c.outcome), f.from)
}

// side is a bare side replaying owner's calls on f, oldest first: owner must have made
// one more call than side has replayed before each of side's calls (see latency). work,
// when not nil, is done in the recorded call's longest pause (its bcrypt work).
func (f *follower) side(owner *op, work func() error) *op {
	r := &replay{f: f, owner: owner, work: work}
	return &op{prepare: r.prepare, run: r.run}
}

// replay is one recorded handler call, ready to be made again.
type replay struct {
	f     *follower
	owner *op
	work  func() error
	sc    schedule
	ins   []any // deep copies of the recorded inputs, by start
	done  []chan struct{}
	errs  []error
}

// prepare catches f up to owner's oldest unreplayed call and copies its inputs.
func (r *replay) prepare(ctx context.Context) error {
	s, err := r.f.next(ctx, r.owner)
	if err != nil {
		return err
	}
	r.sc = newSchedule(s)
	n := len(r.sc.calls)
	r.ins, r.done, r.errs = make([]any, n), make([]chan struct{}, n), make([]error, n)
	for j, c := range r.sc.calls {
		r.ins[j], r.done[j] = clone(c.in, r.f.from, r.f.table), make(chan struct{})
	}
	return nil
}

func (r *replay) run(ctx context.Context) error {
	sc := r.sc
	for k, round := range sc.rounds {
		if k == sc.pause && r.work != nil {
			if err := r.work(); err != nil {
				return err
			}
		}
		if len(round) == 1 {
			if err := r.call(ctx, round[0]); err != nil {
				return err
			}
			continue
		}
		var wg sync.WaitGroup
		for _, j := range round {
			wg.Go(func() {
				for _, d := range sc.deps[j] {
					<-r.done[d]
				}
				r.errs[j] = r.call(ctx, j)
				close(r.done[j])
			})
		}
		wg.Wait()
		if err := errors.Join(r.errs...); err != nil {
			return err
		}
	}
	if sc.pause == len(sc.rounds) && r.work != nil {
		return r.work()
	}
	return nil
}

func (r *replay) call(ctx context.Context, j int) error {
	_, err := invoke(ctx, r.f.db, r.ins[j])
	if got := outcome(err); got != r.sc.calls[j].outcome {
		return r.f.mismatch(r.sc.calls[j], got)
	}
	return nil
}

// clone deep-copies a recorded input for a follower: the table name from becomes to (in
// TableName fields and RequestItems keys), and a transaction loses its
// ClientRequestToken, so that the SDK gives the replay a fresh one (with the recorded one
// DynamoDB may take the replay for a retry of the handler's call and skip its conditions).
func clone(in any, from, to string) any {
	c := deepCopy(reflect.ValueOf(in), "", from, to).Interface()
	if t, ok := c.(*dynamodb.TransactWriteItemsInput); ok {
		t.ClientRequestToken = nil
	}
	return c
}

// deepCopy copies v and what it points to; field is the name of the struct field v is.
// Unexported fields are copied as they are (the SDK's are empty markers).
func deepCopy(v reflect.Value, field, from, to string) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(deepCopy(v.Elem(), field, from, to))
		if field == "TableName" && c.Elem().Kind() == reflect.String && c.Elem().String() == from {
			c.Elem().SetString(to)
		}
		return c
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type()).Elem()
		c.Set(deepCopy(v.Elem(), field, from, to))
		return c
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				c.Field(i).Set(deepCopy(v.Field(i), f.Name, from, to))
			}
		}
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(deepCopy(v.Index(i), field, from, to))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			k := it.Key()
			if field == "RequestItems" && k.Kind() == reflect.String && k.String() == from {
				k = reflect.ValueOf(to).Convert(k.Type())
			}
			c.SetMapIndex(k, deepCopy(it.Value(), "", from, to))
		}
		return c
	}
	return v
}

// invoke makes the call an input is for.
func invoke(ctx context.Context, db *dynamodb.Client, in any) (any, error) {
	switch in := in.(type) {
	case *dynamodb.GetItemInput:
		return db.GetItem(ctx, in)
	case *dynamodb.BatchGetItemInput:
		return db.BatchGetItem(ctx, in)
	case *dynamodb.QueryInput:
		return db.Query(ctx, in)
	case *dynamodb.ScanInput:
		return db.Scan(ctx, in)
	case *dynamodb.TransactGetItemsInput:
		return db.TransactGetItems(ctx, in)
	case *dynamodb.PutItemInput:
		return db.PutItem(ctx, in)
	case *dynamodb.UpdateItemInput:
		return db.UpdateItem(ctx, in)
	case *dynamodb.DeleteItemInput:
		return db.DeleteItem(ctx, in)
	case *dynamodb.BatchWriteItemInput:
		return db.BatchWriteItem(ctx, in)
	case *dynamodb.TransactWriteItemsInput:
		return db.TransactWriteItems(ctx, in)
	}
	return nil, fmt.Errorf("replay: cannot replay a %T", in)
}
