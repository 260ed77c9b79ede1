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
	TableName    string
	SigningKey   []byte
	Issuer       string
	ClientID     string
	ClientSecret string
	BcryptCost   int
	// Login throttling: after MaxLoginFailures failed logins for one email within
	// LoginWindow, further attempts are refused until the window ends.
	MaxLoginFailures int
	LoginWindow      time.Duration
	// SettingsTTL bounds how old the settings a function works with may be.
	SettingsTTL time.Duration
}

// Defaults that the template does not need to set.
const (
	DefaultIssuer           = "customers"
	DefaultBcryptCost       = 10
	DefaultMaxLoginFailures = 40
	DefaultLoginWindow      = 15 * time.Minute
	DefaultSettingsTTL      = 10 * time.Second
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
		TableName:    getenv("TABLE_NAME"),
		SigningKey:   []byte(getenv("SIGNING_KEY")),
		Issuer:       envOr("TOKEN_ISSUER", DefaultIssuer),
		ClientID:     getenv("CLIENT_ID"),
		ClientSecret: getenv("CLIENT_SECRET"),
	}
	var err error
	if c.BcryptCost, err = envInt("BCRYPT_COST", DefaultBcryptCost); err != nil {
		return c, err
	}
	if c.MaxLoginFailures, err = envInt("LOGIN_MAX_FAILURES", DefaultMaxLoginFailures); err != nil {
		return c, err
	}
	secs, err := envInt("LOGIN_WINDOW_SECONDS", int(DefaultLoginWindow/time.Second))
	if err != nil {
		return c, err
	}
	c.LoginWindow = time.Duration(secs) * time.Second
	ttl, err := envInt("SETTINGS_CACHE_SECONDS", int(DefaultSettingsTTL/time.Second))
	if err != nil {
		return c, err
	}
	c.SettingsTTL = time.Duration(ttl) * time.Second
	switch {
	case c.TableName == "":
		return c, fmt.Errorf("config: TABLE_NAME is not set")
	case len(c.SigningKey) < 32:
		return c, fmt.Errorf("config: SIGNING_KEY must be set to at least 32 bytes")
	case c.ClientID == "":
		return c, fmt.Errorf("config: CLIENT_ID is not set")
	case c.MaxLoginFailures < 1 || c.LoginWindow < time.Second:
		return c, fmt.Errorf("config: LOGIN_MAX_FAILURES and LOGIN_WINDOW_SECONDS must be positive")
	case c.SettingsTTL < 0:
		return c, fmt.Errorf("config: SETTINGS_CACHE_SECONDS must not be negative")
	}
	return c, nil
}
