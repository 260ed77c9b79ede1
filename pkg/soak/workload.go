package soak

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// client is one simulated client: a storefront's shopper session and a back office's
// clerk in turns. It owns the customers it signs up (no other client writes them), so its
// ledger knows exactly what each of them must hold.
type client struct {
	n     int
	run   string // the run's id, in every email, cart id and marker it makes
	api   *api
	rng   *mrand.Rand
	an    *anomalies
	led   *ledger
	seq   int
	creds struct{ id, secret string }
	// implicit is the storefront's token, staff the back office's (client_credentials).
	implicit, staff string
	tokensAt        time.Time
	weights         map[string]int // Config.Weights
	steps           int            // steps taken
}

// op is one kind of step of the workload, with its share of the mix.
type op struct {
	name   string
	weight int
	do     func(*client)
}

// mix is the workload: a storefront (sign-ups, log-ins, its own record and addresses,
// carts and checkouts, its orders) and a back office (customer lists with filters, reads
// and changes of any customer, order lists, marking orders paid).
var mix = []op{
	{"sign up", 8, (*client).signUp},
	{"log in", 6, (*client).logIn},
	{"read customer", 12, (*client).readCustomer},
	{"update customer", 8, (*client).updateCustomer},
	{"create address", 8, (*client).createAddress},
	{"update address", 5, (*client).updateAddress},
	{"delete address", 2, (*client).deleteAddress},
	{"list addresses", 6, (*client).listAddresses},
	{"read address", 4, (*client).readAddress},
	{"list customers", 6, (*client).listCustomers},
	{"cart and checkout", 9, (*client).shop},
	{"read order", 5, (*client).readOrder},
	{"list own orders", 4, (*client).listOwnOrders},
	{"staff orders", 4, (*client).staffOrders},
	{"delete customer", 2, (*client).deleteCustomer},
}

// step runs one step of the mix, chosen at random by weight; a client's third step is a
// customer delete, so that every run, however short, gives the cleanup work.
func (c *client) step() {
	if c.steps++; c.steps == 3 {
		c.deleteCustomer()
		return
	}
	total := 0
	for _, o := range mix {
		total += c.weight(o)
	}
	r := c.rng.IntN(total)
	for _, o := range mix {
		if r < c.weight(o) {
			o.do(c)
			return
		}
		r -= c.weight(o)
	}
}

// weight is o's share of the mix: its own, unless the run's Config.Weights names it.
func (c *client) weight(o op) int {
	if w, ok := c.weights[o.name]; ok {
		return w
	}
	return o.weight
}

func newKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func data(v map[string]any) []byte { return jsonBody(map[string]any{"data": v}) }

// tokens gets the client's access tokens (again when they are 50 minutes old).
func (c *client) tokens() error {
	if c.implicit != "" && time.Since(c.tokensAt) < 50*time.Minute {
		return nil
	}
	get := func(form url.Values) (string, error) {
		r := request{route: "POST /oauth/access_token", method: http.MethodPost, path: "/oauth/access_token",
			body: []byte(form.Encode()), form: true, ok: []int{http.StatusOK}}
		res := c.api.send(r)
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if res.status != http.StatusOK || !c.api.decode(r, res, &tok) {
			return "", errNoAnswer
		}
		return tok.AccessToken, nil
	}
	implicit, err := get(url.Values{"grant_type": {"implicit"}, "client_id": {c.creds.id}})
	if err != nil {
		return err
	}
	staff, err := get(url.Values{"grant_type": {"client_credentials"}, "client_id": {c.creds.id}, "client_secret": {c.creds.secret}})
	if err != nil {
		return err
	}
	c.implicit, c.staff, c.tokensAt = implicit, staff, time.Now()
	return nil
}

// customerDoc is a customer as the API shows it (what the workload reads of it).
type customerDoc struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Email       string  `json:"email"`
	ExternalRef *string `json:"external_ref"`
}

func (d customerDoc) values() customerValues {
	return customerValues{Name: d.Name, Email: d.Email, ExternalRef: d.ExternalRef}
}

type listMeta struct {
	Results struct {
		Total int `json:"total"`
	} `json:"results"`
	DisplayPrice struct {
		WithTax struct {
			Amount int64 `json:"amount"`
		} `json:"with_tax"`
	} `json:"display_price"`
}

