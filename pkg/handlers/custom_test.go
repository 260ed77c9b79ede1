package handlers

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/testenv"
)

// customFlow creates the customers flow with fields tier (string enum, default bronze,
// order 1), points (integer 0–1000, order 2), vip (boolean, omit_null, order 3) and birthday
// (date, order 4), and returns the flow's id and the fields' ids by slug.
func (h *harness) customFlow() (string, map[string]string) {
	h.t.Helper()
	flow := h.createFlow("customers")
	ids := map[string]string{}
	for slug, members := range map[string]string{
		"tier":     `"field_type":"string","order":1,"default":"bronze","validation_rules":[{"type":"enum","options":["bronze","silver","gold"]}]`,
		"points":   `"field_type":"integer","order":2,"validation_rules":[{"type":"between","options":{"from":0,"to":1000}}]`,
		"vip":      `"field_type":"boolean","order":3,"omit_null":true`,
		"birthday": `"field_type":"date","order":4`,
	} {
		r := h.fieldCall(flow, `"slug":"`+slug+`",`+members)
		expect(h.t, r, 201)
		ids[slug] = data(r)["id"].(string)
	}
	return flow, ids
}

func (h *harness) setField(id, body string) {
	h.t.Helper()
	expect(h.t, h.do(req{Route: "PUT /v2/fields/{fieldId}", Path: map[string]string{"fieldId": id}, Headers: bearer(h.admin),
		Body: `{"data":{"type":"field",` + body + `}}`}), 200)
}

func (h *harness) getCustomer(id string, headers map[string]string) map[string]any {
	h.t.Helper()
	r := h.do(req{Route: "GET /v2/customers/{customerId}", Path: map[string]string{"customerId": id}, Headers: headers})
	expect(h.t, r, 200)
	return data(r)
}

