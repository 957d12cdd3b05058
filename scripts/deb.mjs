// npm run deb: the Debian package, dist/deb/tunadm_VERSION_ARCH.deb, from a clone, made
// with dpkg's own tools (dpkg-shlibdeps, dpkg-gencontrol, dpkg-deb; debian/control and debian/changelog are
// their inputs). Check it with: lintian dist/deb/tunadm_*.deb
//
//   /usr/bin/tunadm                      a link to /usr/lib/tunadm/bin/run.js
//   /usr/lib/tunadm                      what `npm pack` ships (bin, dist, init, package.json) and the
//                                        runtime modules exactly as package-lock.json locks them, for ARCH
//                                        (koffi's native module for that CPU: the package is per architecture)
//   /usr/share/man/man5, man8            the manual the build generated (dist/man)
//   /usr/share/bash-completion/completions/tunadm, /usr/share/zsh/vendor-completions/_tunadm
//                                        what `tunadm completion bash|zsh` prints
//   /lib/systemd/system/tunadm.service   tunadm init's systemd unit for /etc/tunadm/tunadm.yaml; not enabled
//   /usr/share/doc/tunadm                copyright (every bundled package's licence), changelog, README,
//                                        examples/ (the example config and its JSON Schema)
//   /usr/share/lintian/overrides/tunadm  debian/tunadm.lintian-overrides, each with its reason
//
// File dates, the man pages' dates and the archive's are debian/changelog's date (SOURCE_DATE_EPOCH), and gzip
// stores no names or times: two builds differ only in the V8 code caches (dist/*.js.cache), which V8 does not
// make byte for byte alike (and which a Node other than the build's ignores: tunadm then starts a little slower).
import {spawnSync} from 'node:child_process'
import Module from 'node:module'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
process.chdir(ROOT)
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'))

