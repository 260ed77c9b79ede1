package main

// The bare side: the DynamoDB operations each endpoint makes (pkg/store), with equivalent
// inputs written out by hand against the SDK client, without the service's packages. What
// a minimal Lambda would have to do, and no more: no attributevalue marshalling, no
// expression builder, no decoding of what comes back beyond the fields the next call needs.
// With withBcrypt, the bcrypt-bound endpoints' bare side also does their bcrypt work
// (golang.org/x/crypto/bcrypt directly) where the endpoint does it.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/id"
)

type item = map[string]types.AttributeValue

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func key(pk, sk string) item { return item{"PK": str(pk), "SK": str(sk)} }

// The table's key patterns (pkg/store/keys.go), restated.
func customerKey(id string) item  { return key("CUSTOMER#"+id, "#PROFILE") }
func emailKey(email string) item  { return key("EMAIL#"+strings.ToLower(email), "EMAIL") }
func failKey(email string) item   { return key("LOGINFAIL#"+strings.ToLower(email), "LOGINFAIL") }
func countKey(shard int) item     { return key("COUNT#customers", fmt.Sprintf("%02d", shard)) }
func timeKey(t time.Time) string  { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }
func sortKey(v, id string) string { return v + "\x1f" + id }
func getS(it item, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}
func getN(it item, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberN); ok {
		return v.Value
	}
	return "0"
}

func bareCreate(_ context.Context, e *env, withBcrypt bool) (*op, error) {
	var cid, email string
	return &op{
		prepare: func(context.Context) error { cid, email = id.New(), e.email("create"); return nil },
		run: func(ctx context.Context) error {
			hash := e.hash
			if withBcrypt {
				var err error
				if hash, err = e.hashPassword(fixturePassword); err != nil {
					return err
				}
			}
			ts := timeKey(time.Now())
			name, ek := "Ann Perkins", strings.ToLower(email)
			it := customerKey(cid)
			for k, v := range map[string]string{"type": "customer", "id": cid, "name": name, "email": email,
				"email_key": ek, "authentication_mechanism": "password", "password_hash": hash,
				"created_at": ts, "updated_at": ts,
				"GSI1PK": "CUSTOMERS", "GSI1SK": sortKey(ts, cid), "GSI2PK": "CUSTOMERS", "GSI2SK": sortKey(ek, cid),
				"GSI3PK": "CUSTOMERS", "GSI3SK": sortKey(name, cid), "GSI4PK": "CUSTOMERS", "GSI4SK": sortKey(ts, cid),
				"GSI5PK": "CUSTOMERS", "GSI5SK": cid} {
				it[k] = str(v)
			}
			it["has_password"] = &types.AttributeValueMemberBOOL{Value: true}
			it["token_gen"], it["version"] = num(0), num(1)
			lock := emailKey(email)
			lock["type"], lock["customer_id"] = str("email"), str(cid)
			_, err := e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Put: &types.Put{TableName: &e.table, Item: it, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
				{Put: &types.Put{TableName: &e.table, Item: lock, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
				{Update: countUpdate(e, 1)},
			}})
			return err
		},
	}, nil
}

func countUpdate(e *env, delta int64) *types.Update {
	return &types.Update{TableName: &e.table, Key: countKey(rand.N(8)),
		UpdateExpression:          aws.String("ADD #n :d"),
		ExpressionAttributeNames:  map[string]string{"#n": "count"},
		ExpressionAttributeValues: item{":d": num(delta)}}
}

func bareGet(ctx context.Context, e *env, _ bool) (*op, error) {
	c, err := e.customer(ctx, "get")
	if err != nil {
		return nil, err
	}
	return &op{run: func(ctx context.Context) error {
		out, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &e.table, Key: customerKey(c.ID), ConsistentRead: aws.Bool(true)})
		if err == nil && out.Item == nil {
			err = errors.New("get: no item")
		}
		return err
	}}, nil
}

func bareUpdate(password bool) func(context.Context, *env, bool) (*op, error) {
	return func(ctx context.Context, e *env, withBcrypt bool) (*op, error) {
		c, err := e.customer(ctx, "update")
		if err != nil {
			return nil, err
		}
		return &op{run: func(ctx context.Context) error {
			ts, name := timeKey(time.Now()), "Ronald Swanson"
			set := "SET #ua = :ua, #g4 = :g4, #n = :n, #g3 = :g3"
			add := " ADD #v :one"
			names := map[string]string{"#ua": "updated_at", "#g4": "GSI4SK", "#n": "name", "#g3": "GSI3SK",
				"#v": "version", "#pk": "PK", "#da": "deleted_at"}
			values := item{":ua": str(ts), ":g4": str(sortKey(ts, c.ID)), ":n": str(name),
				":g3": str(sortKey(name, c.ID)), ":one": num(1)}
			if password {
				hash := e.hash
				if withBcrypt {
					var err error
					if hash, err = e.hashPassword("another password"); err != nil {
						return err
					}
				}
				set += ", #ph = :ph, #hp = :hp"
				add += ", #tg :one"
				names["#ph"], names["#hp"], names["#tg"] = "password_hash", "has_password", "token_gen"
				values[":ph"], values[":hp"] = str(hash), &types.AttributeValueMemberBOOL{Value: true}
			}
			_, err := e.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName:                           &e.table,
				Key:                                 customerKey(c.ID),
				UpdateExpression:                    aws.String(set + add),
				ConditionExpression:                 aws.String("attribute_exists(#pk) AND attribute_not_exists(#da)"),
				ExpressionAttributeNames:            names,
				ExpressionAttributeValues:           values,
				ReturnValues:                        types.ReturnValueAllNew,
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			})
			return err
		}}, nil
	}
}

