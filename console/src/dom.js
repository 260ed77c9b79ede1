// Small DOM helpers: every node is built with h(), so text always goes in as text (never as
// HTML), and nothing sets a style attribute (the page's Content-Security-Policy forbids
// inline styles: looks live in style.css).

// h builds an element: h('a', {href: '#/x', class: 'link', onclick: fn}, 'text', child, ...).
// Props that are null, undefined or false are left out; true sets an empty attribute;
// on* props are listeners; value, checked and selected are set as properties.
export function h(tag, props, ...children) {
  const el = document.createElement(tag)
  for (const [key, v] of Object.entries(props ?? {})) {
    if (v == null || v === false) continue
    if (key.startsWith('on')) el.addEventListener(key.slice(2), v)
    else if (key === 'value' || key === 'checked' || key === 'selected') el[key] = v
    else el.setAttribute(key, v === true ? '' : String(v))
  }
  append(el, children)
  return el
}

// fill replaces el's children, with the same rules as h (null and false are nothing).
export function fill(el, ...children) {
  el.replaceChildren()
  append(el, children)
  return el
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue
    if (Array.isArray(c)) append(el, c)
    else el.append(c instanceof Node ? c : String(c))
  }
}

let lastID = 0

// uid returns an id unique in the page, for label/aria pairs.
export const uid = (prefix = 'id') => `${prefix}-${++lastID}`

// heading makes a view's or section's heading that can take focus (tabindex -1), so that
// navigation can move the focus to it.
export const heading = (level, text, props) => h(`h${level}`, { tabindex: '-1', ...props }, text)

// focus moves the focus to el without scrolling past it.
export function focus(el) {
  if (!el) return
  el.focus({ preventScroll: true })
  el.scrollIntoView({ block: 'nearest' })
}

let keepStatus = false

// announce shows a message in the status bar, a polite live region that screen readers
// read out: kind 'done' (the outcome of an action), 'error' or 'info'. Kind 'quiet' is for
// what the screen shows anyway (a list's count): it is only read out, from a live region
// of its own, and never replaces the bar's message. With keep, the message survives the
// next navigation (e.g. "Customer deleted" shown on the list the deletion sends you to).
export function announce(message, { keep = false, kind = 'done' } = {}) {
  if (kind === 'quiet') {
    document.getElementById('announcer').textContent = message
    return
  }
  const region = document.getElementById('status')
  region.textContent = message
  region.className = `status status-${kind}`
  keepStatus = keep
}

// clearStatus empties the status bar on navigation, unless its message was kept for it.
export function clearStatus() {
  document.getElementById('announcer').textContent = ''
  if (keepStatus) keepStatus = false
  else announce('')
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

// sentence makes an API detail a sentence: a capital first letter and a full stop.
export function sentence(text) {
  const t = String(text).trim()
  return t && t[0].toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? '' : '.')
}

// when renders a timestamp as a <time> element, in the browser's locale and time zone.
export function when(iso) {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : h('time', { datetime: iso }, dateTime.format(d))
}

// definitions renders label/value pairs as a <dl>.
export function definitions(pairs) {
  return h('dl', { class: 'facts' }, pairs.map(([term, value]) => h('div', null, h('dt', null, term), h('dd', null, value))))
}

// loading is the placeholder a section shows while its request runs.
export const loading = (what) => h('p', { class: 'loading' }, `Loading ${what}…`)