func TestCustomerCustomFields(t *testing.T) {
	h := newHarness(t)
	_, fields := h.customFlow()
	r := h.do(req{Route: "POST /v2/customers", Headers: bearer(h.implicit),
		Body: `{"data":{"type":"customer","name":"Ron","email":"ron@example.com","password":"` + testPassword + `","tier":"gold","points":10}}`})
	expect(t, r, 201)
	c := data(r)
	id := c["id"].(string)
	if c["tier"] != "gold" || c["points"] != 10.0 || c["birthday"] != nil || c["name"] != "Ron" {
		t.Errorf("created %v", c)
	}
	if _, ok := c["vip"]; ok {
		t.Errorf("vip is null and omit_null: %v", c)
	}
	// Built-in members first, then the fields in their order.
	body := string(r.Body)
	if i, j, k := strings.Index(body, `"meta"`), strings.Index(body, `"tier"`), strings.Index(body, `"birthday"`); !(i < j && j < k) {
		t.Errorf("member order: %s", body)
	}
	// The default fills an omitted value on create.
	other := h.createCustomer("Leslie", "leslie@example.com")
	if got := h.getCustomer(other, bearer(h.admin)); got["tier"] != "bronze" || got["points"] != nil {
		t.Errorf("defaults %v", got)
	}
	// Wrong values: one 422 each, nothing written.
	r = h.do(req{Route: "POST /v2/customers", Headers: bearer(h.implicit),
		Body: `{"data":{"type":"customer","name":"Ann","email":"ann@example.com","tier":"diamond","points":"ten","birthday":"2024-13-01"}}`})
	expect(t, r, 422)
	var sources []string
	for _, e := range errorsOf(t, r) {
		sources = append(sources, e["source"].(string))
	}
	if strings.Join(sources, ",") != "data.tier,data.points,data.birthday" {
		t.Errorf("errors on %v", sources)
	}
	expect(t, h.do(req{Route: "POST /v2/customers", Headers: bearer(h.implicit),
		Body: `{"data":{"type":"customer","name":"Ann","email":"ann@example.com"}}`}), 201) // the email was never taken
	// A customer updates their own custom fields with their token; null clears one.
	token := withCustomer(h.implicit, h.customerToken("ron@example.com"))
	r = h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": id}, Headers: token,
		Body: `{"data":{"type":"customer","points":20,"vip":true,"birthday":"1970-05-06"}}`})
	expect(t, r, 200)
	if u := data(r); u["points"] != 20.0 || u["vip"] != true || u["tier"] != "gold" || u["birthday"] != "1970-05-06" {
		t.Errorf("updated %v", u)
	}
	r = h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": id}, Headers: token,
		Body: `{"data":{"type":"customer","vip":null,"points":1001}}`})
	expectInvalid(t, r, "data.points", "from 0 to 1000")
	expect(t, h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": id}, Headers: token,
		Body: `{"data":{"type":"customer","vip":null}}`}), 200)
	if got := h.getCustomer(id, token); got["points"] != 20.0 || got["vip"] != nil {
		t.Errorf("after clearing vip: %v", got)
	}
	// Not on another customer's record.
	expect(t, h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": other}, Headers: token,
		Body: `{"data":{"type":"customer","tier":"gold"}}`}), 403)
	// Lists carry them (the indexes project the values).
	list := h.do(req{Route: "GET /v2/customers", Query: "sort=name", Headers: bearer(h.admin)})
	expect(t, list, 200)
	listed := 0
	for _, row := range list.JSON["data"].([]any) {
		if m := row.(map[string]any); m["id"] == id {
			listed++
			if m["tier"] != "gold" || m["points"] != 20.0 {
				t.Errorf("listed %v", m)
			}
		}
	}
	if listed != 1 {
		t.Errorf("Ron listed %d times", listed)
	}
	// Disabled, a field is hidden and keeps its values; enabled again, they are back.
	h.setField(fields["tier"], `"enabled":false`)
	if got := h.getCustomer(id, bearer(h.admin)); got["tier"] != nil || !strings.Contains(h.do(req{Route: "PUT /v2/customers/{customerId}",
		Path: map[string]string{"customerId": id}, Headers: bearer(h.admin), Body: `{"data":{"type":"customer","tier":"silver"}}`}).Body, "not a customer attribute") {
		t.Errorf("a disabled field shows or takes values: %v", got)
	}
	if _, ok := h.getCustomer(id, bearer(h.admin))["tier"]; ok {
		t.Error("a disabled field's key is still there")
	}
	h.setField(fields["tier"], `"enabled":true`)
	if got := h.getCustomer(id, bearer(h.admin)); got["tier"] != "gold" {
		t.Errorf("re-enabled: %v", got)
	}
	// New rules: a stored value is shown as stored, and checked only when written again.
	h.setField(fields["tier"], `"validation_rules":[{"type":"enum","options":["bronze","silver"]}]`)
	if got := h.getCustomer(id, bearer(h.admin)); got["tier"] != "gold" {
		t.Errorf("after the rules changed: %v", got)
	}
	expectInvalid(t, h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": id}, Headers: bearer(h.admin),
		Body: `{"data":{"type":"customer","tier":"gold"}}`}), "data.tier", "must be one of")
	// Deleted and created again with the same slug, a field never shows the old values.
	flow := h.getField(fields["points"])
	expect(t, h.do(req{Route: "DELETE /v2/fields/{fieldId}", Path: map[string]string{"fieldId": fields["points"]}, Headers: bearer(h.admin)}), 204)
	if _, ok := h.getCustomer(id, bearer(h.admin))["points"]; ok {
		t.Error("a deleted field still shows")
	}
	h.createField(flow, "points", `"integer"`)
	if got := h.getCustomer(id, bearer(h.admin)); got["points"] != nil {
		t.Errorf("a new field with an old slug shows the old value: %v", got)
	}
}

// getField returns the flow id of a field.
func (h *harness) getField(id string) string {
	h.t.Helper()
	r := h.do(req{Route: "GET /v2/fields/{fieldId}", Path: map[string]string{"fieldId": id}, Headers: bearer(h.admin)})
	expect(h.t, r, 200)
	return data(r)["relationships"].(map[string]any)["flow"].(map[string]any)["data"].(map[string]any)["id"].(string)
}

