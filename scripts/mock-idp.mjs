// A real OpenID Connect provider for tests and `make local`: oauth2-mock-server (discovery,
// JWKS, /authorize, /token, /userinfo, RS256-signed tokens) plus what a store's identity
// provider does and the library does not, and a control API that makes it misbehave.
//
//   node scripts/mock-idp.mjs     (env PORT, CONTROL_PORT; 0 or unset = any free port)
//
// Prints one JSON line when ready: {"issuer":"http://127.0.0.1:PORT","control":"http://127.0.0.1:CPORT"}
// and runs until SIGTERM, SIGINT or the end of stdin (so it dies with the process that
// started it through a pipe; do not start it with stdin on /dev/null).
//
// What this adds to oauth2-mock-server 9.3.0, which on its own:
//   - authenticates no client (any or no credentials get tokens);
//   - checks PKCE only when the token request carries a code_verifier (leaving it out
//     passes), and answers a mismatch with a 400 problem+json, not an OAuth error;
//   - accepts any code, known or not, any number of times;
//   - signs ID tokens for sub "johndoe" (it does put the /authorize nonce in them).
// So the token endpoint below checks the client (client_secret_basic), the code (issued
// here, redeemed once, same client and redirect_uri) and PKCE itself, and the token events
// put the configured user in the tokens.
//
// Control API (JSON bodies, on CONTROL_PORT):
//   POST /client {"client_id","client_secret"}  the confidential client; from then on /token
//                                                requires client_secret_basic with exactly these
//   POST /user   {"sub", ...claims}             the user the next log-ins get (ID token, userinfo)
//   POST /fault  {"kind", ...params}            one fault until POST /reset (kinds: FAULTS below)
//   POST /rotate                                new RS256 signing key; the old one leaves the JWKS
//   POST /reset                                 clear the fault and the log (client, user, keys stay)
//   GET  /log                                   provider requests since the last reset (no secrets)
//   DELETE /log                                 clear the log
import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import { createHash, createHmac, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';

const HOST = '127.0.0.1';

const DEFAULT_USER = Object.freeze({
  sub: 'mock-user-1',
  email: 'shopper@example.com',
  email_verified: true,
  name: 'Mock Shopper',
});

// Fault kinds POST /fault accepts. All but the first four change the ID token only.
const FAULTS = new Set([
  'slow', // {"ms": N}: every provider request waits N ms before it is answered
  'down', // every provider request has its connection destroyed, unanswered
  'discovery_500', // the discovery document answers 500
  'token_error', // the token endpoint answers 400 {"error":"invalid_grant"}
  'wrong_audience', // aud "someone-else"
  'wrong_azp', // azp "someone-else", aud [client, "someone-else"]
  'expired', // exp an hour ago, iat two hours ago
  'future_iat', // iat an hour from now
  'wrong_nonce', // a nonce other than the one /authorize got
  'no_nonce', // no nonce claim
  'wrong_issuer', // iss not this provider
  'bad_signature', // signed by a key not in the JWKS, with the published key's kid
  'alg_none', // alg "none", no signature
  'hs256', // HS256, keyed with the client secret
]);

const state = {
  client: null, // {id, secret} once POST /client set it; until then any client is accepted
  user: { ...DEFAULT_USER },
  fault: null, // {kind, ...params}
  log: [], // entries for GET /log
  codes: new Map(), // code -> what /authorize saw: {clientId, redirectUri, challenge, method, nonce, user, used}
  accessTokens: new Map(), // access token -> the user claims /userinfo answers with
};

// The key bad_signature signs with: never published.
const strayKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

// The library's issuer (key store, token signing) and service (the endpoints). We wire them
// to our own HTTP server rather than use OAuth2Server, whose server is private: we need to
// see requests before the library (faults, client authentication, code checks). Its key
// store can add keys but not remove them, so /rotate builds a fresh issuer and service.
let idp;

async function newIdp(url) {
  const issuer = new OAuth2Issuer();
  issuer.url = url; // exactly the URL we serve (the library would say "localhost")
  await issuer.keys.generate('RS256');
  const service = new OAuth2Service(issuer);

  // Discovery: advertise what the token endpoint really does; discovery_500.
  service.on('beforeWellKnownOpenIdConfiguration', (response) => {
    response.body.token_endpoint_auth_methods_supported = ['client_secret_basic'];
    delete response.body.token_endpoint_auth_signing_alg_values_supported; // for JWT client auth only
    response.body.code_challenge_methods_supported = ['S256'];
    response.body.scopes_supported = ['openid', 'email', 'profile'];
    if (state.fault?.kind === 'discovery_500') {
      response.statusCode = 500;
      response.body = { error: 'server_error' };
    }
  });

  // /authorize: remember what the code was issued for, to check it at /token.
  service.on('beforeAuthorizeRedirect', ({ url: redirect }, req) => {
    const code = redirect.searchParams.get('code');
    if (!code) return;
    const q = req.query;
    state.codes.set(code, {
      clientId: q.client_id,
      redirectUri: q.redirect_uri,
      challenge: q.code_challenge,
      method: q.code_challenge_method ?? 'plain',
      nonce: q.nonce,
      user: { ...state.user }, // the user who "logs in" now
      used: false,
    });
  });

  // /token: the library signs the access token first, then (for code, password and refresh
  // grants) the ID token; req.mock is what checkTokenRequest learnt about the request.
  service.on('beforeTokenSigning', (token, req) => {
    const ctx = req.mock;
    ctx.signed += 1;
    const user = ctx.code?.user ?? state.user;
    if (ctx.signed === 1) {
      token.payload.sub = user.sub;
      return;
    }
    const { iss, iat, exp } = token.payload; // no nbf: ID tokens do not have one
    token.payload = { ...user, iss, aud: ctx.clientId, iat, exp };
    if (ctx.code?.nonce !== undefined) token.payload.nonce = ctx.code.nonce;
    claimFault(token.payload, ctx);
  });
  service.on('beforeResponse', (response, req) => {
    const ctx = req.mock;
    if (response.statusCode !== 200) return;
    state.accessTokens.set(response.body.access_token, { ...(ctx.code?.user ?? state.user) });
    if (response.body.id_token) response.body.id_token = signatureFault(response.body.id_token, ctx);
  });

  // /userinfo: the claims of the user the bearer token was issued for.
  service.on('beforeUserinfo', (response, req) => {
    const [scheme, token] = (req.headers.authorization ?? '').split(' ');
    const claims = scheme === 'Bearer' ? state.accessTokens.get(token) : undefined;
    if (claims) response.body = claims;
    else {
      response.statusCode = 401;
      response.body = { error: 'invalid_token' };
    }
  });

  return { issuer, service };
}

// Faults that change the ID token's claims (it is still signed with the published key).
function claimFault(p, ctx) {
  const now = Math.floor(Date.now() / 1000);
  switch (state.fault?.kind) {
    case 'wrong_audience':
      p.aud = 'someone-else';
      break;
    case 'wrong_azp':
      p.aud = [ctx.clientId, 'someone-else'];
      p.azp = 'someone-else';
      break;
    case 'expired':
      p.iat = now - 7200;
      p.exp = now - 3600;
      break;
    case 'future_iat':
      p.iat = now + 3600;
      p.exp = now + 7200;
      break;
    case 'wrong_nonce':
      p.nonce = `not-your-nonce-${randomUUID()}`;
      break;
    case 'no_nonce':
      delete p.nonce;
      break;
    case 'wrong_issuer':
      p.iss = 'https://wrong-issuer.example';
      break;
  }
}

// Faults that change the ID token's signature: re-sign the library's token.
function signatureFault(jwt, ctx) {
  const kind = state.fault?.kind;
  if (!['bad_signature', 'alg_none', 'hs256'].includes(kind)) return jwt;
  const [h, payload] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  if (kind === 'alg_none') {
    return `${b64(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${payload}.`;
  }
  if (kind === 'hs256') {
    const input = `${b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${payload}`;
    const secret = state.client?.secret ?? ctx.clientSecret ?? '';
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  }
  const input = `${b64(JSON.stringify(header))}.${payload}`; // RS256 and the published kid
  return `${input}.${sign('sha256', Buffer.from(input), strayKey).toString('base64url')}`;
}

// The token endpoint's own checks, before the library sees the request. Returns an OAuth
// error to answer with, or null to let the library issue the tokens.
function checkTokenRequest(req, body, entry) {
  const basic = parseBasic(req.headers.authorization);
  req.mock = { signed: 0, clientId: basic?.id ?? body.get('client_id') ?? undefined, clientSecret: basic?.secret };
  if (state.fault?.kind === 'token_error') return [400, 'invalid_grant', 'token_error fault'];

  // client_secret_basic, once a client is registered.
  if (state.client && !(basic && basic.id === state.client.id && basic.secret === state.client.secret)) {
    return [401, 'invalid_client', 'client authentication failed (client_secret_basic required)'];
  }
  if (entry.grant_type !== 'authorization_code') return null;

  // The code: issued here, once, to this client for this redirect_uri.
  const code = state.codes.get(body.get('code'));
  if (!code || code.used) return [400, 'invalid_grant', 'unknown or already redeemed code'];
  code.used = true; // even if a check below fails: a code is good for one try
  if (code.clientId !== req.mock.clientId) return [400, 'invalid_grant', 'code issued to another client'];
  if (code.redirectUri !== body.get('redirect_uri')) return [400, 'invalid_grant', 'redirect_uri differs from the authorization request'];

  // PKCE (RFC 7636): a challenge sent to /authorize needs the matching verifier here.
  const verifier = body.get('code_verifier');
  if (code.challenge !== undefined || verifier !== null) {
    entry.code_verifier_ok = code.challenge !== undefined && verifier !== null && pkceChallenge(verifier, code.method) === code.challenge;
    if (!entry.code_verifier_ok) return [400, 'invalid_grant', 'code_verifier does not match the code_challenge'];
  }
  req.mock.code = code;
  return null;
}

function pkceChallenge(verifier, method) {
  return method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
}

// client_secret_basic: both parts are form-urlencoded before base64 (RFC 6749 2.3.1).
function parseBasic(header) {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const unform = (s) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return null;
    }
  };
  return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
}

