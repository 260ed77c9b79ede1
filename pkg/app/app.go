// Package app wires a function: it reads the configuration, builds the clients once per
// cold start, and hands them to the endpoint's handler constructor. Every
// functions/<name>/main.go is a call to Start (StartScheduled for a scheduled function).
package app

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/acme/customers/pkg/addresses"
	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/carts"
	"github.com/acme/customers/pkg/config"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/flows"
	"github.com/acme/customers/pkg/money"
	"github.com/acme/customers/pkg/orders"
	"github.com/acme/customers/pkg/seal"
	"github.com/acme/customers/pkg/secrets"
	"github.com/acme/customers/pkg/settings"
	"github.com/acme/customers/pkg/sso"
	"github.com/acme/customers/pkg/store"
	"github.com/acme/customers/pkg/telemetry"
)

// Deps is what handlers are built from.
type Deps struct {
	Config    config.Config
	Tokens    *auth.Tokens
	Client    auth.Client
	Customers *customers.Service
	Addresses *addresses.Service
	Carts     *carts.Service
	Orders    *orders.Service
	Settings  *settings.Service
	Flows     *flows.Service
	// Schemas are the core flows' fields, cached per process for SETTINGS_CACHE_SECONDS.
	Schemas *flows.Schemas
	// SSO is single sign-on: the realm, its OpenID Connect profiles and the broker.
	SSO *sso.Service
	// Store is the table itself, for the scheduled functions that work on it directly.
	Store *store.Store
}

// New builds Deps from a configuration, a DynamoDB client and where the secrets are read
// from. Nothing is read yet: each secret at its first need.
func New(cfg config.Config, db store.API, src secrets.Source) (*Deps, error) {
	secret := func(id string) *secrets.Value { return secrets.NewValue(src, id, cfg.SecretsTTL, api.Logger) }
	st := store.New(db, cfg.TableName).WithCursors(seal.NewKeyring(secret(cfg.Secrets.Cursors), store.CursorPurpose))
	tokens, err := auth.NewTokens(auth.TokenConfig{Issuer: cfg.Issuer, Keys: st, KeysTTL: cfg.KeysTTL,
		Signing: map[auth.Kind]*secrets.Value{auth.AccessKind: secret(cfg.Secrets.AccessTokenKeys),
			auth.CustomerKind: secret(cfg.Secrets.CustomerTokenKeys)}})
	if err != nil {
		return nil, err
	}
	passwords, err := auth.NewPasswords(cfg.BcryptCost)
	if err != nil {
		return nil, err
	}
	set := settings.NewService(st, cfg.SettingsTTL)
	// Custom fields, from a cache bounded like the settings'.
	schemas := flows.NewSchemas(st, cfg.SettingsTTL)
	// Address writes obey the cached settings: a change made elsewhere reaches them within
	// SETTINGS_CACHE_SECONDS.
	addressRules := func(ctx context.Context) (addresses.Rules, error) {
		s, err := set.Current(ctx)
		if err != nil {
			return addresses.Rules{}, err
		}
		return s.AddressRules(), nil
	}
	// Carts are priced in the store's currency, from the same cache.
	storeCurrency := func(ctx context.Context) (money.Currency, error) {
		s, err := set.Current(ctx)
		if err != nil {
			return money.Currency{}, err
		}
		return s.Money()
	}
	orderRules := func(ctx context.Context) (orders.Rules, error) {
		s, err := set.Current(ctx)
		if err != nil {
			return orders.Rules{}, err
		}
		c, err := s.Money()
		if err != nil {
			return orders.Rules{}, err
		}
		return orders.Rules{Mandatory: s.AddressMandatoryFields, Currency: c}, nil
	}
	cust := customers.NewService(st, passwords, tokens, customers.Rules{Login: LoginPolicy(cfg), ReauthMaxAge: cfg.ReauthMaxAge,
		Schemas: schemas})
	return &Deps{
		Config:    cfg,
		Tokens:    tokens,
		Client:    auth.Client{ID: cfg.ClientID, Secret: secret(cfg.Secrets.Client)},
		Customers: cust,
		Addresses: addresses.NewService(st, addressRules, schemas),
		Carts:     carts.NewService(st, storeCurrency),
		Orders:    orders.NewService(st, cust, orderRules, schemas),
		Settings:  set,
		Flows:     flows.NewService(st, schemas.Forget),
		Schemas:   schemas,
		SSO:       sso.NewService(st, cfg.TableName, seal.NewKeyring(secret(cfg.Secrets.SSO), sso.SecretPurpose), cfg.ProviderTimeout, api.Logger),
		Store:     st,
	}, nil
}

// LoginPolicy is the log-in throttling the configuration asks for.
func LoginPolicy(cfg config.Config) customers.LoginPolicy {
	return customers.LoginPolicy{Window: cfg.LoginWindow, MaxAttempts: cfg.LoginMaxAttempts,
		FreeAttempts: cfg.LoginFreeAttempts, FirstDelay: cfg.LoginFirstDelay}
}

// FromEnv builds Deps from the environment: the configuration, and a DynamoDB client and a
// Secrets Manager client from Lambda's AWS settings (AWS_ENDPOINT_URL_DYNAMODB and
// AWS_ENDPOINT_URL_SECRETS_MANAGER point them at `make local`'s).
func FromEnv(context.Context) (*Deps, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	awsCfg, err := LambdaAWSConfig(os.Getenv)
	if err != nil {
		return nil, err
	}
	db := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		if ep := os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"); ep != "" {
			o.BaseEndpoint = &ep
		}
	})
	return New(cfg, db, secrets.NewClient(awsCfg, os.Getenv(secrets.EndpointEnv)))
}

// LambdaAWSConfig is the AWS configuration Lambda gives a function in its environment: the
// region, and the execution role's credentials. The SDK's general loader
// (config.LoadDefaultConfig: shared files, SSO, web identity, container and instance
// credentials) would add 1.8 MB to every binary and its work to every cold start for
// sources a function never uses (README, Performance).
func LambdaAWSConfig(getenv func(string) string) (aws.Config, error) {
	region, id, secret := getenv("AWS_REGION"), getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if region == "" || id == "" || secret == "" {
		return aws.Config{}, errors.New("app: AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them)")
	}
	return aws.Config{Region: region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN")))}, nil
}

// Endpoint builds an endpoint's handler from Deps.
type Endpoint func(*Deps) api.HandlerFunc

// Start is a function's main: it wires the endpoint and serves it through the Lambda
// runtime. Configuration errors end the process at cold start, with a clear message.
func Start(e Endpoint) {
	d := mustFromEnv()
	lambda.Start(api.Handle(os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), e(d)))
}

// mustFromEnv is FromEnv at a cold start: a configuration error is logged (one JSON line,
// as every other) and ends the process.
func mustFromEnv() *Deps {
	d, err := FromEnv(context.Background())
	if err != nil {
		api.Logger.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	return d
}

// Scheduled builds a scheduled function's handler from Deps: it runs once per EventBridge
// event and returns what it did (a JSON document) or an error (counted by the function's
// Errors metric).
type Scheduled func(*Deps) func(context.Context, events.EventBridgeEvent) (any, error)

// StartScheduled is a scheduled function's main, as Start is an endpoint's. Each run is an
// invocation for the logs (telemetry.Begin), as api.Handle makes each request one.
func StartScheduled(s Scheduled) {
	h := s(mustFromEnv())
	lambda.Start(func(ctx context.Context, ev events.EventBridgeEvent) (any, error) {
		ctx, end := telemetry.Begin(ctx)
		defer end()
		return h(ctx, ev)
	})
}
