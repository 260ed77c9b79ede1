// One customer: details and edits, a new password, addresses, orders, deletion.
import { api, ApiError, customFields, storeSettings } from '../api.js'
import { announce, definitions, h, heading, when } from '../dom.js'
import { confirm } from '../dialog.js'
import { customFormFields, display } from '../fields.js'
import { createForm } from '../form.js'
import { addressesSection } from './addresses.js'
import { ordersSection } from './orders.js'

export async function customerView({ root, params: [id], signal, navigate, setTitle }) {
  let customer, defs
  try {
    [customer, defs] = await Promise.all([
      api(`/v2/customers/${encodeURIComponent(id)}`, { signal }).then((a) => a.data),
      customFields('customers', signal),
      storeSettings(signal),
    ])
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err
    setTitle('Customer not found')
    root.append(h('p', null, 'There is no customer with this id: it may have been deleted. '),
      h('p', null, h('a', { href: '#/customers' }, 'Back to the customers')))
    return
  }
  setTitle(customer.name)

  // Facts that are not edited here.
  const facts = h('div')
  const showFacts = () => facts.replaceChildren(definitions([
    ['Email', customer.email],
    ['Has a password', customer.password ? 'yes' : 'no'],
    ['Signs in with', customer.authentication_mechanism === 'oidc' ? 'single sign-on' : 'email and password'],
    ['External reference', customer.external_ref ?? '—'],
    ...defs.map((d) => [d.name, display(customer[d.slug], d.field_type)]),
    ['Created', when(customer.meta?.timestamps?.created_at)],
    ['Updated', when(customer.meta?.timestamps?.updated_at)],
    ['Customer id', h('code', null, customer.id)],
  ]))
  showFacts()

  const profile = createForm({
    submitLabel: 'Save changes',
    fields: [
      { name: 'name', label: 'Name', required: true, value: customer.name },
      { name: 'email', label: 'Email', type: 'email', required: true, value: customer.email },
      { name: 'external_ref', label: 'External reference', value: customer.external_ref,
        hint: 'Your own id for this customer in another system. Empty it to remove it.' },
      ...customFormFields(defs, customer),
    ],
    async onSubmit() {
      const changed = profile.changed()
      if (!Object.keys(changed).length) return announce('Nothing to save: no field was changed.', { kind: 'info' })
      if (changed.external_ref === '') changed.external_ref = null
      customer = (await api(`/v2/customers/${customer.id}`, { method: 'PUT', body: { type: 'customer', ...changed } })).data
      profile.saved()
      setTitle(customer.name)
      showFacts()
      announce('Changes saved.')
    },
  })

  const password = createForm({
    submitLabel: 'Set password',
    fields: [{ name: 'password', label: 'New password', type: 'password', autocomplete: 'new-password',
      hint: '8 to 72 characters. The customer signs in with it from now on; their other sessions end.' }],
    async onSubmit() {
      const { password: value } = password.values()
      if (!value) return password.showErrors([{ source: 'data.password', detail: 'Enter the new password.' }])
      customer = (await api(`/v2/customers/${customer.id}`, { method: 'PUT', body: { type: 'customer', password: value } })).data
      password.input('password').value = ''
      showFacts()
      announce('Password set.')
    },
  })

  const remove = h('button', { type: 'button', class: 'danger', onclick: () => confirm({
    title: `Delete ${customer.name}?`,
    text: `${customer.name} (${customer.email}) will be deleted: they can no longer sign in, and their addresses and the personal data in their orders will be erased. This cannot be undone.`,
    confirmLabel: 'Delete customer',
    busyLabel: 'Deleting…',
    async onConfirm() {
      await api(`/v2/customers/${customer.id}`, { method: 'DELETE' })
      announce(`${customer.name} was deleted.`, { keep: true })
      navigate('#/customers')
    },
  }) }, 'Delete customer…')

  const section = (title, ...content) => {
    const hd = heading(2, title)
    hd.id = `section-${title.toLowerCase().replace(/\W+/g, '-')}`
    return h('section', { class: 'panel', 'aria-labelledby': hd.id }, hd, ...content)
  }
  root.append(
    h('p', { class: 'back' }, h('a', { href: '#/customers' }, '← All customers')),
    h('div', { class: 'columns' },
      section('Details', facts),
      section('Edit details', profile.el)),
    section('Password', password.el),
    addressesSection({ customer, signal }),
    ordersSection({ customer, signal }),
    section('Delete customer', h('p', null, 'Deleting a customer cannot be undone.'), remove))
}
