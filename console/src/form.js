// Forms: labelled fields, each with its hint and, below it, the API's error about it (the
// error's `source` names the field); errors about nothing in the form show above it. A
// failed save changes nothing that was typed.
import { ApiError } from './api.js'
import { announce, focus, h, sentence, uid } from './dom.js'

// createForm builds a form. fields: [{name, label, type, value, required, hint, options,
// autocomplete, step}], type one of text (default), email, password, number, date,
// checkbox, select, textarea, checkboxes (options: [[value, label]], value: the checked
// ones). onSubmit(form) runs on submit, while the form shows it is busy; what it throws
// is shown. It returns the form's element and its methods.
export function createForm({ fields, submitLabel, busyLabel = 'Saving…', failure = 'Not saved', onSubmit, cancel, className = 'form' }) {
  const controls = new Map() // name → {spec, input, error, inputs (checkboxes)}
  const formError = h('div', { class: 'form-error', tabindex: '-1', hidden: true })
  const submit = h('button', { type: 'submit', class: 'primary' }, submitLabel)
  const actions = h('div', { class: 'actions' }, submit,
    cancel && h('button', { type: 'button', onclick: cancel }, 'Cancel'))
  const el = h('form', { class: className, novalidate: true }, formError, fields.map(renderField), actions)
  let busy = false
  let initial = null

  function renderField(spec) {
    const id = uid(spec.name)
    const errorId = `${id}-error`
    const hintId = spec.hint ? `${id}-hint` : null
    const describedBy = [hintId, errorId].filter(Boolean).join(' ')
    const error = h('p', { class: 'field-error', id: errorId, hidden: true })
    const hint = hintId && h('p', { class: 'hint', id: hintId }, spec.hint)
    const label = [spec.label, spec.required && h('span', { class: 'required' }, ' (required)')]
    const type = spec.type ?? 'text'

    if (type === 'checkboxes') {
      const inputs = spec.options.map(([value, text]) =>
        h('input', { type: 'checkbox', name: spec.name, value, checked: spec.value?.includes(value) }))
      const group = h('fieldset', { class: 'field field-group', 'aria-describedby': describedBy },
        h('legend', null, label), hint,
        h('div', { class: 'options' }, inputs.map((input, i) => h('label', { class: 'option' }, input, ' ', spec.options[i][1]))),
        error)
      controls.set(spec.name, { spec, input: inputs[0], inputs, error, box: group })
      return group
    }
    const common = { id, name: spec.name, 'aria-describedby': describedBy, 'aria-required': spec.required ? 'true' : null }
    let input
    if (type === 'textarea') {
      input = h('textarea', { ...common, rows: 3 })
      input.value = spec.value ?? ''
    } else if (type === 'select') {
      input = h('select', common, h('option', { value: '' }, '(none)'),
        spec.options.map((o) => h('option', { value: String(o), selected: String(o) === String(spec.value ?? '') }, String(o))))
    } else if (type === 'checkbox') {
      input = h('input', { ...common, type, checked: spec.value === true })
    } else {
      input = h('input', {
        ...common, type, step: spec.step, autocomplete: spec.autocomplete ?? 'off',
        inputmode: type === 'number' && spec.step === '1' ? 'numeric' : null,
        spellcheck: type === 'email' || type === 'password' ? 'false' : null,
        value: spec.value ?? '',
      })
    }
    controls.set(spec.name, { spec, input, error, box: null })
    if (type === 'checkbox') {
      return h('div', { class: 'field field-checkbox' }, input, h('label', { for: id }, label), hint, error)
    }
    return h('div', { class: 'field' }, h('label', { for: id }, label), hint, input, error)
  }

  // value reads one field: text trimmed (a password as typed), '' for nothing; numbers as
  // numbers (null when empty); checkboxes as booleans; a group as the checked values.
  function value({ spec, input, inputs }) {
    switch (spec.type) {
      case 'checkboxes': return inputs.filter((i) => i.checked).map((i) => i.value)
      case 'checkbox': return input.checked
      case 'number': return input.value === '' ? null : Number(input.value)
      case 'password': return input.value
    }
    const v = input.value.trim()
    if (spec.custom && v === '') return null // custom values: nothing is null
    return spec.type === 'select' && (spec.custom === 'integer' || spec.custom === 'float') ? Number(v) : v
  }

  const values = () => Object.fromEntries([...controls].map(([name, c]) => [name, value(c)]))
  const same = (a, b) => JSON.stringify(a ?? '') === JSON.stringify(b ?? '')

  function showError(name, message) {
    const c = controls.get(name)
    c.error.textContent = message
    c.error.hidden = false
    c.input.setAttribute('aria-invalid', 'true')
    ;(c.box ?? c.input.closest('.field')).classList.add('invalid')
  }

  function clearErrors() {
    formError.hidden = true
    formError.replaceChildren()
    for (const c of controls.values()) {
      c.error.hidden = true
      c.error.textContent = ''
      c.input.removeAttribute('aria-invalid')
      ;(c.box ?? c.input.closest('.field')).classList.remove('invalid')
    }
  }

  // fieldOf finds the form field an API error is about: its source ("data.email"), or, for
  // an address's missing mandatory field (source "data", title "required"), its detail.
  function fieldOf(err) {
    const m = /^data\.([A-Za-z0-9_-]+)$/.exec(err.source ?? '') ??
      (err.title === 'required' && /^([a-z0-9_]+) is required$/.exec(err.detail ?? ''))
    return m && controls.has(m[1]) ? m[1] : null
  }

  // words puts the field's label where the detail names it by its API name.
  function words(err, name) {
    const detail = err.detail || err.title || 'This value is not accepted.'
    if (!name) return sentence(detail)
    const label = controls.get(name).spec.label
    return sentence(detail.replace(`data.${name}`, label).replace(new RegExp(`^${name}\\b`), label))
  }

  // showErrors shows each error next to its field (or above the form), focuses the first
  // field in trouble and says in the status bar that the form was not saved.
  function showErrors(errors) {
    clearErrors()
    const general = []
    for (const err of errors) {
      const name = fieldOf(err)
      if (name && controls.get(name).error.hidden) showError(name, words(err, name))
      else if (name) controls.get(name).error.textContent += ` ${words(err, name)}`
      else general.push(words(err))
    }
    if (general.length) {
      formError.replaceChildren(...general.map((t) => h('p', null, t)))
      formError.hidden = false
    }
    const first = [...controls.values()].find((c) => !c.error.hidden)
    const n = errors.length
    announce(`${failure}: ${n === 1 ? 'one problem' : `${n} problems`}, shown ${first ? 'next to the fields' : 'above the form'}.`, { kind: 'error' })
    focus(general.length || !first ? formError : first.input)
  }

  // Numbers the browser could not read never reach the API as "nothing".
  function unreadable() {
    return [...controls].filter(([, c]) => c.spec.type === 'number' && c.input.validity.badInput)
      .map(([name]) => ({ source: `data.${name}`, detail: 'Enter a number.' }))
  }

  function setBusy(on) {
    busy = on
    el.setAttribute('aria-busy', String(on))
    submit.setAttribute('aria-disabled', String(on))
    submit.textContent = on ? busyLabel : submitLabel
  }

  el.addEventListener('submit', async (e) => {
    e.preventDefault()
    if (busy) return
    clearErrors()
    const bad = unreadable()
    if (bad.length) return showErrors(bad)
    setBusy(true)
    try {
      await onSubmit(form)
    } catch (err) {
      if (err.name === 'AbortError') return
      showErrors(err instanceof ApiError ? err.errors : [{ detail: String(err.message ?? err) }])
    } finally {
      setBusy(false)
    }
  })

  const form = {
    el,
    values,
    // changed: the fields whose value differs from when the form was made (or last saved).
    changed() {
      const now = values()
      return Object.fromEntries(Object.entries(now).filter(([k, v]) => !same(v, initial[k])))
    },
    // saved: what the form shows now is what is stored.
    saved() { initial = values() },
    showErrors,
    clearErrors,
    input: (name) => controls.get(name)?.input,
    first: () => [...controls.values()][0]?.input,
  }
  initial = values()
  return form
}
