// End-to-end check with the official JavaScript SDK (@moltin/sdk), unchanged, against the
// local runner: customers, addresses, carts, settings, lists, then the shopping path
// (checkout, a customer's orders, the staff's order list). Run by cmd/samlocal's
// TestEndToEnd with API_HOST, CLIENT_ID and CLIENT_SECRET set; prints one line a step and
// exits non-zero on the first failed expectation.
import { gateway, MemoryStorageFactory } from '@moltin/sdk'
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from 'jose'
import assert from 'node:assert/strict'

const { API_HOST: host, CLIENT_ID: clientId, CLIENT_SECRET: clientSecret, TOKEN_ISSUER: issuer } = process.env
console.info = () => {} // the SDK logs every token check

// A call the service refuses unexpectedly rejects with the parsed error body, no Error:
// print it whole.
process.on('uncaughtException', (err) => {
  if (err instanceof Error) console.error('not ok -', err)
  else console.error(`not ok - the SDK rejected a call with ${JSON.stringify(err)} (in the step after the last "ok")`)
  process.exit(1)
})

const client = (secret) => gateway({
  client_id: clientId, client_secret: secret, host, protocol: 'http',
  storage: new MemoryStorageFactory(), disableCart: true, retryDelay: 10, retryJitter: 1,
})
const admin = client(clientSecret)
const shop = client(undefined) // implicit, like a storefront

// rejected returns what the SDK rejects with (the parsed error body).
async function rejected(promise) {
  let answer
  try { answer = await promise } catch (body) { return body }
  assert.fail(`expected the call to be refused; it answered ${JSON.stringify(answer)}`)
}
// step reports a step done, with a compact summary of what the service answered.
const step = (name, summary) => process.stdout.write(`ok - ${name}${summary ? `: ${summary}` : ''}\n`)

// expect fails the run unless actual deep-equals expected, saying what was checked, what
// came, what was expected and the answer it came from.
function expect(what, actual, expected, answer) {
  try {
    assert.deepStrictEqual(actual, expected)
  } catch {
    const show = (v) => JSON.stringify(v) ?? String(v)
    assert.fail(`${what}: got ${show(actual)}, want ${show(expected)}` +
      (answer === undefined ? '' : `\n  in the answer: ${show(answer)}`))
  }
}

const auth = await admin.Authenticate()
assert.equal(auth.identifier, 'client_credentials')
assert.equal(auth.token_type, 'Bearer')
assert.ok(auth.expires > Date.now() / 1000)
step('authenticate (client_credentials)')

const email = `ron.swanson+${Date.now()}@example.com`
const created = await shop.Customers.Create({ name: 'Ron Swanson', email, password: 'mysecretpassword' })
assert.equal(created.data.type, 'customer')
assert.equal(created.data.email, email)
assert.equal(created.data.password, true)
const id = created.data.id
step('sign up with the implicit token')

const dup = await rejected(shop.Customers.Create({ name: 'Other', email: email.toUpperCase(), password: 'mysecretpassword' }))
assert.equal(dup.errors[0].status, 409)
step('duplicate email is 409')

const token = await shop.Customers.TokenViaPassword(email, 'mysecretpassword')
assert.equal(token.data.type, 'token')
assert.equal(token.data.customer_id, id)
assert.ok(token.data.expires > Date.now() / 1000 + 23 * 3600)
const customerToken = token.data.token
step('customer token')

