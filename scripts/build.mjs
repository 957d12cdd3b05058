// Bundle src/ with esbuild into a few files, each loaded much faster than the hundreds of modules behind it:
//   dist/fast.js  the hot commands (add, del, list, show, set, apply, down) with no oclif in it;
//   dist/fast-ID.js  each hot command alone, the same way (bin/run.js takes it when the command word is
//                 ID): a third to a half of dist/fast.js, whose every start reads all of it;
//   dist/prebuilt.js  the help pages, completion scripts and version line rendered here (below), alone;
//   dist/doctor.js  tunadm doctor, the same way (its own bundle: the others do not load its code);
//   dist/cli.js   everything, with oclif: help, versions, doctor, init, completion, and whatever the fast
//                 path declines to parse.
//   dist/yaml.js  the YAML library, loaded by the other two on first use (src/config/yaml.ts): the hot
//                 commands that read no config do not read its 230 kB at every start.
// koffi (native) and the prompt library (loaded only on a TTY) stay external. Each bundle gets a V8 code
// cache (NAME.js.cache) made here, which bin/run.js hands to V8 (a cache that does not fit the Node/V8 in
// use is ignored).
import {build} from 'esbuild'
import {Script} from 'node:vm'
import Module from 'node:module'
import * as fs from 'node:fs'
import * as path from 'node:path'

const bundles = {fast: 'src/fast.ts', doctor: 'src/fast-doctor.ts', cli: 'src/cli.ts', yaml: 'scripts/yaml-entry.cjs'}

// One bundle per hot command, from src/fast.ts's table (HOT = {id: Class, ...}) and its imports: an entry
// that runs that command alone as dist/fast.js runs them all (src/cli/fast.ts, runBundle).
const fastSource = fs.readFileSync('src/fast.ts', 'utf8')
const hotTable = /export const HOT = \{([^}]*)\}/.exec(fastSource)?.[1]
if (!hotTable) {
  console.error('build: src/fast.ts has no `export const HOT = {id: Class, ...}` to make the per-command bundles from')
  process.exit(1)
}
for (const pair of hotTable.split(',')) {
  const [id, cls] = pair.split(':').map((x) => x.trim())
  const from = new RegExp(`^import ${cls} from '(\\./commands/[\\w-]+)'$`, 'm').exec(fastSource)?.[1]
  if (!/^[a-z]+$/.test(id) || !from) {
    console.error(`build: src/fast.ts: HOT's ${pair.trim()} is not an id (a-z) with a class imported from ./commands/`)
    process.exit(1)
  }
  bundles[`fast-${id}`] = {
    contents: `import C from '${from}'\nimport {runBundle} from './cli/fast'\nexport const run = (raw: string[]) => runBundle({${id}: C}, raw, __dirname)\n`,
    resolveDir: path.resolve('src'), sourcefile: `src/fast-${id}.ts`, loader: 'ts',
  }
}
for (const f of fs.existsSync('dist') ? fs.readdirSync('dist') : []) if (/^fast-.*\.js(\.cache|\.map)?$/.test(f)) fs.rmSync(path.join('dist', f))
// The prebuilt answers alone (help pages, completion scripts, the version line), for a command line whose
// word is none of those: bin/run.js tries it before dist/fast.js, which it then reads only for aliases.
bundles.prebuilt = {
  contents: `import {servePrebuilt} from './cli/prebuilt'\nimport {hoistGlobals} from './cli/argv'\nexport const run = async (raw: string[]) => servePrebuilt(hoistGlobals(raw), __dirname)\n`,
  resolveDir: path.resolve('src'), sourcefile: 'src/prebuilt-entry.ts', loader: 'ts',
}

// The third-party packages bundled into dist/*.js, for the Debian package's copyright file (scripts/deb.mjs):
// their directories, relative to here.
const bundled = new Set()
await Promise.all(Object.entries(bundles).map(async ([name, entry]) => {
  const {metafile} = await build({
    metafile: true,
    ...(typeof entry === 'string' ? {entryPoints: [entry]} : {stdin: entry}),
    // yaml is reached through bin/run.js's loader in the built tool; the require stays for the tests.
    ...(name === 'yaml' ? {} : {external: ['koffi', '@inquirer/prompts', 'typescript', 'ts-node', 'yaml']}),
    outfile: `dist/${name}.js`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minifySyntax: true,
    sourcemap: 'linked',
    logLevel: 'warning',
  })
  for (const input of Object.keys(metafile.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)
    if (m) bundled.add(path.relative('.', fs.realpathSync(m[1])))
  }
}))
fs.writeFileSync('dist/bundled.json', JSON.stringify([...bundled].sort(), null, 1) + '\n')

