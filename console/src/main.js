// The staff console: a single page with hash routes (#/customers, #/customers/<id>,
// #/orders/<id>, #/settings) that talks only to the public API of the same origin.
import './style.css'
import { clientId, onSessionEnd, signedIn, signOut } from './api.js'
import { announce, clearStatus, focus, h, heading } from './dom.js'
import { customersView, newCustomerView } from './views/customers.js'
import { customerView } from './views/customer.js'
import { orderView } from './views/orders.js'
import { settingsView } from './views/settings.js'
import { signInView } from './views/signin.js'

// Routes: a pattern for the path after '#', the view, its first heading, its nav item.
const routes = [
  [/^\/customers$/, customersView, 'Customers', 'customers'],
  [/^\/customers\/new$/, newCustomerView, 'New customer', 'customers'],
  [/^\/customers\/([^/]+)$/, customerView, 'Customer', 'customers'],
  [/^\/orders\/([^/]+)$/, orderView, 'Order', 'customers'],
  [/^\/settings$/, settingsView, 'Settings', 'settings'],
]
const home = '#/customers'

const view = document.getElementById('view')
const nav = document.getElementById('nav')
const session = document.getElementById('session')
let controller = null // aborts the requests of the view on screen when another replaces it
let notice = '' // why the sign-in page is shown

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/'
  const at = raw.indexOf('?')
  return at < 0 ? { path: raw, query: new URLSearchParams() } : { path: raw.slice(0, at), query: new URLSearchParams(raw.slice(at + 1)) }
}

function navigate(hash) {
  if (location.hash === hash) render()
  else location.hash = hash
}

// render shows the view of the address: the sign-in page when signed out (coming back to
// the address after it), else the route's view; its heading takes the focus.
async function render() {
  controller?.abort()
  controller = new AbortController()
  const { signal } = controller
  clearStatus()
  const { path, query } = parseHash()
  const inside = signedIn()
  nav.hidden = !inside
  session.hidden = !inside
  document.getElementById('who').textContent = clientId()

  const found = inside && routes.map(([re, fn, title, section]) => [re.exec(path), fn, title, section]).find(([m]) => m)
  if (inside && !found) return navigate(home)
  const [match, fn, title, section] = found || [[], signInView, 'Sign in', null]
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.section === section) a.setAttribute('aria-current', 'page')
    else a.removeAttribute('aria-current')
  }

  const h1 = heading(1, title)
  const root = h('div', { class: 'view-body', 'aria-busy': 'true' })
  view.replaceChildren(h1, root)
  const setTitle = (text) => {
    h1.textContent = text
    document.title = `${text} · Customers console`
  }
  setTitle(title)
  focus(h1)
  const ctx = { root, query, signal, navigate, setTitle, params: match.slice(1).map(decodeURIComponent) }
  if (!inside) {
    ctx.done = () => navigate(location.hash && location.hash !== '#/' ? location.hash : home)
    if (notice) announce(notice, { kind: 'info' })
    notice = ''
  }
  try {
    await fn(ctx)
  } catch (err) {
    if (err.name === 'AbortError' || signal.aborted) return
    root.append(h('div', { class: 'form-error' }, h('p', null, `This page could not be loaded: ${err.message}`),
      h('p', null, h('button', { type: 'button', onclick: () => render() }, 'Try again'))))
    announce(`This page could not be loaded: ${err.message}`, { kind: 'error' })
  } finally {
    if (!signal.aborted) root.removeAttribute('aria-busy')
  }
}

onSessionEnd((reason) => {
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close()
  notice = reason === 'expired' ? 'Your session ended; sign in again.' : 'You are signed out.'
  render()
})

document.getElementById('sign-out').addEventListener('click', () => signOut())
document.getElementById('skip').addEventListener('click', (e) => {
  e.preventDefault()
  focus(view.querySelector('h1'))
})
window.addEventListener('hashchange', render)
render()
