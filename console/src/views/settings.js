// The store's settings the console edits: which address fields are mandatory, and how
// many rows a page of a list shows.
import { api, setStoreSettings, storeSettings } from '../api.js'
import { announce } from '../dom.js'
import { addressFields } from '../fields.js'
import { createForm } from '../form.js'

export async function settingsView({ root, signal }) {
  setStoreSettings(null) // read them afresh
  const settings = await storeSettings(signal)
  const form = createForm({
    submitLabel: 'Save settings',
    fields: [
      { name: 'address_mandatory_fields', label: 'Mandatory address fields', type: 'checkboxes',
        options: addressFields, value: settings.address_mandatory_fields,
        hint: 'A new address must fill these in. Addresses that exist are not changed.' },
      { name: 'page_length', label: 'Rows per page', type: 'number', step: '1', value: settings.page_length,
        hint: 'How many rows a page of a list shows: 1 to 100.' },
    ],
    async onSubmit() {
      const body = { type: 'settings', ...form.values() }
      setStoreSettings((await api('/v2/settings', { method: 'PUT', body })).data)
      form.saved()
      announce('Settings saved.')
    },
  })
  root.append(form.el)
}
