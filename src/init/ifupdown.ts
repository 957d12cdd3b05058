/** ifupdown (Debian's /etc/network/interfaces): one stanza per device, created and removed with ip. */
import type {DeviceConfig} from '../config/types'
import {plainName, shCommand} from './escape'
import {refuseUnexpressible} from './express'
import {addressCommands, routeCommands, tuntapOptions} from './ip-commands'
import {header, loadTemplate, render} from './template'
import {Generator} from './types'

function stanza(d: DeviceConfig): string {
  const name = plainName(d.name, 'ifupdown')
  const create = `[ -e ${shCommand(`/sys/class/net/${d.name}`)} ] || ${shCommand('ip', 'tuntap', 'add', 'dev', d.name, 'mode', d.mode, ...tuntapOptions(d))}`
  const settings: Array<string | number> = []
  if (d.mac !== undefined) settings.push('address', d.mac)
  if (d.mtu !== undefined) settings.push('mtu', d.mtu)
  if (d.txqueuelen !== undefined) settings.push('txqueuelen', d.txqueuelen)
  for (const [key, flag] of [['arp', d.arp], ['multicast', d.multicast], ['promisc', d.promisc], ['allmulticast', d.allmulti]] as const) {
    if (flag !== undefined) settings.push(key, flag ? 'on' : 'off')
  }
  // The bridge, bond or vrf must be up by then: its own stanza comes first (auto br0 before this file is sourced).
  if (d.master !== undefined) settings.push('master', d.master)
  const lines = [`auto ${name}`, `iface ${name} inet manual`, `\tpre-up ${create}`]
  if (settings.length) lines.push(`\tpre-up ${shCommand('ip', 'link', 'set', 'dev', d.name, ...settings)}`)
  // The manual method sets the link up itself; a device meant to stay down is taken down again.
  lines.push(`\tup ${shCommand('ip', 'link', 'set', 'dev', d.name, d.up === false ? 'down' : 'up')}`)
  for (const w of [...addressCommands(d), ...routeCommands(d)]) lines.push(`\tup ${shCommand(...w)}`)
  lines.push(`\tpost-down ${shCommand('ip', 'link', 'del', 'dev', d.name)}`)
  return lines.join('\n')
}

export const ifupdown: Generator = {
  target: 'ifupdown',
  summary: 'stanzas for /etc/network/interfaces.d (ifup creates, ifdown removes each device)',
  installDir: '/etc/network/interfaces.d',
  standalone: 'always',
  generate(config, opts) {
    refuseUnexpressible(config, 'iproute2', 'ifupdown (ip commands)')
    const content = render(loadTemplate('ifupdown/tunadm'), {
      HEADER: header('ifupdown', opts),
      STANZAS: config.devices.map((d) => `\n${stanza(d)}\n`).join(''),
    })
    return {
      files: [{path: 'tunadm', mode: 0o644, content}],
      enable: [
        "grep -qs '^source /etc/network/interfaces.d/' /etc/network/interfaces || echo 'source /etc/network/interfaces.d/*' >> /etc/network/interfaces",
        ...(config.devices.length ? [`ifup ${config.devices.map((d) => d.name).join(' ')}`] : []),
      ],
      notes: ['ifupdown sets every configured device up (auto); devices with up: false are taken down again right after'],
    }
  },
}
