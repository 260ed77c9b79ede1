package secrets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sigv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/problem"
)

const testRegion = "eu-west-1"

var testCreds = staticCreds("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "")

// staticCreds provides fixed credentials.
func staticCreds(id, secret, token string) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token, Source: "test"}, nil
	})
}

// signingTime is the fixed time both clients sign at in the comparison.
var signingTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func testClient(endpoint string) *Client {
	return NewClient(aws.Config{Region: testRegion, Credentials: testCreds}, endpoint)
}

func TestNewClientEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      aws.Config
		endpoint string
		want     string
	}{
		{"the region's", aws.Config{Region: "us-east-2"}, "", "https://secretsmanager.us-east-2.amazonaws.com/"},
		{"the config's", aws.Config{Region: "us-east-2", BaseEndpoint: aws.String("http://localhost:4566")}, "", "http://localhost:4566/"},
		{"the argument's", aws.Config{Region: "us-east-2", BaseEndpoint: aws.String("http://localhost:4566")}, "http://127.0.0.1:3999/", "http://127.0.0.1:3999/"},
		{"one slash", aws.Config{Region: "us-east-2"}, "http://127.0.0.1:3999", "http://127.0.0.1:3999/"},
	} {
		c := NewClient(tc.cfg, tc.endpoint)
		if c.endpoint != tc.want || c.region != tc.cfg.Region || c.http.Timeout != Timeout || c.signer == nil || c.now == nil {
			t.Errorf("%s: %+v, want endpoint %s", tc.name, c, tc.want)
		}
	}
	if Timeout != 5*time.Second || EndpointEnv != "AWS_ENDPOINT_URL_SECRETS_MANAGER" {
		t.Error("constants changed")
	}
}

func TestCreatedTime(t *testing.T) {
	for epoch, want := range map[float64]time.Time{
		0:                  time.Unix(0, 0).UTC(),
		1772600767:         time.Unix(1772600767, 0).UTC(),
		1772600767.125:     time.UnixMilli(1772600767125).UTC(),
		1772600767.1239999: time.UnixMilli(1772600767124).UTC(),
		1772600767.0004:    time.UnixMilli(1772600767000).UTC(),
	} {
		if got := createdTime(epoch); !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("createdTime(%v) = %v, want %v", epoch, got, want)
		}
	}
}

// recorded is one request as a server received it.
type recorded struct {
	method, path string
	header       http.Header
	body         []byte
}

// answering is a Secrets Manager that records requests and gives fixed answers.
type answering struct {
	mu       sync.Mutex
	requests []recorded
	status   int
	body     string
}

func (a *answering) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.requests = append(a.requests, recorded{r.Method, r.URL.Path, r.Header.Clone(), b})
	status, body := a.status, a.body
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func (a *answering) last() recorded {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.requests[len(a.requests)-1]
}

func TestClientRequests(t *testing.T) {
	a := &answering{status: 200, body: `{"ARN":"arn","Name":"keys","SecretString":` + mustJSON(Set{Current: val1, Others: []string{val2}}.Encode()) + `,"CreatedDate":1772600767.125}`}
	srv := httptest.NewServer(a)
	defer srv.Close()
	c := testClient(srv.URL)
	c.now = func() time.Time { return signingTime }

	s, err := c.Get(ctx, "keys")
	if err != nil || s.Current != val1 || len(s.Others) != 1 || s.Others[0] != val2 || !s.Created.Equal(time.UnixMilli(1772600767125)) {
		t.Fatalf("Get = %+v, %v", s, err)
	}
	r := a.last()
	if r.method != "POST" || r.path != "/" || string(r.body) != `{"SecretId":"keys"}` ||
		r.header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" || r.header.Get("Content-Type") != "application/x-amz-json-1.1" ||
		r.header.Get("X-Amz-Date") != "20260102T030405Z" ||
		!strings.HasPrefix(r.header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260102/eu-west-1/secretsmanager/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-target, Signature=") {
		t.Errorf("GetSecretValue request: %+v %s", r, r.body)
	}

	a.body = `{"ARN":"arn","Name":"keys","VersionId":"x"}`
	tokens := map[string]bool{}
	for range 2 {
		if err := c.Put(ctx, "keys", Set{Current: val2, Others: []string{val1}}); err != nil {
			t.Fatal(err)
		}
		r = a.last()
		var in map[string]string
		if err := json.Unmarshal(r.body, &in); err != nil {
			t.Fatal(err)
		}
		if len(in) != 3 || in["SecretId"] != "keys" || in["SecretString"] != (Set{Current: val2, Others: []string{val1}}).Encode() ||
			!id.Valid(in["ClientRequestToken"]) || r.header.Get("X-Amz-Target") != "secretsmanager.PutSecretValue" {
			t.Errorf("PutSecretValue request: %s %v", r.body, r.header)
		}
		tokens[in["ClientRequestToken"]] = true
	}
	if len(tokens) != 2 {
		t.Error("two puts have one ClientRequestToken: the second would be ignored as a retry")
	}

	// Temporary credentials sign with their token, as the SDK does.
	c.creds = staticCreds("ASIAEXAMPLE", "secret", "session-token")
	c.Get(ctx, "keys")
	if r := a.last(); r.header.Get("X-Amz-Security-Token") != "session-token" ||
		!strings.Contains(r.header.Get("Authorization"), "x-amz-security-token") {
		t.Errorf("temporary credentials: %v", r.header)
	}
}