// The provider's HTTP server: log, apply transport faults, check /token, then the library.
async function handleProvider(req, res) {
  const url = new URL(req.url, 'http://x');
  const path = url.pathname.replace(/(.)\/+$/, '$1'); // the library ignores a trailing slash too
  const entry = {
    path,
    method: req.method,
    query: url.search.slice(1),
    authorization_scheme: (req.headers.authorization ?? '').split(' ')[0],
    grant_type: '',
    code_verifier_ok: null,
  };
  state.log.push(entry);
  const fault = state.fault;
  if (fault?.kind === 'down') {
    req.socket.destroy();
    return;
  }
  if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.ms));

  if (req.method === 'POST' && path === '/token') {
    const raw = await readBody(req);
    const body = new URLSearchParams(raw.toString('utf8'));
    entry.grant_type = body.get('grant_type') ?? '';
    const error = checkTokenRequest(req, body, entry);
    if (error) {
      const [status, code, description] = error;
      if (status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="mock-idp"');
      return sendJson(res, status, { error: code, error_description: description });
    }
    // Checked PKCE above: keep the library from checking it against its own memory
    // (which /rotate resets), then hand it the body we consumed.
    body.delete('code_verifier');
    req = replay(req, Buffer.from(body.toString()));
  }
  idp.service.requestHandler(req, res);
}

