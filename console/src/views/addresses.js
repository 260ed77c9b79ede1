// A customer's addresses: list, add, edit, delete. Mandatory fields (the store's
// address_mandatory_fields) are marked; each field's error from the API shows next to it.
import { api, customFields, query, storeSettings } from '../api.js'
import { announce, fill, focus, h, heading, loading } from '../dom.js'
import { confirm } from '../dialog.js'
import { addressFields, customFormFields, display } from '../fields.js'
import { createForm } from '../form.js'
import { pager, pagerFocus, plural, superseding } from '../list.js'

const addresses = plural('address', 'addresses')

// addressesSection renders the section at once and fills it when its data has come.
export function addressesSection({ customer, signal }) {
  const title = heading(2, 'Addresses', { id: 'section-addresses' })
  const add = h('button', { type: 'button', class: 'primary', 'aria-expanded': 'false' }, 'Add address')
  const formSlot = h('div')
  const list = h('div', { class: 'address-list', 'aria-busy': 'true' }, loading('addresses'))
  const section = h('section', { class: 'panel', 'aria-labelledby': title.id }, title, h('p', { class: 'toolbar' }, add), formSlot, list)
  const base = `/v2/customers/${customer.id}/addresses`
  let settings, defs
  let current = '' // the page shown, as the API's link

  // fields: the form's fields, mandatory ones marked, with values from an address.
  const fields = (address = {}) => [
    ...addressFields.map(([name, label]) => ({
      name, label, value: address[name] ?? '', type: name === 'instructions' ? 'textarea' : 'text',
      required: settings.address_mandatory_fields.includes(name),
      autocomplete: 'off',
    })),
    ...customFormFields(defs, address),
  ]

  function label(a) {
    return a.name || [a.first_name, a.last_name].filter(Boolean).join(' ') || a.line_1 || 'Address'
  }

  function card(a) {
    const hd = heading(3, label(a))
    const lines = [
      a.name && [a.first_name, a.last_name].filter(Boolean).join(' '), a.company_name, a.line_1, a.line_2,
      [a.city, a.county].filter(Boolean).join(', '), [a.region, a.postcode].filter(Boolean).join(' '), a.country,
    ].filter(Boolean)
    const extra = defs.filter((d) => a[d.slug] !== null && a[d.slug] !== undefined).map((d) => `${d.name}: ${display(a[d.slug], d.field_type)}`)
    const article = h('article', { class: 'card' }, hd,
      h('p', { class: 'address' }, lines.map((l) => h('span', null, l))),
      a.phone_number && h('p', null, `Phone: ${a.phone_number}`),
      a.instructions && h('p', null, `Instructions: ${a.instructions}`),
      extra.map((t) => h('p', null, t)),
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: (e) => edit(a, article, e.currentTarget) }, 'Edit', h('span', { class: 'visually-hidden' }, ` ${label(a)}`)),
        h('button', { type: 'button', class: 'danger', onclick: () => remove(a) }, 'Delete', h('span', { class: 'visually-hidden' }, ` ${label(a)}`))))
    article.dataset.id = a.id
    return h('li', null, article)
  }

  const start = superseding(signal)
  async function load(link = current || query(base, { 'page[limit]': settings.page_length }), rel) {
    const ticket = start()
    list.setAttribute('aria-busy', 'true')
    try {
      const answer = await api(link, { signal: ticket })
      if (ticket.aborted) return
      current = link
      fill(list,
        answer.data.length ? h('ul', { class: 'cards' }, answer.data.map(card)) : h('p', { class: 'empty' }, 'No addresses yet.'),
        (answer.links?.next || answer.links?.prev) && pager('Address pages', answer, addresses, (next, r) => load(next, r)))
      if (rel) pagerFocus(list, rel)
    } catch (err) {
      if (err.name === 'AbortError') return
      list.replaceChildren(h('div', { class: 'form-error' }, h('p', null, `The addresses could not be loaded: ${err.message}`)))
    } finally {
      if (!ticket.aborted) list.removeAttribute('aria-busy')
    }
  }

  // Values the API takes: on create the fields filled in; on update the changed ones, an
  // emptied field as null (which clears it).
  function body(form, update) {
    const values = update ? form.changed() : form.values()
    const out = { type: 'address' }
    for (const [k, v] of Object.entries(values)) {
      if (update) out[k] = v === '' ? null : v
      else if (v !== '' && v !== null && (typeof v !== 'boolean' || k in form.changed())) out[k] = v
    }
    return out
  }

  function closeNew() {
    formSlot.replaceChildren()
    add.setAttribute('aria-expanded', 'false')
    add.focus()
  }

  add.addEventListener('click', () => {
    if (formSlot.firstChild) return focus(formSlot.querySelector('input'))
    const hd = heading(3, 'New address', { id: 'new-address-title' })
    const form = createForm({
      fields: fields(), submitLabel: 'Save address', cancel: closeNew,
      async onSubmit() {
        const created = (await api(base, { method: 'POST', body: body(form, false) })).data
        formSlot.replaceChildren()
        add.setAttribute('aria-expanded', 'false')
        current = ''
        await load()
        announce(`Address ${label(created)} added.`)
        focus(list.querySelector(`[data-id="${created.id}"] h3`) ?? add)
      },
    })
    formSlot.replaceChildren(h('section', { class: 'subpanel', 'aria-labelledby': hd.id }, hd, form.el))
    add.setAttribute('aria-expanded', 'true')
    focus(form.first())
  })

  function edit(a, article, opener) {
    const hd = heading(3, `Edit ${label(a)}`)
    const form = createForm({
      fields: fields(a), submitLabel: 'Save address',
      cancel: () => { wrapper.replaceWith(article); opener.focus() },
      async onSubmit() {
        const changed = body(form, true)
        if (Object.keys(changed).length === 1) return announce('Nothing to save: no field was changed.', { kind: 'info' })
        const updated = (await api(`${base}/${a.id}`, { method: 'PUT', body: changed })).data
        const fresh = card(updated).firstChild
        wrapper.replaceWith(fresh)
        announce(`Address ${label(updated)} saved.`)
        focus(fresh.querySelector('h3'))
      },
    })
    const wrapper = h('article', { class: 'card editing' }, hd, form.el)
    article.replaceWith(wrapper)
    focus(form.first())
  }

  function remove(a) {
    confirm({
      title: 'Delete this address?',
      text: `${label(a)} (${[a.line_1, a.city, a.postcode].filter(Boolean).join(', ')}) will be deleted from ${customer.name}’s addresses.`,
      confirmLabel: 'Delete address',
      busyLabel: 'Deleting…',
      async onConfirm() {
        await api(`${base}/${a.id}`, { method: 'DELETE' })
        await load()
        announce(`Address ${label(a)} deleted.`)
        focus(title)
      },
    })
  }

  Promise.all([storeSettings(signal), customFields('addresses', signal)]).then(([s, d]) => {
    settings = s
    defs = d
    return load()
  }).catch((err) => {
    if (err.name !== 'AbortError') list.replaceChildren(h('div', { class: 'form-error' }, h('p', null, err.message)))
  })
  return section
}