// Another service of the store verifies the customer token on its own, with an independent
// library (jose) and the public key set: EdDSA, its issuer, the customer audience.
const keysURL = new URL(`http://${host}/.well-known/jwks.json`)
const keySet = await fetch(keysURL)
expect('key set status', keySet.status, 200)
expect('key set caching', keySet.headers.get('cache-control'), 'public, max-age=300')
const published = (await keySet.json()).keys
expect('published key types', [...new Set(published.map((k) => `${k.kty} ${k.crv} ${k.alg} ${k.use}`))], ['OKP Ed25519 EdDSA sig'])
assert.ok(published.every((k) => !('d' in k)), 'no private part is published')
const jwks = createRemoteJWKSet(keysURL)
const verified = await jwtVerify(customerToken, jwks, { issuer, audience: 'customer', algorithms: ['EdDSA'], requiredClaims: ['exp', 'iat', 'sub'] })
expect('verified subject', verified.payload.sub, id)
assert.ok(published.some((k) => k.kid === decodeProtectedHeader(customerToken).kid), 'the token names a published key')
// An access token is signed by another key and for another audience: never a customer token.
await assert.rejects(jwtVerify(auth.access_token, jwks, { issuer, audience: 'customer', algorithms: ['EdDSA'] }))
step('the customer token verified by jose against /.well-known/jwks.json; an access token is not one')

const bad = await rejected(shop.Customers.TokenViaPassword(email, 'wrong password'))
assert.equal(bad.errors[0].status, 401)
step('wrong password is 401')

const got = await shop.Customers.Get(id, customerToken)
assert.equal(got.data.id, id)
assert.equal(got.data.name, 'Ron Swanson')
step('read own record with the customer token')

const updated = await shop.Customers.Update(id, { name: 'Ron', external_ref: 'crm-1' }, customerToken)
assert.equal(updated.data.name, 'Ron')
assert.equal(updated.data.external_ref, 'crm-1')
assert.equal(updated.data.email, email)
step('update own record with the customer token')

const address = { first_name: 'Ron', last_name: 'Swanson', name: 'Cabin', line_1: '1 Woodland Trail',
  county: 'Wamapoke', postcode: '47998', country: 'US' }
const addr = await shop.CustomerAddresses.Create({ customer: id, body: address, token: customerToken })
assert.equal(addr.data.type, 'address')
assert.equal(addr.data.line_2, '')
const missing = await rejected(shop.CustomerAddresses.Create({ customer: id, body: { name: 'Nothing' }, token: customerToken }))
assert.equal(missing.errors.length, 6)
assert.equal(missing.errors[0].status, 400)
assert.equal(missing.errors[0].detail, 'first_name is required')
const changed = await shop.CustomerAddresses.Update({ customer: id, address: addr.data.id, body: { city: 'Pawnee' }, token: customerToken })
assert.equal(changed.data.city, 'Pawnee')
assert.equal(changed.data.line_1, '1 Woodland Trail')
const addrs = await shop.CustomerAddresses.All({ customer: id, token: customerToken })
assert.equal(addrs.data.length, 1)
assert.equal(addrs.meta.results.total, 1)
const one = await shop.CustomerAddresses.Get({ customer: id, address: addr.data.id, token: customerToken })
assert.equal(one.data.city, 'Pawnee')
assert.equal(await shop.CustomerAddresses.Delete({ customer: id, address: addr.data.id, token: customerToken }), '{}')
step('addresses: create, validate, update, list, get, delete with the customer token')

// A storefront's client keeps a cart id (disableCart would make Cart() return null).
const store = gateway({ client_id: clientId, host, protocol: 'http', storage: new MemoryStorageFactory(),
  retryDelay: 10, retryJitter: 1 })
const cartId = `sdk-cart-${Date.now()}`
const empty = await store.Cart(cartId).Get()
assert.equal(empty.data.id, cartId)
assert.equal(empty.data.type, 'cart')
assert.deepEqual(empty.data.meta.display_price.with_tax, { amount: 0, currency: 'USD', formatted: '$0.00' })
assert.deepEqual(empty.data.relationships.items.data, [])
assert.equal((await store.Cart(cartId).Items()).data.length, 0)
step('cart: one never written reads as an empty cart')

const added = await store.Cart(cartId).AddCustomItem({ name: 'Lagavulin 16', sku: 'lagavulin-16',
  description: 'Islay single malt', quantity: 2, price: { amount: 8999 } })
