/**
 * The sysv and openrc scripts that run tunadm (not --standalone), end to end: start runs
 * tunadm apply --config FILE, stop runs tunadm down --config FILE.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {BIN, Netns, describeKernel, sh} from '../helpers/kernel'

const ROOT = path.resolve(__dirname, '..', '..')
const CONFIG = path.join(ROOT, 'test', 'fixtures', 'config', 'rich.yaml')

describeKernel('init scripts driving tunadm apply/down (enable when apply lands)', () => {
  let ns: Netns
  let dir: string

  beforeAll(() => {
    ns = new Netns('init-apply')
    ns.ip(['link', 'add', 'br0', 'type', 'bridge']) // tap-web's master: the admin's, never tunadm's
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-init-apply-'))
    // The boot files run an executable; this one runs the checkout's tunadm under this Node, with its own
    // lock (other test files run apply at the same time; the default lock is one per machine).
    fs.writeFileSync(path.join(dir, 'tunadm'), `#!/bin/sh\nexport TUNADM_LOCK='${dir}/lock'\nexec '${process.execPath}' '${BIN}' "$@"\n`, {mode: 0o755})
  })
  afterAll(() => {
    ns?.remove()
    if (dir) fs.rmSync(dir, {recursive: true, force: true})
  })

  const script = (target: 'sysv' | 'openrc') => {
    const out = path.join(dir, target)
    const r = sh(process.execPath, [BIN, 'init', '--target', target, '--config', CONFIG, '--tunadm-path', path.join(dir, 'tunadm'), '--output', out])
    if (r.status !== 0) throw new Error(r.stderr)
    return path.join(out, 'tunadm')
  }
  const tunLinks = () => ns.links().filter((l) => l.linkinfo?.info_kind === 'tun').map((l) => l.ifname).sort()

  // enable when apply lands
  test('sysv: start applies the config, status is 0, start twice is harmless, stop runs down', () => {
    const s = script('sysv')
    expect(ns.exec('sh', [s, 'start']).status).toBe(0)
    expect(tunLinks()).toEqual(['tap-web', 'tun-lab', 'tun0', 'vm0', 'vm1', 'vm2'])
    expect(ns.link('tap-web')?.address).toBe('fe:54:00:12:34:56')
    expect((ns.link('tap-web') as {master?: string} | undefined)?.master).toBe('br0')
    expect(ns.exec('sh', [s, 'status']).status).toBe(0)
    expect(ns.exec('sh', [s, 'start']).status).toBe(0)
    expect(ns.exec('sh', [s, 'stop']).status).toBe(0)
    expect(tunLinks()).toEqual([])
    expect(ns.exec('sh', [s, 'status']).status).toBe(3)
    expect(ns.exec('sh', [s, 'stop']).status).toBe(0)
  })

  // enable when apply lands
  test('openrc: start and stop through tunadm, under an ebegin/eend shim', () => {
    const s = script('openrc')
    const shim = path.join(dir, 'shim.sh')
    fs.writeFileSync(shim, 'ebegin() { :; }\neend() { return "${1:-0}"; }\n. "$1"\n"$2"\n')
    expect(ns.exec('sh', [shim, s, 'start']).status).toBe(0)
    expect(tunLinks()).toHaveLength(6)
    expect(ns.exec('sh', [shim, s, 'status']).status).toBe(0)
    expect(ns.exec('sh', [shim, s, 'stop']).status).toBe(0)
    expect(tunLinks()).toEqual([])
  })
})
