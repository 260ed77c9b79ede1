// Package samtemplate reads the service's AWS SAM template (template.yaml), the single
// source of facts for the local runner and the tests: parameters, functions and their
// HttpApi routes, the HttpApi CORS configuration and the DynamoDB table. It understands
// the CloudFormation short-form tags (!Ref, !Sub, !GetAtt, ...) and resolves the
// intrinsics a local run needs, like `sam local --parameter-overrides`.
package samtemplate

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Resource types this package reads.
const (
	TypeFunction = "AWS::Serverless::Function"
	TypeHttpApi  = "AWS::Serverless::HttpApi"
	TypeTable    = "AWS::DynamoDB::Table"
	TypeSecret   = "AWS::SecretsManager::Secret"
)

// Template is the part of a SAM template the local runner needs.
type Template struct {
	Parameters map[string]Parameter
	Functions  []Function // in template order
	Api        *HttpApi   // nil when the template declares no AWS::Serverless::HttpApi
	Table      *Table     // the single AWS::DynamoDB::Table, nil when there is none
	Secrets    []Secret   // the AWS::SecretsManager::Secret resources, in template order

	resources map[string]string // logical id -> type
	defaultBy string            // the function serving the $default route
}

// Parameter is one entry of the template's Parameters section.
type Parameter struct {
	Name          string
	Type          string // String, Number, CommaDelimitedList, ...
	Default       string
	HasDefault    bool
	NoEcho        bool
	AllowedValues []string
	MinLength     int // 0 when unset
	MaxLength     int // 0 when unset
}

// Function is an AWS::Serverless::Function with the template's Globals.Function applied.
type Function struct {
	LogicalID     string
	Dir           string // functions/<kebab-case of LogicalID without "Function">, as the Makefile builds it
	BuildMethod   string // Metadata.BuildMethod
	Runtime       string
	Handler       string
	Architectures []string
	MemorySize    int // MB
	Timeout       int // seconds
	// Environment holds Environment.Variables from Globals.Function merged with the
	// function's own, unresolved: each value is a literal or an intrinsic such as
	// {"Ref": "Table"}. Template.Environment resolves them.
	Environment map[string]any
	Routes      []Route // the function's HttpApi events
	// Schedules lists its Schedule events (EventBridge rules), unresolved: each is a
	// literal such as "rate(15 minutes)" or an intrinsic such as a !Sub.
	Schedules []Schedule
	// Statements are the Allow statements of its inline policies (Policies: - Statement:),
	// in template order; Allowed lists their actions (e.g. "dynamodb:GetItem").
	Statements []Statement
	Allowed    []string
	// OtherPolicies names its Policies entries that are not inline statements: SAM policy
	// templates (e.g. "DynamoDBReadPolicy") and managed policies, unread.
	OtherPolicies []string

	// Method, Path and RouteKey repeat the function's only HttpApi route; they are empty
	// when it has none or several.
	Method, Path, RouteKey string
}

// DefaultRoute is the path (and the route key) of an HttpApi's $default route, which
// serves every request no other route matches: an HttpApi event with neither Method nor
// Path. Its method is ANY.
const DefaultRoute = "$default"

// Route is one HttpApi event of a function.
type Route struct {
	Event  string // the event's name under Events
	Method string // upper case; "ANY" matches every method
	Path   string // e.g. /v2/customers/{customerId}, or DefaultRoute
}

// RouteKey returns API Gateway's route key: "METHOD /path", or "$default".
func (r Route) RouteKey() string {
	if r.Path == DefaultRoute {
		return DefaultRoute
	}
	return r.Method + " " + r.Path
}

// Schedule is one Schedule event of a function (a scheduled, not an HTTP, function).
type Schedule struct {
	Event      string // the event's name under Events
	Expression any    // Properties.Schedule, unresolved
}

// HttpApi is the template's AWS::Serverless::HttpApi.
type HttpApi struct {
	LogicalID string
	Cors      *Cors // nil when the API has no CorsConfiguration
}

// Cors is an HttpApi CorsConfiguration.
type Cors struct {
	// AllowOrigins is unresolved: a list, or a !Ref to a CommaDelimitedList parameter.
	// Resolve it with Template.ResolveList.
	AllowOrigins     any
	AllowMethods     []string
	AllowHeaders     []string
	ExposeHeaders    []string
	AllowCredentials bool
	MaxAge           int // seconds; 0 when unset
}

