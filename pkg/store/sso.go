package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/sso"
)

// realmItem is what the customer authentication realm holds beyond its defaults
// (partition SSO, one item, absent until the realm is first changed or given a profile).
type realmItem struct {
	key
	Type         string   `dynamodbav:"type"`
	Name         string   `dynamodbav:"name,omitempty"`
	RedirectURIs []string `dynamodbav:"redirect_uris,omitempty"`
	Policy       string   `dynamodbav:"duplicate_email_policy,omitempty"`
	ProfileCount int      `dynamodbav:"profile_count"`
	Version      int64    `dynamodbav:"version"`
	CreatedAt    string   `dynamodbav:"created_at,omitempty"`
	UpdatedAt    string   `dynamodbav:"updated_at,omitempty"`
}

func (it *realmItem) realm() *sso.Realm {
	r := &sso.Realm{Name: it.Name, RedirectURIs: it.RedirectURIs, DuplicateEmailPolicy: it.Policy,
		Profiles: it.ProfileCount, Version: it.Version}
	r.CreatedAt, _ = time.Parse(time.RFC3339Nano, it.CreatedAt)
	r.UpdatedAt, _ = time.Parse(time.RFC3339Nano, it.UpdatedAt)
	return r
}

// profileItem is an OpenID Connect profile as stored; the client secret only sealed.
type profileItem struct {
	key
	Type         string `dynamodbav:"type"`
	ID           string `dynamodbav:"id"`
	Name         string `dynamodbav:"name"`
	DiscoveryURL string `dynamodbav:"discovery_url"`
	Issuer       string `dynamodbav:"issuer"`
	ClientID     string `dynamodbav:"client_id"`
	SealedSecret []byte `dynamodbav:"client_secret_sealed"`
	Version      int64  `dynamodbav:"version"`
	CreatedAt    string `dynamodbav:"created_at"`
	UpdatedAt    string `dynamodbav:"updated_at"`
	WriteToken   string `dynamodbav:"write_token,omitempty"` // attrWriteToken
}

func newProfileItem(p *sso.Profile) profileItem {
	return profileItem{key: profileKey(p.ID), Type: "oidc-profile", ID: p.ID, Name: p.Name, DiscoveryURL: p.DiscoveryURL,
		Issuer: p.Issuer, ClientID: p.ClientID, SealedSecret: p.SealedSecret, Version: p.Version,
		CreatedAt: timeKey(p.CreatedAt), UpdatedAt: timeKey(p.UpdatedAt)}
}

func (it *profileItem) profile() *sso.Profile {
	p := &sso.Profile{ID: it.ID, Name: it.Name, DiscoveryURL: it.DiscoveryURL, Issuer: it.Issuer, ClientID: it.ClientID,
		SealedSecret: it.SealedSecret, Version: it.Version}
	p.CreatedAt, _ = time.Parse(time.RFC3339Nano, it.CreatedAt)
	p.UpdatedAt, _ = time.Parse(time.RFC3339Nano, it.UpdatedAt)
	return p
}

// Realm implements sso.Store with one consistent GetItem; a realm never written is all
// zero.
func (s *Store) Realm(ctx context.Context) (*sso.Realm, error) {
	r, err := getOne(ctx, s, "get realm", realmKey(), (*realmItem).realm, errNoRealm)
	if errors.Is(err, errNoRealm) {
		return &sso.Realm{}, nil
	}
	return r, err
}

var errNoRealm = errors.New("no realm item")

