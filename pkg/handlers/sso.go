package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/etag"
	"github.com/acme/customers/pkg/problem"
	"github.com/acme/customers/pkg/sso"
)

// Single sign-on: the configuration (settings, realm, profiles) and the broker's browser
// legs. Reads of the realm and its profiles take any access token (a storefront draws its
// log-in buttons from them); changes take client_credentials; the broker's legs are
// reached by the shopper's browser and take no token.

// ssoMeta is the timestamps of the realm and profiles, as the original shows them: null
// for a realm never changed (it exists from the start, with its defaults).
type ssoMeta struct {
	CreatedAt *string `json:"created_at"`
	UpdatedAt *string `json:"updated_at"`
}

func ssoTimes(created, updated time.Time) ssoMeta {
	if updated.IsZero() {
		updated = created
	}
	format := func(t time.Time) *string {
		if t.IsZero() {
			return nil
		}
		s := t.UTC().Format(time.RFC3339Nano)
		return &s
	}
	return ssoMeta{format(created), format(updated)}
}

type realmView struct {
	ID                   string   `json:"id"`
	Type                 string   `json:"type"`
	Name                 string   `json:"name"`
	RedirectURIs         []string `json:"redirect_uris"`
	DuplicateEmailPolicy string   `json:"duplicate_email_policy"`
	Relationships        struct {
		Origin struct {
			Data relation `json:"data"`
		} `json:"origin"`
	} `json:"relationships"`
	Meta  ssoMeta  `json:"meta"`
	Links selfLink `json:"links"`
}

func viewRealm(r *api.Request, realm *sso.Realm) realmView {
	v := realmView{ID: realm.ID, Type: "authentication-realm", Name: realm.Name, RedirectURIs: realm.RedirectURIs,
		DuplicateEmailPolicy: realm.DuplicateEmailPolicy, Meta: ssoTimes(realm.CreatedAt, realm.UpdatedAt),
		Links: selfLink{r.BaseURL() + "/v2/authentication-realms/" + realm.ID}}
	v.Relationships.Origin.Data = relation{"customer-authentication-settings", realm.StoreID}
	return v
}

// profileLinks are a profile's generated endpoints: where a storefront sends the browser,
// the callback to register at the provider, and the realm's discovery document.
type profileLinks struct {
	Authorization string `json:"authorization-endpoint"`
	Callback      string `json:"callback-endpoint"`
	Discovery     string `json:"client-discovery-url"`
	Self          string `json:"self"`
}

type profileView struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	Name         string `json:"name"`
	DiscoveryURL string `json:"discovery_url"`
	ClientID     string `json:"client_id"`
	Meta         struct {
		Issuer string `json:"issuer"`
		ssoMeta
	} `json:"meta"`
	Links profileLinks `json:"links"`
}

func viewProfile(r *api.Request, realm *sso.Realm, p *sso.Profile) profileView {
	base := r.BaseURL()
	v := profileView{ID: p.ID, Type: "oidc-profile", Name: p.Name, DiscoveryURL: p.DiscoveryURL, ClientID: p.ClientID,
		Links: profileLinks{
			Authorization: base + sso.LoginPath(realm.StoreID, realm.ID) + "?" + sso.ProfileParam + "=" + p.ID,
			Callback:      base + sso.CallbackPath(realm.StoreID, realm.ID, p.ID),
			Discovery:     base + sso.DiscoveryPath(realm.StoreID, realm.ID),
			Self:          base + "/v2/authentication-realms/" + realm.ID + "/oidc-profiles/" + p.ID,
		}}
	v.Meta.Issuer, v.Meta.ssoMeta = p.Issuer, ssoTimes(p.CreatedAt, p.UpdatedAt)
	return v
}

// profile renders one profile, with its ETag, and with its links also at the top level,
// where the original puts them.
func profile(r *api.Request, status int) func(*sso.Realm, *sso.Profile, error) (api.Response, error) {
	return func(realm *sso.Realm, p *sso.Profile, err error) (api.Response, error) {
		if err != nil {
			return api.Response{}, err
		}
		v := viewProfile(r, realm, p)
		return tagged(p)(api.JSON(status, struct {
			Data  profileView  `json:"data"`
			Links profileLinks `json:"links"`
		}{v, v.Links}))
	}
}

