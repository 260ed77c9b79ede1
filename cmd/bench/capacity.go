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

// capacity meters the reads made through the clients it is installed on: it asks every
// read (Query, GetItem, BatchGetItem, Scan) for ReturnConsumedCapacity=TOTAL and sums the
// CapacityUnits DynamoDB reports, the items it read and the bytes of its responses. It
// also counts the responses that carried no ConsumedCapacity, so that a DynamoDB that
// does not report it shows instead of reading as zero.
type capacity struct {
	mu       sync.Mutex
	units    float64
	items    int            // items read: ScannedCount of Query and Scan, items returned by GetItem and BatchGetItem
	bytes    int64          // response bodies (Content-Length) of the reads
	answered map[string]int // read responses by operation
	reported map[string]int // of those, the ones that carried ConsumedCapacity
}

func newCapacity() *capacity {
	return &capacity{answered: map[string]int{}, reported: map[string]int{}}
}

// install adds the meter to a client's middleware stack: the Initialize step sets
// ReturnConsumedCapacity on the input before it is serialised; the Deserialize step, once
// the response is decoded, reads ConsumedCapacity from the output (of every HTTP attempt
// that got an answer, retried ones included).
func (c *capacity) install(s *middleware.Stack) error {
	err := s.Initialize.Add(middleware.InitializeMiddlewareFunc("returnConsumedCapacity",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			switch p := in.Parameters.(type) {
			case *dynamodb.QueryInput:
				p.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
			case *dynamodb.GetItemInput:
				p.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
			case *dynamodb.BatchGetItemInput:
				p.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
			case *dynamodb.ScanInput:
				p.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
	if err != nil {
		return err
	}
	return s.Deserialize.Add(middleware.DeserializeMiddlewareFunc("sumConsumedCapacity",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if err == nil {
				c.record(middleware.GetOperationName(ctx), out.Result, out.RawResponse)
			}
			return out, md, err
		}), middleware.Before)
}

func (c *capacity) record(op string, result, raw any) {
	var (
		units []types.ConsumedCapacity
		items int
	)
	switch o := result.(type) {
	case *dynamodb.QueryOutput:
		items = int(o.ScannedCount)
		if o.ConsumedCapacity != nil {
			units = append(units, *o.ConsumedCapacity)
		}
	case *dynamodb.ScanOutput:
		items = int(o.ScannedCount)
		if o.ConsumedCapacity != nil {
			units = append(units, *o.ConsumedCapacity)
		}
	case *dynamodb.GetItemOutput:
		if o.Item != nil {
			items = 1
		}
		if o.ConsumedCapacity != nil {
			units = append(units, *o.ConsumedCapacity)
		}
	case *dynamodb.BatchGetItemOutput:
		for _, rows := range o.Responses {
			items += len(rows)
		}
		units = o.ConsumedCapacity
	default:
		return // not a read
	}
	var n int64
	if r, ok := raw.(*smithyhttp.Response); ok && r.ContentLength > 0 {
		n = r.ContentLength
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.answered[op]++
	if len(units) > 0 {
		c.reported[op]++
	}
	for _, u := range units {
		if u.CapacityUnits != nil {
			c.units += *u.CapacityUnits
		}
	}
	c.items += items
	c.bytes += n
}

// reading is what the meter saw between two resets.
type reading struct {
	units    float64
	items    int
	bytes    int64
	answered map[string]int
	reported map[string]int
}

// complete reports whether every read response carried ConsumedCapacity.
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
	c.units, c.items, c.bytes = 0, 0, 0
	c.answered, c.reported = map[string]int{}, map[string]int{}
}

func (c *capacity) read() reading {
	c.mu.Lock()
	defer c.mu.Unlock()
	return reading{units: c.units, items: c.items, bytes: c.bytes,
		answered: maps.Clone(c.answered), reported: maps.Clone(c.reported)}
}
