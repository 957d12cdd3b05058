/**
 * systemd-networkd: .netdev files of Kind=tun/tap ([Tun]/[Tap]), the first .network (in networkd's
 * order: by file name) whose [Match] selects the device, and the first .link udev would apply. Pure.
 */
import {At, Collector, Draft} from './draft'
import {IniEntry, IniFile, entriesOf, parseIni, systemdBoolean} from './ini'

export interface SourceFile {
  path: string
  text: string
}

/** Keys that configure networkd's own behaviour (boot waiting, carrier handling), not the device: nothing to translate. */
const NO_DEVICE_EFFECT: Record<string, string[]> = {
  NetDev: ['Description'],
  Link: ['RequiredForOnline', 'RequiredFamilyForOnline'],
  Network: ['Description', 'ConfigureWithoutCarrier', 'IgnoreCarrierLoss', 'KeepConfiguration'],
}

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1)

export function importNetworkd(files: SourceFile[], c: Collector): void {
  const sorted = [...files].sort((a, b) => (base(a.path) < base(b.path) ? -1 : base(a.path) > base(b.path) ? 1 : 0))
  const parsed = sorted.map((f) => ({path: f.path, ini: parseIni(f.text, 'systemd')}))
  const mine = new Set<string>()
  for (const f of parsed.filter((p) => p.path.endsWith('.netdev'))) {
    const name = netdev(f.path, f.ini, c)
    if (name) mine.add(name)
  }
  const networks = parsed.filter((p) => p.path.endsWith('.network'))
  const used = new Set<string>()
  for (const name of mine) {
    const d = c.devices.get(name)!
    for (const n of networks) {
      const m = matches(n.path, n.ini, d, c)
      if (m === 'unknown') break
      if (m) {
        network(n.path, n.ini, d, c)
        used.add(n.path)
        break
      }
    }
  }
  for (const n of networks) if (!used.has(n.path)) c.skip({file: n.path, line: 1}, 'matches no TUN/TAP device of these .netdev files (or an earlier .network took them)')
  const links = parsed.filter((p) => p.path.endsWith('.link'))
  const usedLinks = new Set<string>()
  for (const name of mine) {
    const d = c.devices.get(name)!
    for (const l of links) {
      const names = entriesOf(l.ini, 'Match').filter((e) => e.key === 'OriginalName').flatMap((e) => e.value.split(/\s+/))
      if (names.some((g) => glob(g, name))) {
        link(l.path, l.ini, d, c)
        usedLinks.add(l.path)
        break
      }
    }
  }
  for (const l of links) if (!usedLinks.has(l.path)) c.skip({file: l.path, line: 1}, 'a .link file that names none of these TUN/TAP devices in OriginalName=')
}

function netdev(file: string, ini: IniFile, c: Collector): string | undefined {
  junk(file, ini, c)
  const nd = entriesOf(ini, 'NetDev')
  const get = (k: string) => [...nd].reverse().find((e) => e.key === k)
  const kind = get('Kind')
  const name = get('Name')
  if (!kind || (kind.value !== 'tun' && kind.value !== 'tap')) {
    c.skip({file, line: kind?.line ?? 1}, `Kind=${kind?.value ?? '(none)'}: not a TUN/TAP device`, name?.value)
    return undefined
  }
  if (!name) {
    c.untranslated({file, line: kind.line}, 'a tun/tap .netdev without Name= (networkd refuses it)')
    return undefined
  }
  const at = {file, line: name.line}
  const existing = c.devices.get(name.value)
  if (existing?.created) {
    // networkd reads the first file of a name and ignores the others.
    c.untranslated(at, `${name.value} is already defined in ${existing.created.file}:${existing.created.line}; networkd uses only the first, and so does this import`, name.value)
    return undefined
  }
  const d = c.device(name.value, at)
  d.created = at
  c.set(d, 'mode', kind.value, at)
  for (const s of ini.sections) {
    if (s.name === 'NetDev') {
      for (const e of s.entries) {
        if (e.key === 'Name' || e.key === 'Kind' || NO_DEVICE_EFFECT.NetDev.includes(e.key)) continue
        if (e.key === 'MTUBytes') mtu(e, file, d, c)
        else if (e.key === 'MACAddress') mac(e, file, d, c)
        else unknownKey(file, e, d, c)
      }
    } else if (s.name === 'Tun' || s.name === 'Tap') {
      if (s.name.toLowerCase() !== kind.value) c.untranslated({file, line: s.line}, `[${s.name}] in a Kind=${kind.value} .netdev: networkd ignores it`, d.name)
      for (const e of s.entries) {
        const eat = {file, line: e.line}
        if (e.key === 'User' || e.key === 'Group') c.set(d, e.key === 'User' ? 'user' : 'group', /^\d+$/.test(e.value) ? Number(e.value) : e.value, eat)
        else if (e.key === 'PacketInfo' || e.key === 'VNetHeader' || e.key === 'MultiQueue') {
          const b = bool(e, file, d, c)
          if (b !== undefined) c.set(d, e.key === 'PacketInfo' ? 'pi' : e.key === 'VNetHeader' ? 'vnet_hdr' : 'multi_queue', b, eat)
        } else if (e.key === 'OneQueue') continue // no effect on current kernels
        else if (e.key === 'KeepCarrier') {
          if (bool(e, file, d, c)) c.untranslated(eat, 'KeepCarrier=yes: networkd holds the device open so it keeps its carrier; tunadm makes persistent devices that have carrier only while a program is attached', d.name)
        } else unknownKey(file, e, d, c)
      }
    } else if (s.name === 'Match') {
      c.untranslated({file, line: s.line}, '[Match] in a .netdev: networkd creates the device only on hosts that match; tunadm apply creates it wherever the config is applied', d.name)
    } else unknownSection(file, s.name, s.line, d, c)
  }
  return d.name
}