// Load reads and parses the SAM template at path.
func Load(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Parse parses a SAM template.
func Parse(data []byte) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	root, err := toValue(&doc)
	if err != nil {
		return nil, err
	}
	top, ok := root.(map[string]any)
	if !ok {
		return nil, errors.New("template is not a mapping")
	}
	t := &Template{Parameters: map[string]Parameter{}, resources: map[string]string{}}
	if err := t.parseParameters(mapping(top, "Parameters")); err != nil {
		return nil, err
	}
	resources := mapping(top, "Resources")
	if resources == nil {
		return nil, errors.New("template has no Resources")
	}
	globals := mapping(top, "Globals")
	for _, id := range resourceOrder(&doc, resources) {
		res, _ := resources[id].(map[string]any)
		typ, _ := res["Type"].(string)
		t.resources[id] = typ
		props := mapping(res, "Properties")
		switch typ {
		case TypeFunction:
			fn, err := parseFunction(id, res, mapping(globals, "Function"))
			if err != nil {
				return nil, fmt.Errorf("resource %s: %w", id, err)
			}
			for _, rt := range fn.Routes {
				if rt.Path != DefaultRoute {
					continue
				}
				if t.defaultBy != "" {
					return nil, fmt.Errorf("resource %s: the HttpApi's $default route is already %s's; an API has one", id, t.defaultBy)
				}
				t.defaultBy = id
			}
			t.Functions = append(t.Functions, fn)
		case TypeHttpApi:
			if t.Api != nil {
				return nil, fmt.Errorf("resource %s: only one %s is supported", id, TypeHttpApi)
			}
			api, err := parseHttpApi(id, props, mapping(globals, "HttpApi"))
			if err != nil {
				return nil, fmt.Errorf("resource %s: %w", id, err)
			}
			t.Api = api
		case TypeTable:
			if t.Table != nil {
				return nil, fmt.Errorf("resource %s: only one %s is supported", id, TypeTable)
			}
			tbl, err := parseTable(id, props)
			if err != nil {
				return nil, fmt.Errorf("resource %s: %w", id, err)
			}
			t.Table = tbl
		case TypeSecret:
			t.Secrets = append(t.Secrets, parseSecret(id, props))
		}
	}
	return t, nil
}

// Function returns the function with the given logical id.
func (t *Template) Function(logicalID string) (*Function, error) {
	for i := range t.Functions {
		if t.Functions[i].LogicalID == logicalID {
			return &t.Functions[i], nil
		}
	}
	return nil, fmt.Errorf("template has no function %q", logicalID)
}

// resourceOrder lists the logical ids of Resources in the order the file declares them.
func resourceOrder(doc *yaml.Node, resources map[string]any) []string {
	var ids []string
	if len(doc.Content) > 0 {
		top := doc.Content[0]
		for i := 0; i+1 < len(top.Content); i += 2 {
			if top.Content[i].Value != "Resources" {
				continue
			}
			res := top.Content[i+1]
			for j := 0; j+1 < len(res.Content); j += 2 {
				ids = append(ids, res.Content[j].Value)
			}
		}
	}
	if len(ids) != len(resources) { // e.g. merge keys: fall back to sorted ids
		ids = ids[:0]
		for id := range resources {
			ids = append(ids, id)
		}
		sort.Strings(ids)
	}
	return ids
}

func (t *Template) parseParameters(params map[string]any) error {
	for name, v := range params {
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("parameter %s is not a mapping", name)
		}
		p := Parameter{Name: name}
		p.Type, _ = m["Type"].(string)
		if d, ok := m["Default"]; ok {
			if p.Default, ok = scalarString(d); !ok {
				if l, ok := stringList(d); ok { // a list default for a list type
					p.Default = strings.Join(l, ",")
				} else {
					return fmt.Errorf("parameter %s: Default is not a literal", name)
				}
			}
			p.HasDefault = true
		}
		if s, ok := scalarString(m["NoEcho"]); ok {
			p.NoEcho = s == "true"
		}
		p.AllowedValues, _ = stringList(m["AllowedValues"])
		p.MinLength, _ = intValue(m["MinLength"])
		p.MaxLength, _ = intValue(m["MaxLength"])
		t.Parameters[name] = p
	}
	return nil
}

