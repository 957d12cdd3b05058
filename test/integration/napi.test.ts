/**
 * napi and napi_frags, the TUN flags rtnetlink does not report: created through the settings registry,
 * read from sysfs tun_flags (also under --netns, where /sys shows another namespace), and never cleared
 * by an owner change. The oracle is the namespace's own sysfs, read through ip netns exec.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {Netns, describeKernel, json, must, sh} from '../helpers/kernel'

const IFF_NAPI = 0x10
const IFF_NAPI_FRAGS = 0x20

describeKernel('napi and napi_frags against the kernel', () => {
  let ns: Netns
  let dir: string
  const tunFlags = (name: string) => parseInt(must('ip', ['netns', 'exec', ns.name, 'cat', `/sys/class/net/${name}/tun_flags`]).trim(), 16)
  /** A device made by another program with IFF_TAP | IFF_NAPI | IFF_NO_PI, persistent and ownerless. */
  const foreignNapiTap = (name: string) => must('ip', ['netns', 'exec', ns.name, 'python3', '-c', [
    'import fcntl, os, struct, sys',
    'fd = os.open("/dev/net/tun", os.O_RDWR)',
    'fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH22x", sys.argv[1].encode(), 0x2 | 0x10 | 0x1000 | 0x8000))',
    'fcntl.ioctl(fd, 0x400454cb, 1)',
  ].join('\n'), name])
  const sysfsMounts = () => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => / - sysfs /.test(l)).length

  beforeAll(() => {
    ns = new Netns('napi')
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-napi-'))
  })
  afterAll(() => {
    ns?.remove()
    fs.rmSync(dir, {recursive: true, force: true})
  })
  afterEach(() => {
    for (const l of ns.links()) if (l.linkinfo?.info_kind === 'tun') sh('ip', ['-n', ns.name, 'link', 'del', l.ifname])
  })

  test('set --user on a device made elsewhere with IFF_NAPI keeps IFF_NAPI (--netns and inside)', () => {
    const before = sysfsMounts()
    foreignNapiTap('napi0')
    expect(tunFlags('napi0')).toBe(0x1812)
    const r = ns.tunadm(['set', 'napi0', '--user', 'nobody'])
    expect([r.status, r.stderr]).toEqual([0, ''])
    expect(tunFlags('napi0')).toBe(0x1812)
    expect(ns.link('napi0')?.linkinfo?.info_data?.user).toBe('nobody')
    const inside = ns.tunadmInside(['set', 'napi0', '--user', '0'])
    expect(inside.status).toBe(0)
    expect(tunFlags('napi0')).toBe(0x1812)
    // tunadm's own sysfs for the namespace was mounted in a mount namespace of its own: the host's is as it was.
    expect(sysfsMounts()).toBe(before)
  })

  test('del of an idle device made elsewhere with IFF_NAPI attaches to it with its own flags, napi included, and deletes it (--netns and inside)', () => {
    // del attaches to an idle single-queue device until its delete (no /proc scan); that attach sets the
    // TUN features it asks for, so it must ask for the device's own, read from sysfs for the namespace.
    for (const [name, run] of [['napi1', ns.tunadm.bind(ns)], ['napi2', ns.tunadmInside.bind(ns)]] as const) {
      foreignNapiTap(name)
      expect(tunFlags(name)).toBe(0x1812)
      const r = run(['del', name, '--json'])
      expect(r.stderr).toBe('')
      expect([r.status, json(r)]).toEqual([0, [{name, deleted: true, mode: 'tap'}]])
      expect(ns.link(name)).toBeUndefined()
    }
  })

  test('add --napi --napi-frags creates them; show, list and --json report them, read for the namespace', () => {
    const r = ns.tunadm(['add', 'tapn', '--napi', '--napi-frags', '--user', 'nobody', '--json'])
    expect(r.status).toBe(0)
    expect(json(r)).toMatchObject({name: 'tapn', napi: true, napiFrags: true})
    expect(tunFlags('tapn') & (IFF_NAPI | IFF_NAPI_FRAGS)).toBe(IFF_NAPI | IFF_NAPI_FRAGS)
    expect(ns.tunadm(['add', 'tap1', '--user', 'nobody']).status).toBe(0)
    const listed = json<Array<{name: string; napi?: boolean; napiFrags?: boolean}>>(ns.tunadm(['list', '--json']))
    expect(listed.map((d) => [d.name, d.napi, d.napiFrags])).toEqual([['tap1', false, false], ['tapn', true, true]])
    expect(ns.tunadm(['show', 'tapn']).stdout).toMatch(/tun flags +napi,napi_frags,persist/)
    expect(ns.tunadmInside(['list']).stdout).toMatch(/tapn .* napi,napi_frags,persist/)
  })

  test('napi_frags without napi, or on TUN, is refused before anything is made (exit 2)', () => {
    for (const args of [['add', 'tap2', '--napi-frags'], ['add', 'tun2', '--napi', '--napi-frags']]) {
      const r = ns.tunadm([...args, '--user', 'nobody'])
      expect([r.status, r.stderr]).toEqual([2, expect.stringContaining('the kernel accepts IFF_NAPI_FRAGS only on a TAP device with IFF_NAPI')])
    }
    expect(ns.links().filter((l) => l.linkinfo?.info_kind === 'tun')).toEqual([])
  })

  test('apply creates napi devices, then finds them unchanged; a device without napi needs --recreate', () => {
    const file = path.join(dir, 'napi.yaml')
    fs.writeFileSync(file, 'version: 1\ndevices:\n  - {name: "vm{0..1}", mode: tap, user: nobody, napi: true}\n')
    const first = json(ns.tunadm(['apply', '--config', file, '--json']))
    expect(first.devices.map((d: {action: string}) => d.action)).toEqual(['created', 'created'])
    expect(tunFlags('vm0') & IFF_NAPI).toBe(IFF_NAPI)
    const again = json(ns.tunadm(['apply', '--config', file, '--json']))
    expect(again.devices.map((d: {action: string}) => d.action)).toEqual(['unchanged', 'unchanged'])
    sh('ip', ['-n', ns.name, 'link', 'del', 'vm1'])
    must('ip', ['-n', ns.name, 'tuntap', 'add', 'vm1', 'mode', 'tap', 'user', 'nobody'])
    must('ip', ['-n', ns.name, 'link', 'set', 'vm1', 'alias', `tunadm:${file}`])
    const r = ns.tunadm(['apply', '--config', file, '--recreate', '--json'])
    expect(json(r).devices[1]).toMatchObject({name: 'vm1', action: 'recreated'})
    expect(tunFlags('vm1') & IFF_NAPI).toBe(IFF_NAPI)
  })
})
