package samtemplate

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

const sample = `
Parameters:
  Key:
    Type: String
    NoEcho: true
    MinLength: 4
  Cost:
    Type: String
    Default: "10"
    AllowedValues: ["10", "11"]
  Origins:
    Type: CommaDelimitedList
    Default: "*"
Globals:
  Function:
    Runtime: provided.al2023
    Architectures: [arm64]
    Timeout: 10
    MemorySize: 256
    Environment:
      Variables:
        TABLE: !Ref Things
        KEY: {Ref: Key}
        SHARED: global
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration:
        AllowOrigins: !Ref Origins
        AllowMethods: [GET, POST]
        AllowHeaders: [Authorization]
        MaxAge: 600
  ZetaFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: makefile}
    Properties:
      MemorySize: 1024
      Environment:
        Variables:
          SHARED: own
          COST: !Ref Cost
          ARN: !GetAtt Things.Arn
          LONG_ARN: {"Fn::GetAtt": [Things, Arn]}
          SUB: !Sub "${Things.Arn}/index/* in ${AWS::Region} ${!Literal}"
          SUB_LIST: !Sub ["${A}-${Things}", {A: !Ref Cost}]
          JOIN: !Join [",", !Ref Origins]
          NUMBER: 42
      Events:
        Api:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Method: get, Path: "/things/{id}"}
  AlphaBetaFunction:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 3
      Events:
        One: {Type: HttpApi, Properties: {Method: POST, Path: /a}}
        Two: {Type: HttpApi, Properties: {Method: ANY, Path: /b}}
        Timer: {Type: Schedule, Properties: {Schedule: rate(1 hour)}}
  FallbackFunction:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Api: {Type: HttpApi, Properties: {ApiId: !Ref Api}}
  Things:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      TimeToLiveSpecification: {AttributeName: ttl, Enabled: true}
      AttributeDefinitions:
        - {AttributeName: PK, AttributeType: S}
        - {AttributeName: G1, AttributeType: N}
      KeySchema:
        - {AttributeName: PK, KeyType: HASH}
      GlobalSecondaryIndexes:
        - IndexName: ByG1
          KeySchema: [{AttributeName: G1, KeyType: HASH}]
          Projection: {ProjectionType: INCLUDE, NonKeyAttributes: [name]}
`

func parseSample(t *testing.T) *Template {
	t.Helper()
	tmpl, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func TestParse(t *testing.T) {
	tmpl := parseSample(t)

	if got := []string{tmpl.Functions[0].LogicalID, tmpl.Functions[1].LogicalID}; !reflect.DeepEqual(got, []string{"ZetaFunction", "AlphaBetaFunction"}) {
		t.Errorf("functions not in template order: %v", got)
	}
	z, err := tmpl.Function("ZetaFunction")
	if err != nil {
		t.Fatal(err)
	}
	if z.Dir != "functions/zeta" || z.BuildMethod != "makefile" || z.Runtime != "provided.al2023" ||
		!reflect.DeepEqual(z.Architectures, []string{"arm64"}) || z.MemorySize != 1024 || z.Timeout != 10 {
		t.Errorf("Zeta = %+v", z)
	}
	if z.Method != "GET" || z.Path != "/things/{id}" || z.RouteKey != "GET /things/{id}" {
		t.Errorf("Zeta route = %q %q %q", z.Method, z.Path, z.RouteKey)
	}
	if z.Environment["SHARED"] != "own" || !reflect.DeepEqual(z.Environment["TABLE"], map[string]any{"Ref": "Things"}) {
		t.Errorf("Zeta environment not merged: %v", z.Environment)
	}

	a, _ := tmpl.Function("AlphaBetaFunction")
	if a.Dir != "functions/alpha-beta" || a.Timeout != 3 || a.MemorySize != 256 || a.RouteKey != "" || len(a.Routes) != 2 {
		t.Errorf("AlphaBeta = %+v", a)
	}

	// An event without Method and Path is the API's $default route.
	f, _ := tmpl.Function("FallbackFunction")
	if f.Method != "ANY" || f.Path != "$default" || f.RouteKey != "$default" || len(f.Routes) != 1 || f.Routes[0].Event != "Api" {
		t.Errorf("Fallback route = %q %q %q (%+v)", f.Method, f.Path, f.RouteKey, f.Routes)
	}

	p := tmpl.Parameters["Key"]
	if !p.NoEcho || p.HasDefault || p.MinLength != 4 {
		t.Errorf("Key = %+v", p)
	}
	if c := tmpl.Parameters["Cost"]; c.Default != "10" || !c.HasDefault {
		t.Errorf("Cost = %+v", c)
	}

	cors := tmpl.Api.Cors
	if cors == nil || cors.MaxAge != 600 || !reflect.DeepEqual(cors.AllowMethods, []string{"GET", "POST"}) {
		t.Fatalf("cors = %+v", cors)
	}
	origins, err := tmpl.ResolveList(cors.AllowOrigins, Values{"Origins": "http://a.test, http://b.test"})
	if err != nil || !reflect.DeepEqual(origins, []string{"http://a.test", "http://b.test"}) {
		t.Errorf("origins = %v, %v", origins, err)
	}
	origins, _ = tmpl.ResolveList(cors.AllowOrigins, nil)
	if !reflect.DeepEqual(origins, []string{"*"}) {
		t.Errorf("default origins = %v", origins)
	}
}

func TestEnvironment(t *testing.T) {
	tmpl := parseSample(t)
	z, _ := tmpl.Function("ZetaFunction")
	arn := "arn:aws:dynamodb:us-east-1:123456789012:table/things-local"
	tests := []struct {
		name    string
		values  Values
		want    map[string]string
		wantErr string
	}{
		{
			name:   "defaults and overrides",
			values: Values{"Key": "secret", "Things": "things-local", "Origins": "x,y"},
			want: map[string]string{
				"TABLE": "things-local", "KEY": "secret", "SHARED": "own", "COST": "10",
				"ARN": arn, "LONG_ARN": arn, "SUB": arn + "/index/* in us-east-1 ${Literal}",
				"SUB_LIST": "10-things-local", "JOIN": "x,y", "NUMBER": "42",
			},
		},
		{name: "parameter without value", values: Values{"Things": "t"}, wantErr: "parameter Key has no value"},
		{name: "resource without value", values: Values{"Key": "secret"}, wantErr: "no local value for resource Things"},
		{name: "too short", values: Values{"Key": "k", "Things": "t"}, wantErr: "at least 4 characters"},
		{name: "not allowed", values: Values{"Key": "secret", "Things": "t", "Cost": "9"}, wantErr: `"9" is not one of 10, 11`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := tmpl.Environment(z, tt.values)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(env, tt.want) {
				t.Errorf("env = %v\nwant  %v", env, tt.want)
			}
		})
	}
}

