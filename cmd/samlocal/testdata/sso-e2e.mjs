// End-to-end check of single sign-on (OpenID Connect) with the official JavaScript SDK
// (@moltin/sdk), unchanged, against the local runner and a mock identity provider
// (pkg/mockidp), as a back office and a storefront would do it:
//
//   1. staff (client_credentials): AuthenticationSettings.Get() for the realm, the realm's
//      redirect URIs (AuthenticationRealm.Update), an OIDC profile for the provider
//      (OidcProfile.Create, which never shows the client secret);
//   2. the storefront (implicit): the realm and its profiles, then the shopper's browser
//      through the broker hop by hop (service, provider, service's callback, storefront)
//      with a PKCE challenge, without ever loading the storefront;
//   3. Customers.TokenViaOIDC(code, redirectUri, verifier), the customer read with its
//      token; a code used twice, a second log-in, a wrong verifier, a wrong redirect URI.
//
// Run by cmd/samlocal's TestEndToEnd with API_HOST, CLIENT_ID, CLIENT_SECRET (the API) and
// IDP_ISSUER, IDP_DISCOVERY_URL, IDP_CLIENT_ID, IDP_CLIENT_SECRET (the provider, whose
// user the test set: sub e2e-sub-1, sso.shopper@example.com, verified, "Sso Shopper").
// Prints one line a step and exits non-zero on the first failed expectation.
import { gateway, MemoryStorageFactory } from '@moltin/sdk'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'

const env = process.env
const { API_HOST: host, CLIENT_ID: clientId, CLIENT_SECRET: clientSecret } = env
const idp = { issuer: env.IDP_ISSUER, discoveryUrl: env.IDP_DISCOVERY_URL, clientId: env.IDP_CLIENT_ID, clientSecret: env.IDP_CLIENT_SECRET }
for (const [name, value] of Object.entries({ API_HOST: host, CLIENT_ID: clientId, CLIENT_SECRET: clientSecret,
  IDP_ISSUER: idp.issuer, IDP_DISCOVERY_URL: idp.discoveryUrl, IDP_CLIENT_ID: idp.clientId, IDP_CLIENT_SECRET: idp.clientSecret })) {
  if (!value) {
    console.error(`not ok - ${name} is not set`)
    process.exit(2)
  }
}
console.info = () => {} // the SDK logs every token check

// A call the service refuses unexpectedly rejects with the parsed error body, no Error:
// print it whole. A failed check prints its message (it says what came and what was
// wanted), any other error its stack.
process.on('uncaughtException', (err) => {
  if (err instanceof assert.AssertionError) console.error(`not ok - ${err.message}`)
  else if (err instanceof Error) console.error('not ok -', err)
  else console.error(`not ok - the SDK rejected a call with ${JSON.stringify(err)} (in the step after the last "ok")`)
  process.exit(1)
})

const client = (secret, options = {}) => gateway({
  client_id: clientId, client_secret: secret, host, protocol: 'http',
  storage: new MemoryStorageFactory(), disableCart: true, retryDelay: 10, retryJitter: 1, ...options,
})
const admin = client(clientSecret) // the back office
const shop = client(undefined) // implicit, like a storefront
// The SDK answers a 401 by authenticating again and resending the request (up to
// fetchMaxAttempts, 4): a one-time code refused for its verifier or redirect URI is spent
// by the first try, so the retries hear "invalid code" and that is what the SDK rejects
// with. To see the service's first answer, these checks use a storefront client that
// sends each request once.
const shopOnce = client(undefined, { fetchMaxAttempts: 1 })

const show = (v) => JSON.stringify(v) ?? String(v)
// rejected returns what the SDK rejects with (the parsed error body).
async function rejected(promise, what) {
  let answer
  try { answer = await promise } catch (body) { return body }
  assert.fail(`${what}: expected the call to be refused; it answered ${show(answer)}`)
}
// step reports a step done, with a compact summary of what the service answered.
const step = (name, summary) => process.stdout.write(`ok - ${name}${summary ? `: ${summary}` : ''}\n`)

