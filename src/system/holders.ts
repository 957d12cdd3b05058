/**
 * Which processes hold a TUN/TAP device open: every fd on /dev/net/tun that is attached to a device
 * has a line "iff:\t<name>" in /proc/<pid>/fdinfo/<fd>. That line gives the name only, and names are
 * per network namespace: the holder's own namespace says nothing (slirp4netns and pasta keep the fd
 * outside by design, and `ip link set netns` moves a held device away). So each fd is asked which
 * namespace its device lives in (TUNGETDEVNETNS on a copy of it, as root); where the kernel cannot be
 * asked, the name alone matches and the holder is marked unverified, for the device's own queue
 * counts and carrier to judge (model/device.ts holdersOf, queueState).
 */
import type {Holder} from '../model/device'
import {Host, realHost} from './host'
import {SELF_COMM} from '../kernel/tun'

export type {Holder} from '../model/device'

export function currentNetnsId(host: Host = realHost): string | undefined {
  return host.readlink('/proc/thread-self/ns/net') ?? host.readlink('/proc/self/ns/net')
}

/**
 * Every process that may hold a TUN/TAP device of each name in the network namespace `netns` (a
 * "net:[inode]" link text): confirmed ones (verified), and ones the kernel could not be asked about.
 * Fds the kernel places in another namespace are left out.
 */
export function findHolders(host: Host = realHost, netns = currentNetnsId(host)): Map<string, Holder[]> {
  const out = new Map<string, Holder[]>()
  for (const entry of host.list('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    const fds = host.list(`/proc/${pid}/fd`)
    if (fds.length === 0) continue
    let command: string | undefined
    let procNetns: string | undefined | null = null
    for (const fdName of fds) {
      // Not only /dev/net/tun itself: a chrooted program's fd reads /srv/jail/dev/net/tun, a private
      // node another path. The fdinfo's "iff:" line is what says the fd is attached to a device.
      const {target, code} = host.readlinkOrCode(`/proc/${pid}/fd/${fdName}`)
      // The kernel allows reading a process's fd links or not as a whole (ptrace access to the process):
      // after one EACCES the rest would fail too, each a thrown error (269 of them cost 3 ms here).
      if (code === 'EACCES') break
      if (!target || !/(^|\/)tun( \(deleted\))?$/.test(target)) continue
      const info = host.read(`/proc/${pid}/fdinfo/${fdName}`)
      const m = info && /^iff:\s*(\S+)\s*$/m.exec(info)
      if (!m) continue
      const fd = Number(fdName)
      const deviceNetns = host.tunDeviceNetns(pid, fd)
      // Closed, or its process or device gone, since /proc named it (another tunadm's moment-long copy, for one).
      if (deviceNetns === null) continue
      if (deviceNetns !== undefined && netns && deviceNetns !== netns) continue
      if (procNetns === null) procNetns = host.readlink(`/proc/${pid}/ns/net`)
      command ??= (host.read(`/proc/${pid}/comm`) ?? '?').trim()
      const holder: Holder = {pid, command, fd, device: m[1]}
      if (deviceNetns !== undefined) holder.verified = true
      if (netns && procNetns && procNetns !== netns) holder.elsewhere = true
      const list = out.get(m[1]) ?? []
      list.push(holder)
      out.set(m[1], list)
    }
  }
  // Another tunadm asking the kernel about a holder's descriptor holds a copy of it for a moment: the
  // same file, not a second holder. It is left out only beside a holder the kernel confirmed, which keeps
  // the device busy by itself: any process may call itself "tunadm". A tunadm that holds a device alone
  // (del keeps its attachment until the delete) is still named.
  for (const [name, list] of out) {
    if (!list.some((h) => h.verified && h.command !== SELF_COMM)) continue
    const others = list.filter((h) => !(h.verified && h.command === SELF_COMM))
    if (others.length < list.length) out.set(name, others)
  }
  return out
}

export function describeHolders(holders: Holder[]): string {
  const byPid = new Map<number, Holder[]>()
  for (const h of holders) byPid.set(h.pid, [...(byPid.get(h.pid) ?? []), h])
  return [...byPid.values()].map(([h]) => {
    const notes = [h.elsewhere && 'in another network namespace', !h.verified && h.elsewhere && 'unconfirmed: it may hold a device of this name there'].filter(Boolean)
    return `${h.command} (pid ${h.pid}${notes.length ? `, ${notes.join('; ')}` : ''})`
  }).join(', ')
}
