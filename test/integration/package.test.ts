/**
 * What a newcomer gets from `npm pack` and `npm install -g`: the tarball holds what runs (and no source
 * map), installs into a fresh prefix, and the installed tunadm works.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {spawnSync} from 'node:child_process'
import {Netns, ROOT, describeKernel, json, npmEnv, sh} from '../helpers/kernel'

describeKernel('the npm package', () => {
  let dir: string
  let ns: Netns
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-pack-'))
    ns = new Netns('pack')
  })
  afterAll(() => {
    fs.rmSync(dir, {recursive: true, force: true})
    ns?.remove()
  })

  test('npm pack builds it (prepack) and ships what runs; the installed tunadm works', () => {
    // With room for a build on a loaded machine (sh() stops a command at 60 s), as the Debian package test.
    const npm = (args: string[], cwd: string) => spawnSync('sh', ['-c', `cd "$1" && shift && exec npm "$@"`, 'sh', cwd, ...args], {encoding: 'utf8', env: npmEnv(), timeout: 480000})
    // npm pack builds in the package's directory (prepack), while other test files run this checkout's
    // dist/ (jest runs files in parallel): pack a copy of the checkout, whose build rewrites only its own.
    const checkout = path.join(dir, 'checkout')
    fs.cpSync(ROOT, checkout, {recursive: true, filter: (f) => !['node_modules', 'dist', '.git'].includes(path.relative(ROOT, f))})
    fs.symlinkSync(fs.realpathSync(path.join(ROOT, 'node_modules')), path.join(checkout, 'node_modules'))
    const packed = npm(['pack', '--json', '--pack-destination', dir], checkout)
    expect(packed.status).toBe(0)
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[')))
    const files = info.files.map((f: {path: string}) => f.path).sort()
    // The bundles with their code caches, the YAML bundle and the prebuilt help: without them tunadm still
    // works (it falls back), only slower, so a missing one would go unseen but for this.
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'bin/run.js', 'dist/cli.js', 'dist/cli.js.cache', 'dist/fast.js', 'dist/fast.js.cache', 'dist/doctor.js', 'dist/doctor.js.cache',
      'dist/yaml.js', 'dist/yaml.js.cache', 'dist/prebuilt.json', 'init/tunadm.schema.json', 'package.json']))
    expect(files.filter((f: string) => f.endsWith('.map') || f.startsWith('src/') || f.startsWith('test/'))).toEqual([])
    const prefix = path.join(dir, 'prefix')
    const installed = npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', path.join(dir, info.filename)], dir)
    expect({status: installed.status, stderr: installed.stderr.split('\n').filter((l) => /ERR/.test(l))}).toEqual({status: 0, stderr: []})
    const tunadm = path.join(prefix, 'bin', 'tunadm')
    // The manual: npm links every page of package.json's "man" into the prefix's man tree.
    expect(files).toEqual(expect.arrayContaining(['dist/man/tunadm.8', 'dist/man/tunadm-add.8', 'dist/man/tunadm.yaml.5']))
    for (const page of ['man8/tunadm.8', 'man8/tunadm-add.8', 'man8/tunadm-del.8', 'man5/tunadm.yaml.5']) {
      expect({page, there: fs.existsSync(path.join(prefix, 'share', 'man', page))}).toEqual({page, there: true})
    }
    const man = sh('man', ['--warnings', '-M', path.join(prefix, 'share', 'man'), '8', 'tunadm-add'], {env: {...process.env, MANWIDTH: '80'}})
    expect([man.status, man.stderr, man.stdout.replace(/.\x08/g, '')]).toEqual([0, '', expect.stringContaining('tunadm-add - create a persistent TUN or TAP device')])
    const help = sh(tunadm, ['--help'])
    expect([help.status, help.stderr]).toEqual([0, ''])
    expect(help.stdout).toContain('USAGE')
    expect(sh(tunadm, ['-v']).stdout).toMatch(/^tunadm\/0\.1\.0 /)
    const cfg = path.join(dir, 'c.yaml')
    fs.writeFileSync(cfg, 'version: 1\ndevices:\n  - {name: tap9, mode: tap, user: nobody}\n  - name: tap8\n    mode: tap\n    user: !!str nobody\n')
    // Both YAML readers in the installed package: the fast one, and the library for the tag.
    expect(json(sh(tunadm, ['apply', '--dry-run', '--json', '--config', cfg, '--netns', ns.name], {env: {...process.env, TUNADM_LOCK: `${cfg}.lock`}})).devices.map((d: {name: string}) => d.name)).toEqual(['tap9', 'tap8'])
    const list = sh(tunadm, ['list', '--json', '--netns', ns.name])
    expect([list.status, json(list)]).toEqual([0, []])
    const add = sh(tunadm, ['add', 'tun0', '--user', 'nobody', '--netns', ns.name, '--json'])
    expect([add.status, json(add).name]).toEqual([0, 'tun0'])
  }, 600000)
})
