// Package settings is the store-wide settings resource (GET/PUT /v2/settings): the address
// fields required on create, the default page length of every list, an optional cap on a
// customer's addresses, and the other settings the original documents (kept and returned
// so that clients can round-trip them). Functions read it through a per-process cache
// whose age is bounded by the configured TTL.
package settings

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/acme/customers/pkg/addresses"
	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/cache"
	"github.com/acme/customers/pkg/etag"
	"github.com/acme/customers/pkg/money"
	"github.com/acme/customers/pkg/problem"
)

// Settings are the store's settings.
type Settings struct {
	AddressMandatoryFields       []string
	PageLength                   int
	ListChildProducts            bool
	AdditionalLanguages          []string
	CalculationMethod            string
	IncludeOrganizationResources bool
	// MaxAddressesPerCustomer caps each customer's addresses; 0 is no cap (the default,
	// null in the API).
	MaxAddressesPerCustomer int
	// Currency is the ISO 4217 code of the store's currency, which cart amounts are in
	// (minor units of it); one of package money's table.
	Currency string
	// Version counts the changes (0: never changed); the settings' ETag is made of it.
	Version int64
}

// Defaults and bounds of the settings.
const (
	DefaultPageLength      = 25
	MaxAdditionalLanguages = 5
	MaxAddressCap          = 10_000 // what page[offset] can still reach
	// CurrencyLimit is the read-only currency_limit the original reports; a PUT of it
	// changes nothing.
	CurrencyLimit = 10
)

// Defaults are the settings of a store that never changed them.
func Defaults() Settings {
	return Settings{
		AddressMandatoryFields: slices.Clone(addresses.DefaultMandatory),
		PageLength:             DefaultPageLength,
		ListChildProducts:      true,
		AdditionalLanguages:    []string{},
		CalculationMethod:      "simple",
		Currency:               money.Default,
	}
}

// Patch is a partial update: nil fields stay as they are.
type Patch struct {
	AddressMandatoryFields       *[]string
	PageLength                   *int
	ListChildProducts            *bool
	AdditionalLanguages          *[]string
	CalculationMethod            *string
	IncludeOrganizationResources *bool
	MaxAddressesPerCustomer      *int
	Currency                     *string
}

// Apply returns s with the members p sets.
func (s Settings) Apply(p Patch) Settings {
	set(&s.AddressMandatoryFields, p.AddressMandatoryFields)
	set(&s.PageLength, p.PageLength)
	set(&s.ListChildProducts, p.ListChildProducts)
	set(&s.AdditionalLanguages, p.AdditionalLanguages)
	set(&s.CalculationMethod, p.CalculationMethod)
	set(&s.IncludeOrganizationResources, p.IncludeOrganizationResources)
	set(&s.MaxAddressesPerCustomer, p.MaxAddressesPerCustomer)
	set(&s.Currency, p.Currency)
	return s
}

func set[T any](dst, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Money is the store's currency.
func (s Settings) Money() (money.Currency, error) {
	c, ok := money.Lookup(s.Currency)
	if !ok {
		return c, fmt.Errorf("settings: the store's currency %q is not in the currency table", s.Currency)
	}
	return c, nil
}

// AddressRules are the settings address writes obey.
func (s Settings) AddressRules() addresses.Rules {
	return addresses.Rules{Mandatory: s.AddressMandatoryFields, MaxPerCustomer: s.MaxAddressesPerCustomer}
}

// Store keeps the settings. Package store implements it.
type Store interface {
	// Settings reads the stored settings; members never set come back from Defaults.
	Settings(ctx context.Context) (Settings, error)
	// UpdateSettings applies p and returns the result; when versions is not nil
	// (If-Match's, etag.Match.Versions), only if the settings are at one of them (else an
	// etag.Changed).
	UpdateSettings(ctx context.Context, p Patch, versions []int64) (Settings, error)
}

// Service reads and changes the settings, caching reads for ttl.
type Service struct {
	store  Store
	cached *cache.Value[Settings]
}

// NewService returns a Service whose Current may be up to ttl old.
func NewService(s Store, ttl time.Duration) *Service {
	return &Service{store: s, cached: cache.New(ttl, s.Settings)}
}

// Current returns the settings, read at most once per ttl by this process. A change made
// through another process is seen here within ttl.
func (s *Service) Current(ctx context.Context) (Settings, error) {
	return s.cached.Get(ctx)
}

// PageLength is Current's page_length, the default size of every list.
func (s *Service) PageLength(ctx context.Context) (int, error) {
	st, err := s.Current(ctx)
	return st.PageLength, err
}

var errAdminOnly = problem.Denied("settings need a client_credentials token")

// ErrStale refuses a change written with If-Match when the settings are no longer at a
// version it names (a 412 then; see etag.Match.Refused).
var ErrStale = problem.New(problem.Conflict, "Conflict", "the settings changed while this request was processed; read them again")

// Get returns the settings as stored, to an administrator.
func (s *Service) Get(ctx context.Context, c auth.Caller) (Settings, error) {
	if !c.Admin() {
		return Settings{}, errAdminOnly
	}
	return s.store.Settings(ctx)
}

// Update changes the settings. Existing addresses are not touched. With If-Match (m), only
// if they are at a version m names (in the write's condition).
func (s *Service) Update(ctx context.Context, c auth.Caller, o api.Object, m etag.Match) (Settings, error) {
	if !c.Admin() {
		return Settings{}, errAdminOnly
	}
	p, err := parse(o)
	if err != nil {
		return Settings{}, err
	}
	st, err := s.store.UpdateSettings(ctx, p, m.Versions(etag.Settings))
	if err != nil {
		return Settings{}, m.Refused(etag.Settings, err)
	}
	s.cached.Set(st)
	return st, nil
}
