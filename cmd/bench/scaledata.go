package main

// The scale run's customers: realistic, varied and reproducible (a seeded generator), and
// written as pkg/store writes them.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"iter"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/flows"
)

// firstNames and lastNames are common given names and surnames (a few Pawnee ones among
// them); names are "First Last", emails first.last.N@domain.
var firstNames = []string{
	"James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Charles",
	"Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Paul", "Andrew", "Joshua",
	"Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward", "Jason", "Jeffrey", "Ryan", "Jacob",
	"Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott", "Brandon", "Benjamin",
	"Samuel", "Gregory", "Alexander", "Frank", "Patrick", "Raymond", "Jack", "Dennis", "Jerry", "Tyler",
	"Aaron", "Jose", "Adam", "Nathan", "Henry", "Douglas", "Zachary", "Peter", "Kyle", "Ethan", "Walter",
	"Noah", "Jeremy", "Christian", "Keith", "Roger", "Terry", "Gerald", "Harold", "Sean", "Austin", "Carl",
	"Arthur", "Lawrence", "Dylan", "Jesse", "Jordan", "Bryan", "Billy", "Joe", "Bruce", "Gabriel", "Logan",
	"Albert", "Willie", "Alan", "Juan", "Wayne", "Elijah", "Randy", "Roy", "Vincent", "Ralph", "Eugene",
	"Russell", "Bobby", "Mason", "Philip", "Louis", "Johnny", "Carson", "Grayson", "Harrison", "Emerson",
	"Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
	"Lisa", "Nancy", "Betty", "Margaret", "Sandra", "Ashley", "Kimberly", "Emily", "Donna", "Michelle", "Carol",
	"Amanda", "Dorothy", "Melissa", "Deborah", "Stephanie", "Rebecca", "Sharon", "Laura", "Cynthia", "Kathleen",
	"Amy", "Angela", "Shirley", "Anna", "Brenda", "Pamela", "Emma", "Nicole", "Helen", "Samantha", "Katherine",
	"Christine", "Debra", "Rachel", "Carolyn", "Janet", "Catherine", "Maria", "Heather", "Diane", "Ruth",
	"Julie", "Olivia", "Joyce", "Virginia", "Victoria", "Kelly", "Lauren", "Christina", "Joan", "Evelyn",
	"Judith", "Megan", "Andrea", "Cheryl", "Hannah", "Jacqueline", "Martha", "Gloria", "Teresa", "Ann", "Sara",
	"Madison", "Frances", "Kathryn", "Janice", "Jean", "Abigail", "Alice", "Judy", "Sophia", "Grace", "Denise",
	"Amber", "Doris", "Marilyn", "Danielle", "Beverly", "Isabella", "Theresa", "Diana", "Natalie", "Brittany",
	"Charlotte", "Marie", "Kayla", "Alexis", "Lori", "Allison", "Alison", "Addison", "Sonia", "Sonya",
	"Jasmine", "Josephine", "Joanna", "Jocelyn", "Jillian", "Jade", "Jenna", "Johanna", "Leslie", "Ron",
	"April", "Andy", "Tom", "Ben", "Chris", "Craig", "Garry", "Jane",
}

var lastNames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
	"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker",
	"Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams",
	"Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips",
	"Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales",
	"Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed", "Kelly",
	"Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez", "Wood", "James",
	"Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers",
	"Long", "Ross", "Foster", "Jimenez", "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman",
	"Butler", "Henderson", "Barnes", "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan",
	"Patterson", "Alexander", "Hamilton", "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole",
	"Hayes", "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray", "Ford",
	"Castro", "Marshall", "Owens", "Harrison", "Fernandez", "McDonald", "Woods", "Washington", "Kennedy",
	"Wells", "Vargas", "Henry", "Chen", "Freeman", "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson",
	"Simpson", "Porter", "Hunter", "Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Munoz",
	"Hunt", "Hicks", "Holmes", "Palmer", "Wagner", "Black", "Robertson", "Boyd", "Rose", "Stone", "Salazar",
	"Fox", "Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza", "Daniels", "Ferguson", "Nichols", "Stephens",
	"Soto", "Weaver", "Ryan", "Gardner", "Payne", "Grant", "Dunn", "Kelley", "Spencer", "Hawkins", "Arnold",
	"Pierce", "Hansen", "Peters", "Santos", "Hart", "Bradley", "Knight", "Elliott", "Cunningham", "Duncan",
	"Armstrong", "Hudson", "Carroll", "Lane", "Riley", "Andrews", "Ray", "Berry", "Perkins", "Hoffman",
	"Johnston", "Matthews", "Pena", "Richards", "Willis", "Carson", "Larson", "Dawson", "Ellison", "Jameson",
	"Pearson", "Stevenson", "Swanson", "Knope", "Gergich", "Dwyer", "Haverford", "Ludgate", "Wyatt", "Meagle",
	"Saperstein", "Tennyson", "Emerson", "Garrison", "Morrison", "Nielsen", "Erikson",
}