// pick returns one of the client's live customers at random, nil when it has none: a
// customer it sent a delete is never used again.
func (c *client) pick() *customerRec {
	var live []*customerRec
	for _, cu := range c.led.Customers {
		if cu.live() {
			live = append(live, cu)
		}
	}
	if len(live) == 0 {
		return nil
	}
	return live[c.rng.IntN(len(live))]
}

// customer returns a customer to work on: one of the client's, or a new one.
func (c *client) customer() *customerRec {
	if cu := c.pick(); cu != nil {
		return cu
	}
	c.signUp()
	return c.pick()
}

// signUp creates a customer with a fresh email and an Idempotency-Key; one time in ten it
// sends the same request again, as a client whose answer was lost would, and expects the
// first answer back (the same customer, Idempotent-Replayed).
func (c *client) signUp() {
	c.seq++
	email := fmt.Sprintf("soak-%s-c%02d-%d@example.com", c.run, c.n, c.seq)
	name := fmt.Sprintf("Soak Shopper %02d-%d", c.n, c.seq)
	password := fmt.Sprintf("soak-password-%s-%d", c.run, c.seq)
	r := request{route: "POST /v2/customers", method: http.MethodPost, path: "/v2/customers", bearer: c.implicit, key: newKey(),
		body: data(map[string]any{"type": "customer", "name": name, "email": email, "password": password}),
		ok:   []int{http.StatusCreated}}
	res := c.api.send(r)
	var d struct{ Data customerDoc }
	if res.status != http.StatusCreated || !c.api.decode(r, res, &d) {
		c.led.UnsureSignups = append(c.led.UnsureSignups, signup{Email: email, Key: r.key})
		return
	}
	rec := &customerRec{ID: d.Data.ID, Password: password, Acked: customerValues{Name: name, Email: email},
		Addresses: map[string]*addressRec{}}
	rec.Sent = []customerValues{rec.Acked}
	if !d.Data.values().equal(rec.Acked) {
		c.an.add("stale read", "sign-up %s answered %+v, sent %+v", d.Data.ID, d.Data.values(), rec.Acked)
	}
	c.led.Customers = append(c.led.Customers, rec)
	c.led.Writes["customer"]++
	if c.rng.IntN(10) == 0 {
		c.replay(r, d.Data.ID)
	}
}

// replay sends a create again with its key and checks the first answer comes back.
func (c *client) replay(r request, id string) {
	res := c.api.send(r)
	var d struct {
		Data struct {
			ID string `json:"id"`
		}
	}
	if !res.definite() {
		return // counted as an unexpected answer already
	}
	if res.status != r.ok[0] || !c.api.decode(r, res, &d) || d.Data.ID != id || res.header.Get("Idempotent-Replayed") != "true" {
		c.an.add("idempotency", "%s %s sent again with its key: %d %q (Idempotent-Replayed %q), first answer was %s",
			r.method, r.path, res.status, d.Data.ID, res.header.Get("Idempotent-Replayed"), id)
	}
}

// logIn gets a customer token with the password (one time in twenty with a wrong one,
// which must be a 401).
func (c *client) logIn() {
	cu := c.customer()
	if cu == nil {
		return
	}
	c.logInAs(cu, c.rng.IntN(20) == 0)
}

func (c *client) logInAs(cu *customerRec, wrong bool) bool {
	if len(cu.Maybe) > 0 {
		return false // its email may have changed unseen
	}
	if wrong {
		if res := c.api.send(c.logInRequest(cu.Acked.Email, "not-the-password", http.StatusUnauthorized)); res.status == http.StatusUnauthorized {
			c.api.refusal.CompareAndSwap(nil, &res.body)
		}
		return false
	}
	r := c.logInRequest(cu.Acked.Email, cu.Password, http.StatusOK)
	res := c.api.send(r)
	var d struct {
		Data struct {
			Token      string `json:"token"`
			CustomerID string `json:"customer_id"`
		}
	}
	if res.status != http.StatusOK || !c.api.decode(r, res, &d) {
		return false
	}
	if d.Data.CustomerID != cu.ID {
		c.an.add("stale read", "log-in as %s answered a token for %s", cu.ID, d.Data.CustomerID)
		return false
	}
	cu.token = d.Data.Token
	return true
}

