// The customer list (search, sort, pages through the API's links) and the new-customer form.
import { api, ApiError, customFields, query, storeSettings } from '../api.js'
import { announce, fill, h, sentence, when } from '../dom.js'
import { customFormFields } from '../fields.js'
import { expression, matchesFor } from '../filter.js'
import { createForm } from '../form.js'
import { pager, pagerFocus, plural, superseding } from '../list.js'

const columns = [
  ['name', 'Name'],
  ['email', 'Email'],
  ['created_at', 'Created'],
  ['updated_at', 'Updated'],
]
const customers = plural('customer', 'customers')

// The page the list was on, for coming back to it (the API's link for it, with its cursor).
let remembered = { key: '', link: '' }

export async function customersView({ root, query: q, signal }) {
  const [settings, defs] = await Promise.all([storeSettings(signal), customFields('customers', signal)])
  // What can be searched: name, email, and the custom fields of the customers flow.
  const searchable = [['name', 'Name', 'string'], ['email', 'Email', 'string'],
    ...defs.map((d) => [d.slug, d.name, d.field_type])]
  const typeOf = (field) => searchable.find(([slug]) => slug === field)?.[2] ?? 'string'
  const state = {
    field: searchable.some(([slug]) => slug === q.get('field')) ? q.get('field') : 'name',
    match: q.get('match') ?? 'starts',
    value: q.get('q') ?? '',
    sort: q.get('sort') ?? '',
  }

  // The search form.
  const fieldSelect = h('select', { id: 'search-field', name: 'field' },
    searchable.map(([slug, label]) => h('option', { value: slug, selected: slug === state.field }, label)))
  const matchSelect = h('select', { id: 'search-match', name: 'match' })
  const valueBox = h('span', { class: 'search-value' })
  const searchError = h('p', { class: 'field-error', id: 'search-error', hidden: true })
  const clearButton = h('button', { type: 'button', onclick: () => search('') }, 'Clear search')
  let valueInput

  function fillMatches() {
    const type = typeOf(fieldSelect.value)
    const matches = matchesFor(type)
    const keep = matches.some(([m]) => m === matchSelect.value) ? matchSelect.value : matches.some(([m]) => m === state.match) ? state.match : matches[0][0]
    matchSelect.replaceChildren(...matches.map(([m, label]) => h('option', { value: m, selected: m === keep }, label)))
    const old = valueInput?.value ?? state.value
    const common = { id: 'search-value', name: 'q', 'aria-describedby': 'search-error' }
    valueInput = type === 'boolean'
      ? h('select', common, h('option', { value: 'true', selected: old === 'true' }, 'yes'), h('option', { value: 'false', selected: old === 'false' }, 'no'))
      : h('input', {
        ...common, value: old, autocomplete: 'off', spellcheck: 'false',
        type: type === 'date' ? 'date' : type === 'integer' || type === 'float' ? 'number' : 'search',
        step: type === 'float' ? 'any' : type === 'integer' ? '1' : null,
      })
    valueBox.replaceChildren(h('label', { for: 'search-value' }, 'Value'), valueInput)
  }
  fieldSelect.addEventListener('change', fillMatches)
  fillMatches()

  const searchForm = h('form', { role: 'search', 'aria-label': 'Customers', class: 'search', novalidate: true,
    onsubmit: (e) => { e.preventDefault(); search(valueInput.value.trim()) } },
  h('span', null, h('label', { for: 'search-field' }, 'Search in'), fieldSelect),
  h('span', null, h('label', { for: 'search-match' }, 'Match'), matchSelect),
  valueBox,
  h('span', { class: 'search-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Search'), clearButton),
  searchError)

  const results = h('div', { class: 'results' })
  root.append(
    h('p', { class: 'toolbar' }, h('a', { href: '#/customers/new', class: 'button primary' }, 'New customer')),
    searchForm, results)

  // The list's state lives in the address (so that Back comes back to it) without making
  // a history entry for each search or sort.
  function remember() {
    const p = new URLSearchParams()
    if (state.value) p.set('field', state.field), p.set('match', state.match), p.set('q', state.value)
    if (state.sort) p.set('sort', state.sort)
    const hash = `#/customers${p.size ? `?${p}` : ''}`
    if (location.hash !== hash) history.replaceState(null, '', hash)
    return `${hash}|${settings.page_length}`
  }

  function firstPage() {
    return query('/v2/customers', {
      'page[limit]': settings.page_length,
      sort: state.sort,
      filter: state.value ? expression(state.field, state.match, state.value) : '',
    })
  }

  function search(value) {
    state.field = fieldSelect.value
    state.match = matchSelect.value
    state.value = value
    if (!value) valueInput.value = ''
    load(firstPage(), null)
  }

  function sortBy(field) {
    const dates = field === 'created_at' || field === 'updated_at'
    const current = state.sort || '-created_at'
    state.sort = current === field ? `-${field}` : current === `-${field}` ? field : dates ? `-${field}` : field
    load(firstPage(), `sort:${field}`)
  }

  const start = superseding(signal)
  async function load(link, focusAfter) {
    const ticket = start()
    const key = remember()
    clearButton.hidden = !state.value
    searchError.hidden = true
    fieldSelect.removeAttribute('aria-invalid')
    results.setAttribute('aria-busy', 'true')
    results.prepend(h('p', { class: 'loading' }, 'Loading customers…'))
    let answer
    try {
      answer = await api(link, { signal: ticket })
    } catch (err) {
      if (err.name === 'AbortError' || ticket.aborted) return
      results.removeAttribute('aria-busy')
      if (err instanceof ApiError && err.errors.some((e) => e.source === 'filter')) {
        // A search the API refused: the reason goes under the search.
        searchError.textContent = sentence(err.errors.find((e) => e.source === 'filter').detail)
        searchError.hidden = false
        valueInput.setAttribute('aria-invalid', 'true')
        results.replaceChildren()
        announce('The search was not accepted; the reason is under the search.', { kind: 'error' })
        valueInput.focus()
        return
      }
      results.replaceChildren(h('div', { class: 'form-error' }, h('p', null, err.message)))
      announce(`The customers could not be loaded: ${err.message}`, { kind: 'error' })
      return
    }
    if (ticket.aborted) return // a later load took over
    valueInput.removeAttribute('aria-invalid')
    remembered = { key, link }
    render(answer)
    const total = answer.meta?.results?.total ?? 0
    announce(`${total} ${customers(total)}${state.value ? ' found' : ''}${answer.meta?.page?.total > 1 ? `, page ${answer.meta.page.current} of ${answer.meta.page.total}` : ''}.`, { kind: 'quiet' })
    if (focusAfter?.startsWith('sort:')) results.querySelector(`[data-sort="${focusAfter.slice(5)}"]`)?.focus()
    else if (focusAfter) pagerFocus(results, focusAfter)
  }

  function render(answer) {
    results.removeAttribute('aria-busy')
    const sort = state.sort || '-created_at'
    const direction = (field) => (sort === field ? 'ascending' : sort === `-${field}` ? 'descending' : null)
    const sortedBy = columns.find(([f]) => direction(f))
    const rows = answer.data.map((c) => h('tr', null,
      h('td', { 'data-label': 'Name' }, h('a', { href: `#/customers/${c.id}` }, c.name)),
      h('td', { 'data-label': 'Email' }, c.email),
      h('td', { 'data-label': 'Created' }, when(c.meta?.timestamps?.created_at)),
      h('td', { 'data-label': 'Updated' }, when(c.meta?.timestamps?.updated_at))))
    const table = h('table', { class: 'table customers' },
      h('caption', { class: 'visually-hidden' }, `Customers${sortedBy ? `, sorted by ${sortedBy[1].toLowerCase()}, ${direction(sortedBy[0])}` : ''}`),
      h('thead', null, h('tr', null, columns.map(([field, label]) => h('th', { scope: 'col', 'aria-sort': direction(field) ?? 'none' },
        h('button', { type: 'button', class: 'sort', 'data-sort': field, onclick: () => sortBy(field) },
          label, h('span', { class: 'arrow', 'aria-hidden': 'true' }, { ascending: ' ▲', descending: ' ▼' }[direction(field)] ?? ' ↕')))))),
      h('tbody', null, rows))
    fill(results,
      answer.data.length ? table : h('p', { class: 'empty' }, state.value ? 'No customer matches this search.' : 'There are no customers yet.'),
      pager('Customer pages', answer, customers, (next, rel) => load(next, rel)))
  }

  const key = remember()
  await load(remembered.key === key ? remembered.link : firstPage(), null)
}

