package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// The table's key patterns, in one place. Every item has PK and SK; items that appear in a
// list also carry GSI<n>PK/GSI<n>SK. Index use:
//
//	item            PK                 SK          GSI1 (created)      GSI2 (email)      GSI3 (name)     GSI4 (updated)    GSI5 (id)     GSI6 (external_ref)
//	customer        CUSTOMER#<id>      #PROFILE    C#<s>/<ts>␟id       C#<se>/<e>␟id     C#<s>/<n>␟id    C#<s>/<ts>␟id     C#<s>/<id>    XREF#<sha256>/<id>
//	deleted cust.   CUSTOMER#<id>      #PROFILE    DELETED#<s>/<ts>␟id -                 -               -                 -             -
//
// <s> is the customer's shard, a hash of its id into 0..shards-1 (<se>: of its email), so
// that no index partition takes every sign-up: lists merge the shards' sorted streams.
//
//	email lock      EMAIL#<email>      EMAIL       -
//	count shard     COUNT#<resource>#<nn>  COUNT  -   (customers; <nn>: 00..07, a partition each)
//	address         CUSTOMER#<cid>     ADDRESS#<id> (ids are time-ordered UUIDs: oldest first)
//	log-in window   LOGIN#<email>      W#<start>   -   (attempts in one window; expires by TTL)
//	settings        SETTINGS           STORE       -
//	flow            FLOWS              FLOW#<id>   -   (every flow definition in one partition:
//	flow slug       FLOWS              DEF#<slug>  -    a flow's slug claim, with its enabled and
//	field           FLOWS              DEF#<flow slug>#<slug>  field count, then its fields: one
//	field by id     FLOWS              FIELD#<id>  -    Query of DEF#<slug>… reads a schema)
//	flow count      FLOWS              COUNT       -
//	realm           SSO                REALM       -   (single sign-on: the customer authentication
//	OIDC profile    SSO                PROFILE#<id> -   realm and its profiles, one partition)
//	log-in state    SSO#STATE#<sha256> STATE       -   (the broker's legs: keyed by a hash of the
//	one-time code   SSO#CODE#<sha256>  CODE        -    state or code; single-use; expire by TTL)
//	identity        IDENTITY#<profile>#<sha256(iss,sub)>  IDENTITY  -  (which customer a provider's
//	                                                    subject is; the customer lists its own)
//	cart            CART#<cartId>      CART        -   (one item a cart, each line a map attribute
//	                                                    line:<itemId>; expires by TTL)
//	token keys      TOKENKEYS#<kind>   KEYS        -   (the public keys a kind of token is
//	                                                    verified with, published by its signer)
//	idempotency key IDEMPOTENCY#<sha256(scope, key)>  IDEMPOTENCY  -  (a create's key: written in
//	                                                    its transaction; expires by TTL, 24 hours)
//	key link        CUSTOMER#<cid>     #KEY#<sha256(scope, key)>  -  (the customer whose partition
//	                                                    that transaction wrote: its answer holds
//	                                                    the customer's data; the erasure deletes
//	                                                    both; expires with the record)
//
// A customer's partition holds its profile (#PROFILE) and its addresses (ADDRESS#...), in that
// order, and nothing sorts between them: one Query from #PROFILE reads both.
//
// A listed resource (customers; orders next) follows the same plan, and the list engine
// (list.go) reads it through a listSpec: its own write-shard partitions on each index it
// sorts by (customers C#<s>; orders O#<s>, e.g. on GSI7 created_at and GSI8 email), sort
// keys <value>␟<id> (sortKey, timeKey for times) or <id> alone, indexes that project what
// its decode reads, an item key made from its id, its count shards COUNT#<resource>#<nn>
// (countKey; countUpdate in the transaction that adds or removes one), and for point reads
// any partition of its own (e.g. a customer's order history, CUSTOMER#<cid>/ORDER#<id>
// after the addresses, read with one Query of the table).
const (
	attrPK = "PK"
	attrSK = "SK"

	skProfile = "#PROFILE" // sorts before ADDRESS#: one Query reads a customer and its addresses
	skEmail   = "EMAIL"
	skCart    = "CART"

	// prefixLine starts the name of a cart item's attribute that holds one line.
	prefixLine = "line:"

	prefixAddress = "ADDRESS#"
	// prefixOrderLink sorts just below skProfile ("#O" < "#P"), and nothing else of a
	// customer's partition sorts between them.
	prefixOrderLink = "#ORDER#"
	// addressesEnd is just past every ADDRESS# key.
	addressesEnd = "ADDRESS$"
	// prefixKeyLink starts the key of a customer's pointer to an Idempotency-Key record
	// whose answer holds its personal data (#KEY#<record id>): the erasure finds the records
	// through them. It sorts below prefixOrderLink, outside every other range of the
	// partition that is read.
	prefixKeyLink = "#KEY#"

	partCustomers = "C#"
	partOrders    = "O#"
	partDeleted   = "DELETED#"
	partXref      = "XREF#"

	countCustomers = "customers" // the customers' count shards: COUNT#customers#<nn>
	countOrders    = "orders"    // the orders' count shards: COUNT#orders#<nn>

	// shards is how many index partitions customers (and every listed resource) are spread
	// over. Each takes about 1,000 writes a second, so 8 take a burst of 1,000 sign-ups a
	// second with room for the updates that move index keys. Changing it means rewriting
	// every customer's index keys (and making cursors of the old count fail: a 400).
	shards = 8

	// countShards spreads a resource's count over several items, each its own partition,
	// so that concurrent sign-ups do not conflict on one counter and sign-ups plus deletes
	// are not held to one partition's ~1,000 WCU a second (each update costs 2 WCU inside a
	// transaction). The total reads them all with one BatchGetItem.
	countShards = 8
)