// logInRequest is a password log-in expecting the status ok.
func (c *client) logInRequest(email, password string, ok int) request {
	return request{route: "POST /v2/customers/tokens", method: http.MethodPost, path: "/v2/customers/tokens", bearer: c.implicit,
		body: data(map[string]any{"type": "token", "email": email, "password": password, "authentication_mechanism": "password"}),
		ok:   []int{ok}}
}

// as returns the headers of a request for cu: its own customer token (after a log-in when
// it has none) or, when staff or the log-in failed, the back office's token.
func (c *client) as(cu *customerRec, staff bool) (bearer, customer string) {
	if !staff && (cu.token != "" || c.logInAs(cu, false)) {
		return c.implicit, cu.token
	}
	return c.staff, ""
}

// readCustomer reads a customer (its own token, or staff) and checks it holds what the
// client was last told.
func (c *client) readCustomer() {
	cu := c.customer()
	if cu == nil {
		return
	}
	bearer, customer := c.as(cu, c.rng.IntN(10) < 4)
	r := request{route: "GET /v2/customers/{customerId}", method: http.MethodGet, path: "/v2/customers/" + cu.ID,
		bearer: bearer, customer: customer, ok: []int{http.StatusOK}}
	res := c.api.send(r)
	var d struct{ Data customerDoc }
	if res.status != http.StatusOK || !c.api.decode(r, res, &d) {
		return
	}
	c.checkCustomer(cu, d.Data, "read")
}

func (c *client) checkCustomer(cu *customerRec, got customerDoc, how string) {
	if !slices.ContainsFunc(cu.possible(), got.values().equal) {
		c.an.add("stale read", "%s of customer %s: %+v, last acknowledged %+v", how, cu.ID, got.values(), cu.Acked)
	}
}

// updateCustomer changes a customer's name and external_ref with its own token, or (one
// time in four) its email as staff.
func (c *client) updateCustomer() {
	cu := c.customer()
	if cu == nil {
		return
	}
	c.seq++
	next := cu.Acked
	body := map[string]any{"type": "customer"}
	staff := c.rng.IntN(4) == 0
	if staff {
		next.Email = fmt.Sprintf("soak-%s-c%02d-%d-moved@example.com", c.run, c.n, c.seq)
		body["email"] = next.Email
	} else {
		ref := fmt.Sprintf("crm-%s-c%02d-%d", c.run, c.n, c.seq) // unique to the run, a mark of its customer
		next.Name, next.ExternalRef = fmt.Sprintf("Soak Shopper %02d-%d renamed", c.n, c.seq), &ref
		body["name"], body["external_ref"] = next.Name, ref
	}
	cu.Sent = append(cu.Sent, next)
	bearer, customer := c.as(cu, staff)
	r := request{route: "PUT /v2/customers/{customerId}", method: http.MethodPut, path: "/v2/customers/" + cu.ID,
		bearer: bearer, customer: customer, body: data(body), ok: []int{http.StatusOK}}
	res := c.api.send(r)
	var d struct{ Data customerDoc }
	switch {
	case res.status == http.StatusOK && c.api.decode(r, res, &d):
		cu.Acked, cu.Maybe = next, nil
		c.led.Writes["customer update"]++
		if !d.Data.values().equal(next) {
			c.an.add("stale read", "update of customer %s answered %+v, sent %+v", cu.ID, d.Data.values(), next)
		}
	case !res.definite():
		cu.Maybe = append(cu.Maybe, next)
	}
}

// addressFields are a new address's fields (the store's default mandatory ones and more).
func (c *client) addressFields(marker string) map[string]string {
	return map[string]string{"first_name": "Soak", "last_name": fmt.Sprintf("Client %02d", c.n), "name": marker,
		"line_1": fmt.Sprintf("%d Load Street", c.rng.IntN(999)+1), "city": "Pawnee", "county": "Wamapoke",
		"postcode": fmt.Sprintf("%05d", c.rng.IntN(99999)), "country": "US"}
}

type addressDoc map[string]any

func (d addressDoc) id() string { s, _ := d["id"].(string); return s }

// matches reports whether the address shown holds every field of want.
func (d addressDoc) matches(want map[string]string) bool {
	for k, v := range want {
		if got, _ := d[k].(string); got != v {
			return false
		}
	}
	return true
}

