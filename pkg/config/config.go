// Package config reads a function's settings from its environment (set by template.yaml)
// and fails clearly when one is missing or wrong.
package config

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// Config is everything a function may need. Fields a function does not use may be empty.
type Config struct {
	TableName string
	Issuer    string
	ClientID  string
	// Secrets names the secrets this function may read (template.yaml gives each to the
	// functions that need it alone); the secrets themselves are never in the environment.
	Secrets SecretIDs
	// SecretsTTL bounds how long a process uses a secret before reading it again (a
	// rotation reaches every process within it); KeysTTL the same for the public token keys.
	SecretsTTL time.Duration
	KeysTTL    time.Duration
	BcryptCost int
	// Log-in throttling (customers.LoginPolicy): per window, at most LoginMaxAttempts for
	// an email from all addresses, and LoginFreeAttempts from one address before each
	// further attempt waits twice as long as the one before, from LoginFirstDelay.
	LoginWindow       time.Duration
	LoginMaxAttempts  int
	LoginFreeAttempts int
	LoginFirstDelay   time.Duration
	// ReauthMaxAge: how recent a customer token must be to change its customer's email or
	// password without the current password.
	ReauthMaxAge time.Duration
	// SettingsTTL bounds how old the settings a function works with may be.
	SettingsTTL time.Duration
	// ProviderTimeout bounds each call to an identity provider (single sign-on).
	ProviderTimeout time.Duration
	// CleanupRetention: how long after its deletion the scheduled cleanup erases a
	// customer (CLEANUP_RETENTION_DAYS, default 0: at the first run after the deletion).
	CleanupRetention time.Duration
}

// SecretIDs are the ARNs (or names) of the deployment's secrets in Secrets Manager; empty
// for a secret the function is not given.
type SecretIDs struct {
	// AccessTokenKeys and CustomerTokenKeys sign each kind of token (the token functions).
	AccessTokenKeys, CustomerTokenKeys string
	// Client is the client secret of the client_credentials grant (the token function).
	Client string
	// Cursors seals the list cursors (the list functions); SSO seals the identity
	// providers' client secrets (the profile writers and the callback).
	Cursors, SSO string
}

// Defaults that the template does not need to set.
const (
	DefaultIssuer            = "customers"
	DefaultBcryptCost        = 10
	DefaultLoginWindow       = time.Hour
	DefaultLoginMaxAttempts  = 100
	DefaultLoginFreeAttempts = 10
	DefaultLoginFirstDelay   = time.Second
	DefaultReauthMaxAge      = 10 * time.Minute
	DefaultSettingsTTL       = 10 * time.Second
	DefaultProviderTimeout   = 4 * time.Second
	DefaultSecretsTTL        = 5 * time.Minute
	DefaultKeysTTL           = 5 * time.Minute
)

// FromEnv reads the configuration from environment variables.
func FromEnv() (Config, error) { return FromLookup(os.Getenv) }

