// Pieces of a paged list: the API's pages are followed through its own links
// (links.next / links.prev, absolute URLs on this origin), as given.
import { h } from './dom.js'

// superseding returns start(): each call begins a new load of a list and returns its
// signal, which aborts when the view goes away or when the next load begins. A search typed
// while the first page is still coming must not be overwritten by that page when it comes.
export function superseding(viewSignal) {
  let last
  return () => {
    last?.abort()
    last = new AbortController()
    return AbortSignal.any([viewSignal, last.signal])
  }
}

// pager renders "Previous / Page x of y / Next" for a list answer; go(link) loads a page.
export function pager(label, answer, noun, go) {
  const { links = {}, meta = {} } = answer
  const total = meta.results?.total ?? 0
  const atLeast = meta.results?.total_method === 'lower_bound' ? 'at least ' : ''
  const pages = meta.page?.total ?? 0
  const button = (rel, text) => h('button', {
    type: 'button', 'data-rel': rel, disabled: !links[rel],
    onclick: () => links[rel] && go(links[rel], rel),
  }, text)
  return h('nav', { class: 'pager', 'aria-label': label },
    button('prev', 'Previous page'),
    h('p', null, pages > 0 ? `Page ${meta.page.current} of ${atLeast}${pages} · ` : '', `${atLeast}${total} ${noun(total)}`),
    button('next', 'Next page'))
}

// pagerFocus puts the focus back on the pager's button that was pressed (or its other
// button when that one has nothing more), after the page was replaced.
export function pagerFocus(container, rel) {
  const buttons = [...container.querySelectorAll('.pager button')]
  const target = buttons.find((b) => b.dataset.rel === rel && !b.disabled) ?? buttons.find((b) => !b.disabled)
  target?.focus()
}

export const plural = (one, many) => (n) => (n === 1 ? one : many)
