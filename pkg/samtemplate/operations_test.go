package samtemplate

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// rawTemplate is template.yaml as plain values (short-form tags in their long form).
func rawTemplate(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	v, err := toValue(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return v.(map[string]any)
}

// The operable deployment (README, Operating) stays in the template: JSON logs into a log
// group with the retention parameter, the API's access log without personal data, alarms
// that notify the topic when there is one, gradual deploys rolled back by alarms, reserved
// concurrency on the bcrypt-bound functions, stricter throttles on sign-up and log-in, the
// table protected from deletion. The local runner reads the same template (Parse).
func TestOperableDeployment(t *testing.T) {
	tmpl := rawTemplate(t)
	params := mapping(tmpl, "Parameters")
	resources := mapping(tmpl, "Resources")
	globals := mapping(mapping(tmpl, "Globals"), "Function")
	conditions := mapping(tmpl, "Conditions")
	props := func(id string) map[string]any { return mapping(mapping(resources, id), "Properties") }
	ref := func(name string) map[string]any { return map[string]any{"Ref": name} }
	ifTopic := map[string]any{"Fn::If": []any{"HasAlarmTopic", []any{ref("AlarmTopicArn")}, ref("AWS::NoValue")}}

	if d, _ := scalarString(mapping(params, "LogRetentionDays")["Default"]); d != "30" {
		t.Errorf("LogRetentionDays default %q, want 30", d)
	}
	for _, p := range []string{"AlarmTopicArn", "BcryptReservedConcurrency"} {
		if d, _ := scalarString(mapping(params, p)["Default"]); d != "" && d != "0" {
			t.Errorf("%s default %q: an empty topic and 0 mean none", p, d)
		}
	}
	for _, c := range []string{"HasAlarmTopic", "ReservesBcryptConcurrency"} {
		if conditions[c] == nil {
			t.Errorf("no condition %s", c)
		}
	}

	// Logs.
	logging := mapping(globals, "LoggingConfig")
	if logging["LogFormat"] != "JSON" || !reflect.DeepEqual(logging["LogGroup"], ref("FunctionLogs")) {
		t.Errorf("Globals.Function.LoggingConfig = %v", logging)
	}
	if lvl, _ := logging["ApplicationLogLevel"].(string); lvl != "" && lvl != "INFO" && lvl != "DEBUG" && lvl != "TRACE" {
		t.Errorf("ApplicationLogLevel %s drops the metrics lines (INFO)", lvl)
	}
	for _, g := range []string{"FunctionLogs", "ApiAccessLogs"} {
		if mapping(resources, g)["Type"] != "AWS::Logs::LogGroup" || !reflect.DeepEqual(props(g)["RetentionInDays"], ref("LogRetentionDays")) {
			t.Errorf("%s: %v", g, resources[g])
		}
	}
	env := mapping(mapping(globals, "Environment"), "Variables")
	if !reflect.DeepEqual(env["METRICS_NAMESPACE"], ref("AWS::StackName")) {
		t.Errorf("METRICS_NAMESPACE = %v, want the stack's name", env["METRICS_NAMESPACE"])
	}

	// The API: its access log holds no personal data; sign-up and log-in throttled harder.
	api := props("Api")
	access := mapping(api, "AccessLogSettings")
	if !reflect.DeepEqual(access["DestinationArn"], map[string]any{"Fn::GetAtt": []any{"ApiAccessLogs", "Arn"}}) {
		t.Errorf("AccessLogSettings.DestinationArn = %v", access["DestinationArn"])
	}
	format, _ := access["Format"].(string)
	for _, want := range []string{"$context.requestId", "$context.integration.requestId", "$context.routeKey", "$context.status", "$context.responseLatency"} {
		if !strings.Contains(format, want) {
			t.Errorf("the access log lacks %s", want)
		}
	}
	for _, personal := range []string{"sourceIp", "path", "requestOverride", "header", "userAgent", "querystring", "queryString", "body", "authorizer", "identity"} {
		if strings.Contains(strings.ToLower(format), strings.ToLower(personal)) {
			t.Errorf("the access log has %s", personal)
		}
	}
	def := mapping(api, "DefaultRouteSettings")
	routes := mapping(api, "RouteSettings")
	for _, route := range []string{"POST /v2/customers", "POST /v2/customers/tokens"} {
		rs := mapping(routes, route)
		for _, k := range []string{"ThrottlingRateLimit", "ThrottlingBurstLimit"} {
			v, ok1 := intValue(rs[k])
			d, ok2 := intValue(def[k])
			if !ok1 || !ok2 || v >= d {
				t.Errorf("%s %s = %v, want less than the default %v", route, k, rs[k], def[k])
			}
		}
	}

	// Deploys.
	if globals["AutoPublishAlias"] != "live" {
		t.Errorf("AutoPublishAlias = %v", globals["AutoPublishAlias"])
	}
	pref := mapping(globals, "DeploymentPreference")
	rollback, _ := pref["Alarms"].([]any)
	if pref["Type"] == nil || len(rollback) == 0 {
		t.Errorf("DeploymentPreference = %v, want a type and alarms", pref)
	}
	for _, a := range rollback {
		m, _ := a.(map[string]any)
		name, _ := m["Ref"].(string)
		if mapping(resources, name)["Type"] != "AWS::CloudWatch::Alarm" {
			t.Errorf("rollback alarm %v is not an alarm of the template", a)
		}
	}
	for _, fn := range []string{"CreateCustomerFunction", "CreateCustomerTokenFunction", "UpdateCustomerFunction"} {
		want := map[string]any{"Fn::If": []any{"ReservesBcryptConcurrency", ref("BcryptReservedConcurrency"), ref("AWS::NoValue")}}
		if !reflect.DeepEqual(props(fn)["ReservedConcurrentExecutions"], want) {
			t.Errorf("%s ReservedConcurrentExecutions = %v", fn, props(fn)["ReservedConcurrentExecutions"])
		}
	}
	table := mapping(resources, "Table")
	if props("Table")["DeletionProtectionEnabled"] != true || table["DeletionPolicy"] != "Retain" || table["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("the table is not protected: %v", table)
	}

	// Alarms: each notifies the topic, when there is one, going into ALARM and back.
	var alarms []string
	for id, r := range resources {
		if mapping(resources, id)["Type"] != "AWS::CloudWatch::Alarm" {
			continue
		}
		alarms = append(alarms, id)
		p := mapping(r.(map[string]any), "Properties")
		if !reflect.DeepEqual(p["AlarmActions"], ifTopic) || !reflect.DeepEqual(p["OKActions"], ifTopic) {
			t.Errorf("%s: AlarmActions %v, OKActions %v", id, p["AlarmActions"], p["OKActions"])
		}
		if p["TreatMissingData"] != "notBreaching" {
			t.Errorf("%s: TreatMissingData %v (no traffic is not an incident)", id, p["TreatMissingData"])
		}
	}
	for _, want := range []string{"ServerErrorsAlarm", "Http503Alarm", "LoginThrottledAlarm", "ApiServerErrorRateAlarm",
		"TableThrottlesAlarm", "LambdaErrorsAlarm", "LambdaThrottlesAlarm"} {
		if !slices.Contains(alarms, want) {
			t.Errorf("no %s", want)
		}
	}

	// The local runner reads it all the same.
	data, _ := os.ReadFile("../../template.yaml")
	parsed, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	fn, err := parsed.Function("CreateCustomerTokenFunction")
	if err != nil {
		t.Fatal(err)
	}
	values := Values{"ClientId": "local-client", "Table": "customers"}
	for _, s := range parsed.Secrets {
		values[s.LogicalID] = "arn:" + s.LogicalID
	}
	got, err := parsed.Environment(fn, values)
	if err != nil || got["METRICS_NAMESPACE"] != "local" {
		t.Errorf("environment %v, %v: want METRICS_NAMESPACE the local stack's name", got, err)
	}
}
