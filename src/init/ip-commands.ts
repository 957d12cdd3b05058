/**
 * A device as iproute2 commands, for the boot files that run no tunadm (standalone sysv/openrc
 * scripts, ifupdown stanzas). Each command is idempotent: replace rather than add.
 */
import type {DeviceConfig} from '../config/types'
import {tunFlagWords} from './express'

export type Words = Array<string | number>

/** Options of `ip tuntap add dev NAME mode MODE ...` after the mode. */
export function tuntapOptions(d: DeviceConfig): Words {
  const w: Words = []
  if (d.user !== undefined) w.push('user', d.user)
  if (d.group !== undefined) w.push('group', d.group)
  for (const [word, on] of tunFlagWords(d, 'iproute2')) if (on) w.push(word)
  return w
}

/** `ip link set dev NAME ...` with every link setting in one message, or undefined when none. */
export function linkSet(d: DeviceConfig): Words | undefined {
  const w: Words = []
  if (d.mac !== undefined) w.push('address', d.mac)
  if (d.mtu !== undefined) w.push('mtu', d.mtu)
  if (d.txqueuelen !== undefined) w.push('txqueuelen', d.txqueuelen)
  const onOff = (b: boolean) => (b ? 'on' : 'off')
  if (d.arp !== undefined) w.push('arp', onOff(d.arp))
  if (d.multicast !== undefined) w.push('multicast', onOff(d.multicast))
  if (d.promisc !== undefined) w.push('promisc', onOff(d.promisc))
  if (d.allmulti !== undefined) w.push('allmulticast', onOff(d.allmulti))
  if (d.master !== undefined) w.push('master', d.master)
  if (d.up !== undefined) w.push(d.up ? 'up' : 'down')
  return w.length ? ['ip', 'link', 'set', 'dev', d.name, ...w] : undefined
}

/** One `ip addr replace` per address; the one paired with the peer is written LOCAL peer PEER/LEN. */
export function addressCommands(d: DeviceConfig): Words[] {
  const peerFamily = d.peer ? familyOf(d.peer) : undefined
  return (d.addresses ?? []).map((a) => {
    if (d.peer && familyOf(a) === peerFamily) return ['ip', 'addr', 'replace', a.split('/')[0], 'peer', d.peer, 'dev', d.name]
    return ['ip', 'addr', 'replace', a, 'dev', d.name]
  })
}

export function routeCommands(d: DeviceConfig): Words[] {
  return (d.routes ?? []).map((r) => [
    'ip', 'route', 'replace', r.to, ...(r.via ? ['via', r.via] : []), 'dev', d.name, ...(r.metric !== undefined ? ['metric', r.metric] : []),
  ])
}

const familyOf = (prefix: string) => (prefix.includes(':') ? 6 : 4)