type MatchResult = boolean | 'unknown'

function matches(file: string, ini: IniFile, d: Draft, c: Collector): MatchResult {
  const entries = entriesOf(ini, 'Match')
  if (entries.length === 0) return false // networkd applies a .network without [Match] to every link: too broad to be about this device
  let result = true
  for (const e of entries) {
    if (e.key === 'Name') {
      const pats = e.value.split(/\s+/).filter(Boolean)
      const neg = pats[0]?.startsWith('!')
      const hit = pats.some((p) => glob(p.replace(/^!/, ''), d.name))
      if (neg ? hit : !hit) result = false
    } else if (e.key === 'Kind') {
      if (!e.value.split(/\s+/).includes(d.settings.mode!.value)) result = false
    } else if (e.key === 'Type') {
      if (!e.value.split(/\s+/).includes(d.settings.mode!.value === 'tap' ? 'ether' : 'none')) result = false
    } else if (e.key === 'Driver') {
      if (!e.value.split(/\s+/).includes('tun')) result = false
    } else {
      if (result) c.untranslated({file, line: e.line}, `[Match] ${e.key}=: tunadm cannot tell whether this .network applies to ${d.name}; it and the .network files after it are not imported for ${d.name}`, d.name)
      return result ? 'unknown' : false
    }
  }
  return result
}

function network(file: string, ini: IniFile, d: Draft, c: Collector): void {
  junk(file, ini, c)
  let activation: IniEntry | undefined
  for (const s of ini.sections) {
    const at = (e: IniEntry): At => ({file, line: e.line})
    if (s.name === 'Match') continue
    if (s.name === 'Link') {
      for (const e of s.entries) {
        if (NO_DEVICE_EFFECT.Link.includes(e.key)) continue
        if (e.key === 'MACAddress') mac(e, file, d, c)
        else if (e.key === 'MTUBytes') mtu(e, file, d, c)
        else if (['ARP', 'Multicast', 'AllMulticast', 'Promiscuous'].includes(e.key)) {
          const b = bool(e, file, d, c)
          if (b !== undefined) c.set(d, ({ARP: 'arp', Multicast: 'multicast', AllMulticast: 'allmulti', Promiscuous: 'promisc'} as const)[e.key as 'ARP'], b, at(e))
        } else if (e.key === 'ActivationPolicy') activation = e
        else if (e.key === 'Unmanaged' && systemdBoolean(e.value) === false) continue
        else unknownKey(file, e, d, c)
      }
    } else if (s.name === 'Network') {
      for (const e of s.entries) {
        if (NO_DEVICE_EFFECT.Network.includes(e.key)) continue
        if (e.key === 'Address') c.addAddress(d, e.value, undefined, at(e))
        else if (e.key === 'Gateway') c.addRoute(d, 'default', e.value, undefined, at(e), e.value.includes(':') ? 6 : 4)
        else if (e.key === 'Bridge') c.set(d, 'master', e.value, at(e))
        else if (e.key === 'DHCP' && systemdBoolean(e.value) === false) continue
        else if (e.key === 'IPv6AcceptRA' && systemdBoolean(e.value) === false) continue
        else if (e.key === 'LinkLocalAddressing' && ['ipv6', 'yes', 'true'].includes(e.value)) continue
        else unknownKey(file, e, d, c)
      }
    } else if (s.name === 'Address') {
      const get = (k: string) => s.entries.find((e) => e.key === k)
      const a = get('Address')
      if (!a) {
        c.untranslated({file, line: s.line}, '[Address] without Address=', d.name)
        continue
      }
      for (const e of s.entries) if (e.key !== 'Address' && e.key !== 'Peer') unknownKey(file, e, d, c)
      const peer = get('Peer')
      c.addAddress(d, peer ? a.value.split('/')[0] : a.value, peer?.value, at(a))
    } else if (s.name === 'Route') {
      const get = (k: string) => [...s.entries].reverse().find((e) => e.key === k)
      let ok = true
      for (const e of s.entries) {
        if (['Destination', 'Gateway', 'Metric'].includes(e.key)) continue
        if (e.key === 'Table' && ['main', '254'].includes(e.value)) continue
        unknownKey(file, e, d, c)
        ok = false
      }
      if (!ok) continue
      const dest = get('Destination')
      const gw = get('Gateway')
      const metric = get('Metric')
      const m = metric ? Number(metric.value) : undefined
      if (m !== undefined && !(Number.isInteger(m) && m >= 0)) {
        c.untranslated(at(metric!), `Metric=${metric!.value} is not a whole number`, d.name)
        continue
      }
      const fam = (dest?.value ?? gw?.value ?? '').includes(':') ? 6 : 4
      c.addRoute(d, dest?.value ?? 'default', gw?.value, m, at(dest ?? gw ?? {line: s.line} as IniEntry), fam)
    } else unknownSection(file, s.name, s.line, d, c)
  }
  // networkd brings a device with a .network up unless ActivationPolicy says otherwise.
  const policy = activation?.value ?? 'up'
  const where = {file, line: activation?.line ?? entriesOf(ini, 'Match')[0]?.line ?? 1}
  if (policy === 'up' || policy === 'always-up') c.set(d, 'up', true, where)
  else if (policy === 'down' || policy === 'always-down') c.set(d, 'up', false, where)
  else c.untranslated(where, `ActivationPolicy=${policy}: tunadm sets a device up or down, or leaves it as it is`, d.name)
}

