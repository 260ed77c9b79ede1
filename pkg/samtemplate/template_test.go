package samtemplate_test

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acme/customers/pkg/dynamolocal"
	"github.com/acme/customers/pkg/samtemplate"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/awslabs/goformation/v7"
	"gopkg.in/yaml.v3"
)

// mappingValue is the value under key in a YAML mapping node, nil when absent.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// mappingValues lists the values of a YAML mapping node.
func mappingValues(n *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	for i := 1; n != nil && n.Kind == yaml.MappingNode && i < len(n.Content); i += 2 {
		out = append(out, n.Content[i])
	}
	return out
}

// root is the module root, where template.yaml, the Makefile, functions/ and events/ live.
const root = "../.."

func loadTemplate(t *testing.T) *samtemplate.Template {
	t.Helper()
	tmpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// Every function must be buildable by `sam build` and runnable by the local runner.
func TestTemplateFunctions(t *testing.T) {
	tmpl := loadTemplate(t)
	if len(tmpl.Functions) == 0 {
		t.Fatal("template declares no functions")
	}
	routes := map[string]string{}
	for _, fn := range tmpl.Functions {
		t.Run(fn.LogicalID, func(t *testing.T) {
			if fn.BuildMethod != "makefile" {
				t.Errorf("Metadata.BuildMethod = %q, want makefile", fn.BuildMethod)
			}
			if fn.Runtime != "provided.al2023" {
				t.Errorf("Runtime = %q, want provided.al2023", fn.Runtime)
			}
			if !slices.Equal(fn.Architectures, []string{"arm64"}) {
				t.Errorf("Architectures = %v, want [arm64]", fn.Architectures)
			}
			if fn.Handler != "bootstrap" {
				t.Errorf("Handler = %q, want bootstrap", fn.Handler)
			}
			// A scheduled function has one Schedule event and no route; every other
			// function exactly one HttpApi route.
			switch {
			case len(fn.Schedules) > 0:
				if len(fn.Schedules) != 1 || len(fn.Routes) != 0 {
					t.Errorf("%d Schedule and %d HttpApi events, want one Schedule alone", len(fn.Schedules), len(fn.Routes))
				}
			case len(fn.Routes) != 1:
				t.Errorf("%d HttpApi events, want exactly one", len(fn.Routes))
			default:
				if other, dup := routes[fn.RouteKey]; dup {
					t.Errorf("route %s also served by %s", fn.RouteKey, other)
				} else {
					routes[fn.RouteKey] = fn.LogicalID
				}
			}
			if _, err := os.Stat(filepath.Join(root, fn.Dir, "main.go")); err != nil {
				t.Errorf("no main package for the function: %v", err)
			}
			event := filepath.Join("events", filepath.Base(fn.Dir)+".json")
			if _, err := os.Stat(filepath.Join(root, event)); err != nil {
				t.Errorf("no event fixture: %v", err)
			}
			cmd := exec.Command("make", "-n", "build-"+fn.LogicalID, "ARTIFACTS_DIR=/tmp/artifacts")
			cmd.Dir = root
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("make -n build-%s: %v\n%s", fn.LogicalID, err, out)
			} else if !strings.Contains(string(out), "./"+fn.Dir+"\n") || !strings.Contains(string(out), "/tmp/artifacts/bootstrap") {
				t.Errorf("make -n build-%s does not build ./%s into $(ARTIFACTS_DIR)/bootstrap:\n%s", fn.LogicalID, fn.Dir, out)
			}
		})
	}
}

// The template must satisfy goformation's SAM schema too, not only this package, except
// where that schema is wrong: goformation (v7.14.9) names an HttpApi's AccessLogSettings
// "AccessLogSetting" and makes its RouteSettings one setting instead of a map of route
// keys, so those two are left out here (cfn-lint, in make test, checks them against
// SAM's own schema).
func TestTemplateGoformation(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, res := range mappingValues(mappingValue(doc.Content[0], "Resources")) {
		if typ := mappingValue(res, "Type"); typ == nil || typ.Value != samtemplate.TypeHttpApi {
			continue
		}
		props := mappingValue(res, "Properties")
		for i := 0; props != nil && i+1 < len(props.Content); {
			if k := props.Content[i].Value; k == "AccessLogSettings" || k == "RouteSettings" {
				props.Content = slices.Delete(props.Content, i, i+2)
				continue
			}
			i += 2
		}
	}
	if data, err = yaml.Marshal(&doc); err != nil {
		t.Fatal(err)
	}
	cf, err := goformation.ParseYAML(data)
	if err != nil {
		t.Fatalf("goformation.ParseYAML: %v", err)
	}
	fns := cf.GetAllServerlessFunctionResources()
	if len(fns) != len(loadTemplate(t).Functions) {
		t.Errorf("goformation sees %d functions, samtemplate %d", len(fns), len(loadTemplate(t).Functions))
	}
}