assert.equal(added.data.length, 1)
const whisky = added.data[0]
assert.equal(whisky.type, 'custom_item')
assert.equal(whisky.quantity, 2)
assert.deepEqual(whisky.unit_price, { amount: 8999, currency: 'USD', includes_tax: true })
assert.deepEqual(whisky.value, { amount: 17998, currency: 'USD', includes_tax: true })
assert.equal(whisky.meta.display_price.with_tax.value.formatted, '$179.98')
assert.deepEqual(added.meta.display_price.with_tax, { amount: 17998, currency: 'USD', formatted: '$179.98' })
const glass = (await store.Cart(cartId).AddCustomItem({ name: 'Glass', quantity: 1, price: { amount: 500, includes_tax: false } })).data[1]
const items = await store.Cart(cartId).Items()
assert.deepEqual(items.data.map((i) => i.id), [whisky.id, glass.id])
assert.equal(items.meta.display_price.without_tax.amount, 18498)
const cart = await store.Cart(cartId).Get()
assert.deepEqual(cart.data.relationships.items.data.map((i) => i.id), [whisky.id, glass.id])
assert.equal(cart.data.meta.display_price.with_tax.formatted, '$184.98')
const notCustom = await rejected(store.Cart(cartId).AddProduct('9eda5ba0-4f4a-4074-8547-ccb05d1b5981', 1))
assert.equal(notCustom.errors[0].status, 400)
const badAmount = await rejected(store.Cart(cartId).AddCustomItem({ name: 'Half', quantity: 1, price: { amount: 10.5 } }))
assert.equal(badAmount.errors[0].status, 400)
assert.equal(badAmount.errors[0].source, 'data.price.amount')
step('cart: AddCustomItem, Items, Get; a catalog product or a fractional amount is a 400')

const more = await store.Cart(cartId).UpdateItem(whisky.id, 3)
assert.equal(more.data[0].quantity, 3)
assert.equal(more.meta.display_price.with_tax.amount, 3 * 8999 + 500)
const renamed = await store.Cart(cartId).UpdateItem(whisky.id, undefined, { name: 'Lagavulin 8', price: { amount: 6000 } })
assert.equal(renamed.data[0].name, 'Lagavulin 8')
assert.equal(renamed.data[0].quantity, 3)
assert.equal(renamed.meta.display_price.with_tax.formatted, '$185.00')
const left = await store.Cart(cartId).RemoveItem(glass.id)
assert.deepEqual(left.data.map((i) => i.id), [whisky.id])
const removedTwice = await rejected(store.Cart(cartId).RemoveItem(glass.id))
assert.equal(removedTwice.errors[0].status, 404)
step('cart: UpdateItem (quantity, other fields), RemoveItem; a missing item is 404')

const own = await store.Cart().AddCustomItem({ name: 'Default cart', quantity: 1, price: { amount: 1 } })
assert.equal(own.data.length, 1)
assert.equal(await store.Cart(cartId).RemoveAllItems(), '{}')
assert.equal((await store.Cart(cartId).Items()).data.length, 0)
assert.equal((await store.Cart().Items()).data.length, 1)
step("cart: the SDK's own cart id works; RemoveAllItems empties one cart")

const settings = await admin.Settings.All()
assert.deepEqual(settings.data.address_mandatory_fields, ['first_name', 'last_name', 'line_1', 'county', 'postcode', 'country'])
const denied = await rejected(shop.Settings.All())
assert.equal(denied.errors[0].status, 403)
step('settings: read with client_credentials, refused to the implicit token')

// What Settings.All() gives, Settings.Update() takes back as it is (the SDK adds type).
assert.deepEqual(Object.keys(settings.data).sort(), ['additional_languages', 'address_mandatory_fields',
  'calculation_method', 'currency', 'currency_limit', 'include_organization_resources', 'list_child_products',
  'max_addresses_per_customer', 'page_length', 'type'])
