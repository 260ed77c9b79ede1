// Package store keeps the service's data in one DynamoDB table. It owns the key patterns
// (keys.go), the item shapes and every DynamoDB call; the rest of the service sees domain
// types and the errors the domain packages define, and the list engine's own refusals (a
// cursor it did not make, a filter that would read too much; list.go).
package store

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"golang.org/x/sync/errgroup"

	"github.com/acme/customers/pkg/idempotency"
	"github.com/acme/customers/pkg/problem"
	"github.com/acme/customers/pkg/seal"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Store is the DynamoDB implementation of the domain stores.
type Store struct {
	db    API
	table string
	// cursors seals list continuations; nil leaves them readable (store tests).
	cursors *seal.Keyring
	// budgets bounds the rows a list reads (scanBudget and countBudget; tests make them
	// small).
	budgets listBudgets
}

// CursorPurpose is what the list cursors' key is derived for.
const CursorPurpose = "list-cursor"

// WithCursors makes the store seal list continuations with keys (their purpose:
// CursorPurpose), so that they reveal nothing and cannot be forged. Every function that
// lists must be given the same secret, or a link made by one would not open in another.
func (s *Store) WithCursors(keys *seal.Keyring) *Store {
	s.cursors = keys
	return s
}

// New returns a store on table.
func New(db API, table string) *Store {
	return &Store{db: db, table: table, budgets: listBudgets{scan: scanBudget, count: countBudget}}
}

// fail turns a DynamoDB error into what the handlers should answer: throttling that
// outlasted the SDK's retries, and an exhausted client retry quota, become a 503 with
// Retry-After; everything else stays internal.
func fail(op string, err error) error {
	if err == nil {
		return nil
	}
	var apiErr smithy.APIError
	var quota ratelimit.QuotaExceededError
	if errors.As(err, &quota) {
		return unavailable(op, err)
	}
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
			"LimitExceededException", "TransactionInProgressException", "InternalServerError", "ServiceUnavailable":
			return unavailable(op, err)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return unavailable(op, err)
	}
	// The connection failed (reset, refused, cut before the answer) on every attempt the SDK
	// made: DynamoDB could not be reached, which passes; the client may retry.
	var send *smithyhttp.RequestSendError
	var netErr net.Error
	if errors.As(err, &send) || errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) {
		return unavailable(op, err)
	}
	if isItemTooLarge(err) {
		return ErrItemTooLarge
	}
	return &opError{op: op, err: err}
}

// ErrItemTooLarge answers a write that would make an item larger than DynamoDB's 400 KB:
// in practice a record whose custom values (of fields deleted since, which it still holds,
// and of the current ones) add up past it. Nothing was written.
var ErrItemTooLarge = &problem.Error{Kind: problem.TooLarge, Title: "Payload Too Large",
	Detail: "this record would grow past what the store can keep (400 KB); write shorter custom values"}

// isItemTooLarge reports DynamoDB's refusal of an item over 400 KB (a ValidationException,
// alone or as a transaction's cancellation reason).
func isItemTooLarge(err error) bool {
	s := err.Error()
	return strings.Contains(s, "Item size has exceeded the maximum allowed size") ||
		strings.Contains(s, "Item size to update has exceeded the maximum allowed size")
}

func unavailable(op string, err error) error {
	return &problem.Error{Kind: problem.Unavailable, Title: "Service Unavailable",
		Detail: "the service is busy; retry shortly", RetryAfter: time.Second, Cause: &opError{op: op, err: err}}
}

type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return "store: " + e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

// cancelReasons returns the per-action reasons of a cancelled transaction, in the order of
// its actions (code "None" for those that did not fail), or nil for other errors.
func cancelReasons(err error) []types.CancellationReason {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil
	}
	return tce.CancellationReasons
}

// failed reports whether action i of a cancelled transaction failed its condition.
func failed(reasons []types.CancellationReason, i int) bool {
	return i < len(reasons) && aws.ToString(reasons[i].Code) == "ConditionalCheckFailed"
}

func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// A transaction cancelled by a conflicting concurrent transaction or by throttling is
// tried again (the SDK retries neither), up to transactAttempts times in all, after a
// random pause of up to transactBaseDelay·2ⁿ (at most transactMaxDelay) before retry n:
// exponential backoff with full jitter, so that writers queued on one item (every address
// write counts on its customer's profile) spread out instead of colliding again. The
// pauses add up to at most 3 s (1.5 s expected), within the functions' 10 s timeout; the
// request's deadline ends them sooner. A transaction that still conflicts after that is a
// 503 with Retry-After: it wrote nothing, so the client may simply send it again.
const (
	transactAttempts  = 12
	transactBaseDelay = 10 * time.Millisecond
	transactMaxDelay  = 400 * time.Millisecond
)

