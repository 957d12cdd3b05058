/**
 * The standalone boot scripts, run for real in a throwaway network namespace: start creates the
 * devices as configured, status reports them (LSB codes), stop removes them, and start twice or
 * stop when absent is harmless. openrc-run is not installed here, so the openrc script's start,
 * stop and status functions are run by sourcing it under a tiny shim that provides ebegin/eend.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {BIN, IpLink, Netns, describeKernel, must, sh} from '../helpers/kernel'

const ROOT = path.resolve(__dirname, '..', '..')
const CONFIG = path.join(ROOT, 'test', 'fixtures', 'config', 'rich.yaml')
const NAMES = ['tun0', 'tap-web', 'vm0', 'vm1', 'vm2', 'tun-lab']

const OPENRC_SHIM = `#!/bin/sh
# Stand-ins for the openrc-run helpers the script calls, then run one of its functions.
ebegin() { printf ' * %s ...\\n' "$*"; }
eend() { return "\${1:-0}"; }
einfo() { printf ' * %s\\n' "$*"; }
ewarn() { einfo "$@"; }
eerror() { einfo "$@" >&2; }
script=$1
action=$2
# shellcheck disable=SC1090
. "$script"
"$action"
`

/** Generate a target's script through the CLI, as an admin would. */
function generated(target: 'sysv' | 'openrc', dir: string): string {
  const r = sh(process.execPath, [BIN, 'init', '--target', target, '--standalone', '--config', CONFIG, '--output', dir, '--json'])
  if (r.status !== 0) throw new Error(`tunadm init failed: ${r.stdout}${r.stderr}`)
  const result = JSON.parse(r.stdout).result
  expect(result.files.map((f: {path: string; mode: string}) => [f.path, f.mode])).toEqual([[path.join(dir, 'tunadm'), '0755']])
  return path.join(dir, 'tunadm')
}