func TestTemplateParameters(t *testing.T) {
	tmpl := loadTemplate(t)
	if tmpl.Api == nil || tmpl.Api.Cors == nil {
		t.Fatal("the HttpApi has no CorsConfiguration")
	}
	if _, err := tmpl.ResolveList(tmpl.Api.Cors.AllowOrigins, nil); err != nil {
		t.Errorf("AllowOrigins: %v", err)
	}
	values := samtemplate.Values{"ClientId": "local-client", tmpl.Table.LogicalID: "customers"}
	for _, s := range tmpl.Secrets {
		values[s.LogicalID] = "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + s.LogicalID
	}
	for _, fn := range tmpl.Functions {
		if _, err := tmpl.Environment(&fn, values); err != nil {
			t.Errorf("environment: %v", err)
		}
	}
}

// The table created from the template in DynamoDB Local has the template's keys and indexes.
func TestCreateTable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	endpoint, stop, err := dynamolocal.Endpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	client, err := dynamolocal.Client(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := loadTemplate(t)
	name := "samtemplate-test-" + time.Now().Format("150405.000000")
	if err := tmpl.CreateTable(ctx, client, name); err != nil {
		t.Fatal(err)
	}
	defer client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})

	out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	desc := out.Table
	if desc.TableStatus != types.TableStatusActive {
		t.Errorf("status %s", desc.TableStatus)
	}
	if want := keys(tmpl.Table.KeySchema); !slices.Equal(describedKeys(desc.KeySchema), want) {
		t.Errorf("key schema %v, want %v", describedKeys(desc.KeySchema), want)
	}
	if tmpl.Table.BillingMode == "PAY_PER_REQUEST" &&
		(desc.BillingModeSummary == nil || desc.BillingModeSummary.BillingMode != types.BillingModePayPerRequest) {
		t.Errorf("billing mode %+v", desc.BillingModeSummary)
	}
	got := map[string]types.GlobalSecondaryIndexDescription{}
	for _, g := range desc.GlobalSecondaryIndexes {
		got[aws.ToString(g.IndexName)] = g
	}
	if len(got) != len(tmpl.Table.GlobalSecondaryIndexes) {
		t.Errorf("%d indexes, want %d", len(got), len(tmpl.Table.GlobalSecondaryIndexes))
	}
	for _, ix := range tmpl.Table.GlobalSecondaryIndexes {
		g, ok := got[ix.IndexName]
		if !ok {
			t.Errorf("index %s missing", ix.IndexName)
			continue
		}
		if !slices.Equal(describedKeys(g.KeySchema), keys(ix.KeySchema)) {
			t.Errorf("index %s keys %v, want %v", ix.IndexName, describedKeys(g.KeySchema), keys(ix.KeySchema))
		}
		if string(g.Projection.ProjectionType) != ix.Projection.ProjectionType {
			t.Errorf("index %s projection %s, want %s", ix.IndexName, g.Projection.ProjectionType, ix.Projection.ProjectionType)
		}
	}
	if ttl := tmpl.Table.TimeToLiveSpecification; ttl != nil && ttl.Enabled {
		d, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if s := d.TimeToLiveDescription; s.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(s.AttributeName) != ttl.AttributeName {
			t.Errorf("time to live %s on %q, want ENABLED on %q", s.TimeToLiveStatus, aws.ToString(s.AttributeName), ttl.AttributeName)
		}
	}

	// EnsureTable accepts the existing table.
	created, err := tmpl.EnsureTable(ctx, client, name)
	if err != nil || created {
		t.Errorf("EnsureTable on an existing table = %v, %v", created, err)
	}
}

func keys(ks []samtemplate.KeyElement) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.AttributeName+" "+k.KeyType)
	}
	return out
}

