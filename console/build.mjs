// Builds the staff console: console/src → pkg/console/static (or the folder given as the
// first argument), as app-<hash>.min.js and app-<hash>.min.css (names that change with
// their content, so that they may be cached for good) and index.html naming them.
// Deterministic: the same sources and esbuild version give the same bytes, which
// pkg/console/bundle_test.go holds the checked-in files to.
//
//   node console/build.mjs          (npm run build:console)
import * as esbuild from 'esbuild'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const outdir = path.resolve(process.argv[2] ?? path.join(root, 'pkg/console/static'))
const bundle = /^app-[A-Z0-9]+\.min\.(js|css)$/

const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { app: 'console/src/main.js' },
  entryNames: '[name]-[hash].min',
  outdir,
  bundle: true,
  format: 'esm',
  target: ['es2022', 'chrome111', 'firefox113', 'safari16.4'],
  minify: true,
  charset: 'utf8',
  legalComments: 'none',
  sourcemap: false,
  write: false,
  logLevel: 'warning',
})

const names = {}
await mkdir(outdir, { recursive: true })
for (const old of await readdir(outdir)) if (bundle.test(old)) await rm(path.join(outdir, old))
for (const file of result.outputFiles) {
  const name = path.basename(file.path)
  names[path.extname(name).slice(1)] = name
  await writeFile(file.path, file.contents)
}
const page = (await readFile(path.join(root, 'console/index.html'), 'utf8'))
  .replace('{{js}}', names.js).replace('{{css}}', names.css)
await writeFile(path.join(outdir, 'index.html'), page)
console.log(`console: ${Object.values(names).join(', ')} and index.html in ${path.relative(root, outdir) || '.'}`)
