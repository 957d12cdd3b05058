/**
 * ifupdown (/etc/network/interfaces and the files it sources): stanzas whose hooks create a TUN/TAP
 * device (pre-up ip tuntap add / tunctl -t / openvpn --mktun, or Debian's tunctl_user option), with the
 * static addresses and the hook commands that configure it. ifup runs pre-up, then the method (which sets
 * the link up and adds a static address), then up and post-up; the down hooks are teardown, which
 * `tunadm down` does. Reading: the file system, for `source` and `source-directory`.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {At, Collector} from './draft'
import {Command, ShellContext, reportMentions, splitCommands, translateCommand} from './shell'

interface Stanza {
  name: string
  family: string
  method: string
  at: At
  options: Array<{key: string; value: string; at: At}>
}

interface Parsed {
  stanzas: Stanza[]
  auto: Set<string>
}

/** Read a file and everything it sources, in ifupdown's order. `seen` guards against loops. */
function parse(file: string, text: string, c: Collector, out: Parsed, seen: Set<string>): void {
  seen.add(path.resolve(file))
  const lines = text.split(/\r?\n/)
  let current: Stanza | undefined
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1
    let line = lines[i]
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + ' ' + lines[++i]
    const t = line.trim()
    if (t === '' || t.startsWith('#')) continue
    const [word, ...rest] = t.split(/\s+/)
    const at = {file, line: lineNo}
    if (word === 'iface') {
      const [name, family, method] = rest
      current = {name, family: family ?? '', method: method ?? '', at, options: []}
      out.stanzas.push(current)
    } else if (word === 'auto' || word === 'allow-auto' || word === 'allow-hotplug') {
      current = undefined
      for (const n of rest) out.auto.add(n)
    } else if (word.startsWith('allow-')) {
      current = undefined
    } else if (word === 'mapping') {
      current = undefined
      c.untranslated(at, 'a mapping stanza chooses the configuration by running a script; tunadm cannot follow it')
    } else if (word === 'source' || word === 'source-directory') {
      current = undefined
      for (const pattern of rest) sourced(word, pattern, file, c, out, seen, at)
    } else if (current) {
      current.options.push({key: word, value: rest.join(' '), at})
    } else if (word === 'no-auto-down' || word === 'no-scripts') {
      continue
    } else {
      c.untranslated(at, `"${t}" is outside any stanza`)
    }
  }
}

function sourced(kind: string, pattern: string, from: string, c: Collector, out: Parsed, seen: Set<string>, at: At): void {
  // Relative paths are relative to the directory of the file that names them.
  const full = path.isAbsolute(pattern) ? pattern : path.join(path.dirname(from), pattern)
  let files: string[]
  try {
    if (kind === 'source-directory') {
      // As run-parts: names of letters, digits, _ and - only.
      files = fs.readdirSync(full).filter((n) => /^[A-Za-z0-9_-]+$/.test(n)).sort().map((n) => path.join(full, n))
    } else files = expandGlob(full)
  } catch (e) {
    c.untranslated(at, `${kind} ${pattern}: ${(e as Error).message}`)
    return
  }
  for (const f of files) {
    if (seen.has(path.resolve(f))) continue
    let text: string
    try {
      if (!fs.statSync(f).isFile()) continue
      text = fs.readFileSync(f, 'utf8')
    } catch (e) {
      c.untranslated(at, `${kind} ${pattern}: cannot read ${f}: ${(e as Error).message}`)
      continue
    }
    parse(f, text, c, out, seen)
  }
}

