/**
 * A VM host in a throwaway namespace: TAP devices from a config as ports of a bridge, two guests
 * (test/helpers/tapnode.py, an independent program on each tap) exchanging ARP and ICMP through the
 * bridge, and doctor finding what stops them: a bridge that is down, a blocked port, an MTU that differs,
 * a device that drifted from its entry. ip and bridge are the oracle; tunadm never creates the bridge.
 */
import {ChildProcessWithoutNullStreams, spawn} from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {BIN, Netns, describeKernel, json, sh} from '../helpers/kernel'

interface Finding { id: string; device?: string; status: string; messages: string[]; fix?: {text: string; commands: string[]} }
interface Report { findings: Finding[]; summary: Record<string, number>; failed: boolean }

const TAPNODE = path.join(__dirname, '..', 'helpers', 'tapnode.py')
const finding = (r: Report, id: string, device?: string) => r.findings.find((f) => f.id === id && f.device === device)
const problems = (r: Report) => r.findings.map((f) => `${f.device ?? 'system'}:${f.id}:${f.status}`)

/** The README's VM host, with a group every test machine has (65534) in place of kvm. */
const CONFIG = `version: 1
defaults:
  up: true
  master: br0
devices:
  - name: tap-web
    mode: tap
    group: 65534
    mac: "fe:54:00:12:34:56"
  - name: tap-db
    mode: tap
    group: 65534
  - name: "tap{0..1}"
    mode: tap
    group: 65534
    vnet_hdr: true
    multi_queue: true
    up: false
  - name: "tap{2..7}"
    mode: tap
    group: 65534
    vnet_hdr: true
    multi_queue: true
    up: false
    master: br-spare
`

