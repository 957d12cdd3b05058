/**
 * The kernel's TUN/TAP devices for `tunadm export`: one netlink dump each of links, addresses and
 * main-table routes, plus what only sysfs knows, per device: tun_flags (napi, napi_frags) and
 * addr_assign_type, which says whether a TAP's MAC was set by hand (NET_ADDR_SET) or chosen at random by
 * the kernel (NET_ADDR_RANDOM). After --netns, kernel/sysfs.ts mounts a sysfs of that namespace (root).
 */
import {withNetlink} from '../kernel/netlink'
import {readAddrAssignType, readTunFlags} from '../kernel/sysfs'
import {findHolders} from '../system/holders'
import {CapturedLink} from './capture'

export function readTunLinks(): CapturedLink[] {
  const {links, addresses, routes} = withNetlink((nl) => ({links: nl.links(), addresses: nl.addresses(), routes: nl.mainUnicastRoutes()}))
  const byIndex = new Map(links.map((l) => [l.index, l]))
  const out: CapturedLink[] = []
  let holders: Map<string, Array<{pid: number; command: string}>> | undefined
  for (const l of links) {
    if (l.kind !== 'tun' || !l.tun) continue
    const master = l.master ? byIndex.get(l.master) : undefined
    const c: CapturedLink = {
      name: l.name,
      mode: l.tun.type,
      owner: l.tun.owner,
      group: l.tun.group,
      persist: l.tun.persist,
      state: {mode: l.tun.type, pi: l.tun.pi, vnetHdr: l.tun.vnetHdr, multiQueue: l.tun.multiQueue, tunFlags: readTunFlags(l.name)},
      flags: l.flags,
      mtu: l.mtu,
      txqlen: l.txqlen,
      mac: l.mac,
      macAssign: l.tun.type === 'tap' ? readAddrAssignType(l.name) : undefined,
      master: master?.name,
      masterKind: master?.kind,
      alias: l.alias,
      linkGroup: l.group,
      addresses: addresses.filter((a) => a.index === l.index).map((a) => ({family: a.family, address: a.address, prefixLen: a.prefixLen, peer: a.peer, scope: a.scope})),
      routes: routes.filter((r) => r.oif === l.index).map((r) => ({family: r.family, dst: r.dst, dstLen: r.dstLen, gateway: r.gateway, priority: r.priority, protocol: r.protocol, scope: r.scope, prefsrc: r.prefsrc})),
    }
    if (!c.persist) {
      holders ??= findHolders()
      c.holders = (holders.get(l.name) ?? []).map((h) => `${h.command} (pid ${h.pid})`)
    }
    out.push(c)
  }
  return out
}
