package store

import (
	"context"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/acme/customers/pkg/customers"
)

// The erasure of a deleted customer (the store's half of the scheduled cleanup).
//
// DeletedBefore finds tombstones on GSI1 (DELETED#<s> / deleted_at␟id, one Query a shard,
// never a Scan); EraseCustomer erases one of them: it redacts the personal data copied into
// the customer's orders (the orders stay), then deletes its addresses, order-history links
// and the Idempotency-Key records of its keyed requests (found by their links: their stored
// answers hold its data) by BatchWriteItem, and the tombstone last, so that a run that stops half-way leaves
// the tombstone for the next run to find. Every step is safe to repeat and to run twice at
// once. Email claims are never touched: the claim was released by the delete itself, and
// one that exists now is a new customer's.

// Redacted is what replaces the personal data of an erased customer's orders: the name, the
// email and every non-empty field of the billing and shipping addresses (empty fields stay
// empty). A redacted order also has redacted_at, and sorts by this email on GSI8, then by
// its customer's id (redactedSortKey), so that eq(customer_id) still finds the orders of an
// erased customer, whose history links are gone.
const Redacted = "[redacted]"

// redactedPart is the GSI8 partition of every redacted order: the shard of the Redacted
// email, as for any order of that email.
func redactedPart() string { return ordersPart(shardOf(customers.EmailKey(Redacted))) }

// redactedSortKey is a redacted order's GSI8 sort key: the Redacted email, its customer's
// id and its own (Redacted␟<customer id>␟<order id>).
func redactedSortKey(customerID, orderID string) string {
	return sortKey(customers.EmailKey(Redacted)+sep+customerID, orderID)
}

// Erased is what one EraseCustomer did.
type Erased struct {
	// NotDeleted: the customer is not a tombstone (live, or never existed, or already
	// erased): nothing was done.
	NotDeleted bool
	// Addresses and Links count the items this run sent deletes for (BatchWriteItem does
	// not say whether an item was still there: two runs at once may both count one).
	Addresses int
	Links     int
	// Keys counts the Idempotency-Key records (with their links) this run sent deletes for:
	// the answers of the customer's keyed requests, which hold its data.
	Keys int
	// Orders counts the orders this run redacted (never one twice, across runs).
	Orders int
	// Tombstone reports that this run deleted the tombstone.
	Tombstone bool
}

// erasePage is how many rows of a customer's partition EraseCustomer reads a Query; each
// page's orders are redacted before its rows are deleted.
const erasePage = 200

// eraseWorkers bounds the calls one EraseCustomer has in flight at once: order redactions
// (UpdateItem) first, then the page's deletes (BatchWriteItem, 25 items each).
const eraseWorkers = 8