const same = await admin.Settings.Update(settings.data)
assert.deepEqual(same.data, settings.data)
const languages = await admin.Settings.Update({ additional_languages: ['fr', 'de'], calculation_method: 'line', list_child_products: false })
assert.deepEqual(languages.data.additional_languages, ['fr', 'de'])
assert.equal(languages.data.calculation_method, 'line')
assert.equal(languages.data.list_child_products, false)
assert.equal(languages.data.page_length, settings.data.page_length)
const badMethod = await rejected(admin.Settings.Update({ calculation_method: 'exact' }))
assert.equal(badMethod.errors[0].status, 400)
assert.equal(badMethod.errors[0].source, 'data.calculation_method')
assert.deepEqual((await admin.Settings.Update(settings.data)).data, settings.data)
step('settings: Settings.All() then Settings.Update(data) round-trips; a bad value is a 400')

// Functions cache the settings for up to SETTINGS_CACHE_SECONDS, so carts priced in another
// currency are pkg/handlers' to test (TestCartTotals); here the setting itself.
assert.equal((await admin.Settings.Update({ currency: 'KWD' })).data.currency, 'KWD')
assert.equal((await admin.Settings.All()).data.currency, 'KWD')
assert.equal((await rejected(admin.Settings.Update({ currency: 'usd' }))).errors[0].source, 'data.currency')
assert.equal((await admin.Settings.Update({ currency: 'USD' })).data.currency, 'USD')
step('settings: currency takes an ISO 4217 code of the table')

const other = await admin.Customers.Create({ name: 'Leslie Knope', email: `leslie+${Date.now()}@example.com` })
const notYours = await rejected(shop.Customers.Get(other.data.id, customerToken))
assert.equal(notYours.errors[0].status, 403)
step("another customer's record is 403")

const found = await admin.Customers.Filter({ eq: { email: email.toUpperCase() } }).All()
assert.equal(found.data.length, 1)
assert.equal(found.data[0].id, id)
const none = await admin.Customers.Filter({ eq: { email: 'nobody+x@example.com' } }).All()
assert.equal(none.data.length, 0)
assert.equal(none.meta.results.total, 0)
const named = await admin.Customers.Filter({ like: { name: 'Ron*' } }).Sort('name').Limit(5).All()
assert.ok(named.data.every((c) => c.name.startsWith('Ron')))
const badFilter = await rejected(admin.Customers.Filter({ ne: { email: 'x' } }).All())
assert.equal(badFilter.errors[0].status, 400)
step('filter: eq(email) with a plus address, like(name), a bad operator')

for (let i = 0; i < 4; i++) await admin.Customers.Create({ name: `Page ${i}`, email: `page${i}+${Date.now()}@example.com` })
const first = await admin.Customers.Sort('email').Limit(2).All()
const second = await admin.Customers.Sort('email').Limit(2).Offset(2).All()
assert.equal(first.data.length, 2)
assert.equal(second.data.length, 2)
assert.notEqual(first.data[0].id, second.data[0].id)
assert.ok(first.data[1].email.toLowerCase() <= second.data[0].email.toLowerCase())
const followed = await (await fetch(first.links.next, { headers: { Authorization: `Bearer ${auth.access_token}` } })).json()
assert.deepEqual(followed.data.map((c) => c.id), second.data.map((c) => c.id))
step('sort, limit, offset, and links.next lead to the same page')

const list = await admin.Customers.Sort('-created_at').Limit(1).All()
assert.equal(list.data.length, 1)
assert.equal(list.meta.page.limit, 1)
assert.ok(list.meta.results.total >= 2)
assert.ok(list.links.next.startsWith(`http://${host}/v2/customers?`))
step('list with sort and limit')

const deleted = await admin.Customers.Delete(id)
assert.equal(deleted, '{}')
const gone = await rejected(admin.Customers.Get(id))
assert.equal(gone.errors[0].status, 404)
const dead = await rejected(shop.Customers.Get(id, customerToken))
assert.equal(dead.errors[0].status, 403)
step('delete: 404 afterwards, the token is dead')

const again = await shop.Customers.Create({ name: 'Ron again', email, password: 'mysecretpassword' })
assert.notEqual(again.data.id, id)
step('the email is free again')