function fail(message) {
  console.error(`deb: ${message}`)
  process.exit(1)
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts})
  if (r.error) fail(`${cmd} could not run: ${r.error.message}${r.error.code === 'ENOENT' ? ` (install it: see .ci/run)` : ''}`)
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`)
  return r.stdout
}

// The package is for this machine's architecture: dpkg-shlibdeps reads the dependencies of koffi's native
// module from this system's libraries. These are the architectures koffi ships a glibc module for.
const NPM_CPU = {amd64: 'x64', arm64: 'arm64'}
const arch = run('dpkg', ['--print-architecture']).trim()
if (!NPM_CPU[arch]) fail(`no package for architecture "${arch}": koffi ships glibc modules for ${Object.keys(NPM_CPU).join(' and ')}`)

const changelog = (field) => run('dpkg-parsechangelog', ['-l', 'debian/changelog', '-S', field]).trim()
const version = changelog('Version')
if (version !== pkg.version) fail(`debian/changelog is at ${version}, package.json at ${pkg.version}: add a changelog entry (dch -v ${pkg.version})`)
const epoch = process.env.SOURCE_DATE_EPOCH ?? changelog('Timestamp')
const env = {...process.env, SOURCE_DATE_EPOCH: epoch, DEB_HOST_ARCH: arch}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-deb-'))
try {
  // 1. What npm ships: npm pack runs prepack, which builds dist/ (bundles, prebuilt help, man pages).
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], {env}).replace(/^[^[]*/, ''))[0]
  run('tar', ['-xzf', path.join(work, packed.filename), '-C', work])
  const pack = path.join(work, 'package')
  const stage = path.join(work, 'root')
  const lib = path.join(stage, 'usr/lib/tunadm')
  const doc = path.join(stage, 'usr/share/doc/tunadm')
  fs.mkdirSync(lib, {recursive: true})
  for (const entry of ['bin', 'dist', 'init', 'package.json']) fs.cpSync(path.join(pack, entry), path.join(lib, entry), {recursive: true})
  fs.rmSync(path.join(lib, 'dist/man'), {recursive: true})

  // 2. The runtime modules as locked, for the package's CPU (npm picks the optional package with koffi's
  // native module by --cpu); no install scripts run.
  fs.copyFileSync('package-lock.json', path.join(lib, 'package-lock.json'))
  run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--os=linux', `--cpu=${NPM_CPU[arch]}`, '--libc=glibc'], {cwd: lib, env})
  fs.rmSync(path.join(lib, 'package-lock.json'))
  const modules = path.join(lib, 'node_modules')
  pruneDirectories(modules)
  const licences = collectLicences(modules)
  pruneFiles(modules)
  const natives = findFiles(modules, (f) => f.endsWith('.node'))
  if (natives.length !== 1 || !natives[0].includes(`linux_${NPM_CPU[arch]}/`)) fail(`expected koffi's one native module for linux_${NPM_CPU[arch]}, found: ${natives.join(', ') || 'none'}`)

  // 3. The command, the manual, completion, the unit, the documentation.
  fs.mkdirSync(path.join(stage, 'usr/bin'), {recursive: true})
  fs.symlinkSync('../lib/tunadm/bin/run.js', path.join(stage, 'usr/bin/tunadm'))
  for (const page of fs.readdirSync(path.join(pack, 'dist/man'))) {
    const dir = path.join(stage, 'usr/share/man', `man${/\.(\d)$/.exec(page)[1]}`)
    fs.mkdirSync(dir, {recursive: true})
    gzipInto(path.join(pack, 'dist/man', page), path.join(dir, `${page}.gz`))
  }
  const tunadm = (...args) => run(process.execPath, [path.join(lib, 'bin/run.js'), ...args], {env})
  write(path.join(stage, 'usr/share/bash-completion/completions/tunadm'), tunadm('completion', 'bash'))
  write(path.join(stage, 'usr/share/zsh/vendor-completions/_tunadm'), tunadm('completion', 'zsh'))
  write(path.join(stage, 'lib/systemd/system/tunadm.service'), await systemdUnit())
  write(path.join(doc, 'copyright'), copyright(licences))
  write(path.join(stage, 'usr/share/lintian/overrides/tunadm'), fs.readFileSync('debian/tunadm.lintian-overrides'))
  gzipInto('debian/changelog', path.join(doc, 'changelog.gz'))
  gzipInto('README.md', path.join(doc, 'README.md.gz'))
  for (const f of ['tunadm.example.yaml', 'tunadm.schema.json']) write(path.join(doc, 'examples', f), fs.readFileSync(path.join('init', f)))

  // 4. Modes as Debian wants them (root:root comes from dpkg-deb --root-owner-group), dates from the changelog.
  for (const f of findFiles(stage, () => true, true)) {
    const st = fs.lstatSync(f)
    if (st.isSymbolicLink()) continue
    fs.chmodSync(f, st.isDirectory() || f === path.join(lib, 'bin/run.js') ? 0o755 : 0o644)
  }

  // 5. DEBIAN/: the shared-library dependencies of the native module, the control file, md5sums.
  const src = path.join(work, 'src')
  fs.mkdirSync(path.join(src, 'debian'), {recursive: true})
  for (const f of ['control', 'changelog']) fs.copyFileSync(path.join('debian', f), path.join(src, 'debian', f))
  const substvars = path.join(src, 'debian/tunadm.substvars')
  run('dpkg-shlibdeps', [`-T${substvars}`, '-e', natives[0]], {cwd: src, env})
  fs.mkdirSync(path.join(stage, 'DEBIAN'))
  run('dpkg-gencontrol', ['-ptunadm', `-P${stage}`, `-T${substvars}`, `-f${path.join(src, 'debian/files')}`], {cwd: src, env})
  const sums = findFiles(stage, (f) => !f.startsWith(path.join(stage, 'DEBIAN'))).filter((f) => !fs.lstatSync(f).isSymbolicLink()).sort()
  run('sh', ['-c', 'cd "$1" && shift && md5sum "$@" > DEBIAN/md5sums', 'sh', stage, ...sums.map((f) => path.relative(stage, f))])
  fs.chmodSync(path.join(stage, 'DEBIAN/md5sums'), 0o644)
  fs.chmodSync(path.join(stage, 'DEBIAN/control'), 0o644)

  // 6. The archive.
  fs.mkdirSync('dist/deb', {recursive: true})
  const out = path.join('dist/deb', `tunadm_${version}_${arch}.deb`)
  run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage, out], {env})
  console.log(`${out} (${(fs.statSync(out).size / 1024).toFixed(0)} KiB; installed ${run('dpkg-deb', ['-f', out, 'Installed-Size']).trim()} KiB)`)
} finally {
  fs.rmSync(work, {recursive: true, force: true})
}