// expect fails the run unless actual deep-equals expected, saying what was checked, what
// came, what was expected and the answer it came from.
function expect(what, actual, expected, answer) {
  try {
    assert.deepStrictEqual(actual, expected)
  } catch {
    assert.fail(`${what}: got ${show(actual)}, want ${show(expected)}` +
      (answer === undefined ? '' : `\n  in the answer: ${show(answer)}`))
  }
}
// refusedWith checks an error body: one error, its status, and a detail that matches.
function refusedWith(what, body, status, detail) {
  const e = body?.errors?.[0]
  expect(`${what}: status`, e?.status, status, body)
  expect(`${what}: detail matches ${detail}`, detail.test(e?.detail ?? ''), true, body)
  return `${e.status} ${show(e.detail)}`
}
// secretFree checks that nothing in an answer is a client secret: no member named
// client_secret anywhere, and not the secret's value.
function secretFree(what, answer) {
  const keys = []
  const walk = (v, path) => {
    if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'client_secret') keys.push(`${path}.${k}`)
        walk(x, `${path}.${k}`)
      }
    }
  }
  walk(answer, '$')
  expect(`${what}: members named client_secret`, keys, [], answer)
  expect(`${what}: holds the client secret's value`, show(answer).includes(idp.clientSecret), false, answer)
}
const linkNames = ['authorization-endpoint', 'callback-endpoint', 'client-discovery-url']
function hasLinks(what, links, answer) {
  for (const name of linkNames) {
    expect(`${what}: links["${name}"] is an http URL of the API`,
      typeof links?.[name] === 'string' && links[name].startsWith(`http://${host}/`), true, answer)
  }
}

// 1. The back office: the realm, its redirect URIs, a profile for the provider.
const settings = await admin.AuthenticationSettings.Get()
expect('settings: type', settings.data?.type, 'customer-authentication-settings', settings)
expect('settings: meta.client_id', settings.data.meta?.client_id, 'customers', settings)
const realmRef = settings.data.relationships?.['authentication-realm']?.data
expect('settings: relationships["authentication-realm"].data.type', realmRef?.type, 'authentication-realm', settings)
const realmId = realmRef.id
const ssoClientId = settings.data.meta.client_id
const noSettings = await rejected(shop.AuthenticationSettings.Get(), 'settings with the implicit token')
expect('settings with the implicit token: status', noSettings.errors?.[0]?.status, 403, noSettings)
step('staff: AuthenticationSettings.Get() names the realm; the implicit token may not read them',
  `realm ${realmId}, client_id ${ssoClientId}; implicit: ${noSettings.errors[0].status}`)

const redirectUri = 'http://localhost:9/storefront/callback'
const updated = await admin.AuthenticationRealm.Update(realmId, { redirect_uris: [redirectUri], duplicate_email_policy: 'allowed' })
expect('realm update: id', updated.data?.id, realmId, updated)
expect('realm update: redirect_uris', updated.data.redirect_uris, [redirectUri], updated)
expect('realm update: duplicate_email_policy', updated.data.duplicate_email_policy, 'allowed', updated)
const realm = await admin.AuthenticationRealm.Get({ realmId })
expect('realm read back: redirect_uris', realm.data?.redirect_uris, [redirectUri], realm)
step('staff: AuthenticationRealm.Update(realmId, {redirect_uris}) and Get', `${realm.data.name}: ${realm.data.redirect_uris.join(', ')}`)

const profileBody = { type: 'oidc-profile', name: 'Mock provider (e2e)', discovery_url: idp.discoveryUrl,
  client_id: idp.clientId, client_secret: idp.clientSecret }
const created = await admin.OidcProfile.Create(realmId, { data: profileBody })
const profile = created.data
expect('profile: type', profile?.type, 'oidc-profile', created)
expect('profile: name, discovery_url, client_id', [profile.name, profile.discovery_url, profile.client_id],
  [profileBody.name, idp.discoveryUrl, idp.clientId], created)
expect("profile: meta.issuer is the provider's issuer", profile.meta?.issuer, idp.issuer, created)
secretFree('profile as created', created)
hasLinks('profile as created (top level)', created.links, created)
hasLinks('profile as created (data)', profile.links, created)
expect('profile: the top-level links are the data links',
  linkNames.map((n) => created.links[n]), linkNames.map((n) => profile.links[n]), created)
const authorizationEndpoint = new URL(created.links['authorization-endpoint'])
expect('authorization-endpoint names the profile', authorizationEndpoint.searchParams.get('elasticpath_commerce_cloud_profile_id'), profile.id, created)
const callbackEndpoint = created.links['callback-endpoint']
step('staff: OidcProfile.Create(realmId, {data}) for the provider, no client secret in the answer',
  `${profile.id}, issuer ${profile.meta.issuer}`)