// The shopping path, as a storefront does it: an implicit client with carts (store) fills a
// cart and checks it out, for a registered customer (with the customer token as the
// fourth argument: the SDK sends none of itself) or a guest; the customer reads its orders
// with its token; the back office (admin, client_credentials) lists every order.
const run = Date.now()
const ids = (list) => list.map((x) => x.id)
const sum = (items) => items.reduce((total, item) => total + item.value.amount, 0)
const brief = (o) => `${o.id} for ${o.customer.name} <${o.customer.email}>` +
  `${o.relationships.customer ? '' : ' (guest)'}, ${o.relationships.items.data.length} item(s), ` +
  o.meta.display_price.with_tax.formatted
const refusal = (body) => `${body.errors?.[0]?.status} ${JSON.stringify(body.errors?.[0]?.detail)}`
// bearer follows an absolute link with the admin's access token, as a back office would.
async function bearer(url) {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${auth.access_token}` } })
  const body = await response.json()
  expect(`GET ${url}: status`, response.status, 200, body)
  return body
}

async function signUp(name, email) {
  const created = await shop.Customers.Create({ name, email, password: 'mysecretpassword' })
  const token = await shop.Customers.TokenViaPassword(email, 'mysecretpassword')
  expect(`${name}'s customer token: customer_id`, token.data.customer_id, created.data.id, token)
  return { id: created.data.id, name, email, token: token.data.token }
}
const april = await signUp('April Ludgate', `april+${run}@example.com`)
const andy = await signUp('Andy Dwyer', `andy+${run}@example.com`)
step('shop: two customers sign up and log in', `${april.name} ${april.id}, ${andy.name} ${andy.id}`)

const shopCart = `sdk-shop-${run}`
const poster = (await store.Cart(shopCart).AddCustomItem({ name: 'Pyramid of Greatness', sku: 'pyramid',
  description: 'poster', quantity: 2, price: { amount: 1250 } })).data[0]
const juice = (await store.Cart(shopCart).AddCustomItem({ name: 'Snake Juice', quantity: 1,
  price: { amount: 2999, includes_tax: false } })).data[1]
const filled = await store.Cart(shopCart).Items()
const cartTotal = 2 * 1250 + 2999
expect('cart items', ids(filled.data), [poster.id, juice.id], filled)
expect('cart items: sum of the lines', sum(filled.data), cartTotal, filled)
expect('cart items: total', filled.meta.display_price.with_tax, { amount: cartTotal, currency: 'USD', formatted: '$54.99' }, filled)
step('shop: AddCustomItem twice, Items', `${filled.data.length} items, ${filled.meta.display_price.with_tax.formatted}`)

const billing = { first_name: 'April', last_name: 'Ludgate', line_1: '2 Parks Department', city: 'Pawnee',
  county: 'Wamapoke', postcode: '47998', country: 'US' }
const shipping = { ...billing, line_1: '9 Dog Park Lane', instructions: 'by the three-legged dog' }
const fieldsOf = (address, like) => Object.fromEntries(Object.keys(like).map((k) => [k, address[k]]))

const noToken = await rejected(store.Cart(shopCart).Checkout(april.id, billing, shipping))
expect('checkout as a customer without its token: status', noToken.errors?.[0]?.status, 403, noToken)
expect('checkout as a customer without its token: detail names the header',
  /X-Moltin-Customer-Token/.test(noToken.errors[0].detail), true, noToken)
const kept = await store.Cart(shopCart).Items()
expect('the cart after a refused checkout', ids(kept.data), [poster.id, juice.id], kept)
step('shop: Checkout(customerId, ...) without the customer token is refused, the cart kept', refusal(noToken))

const withToken = { 'X-Moltin-Customer-Token': april.token }
const placed = await store.Cart(shopCart).Checkout(april.id, billing, shipping, withToken)
const order1 = placed.data
expect('order: type', order1.type, 'order', placed)
expect('order: status, payment, shipping', [order1.status, order1.payment, order1.shipping],
  ['incomplete', 'unpaid', 'unfulfilled'], placed)