// A required field is required on create only, and a null never stands for it.
func TestCustomerRequiredField(t *testing.T) {
	h := newHarness(t)
	flow := h.createFlow("customers")
	expect(t, h.fieldCall(flow, `"slug":"consent","field_type":"boolean","required":true`), 201)
	expectInvalid(t, h.do(req{Route: "POST /v2/customers", Headers: bearer(h.implicit),
		Body: `{"data":{"type":"customer","name":"Ron","email":"ron@example.com"}}`}), "data.consent", "required")
	expectInvalid(t, h.do(req{Route: "POST /v2/customers", Headers: bearer(h.implicit),
		Body: `{"data":{"type":"customer","name":"Ron","email":"ron@example.com","consent":null}}`}), "data.consent", "required")
	r := h.do(req{Route: "POST /v2/customers", Headers: bearer(h.implicit),
		Body: `{"data":{"type":"customer","name":"Ron","email":"ron@example.com","consent":true}}`})
	expect(t, r, 201)
	id := data(r)["id"].(string)
	expect(t, h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": id}, Headers: bearer(h.admin),
		Body: `{"data":{"type":"customer","name":"Ronald"}}`}), 200)
	expectInvalid(t, h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": id}, Headers: bearer(h.admin),
		Body: `{"data":{"type":"customer","consent":null}}`}), "data.consent", "cannot be null")
}

// Addresses take their flow's fields the same way; bad values are 400s, as every address
// error is.
func TestAddressCustomFields(t *testing.T) {
	h := newHarness(t)
	flow := h.createFlow("addresses")
	expect(t, h.fieldCall(flow, `"slug":"address-priority","field_type":"integer","default":1,"validation_rules":[{"type":"between","options":{"from":1,"to":9}}]`), 201)
	expect(t, h.fieldCall(flow, `"slug":"gate_code","field_type":"string","omit_null":true`), 201)
	ron := h.createCustomer("Ron", "ron@example.com")
	token := withCustomer(h.implicit, h.customerToken("ron@example.com"))
	path := map[string]string{"customerId": ron}
	withCustom := strings.Replace(anAddress, `"type":"address",`, `"type":"address","gate_code":"1234",`, 1)
	r := h.do(req{Route: "POST /v2/customers/{customerId}/addresses", Path: path, Headers: token, Body: withCustom})
	expect(t, r, 201)
	a := data(r)
	if a["address-priority"] != 1.0 || a["gate_code"] != "1234" || a["line_1"] != "1 Pawnee Way" {
		t.Errorf("created %v", a)
	}
	path["addressId"] = a["id"].(string)
	r = h.do(req{Route: "PUT /v2/customers/{customerId}/addresses/{addressId}", Path: path, Headers: token,
		Body: `{"data":{"type":"address","address-priority":12,"gate_code":5}}`})
	expect(t, r, 400)
	if e := errorsOf(t, r); len(e) != 2 || e[0]["source"] != "data.address-priority" || e[1]["source"] != "data.gate_code" {
		t.Errorf("errors %v", e)
	}
	r = h.do(req{Route: "PUT /v2/customers/{customerId}/addresses/{addressId}", Path: path, Headers: token,
		Body: `{"data":{"type":"address","address-priority":3,"gate_code":null,"city":"Eagleton"}}`})
	expect(t, r, 200)
	if u := data(r); u["address-priority"] != 3.0 || u["city"] != "Eagleton" {
		t.Errorf("updated %v", u)
	} else if _, ok := u["gate_code"]; ok {
		t.Errorf("a cleared omit_null field shows: %v", u)
	}
	list := h.do(req{Route: "GET /v2/customers/{customerId}/addresses", Path: map[string]string{"customerId": ron}, Headers: token})
	expect(t, list, 200)
	if rows := list.JSON["data"].([]any); len(rows) != 1 || rows[0].(map[string]any)["address-priority"] != 3.0 {
		t.Errorf("listed %s", list.Body)
	}
}

