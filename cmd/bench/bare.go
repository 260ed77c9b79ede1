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
func countKey(shard int) item     { return key(fmt.Sprintf("COUNT#customers#%02d", shard), "COUNT") }
func timeKey(t time.Time) string  { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }
func sortKey(v, id string) string { return v + "\x1f" + id }
func addressKey(cid, aid string) item {
	return key("CUSTOMER#"+cid, "ADDRESS#"+aid)
}
func settingsKey() item { return key("SETTINGS", "STORE") }
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
			name, ek, part := "Ann Perkins", strings.ToLower(email), shardPart(cid)
			it := customerKey(cid)
			for k, v := range map[string]string{"type": "customer", "id": cid, "name": name, "name_lower": strings.ToLower(name),
				"email": email, "email_key": ek, "authentication_mechanism": "password", "password_hash": hash,
				"created_at": ts, "updated_at": ts,
				"GSI1PK": part, "GSI1SK": sortKey(ts, cid), "GSI2PK": shardPart(ek), "GSI2SK": sortKey(ek, cid),
				"GSI3PK": part, "GSI3SK": sortKey(name, cid), "GSI4PK": part, "GSI4SK": sortKey(ts, cid),
				"GSI5PK": part, "GSI5SK": cid} {
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
			set := "SET #ua = :ua, #g4 = :g4, #n = :n, #nl = :nl, #g3 = :g3"
			add := " ADD #v :one"
			names := map[string]string{"#ua": "updated_at", "#g4": "GSI4SK", "#n": "name", "#nl": "name_lower",
				"#g3": "GSI3SK", "#v": "version", "#pk": "PK", "#da": "deleted_at"}
			values := item{":ua": str(ts), ":g4": str(sortKey(ts, c.ID)), ":n": str(name),
				":nl": str(strings.ToLower(name)), ":g3": str(sortKey(name, c.ID)), ":one": num(1)}
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
					UpdateExpression:    aws.String("SET #ua = :ua, #g4 = :g4, #e = :e, #ek = :ek, #g2p = :g2p, #g2 = :g2 ADD #v :one"),
					ConditionExpression: aws.String("attribute_exists(#pk) AND attribute_not_exists(#da) AND #v = :v"),
					ExpressionAttributeNames: map[string]string{"#ua": "updated_at", "#g4": "GSI4SK", "#e": "email",
						"#ek": "email_key", "#g2p": "GSI2PK", "#g2": "GSI2SK", "#v": "version", "#pk": "PK", "#da": "deleted_at"},
					ExpressionAttributeValues: item{":ua": str(ts), ":g4": str(sortKey(ts, c.ID)), ":e": str(next),
						":ek": str(ek), ":g2p": str(shardPart(ek)), ":g2": str(sortKey(ek, c.ID)), ":one": num(1),
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
					UpdateExpression: aws.String("SET #d = :d, #g1 = :g1, #g1s = :g1s ADD #v :one REMOVE #n, #nl, #e, #ek, #ph, #er, " +
						"#g2, #g2s, #g3, #g3s, #g4, #g4s, #g5, #g5s, #g6, #g6s"),
					ConditionExpression: aws.String("attribute_exists(#pk) AND attribute_not_exists(#d) AND #v = :v"),
					ExpressionAttributeNames: map[string]string{"#d": "deleted_at", "#g1": "GSI1PK", "#g1s": "GSI1SK",
						"#v": "version", "#n": "name", "#nl": "name_lower", "#e": "email", "#ek": "email_key",
						"#ph": "password_hash", "#er": "external_ref", "#g2": "GSI2PK", "#g2s": "GSI2SK", "#g3": "GSI3PK",
						"#g3s": "GSI3SK", "#g4": "GSI4PK", "#g4s": "GSI4SK", "#g5": "GSI5PK", "#g5s": "GSI5SK",
						"#g6": "GSI6PK", "#g6s": "GSI6SK", "#pk": "PK"},
					ExpressionAttributeValues: item{":d": str(ts), ":g1": str("DELETED#" + strings.TrimPrefix(shardPart(cid), "C#")),
						":g1s": str(sortKey(ts, cid)),
						":one": num(1), ":v": &types.AttributeValueMemberN{Value: version}}}},
				{Delete: releaseEmail(e, email, cid)},
				{Update: countUpdate(e, -1)},
			}})
			return err
		},
	}, nil
}

