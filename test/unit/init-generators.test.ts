/**
 * Boot-file generators: golden files per target (UPDATE_GOLDEN=1 rewrites them; a stale one fails),
 * shellcheck on every shell script, systemd-analyze verify on the unit, and the escaping rules.
 */
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {loadConfig} from '../../src/config/load'
import {TunadmConfig} from '../../src/config/types'
import {generate, generatorFor} from '../../src/init'
import {detectTargets} from '../../src/init/detect'
import {keyfileValue, netDeviceUnit, plainName, shQuote, systemdArg, systemdEscapePath} from '../../src/init/escape'
import {copyCommands, writeFiles} from '../../src/init/install'
import {isGenerated} from '../../src/init/template'
import {Generated} from '../../src/init/types'
import {Host} from '../../src/system/host'
import type {MasterKind} from '../../src/model/settings'

const ROOT = path.resolve(__dirname, '..', '..')
const GOLDEN = path.join(ROOT, 'test', 'golden')
const rich = loadConfig(path.join(ROOT, 'test', 'fixtures', 'config', 'rich.yaml'))
const nmConfig = loadConfig(path.join(ROOT, 'test', 'fixtures', 'config', 'nm.yaml'))
const IDS: Record<string, number> = {'user:nobody': 65534, 'group:nogroup': 65534}
const MASTERS: Record<string, MasterKind> = {br0: 'bridge', 'vrf-vpn': 'vrf'}
const base = {configPath: '/etc/tunadm/tunadm.yaml', tunadmPath: '/usr/local/bin/tunadm', resolveId: (k: string, n: string) => IDS[`${k}:${n}`] ?? 4242, masterKind: (n: string) => MASTERS[n]}

const CASES: Array<[string, string, boolean, TunadmConfig]> = [
  ['systemd', 'systemd', false, rich],
  ['networkd', 'networkd', false, rich],
  ['sysv', 'sysv', false, rich],
  ['sysv-standalone', 'sysv', true, rich],
  ['openrc', 'openrc', false, rich],
  ['openrc-standalone', 'openrc', true, rich],
  ['ifupdown', 'ifupdown', false, rich],
  ['nm', 'nm', false, nmConfig],
]

const render = (target: string, standalone: boolean, config: TunadmConfig, extra: Partial<typeof base> = {}) =>
  generate(target, config, {...base, ...extra, standalone})

/** enable commands and notes, as one golden text file beside the generated files. */
const summary = (g: Generated) => [
  ...g.files.map((f) => `file ${f.path} mode ${f.mode.toString(8).padStart(4, '0')}`),
  ...g.enable.map((c) => `enable ${c}`), ...g.notes.map((n) => `note ${n}`),
].join('\n') + '\n'

/** Every directory made here, removed at the end even when a test failed half way (none is left in /tmp). */
const made: string[] = []
function tmpdir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-init-'))
  made.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, {recursive: true, force: true})
  expect(made.filter((d) => fs.existsSync(d))).toEqual([])
})

describe('golden files', () => {
  test.each(CASES)('%s', (dir, target, standalone, config) => {
    const g = render(target, standalone, config)
    const expected: Record<string, string> = {'SUMMARY.txt': summary(g)}
    for (const f of g.files) expected[f.path] = f.content
    const goldenDir = path.join(GOLDEN, dir)
    if (process.env.UPDATE_GOLDEN) {
      fs.rmSync(goldenDir, {recursive: true, force: true})
      fs.mkdirSync(goldenDir, {recursive: true})
      for (const [name, content] of Object.entries(expected)) fs.writeFileSync(path.join(goldenDir, name), content)
    }
    const onDisk = fs.existsSync(goldenDir) ? fs.readdirSync(goldenDir).sort() : []
    expect(onDisk).toEqual(Object.keys(expected).sort())
    for (const [name, content] of Object.entries(expected)) {
      expect(`${name}:\n${content}`).toBe(`${name}:\n${fs.readFileSync(path.join(goldenDir, name), 'utf8')}`)
    }
  })

  test.each(CASES)('%s: every file starts with the tunadm header and how to regenerate it', (_dir, target, standalone, config) => {
    for (const f of render(target, standalone, config).files) {
      const head = f.content.split('\n').slice(0, 3).join('\n')
      expect(isGenerated(f.content)).toBe(true)
      expect(head).toContain(`# Regenerate with: tunadm init --target ${target} --config /etc/tunadm/tunadm.yaml${standalone ? ' --standalone' : ''}`)
    }
  })
})

const shellcheck = (file: string) => spawnSync('shellcheck', ['--shell=sh', '--severity=style', file], {encoding: 'utf8'})

