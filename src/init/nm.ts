/**
 * NetworkManager: one keyfile per device in /etc/NetworkManager/system-connections. NetworkManager
 * ignores keyfiles that are not owned by root with mode 0600, and stores owner and group only as
 * numbers: names are resolved here, on the machine that generates the files.
 */
import type {DeviceConfig} from '../config/types'
import {InvalidInputError} from '../errors'
import {keyfileValue, plainName} from './escape'
import {masterKinds, refuseUnexpressible, tunFlagWords} from './express'
import {header, loadTemplate, render} from './template'
import {GenerateOptions, Generator} from './types'

/** A stable UUID (version 5 layout) from the device name, so regenerating keeps the connection's identity. */
export function connectionUuid(name: string): string {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const {createHash} = require('node:crypto') as typeof import('node:crypto')
  const h = createHash('sha1').update(`tunadm:nm:${name}`).digest()
  h[6] = (h[6] & 0x0f) | 0x50
  h[8] = (h[8] & 0x3f) | 0x80
  const x = h.subarray(0, 16).toString('hex')
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`
}

function unsupported(d: DeviceConfig): string[] {
  const out: string[] = []
  if (d.peer) out.push('peer')
  if (d.txqueuelen !== undefined) out.push('txqueuelen')
  for (const k of ['arp', 'multicast', 'promisc', 'allmulti'] as const) if (d[k] !== undefined) out.push(k)
  return out
}

const kv = (entries: Array<[string, string | number | boolean | undefined]>) =>
  entries.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${keyfileValue(v!)}\n`).join('')

function ip(d: DeviceConfig, family: 4 | 6): string {
  const mine = (p: string) => (p.includes(':') ? 6 : 4) === family
  const addresses = (d.addresses ?? []).filter(mine)
  const routes = (d.routes ?? []).filter((r) => mine(r.to))
  if (addresses.length === 0 && routes.length === 0) return family === 4 ? 'method=disabled\n' : 'method=ignore\n'
  const anyGw = family === 4 ? '0.0.0.0' : '::'
  return kv([
    ['method', 'manual'],
    ...addresses.map((a, i): [string, string] => [`address${i + 1}`, a]),
    ...routes.map((r, i): [string, string] => [`route${i + 1}`, [r.to, ...(r.via || r.metric !== undefined ? [r.via ?? anyGw] : []), ...(r.metric !== undefined ? [r.metric] : [])].join(',')]),
  ])
}

function keyfile(d: DeviceConfig, opts: GenerateOptions, portType?: string): string {
  const id = (kind: 'user' | 'group', v: string | number | undefined) => (typeof v === 'string' ? opts.resolveId(kind, v) : v)
  const ethernet = kv([['cloned-mac-address', d.mac], ['mtu', d.mtu]])
  return render(loadTemplate('nm/device.nmconnection'), {
    HEADER: header('nm', opts),
    ID: `tunadm-${d.name}`,
    UUID: connectionUuid(d.name),
    NAME: d.name,
    // A port has no IP configuration of its own: NetworkManager keeps none for it.
    PORT: d.master !== undefined && portType ? kv([['master', d.master], ['slave-type', portType]]) : '',
    IP: d.master !== undefined ? '' : `[ipv4]\n${ip(d, 4)}\n[ipv6]\n${ip(d, 6)}\n`,
    TUN: kv([
      ['mode', d.mode === 'tun' ? 1 : 2], ['owner', id('user', d.user)], ['group', id('group', d.group)],
      ...tunFlagWords(d, 'nm'),
    ]),
    ETHERNET: ethernet ? `[ethernet]\n${ethernet}\n` : '',
  })
}

export const nm: Generator = {
  target: 'nm',
  summary: 'NetworkManager keyfiles (type tun), mode 0600 as NetworkManager requires',
  installDir: '/etc/NetworkManager/system-connections',
  standalone: 'always',
  generate(config, opts) {
    refuseUnexpressible(config, 'nm', 'NetworkManager')
    const problems = config.devices.map((d) => [d.name, unsupported(d)] as const).filter(([, u]) => u.length > 0)
    if (problems.length > 0) {
      throw new InvalidInputError(`NetworkManager cannot express ${problems.map(([n, u]) => `${u.join(', ')} (${n})`).join('; ')}`, {
        code: 'UNSUPPORTED_BY_TARGET',
        why: 'its tun connections have no setting for these; generating without them would make devices differ from the config',
        fix: 'remove them from the config, or use --target networkd or systemd',
      })
    }
    const notes = ['keyfiles must stay owned by root with mode 0600, or NetworkManager ignores them']
    const masters = masterKinds(config, opts, notes)
    const files = config.devices.map((d) => ({
      path: `tunadm-${plainName(d.name, 'nm')}.nmconnection`, mode: 0o600,
      content: keyfile(d, opts, d.master === undefined ? undefined : (plainName(d.master, 'nm'), masters.get(d.master)!.words.nm)),
    }))
    if (config.devices.some((d) => d.up === false)) notes.push('NetworkManager sets every device it activates up: up: false is not kept')
    return {
      files,
      enable: ['nmcli connection reload', ...config.devices.map((d) => `nmcli connection up tunadm-${d.name}`)],
      notes,
    }
  },
}