// newCustomerView: name, email, an optional password and reference, and the custom fields.
export async function newCustomerView({ root, signal, navigate }) {
  const defs = await customFields('customers', signal)
  const custom = customFormFields(defs).map((f, i) => ({ ...f, required: defs[i].required && defs[i].default == null }))
  const form = createForm({
    submitLabel: 'Create customer',
    busyLabel: 'Creating…',
    cancel: () => navigate('#/customers'),
    fields: [
      { name: 'name', label: 'Name', required: true, autocomplete: 'off' },
      { name: 'email', label: 'Email', type: 'email', required: true },
      { name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password',
        hint: '8 to 72 characters. Leave it empty for a customer who will not sign in with a password.' },
      { name: 'external_ref', label: 'External reference', hint: 'Your own id for this customer in another system, if any.' },
      ...custom,
    ],
    async onSubmit() {
      const { name, email, password, external_ref: ref } = form.values()
      const changed = form.changed()
      const body = { type: 'customer', name, email }
      if (password) body.password = password
      if (ref) body.external_ref = ref
      for (const f of custom) if (f.name in changed) body[f.name] = changed[f.name]
      const created = (await api('/v2/customers', { method: 'POST', body })).data
      announce(`Customer ${created.name} created.`, { keep: true })
      navigate(`#/customers/${created.id}`)
    },
  })
  root.append(form.el)
}
