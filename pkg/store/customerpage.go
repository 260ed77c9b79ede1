package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// partitionPage is a list kept in a customer's partition next to its profile: its rows lie
// between from and to, and the profile is the first row read (addresses: from the profile
// up, oldest first; orders: from the profile down, newest first). The profile keeps the
// list's count in attribute count.
type partitionPage struct {
	customerID string
	tokenGen   *int64 // the owner's token generation must still be this, when set
	from, to   string // the sort key range, profile included
	desc       bool   // read from the profile down
	count      string
	op         string
}

// customerPage reads one page of a partition list with one Query from the profile: the
// profile (the owner check, and the count into total) and, behind it, up to limit rows.
// With an offset, the first Query reads keys only and skips that many rows (more keys-only
// Queries if it must), and the page follows.
func (s *Store) customerPage(ctx context.Context, p partitionPage, limit, offset int, total *int) ([]map[string]types.AttributeValue, error) {
	query := func(start map[string]types.AttributeValue, n int, keysOnly bool) (*dynamodb.QueryOutput, error) {
		in := &dynamodb.QueryInput{
			TableName:              &s.table,
			KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :from AND :to"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk":   &types.AttributeValueMemberS{Value: customerKey(p.customerID).PK},
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
	// The first Query starts with the profile: behind it come either the rows to skip (keys
	// only) or the page itself.
	skip, n := offset, limit
	if skip > 0 {
		n = skip
	}
	first, err := query(nil, 1+n, skip > 0)
	if err != nil {
		return nil, err
	}
	var profile map[string]types.AttributeValue
	if len(first.Items) > 0 && attrString(first.Items[0], attrSK) == skProfile {
		profile = first.Items[0]
	}
	if err := liveFor(profile, p.tokenGen); err != nil {
		return nil, err
	}
	*total = max(int(attrInt(profile, p.count)), 0)
	rows, start := first.Items[1:], first.LastEvaluatedKey
	if skip > 0 {
		// The first query only counted; carry on past the skipped rows.
		skip -= len(rows)
		for skip > 0 && start != nil {
			out, err := query(start, skip, true)
			if err != nil {
				return nil, err
			}
			skip -= len(out.Items)
			start = out.LastEvaluatedKey
		}
		rows = nil
		if skip > 0 || start == nil {
			return nil, nil
		}
	}
	for len(rows) < limit && start != nil {
		out, err := query(start, limit-len(rows), false)
		if err != nil {
			return nil, err
		}
		rows, start = append(rows, out.Items...), out.LastEvaluatedKey
	}
	return rows[:min(len(rows), limit)], nil
}