// A stand-in for req whose body is raw, for the library to read again.
function replay(req, raw) {
  const copy = Readable.from([raw]);
  copy.method = req.method;
  copy.url = req.url;
  copy.headers = { ...req.headers, 'content-length': String(raw.length) };
  copy.mock = req.mock;
  return copy;
}

// The control API.
async function handleControl(req, res) {
  const route = `${req.method} ${new URL(req.url, 'http://x').pathname}`;
  switch (route) {
    case 'POST /client': {
      const { client_id: id, client_secret: secret } = await readJson(req);
      if (typeof id !== 'string' || typeof secret !== 'string') throw new Error('client_id and client_secret must be strings');
      state.client = { id, secret };
      return sendJson(res, 204);
    }
    case 'POST /user': {
      const user = await readJson(req);
      if (typeof user?.sub !== 'string' || user.sub === '') throw new Error('sub must be a non-empty string');
      state.user = user;
      return sendJson(res, 204);
    }
    case 'POST /fault': {
      const fault = await readJson(req);
      if (!FAULTS.has(fault?.kind)) throw new Error(`kind must be one of ${[...FAULTS].join(', ')}`);
      if (fault.kind === 'slow' && !(Number.isFinite(fault.ms) && fault.ms >= 0)) throw new Error('slow needs "ms": a number >= 0');
      state.fault = fault;
      return sendJson(res, 204);
    }
    case 'POST /rotate':
      idp = await newIdp(idp.issuer.url);
      return sendJson(res, 204);
    case 'POST /reset':
      state.fault = null;
      state.log = [];
      return sendJson(res, 204);
    case 'GET /log':
      return sendJson(res, 200, state.log);
    case 'DELETE /log':
      state.log = [];
      return sendJson(res, 204);
    default:
      return sendJson(res, 404, { error: `no route ${route}` });
  }
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function readJson(req) {
  const raw = (await readBody(req)).toString('utf8');
  return raw === '' ? {} : JSON.parse(raw);
}

function sendJson(res, status, body) {
  res.statusCode = status;
  if (body === undefined) return res.end();
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}

function b64(s) {
  return Buffer.from(s).toString('base64url');
}

// Unexpected errors answer 500 (control: 400, they are bad requests) instead of killing us.
function serve(handler, errorStatus) {
  return createServer((req, res) => {
    handler(req, res).catch((err) => {
      if (res.headersSent) return res.destroy();
      sendJson(res, errorStatus, { error: errorStatus === 500 ? 'server_error' : 'invalid_request', error_description: String(err?.message ?? err) });
    });
  });
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => resolve(server.address().port));
  });
}

const provider = serve(handleProvider, 500);
const control = serve(handleControl, 400);
const port = await listen(provider, Number(process.env.PORT || 0));
idp = await newIdp(`http://${HOST}:${port}`);
const controlPort = await listen(control, Number(process.env.CONTROL_PORT || 0));

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();

process.stdout.write(`${JSON.stringify({ issuer: idp.issuer.url, control: `http://${HOST}:${controlPort}` })}\n`);