// GetAuthenticationSettings is GET /v2/settings/customer-authentication: the store's
// realm and the client id storefronts use at its authorization endpoint.
func GetAuthenticationSettings(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller) (api.Response, error) {
		if !c.Admin() {
			return api.Response{}, problem.Denied("reading the customer authentication settings needs a client_credentials token")
		}
		realm := d.SSO.Names()
		var v struct {
			ID   string `json:"id"`
			Type string `json:"type"`
			Meta struct {
				ClientID string `json:"client_id"`
			} `json:"meta"`
			Relationships struct {
				Realm struct {
					Data  relation `json:"data"`
					Links selfLink `json:"links"`
				} `json:"authentication-realm"`
			} `json:"relationships"`
		}
		v.ID, v.Type, v.Meta.ClientID = realm.StoreID, "customer-authentication-settings", sso.ClientID
		v.Relationships.Realm.Data = relation{"authentication-realm", realm.ID}
		v.Relationships.Realm.Links.Self = r.BaseURL() + "/v2/authentication-realms/" + realm.ID
		return api.Data(http.StatusOK, v)
	})
}

// ListRealms is GET /v2/authentication-realms: the store's one realm.
func ListRealms(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Application, func(ctx context.Context, r *api.Request, _ auth.Caller) (api.Response, error) {
		realm, err := d.SSO.Realm(ctx)
		return all(r, viewRealm)([]*sso.Realm{realm}, err)
	})
}

// GetRealm is GET /v2/authentication-realms/{realmId}.
func GetRealm(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Application, func(ctx context.Context, r *api.Request, _ auth.Caller) (api.Response, error) {
		return one(r, http.StatusOK, viewRealm)(d.SSO.RealmByID(ctx, r.Param("realmId")))
	})
}

// UpdateRealm is PUT /v2/authentication-realms/{realmId}, a partial update.
func UpdateRealm(d *app.Deps) api.HandlerFunc {
	return withBodyMatch(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller, body api.Object, m etag.Match) (api.Response, error) {
		return one(r, http.StatusOK, viewRealm)(d.SSO.UpdateRealm(ctx, c, r.Param("realmId"), body, m))
	})
}

// ListOIDCProfiles is GET /v2/authentication-realms/{realmId}/oidc-profiles.
func ListOIDCProfiles(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Application, func(ctx context.Context, r *api.Request, _ auth.Caller) (api.Response, error) {
		realm, ps, err := d.SSO.Profiles(ctx, r.Param("realmId"))
		return all(r, func(r *api.Request, p *sso.Profile) profileView { return viewProfile(r, realm, p) })(ps, err)
	})
}

// GetOIDCProfile is GET /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}.
func GetOIDCProfile(d *app.Deps) api.HandlerFunc {
	return withCaller(d.Tokens.Application, func(ctx context.Context, r *api.Request, _ auth.Caller) (api.Response, error) {
		return profile(r, http.StatusOK)(d.SSO.Profile(ctx, r.Param("realmId"), r.Param("profileId")))
	})
}

// CreateOIDCProfile is POST /v2/authentication-realms/{realmId}/oidc-profiles.
func CreateOIDCProfile(d *app.Deps) api.HandlerFunc {
	return withIdempotentBody(d, d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller, body api.Object) (api.Response, error) {
		return profile(r, http.StatusCreated)(d.SSO.CreateProfile(ctx, c, r.Param("realmId"), body))
	})
}

// UpdateOIDCProfile is PUT /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}.
func UpdateOIDCProfile(d *app.Deps) api.HandlerFunc {
	return withBodyMatch(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller, body api.Object, m etag.Match) (api.Response, error) {
		return profile(r, http.StatusOK)(d.SSO.UpdateProfile(ctx, c, r.Param("realmId"), r.Param("profileId"), body, m))
	})
}

