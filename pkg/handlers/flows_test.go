package handlers

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// createFlow creates a flow with slug (staff) and returns its id.
func (h *harness) createFlow(slug string) string {
	h.t.Helper()
	r := h.do(req{Route: "POST /v2/flows", Headers: bearer(h.admin),
		Body: `{"data":{"type":"flow","name":"Flow ` + slug + `","slug":"` + slug + `","description":"a flow","enabled":true}}`})
	expect(h.t, r, 201)
	return data(r)["id"].(string)
}

// createField adds a field of fieldType (JSON) to flow and returns its id.
func (h *harness) createField(flow, slug, fieldType string) string {
	h.t.Helper()
	r := h.fieldCall(flow, `"slug":"`+slug+`","field_type":`+fieldType)
	expect(h.t, r, 201)
	return data(r)["id"].(string)
}

// fieldCall posts a field to flow with the given members (name and type added).
func (h *harness) fieldCall(flow, members string) response {
	return h.do(req{Route: "POST /v2/fields", Headers: bearer(h.admin),
		Body: `{"data":{"type":"field","name":"A field",` + members +
			`,"relationships":{"flow":{"data":{"type":"flow","id":"` + flow + `"}}}}}`})
}

// expectInvalid checks a 422 whose first error is about source and says want.
func expectInvalid(t *testing.T, r response, source, want string) {
	t.Helper()
	expect(t, r, 422)
	e := errorsOf(t, r)[0]
	if e["source"] != source || !strings.Contains(fmt.Sprint(e["detail"]), want) {
		t.Errorf("error %v: want source %s and %q in the detail", e, source, want)
	}
}