// bareList reads the count shards while it reads the page, as the store does: the newest
// customers of each of the 8 shards' GSI1 partitions (Queries in parallel, each shard its
// share of offset + limit + 1 and 2 more), merged newest first; a shard that runs dry
// before the page is full reads again, twice as many rows each round (at most 100).
func bareList(offset int) func(context.Context, *env, bool) (*op, error) {
	return func(_ context.Context, e *env, _ bool) (*op, error) {
		const limit = 25
		type stream struct {
			part  string
			items []item
			start item
			more  bool
		}
		fetch := func(ctx context.Context, st *stream, n int) error {
			out, err := e.db.Query(ctx, &dynamodb.QueryInput{TableName: &e.table, IndexName: aws.String("GSI1"),
				KeyConditionExpression:    aws.String("#pk = :pk"),
				ExpressionAttributeNames:  map[string]string{"#pk": "GSI1PK"},
				ExpressionAttributeValues: item{":pk": str(st.part)},
				ScanIndexForward:          aws.Bool(false),
				Limit:                     aws.Int32(int32(n)),
				ExclusiveStartKey:         st.start,
			})
			if err != nil {
				return err
			}
			st.items = append(st.items, out.Items...)
			st.start, st.more = out.LastEvaluatedKey, out.LastEvaluatedKey != nil
			return nil
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
			streams := make([]*stream, storeShards)
			for i := range streams {
				streams[i] = &stream{part: "C#" + strconv.Itoa(i), more: true}
			}
			batch := min((limit+1+offset+storeShards-1)/storeShards+2, 100)
			var err error
			for taken, got := 0, 0; got < limit && err == nil; {
				var dry []*stream
				for _, st := range streams {
					if len(st.items) == 0 && st.more {
						dry = append(dry, st)
					}
				}
				if len(dry) > 0 {
					errs := make([]error, len(dry))
					var fw sync.WaitGroup
					for i, st := range dry {
						fw.Go(func() { errs[i] = fetch(ctx, st, batch) })
					}
					fw.Wait()
					if err = errors.Join(errs...); err != nil {
						break
					}
					batch = min(batch*2, 100)
				}
				var best *stream
				var bestSK string
				for _, st := range streams {
					if len(st.items) > 0 {
						if sk := getS(st.items[0], "GSI1SK"); best == nil || sk > bestSK {
							best, bestSK = st, sk
						}
					}
				}
				if best == nil {
					err = fmt.Errorf("list: %d customers, fewer than offset %d + a page of %d", taken, offset, limit)
					break
				}
				best.items = best.items[1:]
				if taken++; taken > offset {
					got++
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
		return bareLoginAs(e, c.Email, ok, reset, withBcrypt), nil
	}
}

// bareLoginUnknown fails to log in with an email nobody holds, first in its window: where
// the claim is missing, the customer read is of a customer that does not exist (as
// store.Login does, so that the calls are those of a known email).
func bareLoginUnknown(_ context.Context, e *env, withBcrypt bool) (*op, error) {
	return bareLoginAs(e, e.email("unknown"), false, true, withBcrypt), nil
}

func bareLoginAs(e *env, email string, ok, reset, withBcrypt bool) *op {
	absent := id.New()
	o := &op{run: func(ctx context.Context) error {
		// Count the attempt (as store.ReserveLogin) while reading the claim and the customer
		// (as store.LoginCustomer).
		reserved := make(chan error, 1)
		go func() {
			now := time.Now()
			cutoff := num(now.Add(-e.deps.Config.LoginWindow).Unix())
			_, err := e.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &e.table, Key: failKey(email),
				UpdateExpression:                    aws.String("ADD failures :one"),
				ConditionExpression:                 aws.String("window_start > :cutoff AND failures < :max"),
				ExpressionAttributeValues:           item{":one": num(1), ":cutoff": cutoff, ":max": num(int64(e.deps.Config.MaxLoginFailures))},
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			})
			var ccf *types.ConditionalCheckFailedException
			if !errors.As(err, &ccf) {
				reserved <- err
				return
			}
			it := failKey(email)
			it["type"], it["failures"], it["window_start"] = str("login_attempts"), num(1), num(now.Unix())
			it["expires_at"] = num(now.Add(e.deps.Config.LoginWindow).Unix() + 60)
			_, err = e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &e.table, Item: it,
				ConditionExpression:       aws.String("attribute_not_exists(PK) OR window_start <= :cutoff"),
				ExpressionAttributeValues: item{":cutoff": cutoff}})
			reserved <- err
		}()
		out, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &e.table, Key: emailKey(email), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return err
		}
		cid := absent
		if out.Item != nil {
			cid = getS(out.Item, "customer_id")
		}
		if _, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &e.table, Key: customerKey(cid), ConsistentRead: aws.Bool(true)}); err != nil {
			return err
		}
		if err := <-reserved; err != nil {
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
		if !ok {
			return nil
		}
		return clearFailures(ctx, e, email)
	}}
	if reset {
		o.prepare = func(ctx context.Context) error { return clearFailures(ctx, e, email) }
	}
	return o
}