// DeletedBefore returns up to limit ids of customers deleted before cutoff, oldest deletion
// first: one Query of each of the 8 DELETED#<s> partitions of GSI1 (at most limit rows
// each, in parallel), merged. after continues a previous call: it is the plain position
// (the GSI1 sort key, deleted_at␟id) up to which a call read: its last id's, or where a
// shard's read stopped, which that call hands back as next ("" when nothing is left; a
// page may be empty and still have a next). Since the shards' rows are merged in one order, that
// one position continues every shard: the merge stops where the first shard with more to
// read stopped (its LastEvaluatedKey), so a shard's page cut short (DynamoDB's 1 MB page:
// fewer rows than the Limit, or none, with a LastEvaluatedKey) skips none of its rows. The
// index is eventually consistent: a customer deleted a moment ago may appear a little later.
func (s *Store) DeletedBefore(ctx context.Context, cutoff time.Time, limit int, after string) ([]string, string, error) {
	const op = "list deleted customers"
	if limit <= 0 {
		return nil, "", nil
	}
	// Sort keys are <deleted_at>␟<id>: every key below the bare cutoff time is a deletion
	// before it, and the smallest key above after is after+"\x00".
	cond := "GSI1PK = :p AND GSI1SK < :to"
	values := map[string]types.AttributeValue{":to": &types.AttributeValueMemberS{Value: timeKey(cutoff)}}
	if after != "" {
		cond = "GSI1PK = :p AND GSI1SK BETWEEN :from AND :to"
		values[":from"] = &types.AttributeValueMemberS{Value: after + "\x00"}
	}
	rows := make([][]string, shards)
	ends := make([]string, shards) // where a shard with more to read stopped: its LastEvaluatedKey's sort key
	errs := make([]error, shards)
	var wg sync.WaitGroup
	for n := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vals := withValue(values, ":p", &types.AttributeValueMemberS{Value: deletedPart(n)})
			out, err := s.db.Query(ctx, &dynamodb.QueryInput{TableName: &s.table, IndexName: aws.String(indexCreated),
				KeyConditionExpression: aws.String(cond), ExpressionAttributeValues: vals,
				ProjectionExpression: aws.String("GSI1SK"), ScanIndexForward: aws.Bool(true), Limit: aws.Int32(int32(limit))})
			if err != nil {
				errs[n] = fail(op, err)
				return
			}
			for _, it := range out.Items {
				rows[n] = append(rows[n], attrString(it, "GSI1SK"))
			}
			if out.LastEvaluatedKey != nil {
				ends[n] = attrString(out.LastEvaluatedKey, "GSI1SK")
			}
		}()
	}
	wg.Wait()
	var all []string
	next := "" // the smallest place a shard stopped with more to read: nothing beyond it is known yet
	for n := range shards {
		if errs[n] != nil {
			return nil, "", errs[n]
		}
		all = append(all, rows[n]...)
		if ends[n] != "" && (next == "" || ends[n] < next) {
			next = ends[n]
		}
	}
	sort.Strings(all)
	if next != "" {
		all = all[:sort.SearchStrings(all, next+"\x00")] // the rows up to next; the rest are read again
	}
	if len(all) > limit {
		all = all[:limit]
		next = all[limit-1]
	}
	ids := make([]string, 0, len(all))
	for _, sk := range all {
		if _, id, ok := strings.Cut(sk, sep); ok {
			ids = append(ids, id)
		}
	}
	return ids, next, nil
}

// EraseCustomer erases what belonged to the deleted customer customerID (see the top of
// this file); a customer that is not a tombstone is left alone (Erased.NotDeleted).
//
// Its cost: one consistent read of the profile, then per page of erasePage rows of its
// partition one Query (keys and, for order links, the copied addresses), one UpdateItem
// for each order (no read: the link holds what the redaction needs) and one BatchWriteItem
// per 25 rows, and the tombstone's DeleteItem.
func (s *Store) EraseCustomer(ctx context.Context, customerID string, now time.Time) (Erased, error) {
	const op = "erase customer"
	var res Erased
	profile := customerKey(customerID)
	found, err := s.batchGet(ctx, op, profile)
	if err != nil {
		return res, err
	}
	var it customerItem
	if raw := found[profile]; raw == nil || attributevalue.UnmarshalMap(raw, &it) != nil || it.DeletedAt == "" {
		res.NotDeleted = true
		return res, nil
	}
	// The whole partition but the profile: Idempotency-Key links (#KEY#...) and order links
	// (#ORDER#...) sort below it, addresses above. Rows are deleted as the Query goes, which a later page's start key survives.
	var start map[string]types.AttributeValue
	for {
		out, err := s.db.Query(ctx, &dynamodb.QueryInput{TableName: &s.table,
			KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :from AND :to"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk":   &types.AttributeValueMemberS{Value: profile.PK},
				":from": &types.AttributeValueMemberS{Value: prefixKeyLink},
				":to":   &types.AttributeValueMemberS{Value: addressesEnd}},
			ProjectionExpression: aws.String("PK, SK, id, billing_address, shipping_address"), ConsistentRead: aws.Bool(true),
			Limit: aws.Int32(erasePage), ExclusiveStartKey: start})
		if err != nil {
			return res, fail(op, err)
		}
		var rows []key
		var links []orderItem
		for _, row := range out.Items {
			k := key{attrString(row, attrPK), attrString(row, attrSK)}
			switch {
			case strings.HasPrefix(k.SK, prefixOrderLink):
				var link orderItem
				if err := attributevalue.UnmarshalMap(row, &link); err != nil {
					return res, fail(op, err)
				}
				links = append(links, link)
				res.Links++
			case strings.HasPrefix(k.SK, prefixAddress):
				res.Addresses++
			case strings.HasPrefix(k.SK, prefixKeyLink):
				// The Idempotency-Key record its answer is kept in, then the link.
				rows = append(rows, idempotencyKey(strings.TrimPrefix(k.SK, prefixKeyLink)))
				res.Keys++
			default:
				continue // the profile
			}
			rows = append(rows, k)
		}
		// Orders first: a link deleted before its order is redacted would lose the order.
		n, err := s.redactOrders(ctx, customerID, links, now)
		res.Orders += n
		if err != nil {
			return res, err
		}
		if err := s.batchDelete(ctx, op, rows); err != nil {
			return res, err
		}
		if start = out.LastEvaluatedKey; start == nil {
			break
		}
	}
	mk, _ := attributevalue.MarshalMap(profile)
	_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: mk,
		ConditionExpression: aws.String("attribute_exists(deleted_at)")})
	switch {
	case conditionFailed(err): // another run got there first
	case err != nil:
		return res, fail(op, err)
	default:
		res.Tombstone = true
	}
	return res, nil
}