function write(file, content) {
  fs.mkdirSync(path.dirname(file), {recursive: true})
  fs.writeFileSync(file, content)
}

function gzipInto(from, to) {
  fs.mkdirSync(path.dirname(to), {recursive: true})
  fs.writeFileSync(to, run('gzip', ['-9nc', from], {encoding: 'buffer'}))
}

function findFiles(dir, keep, withDirs = false) {
  const out = []
  for (const e of fs.readdirSync(dir, {withFileTypes: true})) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) {
      if (withDirs) out.push(p)
      out.push(...findFiles(p, keep, withDirs))
    } else if (keep(p)) out.push(p)
  }
  return out
}

/**
 * Only what runs. Whole directories first: type declarations (@types), koffi's C++ sources, the headers
 * it builds with, its build script, and the native module for musl (this package is for Debian's glibc).
 */
function pruneDirectories(modules) {
  const musl = fs.readdirSync(path.join(modules, '@koromix')).map((p) => `@koromix/${p}/musl_${NPM_CPU[arch]}`)
  for (const dir of ['@types', 'koffi/src', 'koffi/vendor', 'koffi/doc', 'koffi/cnoke.cjs', ...musl]) {
    fs.rmSync(path.join(modules, dir), {recursive: true, force: true})
  }
}

/** Then files: documentation, type declarations, source maps, and licence files (they are in the copyright file). */
function pruneFiles(modules) {
  const drop = /(^(readme|changelog|history|licen[cs]e|notice|authors)([-.][\w.-]+)?$)|\.md$|\.markdown$|\.d\.[cm]?ts$|\.map$|^\.npmignore$|^\.package-lock\.json$/i
  for (const f of findFiles(modules, (f) => drop.test(path.basename(f)))) fs.rmSync(f)
  for (const d of findFiles(modules, () => false, true).reverse()) if (fs.readdirSync(d).length === 0) fs.rmdirSync(d)
}