// transact runs the transaction that build returns, building a fresh input for every
// attempt: the SDK fills ClientRequestToken into the input it is given, and reusing that
// token would make DynamoDB treat a new write as a replay and skip its conditions. It
// returns the cancellation reasons of a transaction that failed a condition.
//
// When ctx carries an idempotency key not yet written (idempotency.With), its record joins
// the transaction as its last item; if another request wrote that record first, nothing is
// written and transact returns idempotency.ErrRace.
func (s *Store) transact(ctx context.Context, op string, build func() []types.TransactWriteItem) ([]types.CancellationReason, error) {
	for attempt := 1; ; attempt++ {
		items, keyed := s.withIdempotency(ctx, build())
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			if keyed != nil {
				keyed.MarkWritten()
			}
			return nil, nil
		}
		reasons := cancelReasons(err)
		if reasons == nil {
			return nil, fail(op, err)
		}
		if keyed != nil && failed(reasons, len(items)-1) {
			return nil, idempotency.ErrRace
		}
		// A conflicting transaction or throttling cancels without any condition failing:
		// both are worth retrying, and both are a 503 once the retries are spent (a 409
		// would read as "email taken" to a storefront).
		transient := false
		for i, r := range reasons {
			if failed(reasons, i) {
				return reasons, nil
			}
			switch aws.ToString(r.Code) {
			case "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded":
				transient = true
			}
		}
		if !transient {
			return nil, fail(op, err)
		}
		if attempt == transactAttempts {
			return nil, unavailable(op, err)
		}
		if err := pause(ctx, op, attempt); err != nil {
			return nil, err
		}
	}
}

// pause waits before retry attempt: a random time up to transactBaseDelay·2ⁿ, at most
// transactMaxDelay (exponential backoff with full jitter), or until ctx ends.
func pause(ctx context.Context, op string, attempt int) error {
	select {
	case <-time.After(rand.N(min(transactMaxDelay, transactBaseDelay<<attempt))):
		return nil
	case <-ctx.Done():
		return fail(op, ctx.Err())
	}
}

var errUnprocessed = errors.New("unprocessed keys")

func numberAV(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// getOne reads the item at k with one strongly consistent GetItem, as an I made a T;
// missing when there is none.
func getOne[I, T any](ctx context.Context, s *Store, op string, k key, to func(*I) T, missing error) (T, error) {
	var zero T
	mk, _ := attributevalue.MarshalMap(k)
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: mk, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return zero, fail(op, err)
	}
	if out.Item == nil {
		return zero, missing
	}
	var it I
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return zero, fail(op, err)
	}
	return to(&it), nil
}

// decodeAll reads rows as items of type I and makes each a T.
func decodeAll[I, T any](op string, rows []map[string]types.AttributeValue, to func(*I) T) ([]T, error) {
	out := make([]T, 0, len(rows))
	for _, raw := range rows {
		var it I
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, fail(op, err)
		}
		out = append(out, to(&it))
	}
	return out, nil
}

// batchGet reads the items at keys with one consistent BatchGetItem (again for keys it hands
// back unprocessed, at most three times), by key; an absent item is not in the result.
func (s *Store) batchGet(ctx context.Context, op string, keys ...key) (map[key]map[string]types.AttributeValue, error) {
	req := map[string]types.KeysAndAttributes{s.table: {ConsistentRead: aws.Bool(true)}}
	kaa := req[s.table]
	for _, k := range keys {
		mk, _ := attributevalue.MarshalMap(k)
		kaa.Keys = append(kaa.Keys, mk)
	}
	req[s.table] = kaa
	found := map[key]map[string]types.AttributeValue{}
	for attempt := 0; len(req) > 0; attempt++ {
		if attempt == 3 {
			return nil, unavailable(op, errUnprocessed)
		}
		out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, fail(op, err)
		}
		for _, it := range out.Responses[s.table] {
			found[key{attrString(it, attrPK), attrString(it, attrSK)}] = it
		}
		req = out.UnprocessedKeys
	}
	return found, nil
}

// batchDelete deletes the items at keys by BatchWriteItem, 25 a call and eraseWorkers calls
// at once (eraseWorkers), sending what comes back unprocessed again after a capped, jittered pause
// (pause), up to transactAttempts times a call.
func (s *Store) batchDelete(ctx context.Context, op string, keys []key) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(eraseWorkers)
	for len(keys) > 0 {
		n := min(len(keys), 25)
		chunk := keys[:n]
		keys = keys[n:]
		g.Go(func() error { return s.batchDelete25(gctx, op, chunk) })
	}
	return g.Wait()
}

// batchDelete25 deletes up to 25 items with one BatchWriteItem and its retries.
func (s *Store) batchDelete25(ctx context.Context, op string, keys []key) error {
	reqs := make([]types.WriteRequest, 0, len(keys))
	for _, k := range keys {
		mk, _ := attributevalue.MarshalMap(k)
		reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: mk}})
	}
	req := map[string][]types.WriteRequest{s.table: reqs}
	for attempt := 1; ; attempt++ {
		out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
		if err != nil {
			return fail(op, err)
		}
		if req = out.UnprocessedItems; len(req) == 0 {
			return nil
		}
		if attempt == transactAttempts {
			return unavailable(op, errUnprocessed)
		}
		if err := pause(ctx, op, attempt); err != nil {
			return err
		}
	}
}
