package store

import (
	"crypto/rand"
	"errors"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/etag"
)

// Versions and retried writes.
//
// Every record a client can change carries a version that each change adds one to; its
// ETag is made of it (package etag). A write with If-Match puts the versions it names into
// its own condition (versionIn), so that two writes with the same If-Match cannot both land.
//
// The SDK sends a call again when its answer is lost (a connection reset, a 5xx). A
// transaction is safe: the SDK gives each TransactWriteItems call a ClientRequestToken, keeps
// it across its retries, and DynamoDB answers a token it has seen (for 10 minutes) with the
// first outcome without writing again. A single conditional write has no such token: sent
// again after it landed, it meets its own change, its condition fails, and the caller would
// hear a false 409 or 412. So each such write also stores a token of its own (attrWriteToken,
// random, one per write, the same in the SDK's retries of it) and asks for the item as it
// was when the condition fails: finding its token there, it knows that it did land, and
// answers success.

// attrWriteToken is the token of the last conditional single-item write of a record.
const attrWriteToken = "write_token"

// newWriteToken is a fresh write token (128 random bits).
func newWriteToken() string { return rand.Text() }

// appliedBy reports whether item, as a failed condition returned it, holds the change of the
// write that stored token: that write landed before, and this is it sent again.
func appliedBy(item map[string]types.AttributeValue, token string) bool {
	return token != "" && attrString(item, attrWriteToken) == token
}

// versionOf is an item's version (0 when it has none).
func versionOf(item map[string]types.AttributeValue) int64 {
	n, ok := item[attrVersion].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	v, _ := strconv.ParseInt(n.Value, 10, 64)
	return v
}

// changed is err for a write refused by its version condition, carrying the version the
// record is at (item: as DynamoDB returned it with the failed condition), so that a request
// with If-Match can answer 412 with the current ETag. With no item (the record is gone)
// err stays as it is.
func changed(item map[string]types.AttributeValue, err error) error {
	if len(item) == 0 {
		return err
	}
	return &etag.Changed{Version: versionOf(item), Err: err}
}

// versionIn is the condition that a record's version is one of vs (If-Match's). Version 0
// is a record never written, or written before it had a version: no attribute. An empty vs
// (If-Match named none of this record's versions) is a condition nothing meets, whose
// failure still returns the item, for the 412's ETag.
func versionIn(vs []int64) expression.ConditionBuilder {
	name := expression.Name(attrVersion)
	if len(vs) == 0 {
		return name.Equal(expression.Value(-1)) // no version is negative
	}
	values := make([]expression.OperandBuilder, len(vs))
	never := false
	for i, v := range vs {
		values[i], never = expression.Value(v), never || v == 0
	}
	c := name.Equal(values[0])
	if len(values) > 1 {
		c = name.In(values[0], values[1:]...)
	}
	if never {
		c = c.Or(expression.AttributeNotExists(name))
	}
	return c
}

// versionFailure is what a single conditional write at a version answers, given its error:
// nil when it landed, also when its condition failed on the change it made itself (token
// found: the SDK sent it again after its answer was lost); stale (with the version the
// record is at, etag.Changed) when the record has moved on; a store error otherwise.
func (s *Store) versionFailure(op string, err error, token string, stale error) error {
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &ccf):
		return fail(op, err)
	case appliedBy(ccf.Item, token):
		return nil
	}
	return changed(ccf.Item, stale)
}
