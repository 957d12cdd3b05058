/**
 * Which devices a config owns, against the real kernel in a throwaway namespace: configs from pipes, an
 * alias changed by hand, link groups iproute2 reads, and a bridge moved into the group while down runs.
 */
import {spawn} from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {BIN, Netns, describeKernel, json, sh} from '../helpers/kernel'

/**
 * Earlier versions put devices in groups above 2^31-1, which iproute2 6.1 refuses to set: an RTM_SETLINK
 * with IFLA_GROUP sent by a few lines of Python in the namespace, as tunadm did.
 */
const SETLINK_GROUP = `
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
body = struct.pack('=BxHiII', 0, 0, socket.if_nametoindex(sys.argv[1]), 0, 0) + struct.pack('=HHI', 8, 27, int(sys.argv[2]))
s.send(struct.pack('=IHHII', 16 + len(body), 19, 5, 1, 0) + body)
sys.exit(-struct.unpack('=i', s.recv(4096)[16:20])[0])
`

describeKernel('which devices a config owns', () => {
  let ns: Netns
  let dir: string
  let file: string
  let env: NodeJS.ProcessEnv
  const run = (args: string[]) => ns.tunadm(args, {env})
  /** tunadm with the config from a pipe, as a shell gives it: --config <(...), or --config /dev/stdin. */
  const piped = (args: string[], config: string, how: 'substitution' | 'stdin' = 'substitution') => sh('bash', ['-c',
    how === 'stdin' ? 'cfg=$1; shift; printf %s "$cfg" | "$@" --config /dev/stdin' : 'cfg=$1; shift; "$@" --config <(printf %s "$cfg")',
    'bash', config, process.execPath, BIN, ...args, '--netns', ns.name], {env: {...process.env, NO_COLOR: '1', ...env}})
  const tunNames = () => ns.links().filter((l) => l.linkinfo?.info_kind === 'tun').map((l) => l.ifname).sort()
  const pipeConfig = (names: string[]) => `version: 1\ndevices:\n${names.map((n) => `  - {name: ${n}, mode: tap, user: 0}`).join('\n')}\n`

  const setGroupAbove2to31 = (name: string, group: number) => {
    const r = ns.exec('python3', ['-c', SETLINK_GROUP, name, String(group)])
    if (r.status !== 0) throw new Error(`setting group ${group} on ${name}: ${r.status} ${r.stderr}`)
  }

  beforeAll(() => {
    ns = new Netns('owner')
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-owner-'))
    file = path.join(dir, 'tunadm.yaml')
    env = {TUNADM_LOCK: path.join(dir, 'lock')}
  })
  afterAll(() => {
    ns?.remove()
    fs.rmSync(dir, {recursive: true, force: true})
  })
  beforeEach(() => {
    for (const l of ns.links()) if (l.ifname !== 'lo') sh('ip', ['-n', ns.name, 'link', 'del', l.ifname])
  })

  test('two configs from pipes: neither prunes nor downs the other\'s devices; without an identity deleting is refused', () => {
    // Each creates and corrects its devices without an identity...
    const a = piped(['apply', '--json'], pipeConfig(['pa0', 'pa1']), 'stdin')
    expect(a.status).toBe(0)
    expect(json(a).identity).toEqual({id: null, from: 'none', marker: 'tunadm:(anonymous)'})
    expect(piped(['apply'], pipeConfig(['pa0', 'pa1'])).stdout).toContain('2 unchanged')
    // ...but --prune, --adopt and down are refused (exit 2) and change nothing.
    const before = JSON.stringify(ns.links())
    for (const args of [['apply', '--prune'], ['apply', '--adopt'], ['down']]) {
      const r = piped([...args, '--json'], pipeConfig(['pb0']))
      expect([args, r.status, json(r).error.code]).toEqual([args, 2, 'NO_IDENTITY'])
    }
    const text = piped(['apply', '--prune'], pipeConfig(['pb0']))
    expect(text.stderr).toMatch(/^error: apply --prune needs the config's identity, and \/dev\/fd\/\d+ has none: it is read from a pipe\n/)
    expect(JSON.stringify(ns.links())).toBe(before)
    // With identities, each prunes only its own: the anonymous devices and the other's stay.
    expect(piped(['apply', '--id', 'alpha'], pipeConfig(['a0', 'a1'])).status).toBe(0)
    const b = piped(['apply', '--id', 'beta', '--prune', '--json'], pipeConfig(['b0']), 'stdin')
    expect(b.status).toBe(0)
    expect(json(b).devices.map((d: {name: string; action: string}) => `${d.name}:${d.action}`)).toEqual(['b0:created'])
    expect(tunNames()).toEqual(['a0', 'a1', 'b0', 'pa0', 'pa1'])
    expect(ns.link('a0')?.ifalias).toBe('tunadm:alpha')
    // The id in the config itself works as --id does; alpha drops a1 with --prune and b0 stays.
    const pruned = piped(['apply', '--prune', '--json'], `id: alpha\n${pipeConfig(['a0'])}`)
    expect(json(pruned).devices.map((d: {name: string; action: string; matchedBy?: string}) => `${d.name}:${d.action}:${d.matchedBy}`)).toEqual(['a0:unchanged:marker', 'a1:removed:marker'])
    expect(tunNames()).toEqual(['a0', 'b0', 'pa0', 'pa1'])
    // A device of the same name as another config's is foreign to it.
    const clash = piped(['apply', '--id', 'beta', '--json'], pipeConfig(['a0']))
    expect(clash.status).toBe(1)
    expect(json(clash).devices[0]).toMatchObject({name: 'a0', action: 'foreign'})
    expect(piped(['down', '--id', 'beta'], 'version: 1\ndevices: []\n').status).toBe(0)
    expect(tunNames()).toEqual(['a0', 'pa0', 'pa1'])
    // --id and a different id: in the file disagree: usage error.
    const conflict = piped(['apply', '--id', 'beta', '--json'], `id: alpha\n${pipeConfig(['a0'])}`)
    expect([conflict.status, json(conflict).error.code]).toEqual([2, 'ID_CONFLICT'])
  })

  test('an alias changed by hand: still the config\'s by its link group and tunadm\'s record; apply restores the marker, down removes it', () => {
    fs.writeFileSync(file, pipeConfig(['t0', 't1', 't2']))
    const created = run(['apply', '--config', file, '--json'])
    const group = json(created).linkGroup
    expect(group).toBeGreaterThanOrEqual(65536)
    expect(group).toBeLessThanOrEqual(2147483647)
    ns.ip(['link', 'set', 't1', 'alias', 'vm web'])
    const r = run(['apply', '--config', file, '--json'])
    expect(r.status).toBe(0)
    const t1 = json(r).devices.find((d: {name: string}) => d.name === 't1')
    expect(t1).toMatchObject({action: 'changed', matchedBy: 'link-group+record', changes: [{what: 'managed', from: 'vm web', to: `tunadm:${fs.realpathSync(file)}`}]})
    expect(t1.warnings[0]).toMatch(/^t1's alias was changed \(to "vm web"\); it is this config's by its link group and tunadm's record, so apply restores the marker/)
    expect(ns.link('t1')?.ifalias).toBe(`tunadm:${fs.realpathSync(file)}`)
    // Text: the warning is said on stderr.
    ns.ip(['link', 'set', 't1', 'alias', 'vm web'])
    const text = run(['apply', '--config', file])
    expect(text.stdout).toContain('t1: changed (managed vm web -> tunadm:')
    expect(text.stderr).toMatch(/^warning: t1's alias was changed/m)
    // Both witnesses needed: with the alias and the group changed, it is foreign, and down leaves it.
    ns.ip(['link', 'set', 't2', 'alias', 'mine now'])
    ns.ip(['link', 'set', 't2', 'group', '7'])
    const foreign = run(['apply', '--config', file, '--json'])
    expect(foreign.status).toBe(1)
    expect(json(foreign).devices.find((d: {name: string}) => d.name === 't2')).toMatchObject({action: 'foreign'})
    // A hand-made device put into the config's group is not the config's either: no record says so.
    ns.ip(['tuntap', 'add', 'dev', 'handmade', 'mode', 'tap'])
    ns.ip(['link', 'set', 'handmade', 'group', String(group)])
    // The alias changed by hand on t0 too: down still removes it (and t1), not t2 or handmade.
    ns.ip(['link', 'set', 't0', 'alias', 'renamed by hand'])
    const down = run(['down', '--config', file, '--json'])
    expect(down.status).toBe(0)
    expect(json(down).devices.map((d: {name: string; matchedBy: string}) => `${d.name}:${d.matchedBy}`)).toEqual(['t0:link-group+record', 't1:marker'])
    expect(tunNames()).toEqual(['handmade', 't2'])
  })

  test('devices made under the earlier scheme (the path as given, a group above 2^31) are still the config\'s and move to a readable group', () => {
    fs.writeFileSync(file, pipeConfig(['m0', 'm1']))
    const link = path.join(dir, 'link.yaml')
    fs.symlinkSync(file, link)
    for (const n of ['m0', 'm1']) {
      ns.ip(['tuntap', 'add', 'dev', n, 'mode', 'tap', 'user', '0'])
      ns.ip(['link', 'set', n, 'alias', `tunadm:${link}`])
      setGroupAbove2to31(n, 3670188263)
    }
    const r = run(['apply', '--config', link, '--json'])
    expect(r.status).toBe(0)
    const report = json(r)
    expect(report.devices.map((d: {matchedBy: string}) => d.matchedBy)).toEqual(['old-marker', 'old-marker'])
    expect(report.devices[0].changes).toEqual([
      {what: 'managed', from: `tunadm:${link}`, to: `tunadm:${fs.realpathSync(file)}`},
      {what: 'link group', from: 3670188263, to: report.linkGroup},
    ])
    // ip link show group N works for the group tunadm chose (iproute2 6.1 refuses numbers above 2^31-1).
    expect(ns.ip(['-o', 'link', 'show', 'group', String(report.linkGroup)]).split('\n').filter(Boolean)).toHaveLength(2)
    expect(ns.link('m0')?.group).toBe(String(report.linkGroup))
    expect(run(['down', '--config', link]).status).toBe(0)
    expect(tunNames()).toEqual([])
    fs.rmSync(link)
  })

  test('two configs whose derived groups would collide: the second steps aside and says so; an explicit link_group wins', () => {
    const other = path.join(dir, 'other.yaml')
    fs.writeFileSync(other, pipeConfig(['o0']))
    fs.writeFileSync(file, pipeConfig(['c0']))
    const mine = json(run(['apply', '--config', file, '--dry-run', '--json'])).linkGroup
    // The other config says link_group: <the group derived for this one>: it wins.
    fs.writeFileSync(other, `link_group: ${mine}\n${pipeConfig(['o0'])}`)
    expect(run(['apply', '--config', other]).status).toBe(0)
    const r = run(['apply', '--config', file, '--json'])
    expect(r.status).toBe(0)
    const moved = json(r)
    expect(moved.linkGroup).not.toBe(mine)
    expect(moved.warnings[0]).toMatch(new RegExp(`^link group ${mine}, the one derived from this config's identity, is taken`))
    expect(ns.link('c0')?.group).toBe(String(moved.linkGroup))
    // The explicit one, applied again, says its group also holds nothing else now; down of each removes its own.
    expect(run(['down', '--config', other]).status).toBe(0)
    expect(tunNames()).toEqual(['c0'])
    expect(run(['down', '--config', file]).status).toBe(0)
    expect(tunNames()).toEqual([])
    fs.rmSync(other)
  })

  test('a bridge moved into the config\'s group in a tight loop while down runs is never deleted; one chasing the private group is said if lost', async () => {
    const names = Array.from({length: 40}, (_, i) => `r${i}`)
    fs.writeFileSync(file, `link_group: 4343\n${pipeConfig(names)}`)
    ns.ip(['link', 'add', 'br0', 'type', 'bridge'])
    ns.ip(['link', 'add', 'br1', 'type', 'bridge'])
    // One loop moves br0 into the config's group again and again; another puts br1 into any group a
    // device of the namespace is seen in (what a script that copies groups would do), racing the private group.
    const loop = spawn('bash', ['-c', `while :; do ip -n ${ns.name} link set br0 group 4343 2>/dev/null; done`], {detached: true, stdio: 'ignore'})
    const chaser = spawn('bash', ['-c', `while :; do for g in $(ip -n ${ns.name} -o link show type tun 2>/dev/null | grep -o 'group [0-9]*' | cut -d' ' -f2 | sort -u); do ip -n ${ns.name} link set br1 group $g 2>/dev/null; done; done`], {detached: true, stdio: 'ignore'})
    try {
      for (let round = 0; round < 4; round++) {
        expect(run(['apply', '--config', file]).status).toBe(0)
        const down = run(['down', '--config', file, '--json'])
        expect(down.status).toBe(0)
        expect(tunNames()).toEqual([])
        expect(ns.link('br0')).toBeDefined()
        // br1 chases the private group. Moved in before the check, it is found and the devices go one by
        // one; moved in within the instant between the check and the delete (possible under load), it
        // cannot be saved, but it is never lost without a word.
        const warned = json(down).warnings.some((w: string) => /^br1 disappeared while tunadm deleted link group \d+/.test(w))
        expect(ns.link('br1') === undefined).toBe(warned)
        if (warned) ns.ip(['link', 'add', 'br1', 'type', 'bridge'])
        expect(json(down).warnings.filter((w: string) => w.includes('br0'))).toEqual([])
      }
    } finally {
      process.kill(-loop.pid!, 'SIGKILL')
      process.kill(-chaser.pid!, 'SIGKILL')
    }
  }, 120000)

  test('a dry run as a user who cannot read tunadm\'s record says which devices it could not verify (exit 1), and root\'s answer is complete', () => {
    // The record in a directory of root's alone (0700, as tunadm creates /run/tunadm); the config readable by all.
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-owner-nr-'))
    fs.chmodSync(base, 0o755)
    const state = path.join(base, 'state')
    fs.mkdirSync(state, {mode: 0o700})
    const config = path.join(base, 'tunadm.yaml')
    fs.writeFileSync(config, `id: nr\n${pipeConfig(['u0', 'u1', 'u2'])}`, {mode: 0o644})
    const stateEnv = {...env, TUNADM_STATE_DIR: state}
    const asNobody = (args: string[]) => sh('ip', ['netns', 'exec', ns.name, 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, ...args],
      {env: {...process.env, NO_COLOR: '1', TUNADM_STATE_DIR: state}})
    try {
      expect(ns.tunadm(['apply', '--config', config], {env: stateEnv}).status).toBe(0)
      ns.ip(['link', 'set', 'u1', 'alias', 'vm web'])
      // Marked devices are surely the config's; u1 is the config's only by the record nobody may read.
      const down = asNobody(['down', '--config', config, '--dry-run', '--json'])
      expect(down.status).toBe(1)
      const out = JSON.parse(down.stdout)
      expect(out.status).toBe('partial')
      expect(out.result.devices.map((d: {name: string; action: string}) => [d.name, d.action])).toEqual([['u0', 'removed'], ['u2', 'removed'], ['u1', 'failed']])
      expect(out.result.devices[2].error.code).toBe('RECORD_UNREADABLE')
      expect(out.result.devices[2].error.message).toContain('cannot be read by this user')
      const text = asNobody(['down', '--config', config, '--dry-run'])
      expect(text.status).toBe(1)
      expect(text.stdout).toMatch(/u1: failed: cannot tell whether u1 is this config's/)
      // apply --prune --dry-run with u2 gone from the file: u2 would go, u1 cannot be told.
      fs.writeFileSync(config, `id: nr\n${pipeConfig(['u0'])}`)
      const prune = JSON.parse(asNobody(['apply', '--prune', '--config', config, '--dry-run', '--json']).stdout)
      expect(prune.status).toBe('partial')
      expect(prune.result.devices.map((d: {name: string; action: string}) => [d.name, d.action])).toEqual([['u0', 'unchanged'], ['u2', 'removed'], ['u1', 'failed']])
      // Root reads the record: u1 is the config's, nothing is left unverified.
      fs.writeFileSync(config, `id: nr\n${pipeConfig(['u0', 'u1', 'u2'])}`)
      const root = ns.tunadm(['down', '--config', config, '--dry-run', '--json'], {env: stateEnv})
      expect(root.status).toBe(0)
      expect(json(root).devices.map((d: {name: string; action: string; matchedBy: string}) => [d.name, d.action, d.matchedBy])).toEqual([['u0', 'removed', 'marker'], ['u1', 'removed', 'link-group+record'], ['u2', 'removed', 'marker']])
      expect(tunNames()).toEqual(['u0', 'u1', 'u2'])
    } finally {
      fs.rmSync(base, {recursive: true, force: true})
    }
  })
})
