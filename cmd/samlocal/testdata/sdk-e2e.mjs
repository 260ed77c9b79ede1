// End-to-end check with the official JavaScript SDK (@moltin/sdk), unchanged, against the
// local runner. Run by cmd/samlocal's TestEndToEnd with API_HOST, CLIENT_ID and
// CLIENT_SECRET set; exits non-zero on the first failed expectation.
import { gateway, MemoryStorageFactory } from '@moltin/sdk'
import assert from 'node:assert/strict'

const { API_HOST: host, CLIENT_ID: clientId, CLIENT_SECRET: clientSecret } = process.env
console.info = () => {} // the SDK logs every token check

const client = (secret) => gateway({
  client_id: clientId, client_secret: secret, host, protocol: 'http',
  storage: new MemoryStorageFactory(), disableCart: true, retryDelay: 10, retryJitter: 1,
})
const admin = client(clientSecret)
const shop = client(undefined) // implicit, like a storefront

// rejected returns what the SDK rejects with (the parsed error body).
async function rejected(promise) {
  try { await promise } catch (body) { return body }
  assert.fail('expected the call to fail')
}
const step = (name) => process.stdout.write(`ok - ${name}\n`)

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