// Index names, from template.yaml.
const (
	indexCreated = "GSI1"
	indexEmail   = "GSI2"
	indexName    = "GSI3"
	indexUpdated = "GSI4"
	indexID      = "GSI5"
	indexXref    = "GSI6"
	// Orders have indexes of their own: their items are not customers', and a customer
	// index projects only what a customer list shows.
	indexOrdersCreated = "GSI7"
	indexOrdersEmail   = "GSI8"
)

// sep joins a sort value and the id that breaks ties. It sorts before every character a
// name or email may hold (validation refuses control characters).
const sep = "\x1f"

// maxSortValue bounds the part of a sort key taken from a name (sort keys are at most
// 1024 bytes).
const maxSortValue = 512

type key struct {
	PK string `dynamodbav:"PK"`
	SK string `dynamodbav:"SK"`
}

func customerKey(id string) key { return key{"CUSTOMER#" + id, skProfile} }
func emailKey(email string) key { return key{"EMAIL#" + email, skEmail} }

// loginKey is the item counting an email's log-in attempts in the window starting at
// window (fixed windows keyed by their start: a new window is a new item, so counting
// never needs to know whether one is open).
func loginKey(email string, window time.Time) key {
	return key{"LOGIN#" + email, "W#" + strconv.FormatInt(window.UnixMilli(), 10)}
}
func addressKey(customerID, addressID string) key {
	return key{"CUSTOMER#" + customerID, prefixAddress + addressID}
}
func settingsKey() key { return key{"SETTINGS", "STORE"} }

// Flows and fields: one partition holds every definition (they are few, read on a cold
// cache and written rarely). A flow's slug claim DEF#<slug> sorts just before its fields
// DEF#<slug>#<field slug>, and nothing else sorts between them (slugs are [a-z0-9_-]).
const partFlows = "FLOWS"

func flowKey(id string) key      { return key{partFlows, "FLOW#" + id} }
func flowDefKey(slug string) key { return key{partFlows, "DEF#" + slug} }
func fieldPtrKey(id string) key  { return key{partFlows, "FIELD#" + id} }
func flowCountKey() key          { return key{partFlows, "COUNT"} }
func fieldDefKey(flowSlug, slug string) key {
	return key{partFlows, "DEF#" + flowSlug + "#" + slug}
}
func cartKey(cartID string) key { return key{"CART#" + cartID, skCart} }

