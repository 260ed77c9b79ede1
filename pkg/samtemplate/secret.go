package samtemplate

// Secret is an AWS::SecretsManager::Secret resource: what the local runner needs to make
// one like it (GenerateSecretString).
type Secret struct {
	LogicalID string
	// Template is GenerateSecretString's SecretStringTemplate (a JSON object), Key its
	// GenerateStringKey: the generated value goes into Template under Key.
	Template, Key string
	// Length is PasswordLength (32 when unset, as Secrets Manager's default).
	Length int
	// ExcludePunctuation as in GenerateSecretString (the runner only generates letters and
	// digits, which satisfies either).
	ExcludePunctuation bool
}

func parseSecret(id string, props map[string]any) Secret {
	s := Secret{LogicalID: id, Length: 32}
	g := mapping(props, "GenerateSecretString")
	if g == nil {
		return s
	}
	s.Template, _ = scalarString(g["SecretStringTemplate"])
	s.Key, _ = scalarString(g["GenerateStringKey"])
	if n, ok := intValue(g["PasswordLength"]); ok {
		s.Length = n
	}
	s.ExcludePunctuation, _ = g["ExcludePunctuation"].(bool)
	return s
}