function link(file: string, ini: IniFile, d: Draft, c: Collector): void {
  for (const s of ini.sections) {
    if (s.name === 'Match') {
      for (const e of s.entries) if (e.key !== 'OriginalName') unknownKey(file, e, d, c)
      continue
    }
    if (s.name !== 'Link') {
      unknownSection(file, s.name, s.line, d, c)
      continue
    }
    for (const e of s.entries) {
      if (e.key === 'TransmitQueueLength') {
        const n = Number(e.value)
        if (Number.isInteger(n) && n >= 0) c.set(d, 'txqueuelen', n, {file, line: e.line})
        else c.untranslated({file, line: e.line}, `TransmitQueueLength=${e.value} is not a whole number`, d.name)
      } else if (e.key === 'MACAddressPolicy' && ['persistent', 'none'].includes(e.value)) {
        // udev's default for every new device (99-default.link): it applies whoever creates the device.
        continue
      } else if (e.key === 'MACAddress') mac(e, file, d, c)
      else if (e.key === 'MTUBytes') mtu(e, file, d, c)
      else if (e.key === 'Description') continue
      else unknownKey(file, e, d, c)
    }
  }
}

function junk(file: string, ini: IniFile, c: Collector): void {
  for (const j of ini.junk) c.untranslated({file, line: j.line}, `"${j.text}" is not a KEY=VALUE line or a [Section]`)
}

function unknownKey(file: string, e: IniEntry, d: Draft, c: Collector): void {
  c.untranslated({file, line: e.line}, `[${e.section}] ${e.key}=${e.value}: tunadm has no setting for this`, d.name)
}

function unknownSection(file: string, name: string, line: number, d: Draft, c: Collector): void {
  c.untranslated({file, line}, `[${name}]: tunadm has no settings of this section`, d.name)
}

function bool(e: IniEntry, file: string, d: Draft, c: Collector): boolean | undefined {
  const b = systemdBoolean(e.value)
  if (b === undefined) c.untranslated({file, line: e.line}, `${e.key}=${e.value} is not a boolean networkd accepts`, d.name)
  return b
}

function mtu(e: IniEntry, file: string, d: Draft, c: Collector): void {
  const m = /^(\d+)\s*([KMG]?)$/i.exec(e.value)
  const n = m ? Number(m[1]) * ({'': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3} as Record<string, number>)[m[2].toLowerCase()] : NaN
  if (!Number.isInteger(n)) c.untranslated({file, line: e.line}, `${e.key}=${e.value} is not a size networkd accepts`, d.name)
  else c.set(d, 'mtu', n, {file, line: e.line})
}

function mac(e: IniEntry, file: string, d: Draft, c: Collector): void {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(e.value)) c.untranslated({file, line: e.line}, `${e.key}=${e.value}: tunadm takes a MAC address as six colon-separated bytes`, d.name)
  else c.set(d, 'mac', e.value.toLowerCase(), {file, line: e.line})
}

/** fnmatch() as networkd uses it for Name=: * ? and [...] */
export function glob(pattern: string, name: string): boolean {
  let re = '^'
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]
    if (ch === '*') re += '.*'
    else if (ch === '?') re += '.'
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2)
      if (end < 0) re += '\\['
      else {
        re += '[' + pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']'
        i = end
      }
    } else re += ch.replace(/[.+^${}()|\\]/g, '\\$&')
  }
  return new RegExp(re + '$').test(name)
}