// DeleteOIDCProfile is DELETE /v2/authentication-realms/{realmId}/oidc-profiles/{profileId}.
func DeleteOIDCProfile(d *app.Deps) api.HandlerFunc {
	return withCallerMatch(d.Tokens.Caller, func(ctx context.Context, r *api.Request, c auth.Caller, m etag.Match) (api.Response, error) {
		if err := d.SSO.DeleteProfile(ctx, c, r.Param("realmId"), r.Param("profileId"), m); err != nil {
			return api.Response{}, err
		}
		return api.NoContent()
	})
}

// OIDCLogin is GET /oidc-idp/login/stores/{storeId}/authentication-realms/{realmId}: the
// broker's authorization endpoint, where a storefront sends the shopper's browser.
func OIDCLogin(d *app.Deps) api.HandlerFunc {
	return func(ctx context.Context, r *api.Request) (api.Response, error) {
		loc, err := d.SSO.Authorize(ctx, r.Param("storeId"), r.Param("realmId"), r.Query, r.BaseURL())
		if err != nil {
			return api.Response{}, err
		}
		return api.Redirect(loc)
	}
}

// OIDCCallback is GET /oidc-idp/callback/stores/{storeId}/authentication-realms/{realmId}/oidc-profiles/{profileId}:
// where the provider sends the browser back.
func OIDCCallback(d *app.Deps) api.HandlerFunc {
	return func(ctx context.Context, r *api.Request) (api.Response, error) {
		loc, err := d.SSO.Callback(ctx, r.Param("storeId"), r.Param("realmId"), r.Param("profileId"), r.Query)
		if err != nil {
			return api.Response{}, err
		}
		return api.Redirect(loc)
	}
}

// OIDCDiscovery is GET /oidc-idp/stores/{storeId}/authentication-realms/{realmId}/.well-known/openid-configuration:
// what a storefront needs to know of the broker's authorization endpoint. The token comes
// from POST /v2/customers/tokens, not from a token endpoint of the broker's.
func OIDCDiscovery(d *app.Deps) api.HandlerFunc {
	return func(ctx context.Context, r *api.Request) (api.Response, error) {
		realm, err := d.SSO.Named(r.Param("realmId"))
		if err == nil && realm.StoreID != r.Param("storeId") {
			err = sso.ErrRealmNotFound
		}
		if err != nil {
			return api.Response{}, err
		}
		base := r.BaseURL()
		resp, err := api.JSON(http.StatusOK, map[string]any{
			"issuer":                           base + sso.LoginPath(realm.StoreID, realm.ID),
			"authorization_endpoint":           base + sso.LoginPath(realm.StoreID, realm.ID),
			"response_types_supported":         []string{"code"},
			"response_modes_supported":         []string{"query"},
			"grant_types_supported":            []string{"authorization_code"},
			"code_challenge_methods_supported": []string{"S256"},
			"scopes_supported":                 []string{"openid", "email"},
			"subject_types_supported":          []string{"public"},
		})
		if err == nil {
			resp.Headers["Cache-Control"] = "public, max-age=300"
		}
		return resp, err
	}
}

// customerToken renders a customer token.
func customerToken(customerID string, tok auth.Token, err error) (api.Response, error) {
	if err != nil {
		return api.Response{}, err
	}
	return api.NoStore(api.Data(http.StatusOK, struct {
		Type       string `json:"type"`
		ID         string `json:"id"`
		CustomerID string `json:"customer_id"`
		Token      string `json:"token"`
		Expires    int64  `json:"expires"`
	}{"token", tok.ID, customerID, tok.Value, tok.Expires.Unix()}))
}

// loginOIDC exchanges a single sign-on's one-time code for the customer it vouches for.
func loginOIDC(ctx context.Context, d *app.Deps, req customers.TokenRequest) (id string, tok auth.Token, err error) {
	defer func() {
		if m := sso.LoginOutcome(err); m != "" {
			api.Count(ctx, m)
		}
	}()
	g, err := d.SSO.Redeem(ctx, req.Code, req.RedirectURI, req.Verifier)
	if err != nil {
		return "", auth.Token{}, err
	}
	return d.Customers.LoginIdentity(ctx, customers.Identity{Name: g.Identity.ProfileID + "#" + g.Identity.Key,
		Email: g.Identity.Email, DisplayName: g.Identity.Name,
		MayLink: g.Identity.EmailVerified && g.Policy == sso.PolicyAllowed})
}