describe('shellcheck', () => {
  test.each([['sysv', false], ['sysv', true], ['openrc', false], ['openrc', true]] as const)('%s standalone=%s passes', (target, standalone) => {
    const dir = tmpdir()
    // Values that need quoting: a config path with a space and a quote, a tunadm path with $.
    const g = render(target, standalone, rich, {configPath: "/etc/tun adm/it's.yaml", tunadmPath: '/opt/$tun/tunadm'})
    const file = path.join(dir, 'tunadm')
    fs.writeFileSync(file, g.files[0].content)
    const r = shellcheck(file)
    expect(r.stdout + r.stderr).toBe('')
    expect(r.status).toBe(0)
    fs.rmSync(dir, {recursive: true})
  })

  test('the ifupdown commands pass too', () => {
    const dir = tmpdir()
    const content = render('ifupdown', false, rich).files[0].content
    const cmds = content.split('\n').map((l) => /^\t(?:pre-up|up|down|post-down) (.*)$/.exec(l)?.[1]).filter(Boolean)
    expect(cmds.length).toBeGreaterThan(10)
    fs.writeFileSync(path.join(dir, 'cmds.sh'), '#!/bin/sh\n' + cmds.join('\n') + '\n')
    const r = shellcheck(path.join(dir, 'cmds.sh'))
    expect(r.stdout + r.stderr).toBe('')
    fs.rmSync(dir, {recursive: true})
  })
})

describe('systemd-analyze verify', () => {
  const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0
  const maybe = hasAnalyze ? test : test.skip
  maybe.each([
    ['plain paths', '/etc/tunadm/tunadm.yaml', 'tunadm'],
    ['paths with space, %, $ and quotes', '/etc/tun adm/50%"$HOME".yaml', 'tun adm%$'],
  ])('the unit passes with %s', (_what, configPath, binName) => {
    const dir = tmpdir()
    const bin = path.join(dir, binName)
    fs.writeFileSync(bin, '#!/bin/sh\nexit 0\n', {mode: 0o755})
    const unit = render('systemd', false, rich, {configPath, tunadmPath: bin}).files[0]
    fs.writeFileSync(path.join(dir, unit.path), unit.content)
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', path.join(dir, unit.path)], {encoding: 'utf8', env: {...process.env, SYSTEMD_LOG_LEVEL: 'notice'}})
    const complaints = (r.stderr + r.stdout).split('\n').filter((l) => l.includes('tunadm.service') || /unknown|invalid|fail/i.test(l))
    expect(complaints).toEqual([])
    expect(r.status).toBe(0)
    // The ExecStart line, unquoted by systemd, names exactly the program and the config.
    if (configPath.includes('%')) expect(unit.content).toContain('ExecStart="' + bin.replace(/%/g, '%%') + '" apply --config "/etc/tun adm/50%%\\"$$HOME\\".yaml"')
    fs.rmSync(dir, {recursive: true})
  })
})

describe('escaping', () => {
  test('shell words: bare when safe, else single-quoted', () => {
    expect(shQuote('tap0')).toBe('tap0')
    expect(shQuote('a b')).toBe("'a b'")
    expect(shQuote("it's")).toBe("'it'\\''s'")
    expect(shQuote('$(reboot)')).toBe("'$(reboot)'")
    const out = spawnSync('sh', ['-c', `printf %s ${shQuote("a'b $c `d` \\e")}`], {encoding: 'utf8'}).stdout
    expect(out).toBe("a'b $c `d` \\e")
  })

  test('systemd arguments: quoted, % and $ doubled', () => {
    expect(systemdArg('/usr/bin/tunadm')).toBe('/usr/bin/tunadm')
    expect(systemdArg('/a b/c')).toBe('"/a b/c"')
    expect(systemdArg('50%')).toBe('"50%%"')
    expect(systemdArg('$HOME')).toBe('"$$HOME"')
    expect(systemdArg('a"b\\c')).toBe('"a\\"b\\\\c"')
    expect(() => systemdArg('a\nb')).toThrow('line break')
  })

  const hasEscape = spawnSync('systemd-escape', ['--version']).status === 0
  ;(hasEscape ? test : test.skip).each(['tap0', 'tap-web', 'vm.1', '.x', 'a_b', 'ünï', 'x@y+z'])('device unit of %s matches systemd-escape --path', (name) => {
    const want = spawnSync('systemd-escape', ['--path', `/sys/devices/virtual/net/${name}`], {encoding: 'utf8'}).stdout.trim()
    expect(systemdEscapePath(`/sys/devices/virtual/net/${name}`)).toBe(want)
    expect(netDeviceUnit(name)).toBe(`${want}.device`)
  })

  test('keyfile values and plain names', () => {
    expect(keyfileValue('a\\b')).toBe('a\\\\b')
    expect(keyfileValue(' lead')).toBe('\\slead')
    expect(plainName('tap-0.v', 'networkd')).toBe('tap-0.v')
    expect(() => plainName('tap*', 'networkd')).toThrow(expect.objectContaining({code: 'UNSAFE_NAME', exitCode: 2}))
  })
})