var emailDomains = []string{"example.com", "example.org", "example.net", "mail.example.com", "post.example.org",
	"pawnee.example.gov", "eagleton.example.gov", "acme.example", "inbox.example.net", "corp.example.com"}

// dataSpan is how far back the customers' created_at go.
const dataSpan = 2 * 365 * 24 * time.Hour

// scaleData is the n customers of one scale run, oldest first, and the instant their
// created_at and updated_at end at.
type scaleData struct {
	n         int
	end       time.Time
	customers []*customers.Customer
}

// tiers are the values of the scale run's custom field, drawn by customer number: one
// customer in ten is gold.
var tiers = [10]string{"bronze", "bronze", "bronze", "silver", "bronze", "bronze", "bronze", "silver", "bronze", "gold"}

// genCustomers makes n customers from a generator seeded with n: created_at uniform over
// the two years before end; 40% updated since (updated_at later, version 2 to 6); 85%
// with a password (all the same bcrypt hash), the rest OIDC; 30% with an external_ref
// (CRM-<number>, unique); 15% of the emails typed with capitals (John.Smith.12@...); and
// when tierField is set, that custom field's value from tiers (10% gold), which does not
// change what the generator draws for the rest.
func genCustomers(n int, end time.Time, hash, tierField string) *scaleData {
	r := rand.New(rand.NewPCG(0x5ca1e, uint64(n)))
	d := &scaleData{n: n, end: end, customers: make([]*customers.Customer, n)}
	for i := range d.customers {
		first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		email := fmt.Sprintf("%s.%s.%d@%s", first, last, i, emailDomains[r.IntN(len(emailDomains))])
		if r.IntN(100) >= 15 {
			email = strings.ToLower(email)
		}
		created := end.Add(-time.Duration(r.Int64N(int64(dataSpan)))).UTC()
		c := &customers.Customer{
			ID:            randomID(r),
			Name:          first + " " + last,
			Email:         email,
			AuthMechanism: customers.MechanismPassword,
			PasswordHash:  hash,
			HasPassword:   true,
			Version:       1,
			CreatedAt:     created,
			UpdatedAt:     created,
		}
		if r.IntN(100) < 40 {
			c.UpdatedAt = created.Add(time.Duration(r.Int64N(int64(end.Sub(created)) + 1)))
			c.Version = 2 + r.Int64N(5)
		}
		if r.IntN(100) < 15 {
			c.AuthMechanism, c.PasswordHash, c.HasPassword = customers.MechanismOIDC, "", false
		}
		if r.IntN(100) < 30 {
			ref := fmt.Sprintf("CRM-%07d", i)
			c.ExternalRef = &ref
		}
		if tierField != "" {
			c.Custom = flows.Values{tierField: tiers[(i*7919)%len(tiers)]}
		}
		d.customers[i] = c
	}
	return d
}

