package main

import (
	"context"
	"maps"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// capacity meters the calls made through the clients it is installed on: it asks every
// read (Query, GetItem, BatchGetItem, Scan) and every write (PutItem, UpdateItem,
// DeleteItem, BatchWriteItem, TransactWriteItems) for ReturnConsumedCapacity=TOTAL and sums
// the CapacityUnits DynamoDB reports, as read units for a read and write units for a write,
// with the items the reads read and the bytes of their responses. It also counts the
// responses that carried no ConsumedCapacity, so that a DynamoDB that does not report it
// shows instead of reading as zero.
type capacity struct {
	// marked, when set, meters only the calls made under a context from metered (the
	// handler side of the latency cases, not their untimed fixtures).
	marked   bool
	mu       sync.Mutex
	rcu, wcu float64
	// rcuByOp and wcuByOp: the units of each read and write operation.
	rcuByOp, wcuByOp map[string]float64
	items            int            // items read: ScannedCount of Query and Scan, items returned by GetItem and BatchGetItem
	bytes            int64          // response bodies (Content-Length) of the reads
	answered         map[string]int // responses by operation
	reported         map[string]int // of those, the ones that carried ConsumedCapacity
}

func newCapacity() *capacity {
	c := &capacity{}
	c.reset()
	return c
}

// install adds the meter to a client's middleware stack: the Initialize step sets
// ReturnConsumedCapacity on the input before it is serialised; the Deserialize step, once
// the response is decoded, reads ConsumedCapacity from the output (of every HTTP attempt
// that got an answer, retried ones included).
func (c *capacity) install(s *middleware.Stack) error {
	err := s.Initialize.Add(middleware.InitializeMiddlewareFunc("returnConsumedCapacity",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			const total = types.ReturnConsumedCapacityTotal
			switch p := in.Parameters.(type) {
			case *dynamodb.QueryInput:
				p.ReturnConsumedCapacity = total
			case *dynamodb.GetItemInput:
				p.ReturnConsumedCapacity = total
			case *dynamodb.BatchGetItemInput:
				p.ReturnConsumedCapacity = total
			case *dynamodb.ScanInput:
				p.ReturnConsumedCapacity = total
			case *dynamodb.PutItemInput:
				p.ReturnConsumedCapacity = total
			case *dynamodb.UpdateItemInput:
				p.ReturnConsumedCapacity = total
			case *dynamodb.DeleteItemInput:
				p.ReturnConsumedCapacity = total
			case *dynamodb.BatchWriteItemInput:
				p.ReturnConsumedCapacity = total
			case *dynamodb.TransactWriteItemsInput:
				p.ReturnConsumedCapacity = total
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
	if err != nil {
		return err
	}
	return s.Deserialize.Add(middleware.DeserializeMiddlewareFunc("sumConsumedCapacity",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if err == nil && (!c.marked || ctx.Value(meteredKey{}) != nil) {
				c.record(middleware.GetOperationName(ctx), out.Result, out.RawResponse)
			}
			return out, md, err
		}), middleware.Before)
}

type meteredKey struct{}

// metered marks ctx's calls for a meter that meters marked calls alone.
func metered(ctx context.Context) context.Context { return context.WithValue(ctx, meteredKey{}, true) }

// consumedOne is a single ConsumedCapacity as a slice (none when nil).
func consumedOne(cc *types.ConsumedCapacity) []types.ConsumedCapacity {
	if cc == nil {
		return nil
	}
	return []types.ConsumedCapacity{*cc}
}

func (c *capacity) record(op string, result, raw any) {
	var (
		units []types.ConsumedCapacity
		items int
		write bool
	)
	switch o := result.(type) {
	case *dynamodb.QueryOutput:
		items, units = int(o.ScannedCount), consumedOne(o.ConsumedCapacity)
	case *dynamodb.ScanOutput:
		items, units = int(o.ScannedCount), consumedOne(o.ConsumedCapacity)
	case *dynamodb.GetItemOutput:
		if o.Item != nil {
			items = 1
		}
		units = consumedOne(o.ConsumedCapacity)
	case *dynamodb.BatchGetItemOutput:
		for _, rows := range o.Responses {
			items += len(rows)
		}
		units = o.ConsumedCapacity
	case *dynamodb.PutItemOutput:
		units, write = consumedOne(o.ConsumedCapacity), true
	case *dynamodb.UpdateItemOutput:
		units, write = consumedOne(o.ConsumedCapacity), true
	case *dynamodb.DeleteItemOutput:
		units, write = consumedOne(o.ConsumedCapacity), true
	case *dynamodb.BatchWriteItemOutput:
		units, write = o.ConsumedCapacity, true
	case *dynamodb.TransactWriteItemsOutput:
		units, write = o.ConsumedCapacity, true
	default:
		return // neither metered read nor write
	}
	var n int64
	if r, ok := raw.(*smithyhttp.Response); ok && r.ContentLength > 0 && !write {
		n = r.ContentLength
	}
	var sum float64
	for _, u := range units {
		if u.CapacityUnits != nil {
			sum += *u.CapacityUnits
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.answered[op]++
	if len(units) > 0 {
		c.reported[op]++
	}
	if write {
		c.wcu += sum
		c.wcuByOp[op] += sum
	} else {
		c.rcu += sum
		c.rcuByOp[op] += sum
	}
	c.items += items
	c.bytes += n
}

// reading is what the meter saw between two resets.
type reading struct {
	rcu, wcu         float64 // read and write capacity units
	rcuByOp, wcuByOp map[string]float64
	items            int
	bytes            int64
	answered         map[string]int
	reported         map[string]int
}

// complete reports whether every response carried ConsumedCapacity.
func (r reading) complete() bool {
	for op, n := range r.answered {
		if r.reported[op] != n {
			return false
		}
	}
	return true
}

func (c *capacity) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rcu, c.wcu, c.items, c.bytes = 0, 0, 0, 0
	c.rcuByOp, c.wcuByOp = map[string]float64{}, map[string]float64{}
	c.answered, c.reported = map[string]int{}, map[string]int{}
}

func (c *capacity) read() reading {
	c.mu.Lock()
	defer c.mu.Unlock()
	return reading{rcu: c.rcu, wcu: c.wcu, rcuByOp: maps.Clone(c.rcuByOp), wcuByOp: maps.Clone(c.wcuByOp), items: c.items, bytes: c.bytes,
		answered: maps.Clone(c.answered), reported: maps.Clone(c.reported)}
}
