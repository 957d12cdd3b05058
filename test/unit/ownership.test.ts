/**
 * Which devices a config owns (services/ownership.ts) and how several are deleted without ever deleting
 * another (services/group-delete.ts): against fake links and a fake kernel that plays the races.
 */
import {spawn, spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as C from '../../src/kernel/constants'
import {KernelError} from '../../src/kernel/errno'
import {Link} from '../../src/kernel/netlink-codec'
import {refusal} from '../helpers/refusal'
import {ANONYMOUS_MARKER, DERIVED_GROUP_MIN, Identity, LINK_GROUP_MAX, derivedGroup, pathMarker} from '../../src/model/identity'
import {DeleteIo, deleteDevices} from '../../src/services/group-delete'
import {Ownership, chooseGroup, requireIdentity, resolveIdentity} from '../../src/services/ownership'
import {desiredFromConfig} from '../../src/services/desired'
import {plan} from '../../src/services/plan'
import {staticSnapshot} from '../../src/services/snapshot'
import {OwnerRecord} from '../../src/system/owner-record'

function link(name: string, index: number, more: Partial<Link> = {}): Link {
  return {
    index, name, flags: C.IFF_BROADCAST | C.IFF_MULTICAST, hwType: 1, mtu: 1500, txqlen: 1000, kind: 'tun', group: 0, ...more,
    tun: more.kind === undefined || more.kind === 'tun' ? {type: 'tap', pi: false, vnetHdr: false, persist: true, multiQueue: false} : undefined,
  }
}
const bridge = (name: string, index: number, group = 0) => link(name, index, {kind: 'bridge', group})


/** A record as the one apply writes, in a temporary state directory. */
function recordOf(devices: Record<number, string>, groups: Record<string, number> = {}): OwnerRecord {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-rec-'))
  const ino = fs.statSync('/proc/self/ns/net').ino
  fs.writeFileSync(path.join(dir, `netns-${ino}.json`), JSON.stringify({
    version: 1, devices: Object.fromEntries(Object.entries(devices).map(([i, by]) => [i, {by, name: `x${i}`}])),
    groups: Object.fromEntries(Object.entries(groups).map(([m, group]) => [m, {group, explicit: false}])),
  }), {mode: 0o644})
  const saved = process.env.TUNADM_STATE_DIR
  process.env.TUNADM_STATE_DIR = dir
  try {
    return OwnerRecord.read(undefined)
  } finally {
    if (saved === undefined) delete process.env.TUNADM_STATE_DIR
    else process.env.TUNADM_STATE_DIR = saved
    fs.rmSync(dir, {recursive: true, force: true})
  }
}

describe('a config\'s identity', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-id-'))
  const real = path.join(dir, 'real')
  fs.mkdirSync(real)
  const file = path.join(real, 'tunadm.yaml')
  fs.writeFileSync(file, 'version: 1\ndevices: []\n')
  fs.symlinkSync(real, path.join(dir, 'via-link'))
  afterAll(() => fs.rmSync(dir, {recursive: true, force: true}))

  test('by default the file\'s real path; the path as given (what earlier versions marked) is still the config\'s', () => {
    const given = path.join(dir, 'via-link', 'tunadm.yaml')
    const id = resolveIdentity(given)
    expect(id).toEqual({id: fs.realpathSync(file), from: 'path', marker: pathMarker(fs.realpathSync(file)), oldMarkers: [pathMarker(given)]})
  })

  test('id: in the file, or --id; both must agree, and both are checked', () => {
    expect(resolveIdentity(file, 'vmhost')).toMatchObject({id: 'vmhost', from: 'id', marker: 'tunadm:vmhost', oldMarkers: [pathMarker(fs.realpathSync(file))]})
    expect(resolveIdentity(file, undefined, 'web')).toMatchObject({id: 'web', from: '--id', marker: 'tunadm:web'})
    expect(resolveIdentity(file, 'web', 'web').from).toBe('--id')
    const clash = refusal(() => resolveIdentity(file, 'vmhost', 'web'))
    expect([clash.code, clash.exitCode, clash.message]).toEqual(['ID_CONFLICT', 2, '--id web differs from the file\'s id: vmhost'])
    expect(refusal(() => resolveIdentity(file, undefined, '/etc/x')).code).toBe('INVALID_ID')
    expect(refusal(() => resolveIdentity(file, undefined, '/etc/x')).message).toMatch(/^--id "\/etc\/x" is not valid/)
  })

  test('a pipe or socket without a path of its own has none: deleting and adopting are refused (exit 2) until it is given one', () => {
    // The socket Node's child process talks through, as /proc/self/fd/N: what --config /dev/stdin sees of it.
    const child = spawn('sleep', ['5'], {stdio: ['ignore', 'pipe', 'ignore']})
    try {
      const fd = (child.stdout as unknown as {_handle: {fd: number}})._handle.fd
      const anonymous = `/proc/self/fd/${fd}`
      const id = resolveIdentity(anonymous)
      expect(id).toEqual({from: 'none', marker: ANONYMOUS_MARKER, oldMarkers: []})
      const e = refusal(() => requireIdentity(id, 'down', anonymous))
      expect([e.code, e.exitCode]).toEqual(['NO_IDENTITY', 2])
      expect(e.fix).toContain('--id')
      expect(resolveIdentity(anonymous, undefined, 'vmhost')).toEqual({id: 'vmhost', from: '--id', marker: 'tunadm:vmhost', oldMarkers: []})
      expect(() => requireIdentity(resolveIdentity(anonymous, 'vmhost'), 'down', anonymous)).not.toThrow()
    } finally {
      child.kill()
    }
    // A FIFO made at a path of its own is known by that path, as a file is.
    const fifo = path.join(real, 'fifo')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    expect(resolveIdentity(fifo)).toMatchObject({id: fs.realpathSync(fifo), from: 'path'})
  })

  test('a removed file keeps its path (down still finds its devices)', () => {
    const gone = path.join(dir, 'via-link', 'gone.yaml')
    expect(resolveIdentity(gone)).toMatchObject({id: path.join(fs.realpathSync(real), 'gone.yaml'), from: 'path'})
  })
})

