// The staff console in a real browser (Debian's Chromium through playwright-core) against
// the local runner: sign in, search, create, a duplicate email, settings, pages and
// sorting, an address with a missing mandatory field, custom fields, an order, delete
// through the confirmation dialog, a phone-sized screen, sign out, a session that ends by
// itself and one whose token the API refuses. After each step a screenshot (SCREENSHOT_DIR/NN-name.png) and an axe
// check: any serious or critical violation fails the run, and so does any script error
// or Content-Security-Policy violation. Run by cmd/samlocal's TestConsole with API_URL,
// CLIENT_ID, CLIENT_SECRET, SCREENSHOT_DIR and CHROMIUM set (the data it expects is
// seeded there); prints one line a step and exits non-zero on the first failure.
import AxeBuilder from '@axe-core/playwright'
import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { chromium } from 'playwright-core'

const env = Object.fromEntries(['API_URL', 'CLIENT_ID', 'CLIENT_SECRET', 'SCREENSHOT_DIR', 'CHROMIUM'].map((k) => {
  if (!process.env[k]) {
    console.error(`not ok - ${k} is not set`)
    process.exit(2)
  }
  return [k, process.env[k]]
}))
await mkdir(env.SCREENSHOT_DIR, { recursive: true })

const browser = await chromium.launch({ executablePath: env.CHROMIUM, headless: true, args: ['--no-sandbox'] })
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' })
const page = await context.newPage()
page.setDefaultTimeout(15_000)