func TestFlows(t *testing.T) {
	h := newHarness(t)
	r := h.do(req{Route: "POST /v2/flows", Headers: bearer(h.admin),
		Body: `{"data":{"type":"flow","name":"Customers","slug":"customers","description":"Extends the default customer object"}}`})
	expect(t, r, 201)
	f := data(r)
	id := f["id"].(string)
	if f["type"] != "flow" || f["slug"] != "customers" || f["enabled"] != true || f["description"] != "Extends the default customer object" ||
		!strings.HasSuffix(f["links"].(map[string]any)["self"].(string), "/v2/flows/"+id) || f["relationships"] == nil ||
		f["meta"].(map[string]any)["timestamps"] == nil {
		t.Errorf("created flow %v", f)
	}
	expectInvalid(t, h.do(req{Route: "POST /v2/flows", Headers: bearer(h.admin),
		Body: `{"data":{"type":"flow","name":"Again","slug":"customers"}}`}), "data.slug", "another flow has this slug")
	for body, source := range map[string]string{
		`{"data":{"type":"flow","name":"x","slug":"Has Spaces"}}`:         "data.slug",
		`{"data":{"type":"flow","name":"x","slug":"9starts-with-digit"}}`: "data.slug",
		`{"data":{"type":"flow","slug":"no-name"}}`:                       "data.name",
		`{"data":{"type":"flow","name":"x"}}`:                             "data.slug",
		`{"data":{"type":"flow","name":"x","slug":"x","colour":"red"}}`:   "data.colour",
		`{"data":{"type":"flow","name":"x","slug":"x","enabled":"yes"}}`:  "data.enabled",
		`{"data":{"type":"flows","name":"x","slug":"x"}}`:                 "data.type",
	} {
		r := h.do(req{Route: "POST /v2/flows", Headers: bearer(h.admin), Body: body})
		expect(t, r, 422)
		if errorsOf(t, r)[0]["source"] != source {
			t.Errorf("%s: %v, want an error on %s", body, errorsOf(t, r), source)
		}
	}
	// Read with an implicit token; a partial update keeps the rest.
	got := data(h.do(req{Route: "GET /v2/flows/{flowId}", Path: map[string]string{"flowId": id}, Headers: bearer(h.implicit)}))
	if got["slug"] != "customers" {
		t.Errorf("read %v", got)
	}
	r = h.do(req{Route: "PUT /v2/flows/{flowId}", Path: map[string]string{"flowId": id}, Headers: bearer(h.admin),
		Body: `{"data":{"type":"flow","description":"Loyalty and consent"}}`})
	expect(t, r, 200)
	if u := data(r); u["description"] != "Loyalty and consent" || u["name"] != "Customers" || u["slug"] != "customers" {
		t.Errorf("updated %v", u)
	}
	list := h.do(req{Route: "GET /v2/flows", Headers: bearer(h.implicit)})
	expect(t, list, 200)
	if n := len(list.JSON["data"].([]any)); n != 1 || list.JSON["meta"].(map[string]any)["results"].(map[string]any)["total"] != 1.0 {
		t.Errorf("list %s", list.Body)
	}
	// A flow without fields may change its slug; with one it may not, nor be deleted.
	other := h.createFlow("wishlists")
	r = h.do(req{Route: "PUT /v2/flows/{flowId}", Path: map[string]string{"flowId": other}, Headers: bearer(h.admin),
		Body: `{"data":{"type":"flow","slug":"wish-lists"}}`})
	expect(t, r, 200)
	expect(t, h.do(req{Route: "GET /v2/flows/{flowId}/fields", Path: map[string]string{"flowId": "wish-lists"}, Headers: bearer(h.implicit)}), 200)
	expect(t, h.do(req{Route: "GET /v2/flows/{flowId}/fields", Path: map[string]string{"flowId": "wishlists"}, Headers: bearer(h.implicit)}), 404)
	tier := h.createField(id, "loyalty_tier", `"string"`)
	h.createField(id, "vip", `"boolean"`)
	r = h.do(req{Route: "PUT /v2/flows/{flowId}", Path: map[string]string{"flowId": id}, Headers: bearer(h.admin),
		Body: `{"data":{"type":"flow","slug":"clients"}}`})
	expect(t, r, 409)
	r = h.do(req{Route: "DELETE /v2/flows/{flowId}", Path: map[string]string{"flowId": id}, Headers: bearer(h.admin)})
	expect(t, r, 409)
	if d := fmt.Sprint(errorsOf(t, r)[0]["detail"]); !strings.Contains(d, "loyalty_tier, vip") {
		t.Errorf("409 %q: want it to name the fields", d)
	}
	for _, f := range []string{tier} {
		expect(t, h.do(req{Route: "DELETE /v2/fields/{fieldId}", Path: map[string]string{"fieldId": f}, Headers: bearer(h.admin)}), 204)
	}
	fields := h.do(req{Route: "GET /v2/flows/{flowId}/fields", Path: map[string]string{"flowId": id}, Headers: bearer(h.implicit)})
	if n := len(fields.JSON["data"].([]any)); n != 1 {
		t.Errorf("%d fields left, want vip: %s", n, fields.Body)
	}
	vip := fields.JSON["data"].([]any)[0].(map[string]any)["id"].(string)
	expect(t, h.do(req{Route: "DELETE /v2/fields/{fieldId}", Path: map[string]string{"fieldId": vip}, Headers: bearer(h.admin)}), 204)
	expect(t, h.do(req{Route: "DELETE /v2/flows/{flowId}", Path: map[string]string{"flowId": id}, Headers: bearer(h.admin)}), 204)
	expect(t, h.do(req{Route: "GET /v2/flows/{flowId}", Path: map[string]string{"flowId": id}, Headers: bearer(h.admin)}), 404)
	// The slug is free again.
	h.createFlow("customers")
}