// createAddress adds an address (keyed), with its own token or as staff.
func (c *client) createAddress() {
	cu := c.customer()
	if cu == nil {
		return
	}
	c.seq++
	marker := fmt.Sprintf("soak %s c%02d a%d", c.run, c.n, c.seq)
	fields := c.addressFields(marker)
	body := map[string]any{"type": "address"}
	for k, v := range fields {
		body[k] = v
	}
	bearer, customer := c.as(cu, c.rng.IntN(10) < 4)
	r := request{route: "POST /v2/customers/{customerId}/addresses", method: http.MethodPost, path: "/v2/customers/" + cu.ID + "/addresses",
		bearer: bearer, customer: customer, key: newKey(), body: data(body), ok: []int{http.StatusCreated}}
	res := c.api.send(r)
	var d struct{ Data addressDoc }
	if res.status != http.StatusCreated || !c.api.decode(r, res, &d) {
		cu.addrUnsure = true
		return
	}
	if !d.Data.matches(fields) {
		c.an.add("stale read", "address create for %s answered %v, sent %v", cu.ID, d.Data, fields)
	}
	cu.Addresses[d.Data.id()] = &addressRec{ID: d.Data.id(), Marker: marker, Acked: fields}
	c.led.Writes["address"]++
	if c.rng.IntN(10) == 0 {
		c.replay(r, d.Data.id())
	}
}

// address returns one of cu's live acknowledged addresses at random, nil if none.
func (c *client) address(cu *customerRec) *addressRec {
	var live []*addressRec
	for _, a := range cu.Addresses {
		if !a.Deleted && !a.DeleteUnsure {
			live = append(live, a)
		}
	}
	if len(live) == 0 {
		return nil
	}
	slices.SortFunc(live, func(a, b *addressRec) int { return strings.Compare(a.ID, b.ID) })
	return live[c.rng.IntN(len(live))]
}

func (c *client) updateAddress() {
	cu := c.customer()
	if cu == nil {
		return
	}
	a := c.address(cu)
	if a == nil {
		c.createAddress()
		return
	}
	c.seq++
	change := map[string]string{"city": fmt.Sprintf("City %d", c.seq), "phone_number": fmt.Sprintf("555-%04d", c.seq%10000)}
	next := map[string]string{}
	for k, v := range a.Acked {
		next[k] = v
	}
	body := map[string]any{"type": "address"}
	for k, v := range change {
		next[k], body[k] = v, v
	}
	bearer, customer := c.as(cu, c.rng.IntN(10) < 4)
	r := request{route: "PUT /v2/customers/{customerId}/addresses/{addressId}", method: http.MethodPut,
		path: "/v2/customers/" + cu.ID + "/addresses/" + a.ID, bearer: bearer, customer: customer, body: data(body), ok: []int{http.StatusOK}}
	res := c.api.send(r)
	var d struct{ Data addressDoc }
	switch {
	case res.status == http.StatusOK && c.api.decode(r, res, &d):
		a.Acked, a.Maybe = next, nil
		c.led.Writes["address update"]++
		if !d.Data.matches(next) {
			c.an.add("stale read", "address update %s answered %v, expected %v", a.ID, d.Data, next)
		}
	case !res.definite():
		a.Maybe = append(a.Maybe, next)
	}
}

func (c *client) deleteAddress() {
	cu := c.customer()
	if cu == nil {
		return
	}
	a := c.address(cu)
	if a == nil {
		return
	}
	bearer, customer := c.as(cu, c.rng.IntN(10) < 4)
	r := request{route: "DELETE /v2/customers/{customerId}/addresses/{addressId}", method: http.MethodDelete,
		path: "/v2/customers/" + cu.ID + "/addresses/" + a.ID, bearer: bearer, customer: customer,
		ok: []int{http.StatusNoContent}, gone: []int{http.StatusNotFound}}
	res := c.api.send(r)
	switch {
	case res.status == http.StatusNoContent:
		a.Deleted = true
		c.led.Writes["address delete"]++
	case !res.definite():
		a.DeleteUnsure, cu.addrUnsure = true, true
	}
}

