package samlocal

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/acme/customers/pkg/samtemplate"
	"github.com/acme/customers/pkg/secrets"
)

// DefaultClientSecret is the local client secret unless $CLIENT_SECRET says otherwise; the
// template's other secrets (the signing keys, the sealing keys) are generated on first run.
const DefaultClientSecret = "local-client-secret-not-for-production"

// secretEnv maps a template secret to the environment variable that sets its current
// value locally, with its local default; the others are generated.
var secretEnv = map[string]struct{ env, def string }{
	"ClientSecret": {"CLIENT_SECRET", DefaultClientSecret},
}

// localSecrets is Secrets Manager for the runner's functions: every
// AWS::SecretsManager::Secret of the template, kept under dir (made on first run as the
// template's GenerateSecretString would, or set from the environment), served over HTTP
// at an address the functions get as AWS_ENDPOINT_URL_SECRETS_MANAGER.
type localSecrets struct {
	*secrets.Local
	url string
	srv *http.Server
}

func startSecrets(dir string, tmpl *samtemplate.Template, values samtemplate.Values) (*localSecrets, error) {
	l, err := secrets.NewLocal(dir)
	if err != nil {
		return nil, err
	}
	for _, s := range tmpl.Secrets {
		id := localSecretARN(s.LogicalID, values)
		values[s.LogicalID] = id
		if e, ok := secretEnv[s.LogicalID]; ok {
			want := secrets.Set{Current: cmp.Or(os.Getenv(e.env), e.def)}
			made, err := l.Ensure(id, func() (string, error) { return want.Encode(), nil })
			if err != nil {
				return nil, fmt.Errorf("samlocal: secret %s: %w", s.LogicalID, err)
			}
			if cur, err := l.Get(context.Background(), id); !made && (err != nil || cur.Current != want.Current) {
				if err := l.Put(id, want); err != nil {
					return nil, err
				}
			}
			continue
		}
		if _, err := l.Ensure(id, func() (string, error) { return generated(s) }); err != nil {
			return nil, fmt.Errorf("samlocal: secret %s: %w", s.LogicalID, err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: l}
	go func() { _ = srv.Serve(ln) }()
	return &localSecrets{Local: l, url: "http://" + ln.Addr().String(), srv: srv}, nil
}

// localSecretARN is the ARN !Ref of a secret yields locally.
func localSecretARN(logicalID string, values samtemplate.Values) string {
	return "arn:aws:secretsmanager:" + cmp.Or(values["AWS::Region"], "us-east-1") + ":" +
		cmp.Or(values["AWS::AccountId"], "123456789012") + ":secret:" + logicalID
}

// generated is a value made as GenerateSecretString makes it: Length random letters and
// digits, alone or under Key in Template.
func generated(s samtemplate.Secret) (string, error) {
	v := secrets.Generate(s.Length)
	if s.Key == "" {
		return v, nil
	}
	doc := map[string]any{}
	if s.Template != "" {
		if err := json.Unmarshal([]byte(s.Template), &doc); err != nil {
			return "", fmt.Errorf("SecretStringTemplate is not a JSON object: %w", err)
		}
	}
	doc[s.Key] = v
	b, err := json.Marshal(doc)
	return string(b), err
}
