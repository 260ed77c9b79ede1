package samlocal

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/acme/customers/pkg/samtemplate"
	"github.com/acme/customers/pkg/secrets"
)

const secretsTemplate = `
Resources:
  Keys:
    Type: AWS::SecretsManager::Secret
    Properties:
      GenerateSecretString:
        SecretStringTemplate: "{}"
        GenerateStringKey: current
        PasswordLength: 64
        ExcludePunctuation: true
  ClientSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      GenerateSecretString:
        SecretStringTemplate: "{}"
        GenerateStringKey: current
        PasswordLength: 64
`

// TestLocalSecrets: the runner makes each secret of the template once (generated as
// GenerateSecretString would, the client secret from $CLIENT_SECRET or its default), keeps
// them across runs, and serves them to the functions' Secrets Manager client.
func TestLocalSecrets(t *testing.T) {
	tmpl, err := samtemplate.Parse([]byte(secretsTemplate))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Setenv("CLIENT_SECRET", "")
	start := func() (*localSecrets, samtemplate.Values) {
		t.Helper()
		values := samtemplate.Values{}
		l, err := startSecrets(dir, tmpl, values)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = l.srv.Close() })
		return l, values
	}
	l, values := start()
	ctx := context.Background()
	// Through Secrets Manager's API, as a function reads it.
	client := secrets.NewClient(aws.Config{Region: "us-east-1", Credentials: aws.CredentialsProviderFunc(
		func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local"}, nil
		})}, l.url)
	keys, err := client.Get(ctx, values["Keys"])
	if err != nil || len(keys.Current) != 64 || len(keys.Others) != 0 {
		t.Fatalf("generated %+v %v", keys, err)
	}
	cs, err := l.Get(ctx, values["ClientSecret"])
	if err != nil || cs.Current != DefaultClientSecret {
		t.Fatalf("client secret %+v %v", cs, err)
	}
	info, err := os.Stat(filepath.Join(dir, "Keys.json"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("file %v %v: want 0600", info, err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "Keys.json"))
	var doc map[string]any
	if json.Unmarshal(raw, &doc) != nil || doc["SecretString"] == nil {
		t.Errorf("file %s", raw)
	}

	// A second run keeps what the first made; $CLIENT_SECRET replaces the client secret.
	t.Setenv("CLIENT_SECRET", "from-the-environment-0123456789abcdef")
	l2, values2 := start()
	again, _ := l2.Get(ctx, values2["Keys"])
	cs2, _ := l2.Get(ctx, values2["ClientSecret"])
	if again.Current != keys.Current || cs2.Current != "from-the-environment-0123456789abcdef" {
		t.Errorf("second run: keys kept %v, client secret %q", again.Current == keys.Current, cs2.Current)
	}
}