// Orders take their flow's fields at checkout and in staff updates (400s), and show them
// wherever an order is shown.
func TestOrderCustomFields(t *testing.T) {
	h := newHarness(t)
	flow := h.createFlow("orders")
	expect(t, h.fieldCall(flow, `"slug":"gift_message","field_type":"string","omit_null":true`), 201)
	expect(t, h.fieldCall(flow, `"slug":"rush","field_type":"boolean","default":false`), 201)
	ron := h.createCustomer("Ron", "ron@example.com")
	token := withCustomer(h.implicit, h.customerToken("ron@example.com"))
	h.put("gift", "Bacon", 1, 100)
	bad := strings.Replace(checkoutBody(`{"id":"`+ron+`"}`), `{"data":{`, `{"data":{"rush":"yes","colour":"red",`, 1)
	r := h.checkout("gift", token, bad)
	expect(t, r, 400)
	if e := errorsOf(t, r); len(e) != 2 || e[0]["source"] != "data.rush" || e[1]["source"] != "data.colour" {
		t.Errorf("errors %v", e)
	}
	r = h.checkout("gift", token, strings.Replace(checkoutBody(`{"id":"`+ron+`"}`), `{"data":{`, `{"data":{"gift_message":"Happy birthday",`, 1))
	expect(t, r, 201)
	o := data(r)
	if o["gift_message"] != "Happy birthday" || o["rush"] != false {
		t.Errorf("checked out %v", o)
	}
	id := o["id"].(string)
	r = h.updateOrder(id, bearer(h.admin), `{"data":{"type":"order","rush":true,"gift_message":null}}`)
	expect(t, r, 200)
	if u := data(r); u["rush"] != true {
		t.Errorf("updated %v", u)
	} else if _, ok := u["gift_message"]; ok {
		t.Errorf("a cleared omit_null field shows: %v", u)
	}
	history := h.do(req{Route: "GET /v2/orders", Headers: token})
	expect(t, history, 200)
	if rows := history.JSON["data"].([]any); len(rows) != 1 || rows[0].(map[string]any)["rush"] != true {
		t.Errorf("history %s", history.Body)
	}
	if got := data(h.getOrder(id)); got["rush"] != true {
		t.Errorf("read %v", got)
	}
}

// Customers filter on their custom fields with the customer grammar, row by row within the
// list engine's budget (never a Scan).
func TestCustomerCustomFilter(t *testing.T) {
	h := newHarness(t)
	flow := h.createFlow("customers")
	for _, members := range []string{
		`"slug":"tier","field_type":"string"`, `"slug":"points","field_type":"integer"`, `"slug":"vip","field_type":"boolean"`,
		`"slug":"birthday","field_type":"date"`, `"slug":"discount","field_type":"float"`, `"slug":"crm-id","field_type":"string"`,
	} {
		expect(t, h.fieldCall(flow, members), 201)
	}
	people := map[string]string{
		"ann":   `"tier":"gold","points":50,"vip":true,"birthday":"1980-05-01","discount":0.25,"crm-id":"A-1"`,
		"ben":   `"tier":"silver","points":10,"vip":false,"birthday":"1975-01-01","discount":0.5`,
		"cat":   `"tier":"Gold","points":0,"birthday":"1990-12-31 08:00:00"`,
		"dan":   `"tier":"bronze","points":-5,"vip":true,"discount":0.75`,
		"eve":   `"points":11`,
		"frank": ``,
	}
	for name, members := range people {
		if members != "" {
			members = "," + members
		}
		expect(t, h.do(req{Route: "POST /v2/customers", Headers: bearer(h.admin),
			Body: `{"data":{"type":"customer","name":"` + name + `","email":"` + name + `@example.com"` + members + `}}`}), 201)
	}
	for filter, want := range map[string]string{
		"eq(tier,gold)":                           "ann",
		"in(tier,gold,silver)":                    "ann,ben",
		"like(tier,*old)":                         "ann,cat",
		"ilike(tier,GO*)":                         "ann,cat",
		"eq(vip,true)":                            "ann,dan",
		"eq(vip,false)":                           "ben",
		"gt(points,10)":                           "ann,eve",
		"le(points,10)":                           "ben,cat,dan",
		"eq(points,0)":                            "cat",
		"ge(birthday,1980-01-01)":                 "ann,cat",
		"lt(birthday,1980-01-01)":                 "ben",
		"lt(discount,0.5)":                        "ann",
		"ge(discount,0.5)":                        "ben,dan",
		"eq(crm-id,A-1)":                          "ann",
		"eq(tier,gold):gt(points,100)":            "",
		"gt(points,-10):like(name,*a*)":           "ann,cat,dan", // frank has no points: no match
		"ilike(tier,*):eq(email,ben@example.com)": "ben",
	} {
		h.db.Calls().Reset()
		r := h.do(req{Route: "GET /v2/customers", Query: "sort=name&filter=" + filter, Headers: bearer(h.admin)})
		expect(t, r, 200)
		var got []string
		for _, row := range r.JSON["data"].([]any) {
			got = append(got, row.(map[string]any)["name"].(string))
		}
		if strings.Join(got, ",") != want {
			t.Errorf("%s: %v, want %s", filter, got, want)
		}
		if n := h.db.Calls().ByOp()["Scan"]; n != 0 {
			t.Errorf("%s: %d Scans", filter, n)
		}
	}
	for filter, says := range map[string]string{
		"eq(points,ten)":    `"ten" is not a integer value of points`,
		"gt(tier,a)":        "operator gt is not allowed on tier",
		"like(vip,t*)":      "operator like is not allowed on vip",
		"eq(loyalty,gold)":  `unknown field "loyalty"`,
		"eq(birthday,1980)": "not a date value of birthday",
		"eq(vip,yes)":       "not a boolean value of vip",
	} {
		r := h.do(req{Route: "GET /v2/customers", Query: "filter=" + filter, Headers: bearer(h.admin)})
		expect(t, r, 400)
		if d := errorsOf(t, r)[0]["detail"].(string); !strings.Contains(d, says) {
			t.Errorf("%s: %q, want it to say %q", filter, d, says)
		}
	}
}