describeKernel('a VM host: TAP bridge ports, real frames, and doctor', () => {
  let ns: Netns
  let dir: string
  let config: string
  const guests: ChildProcessWithoutNullStreams[] = []

  /** A guest answering ARP and ping on `tap`, until released. */
  function guest(tap: string, mac: string, ip: string): Promise<ChildProcessWithoutNullStreams> {
    const p = spawn('ip', ['netns', 'exec', ns.name, 'python3', TAPNODE, tap, mac, ip])
    guests.push(p)
    return new Promise((resolve, reject) => {
      let out = ''
      p.stdout.on('data', (b: Buffer) => {
        out += b.toString()
        if (out.includes('\n')) (out.startsWith('attached') ? resolve(p) : reject(new Error(out)))
      })
      p.on('exit', (code) => reject(new Error(`tapnode ${tap} exited ${code}: ${out}`)))
    })
  }
  /** A guest that joins two taps as a cable would. */
  function wire(a: string, b: string): Promise<void> {
    const p = spawn('ip', ['netns', 'exec', ns.name, 'python3', TAPNODE, '--wire', a, b])
    guests.push(p)
    return new Promise((resolve, reject) => {
      p.stdout.once('data', (d: Buffer) => (d.toString().startsWith('attached') ? resolve() : reject(new Error(d.toString()))))
    })
  }
  /** A second guest that pings `target` from `tap`: "reply from ..." or "timeout ...". */
  const ping = (tap: string, mac: string, ip: string, target: string, timeout = 10) =>
    ns.exec('python3', [TAPNODE, tap, mac, ip, target], {env: {...process.env, TAPNODE_TIMEOUT: String(timeout)}}).stdout.trim()
  const release = async () => {
    for (const p of guests.splice(0)) {
      p.stdin.end()
      if (p.exitCode === null) await new Promise((r) => p.on('exit', r))
    }
  }
  /**
   * doctor with the config, as root would run it on a host whose /dev/net/tun is the stock 0666 (this machine's
   * is 0600, which would fail device.owner-access for every tap): a private node in a private mount namespace.
   */
  function doctor(args: string[]): {status: number | null; report: Report; stdout: string} {
    const node = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-vmnode-'))
    try {
      const script = `mknod ${node}/tun c 10 200 && chmod 0666 ${node}/tun && mount --bind ${node}/tun /dev/net/tun && exec "$@"`
      const r = sh('unshare', ['-m', 'sh', '-c', script, 'sh', process.execPath, BIN, 'doctor', '--config', config, ...args, '--netns', ns.name], {env: {...process.env, NO_COLOR: '1'}})
      return {status: r.status, report: args.includes('--json') ? json<Report>(r) : {findings: [], summary: {}, failed: r.status !== 0}, stdout: r.stdout}
    } finally {
      fs.rmSync(node, {recursive: true, force: true})
    }
  }

  beforeAll(() => {
    ns = new Netns('vmhost')
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-vmhost-'))
    config = path.join(dir, 'vmhost.yaml')
    fs.writeFileSync(config, CONFIG)
    for (const br of ['br0', 'br-spare']) {
      ns.ip(['link', 'add', br, 'type', 'bridge'])
      ns.ip(['link', 'set', br, 'up'])
    }
    // Bridged frames would meet the namespace's (empty) firewall: off, as the doctor's fix says, so that
    // the reports below hold only what each test breaks.
    for (const t of ['iptables', 'ip6tables', 'arptables']) ns.exec('sysctl', ['-qw', `net.bridge.bridge-nf-call-${t}=0`])
  })
  afterAll(async () => {
    await release()
    ns?.remove()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  beforeEach(() => {
    const r = ns.tunadm(['apply', '--config', config])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    ns.ip(['link', 'set', 'br0', 'up'])
  })
  afterEach(async () => {
    await release()
    ns.tunadm(['down', '--config', config])
  })

  test('two guests on two ports of one bridge exchange ARP and ping; doctor finds no problem at all', async () => {
    await guest('tap-db', '52:54:00:00:00:02', '10.20.0.2')
    expect(ping('tap-web', '52:54:00:00:00:01', '10.20.0.1', '10.20.0.2')).toBe('reply from 10.20.0.2')
    await guest('tap-web', '52:54:00:00:00:01', '10.20.0.1')
    // A port follows its carrier through the kernel's linkwatch work, which runs up to a second after the
    // guest attached (it batches events): the port of a guest that just came is forwarding within that.
    const ports = () => ns.ipJson<Array<{ifname: string; master?: string; linkinfo: {info_slave_data?: {state: string}}}>>(['-d', 'link', 'show', 'master', 'br0'])
      .filter((l) => l.ifname.startsWith('tap-')).map((l) => [l.ifname, l.linkinfo.info_slave_data?.state])
    for (let i = 0; i < 30 && ports().some(([, state]) => state !== 'forwarding'); i++) await new Promise((r) => setTimeout(r, 100))
    expect(ports()).toEqual([['tap-web', 'forwarding'], ['tap-db', 'forwarding']])
    const {status, report} = doctor(['--json'])
    expect(problems(report).filter((p) => !p.endsWith(':ok') && !p.endsWith(':skip'))).toEqual([])
    expect(status).toBe(0)
    expect(finding(report, 'device.port-state', 'tap-web')).toMatchObject({status: 'ok', messages: ['forwarding in br0']})
    // The taps the config leaves down are judged by their entry: down is what it declares.
    expect(finding(report, 'device.up', 'tap5')).toMatchObject({status: 'ok', messages: ['tap5 is down, as its config entry declares (up: false)']})
    expect(finding(report, 'device.config', 'tap5')?.status).toBe('ok')
    expect(finding(report, 'system.config')?.messages[0]).toBe(`${config} declares 10 devices: each is checked against its entry`)
    const text = doctor(['--problems'])
    expect(text.stdout.split('\n')[0]).toBe('no problems found')
  })

  test('the bridge is down: no frame passes, and doctor says so for each port, with the fix in the namespace', async () => {
    await guest('tap-db', '52:54:00:00:00:02', '10.20.0.2')
    ns.ip(['link', 'set', 'br0', 'down'])
    expect(ping('tap-web', '52:54:00:00:00:01', '10.20.0.1', '10.20.0.2', 3)).toMatch(/^timeout/)
    const {status, report} = doctor(['--json', '--problems'])
    expect(status).toBe(1)
    // Every port of br0 (also the two the config leaves down), and nothing else.
    expect(problems(report).filter((p) => p.endsWith(':fail'))).toEqual(['tap-db:device.master:fail', 'tap-web:device.master:fail', 'tap0:device.master:fail', 'tap1:device.master:fail'])
    const f = finding(report, 'device.master', 'tap-db')!
    expect(f.status).toBe('fail')
    expect(f.fix?.commands).toEqual([`ip -n ${ns.name} link set br0 up`])
    // Running the fix brings the traffic back.
    ns.ip(['link', 'set', 'br0', 'up'])
    expect(ping('tap-web', '52:54:00:00:00:01', '10.20.0.1', '10.20.0.2')).toBe('reply from 10.20.0.2')
  })

  test('a loop through two ports (a guest joining its two NICs): STP blocks one, and doctor names it, with bridge commands in the namespace', async () => {
    // A bridge with STP, and two taps made by hand (not the config's): the loop is the guest's doing.
    ns.ip(['link', 'add', 'br1', 'type', 'bridge', 'stp_state', '1', 'forward_delay', '200', 'hello_time', '100'])
    ns.ip(['link', 'set', 'br1', 'up'])
    try {
      for (const t of ['tapa', 'tapb']) {
        expect(ns.tunadm(['add', t, '--group', '65534', '--up']).status).toBe(0)
        ns.ip(['link', 'set', t, 'master', 'br1'])
      }
      await wire('tapa', 'tapb')
      const state = () => Object.fromEntries(JSON.parse(sh('bridge', ['-n', ns.name, '-j', 'link', 'show', 'master', 'br1']).stdout).map((l: {ifname: string; state: string}) => [l.ifname, l.state]))
      for (let i = 0; i < 100 && !Object.values(state()).includes('blocking'); i++) await new Promise((r) => setTimeout(r, 100))
      const states = state()
      const blocked = Object.keys(states).find((k) => states[k] === 'blocking')!
      expect(blocked).toBeDefined()
      const {status, report} = doctor(['--json', '--problems'])
      expect(status).toBe(1)
      const f = finding(report, 'device.port-state', blocked)!
      expect(f).toMatchObject({status: 'fail', messages: [expect.stringMatching(new RegExp(`^${blocked} is blocking in br1: br1 drops every frame to and from it except STP's \\(STP found a loop`))]})
      expect(f.fix?.commands).toEqual([`bridge -n ${ns.name} link show dev ${blocked}`, `ip -n ${ns.name} -d link show br1`, `ip -n ${ns.name} link set br1 type bridge stp_state 0`, `bridge -n ${ns.name} link set dev ${blocked} state 3`])
      // The other end is forwarding, or still on its way there through listening and learning (a warning).
      const other = blocked === 'tapa' ? 'tapb' : 'tapa'
      expect(['ok', 'warn']).toContain(finding(report, 'device.port-state', other)?.status ?? 'ok')
    } finally {
      await release()
      ns.tunadm(['del', 'tapa', 'tapb'])
      ns.ip(['link', 'del', 'br1'])
    }
  })

  test('an MTU that differs from the bridge\'s is found; the bridge follows its smallest port', () => {
    expect(ns.tunadm(['set', 'tap1', '--mtu', '1400']).status).toBe(0)
    expect(ns.link('br0')?.mtu).toBe(1400)
    const {report} = doctor(['--json', '--problems'])
    const f = finding(report, 'device.port-mtu', 'tap-web')!
    expect(f.status).toBe('warn')
    expect(f.messages[0]).toMatch(/^tap-web has MTU 1500 and br0 has MTU 1400/)
    expect(f.fix?.commands).toEqual([`sudo tunadm set tap-web --mtu 1400 --netns ${ns.name}`])
  })

  test('apply makes the ports (ip agrees), list, show and --json say which bridge; a tap taken out is put back, --dry-run says "would"', () => {
    const masters = () => Object.fromEntries(ns.links().filter((l) => l.linkinfo?.info_kind === 'tun').map((l) => [l.ifname, (l as {master?: string}).master ?? null]))
    expect(masters()).toEqual({'tap-web': 'br0', 'tap-db': 'br0', tap0: 'br0', tap1: 'br0', tap2: 'br-spare', tap3: 'br-spare', tap4: 'br-spare', tap5: 'br-spare', tap6: 'br-spare', tap7: 'br-spare'})
    const list = ns.tunadm(['list'])
    expect(list.stdout.split('\n')[0]).toMatch(/^NAME +MODE +OWNER +GROUP +STATE +MTU +MASTER +FLAGS +MAC$/)
    expect(list.stdout).toMatch(/\ntap-web +tap +- +nogroup +up, no-carrier +1500 +br0 +persist +fe:54:00:12:34:56\n/)
    expect(ns.tunadm(['show', 'tap2']).stdout).toMatch(/\n  master +br-spare\n/)
    const br0 = ns.link('br0')!.ifindex
    expect(json<Array<{name: string; master: unknown}>>(ns.tunadm(['list', '--json'])).find((d) => d.name === 'tap-db')?.master).toEqual({name: 'br0', index: br0})
    // Taken out by hand: doctor says it drifted, apply puts it back.
    ns.ip(['link', 'set', 'tap-db', 'nomaster'])
    const {report} = doctor(['--json', '--problems'])
    expect(finding(report, 'device.config', 'tap-db')?.messages[0]).toBe(`tap-db differs from its entry in ${config}: master none (declared br0)`)
    const dry = ns.tunadm(['apply', '--config', config, '--dry-run'])
    expect(dry.stdout).toContain('tap-db: would change (would set master br0)')
    expect(masters()['tap-db']).toBeNull()
    const fixed = ns.tunadm(['apply', '--config', config])
    expect(fixed.stdout).toContain('tap-db: changed (master none -> br0)')
    expect(masters()['tap-db']).toBe('br0')
    expect(ns.tunadm(['apply', '--config', config]).stdout).toMatch(/10 device\(s\): 10 unchanged/)
  })

  test('init asks this namespace for each master\'s kind: networkd Bridge=, NetworkManager slave-type=bridge', () => {
    const networkd = json<{files: Array<{path: string; content: string}>; notes: string[]}>(ns.tunadm(['init', '--target', 'networkd', '--config', config, '--json']))
    expect(networkd.files.find((f) => f.path === '10-tunadm-tap-web.network')?.content).toContain('\nBridge=br0\n')
    expect(networkd.files.find((f) => f.path === '10-tunadm-tap7.network')?.content).toContain('\nBridge=br-spare\n')
    expect(networkd.notes.filter((n) => n.includes('does not exist on this machine'))).toEqual([])
    const nm = json<{files: Array<{path: string; content: string}>}>(ns.tunadm(['init', '--target', 'nm', '--config', config, '--json']))
    expect(nm.files.find((f) => f.path === 'tunadm-tap-db.nmconnection')?.content).toContain('\nmaster=br0\nslave-type=bridge\n')
  })

  test('add and set --master / --no-master; a missing master or a veth is refused and nothing is made or changed', () => {
    ns.ip(['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1'])
    try {
      const missing = ns.tunadm(['add', 'tapm', '--master', 'br9', '--group', '65534'])
      expect(missing.status).toBe(1)
      expect(missing.stderr).toContain('error: cannot make tapm a port of br9: there is no device named br9')
      // The fix acts in the namespace the command was given (ip -n NS).
      expect(missing.stderr).toContain(`fix: create it first (ip -n ${ns.name} link add br9 type bridge && ip -n ${ns.name} link set br9 up`)
      const veth = ns.tunadm(['add', 'tapm', '--master', 'v0', '--group', '65534'])
      expect(veth.status).toBe(1)
      expect(veth.stderr).toContain('v0 is a veth, not a bridge, bond or vrf')
      expect(ns.link('tapm')).toBeUndefined()
      expect(ns.tunadm(['add', 'tapm', '--master', 'br-spare', '--group', '65534']).status).toBe(0)
      expect((ns.link('tapm') as {master?: string}).master).toBe('br-spare')
      expect(ns.tunadm(['set', 'tapm', '--master', 'v0']).status).toBe(1)
      expect((ns.link('tapm') as {master?: string}).master).toBe('br-spare')
      expect(ns.tunadm(['set', 'tapm', '--no-master', '--dry-run']).stdout).toBe('tapm: would change master br-spare -> none\n')
      expect(ns.tunadm(['set', 'tapm', '--no-master']).stdout).toBe('tapm: master br-spare -> none\n')
      expect((ns.link('tapm') as {master?: string}).master).toBeUndefined()
      expect(ns.tunadm(['set', 'tapm', '--master', 'br0', '--mtu', '1400']).stdout).toBe('tapm: mtu 1500 -> 1400; master none -> br0\n')
      expect((ns.link('tapm') as {master?: string}).master).toBe('br0')
    } finally {
      ns.tunadm(['del', 'tapm'])
      ns.ip(['link', 'del', 'v0'])
    }
  })

  test('drift from the config is one finding with apply as the fix; a missing declared device fails; apply mends both; a missing master is one line for its taps', () => {
    ns.ip(['link', 'set', 'tap-web', 'down'])
    ns.ip(['link', 'set', 'tap-web', 'mtu', '1400'])
    ns.ip(['link', 'del', 'tap7'])
    const {status, report} = doctor(['--json', '--problems'])
    expect(status).toBe(1)
    expect(problems(report).filter((p) => p.endsWith(':fail'))).toEqual(['tap-web:device.config:fail', 'tap7:device.exists:fail'])
    const drift = finding(report, 'device.config', 'tap-web')!
    expect(drift.messages[0]).toBe(`tap-web differs from its entry in ${config}: up false (declared true)`)
    expect(drift.fix?.commands).toEqual([`tunadm apply --config ${config} --dry-run --netns ${ns.name}`, `sudo tunadm apply --config ${config} --netns ${ns.name}`])
    expect(finding(report, 'device.exists', 'tap7')?.messages[0]).toBe(`tap7 is declared in ${config} but there is no device of that name in this network namespace`)
    expect(ns.tunadm(['apply', '--config', config]).status).toBe(0)
    ns.ip(['link', 'set', 'tap-web', 'mtu', '1500'])
    expect(doctor(['--json', '--problems']).report.findings.filter((f) => f.status === 'fail')).toEqual([])
    // The bridge the config names for tap2..tap7 is gone (the kernel took its ports out): one problem, said once.
    ns.ip(['link', 'del', 'br-spare'])
    try {
      const gone = doctor(['--problems'])
      expect(gone.status).toBe(1)
      expect(gone.stdout).toContain(`[FAIL]  tap{2..7} (6 devices): Matches its config entry: tap{2..7} is declared in ${config}, but apply cannot make it match: cannot make tap{2..7} a port of br-spare: there is no device named br-spare`)
      expect(gone.stdout.split('\n').filter((l) => l.startsWith('[FAIL]'))).toHaveLength(1)
    } finally {
      ns.ip(['link', 'add', 'br-spare', 'type', 'bridge'])
      ns.ip(['link', 'set', 'br-spare', 'up'])
    }
  })
})