func TestFields(t *testing.T) {
	h := newHarness(t)
	customers, other := h.createFlow("customers"), h.createFlow("wishlists")
	r := h.fieldCall(customers, `"slug":"tier","field_type":"string","description":"loyalty","required":false,"default":"bronze",
		"enabled":true,"order":3,"omit_null":true,"validation_rules":[{"type":"enum","options":["bronze","silver","gold"]}]`)
	expect(t, r, 201)
	f := data(r)
	id := f["id"].(string)
	if f["type"] != "field" || f["slug"] != "tier" || f["field_type"] != "string" || f["default"] != "bronze" || f["order"] != 3.0 ||
		f["omit_null"] != true || f["relationships"].(map[string]any)["flow"].(map[string]any)["data"].(map[string]any)["id"] != customers ||
		!strings.HasSuffix(f["links"].(map[string]any)["self"].(string), "/v2/flows/"+customers+"/fields/"+id) {
		t.Errorf("created field %v", f)
	}
	if rules := fmt.Sprint(f["validation_rules"]); rules != "[map[options:[bronze silver gold] type:enum]]" {
		t.Errorf("rules %s", rules)
	}
	// Every type with its rules.
	for _, ok := range []string{
		`"slug":"points","field_type":"integer","default":0,"validation_rules":[{"type":"between","options":{"from":0,"to":1000000}}]`,
		`"slug":"size","field_type":"integer","validation_rules":[{"type":"enum","options":[1,2,3]}]`,
		`"slug":"discount","field_type":"float","default":0.5,"validation_rules":[{"type":"between","options":{"from":0,"to":1}}]`,
		`"slug":"consent","field_type":"boolean","default":false`,
		`"slug":"birthday","field_type":"date","default":"1990-02-28"`,
		`"slug":"work_email","field_type":"string","validation_rules":[{"type":"email"}]`,
		`"slug":"handle","field_type":"string","validation_rules":[{"type":"slug"}]`,
	} {
		expect(t, h.fieldCall(customers, ok), 201)
	}
	for members, want := range map[string][2]string{
		`"slug":"email","field_type":"string"`:            {"data.slug", "built-in attribute of customers"},
		`"slug":"options","field_type":"string"`:          {"data.slug", "SDK"},
		`"slug":"meta","field_type":"string"`:             {"data.slug", "reserved"},
		`"slug":"tier","field_type":"string"`:             {"data.slug", "another field of this flow"},
		`"slug":"x","field_type":"text"`:                  {"data.field_type", "one of"},
		`"slug":"x","field_type":"integer","default":1.5`: {"data.default", "whole number"},
		`"slug":"x","field_type":"integer","default":2000,"validation_rules":[{"type":"between","options":{"from":0,"to":10}}]`: {"data.default", "from 0 to 10"},
		`"slug":"x","field_type":"string","validation_rules":[{"type":"between","options":{"from":0,"to":10}}]`:                 {"data.validation_rules[0]", "cannot have a between rule"},
		`"slug":"x","field_type":"integer","validation_rules":[{"type":"enum","options":["a"]}]`:                                {"data.validation_rules[0]", "options[0]"},
		`"slug":"x","field_type":"float","validation_rules":[{"type":"between","options":{"from":2,"to":1}}]`:                   {"data.validation_rules[0]", "from at most to"},
		`"slug":"x","field_type":"date","default":"2023-02-29"`:                                                                 {"data.default", "date"},
		`"slug":"x","field_type":"boolean","validation_rules":[{"type":"enum","options":[true]}]`:                               {"data.validation_rules[0]", "cannot have a enum rule"},
	} {
		expectInvalid(t, h.fieldCall(customers, members), want[0], want[1])
	}
	// A non-core flow's field may be called email; a field needs an existing flow.
	expect(t, h.fieldCall(other, `"slug":"email","field_type":"string"`), 201)
	expectInvalid(t, h.fieldCall("9b2d6a3e-0000-4000-8000-000000000000", `"slug":"y","field_type":"string"`), "data.relationships.flow", "names no flow")
	// Updates: partial, the type fixed, a new slug keeps the id.
	r = h.do(req{Route: "PUT /v2/fields/{fieldId}", Path: map[string]string{"fieldId": id}, Headers: bearer(h.admin),
		Body: `{"data":{"type":"field","field_type":"integer"}}`})
	expectInvalid(t, r, "data.field_type", "cannot change")
	r = h.do(req{Route: "PUT /v2/fields/{fieldId}", Path: map[string]string{"fieldId": id}, Headers: bearer(h.admin),
		Body: `{"data":{"type":"field","slug":"loyalty_tier","validation_rules":[{"type":"enum","options":["bronze","silver","gold","platinum"]}]}}`})
	expect(t, r, 200)
	if u := data(r); u["slug"] != "loyalty_tier" || u["default"] != "bronze" || u["id"] != id {
		t.Errorf("updated %v", u)
	}
	got := data(h.do(req{Route: "GET /v2/fields/{fieldId}", Path: map[string]string{"fieldId": id}, Headers: bearer(h.implicit)}))
	if got["slug"] != "loyalty_tier" {
		t.Errorf("read after the slug changed: %v", got)
	}
	// Rules that the default breaks are refused.
	r = h.do(req{Route: "PUT /v2/fields/{fieldId}", Path: map[string]string{"fieldId": id}, Headers: bearer(h.admin),
		Body: `{"data":{"type":"field","validation_rules":[{"type":"enum","options":["gold"]}]}}`})
	expectInvalid(t, r, "data.default", "must be one of")
	// The flow's fields come in their order; every field is listed.
	all := h.do(req{Route: "GET /v2/fields", Headers: bearer(h.admin)})
	if n := len(all.JSON["data"].([]any)); n != 9 {
		t.Errorf("%d fields in all, want 9", n)
	}
	list := h.do(req{Route: "GET /v2/flows/{flowId}/fields", Path: map[string]string{"flowId": "customers"}, Headers: bearer(h.implicit)})
	var slugs []string
	for _, f := range list.JSON["data"].([]any) {
		slugs = append(slugs, f.(map[string]any)["slug"].(string))
	}
	if strings.Join(slugs, ",") != "birthday,consent,discount,handle,points,size,work_email,loyalty_tier" {
		t.Errorf("fields in order: %v", slugs)
	}
}

