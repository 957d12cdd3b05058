/**
 * Moving a host to tunadm: `tunadm import` from the command line, and its config applied for real in a
 * throwaway namespace (the kernel's own view, ip -j, is the oracle).
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {BIN, Netns, ROOT, describeKernel, json, sh} from '../helpers/kernel'

const GOLDEN = path.join(ROOT, 'test', 'golden')
const FIX = path.join(ROOT, 'test', 'fixtures', 'import')
const tunadm = (args: string[]) => sh(process.execPath, [BIN, ...args], {env: {...process.env, NO_COLOR: '1'}})

describe('tunadm import on the command line', () => {
  test('everything translated: the config on stdout, a summary on stderr, exit 0', () => {
    const r = tunadm(['import', path.join(GOLDEN, 'ifupdown', 'tunadm')])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^# Imported by tunadm from .*\n# Review it, then: tunadm apply --adopt --dry-run --config FILE\nversion: 1\ndevices:\n {2}- name: tun0\n/)
    expect(r.stderr).toBe('import: 4 device entries from 1 file\n')
  })

  test('what is not translated: listed on stderr with FILE:LINE and in the config, exit 1', () => {
    const file = path.join(FIX, 'scripts', 'rc.local')
    const r = tunadm(['import', file])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain(`not translated: ${file}:18: ip tuntap add uses "tap1$i"`)
    expect(r.stdout).toContain(`#   ${file}:18: ip tuntap add uses "tap1$i"`)
    expect(r.stderr).toMatch(/^import: 5 device entries from 1 file; 3 things not translated/m)
  })

  test('--json: the devices, what was not translated and the YAML in one envelope', () => {
    const r = tunadm(['import', path.join(FIX, 'nm'), '--json'])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe('')
    const out = json(r)
    expect(out.devices.map((d: {name: string}) => d.name)).toEqual(['tap1', 'tun0'])
    expect(out.untranslated[0]).toEqual({file: path.join(FIX, 'nm', 'tap-port.nmconnection'), line: 8, device: 'tap1', message: expect.stringMatching(/^autoconnect=false/)})
    expect(out.skipped).toEqual([expect.objectContaining({file: path.join(FIX, 'nm', 'eth0.nmconnection')})])
    expect(out.yaml).toMatch(/^version: 1$/m)
  })

  test('a file that is not there: exit 2 and a JSON error; no file at all: usage error', () => {
    const r = tunadm(['import', '/nonexistent/interfaces', '--json'])
    expect(r.status).toBe(2)
    expect(json(r).error).toMatchObject({code: 'NO_FILE', message: 'cannot read /nonexistent/interfaces: it does not exist'})
    expect(tunadm(['import']).status).toBe(2)
  })
})

describeKernel('an imported config applies', () => {
  let ns: Netns
  let dir: string
  beforeAll(() => {
    ns = new Netns('import')
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-import-'))
  })
  afterAll(() => {
    ns?.remove()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  test('networkd files made by init: imported, applied, the kernel has the devices they describe', () => {
    const files = fs.readdirSync(path.join(GOLDEN, 'networkd')).filter((f) => f !== 'SUMMARY.txt').map((f) => path.join(GOLDEN, 'networkd', f))
    const r = tunadm(['import', ...files])
    expect(r.status).toBe(0)
    const config = path.join(dir, 'tunadm.yaml')
    fs.writeFileSync(config, r.stdout)
    ns.ip(['link', 'add', 'br0', 'type', 'bridge']) // the bridge tap-web is a port of (Bridge=br0)
    const a = ns.tunadm(['apply', '--config', config])
    expect(a.stderr).toBe('')
    expect(a.status).toBe(0)
    const links = ns.links().filter((l) => l.linkinfo?.info_kind === 'tun')
    expect(links.map((l) => l.ifname).sort()).toEqual(['tap-web', 'tun-lab', 'tun0', 'vm0', 'vm1', 'vm2'])
    const web = ns.link('tap-web')!
    expect(web).toMatchObject({address: 'fe:54:00:12:34:56', txqlen: 1000})
    expect(ns.ip(['-o', 'link', 'show', 'tap-web'])).toMatch(/ master br0 /)
    expect(web.linkinfo?.info_data).toMatchObject({type: 'tap', vnet_hdr: true, user: 'nobody', group: 'nogroup'})
    expect(ns.link('vm1')!.linkinfo?.info_data).toMatchObject({multi_queue: true, group: 'root'})
    const tun0 = ns.ipJson<Array<{addr_info: Array<{local: string; address?: string}>}>>(['addr', 'show', 'dev', 'tun0'])[0]
    expect(tun0.addr_info).toEqual(expect.arrayContaining([expect.objectContaining({local: '10.8.0.1', address: '10.8.0.2'})]))
    expect(ns.ipJson<Array<{dst: string; gateway?: string}>>(['route', 'show', 'dev', 'tun0'])).toEqual(expect.arrayContaining([expect.objectContaining({dst: '10.20.0.0/16', gateway: '10.8.0.2'})]))
  })
})