// clearFailures deletes an email's failed log-in count (untimed setup).
func clearFailures(ctx context.Context, e *env, email string) error {
	_, err := e.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &e.table, Key: failKey(email)})
	return err
}

// addressValues are the fields every benchmark address holds (create address's body says
// the same).
var addressValues = map[string]string{"first_name": "Ron", "last_name": "Swanson", "line_1": "1 Pawnee Way",
	"city": "Pawnee", "county": "Wamapoke", "postcode": "47998", "country": "US"}

// addressItem is an address as pkg/store stores it: its non-empty fields in one map.
// env.seedAddresses checks it against an item the store wrote.
func addressItem(cid, aid string, values map[string]string, version int64, created, updated string) item {
	fields := item{}
	for k, v := range values {
		if v != "" {
			fields[k] = str(v)
		}
	}
	it := addressKey(cid, aid)
	it["type"], it["id"], it["customer_id"] = str("address"), str(aid), str(cid)
	it["fields"], it["version"] = &types.AttributeValueMemberM{Value: fields}, num(version)
	it["created_at"], it["updated_at"] = str(created), str(updated)
	return it
}

// The owner condition of address writes by a client_credentials caller: the customer
// exists and is not deleted.
const ownerCondition = "attribute_exists(#pk) AND attribute_not_exists(#da)"

var ownerNames = map[string]string{"#pk": "PK", "#da": "deleted_at"}

// ownerCount counts an address on (delta 1) or off (-1) its live owner's profile.
func ownerCount(e *env, cid string, delta int64) *types.Update {
	return &types.Update{TableName: &e.table, Key: customerKey(cid),
		UpdateExpression:                    aws.String("ADD #ac :d"),
		ConditionExpression:                 aws.String(ownerCondition),
		ExpressionAttributeNames:            map[string]string{"#ac": "address_count", "#pk": "PK", "#da": "deleted_at"},
		ExpressionAttributeValues:           item{":d": num(delta)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}
}

func bareCreateAddress(ctx context.Context, e *env, _ bool) (*op, error) {
	c, err := e.customer(ctx, "address")
	if err != nil {
		return nil, err
	}
	return &op{run: func(ctx context.Context) error {
		ts := timeKey(time.Now())
		_, err := e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: &e.table, Item: addressItem(c.ID, id.NewOrdered(), addressValues, 1, ts, ts),
				ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			{Update: ownerCount(e, c.ID, 1)},
		}})
		return err
	}}, nil
}

// ownedAddress reads an address and its owner in one BatchGetItem, as get and update
// address do, and returns the address item.
func ownedAddress(ctx context.Context, e *env, cid, aid string) (item, error) {
	req := map[string]types.KeysAndAttributes{e.table: {Keys: []item{customerKey(cid), addressKey(cid, aid)}, ConsistentRead: aws.Bool(true)}}
	var profile, address item
	for attempt := 0; len(req) > 0; attempt++ {
		if attempt == 3 {
			return nil, errors.New("address: unprocessed keys")
		}
		out, err := e.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, err
		}
		for _, it := range out.Responses[e.table] {
			if getS(it, "SK") == "#PROFILE" {
				profile = it
			} else {
				address = it
			}
		}
		req = out.UnprocessedKeys
	}
	if profile == nil || getS(profile, "deleted_at") != "" {
		return nil, errors.New("address: no live owner")
	}
	if address == nil {
		return nil, errors.New("address: no such address")
	}
	return address, nil
}

func bareGetAddress(ctx context.Context, e *env, _ bool) (*op, error) {
	c, aid, err := e.customerWithAddress(ctx)
	if err != nil {
		return nil, err
	}
	return &op{run: func(ctx context.Context) error {
		_, err := ownedAddress(ctx, e, c, aid)
		return err
	}}, nil
}

