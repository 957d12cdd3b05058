/** tunadm doctor against the real kernel, in a throwaway network namespace; ip is the oracle. */
import * as fs from 'node:fs'
import {BIN, Netns, describeKernel, json, sh} from '../helpers/kernel'
import {hold} from '../helpers/holder'

interface Finding { id: string; device?: string; status: string; messages: string[]; fix?: {text: string; commands: string[]} }
interface Report { findings: Finding[]; summary: Record<string, number>; failed: boolean }

const finding = (r: Report, id: string, device?: string) => r.findings.find((f) => f.id === id && f.device === device)
const nodeMode = () => fs.statSync('/dev/net/tun').mode & 0o777

describeKernel('tunadm doctor against the kernel', () => {
  let ns: Netns

  beforeAll(() => {
    ns = new Netns('doctor')
  })
  afterAll(() => ns?.remove())
  afterEach(() => {
    for (const l of ns.links()) if (l.linkinfo?.info_kind === 'tun') sh('ip', ['-n', ns.name, 'link', 'del', l.ifname])
  })

  test('a device that is down: device.up fails, exit 1; ip agrees it is down', () => {
    expect(ns.tunadm(['add', 'tun77']).status).toBe(0)
    expect(ns.link('tun77')?.flags).not.toContain('UP')
    const r = ns.tunadm(['doctor', 'tun77', '--json'])
    expect(r.status).toBe(1)
    const rep = json<Report>(r)
    // The fix runs where the device is: tunadm set, in the namespace doctor looked into.
    expect(finding(rep, 'device.up', 'tun77')).toMatchObject({status: 'fail', fix: {commands: [`sudo tunadm set tun77 --up --netns ${ns.name}`]}})
    expect(rep.failed).toBe(true)
    const text = ns.tunadm(['doctor', 'tun77'])
    expect(text.stdout).toMatch(/\[FAIL\] +Administratively up: tun77 is down/)
    expect(text.stdout).toMatch(/doctor: \d+ ok, \d+ warnings?, \d+ failed/)
  })

  test('up with an address and nothing attached: linkdown reported; once a holder attaches the finding is gone', async () => {
    ns.tunadm(['add', 'tun78'])
    ns.ip(['link', 'set', 'tun78', 'up'])
    ns.ip(['address', 'add', '10.78.0.1/24', 'dev', 'tun78'])
    const routes = ns.ipJson<Array<{dst: string; flags: string[]}>>(['route', 'show', 'dev', 'tun78'])
    expect(routes.find((x) => x.dst === '10.78.0.0/24')?.flags).toContain('linkdown')
    const before = ns.tunadm(['doctor', 'tun78', '--json'])
    expect(before.status).toBe(1)
    const rb = json<Report>(before)
    expect(finding(rb, 'device.linkdown-routes', 'tun78')).toMatchObject({status: 'fail', messages: ['linkdown: 10.78.0.0/24', expect.any(String)]})
    expect(finding(rb, 'device.carrier', 'tun78')?.status).toBe('warn')
    const held = await hold(ns.name, 'tun78', 'tun')
    try {
      expect(held.outcome).toBe('attached tun78')
      expect(ns.ipJson<Array<{dst: string; flags: string[]}>>(['route', 'show', 'dev', 'tun78']).find((x) => x.dst === '10.78.0.0/24')?.flags).not.toContain('linkdown')
      const after = ns.tunadm(['doctor', 'tun78', '--json'])
      const ra = json<Report>(after)
      expect(finding(ra, 'device.linkdown-routes', 'tun78')?.status).toBe('ok')
      expect(finding(ra, 'device.carrier', 'tun78')?.status).toBe('ok')
      expect(finding(ra, 'device.processes', 'tun78')?.messages[0]).toMatch(/^attached: python3 \(pid \d+\)$/)
      expect(ra.findings.filter((f) => f.status === 'fail')).toEqual([])
      expect(after.status).toBe(0)
    } finally {
      await held.release()
    }
  })

  test('carrier off with a program attached (TUNSETCARRIER 0, or set --carrier off): said so, set --carrier on offered, queues as the kernel counts', async () => {
    ns.tunadm(['add', 'tap79', '--user', 'nobody', '--address', '10.79.0.1/24', '--up'])
    // The owner's client holds it through four descriptors on its one queue, and turns the carrier off.
    const held = await hold(ns.name, 'tap79', 'tap', {uid: 65534, flags: ['fds=4', 'carrier_off']})
    try {
      expect(held.outcome).toBe('attached tap79')
      // The kernel's link watch marks the routes linkdown up to a second after the carrier goes off.
      const linkdown = () => ns.ipJson<Array<{dst: string; flags: string[]}>>(['route', 'show', 'dev', 'tap79']).find((x) => x.dst === '10.79.0.0/24')?.flags.includes('linkdown')
      for (let i = 0; i < 40 && !linkdown(); i++) await new Promise((r) => setTimeout(r, 100))
      expect(linkdown()).toBe(true)
      expect(ns.link('tap79')?.flags).not.toContain('LOWER_UP')
      const rep = json<Report>(ns.tunadm(['doctor', 'tap79', '--json']))
      const carrier = finding(rep, 'device.carrier', 'tap79')!
      expect(carrier.messages[0]).toMatch(/^no carrier although python3 \(pid \d+\) is attached \(its single queue\): the carrier was switched off with TUNSETCARRIER 0/)
      expect(carrier.fix?.commands).toEqual([`sudo tunadm set tap79 --carrier on --netns ${ns.name}`])
      const ld = finding(rep, 'device.linkdown-routes', 'tap79')!
      expect(ld.messages.join(' ')).not.toMatch(/nothing attached/)
      expect(ld.fix?.commands).toEqual([`sudo tunadm set tap79 --carrier on --netns ${ns.name}`])
      expect(JSON.stringify(rep)).not.toMatch(/queue\(s\)|start the program/)
      // tunadm's own carrier switch: the same finding, and the offered command puts it back.
      expect(ns.tunadm(['set', 'tap79', '--carrier', 'on']).status).toBe(0)
      expect(finding(json<Report>(ns.tunadm(['doctor', 'tap79', '--json'])), 'device.carrier', 'tap79')?.messages[0]).toMatch(/^carrier on: python3 \(pid \d+\) attached \(its single queue\)$/)
      expect(ns.tunadm(['set', 'tap79', '--carrier', 'off']).status).toBe(0)
      expect(finding(json<Report>(ns.tunadm(['doctor', 'tap79', '--json'])), 'device.carrier', 'tap79')?.fix?.commands).toEqual([`sudo tunadm set tap79 --carrier on --netns ${ns.name}`])
    } finally {
      await held.release()
    }
  })

  test('every queue of a multi-queue device disabled (TUNSETQUEUE IFF_DETACH_QUEUE): doctor fails it, show says it', async () => {
    ns.tunadm(['add', 'tap80', '--user', 'nobody', '--multi-queue', '--address', '10.80.0.1/24', '--up'])
    const held = await hold(ns.name, 'tap80', 'tap', {uid: 65534, flags: ['multi_queue', 'queues=2', 'detach_all']})
    try {
      expect(held.outcome).toBe('attached tap80')
      expect(ns.link('tap80')?.linkinfo?.info_data).toMatchObject({numqueues: 0, numdisabled: 2})
      const r = ns.tunadm(['doctor', 'tap80', '--json'])
      expect(r.status).toBe(1)
      const q = finding(json<Report>(r), 'device.queues', 'tap80')!
      expect(q.status).toBe('fail')
      expect(q.messages[0]).toMatch(/^every queue of tap80 is disabled \(2 attached with TUNSETQUEUE IFF_DETACH_QUEUE, 0 enabled\)/)
      expect(ns.tunadm(['show', 'tap80']).stdout).toMatch(/queues +0 attached \(2 disabled\): every queue is disabled, no packet passes/)
    } finally {
      await held.release()
    }
  })

  test('the sysctls doctor reads are the namespace\'s (--netns and ip netns exec agree)', () => {
    ns.tunadm(['add', 'tun79'])
    ns.ip(['link', 'set', 'tun79', 'up'])
    ns.ip(['address', 'add', '10.79.0.1/24', 'dev', 'tun79'])
    expect(ns.exec('sysctl', ['-qw', 'net.ipv4.conf.tun79.ignore_routes_with_linkdown=1']).status).toBe(0)
    const viaFlag = json<Report>(ns.tunadm(['doctor', 'tun79', '--json', '--check', 'device.linkdown-routes']))
    const inside = json<Report>(ns.tunadmInside(['doctor', 'tun79', '--json', '--check', 'device.linkdown-routes']))
    expect(finding(viaFlag, 'device.linkdown-routes', 'tun79')?.status).toBe('warn')
    expect(finding(inside, 'device.linkdown-routes', 'tun79')?.status).toBe('warn')
    expect(viaFlag.findings).toHaveLength(1)
  })

  test('the owner (nobody) cannot open this machine\'s /dev/net/tun', () => {
    ns.tunadm(['add', 'tun80', '--user', 'nobody'])
    const rep = json<Report>(ns.tunadm(['doctor', 'tun80', '--json']))
    const f = finding(rep, 'device.owner-access', 'tun80')!
    if ((nodeMode() & 0o006) === 0o006) {
      expect(f.status).toBe('ok')
    } else {
      expect(f.status).toBe('fail')
      expect(f.messages[0]).toContain('user nobody (65534) owns tun80 but cannot open /dev/net/tun')
      expect(f.fix?.commands).toContain('chmod 0666 /dev/net/tun')
    }
    // --user nobody: the same answer for attaching
    const asUser = json<Report>(ns.tunadm(['doctor', 'tun80', '--user', 'nobody', '--json', '--check', 'device.attach']))
    expect(finding(asUser, 'device.attach', 'tun80')?.status).toBe((nodeMode() & 0o006) === 0o006 ? 'ok' : 'fail')
  })

  test('run without CAP_NET_ADMIN (as nobody): capability warning, the node refused, exit 1', () => {
    ns.tunadm(['add', 'tun81'])
    const r = sh('ip', ['netns', 'exec', ns.name, 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'doctor', '--json'],
      {env: {...process.env, NO_COLOR: '1', HOME: '/tmp'}})
    const rep = json<Report>(r)
    expect(finding(rep, 'system.capabilities')).toMatchObject({status: 'warn', messages: [expect.stringContaining('nobody (uid 65534) does not have CAP_NET_ADMIN'), expect.any(String)]})
    expect(finding(rep, 'device.up', 'tun81')?.status).toBe('fail')
    if ((nodeMode() & 0o006) !== 0o006) {
      expect(finding(rep, 'system.node-access')?.status).toBe('fail')
      expect(finding(rep, 'system.tun-features')?.status).toBe('skip')
    }
    expect(r.status).toBe(1)
  })

  test('--explain: EBUSY names the holder; EINVAL shows the real mode; unknown text exits 1', async () => {
    ns.tunadm(['add', 'tap6'])
    ns.tunadm(['add', 'tun82'])
    const held = await hold(ns.name, 'tun82', 'tun')
    try {
      const busy = ns.tunadm(['doctor', 'tun82', '--explain', 'ioctl(TUNSETIFF): Device or resource busy', '--json'])
      expect(busy.status).toBe(0)
      const e = json(busy)
      expect(e.patterns[0].causes[0]).toMatchObject({id: 'single-queue-held', verdict: 'likely', detail: expect.stringMatching(/^tun82 is held by python3 \(pid \d+\) and is single-queue$/)})
    } finally {
      await held.release()
    }
    const h = await hold(ns.name, 'tap6', 'tun')
    expect(h.outcome).toBe('error EINVAL')
    await h.release()
    const inval = ns.tunadm(['doctor', '--explain', 'could not configure /dev/net/tun (tap6): Invalid argument'])
    expect(inval.status).toBe(0)
    expect(inval.stdout).toContain('tap6 is a tap device without multi_queue: a program must ask for IFF_TAP without IFF_MULTI_QUEUE')
    const unknown = ns.tunadm(['doctor', '--explain', 'something else entirely'])
    expect(unknown.status).toBe(1)
    expect(unknown.stdout).toContain('tunadm does not know this message')
  })

  test('--explain for every message of the issue is recognised', () => {
    const messages: Array<[string, string]> = [
      ['E unknown device/address "tun"', 'socat-no-tun'],
      ['E open("/dev/net/tun", 02, 0666): No such file or directory', 'open-node-missing'],
      ['E open("/dev/net/tun", 02, 0666): Permission denied', 'open-node-denied'],
      ['ioctl(TUNSETIFF): Device or resource busy', 'setiff-busy'],
      ['ioctl(TUNSETIFF): Operation not permitted', 'setiff-eperm'],
      ['ioctl(TUNSETIFF): Invalid argument', 'setiff-einval'],
      ['Cannot ioctl TUNSETIFF tun0: Operation not permitted (errno=1)', 'setiff-eperm'],
      ['could not configure /dev/net/tun (tap0): Operation not permitted', 'setiff-eperm'],
      ['TUNSETPERSIST: Operation not permitted', 'tun-ioctl-eperm'],
    ]
    for (const [msg, id] of messages) {
      const r = ns.tunadm(['doctor', '--explain', msg, '--json'])
      expect({msg, status: r.status, first: json(r).patterns[0]?.id}).toEqual({msg, status: 0, first: id})
    }
    // This machine: the node exists, the driver is built in
    const nf = json(ns.tunadm(['doctor', '--explain', 'E open("/dev/net/tun", 02, 0666): No such file or directory', '--json']))
    expect(nf.patterns[0].causes.map((c: {verdict: string}) => c.verdict)).toEqual(['unlikely', 'unlikely'])
  })

  test('--list-checks, --check, and usage errors exit 2', () => {
    const list = json<Array<{id: string}>>(ns.tunadm(['doctor', '--list-checks', '--json']))
    expect(list.map((c) => c.id)).toContain('device.linkdown-routes')
    const only = json<Report>(ns.tunadm(['doctor', '--check', 'system.tun-node', '--check', 'system.tun-driver', '--json']))
    expect(only.findings.map((f) => f.id)).toEqual(['system.tun-node', 'system.tun-driver'])
    const bad = ns.tunadm(['doctor', '--check', 'device.nope'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('unknown check "device.nope"')
    expect(ns.tunadm(['doctor', '--explain', ' ']).status).toBe(2)
    const missing = ns.tunadm(['doctor', 'nosuch0', '--json'])
    expect(missing.status).toBe(1)
    expect(finding(json<Report>(missing), 'device.exists', 'nosuch0')?.status).toBe('fail')
  })
})