// listAddresses lists a customer's addresses and checks the total against the ledger: in
// one page, or (one time in three) two at a time following links.next as a storefront's
// address book pages.
func (c *client) listAddresses() {
	cu := c.customer()
	if cu == nil {
		return
	}
	bearer, customer := c.as(cu, c.rng.IntN(10) < 4)
	limit := "100"
	if c.rng.IntN(3) == 0 {
		limit = "2"
	}
	r := request{route: "GET /v2/customers/{customerId}/addresses", method: http.MethodGet, path: "/v2/customers/" + cu.ID + "/addresses",
		query: url.Values{"page[limit]": {limit}}, bearer: bearer, customer: customer, ok: []int{http.StatusOK}}
	listed, total := 0, -1
	for page := 0; page < 60; page++ {
		res := c.api.send(r)
		var d struct {
			Data  []addressDoc
			Meta  listMeta
			Links struct {
				Next *string `json:"next"`
			}
		}
		if res.status != http.StatusOK || !c.api.decode(r, res, &d) {
			return
		}
		listed += len(d.Data)
		if total < 0 {
			total = d.Meta.Results.Total
		}
		if d.Links.Next == nil || *d.Links.Next == "" || len(d.Data) == 0 {
			break
		}
		next, err := url.Parse(*d.Links.Next)
		if err != nil {
			c.an.add("malformed answer", "addresses of %s: links.next %q: %v", cu.ID, *d.Links.Next, err)
			return
		}
		r.path, r.query = next.Path, next.Query()
	}
	if cu.addrUnsure {
		return
	}
	if want := cu.liveAddresses(); total != want || listed != want {
		c.an.add("stale count", "addresses of %s: total %d, %d listed by pages of %s; %d acknowledged", cu.ID, total, listed, limit, want)
	}
}

func (c *client) readAddress() {
	cu := c.customer()
	if cu == nil {
		return
	}
	a := c.address(cu)
	if a == nil {
		return
	}
	bearer, customer := c.as(cu, c.rng.IntN(10) < 4)
	r := request{route: "GET /v2/customers/{customerId}/addresses/{addressId}", method: http.MethodGet,
		path: "/v2/customers/" + cu.ID + "/addresses/" + a.ID, bearer: bearer, customer: customer, ok: []int{http.StatusOK}}
	res := c.api.send(r)
	var d struct{ Data addressDoc }
	if res.status != http.StatusOK || !c.api.decode(r, res, &d) {
		return
	}
	if !slices.ContainsFunc(a.possible(), d.Data.matches) {
		c.an.add("stale read", "address %s of %s: %v, last acknowledged %v", a.ID, cu.ID, d.Data, a.Acked)
	}
}

// listCustomers is the back office's customer list: by email (the one customer), a
// page of the newest, or the client's own customers by an email pattern.
func (c *client) listCustomers() {
	q := url.Values{}
	var want *customerRec
	switch c.rng.IntN(3) {
	case 0:
		if cu := c.pick(); cu != nil && len(cu.Maybe) == 0 {
			want = cu
			q.Set("filter", fmt.Sprintf("eq(email,%s)", cu.Acked.Email))
		}
	case 1:
		q.Set("sort", "-created_at")
		q.Set("page[limit]", "10")
	default:
		q.Set("filter", fmt.Sprintf("like(email,soak-%s-c%02d-*)", c.run, c.n))
		q.Set("page[limit]", "25")
	}
	r := request{route: "GET /v2/customers", method: http.MethodGet, path: "/v2/customers", query: q, bearer: c.staff, ok: []int{http.StatusOK}}
	res := c.api.send(r)
	var d struct {
		Data []customerDoc
		Meta listMeta
	}
	if res.status != http.StatusOK || !c.api.decode(r, res, &d) || want == nil {
		return
	}
	if len(d.Data) != 1 || d.Data[0].ID != want.ID {
		c.an.add("index read", "eq(email,%s) listed %d customers, want %s alone", want.Acked.Email, len(d.Data), want.ID)
		return
	}
	c.checkCustomer(want, d.Data[0], "list")
}

type itemDoc struct {
	ID       string `json:"id"`
	Quantity int    `json:"quantity"`
}

type orderDoc struct {
	ID       string `json:"id"`
	Payment  string `json:"payment"`
	Customer struct {
		ID string `json:"id"`
	} `json:"customer"`
	Relationships struct {
		Items struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		} `json:"items"`
		Cart struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		} `json:"cart"`
	} `json:"relationships"`
	Meta listMeta `json:"meta"`
}