// current reads a customer as update email and delete do first.
func current(ctx context.Context, e *env, cid string) (email, version string, err error) {
	out, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &e.table, Key: customerKey(cid), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return "", "", err
	}
	if out.Item == nil {
		return "", "", errors.New("no such customer")
	}
	return getS(out.Item, "email"), getN(out.Item, "version"), nil
}

func releaseEmail(e *env, email, cid string) *types.Delete {
	return &types.Delete{TableName: &e.table, Key: emailKey(email),
		ConditionExpression:       aws.String("customer_id = :id"),
		ExpressionAttributeValues: item{":id": str(cid)}}
}

func bareUpdateEmail(ctx context.Context, e *env, _ bool) (*op, error) {
	c, err := e.customer(ctx, "email")
	if err != nil {
		return nil, err
	}
	var next string
	return &op{
		prepare: func(context.Context) error { next = e.email("email"); return nil },
		run: func(ctx context.Context) error {
			old, version, err := current(ctx, e, c.ID)
			if err != nil {
				return err
			}
			ts, ek := timeKey(time.Now()), strings.ToLower(next)
			lock := emailKey(next)
			lock["type"], lock["customer_id"] = str("email"), str(c.ID)
			_, err = e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Update: &types.Update{TableName: &e.table, Key: customerKey(c.ID),
					UpdateExpression:    aws.String("SET #ua = :ua, #g4 = :g4, #e = :e, #ek = :ek, #g2 = :g2 ADD #v :one"),
					ConditionExpression: aws.String("attribute_exists(#pk) AND attribute_not_exists(#da) AND #v = :v"),
					ExpressionAttributeNames: map[string]string{"#ua": "updated_at", "#g4": "GSI4SK", "#e": "email",
						"#ek": "email_key", "#g2": "GSI2SK", "#v": "version", "#pk": "PK", "#da": "deleted_at"},
					ExpressionAttributeValues: item{":ua": str(ts), ":g4": str(sortKey(ts, c.ID)), ":e": str(next),
						":ek": str(ek), ":g2": str(sortKey(ek, c.ID)), ":one": num(1),
						":v": &types.AttributeValueMemberN{Value: version}}}},
				{Delete: releaseEmail(e, old, c.ID)},
				{Put: &types.Put{TableName: &e.table, Item: lock, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			}})
			return err
		},
	}, nil
}

func bareDelete(_ context.Context, e *env, _ bool) (*op, error) {
	var cid string
	return &op{
		prepare: func(ctx context.Context) error {
			c, err := e.customer(ctx, "delete")
			if err == nil {
				cid = c.ID
			}
			return err
		},
		run: func(ctx context.Context) error {
			email, version, err := current(ctx, e, cid)
			if err != nil {
				return err
			}
			ts := timeKey(time.Now())
			_, err = e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Update: &types.Update{TableName: &e.table, Key: customerKey(cid),
					UpdateExpression: aws.String("SET #d = :d, #g1 = :g1, #g1s = :g1s ADD #v :one REMOVE #n, #e, #ek, #ph, #er, " +
						"#g2, #g2s, #g3, #g3s, #g4, #g4s, #g5, #g5s"),
					ConditionExpression: aws.String("attribute_exists(#pk) AND attribute_not_exists(#d) AND #v = :v"),
					ExpressionAttributeNames: map[string]string{"#d": "deleted_at", "#g1": "GSI1PK", "#g1s": "GSI1SK",
						"#v": "version", "#n": "name", "#e": "email", "#ek": "email_key", "#ph": "password_hash",
						"#er": "external_ref", "#g2": "GSI2PK", "#g2s": "GSI2SK", "#g3": "GSI3PK", "#g3s": "GSI3SK",
						"#g4": "GSI4PK", "#g4s": "GSI4SK", "#g5": "GSI5PK", "#g5s": "GSI5SK", "#pk": "PK"},
					ExpressionAttributeValues: item{":d": str(ts), ":g1": str("DELETED"), ":g1s": str(sortKey(ts, cid)),
						":one": num(1), ":v": &types.AttributeValueMemberN{Value: version}}}},
				{Delete: releaseEmail(e, email, cid)},
				{Update: countUpdate(e, -1)},
			}})
			return err
		},
	}, nil
}