expect('order: customer', order1.customer, { id: april.id, name: april.name, email: april.email }, placed)
expect('order: relationships.customer', order1.relationships.customer, { data: { type: 'customer', id: april.id } }, placed)
expect('order: relationships.items', ids(order1.relationships.items.data), [poster.id, juice.id], placed)
expect('order: total with tax', order1.meta.display_price.with_tax, { amount: cartTotal, currency: 'USD', formatted: '$54.99' }, placed)
expect('order: total without tax', order1.meta.display_price.without_tax.amount, cartTotal, placed)
expect('order: billing_address', fieldsOf(order1.billing_address, billing), billing, placed)
expect('order: shipping_address', fieldsOf(order1.shipping_address, shipping), shipping, placed)
expect('order: an unset address field', order1.billing_address.line_2, '', placed)
const emptied = await store.Cart(shopCart).Items()
expect('the cart after checkout', emptied.data, [], emptied)
step('shop: Checkout(customerId, billing, shipping, {X-Moltin-Customer-Token}) is an order, the cart emptied', brief(order1))

// A storefront that ships to a saved address passes it to Checkout as it read it (the SDK's
// type for it is Partial<CustomerAddress>: id and type included), shipping defaulting to it.
await shop.CustomerAddresses.Create({ customer: april.id, body: { ...billing, name: 'Home' }, token: april.token })
const [saved] = (await shop.CustomerAddresses.All({ customer: april.id, token: april.token })).data
expect('the saved address as read', [saved.type, typeof saved.id, typeof saved.links, typeof saved.meta],
  ['address', 'string', 'object', 'object'], saved)
await store.Cart(shopCart).AddCustomItem({ name: "Li'l Sebastian DVD", quantity: 3, price: { amount: 999 } })
const placedAgain = await store.Cart(shopCart).Checkout(april.id, saved, undefined, withToken)
const order2 = placedAgain.data
expect('second order: customer', order2.customer.id, april.id, placedAgain)
expect('second order: billing_address, the saved address', fieldsOf(order2.billing_address, billing), billing, placedAgain)
expect('second order: billing_address, no id', order2.billing_address.id, undefined, placedAgain)
expect('second order: shipping_address defaults to billing', order2.shipping_address, order2.billing_address, placedAgain)
expect('second order: total', order2.meta.display_price.with_tax.formatted, '$29.97', placedAgain)
step('shop: the emptied cart filled again and checked out to a saved address as read', brief(order2))

const guestCart = `sdk-guest-${run}`
const guest = { name: 'Tom Haverford', email: `tom+${run}@example.com` }
const guestAddress = { first_name: 'Tom', last_name: 'Haverford', line_1: '1 Snakehole Lounge', county: 'Wamapoke',
  postcode: '47998', country: 'US' }
await store.Cart(guestCart).AddCustomItem({ name: 'Tommy Fresh', quantity: 1, price: { amount: 4500 } })
const guestPlaced = await store.Cart(guestCart).Checkout(guest, guestAddress)
const order3 = guestPlaced.data
expect('guest order: customer', order3.customer, guest, guestPlaced)
expect('guest order: relationships.customer', order3.relationships.customer, undefined, guestPlaced)
expect('guest order: billing_address', fieldsOf(order3.billing_address, guestAddress), guestAddress, guestPlaced)
expect('guest order: shipping_address is the billing address', order3.shipping_address, order3.billing_address, guestPlaced)
expect('guest order: total', order3.meta.display_price.with_tax.formatted, '$45.00', guestPlaced)
expect('guest cart after checkout', (await store.Cart(guestCart).Items()).data, [])
step('shop: Checkout({name, email}, address) is a guest order', brief(order3))