// redactOrders redacts the orders of customerID that links (their copies in its history)
// name, eraseWorkers at a time, and returns how many it redacted.
func (s *Store) redactOrders(ctx context.Context, customerID string, links []orderItem, now time.Time) (int, error) {
	var count atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(eraseWorkers)
	for _, link := range links {
		g.Go(func() error {
			done, err := s.redactOrder(gctx, customerID, link, now)
			if done {
				count.Add(1)
			}
			return err
		})
	}
	err := g.Wait()
	return int(count.Load()), err
}

// redactOrder replaces the personal data of the order that link copies with Redacted in
// one UpdateItem, no read: the name and email, and every non-empty field of the addresses
// as the link has them (the link is updated with the order in one transaction, so they
// agree; a staff change of the shipping address racing this write is overwritten by it,
// its values gone too). It bumps the version (so that an update read before cannot write
// the old data back), sets redacted_at and moves the order on GSI8 to the Redacted email,
// on condition that the order is still customerID's and not yet redacted. It reports false
// for an order already redacted (by another run), another customer's, or gone.
func (s *Store) redactOrder(ctx context.Context, customerID string, link orderItem, now time.Time) (bool, error) {
	const op = "redact order"
	mk, _ := attributevalue.MarshalMap(orderKey(link.ID))
	ts := timeKey(now)
	u := expression.Set(expression.Name("customer_name"), expression.Value(Redacted)).
		Set(expression.Name("customer_email"), expression.Value(Redacted)).
		Set(expression.Name("redacted_at"), expression.Value(ts)).
		Set(expression.Name("updated_at"), expression.Value(ts)).
		Set(expression.Name("version"), expression.Plus(expression.Name("version"), expression.Value(1))).
		Set(expression.Name("GSI8PK"), expression.Value(redactedPart())).
		Set(expression.Name("GSI8SK"), expression.Value(redactedSortKey(customerID, link.ID)))
	for name, fields := range map[string]map[string]string{"billing_address": link.Billing, "shipping_address": link.Shipping} {
		if fields != nil {
			u = u.Set(expression.Name(name), expression.Value(redactFields(fields)))
		}
	}
	cond := expression.Name("customer_id").Equal(expression.Value(customerID)).
		And(expression.AttributeNotExists(expression.Name("redacted_at")))
	expr, err := expression.NewBuilder().WithUpdate(u).WithCondition(cond).Build()
	if err != nil {
		return false, fail(op, err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: mk,
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	switch {
	case err == nil:
		return true, nil
	case conditionFailed(err):
		return false, nil
	}
	return false, fail(op, err)
}

// redactFields is an address with every non-empty field replaced by Redacted.
func redactFields(fields map[string]string) map[string]string {
	out := make(map[string]string, len(fields))
	for k, v := range fields {
		if v != "" {
			v = Redacted
		}
		out[k] = v
	}
	return out
}
