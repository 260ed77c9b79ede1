package samtemplate

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Values maps parameter names and resource logical ids to what a !Ref of them yields in
// a local run, like `sam local --parameter-overrides`: for example
// {"ClientId": "local-client", "Table": "customers"}. Parameters missing here fall back to
// their Default.
type Values map[string]string

// Local stand-ins for the pseudo parameters; a Values entry overrides them.
var pseudoParameters = map[string]string{
	"AWS::Region":    "us-east-1",
	"AWS::AccountId": "123456789012",
	"AWS::Partition": "aws",
	"AWS::StackName": "local",
	"AWS::StackId":   "arn:aws:cloudformation:us-east-1:123456789012:stack/local/00000000-0000-0000-0000-000000000000",
	"AWS::URLSuffix": "amazonaws.com",
}

// Environment resolves fn's environment variables (Globals merged with the function's
// own) with values.
func (t *Template) Environment(fn *Function, values Values) (map[string]string, error) {
	env := make(map[string]string, len(fn.Environment))
	for k, v := range fn.Environment {
		s, err := t.Resolve(v, values)
		if err != nil {
			return nil, fmt.Errorf("%s: environment variable %s: %w", fn.LogicalID, k, err)
		}
		env[k] = s
	}
	return env, nil
}

// Resolve evaluates a template value to a string: literals, Ref (parameters, resources
// named in values, pseudo parameters), Fn::Sub, Fn::GetAtt (a table's Arn and StreamArn)
// and Fn::Join. A Ref to a list parameter yields its comma-joined items.
func (t *Template) Resolve(v any, values Values) (string, error) {
	if s, ok := scalarString(v); ok {
		return s, nil
	}
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", fmt.Errorf("unsupported value %v", v)
	}
	for fn, arg := range m {
		switch fn {
		case "Ref":
			name, _ := arg.(string)
			return t.ref(name, values)
		case "Fn::GetAtt":
			l, ok := stringList(arg)
			if !ok || len(l) != 2 {
				return "", fmt.Errorf("Fn::GetAtt needs [Resource, Attribute], got %v", arg)
			}
			return t.getAtt(l[0], l[1], values)
		case "Fn::Sub":
			return t.sub(arg, values)
		case "Fn::Join":
			l, ok := arg.([]any)
			if !ok || len(l) != 2 {
				return "", fmt.Errorf("Fn::Join needs [delimiter, list], got %v", arg)
			}
			sep, _ := l[0].(string)
			items, err := t.ResolveList(l[1], values)
			if err != nil {
				return "", err
			}
			return strings.Join(items, sep), nil
		}
		return "", fmt.Errorf("intrinsic %s is not supported locally", fn)
	}
	panic("unreachable")
}

// ResolveList evaluates a template value that stands for a list: a literal list (each item
// resolved), or a Ref to a CommaDelimitedList parameter (split on commas, items trimmed).
func (t *Template) ResolveList(v any, values Values) ([]string, error) {
	if l, ok := v.([]any); ok {
		out := make([]string, 0, len(l))
		for _, e := range l {
			s, err := t.Resolve(e, values)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := t.Resolve(v, values)
	if err != nil {
		return nil, err
	}
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts, nil
}

func (t *Template) ref(name string, values Values) (string, error) {
	if v, ok := values[name]; ok {
		if p, isParam := t.Parameters[name]; isParam {
			return v, p.check(v)
		}
		return v, nil
	}
	if p, ok := t.Parameters[name]; ok {
		if !p.HasDefault {
			return "", fmt.Errorf("parameter %s has no value and no Default", name)
		}
		return p.Default, p.check(p.Default)
	}
	if v, ok := pseudoParameters[name]; ok {
		return v, nil
	}
	if _, ok := t.resources[name]; ok {
		return "", fmt.Errorf("no local value for resource %s (add it to Values)", name)
	}
	return "", fmt.Errorf("Ref to unknown name %q", name)
}

func (t *Template) getAtt(resource, attr string, values Values) (string, error) {
	if t.resources[resource] != TypeTable {
		return "", fmt.Errorf("Fn::GetAtt %s.%s is not supported locally", resource, attr)
	}
	name, err := t.ref(resource, values)
	if err != nil {
		return "", err
	}
	arn := "arn:aws:dynamodb:" + pseudo("AWS::Region", values) + ":" + pseudo("AWS::AccountId", values) + ":table/" + name
	switch attr {
	case "Arn":
		return arn, nil
	case "StreamArn":
		return arn + "/stream/1970-01-01T00:00:00.000", nil
	}
	return "", fmt.Errorf("Fn::GetAtt %s.%s is not supported locally", resource, attr)
}

func pseudo(name string, values Values) string {
	if v, ok := values[name]; ok {
		return v
	}
	return pseudoParameters[name]
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub evaluates Fn::Sub: "text ${Name} ${Res.Attr} ${!Literal}" or [text, {Name: value}].
func (t *Template) sub(arg any, values Values) (string, error) {
	text, ok := arg.(string)
	vars := map[string]any{}
	if l, isList := arg.([]any); isList && len(l) == 2 {
		text, ok = l[0].(string)
		vars, _ = l[1].(map[string]any)
	}
	if !ok {
		return "", fmt.Errorf("Fn::Sub needs a string or [string, map], got %v", arg)
	}
	var firstErr error
	out := subVar.ReplaceAllStringFunc(text, func(match string) string {
		name := match[2 : len(match)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		var s string
		var err error
		if v, ok := vars[name]; ok {
			s, err = t.Resolve(v, values)
		} else if res, attr, found := strings.Cut(name, "."); found {
			s, err = t.getAtt(res, attr, values)
		} else {
			s, err = t.ref(name, values)
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return s
	})
	return out, firstErr
}

// check applies the parameter's constraints the way CloudFormation does on deploy.
func (p Parameter) check(v string) error {
	if len(p.AllowedValues) > 0 && !slices.Contains(p.AllowedValues, v) {
		allowed := slices.Clone(p.AllowedValues)
		sort.Strings(allowed)
		if p.NoEcho {
			v = "****"
		}
		return fmt.Errorf("parameter %s: %q is not one of %s", p.Name, v, strings.Join(allowed, ", "))
	}
	if p.MinLength > 0 && len(v) < p.MinLength {
		return fmt.Errorf("parameter %s: value must be at least %d characters", p.Name, p.MinLength)
	}
	if p.MaxLength > 0 && len(v) > p.MaxLength {
		return fmt.Errorf("parameter %s: value must be at most %d characters", p.Name, p.MaxLength)
	}
	return nil
}
