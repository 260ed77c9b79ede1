package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/problem"
)

var errBadClient = problem.New(problem.Unauthorized, "Unauthorized", "the client credentials are not valid")

// AccessToken is POST /oauth/access_token: the client_credentials and implicit grants.
// The answer is a top-level object, not wrapped in "data" (what the SDKs read).
func AccessToken(d *app.Deps) api.HandlerFunc {
	return func(ctx context.Context, r *api.Request) (api.Response, error) {
		form, err := tokenForm(r)
		if err != nil {
			return api.Response{}, err
		}
		grant := auth.Grant(form.Get("grant_type"))
		switch grant {
		case auth.ClientCredentials, auth.Implicit:
		case "":
			return api.Response{}, &problem.Error{Kind: problem.BadRequest, Title: "Bad Request",
				Detail: "grant_type is required", Source: "grant_type"}
		default:
			return api.Response{}, &problem.Error{Kind: problem.BadRequest, Title: "Bad Request",
				Detail: "grant_type must be client_credentials or implicit", Source: "grant_type"}
		}
		if form.Get("client_id") == "" {
			return api.Response{}, &problem.Error{Kind: problem.BadRequest, Title: "Bad Request",
				Detail: "client_id is required", Source: "client_id"}
		}
		if form.Get("client_id") != d.Client.ID {
			return api.Response{}, errBadClient
		}
		if grant == auth.ClientCredentials {
			ok, err := d.Client.CheckSecret(ctx, form.Get("client_secret"))
			if err != nil {
				return api.Response{}, err
			}
			if !ok {
				return api.Response{}, errBadClient
			}
		}
		tok, err := d.Tokens.IssueAccess(ctx, grant, d.Client.ID)
		if err != nil {
			return api.Response{}, err
		}
		return api.NoStore(api.JSON(http.StatusOK, struct {
			AccessToken string     `json:"access_token"`
			TokenType   string     `json:"token_type"`
			ExpiresIn   int        `json:"expires_in"`
			Expires     int64      `json:"expires"`
			Identifier  auth.Grant `json:"identifier"`
		}{tok.Value, "Bearer", int(auth.AccessTokenTTL.Seconds()), tok.Expires.Unix(), grant}))
	}
}

// tokenForm reads the form-encoded body. Some published examples send the same form with
// a JSON content type, and some clients send a JSON object: both are accepted.
func tokenForm(r *api.Request) (url.Values, error) {
	b, err := r.Body()
	if err != nil {
		return nil, err
	}
	switch r.MediaType() {
	case "application/x-www-form-urlencoded", "":
	case "application/json":
		var m map[string]string
		if json.Unmarshal(b, &m) == nil {
			v := url.Values{}
			for k, s := range m {
				v.Set(k, s)
			}
			return v, nil
		}
	default:
		return nil, problem.New(problem.UnsupportedMedia, "Unsupported Media Type",
			"send the body as application/x-www-form-urlencoded")
	}
	v, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, problem.Bad("Bad Request", "the body is not a valid form")
	}
	for k, vs := range v {
		if len(vs) > 1 {
			return nil, problem.Bad("Bad Request", problem.Quote(k)+" is given more than once")
		}
	}
	return v, nil
}

// JWKSMaxAge is how long a verifier may keep the public key set (Cache-Control): a key is
// published this long, at least, before it signs (README, Rotating keys).
const JWKSMaxAge = 300

// JWKS is GET /.well-known/jwks.json: the public keys that verify this deployment's access
// and customer tokens (RFC 7517), for other services of the store to verify a customer
// token on their own. No token needed; cacheable.
func JWKS(d *app.Deps) api.HandlerFunc {
	return func(ctx context.Context, r *api.Request) (api.Response, error) {
		sets, err := d.Tokens.PublicKeys(ctx)
		if err != nil {
			return api.Response{}, err
		}
		doc := struct {
			Keys []auth.JWK `json:"keys"`
		}{Keys: []auth.JWK{}}
		for _, kind := range auth.Kinds {
			doc.Keys = append(doc.Keys, sets[kind].Keys...)
		}
		res, err := api.JSON(http.StatusOK, doc)
		if err == nil {
			res.Headers["Cache-Control"] = "public, max-age=" + strconv.Itoa(JWKSMaxAge)
		}
		return res, err
	}
}