describe.each(['sysv', 'openrc'] as const)('the standalone %s script', (target) => {
  describeKernel(`${target} script in a network namespace`, () => {
    let ns: Netns
    let dir: string
    let run: (action: string) => ReturnType<typeof sh>

    beforeAll(() => {
      ns = new Netns(`init-${target}`)
      // tap-web is a port of br0: the bridge is the admin's (tunadm and its scripts never create one).
      ns.ip(['link', 'add', 'br0', 'type', 'bridge'])
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `tunadm-${target}-`))
      const script = generated(target, dir)
      if (target === 'sysv') {
        run = (action) => ns.exec('sh', [script, action])
      } else {
        fs.writeFileSync(path.join(dir, 'shim.sh'), OPENRC_SHIM)
        run = (action) => ns.exec('sh', [path.join(dir, 'shim.sh'), script, action])
      }
    })
    afterAll(() => {
      ns?.remove()
      if (dir) fs.rmSync(dir, {recursive: true, force: true})
    })

    const links = () => new Map(ns.links().map((l) => [l.ifname, l]))
    const tunLinks = () => ns.links().filter((l) => l.linkinfo?.info_kind === 'tun').map((l) => l.ifname).sort()

    test('status before start: not running (3)', () => {
      const r = run('status')
      expect(r.status).toBe(3)
      expect(r.stdout).toContain('missing: tun0 tap-web vm0 vm1 vm2 tun-lab')
    })

    test('start creates every device as configured', () => {
      const r = run('start')
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      const l = links()
      expect(tunLinks()).toEqual([...NAMES].sort())
      const data = (n: string) => (l.get(n) as IpLink).linkinfo?.info_data

      expect(data('tun0')).toMatchObject({type: 'tun', pi: false, persist: true, user: 'nobody'})
      expect(data('tun0')?.group).toBeUndefined()
      expect(l.get('tun0')?.mtu).toBe(1400)
      expect(l.get('tun0')?.flags).toContain('UP')

      expect(data('tap-web')).toMatchObject({type: 'tap', vnet_hdr: true, multi_queue: false, user: 'nobody', group: 'nogroup'})
      expect(l.get('tap-web')?.address).toBe('fe:54:00:12:34:56')
      expect((l.get('tap-web') as {master?: string} | undefined)?.master).toBe('br0')
      expect(l.get('tap-web')?.txqlen).toBe(1000)

      for (const vm of ['vm0', 'vm1', 'vm2']) {
        expect(data(vm)).toMatchObject({type: 'tap', vnet_hdr: true, multi_queue: true, group: 'root'})
        expect(data(vm)?.user).toBeUndefined()
        expect(l.get(vm)?.flags).not.toContain('UP')
      }

      expect(data('tun-lab')).toMatchObject({type: 'tun', pi: true})
      expect(data('tun-lab')?.user).toBeUndefined()
      expect(data('tun-lab')?.group).toBeUndefined()
      expect(l.get('tun-lab')?.flags).toEqual(expect.arrayContaining(['NOARP', 'PROMISC', 'ALLMULTI', 'UP']))
      expect(l.get('tun-lab')?.flags).not.toContain('MULTICAST')
    })

    test('addresses, the peer and routes are in place', () => {
      const addrs = ns.ipJson<Array<{ifname: string; addr_info: Array<{local: string; prefixlen: number; address?: string}>}>>(['addr', 'show'])
      const of = (n: string) => addrs.find((a) => a.ifname === n)?.addr_info.filter((a) => !a.local.startsWith('fe80')) ?? []
      expect(of('tun0')).toEqual(expect.arrayContaining([
        expect.objectContaining({local: '10.8.0.1', address: '10.8.0.2', prefixlen: 32}),
        expect.objectContaining({local: 'fd00:8::1', prefixlen: 64}),
      ]))
      expect(of('tap-web').filter((a: {local: string}) => !a.local.startsWith('fe80:'))).toEqual([]) // a bridge port: its addresses belong on br0
      const routes = ns.ipJson<Array<{dst: string; gateway?: string; dev: string; metric?: number}>>(['route', 'show'])
      expect(routes).toEqual(expect.arrayContaining([expect.objectContaining({dst: '10.20.0.0/16', gateway: '10.8.0.2', dev: 'tun0', metric: 50})]))
      const routes6 = ns.ipJson<Array<{dst: string; dev: string}>>(['-6', 'route', 'show'])
      expect(routes6).toEqual(expect.arrayContaining([expect.objectContaining({dst: 'fd00:20::/48', dev: 'tun0'})]))
    })

    test('status reports them (0)', () => {
      const r = run('status')
      expect(r.status).toBe(0)
      expect(r.stdout).toContain('all 6 configured devices are present')
    })

    test('start twice is harmless: same devices, same settings', () => {
      const before = JSON.stringify(ns.links().map(({ifname, flags, mtu, address, linkinfo}) => ({ifname, flags, mtu, address, linkinfo})))
      const r = run('start')
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      expect(JSON.stringify(ns.links().map(({ifname, flags, mtu, address, linkinfo}) => ({ifname, flags, mtu, address, linkinfo})))).toBe(before)
    })

    test('stop removes them; status says not running (3); stop again is harmless', () => {
      const r = run('stop')
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      expect(tunLinks()).toEqual([])
      expect(run('status').status).toBe(3)
      expect(run('stop').status).toBe(0)
    })

    test('a non-TUN device with a configured name is left alone, and start says so', () => {
      ns.ip(['link', 'add', 'tun0', 'type', 'bridge'])
      const r = run('start')
      expect(r.status).not.toBe(0)
      expect(r.stderr).toContain('tun0 exists and is not a TUN/TAP device')
      expect(ns.link('tun0')?.linkinfo?.info_kind).toBe('bridge')
      expect(run('stop').status).toBe(0)
      expect(ns.link('tun0')?.linkinfo?.info_kind).toBe('bridge')
      expect(tunLinks()).toEqual([])
      must('ip', ['-n', ns.name, 'link', 'del', 'tun0'])
    })
  })
})
