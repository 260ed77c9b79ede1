// The API client. The access token lives in this module's memory only: never in
// localStorage, sessionStorage or a cookie, so it goes when the tab closes or reloads. The
// client secret is used for the exchange and not kept.

let session = null // { token, clientId, timer }
let lastId = '' // the client id of the last session, to sign in again (never the secret)
const endListeners = []

// ApiError carries the error envelope of a refused request: status and the errors list
// ({status, title, detail, source}), as the API answers it.
export class ApiError extends Error {
  constructor(status, errors) {
    super(errors.map((e) => e.detail || e.title).join('; '))
    this.status = status
    this.errors = errors
  }
}

const unreachable = () => new ApiError(0, [{ detail: 'The service could not be reached. Check the connection and try again.' }])

export const signedIn = () => session !== null
export const clientId = () => session?.clientId ?? ''
export const lastClientId = () => lastId

// onSessionEnd registers fn(reason) for when the session ends: 'signed-out' or 'expired'.
export const onSessionEnd = (fn) => endListeners.push(fn)

// signIn exchanges the client id and secret for a client_credentials token and starts a
// session that ends by itself when the token expires.
export async function signIn(id, secret) {
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: id, client_secret: secret })
  const data = await send('/oauth/access_token', { method: 'POST', body })
  endSession(null)
  lastId = id
  session = { token: data.access_token, clientId: id, timer: setTimeout(() => endSession('expired'), data.expires_in * 1000) }
}

// signOut ends the session now.
export const signOut = () => endSession('signed-out')

function endSession(reason) {
  if (!session) return
  clearTimeout(session.timer)
  session = null
  settings = null
  schemas.clear()
  if (reason) for (const fn of endListeners) fn(reason)
}

// api calls the API with the session's token: path is a path ("/v2/customers") or one of
// the API's own links (absolute, same origin). body, when given, is sent as {"data": body}.
// It resolves to the parsed answer (null for 204) or rejects with an ApiError; a 401 means
// the token is no longer good: the session ends, and the call rejects like an aborted one,
// so that its caller (gone with the page) leaves the sign-in page's message alone.
export async function api(path, { method = 'GET', body, signal } = {}) {
  if (!session) throw new ApiError(401, [{ status: 401, detail: 'Sign in first.' }])
  const headers = { Authorization: `Bearer ${session.token}`, Accept: 'application/json' }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  try {
    return await send(path, { method, headers, signal, body: body === undefined ? undefined : JSON.stringify({ data: body }) })
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      endSession('expired')
      throw new DOMException('The session ended.', 'AbortError')
    }
    throw err
  }
}

async function send(url, init) {
  let res
  try {
    res = await fetch(url, { ...init, credentials: 'omit', cache: 'no-store' })
  } catch (err) {
    if (err.name === 'AbortError') throw err
    throw unreachable()
  }
  if (res.status === 204) return null
  let data = null
  try {
    data = await res.json()
  } catch {
    // not JSON: a gateway's own error page
  }
  if (!res.ok) {
    const errors = Array.isArray(data?.errors) && data.errors.length ? data.errors
      : [{ status: res.status, detail: `The service answered ${res.status} ${res.statusText}`.trim() + '.' }]
    throw new ApiError(res.status, errors)
  }
  return data
}

// query builds "path?a=b&..." from the entries that have a value (URLSearchParams encodes
// them, which the API decodes: "+" is a space, "%2B" a plus).
export function query(path, params) {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v)
  const s = q.toString()
  return s ? `${path}?${s}` : path
}

// The store's settings and the custom fields of the core flows change rarely: read once a
// session, and again after the console changes them (or after a minute, for fields).
let settings = null
const schemas = new Map()

export async function storeSettings(signal) {
  settings ??= (await api('/v2/settings', { signal })).data
  return settings
}

export const setStoreSettings = (s) => { settings = s }

// customFields returns the enabled fields of a core flow ("customers", "addresses"), in
// their order; none when the flow does not exist.
export async function customFields(flow, signal) {
  const hit = schemas.get(flow)
  if (hit && Date.now() - hit.at < 60_000) return hit.fields
  let fields = []
  try {
    fields = (await api(`/v2/flows/${flow}/fields`, { signal })).data.filter((f) => f.enabled)
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err
  }
  schemas.set(flow, { fields, at: Date.now() })
  return fields
}