const mine = await shop.Orders.All(april.token)
expect("the customer's orders, newest first", ids(mine.data), [order2.id, order1.id], mine)
expect("the customer's orders: meta.results.total", mine.meta.results.total, 2, mine)
expect("the customer's orders: the first as checkout answered", mine.data[1], order1, mine)
const fetched = await shop.Orders.Get(order1.id, april.token)
expect('Orders.Get with the customer token', fetched.data, order1, fetched)
step('shop: Orders.All(token), Orders.Get(id, token) with the customer token',
  `${mine.data.length} of ${mine.meta.results.total}: ${ids(mine.data).join(', ')}`)

// Orders.Items(id) takes no token: an implicit client alone reads no order's items.
const itemsDenied = await rejected(shop.Orders.Items(order1.id))
expect('Orders.Items with an implicit client: status', itemsDenied.errors?.[0]?.status, 403, itemsDenied)
const lines = await admin.Orders.Items(order1.id)
expect('order items', ids(lines.data), [poster.id, juice.id], lines)
expect('order items: type', lines.data.map((l) => l.type), ['order_item', 'order_item'], lines)
expect('order items: quantities', lines.data.map((l) => l.quantity), [2, 1], lines)
expect('order items: sum of the lines', sum(lines.data), order1.meta.display_price.with_tax.amount, lines)
// A storefront can send the customer token with every call through the gateway's headers option.
const aprilsShop = gateway({ client_id: clientId, host, protocol: 'http', storage: new MemoryStorageFactory(),
  disableCart: true, retryDelay: 10, retryJitter: 1, headers: { 'X-Moltin-Customer-Token': april.token } })
const ownLines = await aprilsShop.Orders.Items(order1.id)
expect('order items with the token in the headers option', ownLines.data, lines.data, ownLines)
step('shop: Orders.Items(id): 403 to an implicit client alone; client_credentials, or the token in headers',
  `${refusal(itemsDenied)}; ${lines.data.map((l) => `${l.quantity}× ${l.name} ${l.meta.display_price.with_tax.value.formatted}`).join(', ')}`)

const notHers = await rejected(shop.Orders.Get(order1.id, andy.token))
expect("another customer's order: status", notHers.errors?.[0]?.status, 404, notHers)
const andys = await shop.Orders.All(andy.token)
expect("the other customer's orders", andys.data, [], andys)
expect("the other customer's orders: meta.results.total", andys.meta.results.total, 0, andys)
step("shop: another customer's token: that order is 404, its own list empty", refusal(notHers))

const byCustomer = await admin.Orders.Filter({ eq: { customer_id: april.id } }).All()
expect('eq(customer_id)', ids(byCustomer.data), [order2.id, order1.id], byCustomer)
expect('eq(customer_id): meta.results.total', byCustomer.meta.results.total, 2, byCustomer)
const everything = await admin.Orders.All()
expect('every order, newest first', ids(everything.data).slice(0, 3), [order3.id, order2.id, order1.id], everything)
step('shop: back office Orders.Filter({eq: {customer_id}}).All(), Orders.All()',
  `${byCustomer.data.length} of the customer's; ${everything.data.length} of ${everything.meta.results.total} in all`)

const page1 = await admin.Orders.Limit(1).All()
expect('Limit(1): the newest order', ids(page1.data), [order3.id], page1)
expect('Limit(1): meta.page.limit', page1.meta.page.limit, 1, page1)
expect('Limit(1): links.next is absolute', page1.links.next?.startsWith(`http://${host}/v2/orders?`), true, page1)
const page2 = await bearer(page1.links.next)
expect('links.next: the second order', ids(page2.data), [order2.id], page2)
const seen = [...ids(page1.data), ...ids(page2.data)]
for (let next = page2.links.next; next; ) {
  const page = await bearer(next)
  seen.push(...ids(page.data))
  next = page.links.next
  expect('links.next stops at the last order', seen.length <= everything.meta.results.total, true, seen)
}
expect('every order once, following links.next', new Set(seen).size, seen.length, seen)
expect('following links.next gives what Orders.All() lists', seen.slice(0, everything.data.length), ids(everything.data), seen)
expect('pages followed', seen.length, everything.meta.results.total, seen)
step('shop: Orders.Limit(1).All(), then links.next to the end', `${seen.length} pages, no repeats`)