describe('targets', () => {
  test('an unknown target lists the known ones', () => {
    expect(() => generatorFor('upstart')).toThrow(expect.objectContaining({code: 'UNKNOWN_TARGET', fix: 'choose one of: systemd, networkd, sysv, openrc, ifupdown, nm'}))
  })

  test('systemd refuses --standalone and points to networkd', () => {
    expect(() => render('systemd', true, rich)).toThrow(expect.objectContaining({fix: expect.stringContaining('networkd')}))
  })

  test('nm refuses what NetworkManager cannot express, naming device and setting', () => {
    expect(() => render('nm', false, rich)).toThrow(/NetworkManager cannot express peer \(tun0\); txqueuelen \(tap-web\); arp, multicast, promisc, allmulti \(tun-lab\)/)
  })

  test('nm keyfiles are 0600 with numeric owner and group, and stable uuids', () => {
    const g = render('nm', false, nmConfig)
    expect(g.files.every((f) => f.mode === 0o600)).toBe(true)
    const vm0 = g.files.find((f) => f.path === 'tunadm-vm0.nmconnection')!.content
    expect(vm0).toMatch(/^owner=0$/m)
    expect(vm0).toMatch(/^group=65534$/m)
    expect(render('nm', false, nmConfig).files[0].content).toBe(g.files[0].content)
  })

  test('networkd and ifupdown refuse names they cannot write safely', () => {
    const cfg: TunadmConfig = {version: 1, source: 'x', devices: [{name: 'tap[1]', mode: 'tap', any_user: true}]}
    expect(() => render('networkd', false, cfg)).toThrow(/cannot write the device name "tap\[1\]" safely/)
    expect(() => render('ifupdown', false, cfg)).toThrow(/cannot write the device name/)
    expect(render('sysv', true, cfg).files[0].content).toContain("tunadm_create 'tap[1]' tap")
  })

  test('an empty config still makes valid scripts', () => {
    const empty: TunadmConfig = {version: 1, source: 'x', devices: []}
    for (const t of ['sysv', 'openrc']) {
      const dir = tmpdir()
      fs.writeFileSync(path.join(dir, 's'), render(t, true, empty).files[0].content)
      expect(shellcheck(path.join(dir, 's')).status).toBe(0)
      fs.rmSync(dir, {recursive: true})
    }
  })
})

describe('detecting the init system', () => {
  const fixture = (paths: string[]) => {
    const dir = tmpdir()
    for (const p of paths) fs.mkdirSync(path.join(dir, p), {recursive: true})
    return new Host(dir)
  }
  test.each([
    [['run/systemd/system', 'run/NetworkManager'], ['systemd', 'nm']],
    [['run/systemd/system', 'run/systemd/netif/links'], ['systemd', 'networkd']],
    [['sbin/openrc-run'], ['openrc']],
    [['etc/init.d', 'sbin/chkconfig'], ['sysv']],
    [['etc/init.d', 'usr/sbin/update-rc.d', 'etc/network/interfaces', 'sbin/ifup'], ['sysv', 'ifupdown']],
    [[], []],
  ])('%j -> %j', (paths, want) => expect(detectTargets(fixture(paths))).toEqual(want))
})

describe('writing files', () => {
  test('creates with exact modes, leaves identical files, replaces generated ones, refuses hand-written ones unless forced', () => {
    const dir = tmpdir()
    const g = render('nm', false, nmConfig)
    expect(writeFiles(dir, g.files).map((w) => [w.action, w.mode])).toEqual(g.files.map(() => ['created', '0600']))
    expect(fs.statSync(path.join(dir, g.files[0].path)).mode & 0o777).toBe(0o600)
    expect(writeFiles(dir, g.files).every((w) => w.action === 'unchanged')).toBe(true)
    fs.writeFileSync(path.join(dir, g.files[0].path), g.files[0].content + '# edited\n')
    expect(writeFiles(dir, g.files)[0].action).toBe('replaced')
    fs.writeFileSync(path.join(dir, g.files[1].path), '[connection]\nid=mine\n')
    expect(() => writeFiles(dir, g.files)).toThrow(expect.objectContaining({code: 'EEXIST', fix: expect.stringContaining('--force')}))
    expect(fs.readFileSync(path.join(dir, g.files[1].path), 'utf8')).toBe('[connection]\nid=mine\n')
    expect(writeFiles(dir, g.files, {force: true})[1].action).toBe('replaced')
    fs.rmSync(dir, {recursive: true})
  })

  test('files written elsewhere come with the commands that install them', () => {
    const g = render('systemd', false, rich)
    expect(copyCommands('/tmp/out', '/etc/systemd/system', g.files)).toEqual(['install -m 0644 /tmp/out/tunadm.service /etc/systemd/system/tunadm.service'])
    expect(copyCommands('/etc/systemd/system', '/etc/systemd/system/', g.files)).toEqual([])
  })
})