// randomID is a version 4 UUID from r, in the form of pkg/id.
func randomID(r *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// The store's index layout (pkg/store/keys.go), restated: 8 write shards, the shard of
// an id (of an email, for GSI2: of its lower-cased form) by FNV-1a, GSI6 keyed by the
// SHA-256 of the external_ref; sort values cut to 512 bytes.
const storeShards = 8

func shardPart(s string) string {
	h := fnv.New32a()
	h.Write([]byte(s))
	return "C#" + strconv.Itoa(int(h.Sum32()%storeShards))
}

func xrefPart(ref string) string {
	sum := sha256.Sum256([]byte(ref))
	return "XREF#" + hex.EncodeToString(sum[:])
}

func shardSortKey(v, id string) string {
	if len(v) > 512 {
		v = strings.ToValidUTF8(v[:512], "")
	}
	return v + "\x1f" + id
}

// customerItem is a customer as pkg/store's newCustomerItem stores it (checked against one
// the store wrote by checkCustomerItem).
func customerItem(c *customers.Customer) item {
	created, updated := timeKey(c.CreatedAt), timeKey(c.UpdatedAt)
	ek := customers.EmailKey(c.Email)
	part := shardPart(c.ID)
	it := customerKey(c.ID)
	for k, v := range map[string]string{"type": "customer", "id": c.ID, "name": c.Name,
		"name_lower": strings.ToLower(c.Name), "email": c.Email, "email_key": ek,
		"authentication_mechanism": c.AuthMechanism, "password_hash": c.PasswordHash,
		"created_at": created, "updated_at": updated,
		"GSI1PK": part, "GSI1SK": shardSortKey(created, c.ID),
		"GSI2PK": shardPart(ek), "GSI2SK": shardSortKey(ek, c.ID),
		"GSI3PK": part, "GSI3SK": shardSortKey(c.Name, c.ID),
		"GSI4PK": part, "GSI4SK": shardSortKey(updated, c.ID),
		"GSI5PK": part, "GSI5SK": c.ID} {
		if v != "" || k == "authentication_mechanism" {
			it[k] = str(v)
		}
	}
	if c.ExternalRef != nil {
		it["external_ref"], it["GSI6PK"], it["GSI6SK"] = str(*c.ExternalRef), str(xrefPart(*c.ExternalRef)), str(c.ID)
	}
	it["has_password"] = &types.AttributeValueMemberBOOL{Value: c.HasPassword}
	it["token_gen"], it["version"] = num(c.TokenGen), num(c.Version)
	custom := map[string]types.AttributeValue{}
	for k, v := range c.Custom {
		custom[k] = str(v.(string))
	}
	it["custom"] = &types.AttributeValueMemberM{Value: custom}
	return it
}

// emailClaim is the item that claims a customer's email, with the credentials a log-in
// checks.
func emailClaim(c *customers.Customer) item {
	it := emailKey(c.Email)
	it["type"], it["customer_id"], it["token_gen"] = str("email"), str(c.ID), num(c.TokenGen)
	it["credentials"] = &types.AttributeValueMemberBOOL{Value: true}
	if c.PasswordHash != "" {
		it["password_hash"] = str(c.PasswordHash)
	}
	return it
}

// checkCustomerItem writes c through the store (store.Create: the customer, its email
// claim and one count) and checks that customerItem and emailClaim make what it wrote.
func checkCustomerItem(ctx context.Context, e *env, c *customers.Customer) error {
	if err := e.fixtures.Create(ctx, c); err != nil {
		return fmt.Errorf("check customer item: %w", err)
	}
	for _, want := range []item{customerItem(c), emailClaim(c)} {
		if err := checkStored(ctx, e, want, "cmd/bench/scaledata.go"); err != nil {
			return fmt.Errorf("check customer item: %w", err)
		}
	}
	return nil
}

// loadStats is what loading cost.
type loadStats struct {
	elapsed     time.Duration
	items       int // items written by BatchWriteItem
	batches     int // BatchWriteItem calls
	unprocessed int // items DynamoDB handed back unprocessed (and that were written again)
}

// loadCustomers writes d's customers: the first through the store (and checked against
// customerItem), the others with their email claims by batchLoad; then the count shards
// are raised to n in all.
func loadCustomers(ctx context.Context, e *env, d *scaleData, workers int) (loadStats, error) {
	t0 := time.Now()
	if err := checkCustomerItem(ctx, e, d.customers[0]); err != nil {
		return loadStats{}, err
	}
	st, err := batchLoad(ctx, e, workers, func(yield func(item) bool) {
		for _, c := range d.customers[1:] {
			if !yield(customerItem(c)) || !yield(emailClaim(c)) {
				return
			}
		}
	})
	if err != nil {
		return st, fmt.Errorf("load customers: %w", err)
	}
	// The first customer was counted by store.Create; the count shards take the others.
	rest := d.n - 1
	for shard := range storeShards {
		share := rest / storeShards
		if shard < rest%storeShards {
			share++
		}
		if _, err := e.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &e.table, Key: countKey(shard),
			UpdateExpression:          aws.String("ADD #n :d"),
			ExpressionAttributeNames:  map[string]string{"#n": "count"},
			ExpressionAttributeValues: item{":d": num(int64(share))},
		}); err != nil {
			return st, fmt.Errorf("load customers: count: %w", err)
		}
	}
	st.elapsed = time.Since(t0)
	return st, nil
}

// batchLoad writes items by BatchWriteItem, 25 a call from workers goroutines, and what
// DynamoDB hands back unprocessed again, with backoff. Its elapsed time is the writing's.
func batchLoad(ctx context.Context, e *env, workers int, items iter.Seq[item]) (loadStats, error) {
	t0 := time.Now()
	batches := make(chan []types.WriteRequest, workers*2)
	var (
		wg               sync.WaitGroup
		calls, n, unproc atomic.Int64
		errs             = make([]error, workers)
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for w := range workers {
		wg.Go(func() {
			for batch := range batches {
				if errs[w] != nil {
					continue // drain
				}
				n.Add(int64(len(batch)))
				req := map[string][]types.WriteRequest{e.table: batch}
				for attempt := 0; len(req) > 0; attempt++ {
					if attempt > 0 {
						unproc.Add(int64(len(req[e.table])))
						select {
						case <-time.After(time.Duration(min(attempt*attempt, 100)) * 10 * time.Millisecond):
						case <-ctx.Done():
							errs[w] = ctx.Err()
						}
					}
					if errs[w] != nil {
						break
					}
					calls.Add(1)
					out, err := e.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
					if err != nil {
						errs[w] = err
						cancel()
						break
					}
					req = out.UnprocessedItems
				}
			}
		})
	}
	batch := make([]types.WriteRequest, 0, 25)
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		select {
		case batches <- batch:
		case <-ctx.Done():
			return false
		}
		batch = make([]types.WriteRequest, 0, 25)
		return true
	}
	for it := range items {
		batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		if len(batch) == 25 && !flush() {
			break
		}
	}
	flush()
	close(batches)
	wg.Wait()
	st := loadStats{elapsed: time.Since(t0), items: int(n.Load()), batches: int(calls.Load()), unprocessed: int(unproc.Load())}
	return st, errors.Join(errs...)
}