// Custom data: the customers flow, a field, its value written and read as a top-level key
// (by staff, by the shopper with their token), and the filter on it.
const flows = await admin.Flows.All()
const customersFlow = flows.data.find((f) => f.slug === 'customers') ??
  (await admin.Flows.Create({ name: 'Customers', slug: 'customers', description: 'Extends the default customer object', enabled: true })).data
expect('the customers flow', customersFlow.slug, 'customers', customersFlow)
const slug = `tier_${Date.now()}`
const field = await admin.Fields.Create({
  name: 'Loyalty tier', slug, field_type: 'string', description: 'the loyalty programme tier', required: false,
  default: 'bronze', enabled: true, order: 1, omit_null: false,
  validation_rules: [{ type: 'enum', options: ['bronze', 'silver', 'gold'] }],
  relationships: { flow: { data: { type: 'flow', id: customersFlow.id } } },
})
expect('Fields.Create: the slug', field.data.slug, slug, field)
expect('Fields.Create: the rules', field.data.validation_rules, [{ type: 'enum', options: ['bronze', 'silver', 'gold'] }], field)
const listed = await shop.Flows.GetFields('customers')
expect('Flows.GetFields(slug) lists it', listed.data.some((f) => f.id === field.data.id), true, listed)
const reserved = await rejected(admin.Fields.Create({ name: 'Options', slug: 'options', field_type: 'string',
  relationships: { flow: { data: { type: 'flow', id: customersFlow.id } } } }))
expect('a field called options: 422', reserved.errors[0].status, 422, reserved)
step('custom data: Flows.All/Create, Fields.Create, Flows.GetFields; the slug options is refused', `field ${slug}`)

const leslieEmail = `leslie.custom+${Date.now()}@example.com`
const withField = await shop.Customers.Create({ name: 'Leslie Knope', email: leslieEmail, password: 'mysecretpassword', [slug]: 'gold' })
expect('Customers.Create with a custom key', withField.data[slug], 'gold', withField)
const leslieToken = (await shop.Customers.TokenViaPassword(leslieEmail, 'mysecretpassword')).data.token
// Another function (another process) may have the fields cached from before the field
// existed: reads show it within SETTINGS_CACHE_SECONDS (10 s), the documented bound.
const shown = Date.now()
let leslieRead
do {
  leslieRead = await shop.Customers.Get(withField.data.id, leslieToken)
  if (leslieRead.data[slug] === undefined) await new Promise((r) => setTimeout(r, 250))
} while (leslieRead.data[slug] === undefined && Date.now() - shown < 11000)
expect('read back with the customer token', leslieRead.data[slug], 'gold', leslieRead)
const staleFor = Date.now() - shown
const silver = await shop.Customers.Update(withField.data.id, { [slug]: 'silver' }, leslieToken)
expect('Customers.Update of the custom key with the customer token', silver.data[slug], 'silver', silver)
const wrong = await rejected(shop.Customers.Update(withField.data.id, { [slug]: 'diamond' }, leslieToken))
expect('a value the rule refuses: 422 naming the field', [wrong.errors[0].status, wrong.errors[0].source], [422, `data.${slug}`], wrong)
const defaulted = await admin.Customers.Create({ name: 'Tom Haverford', email: `tom.custom+${Date.now()}@example.com` })
expect('the default fills an omitted value', defaulted.data[slug], 'bronze', defaulted)
const filtered = await admin.Customers.Filter({ eq: { [slug]: 'silver' } }).All()
expect(`Customers.Filter({eq: {${slug}: 'silver'}})`, filtered.data.map((c) => c.id), [withField.data.id], filtered)
step('custom data: Customers.Create/Get/Update with the custom key (customer token), a default, Customers.Filter on it',
  `${filtered.data.length} match; the new field showed on reads by another function after ${staleFor} ms`)
