package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/safe"
)

// partitionPage is a list kept in a customer's partition next to its profile: its rows lie
// between from and to, and the profile is the first row read (addresses: from the profile
// up, oldest first; orders: from the profile down, newest first). The profile keeps the
// list's count in attribute count.
type partitionPage struct {
	customerID string
	tokenGen   *int64 // the owner's token generation must still be this, when set
	anyOwner   bool   // staff: the owner need not be live (a deleted customer's rows, until the cleanup), but must have a profile or tombstone
	from, to   string // the sort key range, profile included
	desc       bool   // read from the profile down
	count      string
	op         string
}

// partitionResult is one page of a partition list.
type partitionResult struct {
	rows  []map[string]types.AttributeValue
	total int    // the count kept on the profile
	next  string // a sealed continuation after the page's last row; "" at the end
}

// fingerprint ties a continuation to its customer and list.
func (p partitionPage) fingerprint() uint32 {
	h := fnv.New32a()
	fmt.Fprintf(h, "partition|%s|%s|%s|%v", p.customerID, p.from, p.to, p.desc)
	return h.Sum32()
}

// holds reports whether sk is a row's sort key of the list (not the profile's). Cursors
// are sealed: this only keeps a key DynamoDB would refuse out of a Query.
func (p partitionPage) holds(sk string) bool {
	return sk != skProfile && sk >= p.from && sk <= p.to && len(sk) <= 1024 && utf8.ValidString(sk)
}

// customerPage reads one page of a partition list. Without a cursor, one Query from the
// profile reads the profile (the owner check, and the count) and, behind it, up to limit
// rows; with an offset, that Query reads keys only and skips that many rows (more keys-only
// Queries if it must), and the page follows. With a cursor (the next link of a page
// before), the Query starts after that page's last row, and the profile is read alongside
// with a GetItem: page 1,000 costs what page 1 does. The next link carries a cursor
// whenever rows may follow.
func (s *Store) customerPage(ctx context.Context, p partitionPage, limit, offset int, cursorText string) (partitionResult, error) {
	var res partitionResult
	pk := customerKey(p.customerID).PK
	query := func(start map[string]types.AttributeValue, n int, keysOnly bool) (*dynamodb.QueryOutput, error) {
		in := &dynamodb.QueryInput{
			TableName:              &s.table,
			KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :from AND :to"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk":   &types.AttributeValueMemberS{Value: pk},
				":from": &types.AttributeValueMemberS{Value: p.from},
				":to":   &types.AttributeValueMemberS{Value: p.to},
			},
			ScanIndexForward:  aws.Bool(!p.desc),
			ConsistentRead:    aws.Bool(true),
			Limit:             aws.Int32(int32(n)),
			ExclusiveStartKey: start,
		}
		if keysOnly {
			// The rows have none of these; the profile's come back for the owner check.
			in.ProjectionExpression = aws.String("PK, SK, token_gen, deleted_at, #count")
			in.ExpressionAttributeNames = map[string]string{"#count": p.count}
		}
		out, err := s.db.Query(ctx, in)
		return out, fail(p.op, err)
	}
	skip, n := offset, limit
	var start map[string]types.AttributeValue
	if cursorText != "" {
		c, err := s.decodeCursor(ctx, cursorText, p.fingerprint(), 1)
		if err != nil && !errors.Is(err, errBadCursor) {
			return res, err
		}
		if err != nil || !p.holds(c.P[0]) || c.B > offset {
			return res, errBadCursor
		}
		skip = offset - c.B
		start = map[string]types.AttributeValue{attrPK: &types.AttributeValueMemberS{Value: pk},
			attrSK: &types.AttributeValueMemberS{Value: c.P[0]}}
	}
	if skip > 0 {
		n = skip
	}
	var (
		profile map[string]types.AttributeValue
		rows    []map[string]types.AttributeValue
	)
	if start == nil {
		// The Query starts with the profile: behind it come either the rows to skip (keys
		// only) or the page itself.
		first, err := query(nil, 1+n, skip > 0)
		if err != nil {
			return res, err
		}
		rows, start = first.Items, first.LastEvaluatedKey
		if len(rows) > 0 && attrString(rows[0], attrSK) == skProfile {
			profile, rows = rows[0], rows[1:]
		}
	} else {
		var perr error
		wait := safe.Go(func() { profile, perr = s.profile(ctx, p) })
		first, err := query(start, n, skip > 0)
		wait()
		if err != nil {
			return res, err
		}
		if perr != nil {
			return res, perr
		}
		rows, start = first.Items, first.LastEvaluatedKey
	}
	switch {
	case !p.anyOwner:
		if err := liveFor(profile, p.tokenGen); err != nil {
			return res, err
		}
	case len(profile) == 0:
		// No profile nor tombstone: never a customer, or one the cleanup erased (the
		// tombstone goes last, so no row of the partition is left either).
		return res, customers.ErrNotFound
	}
	res.total = max(int(attrInt(profile, p.count)), 0)
	if skip > 0 {
		// That query only counted; carry on past the skipped rows.
		skip -= len(rows)
		for skip > 0 && start != nil {
			out, err := query(start, skip, true)
			if err != nil {
				return res, err
			}
			skip -= len(out.Items)
			start = out.LastEvaluatedKey
		}
		rows = nil
		if skip > 0 || start == nil {
			return res, nil
		}
	}
	for len(rows) < limit && start != nil {
		out, err := query(start, limit-len(rows), false)
		if err != nil {
			return res, err
		}
		rows, start = append(rows, out.Items...), out.LastEvaluatedKey
	}
	more := len(rows) > limit || start != nil
	res.rows = rows[:min(len(rows), limit)]
	if more && len(res.rows) > 0 {
		last := attrString(res.rows[len(res.rows)-1], attrSK)
		var err error
		if res.next, err = s.encodeCursor(ctx, cursor{F: p.fingerprint(), P: []string{last}, B: offset + len(res.rows)}); err != nil {
			return res, err
		}
	}
	return res, nil
}

// profile reads the owner's profile: what the owner check and the count need.
func (s *Store) profile(ctx context.Context, p partitionPage) (map[string]types.AttributeValue, error) {
	k, _ := attributevalue.MarshalMap(customerKey(p.customerID))
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: k, ConsistentRead: aws.Bool(true),
		ProjectionExpression:     aws.String("PK, SK, token_gen, deleted_at, #count"),
		ExpressionAttributeNames: map[string]string{"#count": p.count}})
	if err != nil {
		return nil, fail(p.op, err)
	}
	return out.Item, nil
}
