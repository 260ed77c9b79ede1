package samtemplate

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestLike(t *testing.T) {
	for _, tt := range []struct {
		pattern, s string
		want       bool
	}{
		{"SETTINGS", "SETTINGS", true},
		{"SETTINGS", "SETTINGSX", false},
		{"SETTINGS", "settings", false}, // case-sensitive
		{"*", "", true},
		{"*", "anything", true},
		{"C#*", "C#0", true},
		{"C#*", "C#", true},
		{"C#*", "CUSTOMER#1", false},
		{"C#*", "COUNT#customers#00", false},
		{"CUSTOMER#*", "CUSTOMER#0f1e", true},
		{"COUNT#customers#*", "COUNT#orders#00", false},
		{"C#?", "C#7", true},
		{"C#?", "C#17", false},
		{"C#?", "C#", false},
		{"SSO#*#*", "SSO#CODE#ab", true},
		{"SSO#*#*", "SSO#CODE", false},
		{"*#PROFILE", "CUSTOMER#1#PROFILE", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXcYb", false},
		{"É?", "Éé", true}, // a character, not a byte
		{"EMAIL#*", "EMAIL#ann@example.com", true},
	} {
		if got := Like(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Like(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

const policies = `
Resources:
  OneFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - Statement:
            - Effect: Allow
              Action: [dynamodb:GetItem, dynamodb:Query]
              Resource: [!GetAtt Things.Arn, !Sub "${Things.Arn}/index/*"]
              Condition:
                ForAllValues:StringLike:
                  dynamodb:LeadingKeys: ["CUSTOMER#*", SETTINGS]
            - Effect: Allow
              Action: dynamodb:UpdateItem
              Resource: {"Fn::GetAtt": [Things, Arn]}
              Condition:
                ForAllValues:StringEquals:
                  dynamodb:LeadingKeys: SETTINGS
                Bool:
                  aws:SecureTransport: "true"
            - Effect: Deny
              Action: [dynamodb:DeleteItem]
              Resource: "*"
            - Effect: Allow
              Action: [dynamodb:Query]
              Resource: !Sub "${Things.Arn}/index/GSI1"
              Condition:
                ForAllValues:StringLike:
                  DynamoDB:LeadingKeys: ["DELETED#*"]
        - Statement:
            Effect: Allow
            Action: [secretsmanager:GetSecretValue]
            Resource: !Ref Secret
        - DynamoDBReadPolicy:
            TableName: !Ref Things
        - AWSLambdaBasicExecutionRole
  Things:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: PK, KeyType: HASH}]
`

func TestParsePolicies(t *testing.T) {
	tmpl, err := Parse([]byte(policies))
	if err != nil {
		t.Fatal(err)
	}
	fn, err := tmpl.Function("OneFunction")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:Query", "secretsmanager:GetSecretValue"}; !reflect.DeepEqual(fn.Allowed, want) {
		t.Errorf("Allowed = %v, want %v", fn.Allowed, want)
	}
	if want := []string{"AWSLambdaBasicExecutionRole", "DynamoDBReadPolicy"}; !reflect.DeepEqual(fn.OtherPolicies, want) {
		t.Errorf("OtherPolicies = %v, want %v", fn.OtherPolicies, want)
	}
	if len(fn.Statements) != 4 {
		t.Fatalf("%d statements, want the 4 Allow ones: %+v", len(fn.Statements), fn.Statements)
	}
	read, update, deleted, secret := fn.Statements[0], fn.Statements[1], fn.Statements[2], fn.Statements[3]
	if !reflect.DeepEqual(read.LeadingKeys, []string{"CUSTOMER#*", "SETTINGS"}) || !read.LeadingKeysLike {
		t.Errorf("statement 1 leading keys %v (like %v)", read.LeadingKeys, read.LeadingKeysLike)
	}
	if !reflect.DeepEqual(update.LeadingKeys, []string{"SETTINGS"}) || update.LeadingKeysLike {
		t.Errorf("statement 2 leading keys %v (like %v)", update.LeadingKeys, update.LeadingKeysLike)
	}
	if want := map[string]any{"Bool": map[string]any{"aws:SecureTransport": "true"}}; !reflect.DeepEqual(update.Conditions, want) {
		t.Errorf("statement 2 other conditions %v, want %v", update.Conditions, want)
	}
	if !reflect.DeepEqual(deleted.LeadingKeys, []string{"DELETED#*"}) { // condition keys are not case-sensitive
		t.Errorf("statement 3 leading keys %v", deleted.LeadingKeys)
	}
	if secret.LeadingKeys != nil || len(secret.Resources) != 1 || secret.Resources[0].Table != "" {
		t.Errorf("statement 4 %+v: no condition, a resource not the table's", secret)
	}
	if want := []Resource{{Table: "Things", Raw: map[string]any{"Fn::GetAtt": []any{"Things", "Arn"}}},
		{Table: "Things", Suffix: "/index/*", Raw: map[string]any{"Fn::Sub": "${Things.Arn}/index/*"}}}; !reflect.DeepEqual(read.Resources, want) {
		t.Errorf("statement 1 resources %+v, want %+v", read.Resources, want)
	}

	for _, tt := range []struct {
		name          string
		s             Statement
		action, index string
		keys          []string
		want          bool
	}{
		{"a customer", read, "dynamodb:GetItem", "", []string{"CUSTOMER#1"}, true},
		{"action names are not case-sensitive", read, "DynamoDB:getitem", "", []string{"CUSTOMER#1"}, true},
		{"another action", read, "dynamodb:PutItem", "", []string{"CUSTOMER#1"}, false},
		{"every key must match", read, "dynamodb:GetItem", "", []string{"CUSTOMER#1", "SETTINGS", "FLOWS"}, false},
		{"each key one pattern or another", read, "dynamodb:GetItem", "", []string{"CUSTOMER#1", "SETTINGS"}, true},
		{"an index", read, "dynamodb:Query", "GSI3", []string{"CUSTOMER#1"}, true},
		{"a call without keys (a Scan)", read, "dynamodb:Query", "", nil, true},
		{"equals, not like", update, "dynamodb:UpdateItem", "", []string{"SETTINGS"}, true},
		{"equals takes no wildcard", update, "dynamodb:UpdateItem", "", []string{"SETTINGSX"}, false},
		{"the table is not its indexes", update, "dynamodb:UpdateItem", "GSI1", []string{"SETTINGS"}, false},
		{"its index", deleted, "dynamodb:Query", "GSI1", []string{"DELETED#3"}, true},
		{"another index", deleted, "dynamodb:Query", "GSI2", []string{"DELETED#3"}, false},
		{"an index is not the table", deleted, "dynamodb:Query", "", []string{"DELETED#3"}, false},
		{"not the table", secret, "secretsmanager:GetSecretValue", "", nil, false},
		{"no condition: any key", Statement{Actions: []string{"dynamodb:*"}, Resources: []Resource{{Table: "Things"}}},
			"dynamodb:Scan", "", []string{"ANYTHING"}, true},
	} {
		if got := tt.s.Allows(tt.action, "Things", tt.index, tt.keys); got != tt.want {
			t.Errorf("%s: Allows(%s, %q, %q) = %v, want %v", tt.name, tt.action, tt.index, tt.keys, got, tt.want)
		}
	}
}

func TestParsePoliciesRefused(t *testing.T) {
	for _, tt := range []struct{ name, statement, want string }{
		{"ForAnyValue holds one key, not every one", `
              Condition:
                ForAnyValue:StringLike:
                  dynamodb:LeadingKeys: ["CUSTOMER#*"]`, "only ForAllValues"},
		{"a single-valued operator on a multi-valued key", `
              Condition:
                StringEquals:
                  dynamodb:LeadingKeys: [SETTINGS]`, "only ForAllValues"},
		{"two operators", `
              Condition:
                ForAllValues:StringEquals:
                  dynamodb:LeadingKeys: [SETTINGS]
                ForAllValues:StringLike:
                  dynamodb:LeadingKeys: ["CART#*"]`, "give one"},
		{"no patterns", `
              Condition:
                ForAllValues:StringLike:
                  dynamodb:LeadingKeys: []`, "literal list of patterns"},
		{"patterns not literal", `
              Condition:
                ForAllValues:StringLike:
                  dynamodb:LeadingKeys: !Ref Prefixes`, "literal list of patterns"},
		{"NotAction", `
              NotAction: [dynamodb:Scan]`, "NotAction"},
	} {
		doc := `
Resources:
  OneFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - Statement:
            - Effect: Allow
              Action: [dynamodb:GetItem]
              Resource: !GetAtt Things.Arn` + tt.statement + "\n"
		if _, err := Parse([]byte(doc)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one saying %q", tt.name, err, tt.want)
		}
	}
}

// The service's template: every statement that lets a function reach the table names the
// partitions it may touch (pkg/handlers' TestRoundTrips holds them to what each function's
// requests do), none allows a Scan, and no SAM policy template grants the table wholesale.
func TestTemplateLeadingKeys(t *testing.T) {
	tmpl, err := Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range tmpl.Functions {
		for _, p := range fn.OtherPolicies {
			if strings.Contains(strings.ToLower(p), "dynamodb") {
				t.Errorf("%s: policy %s reaches the table without a dynamodb:LeadingKeys condition", fn.LogicalID, p)
			}
		}
		for i, s := range fn.Statements {
			onTable := slices.ContainsFunc(s.Resources, func(r Resource) bool { return r.Table == tmpl.Table.LogicalID })
			if !onTable && !strings.Contains(strings.ToLower(strings.Join(s.Actions, " ")), "dynamodb:") {
				continue
			}
			if len(s.LeadingKeys) == 0 {
				t.Errorf("%s statement %d %v: no dynamodb:LeadingKeys condition", fn.LogicalID, i+1, s.Actions)
			}
			if s.AllowsAction("dynamodb:Scan") {
				t.Errorf("%s statement %d %v: allows dynamodb:Scan, which dynamodb:LeadingKeys does not restrict", fn.LogicalID, i+1, s.Actions)
			}
		}
	}
}