func parseFunction(id string, res, globals map[string]any) (Function, error) {
	props := mapping(res, "Properties")
	// prop returns the function's property, or the Globals.Function one.
	prop := func(key string) any {
		if v, ok := props[key]; ok {
			return v
		}
		return globals[key]
	}
	fn := Function{LogicalID: id, Dir: "functions/" + KebabName(id), Environment: map[string]any{}}
	fn.BuildMethod, _ = mapping(res, "Metadata")["BuildMethod"].(string)
	fn.Runtime, _ = scalarString(prop("Runtime"))
	fn.Handler, _ = scalarString(prop("Handler"))
	fn.Architectures, _ = stringList(prop("Architectures"))
	if len(fn.Architectures) == 0 {
		fn.Architectures = []string{"x86_64"} // the Lambda default
	}
	var ok bool
	if fn.MemorySize, ok = intValue(prop("MemorySize")); !ok {
		fn.MemorySize = 128 // the Lambda default
	}
	if fn.Timeout, ok = intValue(prop("Timeout")); !ok {
		fn.Timeout = 3 // the Lambda default
	}
	for _, src := range []map[string]any{globals, props} {
		for k, v := range mapping(mapping(src, "Environment"), "Variables") {
			fn.Environment[k] = v
		}
	}
	if err := fn.parsePolicies(props["Policies"]); err != nil {
		return fn, fmt.Errorf("Policies: %w", err)
	}
	events := mapping(props, "Events")
	names := make([]string, 0, len(events))
	for name := range events {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ev, _ := events[name].(map[string]any)
		if ev["Type"] == "Schedule" {
			expr, ok := mapping(ev, "Properties")["Schedule"]
			if !ok {
				return fn, fmt.Errorf("Schedule event %s has no Properties.Schedule", name)
			}
			fn.Schedules = append(fn.Schedules, Schedule{Event: name, Expression: expr})
			continue
		}
		if ev["Type"] != "HttpApi" {
			continue
		}
		p := mapping(ev, "Properties")
		method, _ := scalarString(p["Method"])
		path, _ := scalarString(p["Path"])
		switch {
		case method == "" && path == "":
			// SAM makes an event without either the API's $default route: it serves every
			// request no other route matches.
			method, path = "ANY", DefaultRoute
		case method == "" || path == "":
			return fn, fmt.Errorf("HttpApi event %s needs both Method and Path, or neither (the $default route)", name)
		}
		method = strings.ToUpper(method)
		if method == "*" {
			method = "ANY"
		}
		fn.Routes = append(fn.Routes, Route{Event: name, Method: method, Path: path})
	}
	if len(fn.Routes) == 1 {
		fn.Method, fn.Path, fn.RouteKey = fn.Routes[0].Method, fn.Routes[0].Path, fn.Routes[0].RouteKey()
	}
	return fn, nil
}

func parseHttpApi(id string, props, globals map[string]any) (*HttpApi, error) {
	api := &HttpApi{LogicalID: id}
	cfg, ok := props["CorsConfiguration"]
	if !ok {
		cfg, ok = globals["CorsConfiguration"]
	}
	if !ok {
		return api, nil
	}
	switch c := cfg.(type) {
	case bool:
		if c {
			api.Cors = &Cors{AllowOrigins: []any{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}}
		}
		return api, nil
	case map[string]any:
		cors := &Cors{AllowOrigins: c["AllowOrigins"]}
		for key, dst := range map[string]*[]string{
			"AllowMethods": &cors.AllowMethods, "AllowHeaders": &cors.AllowHeaders, "ExposeHeaders": &cors.ExposeHeaders,
		} {
			if *dst, ok = stringList(c[key]); !ok {
				return nil, fmt.Errorf("CorsConfiguration.%s must be a literal list", key)
			}
		}
		if s, ok := scalarString(c["AllowCredentials"]); ok {
			cors.AllowCredentials = s == "true"
		}
		cors.MaxAge, _ = intValue(c["MaxAge"])
		api.Cors = cors
		return api, nil
	}
	return nil, errors.New("CorsConfiguration must be a boolean or a mapping")
}

// KebabName turns a function's logical id into its folder name the way the Makefile does:
// drop a trailing "Function", put a dash before each upper-case letter that follows a
// lower-case letter or digit, lower-case everything (GetCustomerFunction -> get-customer).
func KebabName(logicalID string) string {
	name := strings.TrimSuffix(logicalID, "Function")
	var b strings.Builder
	for i, r := range name {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				prev := name[i-1]
				if prev >= 'a' && prev <= 'z' || prev >= '0' && prev <= '9' {
					b.WriteByte('-')
				}
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