// FromLookup reads the configuration through getenv (tools use it with a function's
// environment as template.yaml gives it).
func FromLookup(getenv func(string) string) (Config, error) {
	envOr := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	envInt := func(name string, def int) (int, error) {
		v := getenv(name)
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("config: %s must be a whole number, got %q", name, v)
		}
		return n, nil
	}
	c := Config{
		TableName: getenv("TABLE_NAME"),
		Issuer:    envOr("TOKEN_ISSUER", DefaultIssuer),
		ClientID:  getenv("CLIENT_ID"),
		Secrets: SecretIDs{AccessTokenKeys: getenv("ACCESS_TOKEN_KEYS_ARN"), CustomerTokenKeys: getenv("CUSTOMER_TOKEN_KEYS_ARN"),
			Client: getenv("CLIENT_SECRET_ARN"), Cursors: getenv("CURSOR_KEYS_ARN"), SSO: getenv("SSO_KEYS_ARN")},
	}
	var err error
	if c.BcryptCost, err = envInt("BCRYPT_COST", DefaultBcryptCost); err != nil {
		return c, err
	}
	if c.LoginMaxAttempts, err = envInt("LOGIN_MAX_ATTEMPTS", DefaultLoginMaxAttempts); err != nil {
		return c, err
	}
	if c.LoginFreeAttempts, err = envInt("LOGIN_FREE_ATTEMPTS", DefaultLoginFreeAttempts); err != nil {
		return c, err
	}
	seconds := func(name string, def time.Duration) (time.Duration, error) {
		n, err := envInt(name, int(def/time.Second))
		return time.Duration(n) * time.Second, err
	}
	if c.LoginWindow, err = seconds("LOGIN_WINDOW_SECONDS", DefaultLoginWindow); err != nil {
		return c, err
	}
	if c.LoginFirstDelay, err = seconds("LOGIN_FIRST_DELAY_SECONDS", DefaultLoginFirstDelay); err != nil {
		return c, err
	}
	if c.ReauthMaxAge, err = seconds("REAUTH_MAX_AGE_SECONDS", DefaultReauthMaxAge); err != nil {
		return c, err
	}
	if c.SettingsTTL, err = seconds("SETTINGS_CACHE_SECONDS", DefaultSettingsTTL); err != nil {
		return c, err
	}
	if c.ProviderTimeout, err = seconds("SSO_PROVIDER_TIMEOUT_SECONDS", DefaultProviderTimeout); err != nil {
		return c, err
	}
	if c.SecretsTTL, err = seconds("SECRETS_CACHE_SECONDS", DefaultSecretsTTL); err != nil {
		return c, err
	}
	if c.KeysTTL, err = seconds("TOKEN_KEYS_CACHE_SECONDS", DefaultKeysTTL); err != nil {
		return c, err
	}
	days, err := envInt("CLEANUP_RETENTION_DAYS", 0)
	if err != nil {
		return c, err
	}
	c.CleanupRetention = time.Duration(days) * 24 * time.Hour
	switch {
	case c.TableName == "":
		return c, fmt.Errorf("config: TABLE_NAME is not set")
	case c.ClientID == "":
		return c, fmt.Errorf("config: CLIENT_ID is not set")
	case c.LoginMaxAttempts < 1 || c.LoginFreeAttempts < 1 || c.LoginWindow < time.Second || c.LoginFirstDelay < time.Second:
		return c, fmt.Errorf("config: LOGIN_MAX_ATTEMPTS, LOGIN_FREE_ATTEMPTS, LOGIN_WINDOW_SECONDS and LOGIN_FIRST_DELAY_SECONDS must be positive")
	case c.ReauthMaxAge < 0:
		return c, fmt.Errorf("config: REAUTH_MAX_AGE_SECONDS must not be negative")
	case c.SettingsTTL < 0:
		return c, fmt.Errorf("config: SETTINGS_CACHE_SECONDS must not be negative")
	case c.SecretsTTL < time.Second || c.KeysTTL < time.Second:
		return c, fmt.Errorf("config: SECRETS_CACHE_SECONDS and TOKEN_KEYS_CACHE_SECONDS must be at least 1")
	case c.ProviderTimeout < time.Second:
		return c, fmt.Errorf("config: SSO_PROVIDER_TIMEOUT_SECONDS must be at least 1")
	case days < 0:
		return c, fmt.Errorf("config: CLEANUP_RETENTION_DAYS must not be negative")
	}
	return c, nil
}

// IDs is every secret id set, in a fixed order.
func (s SecretIDs) IDs() []string {
	var ids []string
	for _, id := range []string{s.AccessTokenKeys, s.CustomerTokenKeys, s.Client, s.Cursors, s.SSO} {
		if id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// AllSecrets names every secret by its role (tests and tools that hold them all).
var AllSecrets = SecretIDs{AccessTokenKeys: "access-token-keys", CustomerTokenKeys: "customer-token-keys",
	Client: "client-secret", Cursors: "cursor-keys", SSO: "sso-keys"}