// shop fills a cart with one to three custom items, sometimes changes a quantity or
// removes one, reads it, and checks out (keyed) as one of the client's customers or as a
// guest; one cart in eight is left as it is.
func (c *client) shop() {
	c.seq++
	cart := fmt.Sprintf("soak-%s-c%02d-k%d", c.run, c.n, c.seq)
	base := "/v2/carts/" + cart
	var items []itemDoc
	for i := range 1 + c.rng.IntN(3) {
		r := request{route: "POST /v2/carts/{cartId}/items", method: http.MethodPost, path: base + "/items", bearer: c.implicit, key: newKey(),
			body: data(map[string]any{"type": "custom_item", "name": fmt.Sprintf("Soak item %d", i), "sku": fmt.Sprintf("soak-%d", i),
				"quantity": 1 + c.rng.IntN(3), "price": map[string]any{"amount": 100 + c.rng.IntN(9900)}}),
			ok: []int{http.StatusCreated}}
		res := c.api.send(r)
		var d struct{ Data []itemDoc }
		if res.status != http.StatusCreated || !c.api.decode(r, res, &d) {
			c.led.Carts[cart] = -1
			return
		}
		items = d.Data
		if c.rng.IntN(10) == 0 {
			// Sent again with its key, as by a client whose answer was lost: the first
			// answer, byte for byte, and no second line.
			again := c.api.send(r)
			if again.definite() && (again.status != http.StatusCreated || !bytes.Equal(again.body, res.body) || again.header.Get("Idempotent-Replayed") != "true") {
				c.an.add("idempotency", "%s %s sent again with its key: %d (Idempotent-Replayed %q), not the first answer",
					r.method, r.path, again.status, again.header.Get("Idempotent-Replayed"))
			}
		}
	}
	if len(items) > 0 && c.rng.IntN(4) == 0 {
		it := items[0]
		r := request{route: "PUT /v2/carts/{cartId}/items/{itemId}", method: http.MethodPut, path: base + "/items/" + it.ID, bearer: c.implicit,
			body: data(map[string]any{"type": "cart_item", "id": it.ID, "quantity": it.Quantity + 1}), ok: []int{http.StatusOK}}
		if res := c.api.send(r); res.status != http.StatusOK {
			c.led.Carts[cart] = -1
			return
		}
	}
	if len(items) > 1 && c.rng.IntN(6) == 0 {
		r := request{route: "DELETE /v2/carts/{cartId}/items/{itemId}", method: http.MethodDelete, path: base + "/items/" + items[len(items)-1].ID,
			bearer: c.implicit, ok: []int{http.StatusOK}, gone: []int{http.StatusNotFound}}
		if res := c.api.send(r); res.status != http.StatusOK {
			c.led.Carts[cart] = -1
			return
		}
	}
	r := request{route: "GET /v2/carts/{cartId}/items", method: http.MethodGet, path: base + "/items", bearer: c.implicit, ok: []int{http.StatusOK}}
	res := c.api.send(r)
	var got struct {
		Data []itemDoc
		Meta listMeta
	}
	if res.status != http.StatusOK || !c.api.decode(r, res, &got) {
		c.led.Carts[cart] = -1
		return
	}
	if c.rng.IntN(8) == 0 {
		c.led.Carts[cart] = len(got.Data)
		return
	}
	addr := map[string]any{"first_name": "Soak", "last_name": "Buyer", "line_1": "1 Checkout Way", "county": "Wamapoke",
		"postcode": "47998", "country": "US"}
	body := map[string]any{"billing_address": addr, "shipping_address": addr}
	var cu *customerRec
	bearer, customer := c.implicit, ""
	if c.rng.IntN(5) > 0 {
		if cu = c.customer(); cu == nil || (cu.token == "" && !c.logInAs(cu, false)) {
			cu = nil
		}
	}
	if cu != nil {
		customer = cu.token
		body["customer"] = map[string]any{"id": cu.ID}
	} else {
		body["customer"] = map[string]any{"name": "Soak Guest", "email": fmt.Sprintf("guest-%s-c%02d@example.com", c.run, c.n)}
	}
	r = request{route: "POST /v2/carts/{cartId}/checkout", method: http.MethodPost, path: base + "/checkout", bearer: bearer, customer: customer,
		key: newKey(), body: data(body), ok: []int{http.StatusCreated}}
	res = c.api.send(r)
	var d struct{ Data orderDoc }
	if res.status != http.StatusCreated || !c.api.decode(r, res, &d) {
		c.led.UnsureCheckouts = append(c.led.UnsureCheckouts, cart)
		if cu != nil {
			cu.orderUnsure = true
		}
		return
	}
	o := &orderRec{ID: d.Data.ID, CartID: cart, Total: d.Data.Meta.DisplayPrice.WithTax.Amount, Lines: len(d.Data.Relationships.Items.Data)}
	if o.Total != got.Meta.DisplayPrice.WithTax.Amount || o.Lines != len(got.Data) || d.Data.Relationships.Cart.Data.ID != cart {
		c.an.add("stale read", "checkout of cart %s: order %s has %d lines for %d, the cart read before had %d for %d",
			cart, o.ID, o.Lines, o.Total, len(got.Data), got.Meta.DisplayPrice.WithTax.Amount)
	}
	if cu != nil {
		o.CustomerID = cu.ID
		cu.Orders = append(cu.Orders, o.ID)
	}
	c.led.Orders = append(c.led.Orders, o)
	c.led.Writes["order"]++
	if c.rng.IntN(10) == 0 {
		c.replay(r, o.ID)
	}
}

