// Package settings is the store-wide settings resource (GET/PUT /v2/settings): the address
// fields required on create and the default page length of every list. Functions read it
// through a per-process cache whose age is bounded by the configured TTL.
package settings

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/acme/customers/pkg/addresses"
	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/problem"
)

// Settings are the store's settings.
type Settings struct {
	AddressMandatoryFields []string
	PageLength             int
}

// DefaultPageLength is page_length until an administrator sets it.
const DefaultPageLength = 25

// Defaults are the settings of a store that never changed them.
func Defaults() Settings {
	return Settings{AddressMandatoryFields: slices.Clone(addresses.DefaultMandatory), PageLength: DefaultPageLength}
}

// Patch is a partial update: nil fields stay as they are.
type Patch struct {
	AddressMandatoryFields *[]string
	PageLength             *int
}

// Store keeps the settings. Package store implements it.
type Store interface {
	// Settings reads the stored settings; members never set come back from Defaults.
	Settings(ctx context.Context) (Settings, error)
	// UpdateSettings applies p and returns the result.
	UpdateSettings(ctx context.Context, p Patch) (Settings, error)
}

// Service reads and changes the settings, caching reads for ttl.
type Service struct {
	store Store
	ttl   time.Duration
	now   func() time.Time

	mu      sync.Mutex
	cached  Settings
	fetched time.Time
}

// NewService returns a Service whose Current may be up to ttl old.
func NewService(s Store, ttl time.Duration) *Service {
	return &Service{store: s, ttl: ttl, now: time.Now}
}

// Current returns the settings, read at most once per ttl by this process. A change made
// through another process is seen here within ttl.
func (s *Service) Current(ctx context.Context) (Settings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.fetched.IsZero() && s.now().Sub(s.fetched) < s.ttl {
		return s.cached, nil
	}
	st, err := s.store.Settings(ctx)
	if err != nil {
		return Settings{}, err
	}
	s.cached, s.fetched = st, s.now()
	return st, nil
}

// PageLength is Current's page_length, the default size of every list.
func (s *Service) PageLength(ctx context.Context) (int, error) {
	st, err := s.Current(ctx)
	return st.PageLength, err
}

var errAdminOnly = problem.Denied("settings need a client_credentials token")

// Get returns the settings as stored, to an administrator.
func (s *Service) Get(ctx context.Context, c auth.Caller) (Settings, error) {
	if !c.Admin() {
		return Settings{}, errAdminOnly
	}
	return s.store.Settings(ctx)
}

// Update changes the settings. Existing addresses are not touched.
func (s *Service) Update(ctx context.Context, c auth.Caller, o api.Object) (Settings, error) {
	if !c.Admin() {
		return Settings{}, errAdminOnly
	}
	p, err := parse(o)
	if err != nil {
		return Settings{}, err
	}
	st, err := s.store.UpdateSettings(ctx, p)
	if err != nil {
		return Settings{}, err
	}
	s.mu.Lock()
	s.cached, s.fetched = st, s.now()
	s.mu.Unlock()
	return st, nil
}

func invalid(source, title, detail string) *problem.Error {
	return &problem.Error{Kind: problem.BadRequest, Title: title, Detail: detail, Source: source}
}

// parse validates a settings body. Every problem is a 400, one entry each.
func parse(o api.Object) (Patch, error) {
	var p Patch
	var errs problem.List
	if t, _, _ := o.String("type"); t != "settings" {
		errs = append(errs, invalid("data.type", "enum", `data.type must be one of the following: "settings"`))
	}
	for _, k := range o.Keys() {
		switch k {
		case "type":
		case "address_mandatory_fields":
			var fields []string
			if err := json.Unmarshal(o[k], &fields); err != nil || fields == nil {
				errs = append(errs, invalid("data.address_mandatory_fields", "type",
					"data.address_mandatory_fields must be a list of address field names"))
				continue
			}
			seen := map[string]bool{}
			var clean []string
			for _, f := range fields {
				if !addresses.IsField(f) {
					errs = append(errs, invalid("data.address_mandatory_fields", "enum",
						`"`+problem.Quote(f)+`" is not an address field; the fields are `+strings.Join(addresses.Fields, ", ")))
					continue
				}
				if !seen[f] {
					seen[f] = true
					clean = append(clean, f)
				}
			}
			p.AddressMandatoryFields = &clean
		case "page_length":
			v, err := strconv.Atoi(strings.TrimSpace(string(o[k]))) // a JSON integer, not "10" or 1.5
			if err != nil || v < 1 || v > api.MaxLimit {
				errs = append(errs, invalid("data.page_length", "range", "data.page_length must be a whole number from 1 to 100"))
				continue
			}
			p.PageLength = &v
		default:
			name := "data." + problem.Quote(k)
			errs = append(errs, invalid(name, "unknown", name+" is not a setting"))
		}
	}
	return p, errs.Err()
}
