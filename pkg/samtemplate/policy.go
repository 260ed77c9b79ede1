package samtemplate

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Statement is one Allow statement of a function's inline policy (Policies: - Statement:),
// read for what the tests check: its actions, its resources and its dynamodb:LeadingKeys
// condition. Deny statements are not read (the template has none).
type Statement struct {
	Actions   []string   // as written, e.g. "dynamodb:GetItem"; IAM wildcards allowed
	Resources []Resource // as written
	// LeadingKeys holds the dynamodb:LeadingKeys patterns of its condition, nil when it has
	// none (then the statement allows every key). Only ForAllValues:StringEquals and
	// ForAllValues:StringLike are accepted for that key: each key a call touches must match
	// one pattern (a call that touches no key, a Scan, matches whatever they are).
	LeadingKeys []string
	// LeadingKeysLike is true under ForAllValues:StringLike: the patterns hold IAM's
	// wildcards, * for any run of characters and ? for any one.
	LeadingKeysLike bool
	// Conditions holds the other entries of its Condition, unread (operator → key → values).
	// They only narrow what the statement allows.
	Conditions map[string]any
}

// Resource is one entry of a statement's Resource.
type Resource struct {
	// Table is the logical id of the table whose ARN the entry starts with (!GetAtt T.Arn,
	// or !Sub "${T.Arn}..."); "" for any other resource (see Raw).
	Table string
	// Suffix is what follows the table's ARN: "" for the table itself, "/index/*" for
	// every index, "/index/GSI1" for one; IAM wildcards allowed.
	Suffix string
	Raw    any // the entry, unresolved
}

// IndexSuffix is the part of an index's ARN after its table's ARN.
func IndexSuffix(index string) string { return "/index/" + index }

// Covers reports whether the resource is the table table (a logical id), or its index
// index when index is not "".
func (r Resource) Covers(table, index string) bool {
	if r.Table == "" || r.Table != table {
		return false
	}
	want := ""
	if index != "" {
		want = IndexSuffix(index)
	}
	return Like(r.Suffix, want)
}

// AllowsAction reports whether one of the statement's actions is action (IAM action names
// are not case-sensitive and may hold wildcards).
func (s Statement) AllowsAction(action string) bool {
	for _, a := range s.Actions {
		if Like(strings.ToLower(a), strings.ToLower(action)) {
			return true
		}
	}
	return false
}

// Covers reports whether one of the statement's resources is the table (a logical id), or
// its index index when index is not "".
func (s Statement) Covers(table, index string) bool {
	for _, r := range s.Resources {
		if r.Covers(table, index) {
			return true
		}
	}
	return false
}

// MatchesKey reports whether the statement's LeadingKeys condition lets a call touch the
// partition key value key: true when it has no such condition.
func (s Statement) MatchesKey(key string) bool {
	if s.LeadingKeys == nil {
		return true
	}
	for _, p := range s.LeadingKeys {
		if s.MatchesPattern(p, key) {
			return true
		}
	}
	return false
}

// MatchesPattern reports whether key matches the statement's pattern p, by its operator.
func (s Statement) MatchesPattern(p, key string) bool {
	if s.LeadingKeysLike {
		return Like(p, key)
	}
	return p == key
}

// Allows reports whether the statement allows action on the table (a logical id), or on its
// index when index is not "", for a call that touches the partition key values keys: IAM's
// ForAllValues, every key must match a pattern (so a call without keys always does).
func (s Statement) Allows(action, table, index string, keys []string) bool {
	if !s.AllowsAction(action) || !s.Covers(table, index) {
		return false
	}
	for _, k := range keys {
		if !s.MatchesKey(k) {
			return false
		}
	}
	return true
}