// order returns one of the client's live customers' orders at random.
func (c *client) order() (*customerRec, *orderRec) {
	live := map[string]*customerRec{}
	for _, cu := range c.led.Customers {
		if cu.live() {
			live[cu.ID] = cu
		}
	}
	var mine []*orderRec
	for _, o := range c.led.Orders {
		if live[o.CustomerID] != nil {
			mine = append(mine, o)
		}
	}
	if len(mine) == 0 {
		return nil, nil
	}
	o := mine[c.rng.IntN(len(mine))]
	return live[o.CustomerID], o
}

// readOrder reads one of the client's orders with its customer's token (and sometimes its
// items) and checks it against the checkout's answer.
func (c *client) readOrder() {
	cu, o := c.order()
	if o == nil {
		c.shop()
		return
	}
	bearer, customer := c.as(cu, false)
	r := request{route: "GET /v2/orders/{orderId}", method: http.MethodGet, path: "/v2/orders/" + o.ID, bearer: bearer, customer: customer,
		ok: []int{http.StatusOK}}
	res := c.api.send(r)
	var d struct{ Data orderDoc }
	if res.status == http.StatusOK && c.api.decode(r, res, &d) {
		paid := d.Data.Payment == "paid"
		if d.Data.Meta.DisplayPrice.WithTax.Amount != o.Total || len(d.Data.Relationships.Items.Data) != o.Lines ||
			(o.Paid && !paid) || (paid && !o.Paid && !o.PaidUnsure) {
			c.an.add("stale read", "order %s: %d lines for %d, payment %s; acknowledged %d lines for %d, paid %v",
				o.ID, len(d.Data.Relationships.Items.Data), d.Data.Meta.DisplayPrice.WithTax.Amount, d.Data.Payment, o.Lines, o.Total, o.Paid)
		}
	}
	if c.rng.IntN(3) > 0 {
		return
	}
	r = request{route: "GET /v2/orders/{orderId}/items", method: http.MethodGet, path: "/v2/orders/" + o.ID + "/items", bearer: bearer,
		customer: customer, ok: []int{http.StatusOK}}
	res = c.api.send(r)
	var items struct{ Data []itemDoc }
	if res.status == http.StatusOK && c.api.decode(r, res, &items) && len(items.Data) != o.Lines {
		c.an.add("stale read", "order %s: %d items, acknowledged %d", o.ID, len(items.Data), o.Lines)
	}
}

// listOwnOrders lists a customer's orders with its token and checks the total.
func (c *client) listOwnOrders() {
	cu := c.customer()
	if cu == nil {
		return
	}
	bearer, customer := c.as(cu, false)
	if customer == "" {
		return
	}
	r := request{route: "GET /v2/orders", method: http.MethodGet, path: "/v2/orders", bearer: bearer, customer: customer, ok: []int{http.StatusOK}}
	res := c.api.send(r)
	var d struct {
		Data []orderDoc
		Meta listMeta
	}
	if res.status == http.StatusOK && c.api.decode(r, res, &d) && !cu.orderUnsure && d.Meta.Results.Total != len(cu.Orders) {
		c.an.add("stale count", "orders of %s: total %d, %d acknowledged", cu.ID, d.Meta.Results.Total, len(cu.Orders))
	}
}

