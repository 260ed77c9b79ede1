package store

import (
	"fmt"
	"strings"
	"time"
)

// The table's key patterns, in one place. Every item has PK and SK; items that appear in a
// list also carry GSI<n>PK/GSI<n>SK. Index use:
//
//	item            PK                 SK          GSI1 (created)      GSI2 (email)     GSI3 (name)     GSI4 (updated)    GSI5 (id)
//	customer        CUSTOMER#<id>      PROFILE     CUSTOMERS/<ts>#id   CUSTOMERS/<e>#id CUSTOMERS/<n>#id CUSTOMERS/<ts>#id CUSTOMERS/<id>
//	deleted cust.   CUSTOMER#<id>      PROFILE     DELETED/<ts>#id     -                -               -                 -
//	email lock      EMAIL#<email>      EMAIL       -
//	count shard     COUNT#customers    <00..07>    -
//	address         CUSTOMER#<cid>     ADDRESS#<id> (ids are time-ordered UUIDs: oldest first)
//	login failures  LOGINFAIL#<email>  LOGINFAIL   -                                     (expires by TTL)
//	settings        SETTINGS           STORE       -
//
// A customer's partition holds its profile (#PROFILE) and its addresses (ADDRESS#...), in that
// order, and nothing sorts between them: one Query from #PROFILE reads both.
const (
	attrPK = "PK"
	attrSK = "SK"

	skProfile   = "#PROFILE" // sorts before ADDRESS#: one Query reads a customer and its addresses
	skEmail     = "EMAIL"
	skLoginFail = "LOGINFAIL"

	prefixAddress = "ADDRESS#"
	// addressesEnd is just past every ADDRESS# key.
	addressesEnd = "ADDRESS$"

	partCustomers = "CUSTOMERS"
	partDeleted   = "DELETED"

	// countShards spreads the customer count over several items so that concurrent
	// sign-ups do not conflict on one counter.
	countShards = 8
)

// Index names, from template.yaml.
const (
	indexCreated = "GSI1"
	indexEmail   = "GSI2"
	indexName    = "GSI3"
	indexUpdated = "GSI4"
	indexID      = "GSI5"
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

func customerKey(id string) key     { return key{"CUSTOMER#" + id, skProfile} }
func emailKey(email string) key     { return key{"EMAIL#" + email, skEmail} }
func loginFailKey(email string) key { return key{"LOGINFAIL#" + email, skLoginFail} }
func addressKey(customerID, addressID string) key {
	return key{"CUSTOMER#" + customerID, prefixAddress + addressID}
}
func settingsKey() key       { return key{"SETTINGS", "STORE"} }
func countKey(shard int) key { return key{"COUNT#customers", fmt.Sprintf("%02d", shard)} }

// timeKey renders a time with fixed width so that text order is time order.
func timeKey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func sortKey(value, id string) string {
	if len(value) > maxSortValue {
		value = strings.ToValidUTF8(value[:maxSortValue], "")
	}
	return value + sep + id
}