// Single sign-on: the realm and its profiles share a partition; the broker's states and
// codes and the identities are items of their own.
const (
	partSSO       = "SSO"
	prefixProfile = "PROFILE#"
)

func realmKey() key               { return key{partSSO, "REALM"} }
func profileKey(id string) key    { return key{partSSO, prefixProfile + id} }
func stateKey(hash string) key    { return key{"SSO#STATE#" + hash, "STATE"} }
func grantKey(hash string) key    { return key{"SSO#CODE#" + hash, "CODE"} }
func identityKey(name string) key { return key{"IDENTITY#" + name, "IDENTITY"} }

// tokenKeysKey is the item of kind's public token keys: one partition per kind, so that
// each signer's IAM policy reaches its own kind's alone.
func tokenKeysKey(kind string) key { return key{"TOKENKEYS#" + kind, "KEYS"} }

// idempotencyKey is the record of an Idempotency-Key (id: a hash of the caller and the key).
func idempotencyKey(id string) key { return key{"IDEMPOTENCY#" + id, "IDEMPOTENCY"} }

// keyLinkKey is customer customerID's pointer to the Idempotency-Key record id.
func keyLinkKey(customerID, id string) key {
	return key{"CUSTOMER#" + customerID, prefixKeyLink + id}
}

// lineAttr is the attribute of a cart's item that holds the line itemID.
func lineAttr(itemID string) string { return prefixLine + itemID }

// An order is ORDER#<id> / ORDER, its lines ORDER#<id> / LINES; a registered customer's
// order is also linked in the customer's partition just below its profile, newest last
// (read downwards from the profile: newest first).
func orderKey(id string) key      { return key{"ORDER#" + id, "ORDER"} }
func orderLinesKey(id string) key { return key{"ORDER#" + id, "LINES"} }
func orderLinkKey(customerID, created, orderID string) key {
	return key{"CUSTOMER#" + customerID, prefixOrderLink + created + sep + orderID}
}

// countKey is shard n of a resource's count (COUNT#<counter>#<nn>): the unfiltered total of
// its list sums them (countTotal).
func countKey(counter string, shard int) key {
	return key{fmt.Sprintf("COUNT#%s#%02d", counter, shard), "COUNT"}
}

// shardOf hashes s to a shard (FNV-1a).
func shardOf(s string) int {
	h := fnv.New32a()
	h.Write([]byte(s))
	return int(h.Sum32() % shards)
}

// customersPart is the index partition of shard n.
func customersPart(n int) string { return partCustomers + strconv.Itoa(n) }

// deletedPart is the GSI1 partition of shard n's tombstones (DELETED#<s> / deleted_at␟id),
// where the cleanup finds deleted customers.
func deletedPart(n int) string { return partDeleted + strconv.Itoa(n) }

// ordersPart is partition n of the order indexes (GSI7, GSI8): an order's shard is its
// id's (its email's on GSI8), so that no partition takes every checkout.
func ordersPart(n int) string { return partOrders + strconv.Itoa(n) }

// xrefPart is the GSI6 partition of an external_ref: a hash, since the value may be longer
// than a key may be.
func xrefPart(ref string) string {
	sum := sha256.Sum256([]byte(ref))
	return partXref + hex.EncodeToString(sum[:])
}

// timeKey renders a time with fixed width so that text order is time order.
func timeKey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func sortKey(value, id string) string {
	v, _ := sortValue(value)
	return v + sep + id
}

// sortValue is the part of value a sort key holds; cut reports that it is not all of it.
func sortValue(value string) (v string, cut bool) {
	if len(value) > maxSortValue {
		return strings.ToValidUTF8(value[:maxSortValue], ""), true
	}
	return value, false
}