// bareList reads the count shards while it queries the page, as the store does.
func bareList(offset int) func(context.Context, *env, bool) (*op, error) {
	return func(_ context.Context, e *env, _ bool) (*op, error) {
		const limit = 25
		index := "GSI1"
		query := func(ctx context.Context, n int, start item, countOnly bool) (*dynamodb.QueryOutput, error) {
			in := &dynamodb.QueryInput{TableName: &e.table, IndexName: &index,
				KeyConditionExpression:    aws.String("#pk = :pk"),
				ExpressionAttributeNames:  map[string]string{"#pk": "GSI1PK"},
				ExpressionAttributeValues: item{":pk": str("CUSTOMERS")},
				ScanIndexForward:          aws.Bool(false),
				Limit:                     aws.Int32(int32(n)),
				ExclusiveStartKey:         start,
			}
			if countOnly {
				in.Select = types.SelectCount
			}
			return e.db.Query(ctx, in)
		}
		return &op{run: func(ctx context.Context) error {
			var wg sync.WaitGroup
			var countErr error
			wg.Go(func() {
				keys := make([]item, 8)
				for i := range keys {
					keys[i] = countKey(i)
				}
				req := map[string]types.KeysAndAttributes{e.table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
				for len(req) > 0 && countErr == nil {
					var out *dynamodb.BatchGetItemOutput
					out, countErr = e.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
					if countErr == nil {
						req = out.UnprocessedKeys
					}
				}
			})
			var start item
			var err error
			for skip := offset; skip > 0 && err == nil; {
				var out *dynamodb.QueryOutput
				if out, err = query(ctx, skip, start, true); err == nil {
					skip -= int(out.Count)
					if start = out.LastEvaluatedKey; start == nil {
						err = errors.New("list: fewer customers than the offset")
					}
				}
			}
			for got := 0; got < limit && err == nil; {
				var out *dynamodb.QueryOutput
				if out, err = query(ctx, limit-got, start, false); err == nil {
					got += len(out.Items)
					if start = out.LastEvaluatedKey; start == nil {
						break
					}
				}
			}
			wg.Wait()
			return errors.Join(err, countErr)
		}}, nil
	}
}

// bareLogin reads the email's claim and failure count, then the customer; a failure then
// counts itself like store.LoginFailed (an UpdateItem, and a PutItem when the window is
// new). The password comparison in between is bcrypt's, done only withBcrypt.
func bareLogin(ok, reset bool) func(context.Context, *env, bool) (*op, error) {
	return func(ctx context.Context, e *env, withBcrypt bool) (*op, error) {
		c, err := e.customer(ctx, "login")
		if err != nil {
			return nil, err
		}
		o := &op{run: func(ctx context.Context) error {
			out, err := e.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
				e.table: {Keys: []item{emailKey(c.Email), failKey(c.Email)}, ConsistentRead: aws.Bool(true)},
			}})
			if err != nil {
				return err
			}
			cid := ""
			for _, it := range out.Responses[e.table] {
				if getS(it, "SK") == "EMAIL" {
					cid = getS(it, "customer_id")
				}
			}
			if _, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &e.table, Key: customerKey(cid), ConsistentRead: aws.Bool(true)}); err != nil {
				return err
			}
			if withBcrypt {
				password := fixturePassword
				if !ok {
					password = "wrong password"
				}
				if e.comparePassword(password) != ok {
					return errors.New("login: unexpected bcrypt result")
				}
			}
			if ok {
				return nil
			}
			now := time.Now()
			_, err = e.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &e.table, Key: failKey(c.Email),
				UpdateExpression:          aws.String("ADD failures :one"),
				ConditionExpression:       aws.String("window_start > :cutoff"),
				ExpressionAttributeValues: item{":one": num(1), ":cutoff": num(now.Add(-e.deps.Config.LoginWindow).Unix())},
			})
			var ccf *types.ConditionalCheckFailedException
			if !errors.As(err, &ccf) {
				return err
			}
			it := failKey(c.Email)
			it["type"], it["failures"], it["window_start"] = str("login_failures"), num(1), num(now.Unix())
			it["expires_at"] = num(now.Add(e.deps.Config.LoginWindow).Unix() + 60)
			_, err = e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &e.table, Item: it})
			return err
		}}
		if reset {
			o.prepare = func(ctx context.Context) error { return clearFailures(ctx, e, c.Email) }
		}
		return o, nil
	}
}

// clearFailures deletes an email's failed log-in count (untimed setup).
func clearFailures(ctx context.Context, e *env, email string) error {
	_, err := e.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &e.table, Key: failKey(email)})
	return err
}
