/** tunadm add / del / list / show against the real kernel, in a throwaway network namespace. */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {spawn} from 'node:child_process'
import {Netns, describeKernel, json, must, sh, BIN} from '../helpers/kernel'
import {asUserArgv, hold, userDir} from '../helpers/holder'

describeKernel('core commands against the kernel', () => {
  let ns: Netns

  beforeAll(() => {
    ns = new Netns('core')
  })
  afterAll(() => ns?.remove())

  afterEach(() => {
    // Leave the namespace empty between tests: delete every tun/tap device left over.
    for (const l of ns.links()) if (l.linkinfo?.info_kind === 'tun') sh('ip', ['-n', ns.name, 'link', 'del', l.ifname])
  })

  test('add creates a persistent TUN device owned by the given user; ip agrees', () => {
    const r = ns.tunadm(['add', 'tun77', '--user', 'nobody', '--json'])
    expect(r.status).toBe(0)
    const dev = json(r)
    expect(dev).toMatchObject({name: 'tun77', mode: 'tun', persist: true, owner: {id: 65534, name: 'nobody'}, group: null, pi: false})
    const link = ns.link('tun77')!
    expect(link.linkinfo?.info_kind).toBe('tun')
    expect(link.linkinfo?.info_data).toMatchObject({type: 'tun', persist: true, pi: false, user: 'nobody'})
  })

  test('mode is inferred from the name; tap devices get a MAC', () => {
    expect(ns.tunadm(['add', 'tap5']).status).toBe(0)
    expect(ns.link('tap5')?.linkinfo?.info_data?.type).toBe('tap')
    const shown = json(ns.tunadm(['show', 'tap5', '--json']))
    expect(shown.mac).toBe(ns.link('tap5')?.address)
  })

  test('the owner defaults to the invoking user, SUDO_UID under sudo', () => {
    expect(ns.tunadm(['add', 'tun1']).status).toBe(0)
    expect(ns.link('tun1')?.linkinfo?.info_data?.user).toBe('root')
    expect(ns.tunadm(['add', 'tun2'], {env: {SUDO_UID: '65534'}}).status).toBe(0)
    expect(ns.link('tun2')?.linkinfo?.info_data?.user).toBe('nobody')
  })

  test('--group alone sets only the group; --any-user sets neither and list says so', () => {
    expect(ns.tunadm(['add', 'tap1', '--group', 'nogroup']).status).toBe(0)
    const d1 = ns.link('tap1')?.linkinfo?.info_data
    expect(d1?.group).toBe('nogroup')
    expect(d1?.user).toBeUndefined()
    expect(ns.tunadm(['add', 'tap2', '--any-user']).status).toBe(0)
    const d2 = ns.link('tap2')?.linkinfo?.info_data
    expect(d2?.user).toBeUndefined()
    expect(d2?.group).toBeUndefined()
    const listed = json<Array<{name: string; anyUserMayAttach: boolean}>>(ns.tunadm(['list', '--json']))
    expect(listed.find((d) => d.name === 'tap2')?.anyUserMayAttach).toBe(true)
    expect(listed.find((d) => d.name === 'tap1')?.anyUserMayAttach).toBe(false)
    expect(ns.tunadm(['list']).stdout).toMatch(/tap2\s+tap\s+any user/)
    expect(ns.tunadm(['show', 'tap2']).stdout).toContain('any user who can open /dev/net/tun may attach')
  })

  test('flags: --pi, --vnet-hdr, --multi-queue reach the kernel; --one-queue is accepted', () => {
    const r = ns.tunadm(['add', 'tap9', '--pi', '--vnet-hdr', '--multi-queue', '--one-queue'])
    expect(r.status).toBe(0)
    expect(ns.link('tap9')?.linkinfo?.info_data).toMatchObject({pi: true, vnet_hdr: true, multi_queue: true})
  })

  test('kernel-chosen names: no name, and a template; --quiet prints just the name', () => {
    const a = ns.tunadm(['add', '-q', '--mode', 'tap'])
    expect(a.status).toBe(0)
    const name = a.stdout.trim()
    expect(name).toMatch(/^tap\d+$/)
    expect(ns.link(name)?.linkinfo?.info_data?.type).toBe('tap')
    const b = ns.tunadm(['add', 'vnet%d', '--mode', 'tap', '--json'])
    expect(b.status).toBe(0)
    expect(json(b).name).toBe('vnet0')
    expect(ns.link('vnet0')).toBeDefined()
  })

  test('an existing name is refused, saying what is there, and the device is not re-owned', () => {
    expect(ns.tunadm(['add', 'tun5', '--user', 'nobody']).status).toBe(0)
    const r = ns.tunadm(['add', 'tun5', '--user', 'root'])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('tun5 already exists: a tun device, owner: user nobody (65534)')
    expect(ns.link('tun5')?.linkinfo?.info_data?.user).toBe('nobody')
  })

  test('invalid input exits 2 and creates nothing', () => {
    const before = ns.links().length
    const cases: Array<[string[], RegExp]> = [
      [['add', 'tun-name-that-is-too-long'], /is 25 bytes long; the kernel allows at most 15/],
      [['add', 'tun/0'], /contains "\/"/],
      [['add', 'tun:0'], /contains ":"/],
      [['add', '..', '--mode', 'tun'], /cannot be a device name/],
      [['add', 'tun0', '--user', '4294967296'], /out of range/],
      [['add', 'tun0', '--user', '4294967295'], /out of range/],
      [['add', 'tun0', '--user', '-1'], /out of range|Nonexistent flag|neither/],
      [['add', 'tun0', '--user', 'no_such_user_x'], /there is no user named "no_such_user_x"/],
      [['add', 'tun0', '--group', 'no_such_group_x'], /there is no group named/],
      [['add', 'tun0', '--user', 'bad;name'], /neither a user name nor a number/],
      [['add', 'foo0'], /the mode of foo0 is not known[\s\S]*--mode tun/],
      [['add', 'tun0', '--mode', 'bridge'], /Expected --mode=bridge to be one of|tun, tap/],
    ]
    for (const [args, msg] of cases) {
      const r = ns.tunadm(args)
      expect({args, status: r.status}).toEqual({args, status: 2})
      expect(r.stderr).toMatch(msg)
    }
    expect(ns.links().length).toBe(before)
  })

  test('--json errors are JSON with a code and the exit code', () => {
    const r = ns.tunadm(['add', 'x'.repeat(16), '--json'])
    expect(r.status).toBe(2)
    expect(json(r).error).toMatchObject({code: 'INVALID_NAME', exitCode: 2})
  })

  test('del reads the mode from the kernel; --if-exists; several names report each', () => {
    ns.tunadm(['add', 'tap3'])
    ns.tunadm(['add', 'tun3'])
    const r = ns.tunadm(['del', 'tap3', 'nosuch0', 'tun3'])
    expect(r.status).toBe(1)
    expect(r.stdout).toContain('deleted tap3 (tap)')
    expect(r.stdout).toContain('deleted tun3 (tun)')
    expect(r.stderr).toContain('there is no device named nosuch0')
    expect(ns.link('tap3')).toBeUndefined()
    expect(ns.link('tun3')).toBeUndefined()
    expect(ns.tunadm(['del', 'nosuch0']).status).toBe(1)
    const q = ns.tunadm(['rm', '--if-exists', 'nosuch0', '--json'])
    expect(q.status).toBe(0)
    expect(json(q)).toEqual([{name: 'nosuch0', deleted: false, absent: true}])
  })

  test('del refuses a device that is not TUN/TAP (a bridge) and leaves it alone', () => {
    ns.ip(['link', 'add', 'br0', 'type', 'bridge'])
    const r = ns.tunadm(['del', 'br0'])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('br0 is not a TUN/TAP device; it is a bridge')
    expect(ns.link('br0')).toBeDefined()
    expect(ns.tunadm(['show', 'br0']).stderr).toContain('not a TUN/TAP device')
    const l = ns.tunadm(['show', 'lo'])
    expect(l.stderr).toContain('it is a loopback')
    ns.ip(['link', 'del', 'br0'])
  })

  test('a busy device: del names the holder; --force deletes it anyway', async () => {
    ns.tunadm(['add', 'tun8'])
    const held = await hold(ns.name, 'tun8', 'tun')
    try {
      expect(held.outcome).toBe('attached tun8')
      const shown = json(ns.tunadm(['show', 'tun8', '--json']))
      expect(shown.processes).toEqual([expect.objectContaining({pid: expect.any(Number), command: 'python3'})])
      expect(shown.carrier).toBe(true)
      const r = ns.tunadm(['del', 'tun8'])
      expect(r.status).toBe(1)
      expect(r.stderr).toMatch(/tun8 is in use by python3 \(pid \d+\)/)
      // Pasted, the fix deletes the device in its namespace, not one of that name in the root namespace.
      expect(r.stderr).toContain(`tunadm --netns ${ns.name} del --force tun8`)
      expect(ns.link('tun8')).toBeDefined()
      const listed = ns.tunadm(['list', '--processes'])
      expect(listed.stdout).toMatch(/tun8.*python3 \(pid \d+\)/)
      const f = ns.tunadm(['del', '--force', 'tun8', '--json'])
      expect(f.status).toBe(0)
      expect(json(f)[0]).toMatchObject({name: 'tun8', deleted: true, detached: [expect.objectContaining({command: 'python3'})]})
      expect(ns.link('tun8')).toBeUndefined()
    } finally {
      await held.release()
    }
  })

  test('add of one device under a tight ulimit -n: the device is made whole or not at all; the kernel\'s EMFILE is explained', () => {
    // One device holds one descriptor, opened by its first change: where none is left, the kernel's EMFILE
    // there refuses before anything changed (tunadm does not count descriptors for a single device).
    const outcomes = new Set<string>()
    for (let n = 12; n <= 48; n++) {
      const r = sh('bash', ['-c', `ulimit -n ${n} && exec "$0" "$@"`, process.execPath, BIN, 'add', 'tun60', '--netns', ns.name, '--json'])
      const link = ns.link('tun60')
      if (r.status === 0) {
        expect(json(r)).toMatchObject({name: 'tun60', persist: true})
        expect(link?.linkinfo?.info_data).toMatchObject({persist: true, user: 'root'})
        outcomes.add('made')
        ns.ip(['link', 'del', 'tun60'])
        continue
      }
      expect(link).toBeUndefined()
      // node itself may fail to start under the smallest limits; once tunadm runs, its answer is JSON.
      if (!r.stdout.startsWith('{')) continue
      expect([r.status, json(r).error.code]).toEqual([1, 'EMFILE'])
      // At the device's own open, or at a socket opened before it.
      expect(json(r).error.message).toMatch(/^cannot (create tun60: open \/dev\/net\/tun|socket\(AF_\w+\)): .*EMFILE \(Too many open files\)$/)
      expect(json(r).error.fix).toMatch(/ulimit -n/)
      outcomes.add('EMFILE')
    }
    expect([...outcomes].sort()).toEqual(['EMFILE', 'made'])
  })

  test('del without a /proc scan where the kernel says nobody holds the device; a holder that turned the carrier off is still found', async () => {
    // Carrier off and nobody attached: root attaches to it itself until the delete (the kernel would
    // refuse that with EBUSY were anybody attached); pi and vnet_hdr as the device has them.
    ns.tunadm(['add', 'tun9', '--pi', '--vnet-hdr'])
    ns.tunadm(['add', 'tap9', '--multi-queue'])
    expect(ns.link('tun9')?.linkinfo?.info_data).toMatchObject({pi: true, vnet_hdr: true})
    const both = ns.tunadm(['del', 'tun9', 'tap9', '--json'])
    expect([both.status, json(both)]).toEqual([0, [{name: 'tun9', deleted: true, mode: 'tun'}, {name: 'tap9', deleted: true, mode: 'tap'}]])
    expect(ns.link('tun9')).toBeUndefined()
    expect(ns.link('tap9')).toBeUndefined()
    // A holder with the carrier off: the kernel refuses the attach, and the scan names the holder as before.
    const cases: Array<[string, 'tun' | 'tap', string[]]> = [['tun10', 'tun', ['carrier_off']], ['tap10', 'tap', ['pi', 'carrier_off']]]
    for (const [name, mode, flags] of cases) {
      ns.tunadm(['add', name, ...(flags.includes('pi') ? ['--pi'] : [])])
      const held = await hold(ns.name, name, mode, {flags})
      try {
        expect(held.outcome).toBe(`attached ${name}`)
        expect(json(ns.tunadm(['show', name, '--json'])).carrier).toBe(false)
        const r = ns.tunadm(['del', name])
        expect(r.status).toBe(1)
        expect(r.stderr).toMatch(new RegExp(`${name} is in use by python3 \\(pid \\d+\\)`))
        expect(ns.link(name)).toBeDefined()
        // The refused attach changed nothing: the holder's flags are the device's still, its carrier off.
        expect(json(ns.tunadm(['show', name, '--json'])).carrier).toBe(false)
        expect(ns.link(name)?.linkinfo?.info_data).toMatchObject({pi: flags.includes('pi')})
        const f = ns.tunadm(['del', '--force', name, '--json'])
        expect(f.status).toBe(0)
        expect(json(f)[0]).toMatchObject({name, deleted: true, detached: [expect.objectContaining({command: 'python3'})]})
        expect(ns.link(name)).toBeUndefined()
      } finally {
        await held.release()
      }
    }
  })

  test('del of many idle devices and one held under a tight ulimit -n: the idle ones go, the held one never', async () => {
    // del stays attached to idle devices until their delete (one descriptor each), within the descriptors
    // free less tunadm's reserve; a /proc scan that cannot open a directory fails rather than finding nobody.
    const idle = Array.from({length: 40}, (_, i) => `tq${i}`)
    const make = (names: string[]) => expect(sh('ip', ['-n', ns.name, '-batch', '-'], {input: names.map((d) => `tuntap add dev ${d} mode tun`).join('\n') + '\n'}).status).toBe(0)
    make(['tqheld'])
    const held = await hold(ns.name, 'tqheld', 'tun', {flags: ['carrier_off']})
    try {
      expect(held.outcome).toBe('attached tqheld')
      for (const n of [28, 36, 44, 56]) {
        make(idle)
        const r = sh('bash', ['-c', `ulimit -n ${n} && exec "$0" "$@"`, process.execPath, BIN, 'del', ...idle, 'tqheld', '--netns', ns.name, '--json'])
        expect(ns.link('tqheld')).toBeDefined()
        expect(r.status).toBe(1)
        const results = json<Array<{name: string; deleted: boolean; error?: {code: string; message: string}}>>(r)
        expect(results.filter((x) => x.deleted).map((x) => x.name)).toEqual(idle)
        expect(results.find((x) => x.name === 'tqheld')?.error?.message).toMatch(/tqheld is in use by python3 \(pid \d+\)/)
        expect(idle.filter((d) => ns.link(d))).toEqual([])
      }
    } finally {
      await held.release()
      ns.ip(['link', 'del', 'tqheld'])
    }
  })

  test('a holder tunadm cannot see (a chroot\'s node, or the device moved to another namespace): del still refuses', async () => {
    // A program in a chroot opens its own copy of the node: its fd is not literally /dev/net/tun.
    const jail = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-jail-'))
    expect(sh('mknod', [path.join(jail, 'tun'), 'c', '10', '200']).status).toBe(0)
    ns.tunadm(['add', 'tun7'])
    const jailed = await hold(ns.name, 'tun7', 'tun', {node: path.join(jail, 'tun')})
    try {
      expect(jailed.outcome).toBe('attached tun7')
      const r = ns.tunadm(['del', 'tun7', '--json'])
      expect([r.status, json(r).error.code]).toEqual([1, 'EBUSY'])
      expect(json(r).error.message).toMatch(/tun7 is in use by python3/)
      // Moved to another namespace while held: the holder's namespace is not the device's any more, and
      // the kernel (TUNGETDEVNETNS) still says which device its fd is attached to.
      const other = new Netns('moved')
      try {
        ns.ip(['link', 'set', 'tun7', 'netns', other.name])
        const moved = other.tunadm(['del', 'tun7'])
        expect(moved.status).toBe(1)
        expect(moved.stderr).toMatch(/tun7 is in use by python3 \(pid \d+, in another network namespace\)/)
        expect(json(other.tunadm(['show', 'tun7', '--json'])).processes).toEqual([expect.objectContaining({command: 'python3', verified: true, elsewhere: true})])
        expect(other.link('tun7')).toBeDefined()
        // A new tun7 where the holder runs is idle: its name matches the holder's fd, the kernel says it is not held.
        ns.tunadm(['add', 'tun7'])
        expect(json(ns.tunadm(['show', 'tun7', '--json'])).processes).toEqual([])
        expect(ns.tunadm(['del', 'tun7']).status).toBe(0)
        expect(other.tunadm(['del', '--force', 'tun7']).status).toBe(0)
      } finally {
        other.remove()
      }
    } finally {
      await jailed.release()
      fs.rmSync(jail, {recursive: true, force: true})
    }
  })

  test("a concurrent tunadm's moment-long copy of a holder's descriptor (its own holder scan) is not named as a second holder", async () => {
    ns.tunadm(['add', 'tun8'])
    const held = await hold(ns.name, 'tun8', 'tun')
    const running: Array<ReturnType<typeof spawn>> = []
    const until = async (what: string, ok: () => boolean) => {
      for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 100))
      expect([what, ok()]).toEqual([what, true])
    }
    const read = (p: string) => {
      try {
        return fs.readFileSync(p, 'utf8').trim()
      } catch {
        return ''
      }
    }
    /** A process named `comm` that copies the holder's fd, as a concurrent tunadm's scan does for a moment, and keeps it. */
    const copy = async (comm: string) => {
      const pid = held.proc.pid!
      const fd = fs.readdirSync(`/proc/${pid}/fd`).find((n) => fs.readlinkSync(`/proc/${pid}/fd/${n}`) === '/dev/net/tun')!
      const p = spawn('python3', [path.join(__dirname, '../helpers/copyfd.py'), String(pid), fd, comm], {stdio: ['pipe', 'pipe', 'inherit']})
      running.push(p)
      expect(await new Promise<string>((resolve) => p.stdout!.once('data', (d) => resolve(String(d).trim())))).toBe('copied')
    }
    const commands = () => json(ns.tunadm(['show', 'tun8', '--json'])).processes.map((h: {command: string}) => h.command)
    try {
      expect(held.outcome).toBe('attached tun8')
      // A tunadm in its holder scan, stopped in its first copy of a descriptor (strace holds pidfd_getfd's
      // return; which process's descriptor comes first depends on what else runs): it has named itself.
      const first = spawn('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=pidfd_getfd', '-e', 'inject=pidfd_getfd:delay_exit=30000000',
        process.execPath, BIN, 'show', 'tun8', '--netns', ns.name], {stdio: 'ignore'})
      running.push(first)
      const children = () => read(`/proc/${first.pid}/task/${first.pid}/children`).split(' ').filter(Boolean)
      const names = () => children().map((pid) => read(`/proc/${pid}/comm`))
      await until('the first tunadm to name itself', () => names().includes('tunadm'))
      first.kill('SIGKILL')
      // Such a copy, held as long as a test needs: the holder alone is named, by show and by del's refusal.
      await copy('tunadm')
      expect(commands()).toEqual(['python3'])
      expect(ns.tunadm(['del', 'tun8']).stderr).toMatch(/^error: tun8 is in use by python3 \(pid \d+\)$/m)
      // The same file shared with any other program (a forked child, a descriptor passed over a socket) is a holder.
      await copy('forked-child')
      expect(commands().sort()).toEqual(['forked-child', 'python3']) // in pid order, and pids wrap
    } finally {
      for (const p of running) p.kill('SIGKILL')
      await held.release()
      ns.tunadm(['del', '--force', 'tun8'])
    }
  }, 60000)

  test('a non-root owner can attach to the device tunadm made; another user is refused', async () => {
    ns.tunadm(['add', 'tun6', '--user', 'nobody'])
    const owner = await hold(ns.name, 'tun6', 'tun', {uid: 65534, gid: 65534})
    expect(owner.outcome).toBe('attached tun6')
    await owner.release()
    const other = await hold(ns.name, 'tun6', 'tun', {uid: 12345, gid: 12345})
    expect(other.outcome).toBe('error EPERM')
    await other.release()
  })

  test('the owner deletes its own device without root (TUNSETIFF + TUNSETPERSIST 0); anyone else is told who may', async () => {
    ns.tunadm(['add', 'tap34', '--user', 'nobody'])
    ns.tunadm(['add', 'tun34', '--user', 'nobody', '--multi-queue'])
    const dirs: string[] = []
    const as = (uid: number, args: string[]) => {
      const dir = userDir()
      dirs.push(dir)
      const argv = asUserArgv(ns.name, dir, [process.execPath, BIN, ...args], {uid})
      return sh(argv[0], argv.slice(1), {env: {...process.env, NO_COLOR: '1'}})
    }
    try {
      const stranger = as(12345, ['del', 'tap34'])
      expect(stranger.status).toBe(1)
      expect(stranger.stderr).toContain("cannot delete tap34: only root (CAP_NET_ADMIN) or the device's owner may delete it")
      expect(stranger.stderr).toContain('tap34 has owner uid 65534, which does not admit uid 12345')
      expect(ns.link('tap34')).toBeDefined()
      // While the owner's own program holds it, the kernel refuses the second attach: nothing is deleted.
      const held = await hold(ns.name, 'tap34', 'tap', {uid: 65534})
      try {
        expect(held.outcome).toBe('attached tap34')
        const busy = as(65534, ['del', 'tap34'])
        expect(busy.status).toBe(1)
        expect(busy.stderr).toMatch(/tap34 is in use by python3 \(pid \d+\)/)
        expect(ns.link('tap34')).toBeDefined()
      } finally {
        await held.release()
      }
      const mine = as(65534, ['del', 'tap34', 'tun34', '--json'])
      expect(mine.status).toBe(0)
      expect(json(mine)).toEqual([expect.objectContaining({name: 'tap34', deleted: true}), expect.objectContaining({name: 'tun34', deleted: true})])
      expect(ns.link('tap34')).toBeUndefined()
      expect(ns.link('tun34')).toBeUndefined()
      // And gives its device away (TUNSETOWNER as the owner), the other thing the kernel lets it do.
      ns.tunadm(['add', 'tap35', '--user', 'nobody'])
      expect(as(65534, ['set', 'tap35', '--user', '12345']).status).toBe(0)
      expect(String(ns.link('tap35')?.linkinfo?.info_data?.user)).toBe('12345')
    } finally {
      for (const d of dirs) fs.rmSync(d, {recursive: true, force: true})
    }
  })

  test('attaching with the wrong mode is refused by the kernel (EINVAL)', async () => {
    ns.tunadm(['add', 'tap6'])
    const h = await hold(ns.name, 'tap6', 'tun')
    expect(h.outcome).toBe('error EINVAL')
    await h.release()
  })

  test('ip netns exec works as well as --netns; an unknown namespace is explained', () => {
    const r = ns.tunadmInside(['add', 'tun4', '--json'])
    expect(r.status).toBe(0)
    expect(ns.link('tun4')).toBeDefined()
    const bad = sh(process.execPath, [BIN, 'list', '--netns', 'tunadm-no-such-ns'])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toContain('there is no network namespace named tunadm-no-such-ns')
  })

  test('list and show agree with ip about state, MTU and counts', () => {
    ns.tunadm(['add', 'tap7'])
    ns.ip(['link', 'set', 'tap7', 'up', 'mtu', '1400'])
    const d = json(ns.tunadm(['show', 'tap7', '--json']))
    expect(d).toMatchObject({up: true, carrier: false, mtu: 1400})
    expect(ns.tunadm(['show', 'tap7']).stdout).toContain('up, no-carrier')
    const listed = json<unknown[]>(ns.tunadm(['list', '--json']))
    const ipCount = ns.links().filter((l) => l.linkinfo?.info_kind === 'tun').length
    expect(listed.length).toBe(ipCount)
  })

  test('without privileges: a clear message about CAP_NET_ADMIN, exit 1', () => {
    const r = sh('ip', ['netns', 'exec', ns.name, 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'add', 'tun3'], {env: {...process.env, NO_COLOR: '1'}})
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/cannot create tun3[\s\S]*(\/dev\/net\/tun|CAP_NET_ADMIN)[\s\S]*fix:/)
    expect(ns.link('tun3')).toBeUndefined()
  })

  test('root namespace is not touched by these tests', () => {
    const names = (JSON.parse(must('ip', ['-j', 'link', 'show'])) as Array<{ifname: string}>).map((l) => l.ifname)
    expect(names).not.toContain('tun77')
  })
})
