// confirm asks a yes/no question in a modal <dialog>: the browser keeps the focus inside it
// and Escape cancels; the focus starts on the safe answer and goes back to where it was.
import { ApiError } from './api.js'
import { h, uid } from './dom.js'

// confirm shows title and text with a confirm button; onConfirm runs when it is pressed
// (the dialog shows it is busy meanwhile and shows what it throws). It resolves to true
// once onConfirm succeeded, false when cancelled.
export function confirm({ title, text, confirmLabel, busyLabel, onConfirm }) {
  const opener = document.activeElement
  const titleId = uid('dialog-title')
  const textId = uid('dialog-text')
  const error = h('p', { class: 'form-error', role: 'alert' })
  const cancel = h('button', { type: 'button', autofocus: true }, 'Cancel')
  const ok = h('button', { type: 'button', class: 'danger' }, confirmLabel)
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId, 'aria-describedby': textId },
    h('h2', { id: titleId }, title),
    h('p', { id: textId }, text),
    error,
    h('div', { class: 'actions' }, cancel, ok))
  let busy = false

  return new Promise((resolve) => {
    let confirmed = false
    cancel.addEventListener('click', () => dialog.close())
    dialog.addEventListener('cancel', (e) => { if (busy) e.preventDefault() })
    dialog.addEventListener('close', () => {
      dialog.remove()
      if (!confirmed && opener?.isConnected) opener.focus()
      resolve(confirmed)
    })
    ok.addEventListener('click', async () => {
      if (busy) return
      busy = true
      ok.textContent = busyLabel
      ok.setAttribute('aria-disabled', 'true')
      error.textContent = ''
      try {
        await onConfirm()
        confirmed = true
        dialog.close()
      } catch (err) {
        if (err.name === 'AbortError') return
        error.textContent = err instanceof ApiError ? err.message : String(err.message ?? err)
        ok.textContent = confirmLabel
        ok.removeAttribute('aria-disabled')
      } finally {
        busy = false
      }
    })
    document.body.append(dialog)
    dialog.showModal()
  })
}