const notStaff = await rejected(shop.OidcProfile.Create(realmId, { data: { ...profileBody, name: 'Not allowed' } }), 'profile created with the implicit token')
expect('profile created with the implicit token: status', notStaff.errors?.[0]?.status, 403, notStaff)
step('the implicit token may not create a profile', `${notStaff.errors[0].status}`)

// 2. The storefront: what it draws its log-in button from.
const realms = await shop.AuthenticationRealm.All()
expect('realms (implicit): the one realm', realms.data?.map((r) => r.id), [realmId], realms)
expect('realms (implicit): meta.results.total', realms.meta?.results?.total, 1, realms)
expect('realms (implicit): redirect_uris', realms.data[0].redirect_uris, [redirectUri], realms)
const profiles = await shop.OidcProfile.All(realmId)
const listed = profiles.data?.find((p) => p.id === profile.id)
expect('profiles (implicit): the new profile is listed', listed?.id, profile.id, profiles)
secretFree('profiles (implicit)', profiles)
hasLinks('profiles (implicit): the new profile', listed.links, profiles)
expect('profiles (implicit): authorization-endpoint', listed.links['authorization-endpoint'], authorizationEndpoint.href, profiles)
const one = await shop.OidcProfile.Get({ realmId, profileId: profile.id })
expect('profile (implicit): id', one.data?.id, profile.id, one)
expect('profile (implicit): meta.issuer', one.data.meta?.issuer, idp.issuer, one)
secretFree('profile (implicit)', one)
hasLinks('profile (implicit)', one.links, one)
const discoveryResponse = await fetch(one.links['client-discovery-url'])
const discovery = await discoveryResponse.json()
expect('client-discovery-url: status', discoveryResponse.status, 200, discovery)
expect('client-discovery-url: authorization_endpoint', discovery.authorization_endpoint,
  `${authorizationEndpoint.origin}${authorizationEndpoint.pathname}`, discovery)
expect('client-discovery-url: code_challenge_methods_supported', discovery.code_challenge_methods_supported, ['S256'], discovery)
step('storefront: AuthenticationRealm.All(), OidcProfile.All(realmId), OidcProfile.Get, the client discovery document',
  `${profiles.data.length} profile(s), no secrets`)

const idpOrigin = new URL(idp.issuer).origin
// logIn sends the "browser" from the profile's authorization endpoint to the storefront's
// redirect URI, one redirect at a time, and returns the one-time code and the verifier.
async function logIn(label) {
  const verifier = randomBytes(32).toString('base64url')
  const challenge = createHash('sha256').update(verifier).digest('base64url')
  const state = randomBytes(16).toString('base64url')
  const start = new URL(authorizationEndpoint)
  for (const [k, v] of Object.entries({ client_id: ssoClientId, redirect_uri: redirectUri, state, response_type: 'code',
    scope: 'openid email', code_challenge: challenge, code_challenge_method: 'S256' })) start.searchParams.set(k, v)

  // The three legs: the service sends the browser to the provider, the provider back to
  // the service's callback, the service to the storefront.
  const legs = [
    { from: 'the authorization endpoint', to: "the provider's /authorize", ok: (u) => u.origin === idpOrigin && u.pathname === '/authorize' },
    { from: "the provider's /authorize", to: "the profile's callback-endpoint", ok: (u) => u.href.startsWith(`${callbackEndpoint}?`) },
    { from: "the profile's callback-endpoint", to: 'the storefront redirect URI', ok: (u) => u.href.startsWith(redirectUri) },
  ]
  let url = start.href
  let location
  const hops = []
  for (const [i, leg] of legs.entries()) {
    const response = await fetch(url, { redirect: 'manual' })
    const body = await response.text()
    const raw = response.headers.get('location')
    const at = `${label}, hop ${i + 1} (${leg.from}): GET ${url}`
    if (response.status !== 302 || !raw) {
      assert.fail(`${at}: answered ${response.status}, Location ${show(raw)}, want a 302 to ${leg.to}\n  body: ${body}`)
    }
    location = new URL(raw, url)
    if (!leg.ok(location)) assert.fail(`${at}: 302 to ${location.href}, want ${leg.to}`)
    hops.push(`${response.status} ${location.origin}${location.pathname}`)
    if (i === 0) {
      // The service's own request to the provider: its client, its callback, its PKCE and
      // nonce, its state (not the storefront's).
      const q = location.searchParams
      expect(`${at}: the provider's client_id`, q.get('client_id'), idp.clientId, location.href)
      expect(`${at}: redirect_uri is the callback-endpoint`, q.get('redirect_uri'), callbackEndpoint, location.href)
      expect(`${at}: response_type`, q.get('response_type'), 'code', location.href)
      expect(`${at}: scope has openid`, (q.get('scope') ?? '').split(' ').includes('openid'), true, location.href)
      expect(`${at}: code_challenge_method`, q.get('code_challenge_method'), 'S256', location.href)
      expect(`${at}: its own code_challenge`, Boolean(q.get('code_challenge')) && q.get('code_challenge') !== challenge, true, location.href)
      expect(`${at}: a nonce`, Boolean(q.get('nonce')), true, location.href)
      expect(`${at}: its own state`, Boolean(q.get('state')) && q.get('state') !== state, true, location.href)
    }
    url = location.href
  }
  const q = location.searchParams
  if (q.has('error')) {
    assert.fail(`${label}: the storefront got error=${q.get('error')} error_description=${show(q.get('error_description'))} (${location.href})`)
  }
  expect(`${label}: the storefront's state comes back`, q.get('state'), state, location.href)
  expect(`${label}: a code comes back`, Boolean(q.get('code')), true, location.href)
  return { code: q.get('code'), verifier, hops }
}