// `import * as fs from 'node:fs'` becomes `var fs = __toESM(require("node:fs"))`: a copy of the module made
// of a getter per export, made again for each source file that imports it (about 2 ms of every start for
// node:fs and node:path). A built-in module has no `default` export, the one thing the copy adds: where the
// bundle never reads `default` of such a variable (nor of any other of that name), the module itself serves
// as well. The call is blanked out, keeping every column (the source map holds).
for (const name of Object.keys(bundles)) {
  const file = `dist/${name}.js`
  const text = fs.readFileSync(file, 'utf8')
  const out = text.replace(/([\w$]+) = __toESM\((require\("node:[\w/]+"\))\)/g, (all, id, req) => {
    const defaultRead = new RegExp(`(?<![\\w$])${id.replace(/\$/g, '\\$')}\\s*(\\.\\s*default\\b|\\[)`)
    return defaultRead.test(text) ? all : `${id} = ${' '.repeat('__toESM'.length)}(${req})`
  })
  if (out !== text) fs.writeFileSync(file, out)
}

// The fast bundles must stay free of oclif and yaml: that is their reason to exist.
for (const name of Object.keys(bundles).filter((n) => n === 'doctor' || n === 'prebuilt' || n.startsWith('fast'))) {
  const text = fs.readFileSync(`dist/${name}.js`, 'utf8')
  for (const [what, re] of [['@oclif/core', /node_modules\/@oclif\/core/], ['yaml', /node_modules\/yaml\//]]) {
    if (re.test(text)) {
      console.error(`build: dist/${name}.js contains ${what}; something its commands import pulls it in`)
      process.exit(1)
    }
  }
}

// V8 code cache: compile and run each bundle's top level once (as bin/run.js does), then save what V8 compiled.
// V8 compiles a function lazily, at its first call, and a cache made after the top level holds only what the
// top level ran: each command's own functions were parsed and compiled again at every start (about 5 ms of
// CPU time for add, of the 25 it costs beyond node's own start). The hot bundles are compiled eagerly instead (--no-lazy
// while compiling only: V8 keeps its flags in the cache and refuses a cache made under other flags), so their
// cache holds every function; reading the larger cache costs less than compiling what a command runs.
// The YAML library too (a config's parse took 16 ms of CPU with the lazy cache, 8 with this one). The cli
// bundle (oclif, a megabyte) stays lazy: it runs for the rare requests, and most of it never runs.
// A cache that node refuses (checked below in a fresh process) is made again the lazy way.
const v8 = await import('node:v8')
process.setMaxListeners(0) // each bundle's top level, run here, may add an exit listener
const EAGER = new Set(Object.keys(bundles).filter((n) => n !== 'cli'))
function makeCache(name, eager) {
  const file = path.resolve(`dist/${name}.js`)
  if (eager) v8.setFlagsFromString('--no-lazy')
  let script
  try {
    script = new Script(Module.wrap(fs.readFileSync(file, 'utf8')), {filename: file})
  } finally {
    if (eager) v8.setFlagsFromString('--lazy')
  }
  const mod = new Module(file)
  mod.filename = file
  mod.paths = Module._nodeModulePaths(path.dirname(file))
  script.runInThisContext()(mod.exports, Module.createRequire(file), mod, file, path.dirname(file))
  fs.writeFileSync(file + '.cache', script.createCachedData())
}
const {spawnSync: spawnCheck} = await import('node:child_process')
/** The bundles among `names` whose code cache a fresh node refuses (one process asks for all). */
const refused = (names) => {
  const r = spawnCheck(process.execPath, ['-e', `
    const fs = require('node:fs'), {Script} = require('node:vm'), Module = require('node:module')
    const out = []
    for (const name of JSON.parse(process.argv[1])) {
      const file = require('node:path').resolve('dist', name + '.js')
      const s = new Script(Module.wrap(fs.readFileSync(file, 'utf8')), {filename: file, cachedData: fs.readFileSync(file + '.cache')})
      if (s.cachedDataRejected) out.push(name)
    }
    process.stdout.write(JSON.stringify(out))`, JSON.stringify(names)], {encoding: 'utf8'})
  return r.status === 0 ? JSON.parse(r.stdout) : names
}
for (const name of Object.keys(bundles)) makeCache(name, EAGER.has(name))
const lazyAgain = refused(Object.keys(bundles)).filter((name) => EAGER.has(name))
for (const name of lazyAgain) makeCache(name, false)
for (const name of refused(lazyAgain.length ? Object.keys(bundles) : [])) console.error(`build: node refuses the code cache of dist/${name}.js; it will compile at every start`)

// Output that depends only on the build, printed by the fast path without oclif (src/cli/prebuilt.ts says
// when; a test compares each with the full path's at run time): oclif's help pages for a stdout that is
// not a terminal (80 columns, no colour), the completion scripts and the version line.
const {spawnSync} = await import('node:child_process')
const {COMMANDS, CHANGES_HELP} = await import(path.resolve('dist/cli.js'))
const words = Object.entries(COMMANDS).flatMap(([id, c]) => [id, ...(c.hiddenAliases ?? [])])
const env = {...process.env, TUNADM_FULL_OCLIF: '1'}
// Without what would change oclif's help (the rule prebuilt.ts serves by) or ask for JSON.
for (const k of Object.keys(env)) if (CHANGES_HELP.test(k) || k === 'TUNADM_CONTENT_TYPE') delete env[k]
function fullPath(args) {
  const r = spawnSync(process.execPath, ['bin/run.js', ...args], {encoding: 'utf8', env})
  if (r.status !== 0 || r.stderr || r.stdout.includes('\x1b') || !r.stdout.trim()) {
    console.error(`build: tunadm ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}`)
    process.exit(1)
  }
  return r.stdout
}
function fullPathVersion() {
  const v = fullPath(['--version']).trim() // tunadm/0.1.0 linux-x64 node-v20.20.2
  return v.slice(v.indexOf(' ') + 1)
}
// The platform and Node version as oclif wrote them here ("linux-x64 node-v20.20.2"; it names WSL "wsl").
const here = fullPathVersion()
const prebuilt = {help: {}, completion: {}, version: fullPath(['--version']).split(here).join('\u0000')}
// The platform and Node version in the command list are those of the machine that runs tunadm.
for (const word of ['', ...words]) prebuilt.help[word] = fullPath([...(word ? [word] : []), '--help']).split(here).join('\u0000')
if (!prebuilt.help[''].includes('\u0000')) {
  console.error(`build: the command list does not show "${here}" where its version line should be`)
  process.exit(1)
}
for (const shell of ['bash', 'zsh']) prebuilt.completion[shell] = fullPath(['completion', shell])
fs.writeFileSync('dist/prebuilt.json', JSON.stringify(prebuilt))

// The manual (dist/man): tunadm(8), tunadm-CMD(8) and tunadm.yaml(5), generated from oclif's view of the
// commands just built, the config schema and the example config (src/man). Dated by SOURCE_DATE_EPOCH
// or the last commit, so that the same sources make the same pages.
{
  const {outputFiles} = await build({
    entryPoints: ['src/man/build.ts'], bundle: true, platform: 'node', target: 'node20', format: 'cjs', write: false,
    external: ['koffi', '@inquirer/prompts', 'typescript', 'ts-node'], logLevel: 'warning',
  })
  const file = path.resolve('dist/man-build.js')
  const mod = new Module(file)
  mod.filename = file
  mod.paths = Module._nodeModulePaths(path.resolve('scripts'))
  mod._compile(outputFiles[0].text, file)
  const epoch = process.env.SOURCE_DATE_EPOCH
    ?? spawnSync('git', ['log', '-1', '--format=%ct'], {encoding: 'utf8'}).stdout?.trim()
    ?? ''
  const when = /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : fs.statSync('package.json').mtime
  const pages = await mod.exports.renderManual(process.cwd(), when.toISOString().slice(0, 10))
  fs.rmSync('dist/man', {recursive: true, force: true})
  fs.mkdirSync('dist/man')
  for (const {file, text} of pages) fs.writeFileSync(path.join('dist/man', file), text)
  const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'))
  const listed = (pkg.man ?? []).map((f) => path.basename(f)).sort()
  const made = pages.map((p) => p.file).sort()
  if (JSON.stringify(listed) !== JSON.stringify(made)) {
    console.error(`build: package.json "man" lists ${listed.join(' ')}; the manual has ${made.join(' ')}: list every page there (./dist/man/NAME)`)
    process.exit(1)
  }
}