describe('which devices are the config\'s', () => {
  const identity: Identity = {id: '/etc/tunadm/a.yaml', from: 'path', marker: 'tunadm:/etc/tunadm/a.yaml', oldMarkers: ['tunadm:/etc/tunadm/../tunadm/a.yaml']}
  const G = derivedGroup(identity.marker)

  test('by marker, or by the marker an earlier version wrote; never a device of another kind or another config', () => {
    const o = new Ownership(identity, G)
    expect(o.match(link('t0', 2, {alias: identity.marker})).by).toBe('marker')
    expect(o.match(link('t1', 3, {alias: identity.oldMarkers[0]})).by).toBe('old-marker')
    expect(o.match(link('t2', 4, {alias: 'tunadm:/etc/tunadm/b.yaml', group: G}))).toEqual({foreign: 'it is managed by another config (its alias is "tunadm:/etc/tunadm/b.yaml")'})
    expect(o.match(bridge('br0', 5, G)).foreign).toBe('it is not a TUN/TAP device')
    expect(o.match(link('br1', 6, {kind: 'bridge', alias: identity.marker})).by).toBeUndefined()
  })

  test('an alias changed by hand: the link group and the record together say it is the config\'s; one alone does not', () => {
    const rec = recordOf({7: identity.marker, 8: identity.marker, 9: 'tunadm:/etc/tunadm/b.yaml'})
    const o = new Ownership(identity, G, rec)
    expect(o.match(link('t7', 7, {alias: 'vm web', group: G})).by).toBe('link-group+record')
    expect(o.match(link('t7', 7, {group: G})).by).toBe('link-group+record') // alias removed
    expect(o.match(link('t8', 8, {alias: 'vm web', group: 12})).foreign).toMatch(/left the config's link group .*record says this config made it/)
    expect(o.match(link('t10', 10, {alias: 'vm web', group: G})).foreign).toMatch(/carries the config's link group .* but tunadm has no record/)
    expect(o.match(link('t9', 9, {alias: 'vm', group: G})).by).toBeUndefined() // the record says another config made it
    expect(new Ownership(identity, G).match(link('t7', 7, {alias: 'vm web', group: G})).by).toBeUndefined() // no record
  })

  test('a config without identity claims only the anonymous marker and what earlier versions wrote for pipes', () => {
    const anon: Identity = {from: 'none', marker: ANONYMOUS_MARKER, oldMarkers: []}
    const o = new Ownership(anon, undefined, recordOf({2: ANONYMOUS_MARKER}))
    expect(o.match(link('p0', 2, {alias: ANONYMOUS_MARKER})).by).toBe('marker')
    expect(o.match(link('p1', 3, {alias: 'tunadm:/dev/fd/63'})).by).toBe('old-marker')
    expect(o.match(link('p2', 2, {alias: 'x'})).by).toBeUndefined()
    // ... and a config with one never claims those.
    expect(new Ownership(identity, G).match(link('p1', 3, {alias: 'tunadm:/dev/fd/63'})).by).toBeUndefined()
  })
})

describe('the link group', () => {
  const a: Identity = {id: '/a.yaml', from: 'path', marker: 'tunadm:/a.yaml', oldMarkers: []}
  const Ga = derivedGroup(a.marker)

  test('derived from the identity, in the range every iproute2 reads', () => {
    expect(chooseGroup(a, undefined, [])).toEqual({group: Ga, warnings: []})
    expect(Ga).toBeGreaterThanOrEqual(DERIVED_GROUP_MIN)
    expect(Ga).toBeLessThanOrEqual(LINK_GROUP_MAX)
  })

  test('another config\'s devices (or anything else) in the derived group: the next candidate, said once', () => {
    const taken = chooseGroup(a, undefined, [link('b0', 2, {alias: 'tunadm:/b.yaml', group: Ga})])
    expect(taken.group).toBe(derivedGroup(a.marker, 1))
    expect(taken.warnings[0]).toMatch(new RegExp(`^link group ${Ga}, the one derived from this config's identity, is taken \\(by devices of another config \\(/b.yaml\\)\\)`))
    expect(chooseGroup(a, undefined, [bridge('br0', 2, Ga)]).group).toBe(derivedGroup(a.marker, 1))
    // Its own devices do not count; a group the record gives to another config does.
    expect(chooseGroup(a, undefined, [link('a0', 2, {alias: a.marker, group: Ga})]).group).toBe(Ga)
    expect(chooseGroup(a, undefined, [], recordOf({}, {'tunadm:/b.yaml': Ga})).group).toBe(derivedGroup(a.marker, 1))
  })

  test('once moved, the devices stay in their group while it is free (no churn)', () => {
    const g1 = derivedGroup(a.marker, 1)
    expect(chooseGroup(a, undefined, [link('a0', 2, {alias: a.marker, group: g1})]).group).toBe(g1)
  })

  test('an explicit link_group wins, and a collision is said', () => {
    expect(chooseGroup(a, 7, [])).toEqual({group: 7, warnings: []})
    const shared = chooseGroup(a, 7, [link('b0', 2, {alias: 'tunadm:/b.yaml', group: 7}), bridge('br0', 3, 7)])
    expect(shared.group).toBe(7)
    expect(shared.warnings).toEqual(['link group 7 (link_group in the file) also holds devices of another config (/b.yaml) and br0, not made by tunadm: ip link show group 7 lists them too; tunadm never removes them, and another config\'s derived group steps aside at its next apply'])
  })

  test('a config without identity gets a group only when it names one', () => {
    const anon: Identity = {from: 'none', marker: ANONYMOUS_MARKER, oldMarkers: []}
    expect(chooseGroup(anon, undefined, [])).toEqual({warnings: []})
    expect(chooseGroup(anon, 9, []).group).toBe(9)
  })
})

describe('apply\'s plan with an ownership', () => {
  const identity: Identity = {id: '/etc/tunadm/a.yaml', from: 'path', marker: 'tunadm:/etc/tunadm/a.yaml', oldMarkers: []}
  const G = derivedGroup(identity.marker)
  const entry = {name: 't7', mode: 'tap' as const, any_user: true} // no account look-up: libc stays unloaded in this worker

  test('a device found by its witnesses gets its marker back, and says how it was matched', () => {
    const t7 = link('t7', 7, {alias: 'vm web', group: G})
    const owner = new Ownership(identity, G, recordOf({7: identity.marker}))
    const p = plan(staticSnapshot({links: [t7]}), desiredFromConfig(entry, identity.marker, G), {intent: 'apply', owner: (l) => owner.match(l)})
    expect(p.matchedBy).toBe('link-group+record')
    expect(p.changes).toEqual([{what: 'managed', from: 'vm web', to: identity.marker}])
  })

  test('without the record it is foreign, and the message says which witness is missing', () => {
    const owner = new Ownership(identity, G)
    const e = refusal(() => plan(staticSnapshot({links: [link('t7', 7, {alias: 'vm web', group: G})]}), desiredFromConfig(entry, identity.marker, G), {intent: 'apply', owner: (l) => owner.match(l)}))
    expect(e.code).toBe('FOREIGN')
    expect(e.message).toBe(`t7 exists and has no tunadm marker; it carries the config's link group ${G}, but tunadm has no record that this config made it`)
    const adopted = plan(staticSnapshot({links: [link('t7', 7, {alias: 'vm web', group: G})]}), desiredFromConfig(entry, identity.marker, G), {intent: 'apply', adopt: true, owner: (l) => owner.match(l)})
    expect(adopted.matchedBy).toBe('adopted')
  })
})

/** A kernel of links in memory: a group delete takes whatever is in the group, of any kind, as the real one does. */
class FakeKernel implements DeleteIo {
  links_ = new Map<number, Link>()
  deleted: string[] = []
  calls: string[] = []
  /** Runs after the devices were moved into the private group: a race. */
  afterMove?: (group: number) => void
  /** Runs right after the other links were read again: a race tunadm sees only through announcements. */
  afterCheck?: (group: number) => void
  /** Runs right before the group delete: a race tunadm cannot see. */
  beforeDelete?: (group: number) => void
  randoms: number[] = []
  groupDeleteFails = false
  /** Announcements to the watch. */
  queue: Link[] = []
  lostAnnouncements = false
  private group = 0

  constructor(links: Link[]) {
    for (const l of links) this.links_.set(l.index, {...l})
  }

  links(): Link[] {
    this.calls.push('dump')
    return [...this.links_.values()].map((l) => ({...l}))
  }

  current(indexes: number[]): Link[] {
    this.calls.push(`read ${indexes.length} others`)
    const out = indexes.filter((i) => this.links_.has(i)).map((i) => ({...this.links_.get(i)!}))
    this.afterCheck?.(this.group)
    return out
  }

  /** Deletions announced to the watch (each link as it was, with its group). */
  gone: Link[] = []

  /** The links whose announcements the watch's socket filter drops (the last set it was given), and each set given. */
  ignored = new Set<number>()
  ignores: number[][] = []

  watch = {
    drain: (skip?: ReadonlySet<number>, deleted?: Link[]): Link[] | undefined => {
      if (this.lostAnnouncements) return undefined
      const dropped = this.gone.splice(0)
      if (deleted) deleted.push(...dropped.filter((l) => !skip?.has(l.index)).map((l) => ({...l})))
      return this.queue.splice(0).map((l) => ({...l}))
    },
    ignore: (indexes: ReadonlySet<number>): void => {
      this.ignored = new Set(indexes)
      this.ignores.push([...indexes].sort((a, b) => a - b))
    },
  }

  /** An announcement, unless the filter drops it (as the kernel does, before the socket's queue). */
  private announce(l: Link, to: Link[] = this.queue): void {
    if (!this.ignored.has(l.index)) to.push({...l})
  }

  /** Change a link as another program would; the kernel announces it only while it is up (or when it is new). */
  move(index: number, group: number, announced = false): void {
    const l = this.links_.get(index)!
    l.group = group
    if (announced) this.announce(l)
  }

  add(l: Link): void {
    this.links_.set(l.index, {...l})
    this.announce(l)
  }

  /** Moves the kernel refuses (by ifindex): EPERM, the device left where it is. */
  moveFails = new Set<number>()

  setGroup(targets: Link[], group: number): Array<KernelError | undefined> {
    this.group = group
    this.calls.push(`move ${targets.length} to private group`)
    const out = targets.map((t) => {
      const l = this.links_.get(t.index)
      if (!l) return new KernelError('RTM_SETLINK', 19, t.name)
      if (this.moveFails.has(t.index)) return new KernelError('RTM_SETLINK', 1, t.name)
      l.group = group
      return undefined
    })
    this.afterMove?.(group)
    return out
  }

  deleteGroup(group: number): void {
    this.beforeDelete?.(group)
    this.calls.push('delete group')
    if (this.groupDeleteFails) throw new KernelError('RTM_DELLINK', 95, `link group ${group}`)
    for (const l of [...this.links_.values()]) {
      if (l.group === group) {
        this.links_.delete(l.index)
        this.deleted.push(l.name)
        this.announce(l, this.gone)
      }
    }
  }

  deleteEach(targets: Link[]): Array<KernelError | undefined> {
    this.calls.push(`delete ${targets.length} one by one`)
    return targets.map((t) => {
      const l = this.links_.get(t.index)
      if (!l) return new KernelError('RTM_DELLINK', 19, t.name)
      this.links_.delete(t.index)
      this.deleted.push(l.name)
      return undefined
    })
  }

  random(min: number, max: number): number {
    const v = this.randoms.shift() ?? 123456789
    expect(v >= min && v <= max).toBe(true)
    return v
  }
}

describe('deleting many devices, never another', () => {
  const G = 4242
  const ours = [link('t0', 2, {group: G}), link('t1', 3, {group: G}), link('t2', 4, {group: 7})]
  const setup = () => new FakeKernel([...ours, bridge('br0', 10, 0), link('other', 11, {alias: 'tunadm:/b.yaml', group: G})])
  const del = (k: FakeKernel, targets = ours, opts = {}) => deleteDevices(k, targets, k.links(), k.watch, opts)

  test('moved into a fresh private group, the other links read again, deleted with one request; nothing else goes', () => {
    const k = setup()
    const r = del(k)
    expect(r).toMatchObject({byGroup: true, group: 123456789, warnings: []})
    expect(r.errors.size).toBe(0)
    expect(k.deleted.sort()).toEqual(['t0', 't1', 't2'])
    expect(k.calls).toEqual(['dump', 'move 3 to private group', 'read 2 others', 'delete group', 'dump'])
  })

  test('a bridge moved into the config\'s group during down is never deleted (the deleted group is not the config\'s)', () => {
    const k = setup()
    k.afterMove = () => k.move(10, G)
    const r = del(k)
    expect(r.byGroup).toBe(true)
    expect(k.deleted.sort()).toEqual(['t0', 't1', 't2'])
    expect(k.links_.has(10)).toBe(true)
  })

  test('a bridge moved into the private group before the check: found, and the devices go one by one', () => {
    const k = setup()
    k.afterMove = (group) => k.move(10, group)
    const r = del(k)
    expect(r.byGroup).toBe(false)
    expect(r.warnings).toEqual(['the private link group 123456789 tunadm moved the devices into also held br0, which tunadm did not put there: deleted one by one instead, and it was left alone'])
    expect(k.deleted.sort()).toEqual(['t0', 't1', 't2'])
    expect(k.links_.has(10)).toBe(true)
    expect(k.calls).toContain('delete 3 one by one')
    expect(k.calls).not.toContain('delete group')
  })

  test('a link created after the links were read, or one that is up moved in after the check: the announcements show it', () => {
    const k = setup()
    const known = k.links()
    k.add(bridge('br-new', 20, 0)) // not in what was read: announced, and read again with the others
    k.afterMove = (group) => k.move(20, group)
    deleteDevices(k, ours, known, k.watch)
    expect(k.links_.has(20)).toBe(true)
    expect(k.calls).toContain('read 3 others')
    const up = setup()
    up.afterCheck = (group) => up.move(10, group, true)
    const r = del(up)
    expect(r.byGroup).toBe(false)
    expect(up.links_.has(10)).toBe(true)
  })

  test('announcements lost (the kernel\'s buffer overflowed), or none listened to: nothing is promised, one by one', () => {
    const k = setup()
    k.lostAnnouncements = true
    expect(del(k).byGroup).toBe(false)
    expect(k.calls).toEqual(['dump', 'delete 3 one by one'])
    const none = setup()
    deleteDevices(none, ours, none.links(), undefined)
    expect(none.calls).toEqual(['dump', 'delete 3 one by one'])
  })

  test('a link that is down moved in within the instant between the check and the delete: it cannot be seen, but the kernel\'s announcement of its deletion names it', () => {
    const k = setup()
    k.beforeDelete = (group) => k.move(10, group)
    const r = del(k)
    expect(r.warnings).toEqual(['br0 disappeared while tunadm deleted link group 123456789: another program moved it into that group in the instant between tunadm\'s check and the delete, and the kernel deleted it with the config\'s devices'])
    expect(k.calls).toEqual(['dump', 'move 3 to private group', 'read 2 others', 'delete group', 'dump'])
  })

  test('a link made after the check and put in the private group before the delete: no dump knew it, the announcements name it', () => {
    const k = setup()
    k.beforeDelete = (group) => {
      k.add(bridge('br-late', 30, group))
      k.queue.length = 0 // its creation announced too late to be read before the delete
    }
    const r = del(k)
    expect(k.deleted.sort()).toEqual(['br-late', 't0', 't1', 't2'])
    expect(r.warnings).toEqual(['br-late disappeared while tunadm deleted link group 123456789: another program moved it into that group in the instant between tunadm\'s check and the delete, and the kernel deleted it with the config\'s devices'])
  })

  test('a link another program deleted meanwhile is not said to be tunadm\'s doing; with the announcements lost after the delete, a vanished link is said with both causes', () => {
    const k = setup()
    k.beforeDelete = () => {
      k.links_.delete(10)
      k.gone.push(bridge('br0', 10, 0))
    }
    expect(del(k).warnings).toEqual([])
    const lost = setup()
    lost.beforeDelete = (group) => {
      lost.move(10, group)
      lost.lostAnnouncements = true
    }
    expect(del(lost).warnings).toEqual(['br0 disappeared while tunadm deleted link group 123456789: another program deleted it, or moved it into that group in the instant between tunadm\'s check and the delete'])
  })

  test('the random group is never one a link has; a device gone meanwhile is no error', () => {
    const k = setup()
    k.randoms = [70000, 555555]
    k.links_.delete(3) // t1 went between the snapshot and the move
    const r = deleteDevices(k, ours, [...ours, bridge('br9', 12, 70000)], k.watch)
    expect(r.group).toBe(555555)
    expect(r.errors.size).toBe(0)
    expect(k.deleted.sort()).toEqual(['t0', 't2'])
  })

  test('the announcements of the devices to move are ignored from the moves on; a device whose move failed is watched again, and one another program then puts in the private group is seen', () => {
    const k = setup()
    expect(del(k).byGroup).toBe(true)
    expect(k.ignores).toEqual([[2, 3, 4]])
    // t1's move refused: the filter is set again without it before the check, so that another program
    // moving it into the private group after the check (announced: it is up) is seen, and it stays.
    const refused = setup()
    refused.moveFails.add(3)
    refused.afterCheck = (group) => refused.move(3, group, true)
    const r = del(refused)
    expect(refused.ignores).toEqual([[2, 3, 4], [2, 4]])
    expect(r.byGroup).toBe(false)
    expect(r.warnings).toEqual(['the private link group 123456789 tunadm moved the devices into also held t1, which tunadm did not put there: deleted one by one instead, and it was left alone'])
    expect(refused.deleted.sort()).toEqual(['t0', 't2'])
    expect(refused.links_.has(3)).toBe(true)
    expect(r.errors.get(3)).toMatchObject({code: 'EPERM'})
  })

  test('a refused group delete, one device, or TUNADM_GROUP_DELETE=0: one by one', () => {
    const k = setup()
    k.groupDeleteFails = true
    const r = del(k)
    expect(r.byGroup).toBe(false)
    expect(k.deleted.sort()).toEqual(['t0', 't1', 't2'])
    const one = setup()
    del(one, [ours[0]])
    expect(one.calls).toEqual(['dump', 'delete 1 one by one'])
    const off = setup()
    del(off, ours, {groupDelete: false})
    expect(off.calls).toEqual(['dump', 'delete 3 one by one'])
  })
})