func TestCreateTableInputFromSample(t *testing.T) {
	in, err := parseSample(t).CreateTableInput("things-local")
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(in.TableName) != "things-local" || in.BillingMode != types.BillingModePayPerRequest || in.ProvisionedThroughput != nil {
		t.Errorf("input = %+v", in)
	}
	if len(in.AttributeDefinitions) != 2 || in.AttributeDefinitions[1].AttributeType != types.ScalarAttributeTypeN {
		t.Errorf("attributes = %+v", in.AttributeDefinitions)
	}
	g := in.GlobalSecondaryIndexes
	if len(g) != 1 || aws.ToString(g[0].IndexName) != "ByG1" || g[0].Projection.ProjectionType != types.ProjectionTypeInclude ||
		!reflect.DeepEqual(g[0].Projection.NonKeyAttributes, []string{"name"}) {
		t.Errorf("indexes = %+v", g)
	}
}

func TestProvisionedNeedsThroughput(t *testing.T) {
	tmpl, err := Parse([]byte(`
Resources:
  T:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: PK, AttributeType: S}]
      KeySchema: [{AttributeName: PK, KeyType: HASH}]
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tmpl.CreateTableInput("ttt"); err == nil {
		t.Fatal("want an error for a PROVISIONED table without throughput")
	}
}

func TestParseErrors(t *testing.T) {
	tests := map[string]string{
		"bad GetAtt":           "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Environment: {Variables: {A: !GetAtt Nope}}\n",
		"route without path":   "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events: {E: {Type: HttpApi, Properties: {Method: GET}}}\n",
		"route without method": "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events: {E: {Type: HttpApi, Properties: {Path: /a}}}\n",
		"two $default routes": "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events: {E: {Type: HttpApi}}\n" +
			"  G:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events: {E: {Type: HttpApi, Properties: {}}}\n",
		"no resources": "Parameters: {}\n",
		"not yaml":     "a: [",
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(src)); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

func TestKebabName(t *testing.T) {
	for in, want := range map[string]string{
		"GetCustomerFunction":         "get-customer",
		"CreateCustomerTokenFunction": "create-customer-token",
		"AccessTokenFunction":         "access-token",
		"V2APIFunction":               "v2-api",
		"Purge":                       "purge",
	} {
		if got := KebabName(in); got != want {
			t.Errorf("KebabName(%q) = %q, want %q", in, got, want)
		}
	}
}