// staffOrders is the back office on orders: one customer's orders by filter, or an order
// marked paid.
func (c *client) staffOrders() {
	cu, o := c.order()
	if o == nil {
		c.shop()
		return
	}
	if c.rng.IntN(2) == 0 {
		r := request{route: "GET /v2/orders", method: http.MethodGet, path: "/v2/orders", bearer: c.staff,
			query: url.Values{"filter": {"eq(customer_id," + cu.ID + ")"}}, ok: []int{http.StatusOK}}
		res := c.api.send(r)
		var d struct {
			Data []orderDoc
			Meta listMeta
		}
		if res.status == http.StatusOK && c.api.decode(r, res, &d) && !cu.orderUnsure && d.Meta.Results.Total != len(cu.Orders) {
			c.an.add("stale count", "staff list eq(customer_id,%s): total %d, %d acknowledged", cu.ID, d.Meta.Results.Total, len(cu.Orders))
		}
		return
	}
	r := request{route: "PUT /v2/orders/{orderId}", method: http.MethodPut, path: "/v2/orders/" + o.ID, bearer: c.staff,
		body: data(map[string]any{"type": "order", "payment": "paid"}), ok: []int{http.StatusOK}}
	res := c.api.send(r)
	var d struct{ Data orderDoc }
	switch {
	case res.status == http.StatusOK && c.api.decode(r, res, &d):
		o.Paid = true
		c.led.Writes["order update"]++
		if d.Data.Payment != "paid" {
			c.an.add("stale read", "order %s marked paid answered payment %q", o.ID, d.Data.Payment)
		}
	case !res.definite():
		o.PaidUnsure = true
	}
}

// deleteCustomer deletes one of the client's customers, with its own token (a shopper
// closing the account) or as staff, and checks what the 204 promises at once.
func (c *client) deleteCustomer() {
	// A client keeps at least two customers to work with: below three it signs a new one up
	// and deletes that one, so deletes never starve the other steps.
	live := 0
	for _, cu := range c.led.Customers {
		if cu.live() {
			live++
		}
	}
	if live < 3 {
		c.signUp()
	}
	cu := c.pick()
	if live < 3 && len(c.led.Customers) > 0 {
		cu = c.led.Customers[len(c.led.Customers)-1]
	}
	if cu == nil || !cu.live() {
		return
	}
	// A retry after a first attempt that did it finds the customer gone: a 404 as staff,
	// and with the customer's token a 403 (a deleted customer's token is refused).
	gone := []int{http.StatusNotFound}
	bearer, customer := c.as(cu, c.rng.IntN(2) == 0)
	if customer != "" {
		gone = append(gone, http.StatusForbidden)
	}
	r := request{route: "DELETE /v2/customers/{customerId}", method: http.MethodDelete, path: "/v2/customers/" + cu.ID,
		bearer: bearer, customer: customer, ok: []int{http.StatusNoContent}, gone: gone}
	res := c.api.send(r)
	switch {
	case res.status == http.StatusNoContent:
		cu.Deleted = true
		c.led.Writes["customer delete"]++
		c.checkGone(cu)
	case !res.definite():
		cu.DeleteUnsure = true
	}
}

// checkGone: a deleted customer reads as 404, and a log-in with its password is refused
// as a wrong password is (401, the same answer: nothing tells that the account existed).
func (c *client) checkGone(cu *customerRec) {
	c.api.send(request{route: "GET /v2/customers/{customerId}", method: http.MethodGet, path: "/v2/customers/" + cu.ID,
		bearer: c.staff, ok: []int{http.StatusNotFound}})
	res := c.api.send(c.logInRequest(cu.Acked.Email, cu.Password, http.StatusUnauthorized))
	if want := c.api.refusal.Load(); res.status == http.StatusUnauthorized && want != nil && !bytes.Equal(res.body, *want) {
		c.an.add("unexpected answer", "log-in as deleted customer %s: %s, a wrong password's answer is %s", cu.ID, snippet(res.body), snippet(*want))
	}
}