// A field created through one process is taken at once by another whose cache is warm: a
// body naming a member its cached fields do not know makes it read them again.
func TestNewFieldAcrossProcesses(t *testing.T) {
	h := newHarness(t)
	flow := h.createFlow("customers")
	_, other := h.on(h.cfg, h.db.Client) // another process, its cache warmed below
	expect(t, h.doWith(other, req{Route: "POST /v2/customers", Headers: bearer(h.admin),
		Body: `{"data":{"type":"customer","name":"Ann","email":"ann@example.com"}}`}), 201)
	h.createField(flow, "tier", `"string"`) // through the first process
	r := h.doWith(other, req{Route: "POST /v2/customers", Headers: bearer(h.admin),
		Body: `{"data":{"type":"customer","name":"Ron","email":"ron@example.com","tier":"gold"}}`})
	expect(t, r, 201)
	if data(r)["tier"] != "gold" {
		t.Errorf("created %v", data(r))
	}
	// A member that is no field at all is still refused, after one more read at most.
	h.db.Calls().Reset()
	r = h.doWith(other, req{Route: "POST /v2/customers", Headers: bearer(h.admin),
		Body: `{"data":{"type":"customer","name":"Tom","email":"tom@example.com","colour":"red"}}`})
	expectInvalid(t, r, "data.colour", "not a customer attribute")
	if n := h.db.Calls().ByOp()["Query"]; n > 1 {
		t.Errorf("%d reads of the fields for one unknown member", n)
	}
}

// The largest custom data a customer can hold (100 string fields at their longest) fits
// DynamoDB's item, in the table and in the list indexes that project it.
func TestLargestCustomData(t *testing.T) {
	h := newHarness(t)
	flow := h.createFlow("customers")
	var body strings.Builder
	long := strings.Repeat("x", 2048)
	for i := range 100 {
		h.createField(flow, fmt.Sprintf("f%03d", i), `"string"`)
		fmt.Fprintf(&body, `,"f%03d":"%s"`, i, long)
	}
	r := h.do(req{Route: "POST /v2/customers", Headers: bearer(h.admin),
		Body: `{"data":{"type":"customer","name":"Big","email":"big@example.com"` + body.String() + `}}`})
	expect(t, r, 201)
	id := data(r)["id"].(string)
	if got := h.getCustomer(id, bearer(h.admin)); got["f099"] != long {
		t.Error("the last field's value")
	}
	expect(t, h.do(req{Route: "GET /v2/customers", Headers: bearer(h.admin)}), 200)
	r = h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": id}, Headers: bearer(h.admin),
		Body: `{"data":{"type":"customer","f000":"` + long + `x"}}`})
	expectInvalid(t, r, "data.f000", "at most 2048 bytes")
}

