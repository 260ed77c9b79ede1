// A customer's orders (newest first) and one order with its items.
import { api, ApiError, query, storeSettings } from '../api.js'
import { definitions, fill, h, heading, loading, when } from '../dom.js'
import { addressFields } from '../fields.js'
import { quote } from '../filter.js'
import { pager, pagerFocus, plural, superseding } from '../list.js'

const orders = plural('order', 'orders')
const total = (o) => o.meta?.display_price?.with_tax?.formatted ?? '—'
const orderName = (o) => (o.order_number ? `Order ${o.order_number}` : `Order ${o.id.slice(0, 8)}`)

// ordersSection renders the section at once and fills it when the orders have come.
export function ordersSection({ customer, signal }) {
  const title = heading(2, 'Orders', { id: 'section-orders' })
  const list = h('div', { 'aria-busy': 'true' }, loading('orders'))

  const start = superseding(signal)
  async function load(link, rel) {
    const ticket = start()
    list.setAttribute('aria-busy', 'true')
    try {
      const answer = await api(link, { signal: ticket })
      if (ticket.aborted) return
      fill(list,
        answer.data.length ? h('table', { class: 'table orders' },
          h('caption', { class: 'visually-hidden' }, `Orders of ${customer.name}, newest first`),
          h('thead', null, h('tr', null, ['Order', 'Placed', 'Status', 'Payment', 'Shipping', 'Total'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', null, answer.data.map((o) => h('tr', null,
            h('td', { 'data-label': 'Order' }, h('a', { href: `#/orders/${o.id}` }, orderName(o))),
            h('td', { 'data-label': 'Placed' }, when(o.meta?.timestamps?.created_at)),
            h('td', { 'data-label': 'Status' }, o.status),
            h('td', { 'data-label': 'Payment' }, o.payment),
            h('td', { 'data-label': 'Shipping' }, o.shipping),
            h('td', { 'data-label': 'Total', class: 'number' }, total(o)))))) : h('p', { class: 'empty' }, 'No orders yet.'),
        (answer.links?.next || answer.links?.prev) && pager('Order pages', answer, orders, (next, r) => load(next, r)))
      if (rel) pagerFocus(list, rel)
    } catch (err) {
      if (err.name === 'AbortError') return
      list.replaceChildren(h('div', { class: 'form-error' }, h('p', null, `The orders could not be loaded: ${err.message}`)))
    } finally {
      if (!ticket.aborted) list.removeAttribute('aria-busy')
    }
  }

  storeSettings(signal).then((s) => load(query('/v2/orders', {
    filter: `eq(customer_id,${quote(customer.id)})`, sort: '-created_at', 'page[limit]': s.page_length,
  }))).catch((err) => {
    if (err.name !== 'AbortError') list.replaceChildren(h('div', { class: 'form-error' }, h('p', null, err.message)))
  })
  return h('section', { class: 'panel', 'aria-labelledby': title.id }, title, list)
}

function address(title, a) {
  const hd = heading(3, title)
  const filled = addressFields.filter(([f]) => a?.[f])
  return h('section', { class: 'card' }, hd,
    filled.length ? definitions(filled.map(([f, label]) => [label, a[f]])) : h('p', { class: 'empty' }, 'None.'))
}

export async function orderView({ root, params: [id], signal, setTitle }) {
  let order, items
  try {
    [order, items] = await Promise.all([
      api(`/v2/orders/${encodeURIComponent(id)}`, { signal }).then((a) => a.data),
      api(`/v2/orders/${encodeURIComponent(id)}/items`, { signal }).then((a) => a.data),
    ])
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err
    setTitle('Order not found')
    root.append(h('p', null, 'There is no order with this id.'))
    return
  }
  setTitle(orderName(order))
  const customerId = order.relationships?.customer?.data?.id
  const c = order.customer ?? {}
  root.append(
    customerId && h('p', { class: 'back' }, h('a', { href: `#/customers/${customerId}` }, `← ${c.name || 'The customer'}`)),
    h('section', { class: 'panel', 'aria-labelledby': 'order-summary' }, heading(2, 'Summary', { id: 'order-summary' }),
      definitions([
        ['Customer', customerId ? h('a', { href: `#/customers/${customerId}` }, `${c.name} (${c.email})`) : `${c.name} (${c.email}), a guest`],
        ['Placed', when(order.meta?.timestamps?.created_at)],
        ['Status', order.status],
        ['Payment', order.payment],
        ['Shipping', order.shipping],
        ['Order number', order.order_number ?? '—'],
        ['External reference', order.external_ref ?? '—'],
        ['Total', total(order)],
        ['Order id', h('code', null, order.id)],
      ])),
    h('section', { class: 'panel', 'aria-labelledby': 'order-items' }, heading(2, 'Items', { id: 'order-items' }),
      h('table', { class: 'table items' },
        h('caption', { class: 'visually-hidden' }, 'Items of this order'),
        h('thead', null, h('tr', null, ['Item', 'SKU', 'Quantity', 'Unit price', 'Total'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, items.map((i) => h('tr', null,
          h('td', { 'data-label': 'Item' }, i.name),
          h('td', { 'data-label': 'SKU' }, i.sku || '—'),
          h('td', { 'data-label': 'Quantity', class: 'number' }, String(i.quantity)),
          h('td', { 'data-label': 'Unit price', class: 'number' }, i.meta?.display_price?.with_tax?.unit?.formatted ?? '—'),
          h('td', { 'data-label': 'Total', class: 'number' }, i.meta?.display_price?.with_tax?.value?.formatted ?? '—')))))),
    h('div', { class: 'columns' },
      address('Billing address', order.billing_address),
      address('Shipping address', order.shipping_address)))
}
