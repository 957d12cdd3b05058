/**
 * NetworkManager keyfiles (.nmconnection) of type tun: [tun] mode/owner/group/flags, [ethernet] MAC and
 * MTU, [ipv4]/[ipv6] manual addresses, gateway and routes, and the bridge it is a port of. NetworkManager
 * activates the connection, so the device is up. Pure.
 */
import {At, Collector, Draft} from './draft'
import {IniEntry, keyfileBoolean, parseIni} from './ini'
import type {SourceFile} from './networkd'

/** Keys about the connection's life in NetworkManager (identity, retries, DNS policy), not the device. */
const NO_DEVICE_EFFECT: Record<string, string[]> = {
  connection: ['id', 'uuid', 'type', 'interface-name', 'timestamp', 'permissions', 'autoconnect-priority', 'autoconnect-retries', 'master', 'controller', 'slave-type', 'port-type', 'autoconnect', 'wait-device-timeout', 'secondaries'],
  ipv4: ['method', 'may-fail', 'never-default', 'ignore-auto-routes', 'ignore-auto-dns', 'dhcp-timeout', 'route-metric'],
  ipv6: ['method', 'may-fail', 'never-default', 'addr-gen-mode', 'ip6-privacy', 'ignore-auto-routes', 'ignore-auto-dns', 'route-metric'],
  ethernet: ['mac-address-blacklist', 'mac-address-denylist', 'mac-address'],
}

export function importNm(f: SourceFile, c: Collector): void {
  const ini = parseIni(f.text, 'keyfile')
  const file = f.path
  const get = (section: string, key: string): IniEntry | undefined =>
    [...ini.sections].reverse().filter((s) => s.name === section).flatMap((s) => [...s.entries].reverse()).find((e) => e.key === key)
  const type = get('connection', 'type')
  if (!type || type.value !== 'tun') {
    c.skip({file, line: type?.line ?? 1}, `a NetworkManager connection of type ${type?.value ?? '(none)'}: not a TUN/TAP device`)
    return
  }
  const ifname = get('connection', 'interface-name')
  if (!ifname) {
    c.untranslated({file, line: type.line}, 'a tun connection without interface-name: NetworkManager lets the kernel choose the name; give the device a name in the config')
    return
  }
  for (const j of ini.junk) c.untranslated({file, line: j.line}, `"${j.text}" is not a key=value line or a [section]`)
  const at = {file, line: ifname.line}
  if (c.devices.get(ifname.value)?.created) {
    const other = c.devices.get(ifname.value)!.created!
    c.untranslated(at, `${ifname.value} is already created by ${other.file}:${other.line}; this connection is not imported`, ifname.value)
    return
  }
  const d = c.device(ifname.value, at)
  d.created = at
  const mode = get('tun', 'mode')
  const m = mode?.value ?? '1'
  if (m !== '1' && m !== '2') {
    c.untranslated({file, line: mode!.line}, `[tun] mode=${m}: NetworkManager knows 1 (tun) and 2 (tap)`, d.name)
    c.devices.delete(d.name)
    return
  }
  c.set(d, 'mode', m === '1' ? 'tun' : 'tap', mode ? {file, line: mode.line} : at)
  const autoconnect = get('connection', 'autoconnect')
  if (autoconnect && keyfileBoolean(autoconnect.value) === false) {
    c.untranslated({file, line: autoconnect.line}, `autoconnect=false: NetworkManager creates ${d.name} only when someone activates the connection; tunadm apply creates it every time`, d.name)
  }
  const controller = get('connection', 'controller') ?? get('connection', 'master')
  const portType = get('connection', 'port-type') ?? get('connection', 'slave-type')
  if (controller) {
    if (portType?.value === 'bridge') {
      if (/^[0-9a-f]{8}-/i.test(controller.value)) c.untranslated({file, line: controller.line}, `${controller.key}=${controller.value} names the bridge by its connection UUID; write its interface name as master: in the config`, d.name)
      else c.set(d, 'master', controller.value, {file, line: controller.line})
    } else c.untranslated({file, line: controller.line}, `a port of a ${portType?.value ?? 'controller'} (not a bridge): tunadm has no setting for this`, d.name)
  }
  c.set(d, 'up', true, at)
  for (const s of ini.sections) {
    for (const e of s.entries) {
      const eat: At = {file, line: e.line}
      if (NO_DEVICE_EFFECT[s.name]?.includes(e.key)) continue
      if (s.name === 'tun') tun(e, eat, d, c)
      else if (s.name === 'ethernet') ethernet(e, eat, d, c)
      else if (s.name === 'ipv4' || s.name === 'ipv6') ip(e, eat, d, c, s.name === 'ipv4' ? 4 : 6)
      else if (s.name === 'proxy' && e.key === 'method' && e.value === 'none') continue
      else c.untranslated(eat, `[${s.name}] ${e.key}=${e.value}: tunadm has no setting for this`, d.name)
    }
  }
  for (const fam of ['ipv4', 'ipv6'] as const) {
    const method = get(fam, 'method')
    if (method && !['manual', 'disabled', 'ignore'].includes(method.value)) {
      c.untranslated({file, line: method.line}, `[${fam}] method=${method.value}: NetworkManager configures this address itself (DHCP, autoconfiguration or sharing); tunadm sets fixed addresses only`, d.name)
    }
  }
}

