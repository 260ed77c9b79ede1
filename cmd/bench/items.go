package main

// Items the bench writes itself, without pkg/store (the address book's addresses, the
// scale run's customers and order-history links), and the keys they need: the table's
// key patterns (pkg/store/keys.go), restated. env.seedAddresses, checkCustomerItem and
// checkOrderLink check them against items the store wrote.

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/customers"
)

type item = map[string]types.AttributeValue

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func key(pk, sk string) item { return item{"PK": str(pk), "SK": str(sk)} }

func customerKey(id string) item { return key("CUSTOMER#"+id, "#PROFILE") }
func emailKey(email string) item { return key("EMAIL#"+strings.ToLower(email), "EMAIL") }
func countKey(shard int) item    { return key(fmt.Sprintf("COUNT#customers#%02d", shard), "COUNT") }
func timeKey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }
func addressKey(cid, aid string) item {
	return key("CUSTOMER#"+cid, "ADDRESS#"+aid)
}

// checkStored checks that the item stored under want's key is want, which maker (a file
// of the bench) made.
func checkStored(ctx context.Context, e *env, want item, maker string) error {
	out, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &e.table,
		Key: key(getS(want, "PK"), getS(want, "SK")), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(out.Item, want) {
		return fmt.Errorf("the store writes\n%#v\nbut %s makes\n%#v", out.Item, maker, want)
	}
	return nil
}

func getS(it item, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// loginCounts clears what the current window counted for an email from the events'
// address (untimed setup), then with counted counts one attempt, as a failure would.
func (e *env) loginCounts(ctx context.Context, email string, counted bool) error {
	key, addr := customers.EmailKey(email), customers.AddressKey(eventSource)
	p := app.LoginPolicy(e.deps.Config)
	if err := e.fixtures.ClearLogin(ctx, key, addr, p.WindowStart(time.Now())); err != nil || !counted {
		return err
	}
	_, err := e.fixtures.CountLogin(ctx, key, addr, time.Now(), p)
	return err
}

// eventSource is the client address of testenv's events (httptest's remote address).
const eventSource = "192.0.2.1"

// addressValues are the fields every benchmark address holds (create address's body says
// the same).
var addressValues = map[string]string{"first_name": "Ron", "last_name": "Swanson", "line_1": "1 Pawnee Way",
	"city": "Pawnee", "county": "Wamapoke", "postcode": "47998", "country": "US"}

// addressItem is an address as pkg/store stores it: its non-empty fields in one map, and
// an empty map of custom values.
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
	it["custom"] = &types.AttributeValueMemberM{Value: item{}} // no custom values
	it["created_at"], it["updated_at"] = str(created), str(updated)
	return it
}