/** One package's licence, its copyright holders and its licence text (from its own files). */
function licenceOf(dir) {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
  const key = `${meta.name} ${meta.version}`
  if (!meta.license || typeof meta.license !== 'string') fail(`${key} declares no licence`)
  const texts = fs.readdirSync(dir).filter((f) => /^licen[cs]e/i.test(f)).map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
  // "Copyright (c) 2015 Someone", also mid-line ("Original code Copyright Someone"); not the licence's
  // own words ("the above copyright notice", "COPYRIGHT HOLDERS").
  let holders = [...new Set(texts.join('\n').split('\n').map((l) => /\bcopyright\s+(?:\(c\)\s*|©\s*)*(.+)$/i.exec(l.trim())?.[1].trim())
    .filter((h) => h && !/^(license\b|notice|holders?|owners?)/i.test(h) && !/^[a-z[]/.test(h)))]
  // Without a licence file (koffi's per-platform packages): the author its package.json names, under the
  // licence it declares (whose text another package supplies; copyright() fails if none does).
  const author = typeof meta.author === 'string' ? meta.author.replace(/\s*[<(].*$/, '') : meta.author?.name
  if (!holders.length && author) holders = [author]
  if (!holders.length) fail(`${key} names no copyright holder (no licence file, no author)`)
  return {name: meta.name, version: meta.version, license: meta.license, holders, text: texts[0]}
}

/**
 * Every third-party package in the package: those bundled into dist/*.js (the build records them in
 * dist/bundled.json) and those installed in node_modules (a package's own directory:
 * node_modules/NAME or node_modules/@SCOPE/NAME).
 */
function collectLicences(modules) {
  const bundled = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist/bundled.json'), 'utf8')).map((dir) => licenceOf(path.join(ROOT, dir)))
  const installed = []
  for (const f of findFiles(modules, (f) => path.basename(f) === 'package.json')) {
    const dir = path.dirname(f)
    const parent = path.basename(path.dirname(dir))
    if (parent === 'node_modules' || (parent.startsWith('@') && path.basename(path.dirname(path.dirname(dir))) === 'node_modules')) {
      installed.push({...licenceOf(dir), files: `${path.relative(path.resolve(modules, '../../../..'), dir)}/*`})
    }
  }
  return {bundled: dedupe(bundled), installed: installed.sort((a, b) => (a.files < b.files ? -1 : 1))}
}

function dedupe(list) {
  const seen = new Map(list.map((l) => [`${l.name} ${l.version}`, l]))
  return [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : 1))
}

/**
 * debian/copyright in the machine-readable format: tunadm; the bundles, which hold tunadm's code and the
 * packages bundled into it; each installed package; then the text of each licence named.
 */
function copyright({bundled, installed}) {
  const ownLicence = fs.readFileSync('LICENSE', 'utf8')
  const holder = /^Copyright .*$/m.exec(ownLicence)?.[0].replace(/^Copyright (\(c\) )?/i, '') ?? fail('LICENSE names no copyright holder')
  const field = (lines) => lines.join('\n ')
  const licences = (list) => [...new Set([pkg.license, ...list.map((l) => l.license)])].join(' and ')
  const paras = [
    ['Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/', `Upstream-Name: ${pkg.name}`,
      'Comment: generated by scripts/deb.mjs from the licence files of every bundled and installed package'].join('\n'),
    ['Files: *', `Copyright: ${holder}`, `License: ${pkg.license}`].join('\n'),
    ['Files: usr/lib/tunadm/dist/*',
      `Copyright: ${field([holder, ...new Set(bundled.flatMap((l) => l.holders))])}`,
      `License: ${licences(bundled)}`,
      `Comment: tunadm's code with these packages bundled into it (esbuild):\n ${field(bundled.map((l) => `${l.name} ${l.version} (${l.license})`))}`].join('\n'),
    ...installed.map((l) => [`Files: ${l.files}`, `Copyright: ${field(l.holders)}`, `License: ${l.license}`, `Comment: ${l.name} ${l.version}`].join('\n')),
  ]
  const texts = new Map([[pkg.license, licenceBody(ownLicence)]])
  for (const l of [...bundled, ...installed]) {
    if (!texts.has(l.license) && l.text !== undefined) texts.set(l.license, /^Apache-2\.0$/.test(l.license) ? null : licenceBody(l.text))
  }
  for (const l of [...bundled, ...installed]) if (!texts.has(l.license)) fail(`no package supplies the text of the licence ${l.license}`)
  for (const [spdx, text] of texts) {
    paras.push(text === null
      ? `License: ${spdx}\n On Debian systems, the complete text of the Apache License, Version 2.0 can be\n found in /usr/share/common-licenses/Apache-2.0.`
      : `License: ${spdx}\n${text}`)
  }
  return paras.join('\n\n') + '\n'
}

/** A licence's text as a copyright-file field: without its title and copyright lines, indented, blank lines as " .". */
function licenceBody(text) {
  const lines = text.replace(/\r/g, '').split('\n')
  const start = lines.findIndex((l) => /^(Permission|Licensed under|THE SOFTWARE|Redistribution)/.test(l.trim()))
  return lines.slice(Math.max(start, 0)).join('\n').trim().split('\n').map((l) => (l.trim() ? ` ${l.trim()}` : ' .')).join('\n')
}

/** tunadm init's systemd unit for the default config, from the generator itself (bundled here with esbuild). */
async function systemdUnit() {
  const {build} = await import('esbuild')
  const {outputFiles} = await build({
    stdin: {contents: "export {systemd} from './src/init/systemd'; export {DEFAULT_CONFIG_PATH} from './src/config/types'", resolveDir: ROOT, loader: 'ts'},
    bundle: true, platform: 'node', target: 'node20', format: 'cjs', write: false, external: ['koffi', '@inquirer/prompts', 'yaml'], logLevel: 'warning',
  })
  const file = path.join(ROOT, 'dist/deb-unit.js')
  const mod = new Module(file)
  mod.filename = file
  mod.paths = Module._nodeModulePaths(ROOT)
  mod._compile(outputFiles[0].text, file)
  const {systemd, DEFAULT_CONFIG_PATH} = mod.exports
  const generated = systemd.generate({version: 1, devices: []}, {
    configPath: DEFAULT_CONFIG_PATH, tunadmPath: '/usr/bin/tunadm', standalone: false, installDir: '/lib/systemd/system',
    resolveId: () => fail('the unit should need no account'),
  })
  return generated.files.find((f) => f.path === 'tunadm.service').content
}