// bareUpdateAddress sets city (as updateAddress does): it reads the address and its owner, then checks the owner
// and writes the whole field map at the next version, in one transaction.
func bareUpdateAddress(ctx context.Context, e *env, _ bool) (*op, error) {
	c, aid, err := e.customerWithAddress(ctx)
	if err != nil {
		return nil, err
	}
	return &op{run: func(ctx context.Context) error {
		cur, err := ownedAddress(ctx, e, c, aid)
		if err != nil {
			return err
		}
		version, err := strconv.ParseInt(getN(cur, "version"), 10, 64)
		if err != nil {
			return err
		}
		fields := item{}
		if m, ok := cur["fields"].(*types.AttributeValueMemberM); ok {
			for k, v := range m.Value {
				fields[k] = v
			}
		}
		fields["city"] = str("Eagleton")
		_, err = e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{ConditionCheck: &types.ConditionCheck{TableName: &e.table, Key: customerKey(c),
				ConditionExpression: aws.String(ownerCondition), ExpressionAttributeNames: ownerNames,
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
			{Update: &types.Update{TableName: &e.table, Key: addressKey(c, aid),
				UpdateExpression:                    aws.String("SET #f = :f, #ua = :ua, #v = :nv"),
				ConditionExpression:                 aws.String("#v = :v"),
				ExpressionAttributeNames:            map[string]string{"#f": "fields", "#ua": "updated_at", "#v": "version"},
				ExpressionAttributeValues:           item{":f": &types.AttributeValueMemberM{Value: fields}, ":ua": str(timeKey(time.Now())), ":nv": num(version + 1), ":v": num(version)},
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
		}})
		return err
	}}, nil
}

func bareDeleteAddress(ctx context.Context, e *env, _ bool) (*op, error) {
	c, err := e.customer(ctx, "address")
	if err != nil {
		return nil, err
	}
	var aid string
	return &op{
		prepare: func(ctx context.Context) (err error) { aid, err = e.address(ctx, c.ID); return err },
		run: func(ctx context.Context) error {
			_, err := e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Update: ownerCount(e, c.ID, -1)},
				{Delete: &types.Delete{TableName: &e.table, Key: addressKey(c.ID, aid), ConditionExpression: aws.String("attribute_exists(PK)")}},
			}})
			return err
		},
	}, nil
}

// bareListAddresses lists a page of the address book's customer: one Query from the
// profile reads it and the page behind it; with an offset, that first Query reads keys
// only (the profile's owner and count attributes come along) past the skipped rows, and a
// second one the page.
func bareListAddresses(offset int) func(context.Context, *env, bool) (*op, error) {
	return func(_ context.Context, e *env, _ bool) (*op, error) {
		const limit = 25
		cid := e.book
		query := func(ctx context.Context, from string, start item, n int, keysOnly bool) (*dynamodb.QueryOutput, error) {
			in := &dynamodb.QueryInput{TableName: &e.table,
				KeyConditionExpression:    aws.String("PK = :pk AND SK BETWEEN :from AND :to"),
				ExpressionAttributeValues: item{":pk": str("CUSTOMER#" + cid), ":from": str(from), ":to": str("ADDRESS$")},
				ConsistentRead:            aws.Bool(true),
				Limit:                     aws.Int32(int32(n)),
				ExclusiveStartKey:         start,
			}
			if keysOnly {
				in.ProjectionExpression = aws.String("PK, SK, token_gen, deleted_at, address_count")
			}
			return e.db.Query(ctx, in)
		}
		return &op{run: func(ctx context.Context) error {
			skip, n := offset, limit
			if skip > 0 {
				n = skip
			}
			first, err := query(ctx, "#PROFILE", nil, 1+n, skip > 0)
			if err != nil {
				return err
			}
			if len(first.Items) == 0 || getS(first.Items[0], "SK") != "#PROFILE" || getS(first.Items[0], "deleted_at") != "" {
				return errors.New("list addresses: no live owner")
			}
			got, start := len(first.Items)-1, first.LastEvaluatedKey
			if skip > 0 {
				for skip -= got; skip > 0 && start != nil; {
					out, err := query(ctx, "ADDRESS#", start, skip, true)
					if err != nil {
						return err
					}
					skip, start = skip-len(out.Items), out.LastEvaluatedKey
				}
				if got = 0; skip > 0 || start == nil {
					return errors.New("list addresses: fewer addresses than the offset")
				}
			}
			for got = min(got, limit); got < limit && start != nil; {
				out, err := query(ctx, "ADDRESS#", start, limit-got, false)
				if err != nil {
					return err
				}
				got, start = got+len(out.Items), out.LastEvaluatedKey
			}
			if got != limit {
				return fmt.Errorf("list addresses: %d addresses, want a page of %d", got, limit)
			}
			return nil
		}}, nil
	}
}

func bareGetSettings(_ context.Context, e *env, _ bool) (*op, error) {
	return &op{run: func(ctx context.Context) error {
		_, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &e.table, Key: settingsKey(), ConsistentRead: aws.Bool(true)})
		return err
	}}, nil
}

// bareUpdateSettings sets page_length to the default, as updateSettings does.
func bareUpdateSettings(_ context.Context, e *env, _ bool) (*op, error) {
	return &op{run: func(ctx context.Context) error {
		_, err := e.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &e.table, Key: settingsKey(),
			UpdateExpression:          aws.String("SET #t = :t, #pl = :pl"),
			ExpressionAttributeNames:  map[string]string{"#t": "type", "#pl": "page_length"},
			ExpressionAttributeValues: item{":t": str("settings"), ":pl": num(settingsPageLength)},
			ReturnValues:              types.ReturnValueAllNew,
		})
		return err
	}}, nil
}
