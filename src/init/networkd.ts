/** systemd-networkd: a .netdev per device, and a .network (and .link) where there is more to set. No tunadm at boot. */
import type {DeviceConfig} from '../config/types'
import {plainName} from './escape'
import {masterKinds, refuseUnexpressible, tunFlagWords} from './express'
import {header, loadTemplate, render} from './template'
import {GenerateOptions, Generated, Generator} from './types'

const yes = (b: boolean) => (b ? 'yes' : 'no')
const lines = (entries: Array<[string, string | number | undefined]>) =>
  entries.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}\n`).join('')

function netdev(d: DeviceConfig, opts: GenerateOptions): string {
  const section = d.mode === 'tun' ? 'Tun' : 'Tap'
  const settings = lines([
    ['User', d.user], ['Group', d.group],
    ...tunFlagWords(d, 'networkd').map(([key, on]): [string, string | undefined] => [key, on ? 'yes' : undefined]),
  ])
  return render(loadTemplate('networkd/device.netdev'), {
    HEADER: header('networkd', opts), NAME: d.name, KIND: d.mode, TUN_SECTION: `\n[${section}]\n${settings}`,
  })
}

function network(d: DeviceConfig, opts: GenerateOptions, masterKey?: string): string | undefined {
  const link = lines([
    ['MACAddress', d.mac], ['MTUBytes', d.mtu],
    ['ARP', d.arp === undefined ? undefined : yes(d.arp)], ['Multicast', d.multicast === undefined ? undefined : yes(d.multicast)],
    ['AllMulticast', d.allmulti === undefined ? undefined : yes(d.allmulti)], ['Promiscuous', d.promisc === undefined ? undefined : yes(d.promisc)],
    ['ActivationPolicy', d.up === undefined ? undefined : d.up ? 'up' : 'down'],
  ])
  const peerFamily = d.peer ? (d.peer.includes(':') ? 6 : 4) : undefined
  const net: string[] = []
  if (d.master !== undefined && masterKey) net.push(`${masterKey}=${d.master}\n`)
  for (const a of d.addresses ?? []) {
    if (d.peer && (a.includes(':') ? 6 : 4) === peerFamily) net.push(`\n[Address]\nAddress=${a}\nPeer=${d.peer}\n`)
    else net.push(`\n[Address]\nAddress=${a}\n`)
  }
  for (const r of d.routes ?? []) net.push(`\n[Route]\n${lines([['Destination', r.to], ['Gateway', r.via], ['Metric', r.metric]])}`)
  if (!link && net.length === 0) return undefined
  return render(loadTemplate('networkd/device.network'), {HEADER: header('networkd', opts), NAME: d.name, LINK: link, NETWORK: net.join('')})
}

export const networkd: Generator = {
  target: 'networkd',
  summary: 'systemd-networkd .netdev (and .network, .link) files: no tunadm needed at boot',
  installDir: '/etc/systemd/network',
  standalone: 'always',
  generate(config, opts): Generated {
    refuseUnexpressible(config, 'networkd', 'systemd-networkd')
    const out: Generated = {files: [], enable: [], notes: []}
    const masters = masterKinds(config, opts, out.notes)
    for (const d of config.devices) {
      plainName(d.name, 'networkd')
      if (d.master !== undefined) plainName(d.master, 'networkd')
      const base = `10-tunadm-${d.name}`
      out.files.push({path: `${base}.netdev`, mode: 0o644, content: netdev(d, opts)})
      const net = network(d, opts, d.master === undefined ? undefined : masters.get(d.master)!.words.networkd)
      if (net) out.files.push({path: `${base}.network`, mode: 0o644, content: net})
      if (d.txqueuelen !== undefined) {
        out.files.push({path: `${base}.link`, mode: 0o644, content: render(loadTemplate('networkd/device.link'), {HEADER: header('networkd', opts), NAME: d.name, TXQUEUELEN: String(d.txqueuelen)})})
      }
    }
    out.enable.push('systemctl enable --now systemd-networkd.service', 'networkctl reload')
    if (out.files.some((f) => f.path.endsWith('.link'))) out.enable.unshift('udevadm control --reload')
    out.notes.push(
      'networkd creates a device only if it does not exist yet: to change mode, owner or tun flags of an existing device, delete it (tunadm del NAME) and run networkctl reload',
      'devices with a .network file are brought up by networkd unless the config says up: false',
    )
    if (config.devices.some((d) => d.txqueuelen !== undefined)) out.notes.push('txqueuelen is set by udev from the .link files when a device appears')
    return out
  },
}