/** A glob of * ? [..] in any component, sorted as the shell sorts (byte order here). */
function expandGlob(pattern: string): string[] {
  const parts = pattern.split('/').filter((p, i) => i === 0 || p !== '')
  let bases = [parts[0] === '' ? '/' : parts[0]]
  for (const part of parts.slice(1)) {
    const next: string[] = []
    for (const b of bases) {
      if (!/[*?[]/.test(part)) {
        next.push(path.join(b, part))
        continue
      }
      const re = new RegExp('^' + part.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '.').replace(/\[!/g, '[^') + '$')
      let names: string[] = []
      try {
        names = fs.readdirSync(b)
      } catch {}
      for (const n of names.sort()) if (!n.startsWith('.') && re.test(n)) next.push(path.join(b, n))
    }
    bases = next
  }
  return bases.filter((b) => fs.existsSync(b))
}

const HOOKS_UP = ['pre-up', 'up', 'post-up']
const HOOKS_DOWN = ['down', 'pre-down', 'post-down']

export function importIfupdown(file: string, text: string, c: Collector, seen = new Set<string>()): void {
  const parsed: Parsed = {stanzas: [], auto: new Set()}
  parse(file, text, c, parsed, seen)
  const ctx: ShellContext = {collector: c, callerUid: 0}
  const bridges: Stanza[] = []
  const unknown: Command[] = []
  for (const s of parsed.stanzas) {
    const run = (hook: string) => {
      for (const o of s.options.filter((x) => x.key === hook)) {
        for (const cmd of splitCommands(o.value, o.at)) {
          if (translateCommand(cmd, ctx)) continue
          if (c.devices.get(s.name)?.created) {
            c.untranslated(o.at, `${hook} ${cmd.words.map((w) => w.text).join(' ')}: a command tunadm does not know; it runs when ifupdown brings ${s.name} up`, s.name)
          } else unknown.push(cmd)
        }
      }
    }
    const tunctlUser = s.options.find((o) => o.key === 'tunctl_user')
    run('pre-up')
    if (tunctlUser) {
      // Debian's uml-utilities hook: tunctl -u USER -t IFACE before the interface comes up.
      for (const cmd of splitCommands(`tunctl -u ${tunctlUser.value} -t ${s.name}`, tunctlUser.at)) translateCommand(cmd, ctx)
    }
    const d = c.devices.get(s.name)
    if (!d?.created) {
      // Another interface's stanza (a bridge, say): its hooks may still configure TUN/TAP devices made elsewhere.
      run('up')
      run('post-up')
      if (s.options.some((o) => o.key === 'bridge_ports' || o.key === 'bridge-ports')) bridges.push(s)
      else c.skip(s.at, `iface ${s.name}: not a TUN/TAP device (its hooks create none)`, s.name)
      continue
    }
    if (!parsed.auto.has(s.name)) {
      c.untranslated(s.at, `${s.name} is not marked auto or allow-hotplug: ifupdown creates it only on "ifup ${s.name}"; tunadm apply creates it every time`, s.name)
    }
    // The method: every method sets the link up; static adds its address.
    c.set(d, 'up', true, s.at)
    if (s.method === 'static') staticMethod(s, c)
    else if (s.method !== 'manual') c.untranslated(s.at, `iface ${s.name} ${s.family} ${s.method}: tunadm sets fixed addresses only (methods manual and static)`, s.name)
    if (s.family !== 'inet' && s.family !== 'inet6') c.untranslated(s.at, `address family "${s.family}": tunadm knows inet and inet6`, s.name)
    run('up')
    run('post-up')
    for (const o of s.options) {
      if ([...HOOKS_UP, ...HOOKS_DOWN, 'tunctl_user'].includes(o.key)) continue
      if (s.method === 'static' && ['address', 'netmask', 'pointopoint', 'gateway', 'mtu', 'hwaddress', 'broadcast'].includes(o.key)) continue
      c.untranslated(o.at, `${o.key} ${o.value}: tunadm has no setting for this ifupdown option`, s.name)
    }
  }
  // After every stanza: a bridge may name ports whose stanzas come later in the files.
  for (const s of bridges) bridgePorts(s, c)
  reportMentions(unknown, c)
}

function staticMethod(s: Stanza, c: Collector): void {
  const d = c.devices.get(s.name)!
  const opt = (k: string) => [...s.options].reverse().find((o) => o.key === k)
  const address = opt('address')
  const family = s.family === 'inet6' ? 6 : 4
  if (address) {
    let local = address.value
    const netmask = opt('netmask')
    if (netmask && !local.includes('/')) local = `${local}/${/^\d+$/.test(netmask.value) ? netmask.value : maskLen(netmask.value) ?? '?'}`
    const peer = opt('pointopoint')
    c.addAddress(d, peer ? local.split('/')[0] : local, peer?.value, address.at, family)
  }
  const gw = opt('gateway')
  if (gw) c.addRoute(d, 'default', gw.value, undefined, gw.at, family)
  const mtu = opt('mtu')
  if (mtu) c.set(d, 'mtu', Number(mtu.value), mtu.at)
  const hw = opt('hwaddress')
  if (hw) c.set(d, 'mac', hw.value.replace(/^ether\s+/, '').toLowerCase(), hw.at)
}

function maskLen(mask: string): number | undefined {
  const parts = mask.split('.').map(Number)
  if (parts.length !== 4) return undefined
  const bits = parts.map((p) => p.toString(2).padStart(8, '0')).join('')
  return /^1*0*$/.test(bits) ? bits.indexOf('0') < 0 ? 32 : bits.indexOf('0') : undefined
}

/** bridge-utils' bridge_ports on a bridge stanza: the TUN/TAP devices named are its ports. */
function bridgePorts(s: Stanza, c: Collector): void {
  const o = s.options.find((x) => x.key === 'bridge_ports' || x.key === 'bridge-ports')!
  for (const port of o.value.split(/\s+/)) {
    const d = c.devices.get(port)
    if (d?.created) c.set(d, 'master', s.name, o.at)
  }
}