type failingCreds struct{}

func (failingCreds) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{}, errors.New("no credentials in the environment")
}

func TestClientErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		body      string
		code, msg string
		transient bool
	}{
		{"not found", 400, `{"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}`, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.", false},
		{"a namespaced type, Message", 400, `{"__type":"com.amazonaws.secretsmanager#ThrottlingException","Message":"Rate exceeded"}`, "ThrottlingException", "Rate exceeded", true},
		{"a type after a bare #", 400, `{"__type":"#DecryptionFailure","message":"kms"}`, "DecryptionFailure", "kms", false},
		{"access denied", 400, `{"__type":"AccessDeniedException","Message":"not authorized"}`, "AccessDeniedException", "not authorized", false},
		{"a 500 of HTML", 500, `<html>oops</html>`, "", "", true},
		{"a 503 without a body", 503, ``, "", "", true},
		{"a 403 of the signature", 403, `{"__type":"InvalidSignatureException","message":"bad"}`, "InvalidSignatureException", "bad", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(&answering{status: tc.status, body: tc.body})
			defer srv.Close()
			c := testClient(srv.URL)
			for op, call := range map[string]func() error{
				"Get": func() error { _, err := c.Get(ctx, "keys"); return err },
				"Put": func() error { return c.Put(ctx, "keys", Set{Current: val1}) },
			} {
				err := call()
				var e *Error
				if !errors.As(err, &e) || e.Status != tc.status || e.Code != tc.code || e.Message != tc.msg {
					t.Errorf("%s: %#v", op, err)
				}
				if e != nil && (!strings.Contains(e.Error(), tc.code) || !strings.Contains(e.Error(), tc.msg)) {
					t.Errorf("%s: Error() = %s", op, e.Error())
				}
			}
			_, err := NewValue(c, "keys", time.Hour, nil).Get(ctx)
			if problem.Is(err, problem.Unavailable) != tc.transient {
				t.Errorf("through a Value: %v, want 503 %v", err, tc.transient)
			}
		})
	}

	for _, tc := range []struct {
		name, body string
		malformed  bool
	}{
		{"a 200 that is not JSON", `<html>`, false},
		{"a 200 cut short", `{"SecretString":"`, false},
		{"a 200 over a MiB", `{"SecretString":"` + strings.Repeat("a", 1<<20) + `"}`, false},
		{"a malformed secret", `{"SecretString":"not a set","CreatedDate":1}`, true},
		{"a binary secret", `{"SecretBinary":"AAAA","CreatedDate":1}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(&answering{status: 200, body: tc.body})
			defer srv.Close()
			_, err := testClient(srv.URL).Get(ctx, "keys")
			var e *Error
			if err == nil || errors.As(err, &e) || errors.Is(err, errMalformed) != tc.malformed {
				t.Errorf("err = %v", err)
			}
			if tc.malformed && !strings.Contains(err.Error(), "keys") {
				t.Errorf("the error does not name the secret: %v", err)
			}
		})
	}

	t.Run("no credentials", func(t *testing.T) {
		a := &answering{status: 200, body: `{}`}
		srv := httptest.NewServer(a)
		defer srv.Close()
		c := NewClient(aws.Config{Region: testRegion, Credentials: failingCreds{}}, srv.URL)
		if _, err := c.Get(ctx, "keys"); err == nil || !strings.Contains(err.Error(), "credentials") {
			t.Errorf("err = %v", err)
		}
		if len(a.requests) != 0 {
			t.Error("an unsigned request was sent")
		}
	})
	t.Run("no server", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		_, err := NewValue(testClient(url), "keys", time.Hour, nil).Get(ctx)
		if !problem.Is(err, problem.Unavailable) || !strings.Contains(err.Error(), "GetSecretValue") {
			t.Errorf("err = %v, want a 503", err)
		}
	})
	t.Run("a slow server", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
		defer srv.Close()
		defer close(release)
		ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		if _, err := testClient(srv.URL).Get(ctx, "keys"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v", err)
		}
		if time.Since(start) > time.Second {
			t.Error("the caller's deadline was not kept")
		}
	})
	t.Run("a bad endpoint", func(t *testing.T) {
		if _, err := testClient("http://a b/").Get(ctx, "keys"); err == nil {
			t.Error("no error")
		}
	})
}

// fixedTimeSigner is the SDK's signer, signing at signingTime whatever the SDK's clock
// says: the SDK reads its clock inside (sdk.NowTime), so the comparison fixes it here.
// With strip, it first drops the two headers the SDK adds for its own bookkeeping
// (amz-sdk-invocation-id, amz-sdk-request), which it would sign.
type fixedTimeSigner struct {
	s     *sigv4.Signer
	strip bool
}

func (f fixedTimeSigner) SignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*sigv4.SignerOptions)) error {
	if f.strip {
		r.Header.Del("Amz-Sdk-Invocation-Id")
		r.Header.Del("Amz-Sdk-Request")
	}
	return f.s.SignHTTP(ctx, creds, r, payloadHash, service, region, signingTime, optFns...)
}

// capture answers every request with a fixed body and keeps the last.
type capture struct {
	mu   sync.Mutex
	req  *http.Request
	body []byte
	resp string
}

func (c *capture) Do(r *http.Request) (*http.Response, error) { return c.RoundTrip(r) }

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.req, c.body = r, b
	c.mu.Unlock()
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body: io.NopCloser(strings.NewReader(c.resp)), Request: r}, nil
}

// sdkClient is the official Secrets Manager client of the same endpoint, credentials and
// region, signing at signingTime (without its bookkeeping headers with strip).
func sdkClient(endpoint string, creds aws.CredentialsProvider, h *capture, strip bool) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{
		Region: testRegion, Credentials: creds, BaseEndpoint: aws.String(endpoint), HTTPClient: h,
		HTTPSignerV4: fixedTimeSigner{sigv4.NewSigner(), strip}, RetryMaxAttempts: 1,
	})
}

// The Client's requests are the SDK client's: path, target, content type, body, every
// signed header and the SigV4 Authorization itself, given the same credentials, region
// and signing time. Only the User-Agent differs, and the SDK's two bookkeeping headers.
func TestClientRequestsEqualTheSDKs(t *testing.T) {
	const endpoint = "https://secretsmanager.eu-west-1.amazonaws.com"
	value := Set{Current: val2, Others: []string{val1}}.Encode()
	for _, creds := range []aws.CredentialsProvider{testCreds, staticCreds("ASIAEXAMPLE", "secret", "session-token")} {
		ours := &capture{resp: `{"SecretString":` + mustJSON(Set{Current: val1}.Encode()) + `,"CreatedDate":1}`}
		c := NewClient(aws.Config{Region: testRegion, Credentials: creds}, endpoint)
		c.http = &http.Client{Transport: ours}
		c.now = func() time.Time { return signingTime }

		for _, op := range []string{"GetSecretValue", "PutSecretValue"} {
			t.Run(op, func(t *testing.T) {
				for _, strip := range []bool{true, false} {
					theirs := &capture{resp: `{"SecretString":"x","CreatedDate":1}`}
					sdk := sdkClient(endpoint, creds, theirs, strip)
					var err error
					switch op {
					case "GetSecretValue":
						if _, err = c.Get(ctx, "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keys-AbCdEf"); err != nil {
							t.Fatal(err)
						}
						_, err = sdk.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("arn:aws:secretsmanager:eu-west-1:123456789012:secret:keys-AbCdEf")})
					case "PutSecretValue":
						if err = c.Put(ctx, "keys", Set{Current: val2, Others: []string{val1}}); err != nil {
							t.Fatal(err)
						}
						// The version id is random in both: the SDK is given ours.
						var in struct{ ClientRequestToken string }
						json.Unmarshal(ours.body, &in)
						_, err = sdk.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("keys"),
							SecretString: aws.String(value), ClientRequestToken: aws.String(in.ClientRequestToken)})
					}
					if err != nil {
						t.Fatal(err)
					}
					compareRequests(t, strip, ours, theirs)
				}
			})
		}
	}
}

func compareRequests(t *testing.T, strip bool, ours, theirs *capture) {
	t.Helper()
	o, s := ours.req, theirs.req
	if o.Method != s.Method || o.URL.String() != s.URL.String() || o.URL.Path != "/" || hostOf(o) != hostOf(s) || o.ContentLength != s.ContentLength {
		t.Errorf("request line: ours %s %s (host %s, %d bytes), the SDK's %s %s (host %s, %d bytes)",
			o.Method, o.URL, hostOf(o), o.ContentLength, s.Method, s.URL, hostOf(s), s.ContentLength)
	}
	if !bytes.Equal(ours.body, theirs.body) {
		t.Errorf("body: ours %s, the SDK's %s", ours.body, theirs.body)
	}
	sdkOnly := map[string]bool{"User-Agent": true, "Amz-Sdk-Invocation-Id": true, "Amz-Sdk-Request": true}
	seen := map[string]bool{}
	for _, h := range []http.Header{o.Header, s.Header} {
		for k := range h {
			if sdkOnly[k] || seen[k] {
				continue
			}
			seen[k] = true
			if k == "Authorization" && !strip {
				continue
			}
			if o.Header.Get(k) != s.Header.Get(k) || len(o.Header[k]) != 1 || len(s.Header[k]) != 1 {
				t.Errorf("%s: ours %q, the SDK's %q", k, o.Header[k], s.Header[k])
			}
		}
	}
	for _, k := range []string{"X-Amz-Target", "Content-Type", "X-Amz-Date", "Authorization"} {
		if o.Header.Get(k) == "" {
			t.Errorf("no %s", k)
		}
	}
	if o.Header.Get("X-Amz-Date") != "20260102T030405Z" {
		t.Errorf("X-Amz-Date %s", o.Header.Get("X-Amz-Date"))
	}
	if strip {
		if len(s.Header.Values("Amz-Sdk-Invocation-Id")) != 0 || len(s.Header.Values("Amz-Sdk-Request")) != 0 {
			t.Error("the SDK's bookkeeping headers were not removed")
		}
		return
	}
	// The stock SDK: the Authorization differs only by its two bookkeeping headers.
	oc, os_, osig := splitAuth(o.Header.Get("Authorization"))
	sc, ss, ssig := splitAuth(s.Header.Get("Authorization"))
	if oc != sc || "amz-sdk-invocation-id;amz-sdk-request;"+os_ != ss || osig == ssig {
		t.Errorf("Authorization: ours %s, the SDK's %s", o.Header.Get("Authorization"), s.Header.Get("Authorization"))
	}
}

func hostOf(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	return r.URL.Host
}

// splitAuth splits a SigV4 Authorization into its credential scope, signed headers and
// signature.
func splitAuth(a string) (cred, signed, sig string) {
	for _, part := range strings.Split(strings.TrimPrefix(a, "AWS4-HMAC-SHA256 "), ", ") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			sig = v
		}
	}
	return
}

// The SDK reads what Local answers: Local speaks Secrets Manager's protocol.
func TestSDKAgainstLocal(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 125_000_000, time.UTC)
	l := localAt(t, &now)
	l.Ensure("keys", func() (string, error) { return Set{Current: val1}.Encode(), nil })
	srv := httptest.NewServer(l)
	defer srv.Close()
	sdk := secretsmanager.New(secretsmanager.Options{Region: testRegion, Credentials: testCreds, BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1})
	out, err := sdk.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("keys")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.SecretString) != (Set{Current: val1}).Encode() || !aws.ToTime(out.CreatedDate).Equal(now) || aws.ToString(out.Name) != "keys" {
		t.Errorf("GetSecretValue = %+v", out)
	}
	now = now.Add(time.Second)
	if _, err := sdk.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("keys"), SecretString: aws.String(Set{Current: val2}.Encode())}); err != nil {
		t.Fatal(err)
	}
	if s, _ := l.Get(ctx, "keys"); s.Current != val2 || !s.Created.Equal(now) {
		t.Errorf("after the SDK's put: %+v", s)
	}
	_, err = sdk.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("missing")})
	if err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("a missing secret: %v", err)
	}
}