// UpdateRealm implements sso.Store with one UpdateItem at cur's version (0: never
// written); the profile count is not its to change. Sent again by the SDK after its answer
// was lost, it recognises its own change (attrWriteToken).
func (s *Store) UpdateRealm(ctx context.Context, cur, next *sso.Realm) error {
	k, _ := attributevalue.MarshalMap(realmKey())
	uris, _ := attributevalue.Marshal(next.RedirectURIs)
	token := newWriteToken()
	cond, values := "version = :cur", map[string]types.AttributeValue{
		":token": &types.AttributeValueMemberS{Value: token},
		":n":     &types.AttributeValueMemberS{Value: next.Name}, ":u": uris,
		":p": &types.AttributeValueMemberS{Value: next.DuplicateEmailPolicy}, ":v": numberAV(next.Version),
		":t": &types.AttributeValueMemberS{Value: timeKey(next.UpdatedAt)}, ":type": &types.AttributeValueMemberS{Value: typeRealm},
		":zero": numberAV(0)}
	if cur.Version == 0 {
		cond = "attribute_not_exists(version) OR version = :zero"
	} else {
		values[":cur"] = numberAV(cur.Version)
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: k,
		UpdateExpression: aws.String("SET #type = :type, #n = :n, redirect_uris = :u, duplicate_email_policy = :p, version = :v, " +
			"updated_at = :t, created_at = if_not_exists(created_at, :t), profile_count = if_not_exists(profile_count, :zero), " +
			attrWriteToken + " = :token"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#n": "name", "#type": "type"},
		ExpressionAttributeValues: values, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	return s.versionFailure("update realm", err, token, sso.ErrStale)
}

const typeRealm = "authentication-realm"

// Profiles implements sso.Store with one Query of the SSO partition.
func (s *Store) Profiles(ctx context.Context) ([]*sso.Profile, error) {
	rows, err := s.between(ctx, "list profiles", partSSO, prefixProfile, prefixProfile+"\uffff")
	if err != nil {
		return nil, err
	}
	return decodeAll("list profiles", rows, (*profileItem).profile)
}

// Profile implements sso.Store with one consistent GetItem.
func (s *Store) Profile(ctx context.Context, id string) (*sso.Profile, error) {
	return getOne(ctx, s, "get profile", profileKey(id), (*profileItem).profile, sso.ErrProfileNotFound)
}

// realmCount is the update of the realm's profile count by delta (which writes the realm's
// item if it was never written), refusing to pass sso.MaxProfiles.
func (s *Store) realmCount(delta int64, now time.Time) *types.Update {
	k, _ := attributevalue.MarshalMap(realmKey())
	u := &types.Update{TableName: &s.table, Key: k,
		UpdateExpression:         aws.String("ADD profile_count :d, version :zero SET #type = :type, created_at = if_not_exists(created_at, :t)"),
		ExpressionAttributeNames: map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": numberAV(delta), ":zero": numberAV(0),
			":type": &types.AttributeValueMemberS{Value: typeRealm}, ":t": &types.AttributeValueMemberS{Value: timeKey(now)}}}
	if delta > 0 {
		u.ConditionExpression = aws.String("attribute_not_exists(profile_count) OR profile_count < :max")
		u.ExpressionAttributeValues[":max"] = numberAV(sso.MaxProfiles)
	}
	return u
}

// CreateProfile implements sso.Store: the profile and the realm's count in one transaction.
func (s *Store) CreateProfile(ctx context.Context, p *sso.Profile) error {
	item, err := attributevalue.MarshalMap(newProfileItem(p))
	if err != nil {
		return fail("create profile", err)
	}
	reasons, err := s.transact(ctx, "create profile", func() []types.TransactWriteItem {
		return []types.TransactWriteItem{
			{Put: &types.Put{TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			{Update: s.realmCount(1, p.CreatedAt)},
		}
	})
	switch {
	case err != nil:
		return err
	case failed(reasons, 1):
		return sso.ErrTooManyProfiles
	case reasons != nil:
		return sso.ErrStale
	}
	return nil
}

// UpdateProfile implements sso.Store with one PutItem at cur's version. Sent again by the
// SDK after its answer was lost, it recognises its own change (attrWriteToken).
func (s *Store) UpdateProfile(ctx context.Context, cur, next *sso.Profile) error {
	it := newProfileItem(next)
	it.WriteToken = newWriteToken()
	item, err := attributevalue.MarshalMap(it)
	if err != nil {
		return fail("update profile", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item,
		ConditionExpression:       aws.String("version = :cur"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":cur": numberAV(cur.Version)}, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	return s.versionFailure("update profile", err, it.WriteToken, sso.ErrStale)
}

// DeleteProfile implements sso.Store: the profile and the realm's count in one transaction.
func (s *Store) DeleteProfile(ctx context.Context, cur *sso.Profile) error {
	k, _ := attributevalue.MarshalMap(profileKey(cur.ID))
	reasons, err := s.transact(ctx, "delete profile", func() []types.TransactWriteItem {
		return []types.TransactWriteItem{
			{Delete: &types.Delete{TableName: &s.table, Key: k, ConditionExpression: aws.String("version = :cur"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":cur": numberAV(cur.Version)}, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
			{Update: s.realmCount(-1, cur.UpdatedAt)},
		}
	})
	switch {
	case err != nil:
		return err
	case failed(reasons, 0):
		return changed(reasons[0].Item, sso.ErrStale)
	case reasons != nil:
		return sso.ErrStale
	}
	return nil
}

// stateItem is a log-in in progress; it expires by TTL (and reads treat it as gone after
// its expiry whether or not DynamoDB has deleted it yet).
type stateItem struct {
	key
	ProfileID     string `dynamodbav:"profile_id"`
	RedirectURI   string `dynamodbav:"redirect_uri"`
	ClientState   string `dynamodbav:"client_state"`
	CodeChallenge string `dynamodbav:"code_challenge"`
	CallbackURL   string `dynamodbav:"callback_url"`
	Nonce         string `dynamodbav:"nonce"`
	Verifier      string `dynamodbav:"verifier"`
	Policy        string `dynamodbav:"policy"`
	Expires       string `dynamodbav:"expires"`
	ExpiresAt     int64  `dynamodbav:"expires_at"`
}

// grantItem is a one-time code's grant; it expires by TTL.
type grantItem struct {
	key
	ProfileID     string `dynamodbav:"profile_id"`
	IdentityKey   string `dynamodbav:"identity_key"`
	Email         string `dynamodbav:"email,omitempty"`
	EmailVerified bool   `dynamodbav:"email_verified"`
	Name          string `dynamodbav:"name,omitempty"`
	RedirectURI   string `dynamodbav:"redirect_uri"`
	CodeChallenge string `dynamodbav:"code_challenge"`
	Policy        string `dynamodbav:"policy"`
	Expires       string `dynamodbav:"expires"`
	ExpiresAt     int64  `dynamodbav:"expires_at"`
}

// PutState implements sso.Store with one PutItem.
func (s *Store) PutState(ctx context.Context, k string, st *sso.State) error {
	return s.putOnce(ctx, "put state", stateItem{key: stateKey(k), ProfileID: st.ProfileID, RedirectURI: st.RedirectURI,
		ClientState: st.ClientState, CodeChallenge: st.CodeChallenge, CallbackURL: st.CallbackURL, Nonce: st.Nonce,
		Verifier: st.Verifier, Policy: st.Policy, Expires: timeKey(st.Expires), ExpiresAt: st.Expires.Unix() + 1})
}

// TakeState implements sso.Store with one conditional DeleteItem that returns the item.
func (s *Store) TakeState(ctx context.Context, k string) (*sso.State, error) {
	it, err := take[stateItem](ctx, s, "take state", stateKey(k), sso.ErrUnknownState)
	if err != nil {
		return nil, err
	}
	st := &sso.State{ProfileID: it.ProfileID, RedirectURI: it.RedirectURI, ClientState: it.ClientState,
		CodeChallenge: it.CodeChallenge, CallbackURL: it.CallbackURL, Nonce: it.Nonce, Verifier: it.Verifier, Policy: it.Policy}
	st.Expires, _ = time.Parse(time.RFC3339Nano, it.Expires)
	return st, nil
}

// PutGrant implements sso.Store with one PutItem.
func (s *Store) PutGrant(ctx context.Context, k string, g *sso.Grant) error {
	return s.putOnce(ctx, "put grant", grantItem{key: grantKey(k), ProfileID: g.Identity.ProfileID, IdentityKey: g.Identity.Key,
		Email: g.Identity.Email, EmailVerified: g.Identity.EmailVerified, Name: g.Identity.Name, RedirectURI: g.RedirectURI,
		CodeChallenge: g.CodeChallenge, Policy: g.Policy, Expires: timeKey(g.Expires), ExpiresAt: g.Expires.Unix() + 1})
}

// TakeGrant implements sso.Store with one conditional DeleteItem that returns the item.
func (s *Store) TakeGrant(ctx context.Context, k string) (*sso.Grant, error) {
	it, err := take[grantItem](ctx, s, "take grant", grantKey(k), sso.ErrInvalidCode)
	if err != nil {
		return nil, err
	}
	g := &sso.Grant{Identity: sso.Identity{ProfileID: it.ProfileID, Key: it.IdentityKey, Email: it.Email,
		EmailVerified: it.EmailVerified, Name: it.Name}, RedirectURI: it.RedirectURI, CodeChallenge: it.CodeChallenge, Policy: it.Policy}
	g.Expires, _ = time.Parse(time.RFC3339Nano, it.Expires)
	return g, nil
}

// putOnce puts a new item that no other may be at its key (keys are hashes of 256 random
// bits: a collision is a bug).
func (s *Store) putOnce(ctx context.Context, op string, v any) error {
	item, err := attributevalue.MarshalMap(v)
	if err != nil {
		return fail(op, err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item,
		ConditionExpression: aws.String("attribute_not_exists(PK)")})
	return fail(op, err)
}

// take deletes the item at k if it is there and returns what it was; gone when it was not
// (never there, expired and deleted, or taken already by a concurrent request: exactly one
// of two takes gets the item).
func take[I any](ctx context.Context, s *Store, op string, k key, gone error) (*I, error) {
	mk, _ := attributevalue.MarshalMap(k)
	out, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: mk,
		ConditionExpression: aws.String("attribute_exists(PK)"), ReturnValues: types.ReturnValueAllOld})
	if conditionFailed(err) {
		return nil, gone
	}
	if err != nil {
		return nil, fail(op, err)
	}
	var it I
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return nil, fail(op, err)
	}
	return &it, nil
}

var _ sso.Store = (*Store)(nil)
