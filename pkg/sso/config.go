package sso

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/problem"
)

// discoverySuffix ends every discovery URL: the provider's issuer is what comes before it
// (OpenID Connect Discovery 1.0 §4).
const discoverySuffix = "/.well-known/openid-configuration"

// CheckURL holds a URL the service sends browsers to or calls: absolute, without user
// information or fragment, at most MaxURLLen bytes, and https unless its host is localhost
// or 127.0.0.1 (a developer's machine), where http is allowed too.
func CheckURL(raw string) (*url.URL, string) {
	if len(raw) > MaxURLLen {
		return nil, "must be at most " + strconv.Itoa(MaxURLLen) + " bytes"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return nil, "must be an absolute URL"
	case u.User != nil:
		return nil, "must not hold a user name or password"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, "must not have a fragment"
	case u.Scheme == "https":
		return u, ""
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return u, ""
	}
	return nil, "must be https:// (http:// only for localhost and 127.0.0.1)"
}

func isLoopback(host string) bool { return host == "localhost" || host == "127.0.0.1" }

// text reads a required string member of at most max characters without control
// characters; errs collects what is wrong.
func text(o api.Object, name string, max int, required bool, errs *problem.List) (string, bool) {
	source := "data." + name
	v, ok, err := o.String(name)
	switch {
	case !ok:
		if required {
			*errs = append(*errs, problem.Invalid(source, "The "+source+" field is required."))
		}
		return "", false
	case err != nil:
		*errs = append(*errs, problem.Invalid(source, "The "+source+" field must be a string."))
		return "", false
	case strings.TrimSpace(v) == "":
		*errs = append(*errs, problem.Invalid(source, "The "+source+" field must not be blank."))
		return "", false
	}
	if p := api.CheckText(source, v, max, ""); p != nil {
		*errs = append(*errs, problem.Invalid(source, p.Detail))
		return "", false
	}
	return v, true
}

// checkType requires data.type to be want.
func checkType(o api.Object, want string, errs *problem.List) {
	if t, _, _ := o.String("type"); t != want {
		*errs = append(*errs, problem.Invalid("data.type", `The data.type field must be "`+want+`".`))
	}
}

// checkMembers refuses members the resource does not have (besides those it echoes back).
func checkMembers(o api.Object, known map[string]bool, errs *problem.List) error {
	if err := o.CheckMembers(len(known), "this resource"); err != nil {
		return err
	}
	for _, k := range o.Keys() {
		if !known[k] {
			source := "data." + problem.Quote(k)
			*errs = append(*errs, problem.Invalid(source, "The "+source+" field is not a member of this resource."))
		}
	}
	return nil
}

// echoed are members a client may send back as it read them; they are ignored.
var echoed = []string{"id", "type", "meta", "links", "relationships"}

func membersOf(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range append(names, echoed...) {
		m[n] = true
	}
	return m
}

var realmMembers = membersOf("name", "redirect_uris", "duplicate_email_policy")

// ParseRealm applies a PUT body to the realm cur: name, redirect_uris and
// duplicate_email_policy, each optional.
func ParseRealm(o api.Object, cur *Realm) (*Realm, error) {
	var errs problem.List
	if err := checkMembers(o, realmMembers, &errs); err != nil {
		return nil, err
	}
	checkType(o, "authentication-realm", &errs)
	next := *cur
	if v, ok := text(o, "name", MaxNameLen, false, &errs); ok {
		next.Name = v
	}
	if o.Has("redirect_uris") {
		uris, p := redirectURIs(o["redirect_uris"])
		errs = append(errs, p...)
		next.RedirectURIs = uris
	}
	if v, ok, err := o.String("duplicate_email_policy"); ok {
		if err != nil || (v != PolicyAllowed && v != PolicyAPIOnly) {
			errs = append(errs, problem.Invalid("data.duplicate_email_policy",
				`The data.duplicate_email_policy field must be "allowed" or "api_only".`))
		} else {
			next.DuplicateEmailPolicy = v
		}
	}
	return &next, errs.Err()
}

// redirectURIs reads the realm's redirect URIs: a list of at most MaxRedirectURIs URLs
// that CheckURL accepts, without repeats.
func redirectURIs(raw json.RawMessage) ([]string, problem.List) {
	const source = "data.redirect_uris"
	var uris []string
	if err := json.Unmarshal(raw, &uris); err != nil || uris == nil {
		return nil, problem.List{problem.Invalid(source, "The "+source+" field must be a list of URLs.")}
	}
	if len(uris) > MaxRedirectURIs {
		return nil, problem.List{problem.Invalid(source, "The "+source+" field holds at most "+strconv.Itoa(MaxRedirectURIs)+" URLs.")}
	}
	var errs problem.List
	seen := map[string]bool{}
	out := make([]string, 0, len(uris))
	for i, u := range uris {
		at := source + "[" + strconv.Itoa(i) + "]"
		if _, why := CheckURL(u); why != "" {
			errs = append(errs, problem.Invalid(at, "The "+at+" field "+why+"."))
			continue
		}
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out, errs
}

var profileMembers = membersOf("name", "discovery_url", "client_id", "client_secret")

// ProfileInput is a profile's create or update body, checked. On update, empty members
// were not sent.
type ProfileInput struct {
	Name, DiscoveryURL, ClientID, ClientSecret string
}

// ParseProfile reads an OpenID Connect profile's body; create requires every member.
func ParseProfile(o api.Object, create bool) (ProfileInput, error) {
	var errs problem.List
	if err := checkMembers(o, profileMembers, &errs); err != nil {
		return ProfileInput{}, err
	}
	checkType(o, "oidc-profile", &errs)
	var in ProfileInput
	in.Name, _ = text(o, "name", MaxNameLen, create, &errs)
	in.ClientID, _ = text(o, "client_id", MaxClientIDLen, create, &errs)
	if v, ok := text(o, "client_secret", MaxSecretLen, create, &errs); ok {
		in.ClientSecret = v
	}
	if v, ok := text(o, "discovery_url", MaxURLLen, create, &errs); ok {
		if _, why := CheckURL(v); why != "" {
			errs = append(errs, problem.Invalid("data.discovery_url", "The data.discovery_url field "+why+"."))
		} else if !strings.HasSuffix(v, discoverySuffix) || strings.Contains(v, "?") {
			errs = append(errs, problem.Invalid("data.discovery_url",
				"The data.discovery_url field must be the provider's discovery document: its issuer followed by "+discoverySuffix+"."))
		} else {
			in.DiscoveryURL = v
		}
	}
	return in, errs.Err()
}

// IssuerOf is the issuer a discovery URL names.
func IssuerOf(discoveryURL string) string { return strings.TrimSuffix(discoveryURL, discoverySuffix) }
