// Sign-in: the client id and secret are exchanged for a client_credentials token; the
// secret field is emptied right after the exchange, whatever its outcome.
import { lastClientId, signIn } from '../api.js'
import { h } from '../dom.js'
import { createForm } from '../form.js'

export function signInView({ root, done }) {
  const form = createForm({
    submitLabel: 'Sign in',
    busyLabel: 'Signing in…',
    failure: 'Not signed in',
    fields: [
      { name: 'client_id', label: 'Client id', autocomplete: 'username', value: lastClientId() },
      { name: 'client_secret', label: 'Client secret', type: 'password', autocomplete: 'current-password' },
    ],
    async onSubmit() {
      const { client_id: id, client_secret: secret } = form.values()
      const missing = [
        !id.trim() && { source: 'data.client_id', detail: 'Enter the client id.' },
        !secret && { source: 'data.client_secret', detail: 'Enter the client secret.' },
      ].filter(Boolean)
      if (missing.length) return form.showErrors(missing)
      try {
        await signIn(id.trim(), secret)
      } finally {
        form.input('client_secret').value = ''
      }
      done()
    },
  })
  root.append(
    h('p', { class: 'lead' }, 'Sign in with the store’s API client credentials (the client_credentials grant). The session lasts as long as its token, and ends when this tab closes or reloads.'),
    form.el)
}