function tun(e: IniEntry, at: At, d: Draft, c: Collector): void {
  if (e.key === 'mode') return
  if (e.key === 'owner' || e.key === 'group') {
    if (e.value === '-1' || e.value === '') return // NetworkManager's "not set"
    if (!/^\d+$/.test(e.value)) c.untranslated(at, `[tun] ${e.key}=${e.value}: NetworkManager stores a number`, d.name)
    else c.set(d, e.key === 'owner' ? 'user' : 'group', Number(e.value), at)
    return
  }
  const key = ({pi: 'pi', 'vnet-hdr': 'vnet_hdr', 'multi-queue': 'multi_queue'} as const)[e.key as 'pi']
  if (!key) {
    c.untranslated(at, `[tun] ${e.key}=${e.value}: tunadm has no setting for this`, d.name)
    return
  }
  const b = keyfileBoolean(e.value)
  if (b === undefined) c.untranslated(at, `[tun] ${e.key}=${e.value} is not true or false`, d.name)
  else c.set(d, key, b, at)
}

function ethernet(e: IniEntry, at: At, d: Draft, c: Collector): void {
  if (e.key === 'mtu') {
    const n = Number(e.value)
    if (!Number.isInteger(n) || n < 0) c.untranslated(at, `[ethernet] mtu=${e.value} is not a whole number`, d.name)
    else if (n !== 0) c.set(d, 'mtu', n, at) // 0: NetworkManager leaves the MTU as it is
    return
  }
  if (e.key === 'cloned-mac-address' || e.key === 'assigned-mac-address') {
    if (e.value === 'permanent' || e.value === 'preserve') return
    if (/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(e.value)) c.set(d, 'mac', e.value.toLowerCase(), at)
    else c.untranslated(at, `${e.key}=${e.value}: NetworkManager makes this MAC address up at activation; tunadm sets a fixed one (mac:) or leaves the kernel's`, d.name)
    return
  }
  c.untranslated(at, `[ethernet] ${e.key}=${e.value}: tunadm has no setting for this`, d.name)
}

function ip(e: IniEntry, at: At, d: Draft, c: Collector, family: 4 | 6): void {
  const addr = /^address(?:es)?(\d*)$/.exec(e.key)
  if (addr) {
    // addressN=ADDR/LEN[,GATEWAY]; the old form "addresses=" holds several, separated by ';'.
    for (const item of e.value.split(';').filter(Boolean)) {
      const [a, gw] = item.split(',')
      if (c.addAddress(d, a, undefined, at, family) && gw && !['0.0.0.0', '::'].includes(gw)) c.addRoute(d, 'default', gw, undefined, at, family)
    }
    return
  }
  const route = /^routes?(\d*)$/.exec(e.key)
  if (route) {
    for (const item of e.value.split(';').filter(Boolean)) {
      const [dest, nh, metric] = item.split(',')
      const via = nh && !['0.0.0.0', '::', ''].includes(nh) ? nh : undefined
      const m = metric === undefined || metric === '' ? undefined : Number(metric)
      if (m !== undefined && !(Number.isInteger(m) && m >= 0)) {
        c.untranslated(at, `route metric ${metric} is not a whole number`, d.name)
        continue
      }
      c.addRoute(d, dest, via, m, at, family)
    }
    return
  }
  if (e.key === 'gateway') {
    c.addRoute(d, 'default', e.value, undefined, at, family)
    return
  }
  c.untranslated(at, `[ipv${family}] ${e.key}=${e.value}: tunadm has no setting for this`, d.name)
}