// Like reports whether s matches the IAM pattern p (StringLike): * matches any run of
// characters, ? any single one; everything else matches itself, case-sensitively.
func Like(p, s string) bool {
	// Iterative wildcard match with backtracking to the last *.
	pi, si := 0, 0
	star, mark := -1, 0
	pr, sr := []rune(p), []rune(s)
	for si < len(sr) {
		switch {
		case pi < len(pr) && (pr[pi] == '?' || pr[pi] == sr[si]):
			pi++
			si++
		case pi < len(pr) && pr[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pr) && pr[pi] == '*' {
		pi++
	}
	return pi == len(pr)
}

// leadingKeys is the condition key this package reads (condition keys are not
// case-sensitive).
const leadingKeys = "dynamodb:leadingkeys"

// parseStatement reads one entry of a policy's Statement.
func parseStatement(v any) (Statement, bool, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Statement{}, false, errors.New("a statement is not a mapping")
	}
	if m["Effect"] != "Allow" {
		return Statement{}, false, nil
	}
	for _, k := range []string{"NotAction", "NotResource", "NotPrincipal"} {
		if _, ok := m[k]; ok {
			return Statement{}, false, fmt.Errorf("an Allow statement with %s: not supported (say what it allows)", k)
		}
	}
	var s Statement
	if s.Actions, ok = stringList(m["Action"]); !ok {
		return s, false, errors.New("a statement's Action is not a literal list")
	}
	res := m["Resource"]
	if l, ok := res.([]any); ok {
		for _, r := range l {
			s.Resources = append(s.Resources, parseResource(r))
		}
	} else if res != nil {
		s.Resources = append(s.Resources, parseResource(res))
	}
	cond, _ := m["Condition"].(map[string]any)
	if m["Condition"] != nil && cond == nil {
		return s, false, errors.New("a statement's Condition is not a mapping")
	}
	ops := make([]string, 0, len(cond))
	for op := range cond {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	found := ""
	for _, op := range ops {
		keys, ok := cond[op].(map[string]any)
		if !ok {
			return s, false, fmt.Errorf("Condition %s is not a mapping", op)
		}
		for key, values := range keys {
			if strings.ToLower(key) != leadingKeys {
				if s.Conditions == nil {
					s.Conditions = map[string]any{}
				}
				if s.Conditions[op] == nil {
					s.Conditions[op] = map[string]any{}
				}
				s.Conditions[op].(map[string]any)[key] = values
				continue
			}
			switch op {
			case "ForAllValues:StringEquals", "ForAllValues:StringLike":
			default:
				return s, false, fmt.Errorf("%s under %s: only ForAllValues:StringEquals or ForAllValues:StringLike hold every key a call touches", key, op)
			}
			if found != "" {
				return s, false, fmt.Errorf("%s under both %s and %s: give one", key, found, op)
			}
			found = op
			patterns, ok := stringList(values)
			if !ok || len(patterns) == 0 {
				return s, false, fmt.Errorf("%s under %s: want a literal list of patterns", key, op)
			}
			s.LeadingKeys = patterns
			s.LeadingKeysLike = op == "ForAllValues:StringLike"
		}
	}
	return s, true, nil
}

// parseResource recognises the table's ARN (!GetAtt T.Arn) and the ARNs made from it
// (!Sub "${T.Arn}/index/*").
func parseResource(v any) Resource {
	r := Resource{Raw: v}
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return r
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) == 2 && ga[1] == "Arn" {
		r.Table, _ = ga[0].(string)
		return r
	}
	if sub, ok := m["Fn::Sub"].(string); ok && strings.HasPrefix(sub, "${") {
		ref, rest, ok := strings.Cut(sub[2:], "}")
		if ok && strings.HasSuffix(ref, ".Arn") && !strings.Contains(rest, "${") {
			r.Table, r.Suffix = strings.TrimSuffix(ref, ".Arn"), rest
		}
	}
	return r
}

// parsePolicies reads a function's Policies: a list (or one entry) of inline policies,
// SAM policy templates and managed policy names.
func (fn *Function) parsePolicies(v any) error {
	policies, ok := v.([]any)
	if !ok && v != nil {
		policies = []any{v}
	}
	for _, p := range policies {
		pm, ok := p.(map[string]any)
		if !ok {
			name, _ := scalarString(p) // a managed policy's name or ARN
			fn.OtherPolicies = append(fn.OtherPolicies, name)
			continue
		}
		statements, inline := pm["Statement"]
		if !inline {
			for name := range pm { // a SAM policy template: {DynamoDBReadPolicy: {...}}
				fn.OtherPolicies = append(fn.OtherPolicies, name)
			}
			continue
		}
		list, ok := statements.([]any)
		if !ok {
			list = []any{statements}
		}
		for i, st := range list {
			s, allow, err := parseStatement(st)
			if err != nil {
				return fmt.Errorf("statement %d: %w", i+1, err)
			}
			if allow {
				fn.Statements = append(fn.Statements, s)
				fn.Allowed = append(fn.Allowed, s.Actions...)
			}
		}
	}
	sort.Strings(fn.OtherPolicies)
	return nil
}
