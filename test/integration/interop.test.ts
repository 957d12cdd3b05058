/**
 * The programs people attach to TUN/TAP devices, run for real against devices tunadm made, as the
 * devices' non-root owner (nobody): QEMU (paused, no KVM), OpenVPN between two namespaces, socat, and
 * a small C client. Each runs in throwaway namespaces; every process is killed afterwards. A program
 * the machine lacks fails the test under CI (which installs them) and is skipped loudly elsewhere.
 */
import {ChildProcess, spawn, spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import {Netns, ROOT, describeKernel, json, sh} from '../helpers/kernel'
import {asUserArgv, userDir} from '../helpers/holder'

const NOBODY = 65534
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0

/** test() that needs programs: under CI a missing one fails; elsewhere the test is skipped, loudly. */
function withPrograms(programs: string[], name: string, fn: () => Promise<void> | void, timeout = 30000): void {
  const missing = programs.filter((p) => !have(p))
  const body = async () => {
    await fn()
  }
  if (missing.length === 0) return void test(name, body, timeout)
  if (process.env.CI) return void test(name, () => { throw new Error(`${missing.join(', ')} not installed; .ci/run installs them`) })
  process.stderr.write(`\n*** SKIPPING "${name}": ${missing.join(', ')} not installed ***\n\n`)
  test.skip(name, body)
}

describeKernel('real clients attach to tunadm devices as their non-root owner', () => {
  let ns: Netns
  const procs: ChildProcess[] = []
  const dirs: string[] = []

  /** Start `command` in `netns` as nobody through a private 0666 node; output is collected. */
  function asNobody(netns: string, command: string[], opts: {stdin?: boolean} = {}): ChildProcess & {output: () => string} {
    const dir = userDir()
    dirs.push(dir)
    const argv = asUserArgv(netns, dir, command, {uid: NOBODY})
    // stdin open (a pipe) for programs that quit at its end, as vde_switch does.
    const child = spawn(argv[0], argv.slice(1), {stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe']}) as ChildProcess & {output: () => string}
    let out = ''
    child.stdout!.on('data', (d) => (out += d))
    child.stderr!.on('data', (d) => (out += d))
    child.output = () => out
    procs.push(child)
    return child
  }

  /** Wait until `probe` holds, polling; fail with `what` after `ms`. */
  async function until(what: string, probe: () => boolean, ms = 8000): Promise<void> {
    const end = Date.now() + ms
    while (Date.now() < end) {
      if (probe()) return
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`timed out waiting for ${what}`)
  }

  const stop = (p: ChildProcess) => new Promise<void>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve()
    p.once('exit', () => resolve())
    p.kill('SIGTERM')
    setTimeout(() => p.kill('SIGKILL'), 2000).unref()
  })

  beforeAll(() => {
    ns = new Netns('interop')
  })
  afterEach(async () => {
    await Promise.all(procs.splice(0).map(stop))
    for (const d of dirs.splice(0)) fs.rmSync(d, {recursive: true, force: true})
    for (const l of ns.links()) if (l.ifname !== 'lo') sh('ip', ['-n', ns.name, 'link', 'del', l.ifname])
  })
  afterAll(() => ns?.remove())

  withPrograms(['qemu-system-x86_64'], 'QEMU -netdev tap, single- and multi-queue: tunadm sees it, del refuses, --explain knows its busy message', async () => {
    expect(ns.tunadm(['add', 'tap0', '--user', 'nobody']).status).toBe(0)
    expect(ns.tunadm(['add', 'tap1', '--user', 'nobody', '--multi-queue', '--vnet-hdr']).status).toBe(0)
    const qemu = ['qemu-system-x86_64', '-S', '-nodefaults', '-display', 'none', '-machine', 'none',
      '-netdev', 'tap,id=n0,ifname=tap0,script=no,downscript=no', '-netdev', 'tap,id=n1,ifname=tap1,queues=2,script=no,downscript=no,vhost=off']
    const vm = asNobody(ns.name, qemu)
    const show = (n: string) => json(ns.tunadm(['show', n, '--json']))
    await until(`QEMU to attach (${vm.output()})`, () => show('tap1').queues === 2 && show('tap0').carrier === true)
    expect(show('tap0').processes).toEqual([expect.objectContaining({command: 'qemu-system-x86'})])
    expect(ns.tunadm(['show', 'tap0']).stdout).toMatch(/queues\s+single queue, attached/)
    expect(ns.tunadm(['show', 'tap1']).stdout).toMatch(/queues\s+2 attached/)
    expect(ns.tunadm(['list', '--processes']).stdout).toMatch(/tap0 .*qemu-system-x86 \(pid \d+\)/)
    const doctor = json(ns.tunadm(['doctor', 'tap0', '--json']))
    expect(doctor.findings.find((f: {id: string}) => f.id === 'device.processes').messages[0]).toMatch(/attached: qemu-system-x86/)
    const del = ns.tunadm(['del', 'tap0', '--json'])
    expect([del.status, json(del).error.code]).toEqual([1, 'EBUSY'])
    expect(json(del).error.message).toMatch(/in use by qemu-system-x86/)
    // A second QEMU on the same single-queue device: its own message, explained.
    const d2 = userDir()
    dirs.push(d2)
    const argv2 = asUserArgv(ns.name, d2, [...qemu.slice(0, 7), '-netdev', 'tap,id=n0,ifname=tap0,script=no,downscript=no'], {uid: NOBODY})
    const second = spawnSync(argv2[0], argv2.slice(1), {encoding: 'utf8', timeout: 10000})
    const message = second.stderr.split('\n').find((l) => /resource busy/i.test(l)) ?? ''
    expect(message).toMatch(/could not configure \/dev\/net\/tun \(tap0\): Device or resource busy/)
    const e = json(ns.tunadm(['doctor', '--explain', message, '--json']))
    const causes = Object.fromEntries(e.patterns.flatMap((p: {causes: Array<{id: string; verdict: string}>}) => p.causes.map((c) => [c.id, c.verdict])))
    expect(causes).toMatchObject({'single-queue-held': 'likely', 'name-taken': 'unlikely'})
    await stop(vm)
    await until('QEMU to let go', () => show('tap0').carrier === false)
    expect(ns.tunadm(['del', 'tap0', 'tap1']).status).toBe(0)
  })

  withPrograms(['openvpn', 'ping'], 'OpenVPN p2p between two namespaces, run by the owner with no root at all: ping crosses the tunnel', async () => {
    const b = new Netns('ovpn-b')
    try {
      const key = path.join(userDir(), 'static.key')
      dirs.push(path.dirname(key))
      expect(sh('openvpn', ['--genkey', 'secret', key]).status).toBe(0)
      fs.chmodSync(key, 0o644)
      const [va, vb] = [`va${process.pid % 10000}`, `vb${process.pid % 10000}`]
      expect(sh('ip', ['link', 'add', va, 'netns', ns.name, 'type', 'veth', 'peer', 'name', vb, 'netns', b.name]).status).toBe(0)
      ns.ip(['addr', 'add', '10.99.0.1/24', 'dev', va])
      b.ip(['addr', 'add', '10.99.0.2/24', 'dev', vb])
      for (const [n, v] of [[ns, va], [b, vb]] as const) {
        n.ip(['link', 'set', v, 'up'])
        n.ip(['link', 'set', 'lo', 'up'])
      }
      // tunadm gives each end its device, address and state; OpenVPN only attaches and carries packets.
      expect(ns.tunadm(['add', 'tun0', '--user', 'nobody', '--address', '10.8.0.1', '--peer', '10.8.0.2', '--up']).status).toBe(0)
      expect(b.tunadm(['add', 'tun0', '--user', 'nobody', '--address', '10.8.0.2', '--peer', '10.8.0.1', '--up']).status).toBe(0)
      const ovpn = (local: string, remote: string) => ['openvpn', '--dev', 'tun0', '--dev-type', 'tun', '--ifconfig-noexec', '--route-noexec',
        '--local', local, '--remote', remote, '--port', '1194', '--proto', 'udp', '--secret', key, '--cipher', 'AES-256-CBC', '--verb', '3']
      const a1 = asNobody(ns.name, ovpn('10.99.0.1', '10.99.0.2'))
      const b1 = asNobody(b.name, ovpn('10.99.0.2', '10.99.0.1'))
      await until(`both ends to come up (${a1.output()} ${b1.output()})`, () => /Initialization Sequence Completed/.test(a1.output()) && /Initialization Sequence Completed/.test(b1.output()), 15000)
      const ping = ns.exec('ping', ['-c', '2', '-W', '2', '10.8.0.2'])
      expect(ping.stdout).toMatch(/2 received/)
      expect(json(ns.tunadm(['show', 'tun0', '--json'])).processes).toEqual([expect.objectContaining({command: 'openvpn'})])
      await Promise.all([stop(a1), stop(b1)])
    } finally {
      b.remove()
    }
  }, 40000)

  withPrograms(['gcc'], 'a C client attaches, writes a packet and reads the kernel\'s reply; a user who is not the owner gets EPERM', () => {
    const dir = userDir()
    dirs.push(dir)
    const bin = path.join(dir, 'tunping')
    const cc = sh('gcc', ['-O2', '-o', bin, path.join(ROOT, 'test', 'helpers', 'tunping.c')])
    expect(cc.stderr).toBe('')
    expect(ns.tunadm(['add', 'tun3', '--user', 'nobody', '--address', '10.77.0.1', '--peer', '10.77.0.2', '--up']).status).toBe(0)
    const run = (uid: number) => {
      const d = userDir()
      dirs.push(d)
      const argv = asUserArgv(ns.name, d, [bin, 'tun3', '10.77.0.1', '10.77.0.2'], {uid})
      return spawnSync(argv[0], argv.slice(1), {encoding: 'utf8', timeout: 10000})
    }
    const owner = run(NOBODY)
    expect([owner.status, owner.stdout]).toEqual([0, 'reply from 10.77.0.1\n'])
    const stranger = run(12345)
    expect([stranger.status, stranger.stdout]).toEqual([1, 'error EPERM\n'])
  })

  withPrograms(['socat'], 'socat attaches as the owner, but sets the flags itself: the EPERM is explained with what helps', async () => {
    expect(ns.tunadm(['add', 'tun4', '--user', 'nobody', '--address', '10.44.0.1/24', '--up']).status).toBe(0)
    const s = asNobody(ns.name, ['socat', '-u', 'TUN,tun-name=tun4,tun-type=tun,iff-no-pi', 'STDOUT'])
    await new Promise((r) => s.once('exit', r))
    const line = s.output().split('\n').find((l) => /SIOCSIFFLAGS/.test(l)) ?? ''
    expect(line).toMatch(/ioctl\(\d+, SIOCSIFFLAGS, \{"tun4".*Operation not permitted/)
    const e = json(ns.tunadm(['doctor', '--explain', line, '--json']))
    expect(e.device).toBe('tun4')
    expect(e.patterns.map((p: {id: string}) => p.id)).toEqual(['socat-set-flags-eperm'])
    expect(e.patterns[0].causes[0].fix.commands.join('\n')).toContain('setcap cap_net_admin')
    // As root (CAP_NET_ADMIN), the same socat attaches and tunadm names it.
    const root = spawn('ip', ['netns', 'exec', ns.name, 'socat', '-u', 'TUN,tun-name=tun4,tun-type=tun,iff-no-pi,iff-up', 'STDOUT'], {stdio: 'ignore'})
    procs.push(root)
    await until('socat to attach', () => json(ns.tunadm(['show', 'tun4', '--json'])).processes?.[0]?.command === 'socat')
  })

  withPrograms(['openvpn'], 'devices made by ip tuntap and openvpn --mktun are shown as they are and deleted without a mode', () => {
    expect(ns.exec('ip', ['tuntap', 'add', 'dev', 'tapx', 'mode', 'tap', 'user', 'nobody', 'multi_queue']).status).toBe(0)
    expect(ns.exec('openvpn', ['--mktun', '--dev', 'tuny', '--dev-type', 'tun', '--user', 'nobody']).status).toBe(0)
    const list = json(ns.tunadm(['list', '--json']))
    const by = Object.fromEntries(list.map((d: {name: string}) => [d.name, d]))
    expect(by.tapx).toMatchObject({mode: 'tap', multiQueue: true, persist: true, owner: {id: NOBODY, name: 'nobody'}})
    expect(by.tuny).toMatchObject({mode: 'tun', persist: true, owner: {id: NOBODY, name: 'nobody'}})
    const del = ns.tunadm(['del', 'tapx', 'tuny'])
    expect(del.stdout).toBe('deleted tapx (tap)\ndeleted tuny (tun)\n')
    expect(ns.links().map((l) => l.ifname)).toEqual(['lo'])
  })

  // ---- round 2: programs that keep the fd elsewhere, switches, VPN daemons, tunctl --------------------------

  /** The causes --explain gives a message, by id, with their verdicts. */
  const explained = (message: string, ...extra: string[]) => {
    const e = json(ns.tunadm(['doctor', '--explain', message, ...extra, '--json']))
    return {e, verdicts: Object.fromEntries(e.patterns.flatMap((p: {causes: Array<{id: string; verdict: string}>}) => p.causes.map((c) => [c.id, c.verdict])))}
  }

  withPrograms(['slirp4netns'], 'slirp4netns keeps the tap\'s fd outside the namespace: named wherever it runs; after ip link set netns, the idle new device of that name is deletable', async () => {
    expect(ns.tunadm(['add', 'tap0', '--user', 'nobody']).status).toBe(0)
    // slirp4netns runs here (the outer namespace) and attaches to tap0 inside ns, as for a rootless container.
    const slirp = spawn('slirp4netns', ['--netns-type=path', '--disable-host-loopback', `/run/netns/${ns.name}`, 'tap0'], {stdio: ['ignore', 'pipe', 'pipe']})
    procs.push(slirp)
    const show = (n: Netns, name = 'tap0') => json(n.tunadm(['show', name, '--json']))
    await until('slirp4netns to attach', () => show(ns).carrier === true)
    expect(show(ns).processes).toEqual([expect.objectContaining({command: 'slirp4netns', verified: true, elsewhere: true})])
    expect(ns.tunadm(['show', 'tap0']).stdout).toMatch(/queues +single queue, attached\n[\s\S]*processes +slirp4netns \(pid \d+, in another network namespace\)/)
    const refused = ns.tunadm(['del', 'tap0'])
    expect([refused.status, refused.stderr.split('\n')[0]]).toEqual([1, expect.stringMatching(/^error: tap0 is in use by slirp4netns \(pid \d+, in another network namespace\)$/)])
    // The repro: the held device moves to Y; a new tap0 is made in X, where nothing holds it.
    const y = new Netns('slirp-y')
    try {
      ns.ip(['link', 'set', 'tap0', 'netns', y.name])
      expect(ns.tunadm(['add', 'tap0', '--user', 'nobody']).status).toBe(0)
      // In Y (really held): the holder named next to the kernel's "attached", by doctor too.
      expect(show(y).processes).toEqual([expect.objectContaining({command: 'slirp4netns', verified: true})])
      const doctor = json(y.tunadm(['doctor', 'tap0', '--json']))
      const find = (id: string) => doctor.findings.find((f: {id: string}) => f.id === id)
      expect(find('device.processes').messages[0]).toMatch(/^attached: slirp4netns \(pid \d+, in another network namespace\)$/)
      expect(find('device.carrier').status).toBe('ok')
      expect(y.tunadm(['del', 'tap0']).status).toBe(1)
      // In X (idle, no carrier): nobody is named, and del deletes it.
      expect(show(ns)).toMatchObject({carrier: false, processes: []})
      const del = ns.tunadm(['del', 'tap0'])
      expect([del.status, del.stderr]).toEqual([0, ''])
      expect(ns.link('tap0')).toBeUndefined()
    } finally {
      y.remove()
    }
  }, 30000)

  withPrograms(['pasta'], 'pasta (passt) attaches from outside as well: named, del refused, then deletable once it has gone', async () => {
    expect(ns.tunadm(['add', 'tap6', '--user', 'nobody']).status).toBe(0)
    // --runas 0: as root, pasta would otherwise switch to nobody, who cannot enter the namespace.
    const pasta = spawn('pasta', ['-f', '-q', '--runas', '0', '--netns', `/run/netns/${ns.name}`, '--netns-only', '-I', 'tap6', '-t', 'none', '-u', 'none', '-T', 'none', '-U', 'none'], {stdio: ['ignore', 'pipe', 'pipe']})
    procs.push(pasta)
    const show = () => json(ns.tunadm(['show', 'tap6', '--json']))
    await until('pasta to attach', () => show().carrier === true)
    expect(show().processes).toEqual([expect.objectContaining({command: expect.stringMatching(/^pas/), verified: true, elsewhere: true})])
    expect(ns.tunadm(['del', 'tap6']).stderr).toMatch(/^error: tap6 is in use by pas\S* \(pid \d+, in another network namespace\)/)
    await stop(pasta)
    expect(ns.tunadm(['del', 'tap6']).status).toBe(0)
  })

  withPrograms(['vde_switch'], 'VDE2: vde_switch attaches as the owner; a second one gets EBUSY, which --explain reads (device on its second line) as held, not a taken name', async () => {
    expect(ns.tunadm(['add', 'tap2', '--user', 'nobody', '--up']).status).toBe(0)
    const dir = userDir()
    dirs.push(dir)
    fs.chmodSync(dir, 0o777)
    const sw = asNobody(ns.name, ['vde_switch', '-t', 'tap2', '-s', path.join(dir, 'sw1')], {stdin: true})
    await until(`vde_switch to attach (${sw.output()})`, () => json(ns.tunadm(['show', 'tap2', '--json'])).processes?.[0]?.command === 'vde_switch')
    expect(json(ns.tunadm(['doctor', 'tap2', '--json'])).findings.find((f: {id: string}) => f.id === 'device.carrier').status).toBe('ok')
    const second = asNobody(ns.name, ['vde_switch', '-t', 'tap2', '-s', path.join(dir, 'sw2')], {stdin: true})
    await until(`the second vde_switch to fail (${second.output()})`, () => /ERROR OPENING tap interface/.test(second.output()))
    const message = second.output().split('\n').filter((l) => /TUNSETIFF|ERROR OPENING/.test(l)).join('\n')
    expect(message).toMatch(/vde_switch: TUNSETIFF failed Device or resource busy\nvde_switch: ERROR OPENING tap interface: tap2/)
    const {e, verdicts} = explained(message)
    expect(e.device).toBe('tap2')
    expect(verdicts).toEqual({'single-queue-held': 'likely', 'name-taken': 'unlikely'})
    expect(JSON.stringify(e)).not.toContain('tunadm del')
  })

  withPrograms(['tincd'], 'tinc 1.0: tincd attaches to the owner\'s tap as nobody; a second tincd\'s EBUSY is explained as held', async () => {
    expect(ns.tunadm(['add', 'tap3', '--user', 'nobody']).status).toBe(0)
    const dir = userDir()
    dirs.push(dir)
    const conf = (name: string, port: number) => {
      const d = path.join(dir, name)
      fs.mkdirSync(path.join(d, 'hosts'), {recursive: true})
      fs.writeFileSync(path.join(d, 'tinc.conf'), `Name = ${name}\nInterface = tap3\nDeviceType = tap\nMode = switch\n`)
      fs.writeFileSync(path.join(d, 'hosts', name), `Port = ${port}\n`)
      // tinc 1.0 needs a key pair to start; -K asks where to write it (the defaults: two empty answers).
      expect(spawnSync('tincd', ['-c', d, '-K', '1024'], {input: '\n\n', encoding: 'utf8'}).status).toBe(0)
      spawnSync('chown', ['-R', 'nobody', d])
      return d
    }
    const run = (d: string) => asNobody(ns.name, ['tincd', '-c', d, '-D', '-d1', `--pidfile=${d}/pid`, `--logfile=${d}/log`])
    const a = conf('a', 6550)
    run(a)
    await until('tincd to attach', () => json(ns.tunadm(['show', 'tap3', '--json'])).processes?.[0]?.command === 'tincd')
    const b = conf('b', 6551)
    const second = run(b)
    await new Promise((r) => second.once('exit', r))
    const message = fs.readFileSync(path.join(b, 'log'), 'utf8').split('\n').find((l) => /resource busy/.test(l)) ?? ''
    expect(message).toMatch(/Error while trying to configure \/dev\/net\/tun: Device or resource busy/)
    const {verdicts} = explained(message, 'tap3')
    expect(verdicts).toEqual({'single-queue-held': 'likely', 'name-taken': 'unlikely'})
  }, 40000)

  withPrograms(['tunctl'], 'tunctl (uml-utilities): its EBUSY on a held tap and its EINVAL on a TUN device are explained; as the owner, tunctl -d and tunadm del both delete', async () => {
    expect(ns.tunadm(['add', 'tap5', '--user', 'nobody']).status).toBe(0)
    expect(ns.tunadm(['add', 'tun5', '--user', 'nobody']).status).toBe(0)
    const holder = asNobody(ns.name, ['vde_switch', '-t', 'tap5', '-s', '/tmp/tunadm-never-used'], {stdin: true})
    await until(`the tap to be held (${holder.output()})`, () => json(ns.tunadm(['show', 'tap5', '--json'])).carrier === true)
    const tunctl = (...args: string[]) => {
      const d = userDir()
      dirs.push(d)
      const argv = asUserArgv(ns.name, d, ['tunctl', ...args], {uid: NOBODY})
      return spawnSync(argv[0], argv.slice(1), {encoding: 'utf8', timeout: 10000})
    }
    const busy = tunctl('-t', 'tap5')
    expect(busy.stderr.trim()).toBe('TUNSETIFF: Device or resource busy')
    expect(explained(busy.stderr.trim(), 'tap5').verdicts).toEqual({'single-queue-held': 'likely', 'name-taken': 'unlikely'})
    const tun = tunctl('-t', 'tun5')
    expect(tun.stderr.trim()).toBe('TUNSETIFF: Invalid argument')
    const onTun = explained(tun.stderr.trim(), 'tun5')
    expect(onTun.verdicts['tunctl-tap-only']).toBe('likely')
    expect(onTun.e.patterns[0].causes[0].text).toContain('tunctl makes and attaches only TAP devices')
    await stop(holder)
    // The owner deletes its own device without root, with tunctl and with tunadm alike.
    expect(tunctl('-d', 'tap5').status).toBe(0)
    expect(ns.link('tap5')).toBeUndefined()
    const d = userDir()
    dirs.push(d)
    const argv = asUserArgv(ns.name, d, [process.execPath, path.join(ROOT, 'bin', 'run.js'), 'del', 'tun5'], {uid: NOBODY})
    const del = spawnSync(argv[0], argv.slice(1), {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
    expect([del.status, del.stdout]).toEqual([0, 'deleted tun5 (tun)\n'])
    expect(ns.link('tun5')).toBeUndefined()
  })
})
