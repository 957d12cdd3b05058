/**
 * Which processes hold a TUN/TAP device open: every fd on /dev/net/tun that is attached to a device
 * has a line "iff:\t<name>" in /proc/<pid>/fdinfo/<fd>. Names are per network namespace, so a
 * holder counts only when its network namespace is the one we are looking at.
 */
import type {Holder} from '../model/device'
import {Host, realHost} from './host'

export type {Holder} from '../model/device'

export function currentNetnsId(host: Host = realHost): string | undefined {
  return host.readlink('/proc/thread-self/ns/net') ?? host.readlink('/proc/self/ns/net')
}

/** All holders of TUN/TAP fds in the network namespace `netns` (a "net:[inode]" link text), by device. */
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
      if (procNetns === null) procNetns = host.readlink(`/proc/${pid}/ns/net`)
      if (netns && procNetns && procNetns !== netns) continue
      command ??= (host.read(`/proc/${pid}/comm`) ?? '?').trim()
      const list = out.get(m[1]) ?? []
      list.push({pid, command, fd: Number(fdName), device: m[1]})
      out.set(m[1], list)
    }
  }
  return out
}

export function describeHolders(holders: Holder[]): string {
  const byPid = new Map<number, Holder[]>()
  for (const h of holders) byPid.set(h.pid, [...(byPid.get(h.pid) ?? []), h])
  return [...byPid.values()].map((hs) => `${hs[0].command} (pid ${hs[0].pid})`).join(', ')
}
