// What the console knows of the API's fields: labels for the built-in ones, and form
// fields for custom ones (the core flows' fields, by type).

// The address fields, in the order a form shows them, with their labels.
export const addressFields = [
  ['first_name', 'First name'],
  ['last_name', 'Last name'],
  ['company_name', 'Company'],
  ['line_1', 'Address line 1'],
  ['line_2', 'Address line 2'],
  ['city', 'City'],
  ['county', 'County'],
  ['region', 'Region or state'],
  ['postcode', 'Postcode'],
  ['country', 'Country'],
  ['phone_number', 'Phone number'],
  ['instructions', 'Delivery instructions'],
  ['name', 'Address name (e.g. Home)'],
]

// customFormFields turns a flow's field definitions into form fields that fit their types:
// text (a list of options for an enum), number, checkbox, date.
export function customFormFields(defs, values = {}) {
  return defs.map((def) => {
    const f = { name: def.slug, label: def.name, hint: def.description || undefined, value: values[def.slug] ?? null, custom: def.field_type }
    const options = def.validation_rules?.find((r) => r.type === 'enum')?.options
    switch (def.field_type) {
      case 'integer': return { ...f, type: 'number', step: '1' }
      case 'float': return { ...f, type: 'number', step: 'any' }
      case 'boolean': return { ...f, type: 'checkbox' }
      case 'date': return options ? { ...f, type: 'select', options } : { ...f, type: 'date', value: dateOnly(f.value) }
      default: return { ...f, type: options ? 'select' : 'text', options }
    }
  })
}

// A date field's value may carry a time ("2024-05-01 10:00:00"); the date input shows the day.
const dateOnly = (v) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2} /.test(v) ? v.slice(0, 10) : v)

// display shows a stored custom value in words.
export function display(value, type) {
  if (value === null || value === undefined || value === '') return '—'
  if (type === 'boolean') return value ? 'yes' : 'no'
  return String(value)
}
