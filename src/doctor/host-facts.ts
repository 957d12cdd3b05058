/**
 * Facts doctor reads from the host, all through an injectable Host root so unit tests run against
 * fixture trees. Sysctls under /proc/sys/net belong to the network namespace of the reading thread
 * (verified: after setns() on the main thread, as tunadm --netns does, they show the target namespace).
 */
import type {Host} from '../system/host'
import {TUN_NODE} from '../kernel/tun'

export const CAP_DAC_OVERRIDE = 1n
export const CAP_NET_ADMIN = 12n
export const TUN_MAJOR = 10
export const TUN_MINOR = 200

/** A user as doctor reasons about it: ids, all groups, and whether it bypasses file permissions. */
export interface Account {
  uid: number
  gid: number
  groups: number[]
  name?: string
  /** CAP_DAC_OVERRIDE: opens /dev/net/tun whatever its mode. */
  dacOverride: boolean
  /** CAP_NET_ADMIN: creates devices and attaches to any of them. */
  netAdmin: boolean
}

export interface ProcStatus {
  uid: number
  gid: number
  groups: number[]
  capEff: bigint
}

/** The caller's effective ids, groups and capabilities from /proc/self/status. */
export function readProcStatus(host: Host): ProcStatus | undefined {
  const text = host.read('/proc/self/status')
  if (!text) return undefined
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1].trim()
  const ids = (name: string) => (field(name) ?? '').split(/\s+/).filter(Boolean).map(Number)
  const cap = field('CapEff')
  return {uid: ids('Uid')[1] ?? ids('Uid')[0], gid: ids('Gid')[1] ?? ids('Gid')[0], groups: ids('Groups'), capEff: cap ? BigInt(`0x${cap}`) : 0n}
}

export const hasCap = (mask: bigint, bit: bigint) => ((mask >> bit) & 1n) === 1n

export interface PasswdLine { name: string; uid: number; gid: number }
export interface GroupLine { name: string; gid: number; members: string[] }

export interface AccountsDb {
  users: PasswdLine[]
  groups: GroupLine[]
}

/** /etc/passwd and /etc/group under the host root (not NSS, so fixtures decide). */
export function readAccounts(host: Host): AccountsDb {
  const lines = (p: string) => (host.read(p) ?? '').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'))
  return {
    users: lines('/etc/passwd').filter((f) => f.length >= 4).map((f) => ({name: f[0], uid: Number(f[2]), gid: Number(f[3])})),
    groups: lines('/etc/group').filter((f) => f.length >= 3).map((f) => ({name: f[0], gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean)})),
  }
}

/** A user from the database as an Account: primary group plus every group that lists it. Root has all capabilities. */
export function accountOf(db: AccountsDb, user: PasswdLine): Account {
  const supplementary = db.groups.filter((g) => g.members.includes(user.name)).map((g) => g.gid)
  return {uid: user.uid, gid: user.gid, groups: [...new Set([user.gid, ...supplementary])], name: user.name, dacOverride: user.uid === 0, netAdmin: user.uid === 0}
}

export function userById(db: AccountsDb, uid: number): PasswdLine | undefined {
  return db.users.find((u) => u.uid === uid)
}

export function groupById(db: AccountsDb, gid: number): GroupLine | undefined {
  return db.groups.find((g) => g.gid === gid)
}

export interface TunNode {
  exists: boolean
  isChar: boolean
  major: number
  minor: number
  /** Permission bits, e.g. 0o600. */
  mode: number
  uid: number
  gid: number
}

export function readTunNode(host: Host): TunNode {
  const st = host.stat(TUN_NODE)
  if (!st) return {exists: false, isChar: false, major: 0, minor: 0, mode: 0, uid: 0, gid: 0}
  const rdev = Number(st.rdev)
  return {
    exists: true,
    isChar: st.isCharacterDevice(),
    major: (rdev >> 8) & 0xfff,
    minor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00),
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
  }
}

/** Whether `who` may open the node read-write, as the kernel's permission check decides. */
export function canOpen(node: TunNode, who: Account): boolean {
  if (!node.exists) return false
  if (who.dacOverride) return true
  const rw = (shift: number) => ((node.mode >> shift) & 0o6) === 0o6
  if (who.uid === node.uid) return rw(6)
  if (who.groups.includes(node.gid) || who.gid === node.gid) return rw(3)
  return rw(0)
}

export const modeText = (mode: number) => '0' + mode.toString(8).padStart(3, '0')

export type DriverState = 'loaded' | 'loadable' | 'missing'

/**
 * Is the TUN driver there? Registered (built in or loaded) it appears in /proc/misc as "200 tun";
 * otherwise it may be a module that modprobe can load.
 */
export function readTunDriver(host: Host): {state: DriverState; how: string} {
  if (/^\s*200\s+tun\s*$/m.test(host.read('/proc/misc') ?? '')) {
    const module = /^tun\s/m.test(host.read('/proc/modules') ?? '')
    return {state: 'loaded', how: module ? 'loaded as module tun' : 'built into the kernel'}
  }
  const release = (host.read('/proc/sys/kernel/osrelease') ?? '').trim()
  const dep = release ? host.read(`/lib/modules/${release}/modules.dep`) ?? '' : ''
  if (/(^|\/)tun\.ko(\.[a-z]+)?:/m.test(dep)) return {state: 'loadable', how: `module tun is installed for kernel ${release} but not loaded`}
  return {state: 'missing', how: release ? `no tun module in /lib/modules/${release}` : 'kernel release unknown'}
}

/** A sysctl as a number, or undefined when the file is missing (no such device, or no IPv6). */
export function readSysctl(host: Host, path: string): number | undefined {
  const text = host.read(`/proc/sys/${path}`)
  if (text === undefined) return undefined
  const n = Number(text.trim())
  return Number.isFinite(n) ? n : undefined
}