// What the page itself does wrong: script errors and anything the CSP refused.
const problems = []
const watch = (p) => {
  p.on('pageerror', (err) => problems.push(`script error: ${err.message}`))
  p.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`) })
}
watch(page)

let shots = 0
const notes = []

// step runs one step, then takes its screenshot and checks the screen with axe.
async function step(name, fn, p = page) {
  await fn()
  const file = path.join(env.SCREENSHOT_DIR, `${String(++shots).padStart(2, '0')}-${name}.png`)
  await p.screenshot({ path: file, fullPage: true })
  await accessible(p, name)
  assert.deepEqual(problems, [], `the page reported problems during "${name}"`)
  console.log(`ok - ${name} (${path.basename(file)})`)
}

async function accessible(p, name) {
  const result = await new AxeBuilder({ page: p }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze()
  const describe = (v) => `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.slice(0, 5).map((n) => n.target.join(' ')).join('\n    ')}`
  const grave = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  for (const v of result.violations) if (!grave.includes(v)) notes.push(`${name}: ${describe(v)}`)
  assert.equal(grave.length, 0, `axe found serious or critical problems on "${name}":\n  ${grave.map(describe).join('\n  ')}`)
}

const h1 = (p = page) => p.locator('h1')
// heading waits for the view's heading and checks that navigation moved the focus to it.
async function heading(text, p = page) {
  await p.getByRole('heading', { level: 1, name: text, exact: true }).waitFor()
  await p.waitForFunction(() => document.activeElement?.tagName === 'H1')
}
// The status bar (#status) shows the outcome of an action; what a screen reader alone needs
// (a list's count) goes to #announcer.
const status = (p = page) => p.locator('#status')
async function statusSays(text, p = page) {
  await p.waitForFunction((t) => document.getElementById('status').textContent.includes(t), text)
}
async function announced(text) {
  await page.waitForFunction((t) => document.getElementById('announcer').textContent.includes(t), text)
}
// errorOf returns the error shown next to a field: the element its aria-describedby names.
async function errorOf(input) {
  const ids = (await input.getAttribute('aria-describedby')).split(' ')
  const errorId = ids.find((id) => id.endsWith('-error'))
  const error = page.locator(`[id="${errorId}"]`)
  await error.waitFor({ state: 'visible' })
  assert.equal(await input.getAttribute('aria-invalid'), 'true')
  return (await error.textContent()).trim()
}
const names = () => page.locator('table.customers tbody td:first-child').allTextContents()
const go = (hash) => page.evaluate((h) => { location.hash = h }, hash)

async function signIn(p, secret) {
  await p.getByLabel('Client id').fill(env.CLIENT_ID)
  await p.getByLabel('Client secret').fill(secret)
  await p.getByLabel('Client secret').press('Enter')
}

const unique = Date.now().toString(36)
const mark = { name: 'Mark Brendanawicz', email: `mark.${unique}@pawnee.example` }
let markHash

try {
  await step('sign-in-refused', async () => {
    const res = await page.goto(`${env.API_URL}/console/`)
    assert.equal(new URL(page.url()).pathname, '/console/index.html', '/console/ goes to the page')
    assert.match(res.headers()['content-security-policy'], /script-src 'self'/)
    await heading('Sign in')
    await signIn(page, 'not the secret')
    const error = page.locator('.form-error')
    await error.waitFor({ state: 'visible' })
    assert.match(await error.textContent(), /not valid/)
    assert.equal(await page.getByLabel('Client secret').inputValue(), '', 'the secret is cleared after the exchange')
  })

  await step('signed-in', async () => {
    await signIn(page, env.CLIENT_SECRET)
    await heading('Customers')
    await page.locator('table.customers tbody tr').first().waitFor()
    assert.equal(await page.getByLabel('Client secret').count(), 0)
    const kept = await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie])
    assert.deepEqual(kept, [0, 0, ''], 'nothing is kept in storage or cookies')
    assert.equal(await page.locator('#who').textContent(), env.CLIENT_ID)
  })

  await step('search-starts-with', async () => {
    await page.getByLabel('Search in').selectOption({ label: 'Name' })
    await page.getByLabel('Match').selectOption({ label: 'starts with' })
    await page.getByLabel('Value').fill('Ron')
    await page.getByRole('button', { name: 'Search', exact: true }).click()
    await announced('2 customers found')
    assert.deepEqual((await names()).sort(), ['Ron Swanson', 'Ronna Howard'])
    assert.match(page.url(), /match=starts/, 'the search is in the address')
  })

  await step('customer-created', async () => {
    await page.getByRole('link', { name: 'New customer' }).click()
    await heading('New customer')
    await page.getByLabel('Name').fill(mark.name)
    await page.getByLabel('Email').fill(mark.email)
    await page.getByLabel('Password').fill('correct horse battery')
    await page.getByLabel('External reference').fill('crm-42')
    await page.getByRole('button', { name: 'Create customer' }).click()
    await heading(mark.name)
    await statusSays(`Customer ${mark.name} created.`)
    const facts = await page.locator('.facts').first().textContent()
    assert.match(facts, /Has a passwordyes/)
    assert.match(facts, /External referencecrm-42/)
    markHash = new URL(page.url()).hash
  })

  await step('duplicate-email', async () => {
    await go('#/customers/new')
    await heading('New customer')
    await page.getByLabel('Name').fill('Another Ron')
    const email = page.getByLabel('Email')
    await email.fill('RON@swanson.example')
    await page.getByRole('button', { name: 'Create customer' }).click()
    assert.match(await errorOf(email), /already exists/)
    assert.ok(await email.evaluate((el) => el === document.activeElement), 'the focus goes to the email field')
    assert.equal(await page.getByLabel('Name').inputValue(), 'Another Ron', 'what was typed stays')
    await statusSays('Not saved')
  })

  await step('settings-refused', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click()
    await heading('Settings')
    await page.getByLabel('Rows per page').fill('0')
    await page.getByRole('button', { name: 'Save settings' }).click()
    assert.match(await errorOf(page.getByLabel('Rows per page')), /1 to 100/)
  })

  await step('settings-saved', async () => {
    await page.getByRole('checkbox', { name: 'City' }).check()
    await page.getByLabel('Rows per page').fill('5')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await statusSays('Settings saved.')
    assert.equal(await page.locator('.field-error:visible').count(), 0)
  })

  await step('customers-sorted-page-2', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Customers' }).click()
    await heading('Customers')
    await page.getByRole('button', { name: 'Name', exact: true }).click()
    await page.locator('th[aria-sort="ascending"]', { hasText: 'Name' }).waitFor()
    const first = await names()
    assert.equal(first.length, 5, 'a page holds the page length just set')
    assert.deepEqual(first, [...first].sort((a, b) => (a < b ? -1 : 1)), 'sorted by name')
    await page.getByRole('button', { name: 'Next page' }).click()
    await page.locator('.pager', { hasText: 'Page 2 of' }).waitFor()
    const second = await names()
    assert.ok(second[0] > first[4], `page 2 (${second}) follows page 1 (${first})`)
    assert.ok(await page.getByRole('button', { name: 'Next page' }).evaluate((el) => el === document.activeElement), 'the focus stays on the pager')
  })

  await step('address-missing-fields', async () => {
    await go(markHash)
    await heading(mark.name)
    await page.getByRole('button', { name: 'Add address' }).click()
    const form = page.locator('form', { has: page.getByLabel('Address line 1') })
    assert.match(await form.getByText('City', { exact: false }).first().textContent(), /City \(required\)/)
    await form.getByLabel('First name').fill('Mark')
    await form.getByLabel('Last name').fill('Brendanawicz')
    await form.getByLabel('Address line 1').fill('1 Planning Department')
    await form.getByLabel('County').fill('Wamapoke')
    await form.getByLabel('Country').fill('US')
    await form.getByRole('button', { name: 'Save address' }).click()
    assert.match(await errorOf(form.getByLabel('Postcode')), /Postcode is required/)
    assert.match(await errorOf(form.getByLabel('City')), /City is required/)
    assert.equal(await form.getByLabel('Address line 1').inputValue(), '1 Planning Department', 'what was typed stays')
  })

  await step('address-added', async () => {
    const form = page.locator('form', { has: page.getByLabel('Address line 1') })
    await form.getByLabel('City').fill('Pawnee')
    await form.getByLabel('Postcode').fill('47998')
    await form.getByRole('button', { name: 'Save address' }).click()
    await statusSays('Address Mark Brendanawicz added.')
    const card = page.locator('.cards .card')
    assert.equal(await card.count(), 1)
    assert.match(await card.textContent(), /1 Planning Department.*Pawnee/)
  })

  await step('custom-fields-saved', async () => {
    const form = page.locator('form', { has: page.getByLabel('External reference') })
    await form.getByLabel('Tier').fill('gold')
    await form.getByLabel('VIP').check()
    await form.getByLabel('Loyalty points').fill('120')
    await form.getByRole('button', { name: 'Save changes' }).click()
    await statusSays('Changes saved.')
    const facts = await page.locator('.facts').first().textContent()
    assert.match(facts, /Tiergold/)
    assert.match(facts, /VIPyes/)
    assert.match(facts, /Loyalty points120/)
  })

  await step('order', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Customers' }).click()
    await heading('Customers')
    await page.getByLabel('Search in').selectOption({ label: 'Email' })
    await page.getByLabel('Match').selectOption({ label: 'is' })
    await page.getByLabel('Value').fill('leslie@pawnee.example')
    await page.getByRole('button', { name: 'Search', exact: true }).click()
    await announced('1 customer found')
    await page.getByRole('link', { name: 'Leslie Knope' }).click()
    await heading('Leslie Knope')
    await page.locator('table.orders tbody tr').first().waitFor()
    await page.locator('table.orders tbody a').first().click()
    await page.waitForFunction(() => document.querySelector('h1')?.textContent.startsWith('Order '))
    assert.match(await page.locator('table.items').textContent(), /Waffle iron/)
    assert.match(await page.locator('.facts').first().textContent(), /\$25\.00/)
  })

  await step('delete-dialog', async () => {
    await go(markHash)
    await heading(mark.name)
    const remove = page.getByRole('button', { name: 'Delete customer…' })
    await remove.click()
    const dialog = page.getByRole('dialog', { name: `Delete ${mark.name}?` })
    await dialog.waitFor()
    assert.ok(await dialog.getByRole('button', { name: 'Cancel' }).evaluate((el) => el === document.activeElement), 'the focus starts on Cancel')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    assert.ok(await remove.evaluate((el) => el === document.activeElement), 'Escape gives the focus back')
    await remove.click()
    await dialog.waitFor()
  })

  await step('customer-deleted', async () => {
    await page.getByRole('dialog').getByRole('button', { name: 'Delete customer' }).click()
    await heading('Customers')
    await announced('customers')
    await statusSays(`${mark.name} was deleted.`)
    const shown = await names()
    assert.ok(shown.length > 0 && !shown.includes(mark.name), `the list (${shown}) no longer shows ${mark.name}`)
  })

  await step('phone-customers', async () => {
    await page.setViewportSize({ width: 375, height: 740 })
    await page.locator('table.customers tbody tr').first().waitFor()
    const width = await page.evaluate(() => document.documentElement.scrollWidth)
    assert.ok(width <= 375, `the page is ${width}px wide on a 375px screen`)
  })

  await step('signed-out', async () => {
    await page.setViewportSize({ width: 1280, height: 900 })
    await page.getByRole('button', { name: 'Sign out' }).click()
    await heading('Sign in')
    await page.getByText('You are signed out.').first().waitFor()
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0)
  })

  // The token lives an hour: the browser's clock runs forward to its end.
  const later = await context.newPage()
  later.setDefaultTimeout(15_000)
  watch(later)
  await step('session-ended', async () => {
    await later.clock.install()
    await later.goto(`${env.API_URL}/console/index.html#/settings`)
    await heading('Sign in', later)
    await signIn(later, env.CLIENT_SECRET)
    await heading('Settings', later)
    await later.clock.fastForward('01:00:01')
    await heading('Sign in', later)
    await statusSays('Your session ended; sign in again.', later)
    assert.equal(await later.getByLabel('Client secret').inputValue(), '')
  }, later)

  // A token the API stops taking (a new signing key, say): its 401 ends the session too,
  // and the page that asked says nothing over the sign-in page's message.
  await step('token-refused', async () => {
    await signIn(later, env.CLIENT_SECRET)
    await heading('Settings', later)
    await later.route('**/v2/customers?**', (route) => route.fulfill({
      status: 401, contentType: 'application/json; charset=utf-8',
      body: JSON.stringify({ errors: [{ status: 401, title: 'Unauthorized', detail: 'the access token has expired' }] }),
    }))
    await later.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Customers' }).click()
    await heading('Sign in', later)
    await statusSays('Your session ended; sign in again.', later)
    await later.waitForTimeout(300)
    assert.equal((await status(later).textContent()).trim(), 'Your session ended; sign in again.')
    await later.unroute('**/v2/customers?**')
  }, later)
} catch (err) {
  const file = path.join(env.SCREENSHOT_DIR, 'failure.png')
  await page.screenshot({ path: file, fullPage: true }).catch(() => {})
  console.error(`not ok - ${err.message}\n  at ${page.url()} (screenshot ${file})\n  heading: ${await h1().first().textContent().catch(() => '?')}\n  status: ${await status().textContent().catch(() => '?')}`)
  if (!(err instanceof assert.AssertionError)) console.error(err.stack)
  await browser.close()
  process.exit(1)
}
await browser.close()
for (const n of notes) console.log(`note - axe (moderate or minor): ${n}`)
console.log(`ok - ${shots} screens, screenshots in ${env.SCREENSHOT_DIR}`)