// Numbers DynamoDB cannot store are refused, as defaults and as values; the filterable
// built-in times cannot be field slugs.
func TestCustomValuesDynamoDBRefuses(t *testing.T) {
	h := newHarness(t)
	flow := h.createFlow("customers")
	expectInvalid(t, h.fieldCall(flow, `"slug":"ratio","field_type":"float","default":1e300`), "data.default", "magnitude")
	expectInvalid(t, h.fieldCall(flow, `"slug":"created_at","field_type":"date"`), "data.slug", "reserved")
	h.createField(flow, "ratio", `"float"`)
	for _, v := range []string{"1e308", "5e-324", "-1e126"} {
		expectInvalid(t, h.do(req{Route: "POST /v2/customers", Headers: bearer(h.implicit),
			Body: `{"data":{"type":"customer","name":"Ann","email":"ann@example.com","ratio":` + v + `}}`}), "data.ratio", "magnitude")
	}
	r := h.do(req{Route: "POST /v2/customers", Headers: bearer(h.implicit),
		Body: `{"data":{"type":"customer","name":"Ann","email":"ann@example.com","ratio":9.99e125}}`})
	expect(t, r, 201)
	expect(t, h.do(req{Route: "GET /v2/customers", Query: "filter=eq(created_at,2024-01-01)", Headers: bearer(h.admin)}), 200)
}

// A record does not keep the values of deleted fields once it is written again: 100
// fields at their longest, deleted and replaced by 100 new ones, still fit.
func TestCustomDataPastTheItemLimit(t *testing.T) {
	h := newHarness(t)
	flow := h.createFlow("customers")
	long := strings.Repeat("x", 2048)
	fill := func(prefix string) string {
		var b strings.Builder
		for i := range 100 {
			fmt.Fprintf(&b, `,"%s%03d":"%s"`, prefix, i, long)
		}
		return b.String()
	}
	var ids []string
	for i := range 100 {
		ids = append(ids, h.createField(flow, fmt.Sprintf("a%03d", i), `"string"`))
	}
	r := h.do(req{Route: "POST /v2/customers", Headers: bearer(h.admin),
		Body: `{"data":{"type":"customer","name":"Big","email":"big@example.com"` + fill("a") + `}}`})
	expect(t, r, 201)
	id := data(r)["id"].(string)
	for _, f := range ids {
		expect(t, h.do(req{Route: "DELETE /v2/fields/{fieldId}", Path: map[string]string{"fieldId": f}, Headers: bearer(h.admin)}), 204)
	}
	for i := range 100 {
		h.createField(flow, fmt.Sprintf("b%03d", i), `"string"`)
	}
	r = h.do(req{Route: "PUT /v2/customers/{customerId}", Path: map[string]string{"customerId": id}, Headers: bearer(h.admin),
		Body: `{"data":{"type":"customer"` + fill("b") + `}}`})
	expect(t, r, 200)
	if got := h.getCustomer(id, bearer(h.admin)); got["b099"] != long || got["a000"] != nil {
		t.Errorf("after the new fields were written: b099 %v, a000 %v", got["b099"] != nil, got["a000"])
	}
	for _, it := range h.db.Items(t) {
		if testenv.Str(it, "id") == id && testenv.Str(it, "SK") == "#PROFILE" {
			if m, _ := it["custom"].(*types.AttributeValueMemberM); m == nil || len(m.Value) != 100 {
				t.Errorf("the stored custom map holds %d values, want the 100 current ones", len(m.Value))
			}
		}
	}
}