// 3. The log-in, the token, the customer.
const first = await logIn('first log-in')
step('browser: authorization endpoint → provider → callback → storefront, every hop a 302', first.hops.join(' → '))

const token = await shop.Customers.TokenViaOIDC(first.code, redirectUri, first.verifier)
expect('TokenViaOIDC: type', token.data?.type, 'token', token)
expect('TokenViaOIDC: a customer_id and a token', [typeof token.data.customer_id, typeof token.data.token], ['string', 'string'], token)
expect('TokenViaOIDC: expires in the future', token.data.expires > Date.now() / 1000, true, token)
const customerId = token.data.customer_id
step('storefront: Customers.TokenViaOIDC(code, redirectUri, verifier)', `customer ${customerId}`)

const customer = await shop.Customers.Get(customerId, token.data.token)
expect('the customer: id', customer.data?.id, customerId, customer)
expect('the customer: name, email, authentication_mechanism, password',
  [customer.data.name, customer.data.email, customer.data.authentication_mechanism, customer.data.password],
  ['Sso Shopper', 'sso.shopper@example.com', 'oidc', false], customer)
step('storefront: Customers.Get(customerId, token)',
  `${customer.data.name} <${customer.data.email}>, ${customer.data.authentication_mechanism}, password ${customer.data.password}`)

const replay = await rejected(shop.Customers.TokenViaOIDC(first.code, redirectUri, first.verifier), 'the same code again')
step('the same code again is refused', refusedWith('the same code again', replay, 401, /invalid code/i))

const second = await logIn('second log-in')
const again = await shop.Customers.TokenViaOIDC(second.code, redirectUri, second.verifier)
expect('second log-in: the same customer', again.data?.customer_id, customerId, again)
expect('second log-in: a new token', again.data.token !== token.data.token, true, again)
step('a second log-in of the same provider user is the same customer', again.data.customer_id)

const third = await logIn('log-in for a wrong verifier')
const otherVerifier = randomBytes(32).toString('base64url')
const badVerifier = await rejected(shopOnce.Customers.TokenViaOIDC(third.code, redirectUri, otherVerifier), 'a wrong verifier')
const verifierRefusal = refusedWith('a wrong verifier', badVerifier, 401, /code verifier mismatch/i)
const spent = await rejected(shopOnce.Customers.TokenViaOIDC(third.code, redirectUri, third.verifier), 'the right verifier after a wrong one')
step('a wrong verifier is refused, and the code is spent', `${verifierRefusal}; then ${refusedWith('the right verifier after a wrong one', spent, 401, /invalid code/i)}`)

const fourth = await logIn('log-in for a wrong redirect URI')
const badRedirect = await rejected(shopOnce.Customers.TokenViaOIDC(fourth.code, 'http://localhost:9/storefront/elsewhere', fourth.verifier), 'a wrong redirect URI')
step('a wrong redirect URI is refused', refusedWith('a wrong redirect URI', badRedirect, 401, /redirect_uri mismatch/i))

// The default SDK client (which retries a 401) is refused all the same.
const fifth = await logIn('log-in for a wrong verifier, default client')
const retried = await rejected(shop.Customers.TokenViaOIDC(fifth.code, redirectUri, otherVerifier), 'a wrong verifier (default client)')
step('a wrong verifier through the default SDK client (it retries a 401) is refused too',
  refusedWith('a wrong verifier (default client)', retried, 401, /code verifier mismatch|invalid code/i))
