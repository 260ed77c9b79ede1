package secrets

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	uuid "github.com/acme/customers/pkg/id"
)

// Client calls Secrets Manager's JSON API (GetSecretValue, PutSecretValue) signed with
// SigV4 by the SDK's signer, which every function links already for DynamoDB. The SDK's
// Secrets Manager client would add 262 KB to each binary that reads a secret; this adds
// a few (README, Performance). Its requests are the SDK client's but for the User-Agent
// and the SDK's own amz-sdk-invocation-id and amz-sdk-request headers (client_test.go
// compares them).
type Client struct {
	endpoint string
	region   string
	creds    aws.CredentialsProvider
	http     *http.Client
	signer   *v4.Signer
	now      func() time.Time
}

// EndpointEnv names the variable that points the client elsewhere, as the AWS SDKs read it
// (`make local` points it at its own Secrets Manager).
const EndpointEnv = "AWS_ENDPOINT_URL_SECRETS_MANAGER"

// Timeout bounds each call.
const Timeout = 5 * time.Second

// NewClient returns a client of endpoint (else cfg's AWS_ENDPOINT_URL, else
// https://secretsmanager.<region>.amazonaws.com) that signs with cfg's credentials for cfg's region.
func NewClient(cfg aws.Config, endpoint string) *Client {
	endpoint = cmp.Or(endpoint, aws.ToString(cfg.BaseEndpoint), "https://secretsmanager."+cfg.Region+".amazonaws.com")
	return &Client{endpoint: strings.TrimSuffix(endpoint, "/") + "/", region: cfg.Region, creds: cfg.Credentials,
		http: &http.Client{Timeout: Timeout}, signer: v4.NewSigner(), now: time.Now}
}

// Error is an error answer of Secrets Manager.
type Error struct {
	Status  int
	Code    string // e.g. ResourceNotFoundException
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("secrets manager: %s (%d): %s", e.Code, e.Status, e.Message)
}

// Get reads the current version of secret id (GetSecretValue).
func (c *Client) Get(ctx context.Context, id string) (Set, error) {
	var out version
	if err := c.call(ctx, "GetSecretValue", map[string]string{"SecretId": id}, &out); err != nil {
		return Set{}, err
	}
	return out.set(id)
}

// version is a secret's version as GetSecretValue answers it (and `make local` keeps it).
type version struct {
	SecretString string
	CreatedDate  float64
}

// set reads the version's value.
func (v version) set(id string) (Set, error) {
	s, err := Parse(v.SecretString)
	if err != nil {
		return Set{}, fmt.Errorf("secret %s: %w", id, err)
	}
	s.Created = createdTime(v.CreatedDate)
	return s, nil
}

// createdTime reads a CreatedDate (seconds since the epoch, to the millisecond).
func createdTime(epoch float64) time.Time {
	return time.UnixMilli(int64(math.Round(epoch * 1e3))).UTC()
}

// Put writes s as the new current version of secret id (PutSecretValue). Its
// ClientRequestToken, the new version's id, is a random UUID, as the SDKs make it: a raw
// request must carry one.
func (c *Client) Put(ctx context.Context, id string, s Set) error {
	return c.call(ctx, "PutSecretValue", map[string]string{"ClientRequestToken": uuid.New(), "SecretId": id, "SecretString": s.Encode()}, nil)
}

func (c *Client) call(ctx context.Context, op string, in any, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "secretsmanager."+op)
	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("secrets manager: credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "secretsmanager", c.region, c.now()); err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("secrets manager: %s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("secrets manager: %s: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
			Msg     string `json:"Message"`
		}
		_ = json.Unmarshal(data, &e)
		code := e.Type
		if i := strings.LastIndexByte(code, '#'); i >= 0 {
			code = code[i+1:]
		}
		return &Error{Status: resp.StatusCode, Code: code, Message: e.Message + e.Msg}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("secrets manager: %s: %w", op, err)
	}
	return nil
}