// Concurrent creates of one slug in one flow, through a client whose overlapping
// transactions conflict as DynamoDB's do: one wins, every other is told the slug is taken
// (or, its retries spent on conflicts, a clean 503 that wrote nothing).
func TestFieldSlugRace(t *testing.T) {
	h := newHarness(t)
	flow := h.createFlow("customers")
	client, conflicts := h.db.Conflicting()
	_, handlers := h.on(h.cfg, client)
	body := `{"data":{"type":"field","name":"Tier","slug":"tier","field_type":"string",` +
		`"relationships":{"flow":{"data":{"type":"flow","id":"` + flow + `"}}}}}`
	statuses := make([]int, 10)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = h.doWith(handlers, req{Route: "POST /v2/fields", Headers: bearer(h.admin), Body: body}).Status
		}()
	}
	wg.Wait()
	won := 0
	for _, s := range statuses {
		switch s {
		case 201:
			won++
		case 422, 503:
		default:
			t.Errorf("status %d", s)
		}
	}
	if won != 1 {
		t.Errorf("%d creates won: %v", won, statuses)
	}
	fields := h.do(req{Route: "GET /v2/flows/{flowId}/fields", Path: map[string]string{"flowId": flow}, Headers: bearer(h.admin)})
	if n := len(fields.JSON["data"].([]any)); n != 1 {
		t.Errorf("%d fields, want 1", n)
	}
	t.Logf("statuses %v, %d transactions cancelled by a conflict", statuses, conflicts.Injected())
}

// A flow holds at most 100 fields.
func TestFieldsPerFlow(t *testing.T) {
	h := newHarness(t)
	flow := h.createFlow("customers")
	for i := range 100 {
		h.createField(flow, fmt.Sprintf("f%03d", i), `"boolean"`)
	}
	expectInvalid(t, h.fieldCall(flow, `"slug":"one_more","field_type":"boolean"`), "data.relationships.flow", "at most 100 fields")
}