func describedKeys(ks []types.KeySchemaElement) []string {
	var out []string
	for _, k := range ks {
		out = append(out, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
	}
	return out
}

// Every function issues or verifies tokens under its stack's name: two stacks must not
// accept each other's tokens.
func TestTokenIssuerIsTheStack(t *testing.T) {
	tmpl := loadTemplate(t)
	for _, stack := range []string{"shop-prod", "shop-staging"} {
		for i := range tmpl.Functions {
			fn := &tmpl.Functions[i]
			values := samtemplate.Values{"AWS::StackName": stack, "ClientId": "c", "BcryptCost": "10", "Table": "t"}
			for _, s := range tmpl.Secrets {
				values[s.LogicalID] = "arn:" + s.LogicalID
			}
			env, err := tmpl.Environment(fn, values)
			if err != nil {
				t.Fatal(err)
			}
			if env["TOKEN_ISSUER"] != stack {
				t.Errorf("%s in stack %s: TOKEN_ISSUER = %q, want the stack name", fn.LogicalID, stack, env["TOKEN_ISSUER"])
			}
		}
	}
}

// The scheduled cleanup runs on a rate from a parameter and is not served by the API.
func TestScheduledFunction(t *testing.T) {
	tmpl := loadTemplate(t)
	fn, err := tmpl.Function("CleanupDeletedCustomersFunction")
	if err != nil {
		t.Fatal(err)
	}
	if len(fn.Schedules) != 1 || len(fn.Routes) != 0 || fn.RouteKey != "" {
		t.Fatalf("schedules %v, routes %v", fn.Schedules, fn.Routes)
	}
	s, err := tmpl.Resolve(fn.Schedules[0].Expression, samtemplate.Values{})
	if err != nil || s != "rate(15 minutes)" {
		t.Errorf("schedule %q, %v; want rate(15 minutes) by default", s, err)
	}
	for name, def := range map[string]string{"CleanupRateMinutes": "15", "CleanupRetentionDays": "0"} {
		if p := tmpl.Parameters[name]; p.Default != def {
			t.Errorf("parameter %s defaults to %q, want %s", name, p.Default, def)
		}
	}
	if fn.Timeout < 60 {
		t.Errorf("timeout %d s: too short for a run", fn.Timeout)
	}
}

// secretReaders is who may read each secret: the token functions their signing keys (and the
// access token function the client secret), the lists their cursor key, the profile writers
// and the callback the providers' sealing key. Nobody else.
var secretReaders = map[string][]string{
	"AccessTokenKeys":   {"AccessTokenFunction"},
	"CustomerTokenKeys": {"CreateCustomerTokenFunction"},
	"ClientSecret":      {"AccessTokenFunction"},
	"CursorKeys":        {"ListAddressesFunction", "ListCustomersFunction", "ListOrdersFunction"},
	"SsoKeys":           {"CreateOidcProfileFunction", "OidcCallbackFunction", "UpdateOidcProfileFunction"},
}

// TestSecrets: no secret is a parameter or in an environment; each secret is generated by
// the template, and each function's environment names (by ARN) exactly the secrets its
// policy lets it read, which are exactly those secretReaders gives it.
func TestSecrets(t *testing.T) {
	tmpl := loadTemplate(t)
	for name, p := range tmpl.Parameters {
		if p.NoEcho {
			t.Errorf("parameter %s is a secret: secrets live in Secrets Manager", name)
		}
	}
	secret := map[string]bool{}
	for _, s := range tmpl.Secrets {
		secret[s.LogicalID] = true
		if s.Key != "current" || s.Length < 64 || s.Template != "{}" {
			t.Errorf("secret %s: generate {\"current\": 64+ characters}, got %+v", s.LogicalID, s)
		}
	}
	if len(secret) != len(secretReaders) {
		t.Errorf("secrets %v, want %v", secret, secretReaders)
	}
	readers := map[string][]string{}
	for _, fn := range tmpl.Functions {
		named := map[string]bool{} // secrets its environment names
		for k, v := range fn.Environment {
			ref, _ := v.(map[string]any)["Ref"].(string)
			switch {
			case secret[ref] && strings.HasSuffix(k, "_ARN"):
				named[ref] = true
			case secret[ref]:
				t.Errorf("%s: %s names secret %s: call it *_ARN", fn.LogicalID, k, ref)
			case strings.Contains(k, "SECRET") || strings.Contains(k, "KEY"):
				t.Errorf("%s: environment variable %s looks like a secret", fn.LogicalID, k)
			}
		}
		readable := map[string]bool{} // secrets its policy lets it read
		for _, st := range fn.Statements {
			for _, a := range st.Actions {
				if !strings.HasPrefix(a, "secretsmanager:") {
					continue
				}
				if a != "secretsmanager:GetSecretValue" {
					t.Errorf("%s may %s: reading is all a function does", fn.LogicalID, a)
				}
				for _, r := range st.Resources {
					ref, _ := r.Raw.(map[string]any)["Ref"].(string)
					if !secret[ref] {
						t.Errorf("%s may read %v, not one secret by !Ref", fn.LogicalID, r.Raw)
					}
					readable[ref] = true
				}
			}
		}
		if !maps.Equal(named, readable) {
			t.Errorf("%s: its environment names the secrets %v, its policy lets it read %v", fn.LogicalID, named, readable)
		}
		for s := range readable {
			readers[s] = append(readers[s], fn.LogicalID)
		}
	}
	for s, want := range secretReaders {
		got := readers[s]
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("secret %s is read by %v, want %v", s, got, want)
		}
	}
}
