/**
 * Shell lines that make and configure TUN/TAP devices, as rc.local-style scripts and ifupdown hooks
 * write them: `ip tuntap add`, `tunctl`, `openvpn --mktun`, `ip link/addr/route`, `ifconfig`,
 * `brctl addif`. A line is split into simple commands (; && || |), and each command the importer knows
 * is translated; a value the shell would compute ($VAR, $(...)) cannot be known here and is reported.
 * Pure: the commands are read, never run.
 */
import {ipFamily} from '../model/ip'
import {At, Collector, Draft, Mode, readPrefix} from './draft'

export interface Word {
  text: string
  /** Contains an unquoted or double-quoted $ or a backquote: its value is known only when the script runs. */
  dynamic: boolean
}

export interface Command {
  words: Word[]
  at: At
  /** Files its redirections write to (other than /dev/null): a command that writes is never a no-op. */
  writes?: string[]
}

const OPERATORS = [';;', '&&', '||', ';', '|', '&', '(', ')']

/**
 * Split one logical line (continuations already joined) into simple commands. Comments, redirections
 * and the shell's keywords (if, then, do, ...) are dropped.
 */
export function splitCommands(line: string, at: At): Command[] {
  const commands: Command[] = []
  let words: Word[] = []
  let cur = ''
  let inWord = false
  let dynamic = false
  const endWord = () => {
    if (inWord) words.push({text: cur, dynamic})
    cur = ''
    inWord = false
    dynamic = false
  }
  const endCommand = () => {
    endWord()
    if (words.length) commands.push({words, at})
    words = []
  }
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (c === '#' && !inWord) break
    if (c === ' ' || c === '\t') {
      endWord()
      continue
    }
    const op = OPERATORS.find((o) => line.startsWith(o, i))
    if (op) {
      endCommand()
      i += op.length - 1
      continue
    }
    inWord = true
    if (c === '\\') {
      if (i + 1 < line.length) cur += line[++i]
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1)
      cur += line.slice(i + 1, end < 0 ? undefined : end)
      i = end < 0 ? line.length : end
    } else if (c === '"') {
      let j = i + 1
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length && '$`"\\'.includes(line[j + 1])) cur += line[++j]
        else {
          if (line[j] === '$' || line[j] === '`') dynamic = true
          cur += line[j]
        }
      }
      i = j
    } else {
      if (c === '$' || c === '`') dynamic = true
      cur += c
    }
  }
  endCommand()
  return commands.map(cleanCommand).filter((c): c is Command => c !== undefined)
}

const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', '!', '{', '}', 'time'])

/** Drop redirections, keywords and wrappers (sudo, exec, command, nice); undefined when nothing is left. */
function cleanCommand(c: Command): Command | undefined {
  const words: Word[] = []
  const writes: string[] = []
  const target = (op: string, t: string | undefined) => {
    if (t !== undefined && op.includes('>') && !op.includes('&') && t !== '/dev/null') writes.push(t)
  }
  for (let i = 0; i < c.words.length; i++) {
    const w = c.words[i]
    const alone = /^(\d*|&)(>>?|<|>&|<&)$/.exec(w.text)
    if (alone) {
      target(w.text, c.words[++i]?.text) // the target follows
      continue
    }
    const joined = /^(\d*|&)(>>?|<|>&|<&)(\S+)$/.exec(w.text)
    if (joined) {
      target(joined[2], joined[3])
      continue
    }
    words.push(w)
  }
  while (words.length && (KEYWORDS.has(words[0].text) || ['sudo', 'exec', 'command', 'nice', 'nohup'].includes(words[0].text))) words.shift()
  // Assignments before a command (LANG=C ip ...), or alone (a variable set for later lines).
  while (words.length > 1 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0].text)) words.shift()
  return words.length ? {words, at: c.at, ...(writes.length ? {writes} : {})} : undefined
}

/** Lines of a script with backslash-newline continuations joined, each with the number of its first line. */
export function logicalLines(text: string): Array<{text: string; line: number}> {
  const out: Array<{text: string; line: number}> = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1
    let t = lines[i]
    while (/(^|[^\\])(\\\\)*\\$/.test(t) && i + 1 < lines.length) t = t.slice(0, -1) + lines[++i]
    out.push({text: t, line: start})
  }
  return out
}

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1)

/** What one script or hook line means for the devices. */
export interface ShellContext {
  collector: Collector
  /** Whether a `--user`/owner left out means the caller (root for rc.local and ifupdown hooks). */
  callerUid: number
  /** Deletions: in ifupdown's down hooks and stop scripts they are teardown, which tunadm down does. */
  teardown?: boolean
}

/** Translate one simple command. Returns false when it is not a command about network devices at all. */
export function translateCommand(cmd: Command, ctx: ShellContext): boolean {
  const prog = base(cmd.words[0].text)
  const args = cmd.words.slice(1)
  if (cmd.writes) return false
  switch (prog) {
    case '[':
    case '[[':
    case 'test':
    case 'true':
    case 'false':
    case ':':
      return true // the guards of idempotent lines: [ -e /sys/class/net/tap0 ] || ip tuntap add ...
    case 'ip':
      return ipCommand(args, cmd.at, ctx)
    case 'tunctl':
    case 'vde_tunctl':
      return tunctl(args, cmd.at, ctx, prog === 'vde_tunctl')
    case 'openvpn':
      return openvpn(args, cmd.at, ctx)
    case 'ifconfig':
      return ifconfig(args, cmd.at, ctx)
    case 'brctl':
      return brctl(args, cmd.at, ctx)
    default:
      return false
  }
}

function dynamicWord(args: Word[]): Word | undefined {
  return args.find((w) => w.dynamic)
}

function refuseDynamic(args: Word[], at: At, ctx: ShellContext, what: string): boolean {
  const w = dynamicWord(args)
  if (!w) return false
  ctx.collector.untranslated(at, `${what} uses "${w.text}", a value the shell computes when the script runs; write the device out in the config by hand (a range such as tap{0..63} for a loop)`)
  return true
}

/** The device a command names, when it is one the files create (or a new one being created). */
function existing(ctx: ShellContext, name: string, at: At): Draft | undefined {
  const d = ctx.collector.devices.get(name)
  if (!d?.created) {
    ctx.collector.skip(at, `${name} is not created as a TUN/TAP device by these files; its settings here are not imported`, name)
    return undefined
  }
  return d
}

function create(ctx: ShellContext, name: string, mode: Mode, at: At): Draft {
  const d = ctx.collector.device(name, at)
  if (d.created && d.created.file === at.file) {
    // A second creation in the same file (an rc.local run twice over): the later flags win.
    for (const k of ['user', 'group', 'pi', 'vnet_hdr', 'multi_queue'] as const) ctx.collector.unset(d, k)
  }
  d.created = at
  ctx.collector.set(d, 'mode', mode, at)
  return d
}

function owner(ctx: ShellContext, d: Draft, user: string | undefined, group: string | undefined, at: At): void {
  if (user !== undefined) ctx.collector.set(d, 'user', account(user), at)
  if (group !== undefined) ctx.collector.set(d, 'group', account(group), at)
}

const account = (text: string): string | number => (/^\d+$/.test(text) ? Number(text) : text)

// ---------------------------------------------------------------- ip

function ipCommand(all: Word[], at: At, ctx: ShellContext): boolean {
  let family: 4 | 6 | undefined
  const args = [...all]
  while (args.length && args[0].text.startsWith('-')) {
    const o = args.shift()!.text
    if (o === '-4') family = 4
    else if (o === '-6') family = 6
    else if (['-d', '-details', '-s', '-stats', '-statistics', '-c', '-color', '-br', '-brief', '-o', '-oneline'].includes(o) || o.startsWith('-color=')) continue
    else {
      ctx.collector.untranslated(at, `ip ${o}: tunadm cannot translate this option${['-n', '-netns', '-b', '-batch'].includes(o) ? ' (another namespace or a batch file)' : ''}`)
      return true
    }
  }
  const [obj, verb, ...rest] = args
  if (!obj) return false
  const o = obj.text
  const v = verb?.text ?? ''
  // Deletion is teardown (tunadm down removes a config's devices), whatever it names.
  if (['del', 'delete', 'd'].includes(v) && (o === 'link' || o === 'l' || ('tuntap'.startsWith(o) && o.length >= 2))) return true
  if (refuseDynamic(rest, at, ctx, `ip ${o} ${v}`)) return true
  if ('tuntap'.startsWith(o) && o.length >= 2 && o !== 'tcp_metrics') return ipTuntap(v, rest.map((w) => w.text), at, ctx)
  if ('link'.startsWith(o)) return ipLink(v, rest.map((w) => w.text), at, ctx)
  if ('address'.startsWith(o) || o === 'addr') return ipAddr(v, rest.map((w) => w.text), at, ctx, family)
  if ('route'.startsWith(o) && o.length >= 2) return ipRoute(v, rest.map((w) => w.text), at, ctx, family)
  return false
}

function ipTuntap(verb: string, w: string[], at: At, ctx: ShellContext): boolean {
  if (['del', 'delete', 'd'].includes(verb)) return true // teardown: tunadm down removes the config's devices
  if (['show', 'list', 'lst', 'sh', 'ls', 'help', ''].includes(verb)) return true
  if (!['add', 'a'].includes(verb)) return false
  let name: string | undefined
  let mode: Mode | undefined
  let user: string | undefined
  let group: string | undefined
  const flags = {pi: false, vnet_hdr: false, multi_queue: false}
  for (let i = 0; i < w.length; i++) {
    const t = w[i]
    if (t === 'mode') {
      const m = w[++i]
      if (m !== 'tun' && m !== 'tap') {
        ctx.collector.untranslated(at, `ip tuntap mode "${m}": tunadm makes tun and tap devices`)
        return true
      }
      mode = m
    } else if (t === 'user') user = w[++i]
    else if (t === 'group') group = w[++i]
    else if (t === 'dev' || t === 'name') name = w[++i]
    else if (t === 'pi' || t === 'vnet_hdr' || t === 'multi_queue') flags[t] = true
    else if (t === 'one_queue') continue // no effect on current kernels
    else if (name === undefined && !t.includes(' ')) name = t
    else {
      ctx.collector.untranslated(at, `ip tuntap add: option "${t}" is not one tunadm knows`, name)
      return true
    }
  }
  if (name === undefined || name.includes('%')) {
    ctx.collector.untranslated(at, 'ip tuntap add without a fixed name: the kernel chooses it when the line runs; give the device a name in the config')
    return true
  }
  if (!mode) {
    ctx.collector.untranslated(at, `ip tuntap add ${name} has no mode (ip refuses it): say tun or tap in the config`, name)
    return true
  }
  const d = create(ctx, name, mode, at)
  owner(ctx, d, user, group, at)
  for (const k of ['pi', 'vnet_hdr', 'multi_queue'] as const) if (flags[k]) ctx.collector.set(d, k, true, at)
  return true
}

function onOff(v: string | undefined): boolean | undefined {
  return v === 'on' ? true : v === 'off' ? false : undefined
}

function ipLink(verb: string, w: string[], at: At, ctx: ShellContext): boolean {
  if (['del', 'delete'].includes(verb)) return true // teardown
  if (['show', 'list', 'lst', 'sh', 'ls', 'help', ''].includes(verb)) return true
  if (verb === 'add') {
    const type = w[w.indexOf('type') + 1]
    const name = w.includes('name') ? w[w.indexOf('name') + 1] : w[0] === 'dev' ? w[1] : w[0]
    if (type === 'tun' || type === 'tap') {
      ctx.collector.untranslated(at, 'ip link add ... type tun|tap does not work (the kernel creates TUN/TAP devices only through /dev/net/tun)', name)
    } else ctx.collector.skip(at, `ip link add ${name ?? ''} type ${type ?? '?'}: not a TUN/TAP device`, name)
    return true
  }
  if (verb !== 'set') return false
  let i = 0
  let name = w[0]
  if (w[0] === 'dev') {
    name = w[1]
    i = 2
  } else i = 1
  if (!name) return false
  const d = existing(ctx, name, at)
  if (!d) return true
  const c = ctx.collector
  for (; i < w.length; i++) {
    const t = w[i]
    const next = w[i + 1]
    if (t === 'up' || t === 'down') c.set(d, 'up', t === 'up', at)
    else if (t === 'mtu') c.set(d, 'mtu', Number(w[++i]), at)
    else if (t === 'address') c.set(d, 'mac', w[++i].toLowerCase(), at)
    else if (t === 'txqueuelen' || t === 'txqlen' || t === 'qlen') c.set(d, 'txqueuelen', Number(w[++i]), at)
    else if ((t === 'arp' || t === 'multicast' || t === 'promisc' || t === 'allmulticast') && onOff(next) !== undefined) {
      c.set(d, t === 'allmulticast' ? 'allmulti' : t, onOff(next)!, at)
      i++
    } else if (t === 'master') c.set(d, 'master', w[++i], at)
    else if (t === 'nomaster') c.unset(d, 'master')
    else {
      c.untranslated(at, `ip link set ${name} ${t}${next && !['up', 'down'].includes(next) ? ` ${next}` : ''}: tunadm has no setting for this${t === 'name' ? ' (a rename: write the device under its final name)' : ''}`, name)
      return true
    }
  }
  return true
}

function ipAddr(verb: string, w: string[], at: At, ctx: ShellContext, family?: 4 | 6): boolean {
  if (['show', 'list', 'lst', 'sh', 'ls', ''].includes(verb)) return true
  const dev = w.indexOf('dev')
  const name = dev >= 0 ? w[dev + 1] : undefined
  if (['flush', 'f'].includes(verb)) {
    const d = name ? ctx.collector.devices.get(name) : undefined
    if (d?.created) d.addresses = []
    return true
  }
  if (!['add', 'a', 'replace', 'change', 'del', 'delete', 'd'].includes(verb)) return false
  if (!name) {
    ctx.collector.untranslated(at, `ip addr ${verb} without dev: tunadm cannot tell which device it is for`)
    return true
  }
  const d = existing(ctx, name, at)
  if (!d) return true
  const words = w.filter((_t, i) => i !== dev && i !== dev + 1)
  let localText: string | undefined
  let peer: string | undefined
  for (let i = 0; i < words.length; i++) {
    const t = words[i]
    if (t === 'local') localText = words[++i]
    else if (t === 'peer' || t === 'remote') peer = words[++i]
    else if ((t === 'broadcast' || t === 'brd') && words[i + 1] === '+') i++
    else if (t === 'scope' && ['global', 'universe'].includes(words[i + 1])) i++
    else if (localText === undefined && i === 0) localText = t
    else {
      ctx.collector.untranslated(at, `ip addr ${verb} ... ${t}: tunadm has no setting for this address option`, name)
      return true
    }
  }
  if (!localText) {
    ctx.collector.untranslated(at, `ip addr ${verb} without an address`, name)
    return true
  }
  if (['del', 'delete', 'd'].includes(verb)) {
    ctx.collector.removeAddress(d, localText)
    return true
  }
  if (peer !== undefined && localText.includes('/')) {
    const [a, len] = localText.split('/')
    if (Number(len) !== (a.includes(':') ? 128 : 32)) {
      ctx.collector.untranslated(at, `${localText} peer ${peer}: with a peer, ip takes the prefix length from the peer; write the peer as ${peer.includes('/') ? peer : `${peer}/${len}`} and the address without a length`, name)
      return true
    }
  }
  ctx.collector.addAddress(d, localText, peer, at, family)
  return true
}

function ipRoute(verb: string, w: string[], at: At, ctx: ShellContext, family?: 4 | 6): boolean {
  if (['show', 'list', 'lst', 'sh', 'ls', 'get', 'flush', ''].includes(verb)) return true
  if (!['add', 'a', 'replace', 'append', 'change', 'del', 'delete', 'd'].includes(verb)) return false
  let to: string | undefined
  let via: string | undefined
  let name: string | undefined
  let metric: number | undefined
  for (let i = 0; i < w.length; i++) {
    const t = w[i]
    if (t === 'via') via = w[++i]
    else if (t === 'dev' || t === 'oif') name = w[++i]
    else if (t === 'metric' || t === 'preference' || t === 'priority') metric = Number(w[++i])
    else if (t === 'table' && ['main', '254'].includes(w[i + 1])) i++
    else if (t === 'proto' && ['boot', 'static'].includes(w[i + 1])) i++
    else if (t === 'to' && to === undefined) to = w[++i]
    else if (to === undefined && (t === 'default' || ipFamily(t.split('/')[0]) !== undefined)) to = t
    else {
      ctx.collector.untranslated(at, `ip route ${verb} ... ${t}: tunadm routes have a destination, a gateway and a metric only`, name)
      return true
    }
  }
  if (!name) {
    ctx.collector.untranslated(at, `ip route ${verb} ${to ?? ''} without dev: the kernel picks the device when the line runs; tunadm cannot tell which device it is for`)
    return true
  }
  const d = existing(ctx, name, at)
  if (!d) return true
  if (to === undefined) {
    ctx.collector.untranslated(at, `ip route ${verb} without a destination`, name)
    return true
  }
  if (metric !== undefined && !(Number.isInteger(metric) && metric >= 0)) {
    ctx.collector.untranslated(at, `route metric ${metric} is not a whole number`, name)
    return true
  }
  if (['del', 'delete', 'd'].includes(verb)) {
    d.routes = d.routes.filter((r) => !r.to.startsWith(to === 'default' ? (family === 6 ? '::/0' : '0.0.0.0/0') : to!))
    return true
  }
  ctx.collector.addRoute(d, to, via, metric, at, family)
  return true
}

// ---------------------------------------------------------------- tunctl, openvpn, ifconfig, brctl

function tunctl(args: Word[], at: At, ctx: ShellContext, vde: boolean): boolean {
  if (refuseDynamic(args, at, ctx, 'tunctl')) return true
  const w = args.map((a) => a.text)
  let name: string | undefined
  let user: string | undefined
  let group: string | undefined
  let mode: Mode | undefined
  for (let i = 0; i < w.length; i++) {
    const t = w[i]
    const opt = (): string | undefined => (t.length > 2 ? t.slice(2) : w[++i])
    if (t.startsWith('-d')) return true // teardown
    if (t === '-b') continue
    if (t === '-n') mode = 'tun'
    else if (t === '-p') mode = 'tap'
    else if (t.startsWith('-t')) name = opt()
    else if (t.startsWith('-u')) user = opt()
    else if (t.startsWith('-g')) group = opt()
    else if (t.startsWith('-f')) {
      const f = opt()
      if (f !== '/dev/net/tun') {
        ctx.collector.untranslated(at, `tunctl -f ${f}: tunadm always uses /dev/net/tun`)
        return true
      }
    } else {
      ctx.collector.untranslated(at, `tunctl ${t}: not an option tunadm knows`)
      return true
    }
  }
  if (name === undefined) {
    ctx.collector.untranslated(at, 'tunctl without -t: the kernel chooses the name when the line runs; give the device a name in the config')
    return true
  }
  // tunctl makes a tap unless told otherwise (vde_tunctl also from a name starting with "tun"); always without PI.
  const d = create(ctx, name, mode ?? (vde && name.startsWith('tun') ? 'tun' : 'tap'), at)
  // Without -u, tunctl makes the user who runs it the owner (root, for a boot script).
  owner(ctx, d, user ?? (group === undefined ? String(ctx.callerUid) : undefined), group, at)
  if (user === undefined && group !== undefined) {
    ctx.collector.untranslated(at, `tunctl -g without -u: versions differ on whether the caller also becomes the owner; tunadm sets only the group (add user: 0 if ${name} is owned by root now: tunadm show ${name})`, name)
  }
  return true
}

function openvpn(args: Word[], at: At, ctx: ShellContext): boolean {
  const w = args.map((a) => a.text)
  const mk = w.includes('--mktun')
  if (w.includes('--rmtun')) return true // teardown
  if (!mk) return false
  if (refuseDynamic(args, at, ctx, 'openvpn --mktun')) return true
  const opt = (k: string): string | undefined => {
    const i = w.indexOf(k)
    return i >= 0 ? w[i + 1] : undefined
  }
  const known = new Set(['--mktun', '--dev', '--dev-type', '--user', '--group', '--dev-node'])
  for (let i = 0; i < w.length; i++) {
    if (!w[i].startsWith('--')) continue
    if (!known.has(w[i])) {
      ctx.collector.untranslated(at, `openvpn --mktun ... ${w[i]}: not an option tunadm knows`)
      return true
    }
    if (w[i] !== '--mktun') i++
  }
  const name = opt('--dev')
  const node = opt('--dev-node')
  if (node !== undefined && node !== '/dev/net/tun') {
    ctx.collector.untranslated(at, `openvpn --dev-node ${node}: tunadm always uses /dev/net/tun`, name)
    return true
  }
  if (!name || name === 'tun' || name === 'tap' || name === 'null') {
    ctx.collector.untranslated(at, `openvpn --mktun --dev ${name ?? '(none)'}: the kernel chooses the name when the line runs; give the device a name in the config`)
    return true
  }
  // OpenVPN takes the type from --dev-type, else from the name's first three letters.
  const type = opt('--dev-type') ?? name.slice(0, 3)
  if (type !== 'tun' && type !== 'tap') {
    ctx.collector.untranslated(at, `openvpn --mktun --dev ${name}: the type is neither given (--dev-type) nor in the name`, name)
    return true
  }
  const d = create(ctx, name, type, at)
  owner(ctx, d, opt('--user'), opt('--group'), at)
  return true
}

/** ifconfig (net-tools): the forms boot scripts use with TUN/TAP devices. */
function ifconfig(args: Word[], at: At, ctx: ShellContext): boolean {
  if (args.length === 0 || args[0].text.startsWith('-')) return args.length === 0
  if (refuseDynamic(args, at, ctx, 'ifconfig')) return true
  const w = args.map((a) => a.text)
  const name = w[0]
  const d = existing(ctx, name, at)
  if (!d) return true
  const c = ctx.collector
  let v4: string | undefined
  let netmask: string | undefined
  let pointopoint: string | undefined
  const v6: string[] = []
  for (let i = 1; i < w.length; i++) {
    const t = w[i]
    const flag = /^(-?)(promisc|allmulti|arp|multicast)$/.exec(t)
    if (t === 'up' || t === 'down') c.set(d, 'up', t === 'up', at)
    else if (flag) c.set(d, flag[2] as 'promisc' | 'allmulti' | 'arp' | 'multicast', flag[1] === '', at)
    else if (t === 'mtu') c.set(d, 'mtu', Number(w[++i]), at)
    else if (t === 'txqueuelen') c.set(d, 'txqueuelen', Number(w[++i]), at)
    else if (t === 'hw' && w[i + 1] === 'ether') {
      c.set(d, 'mac', w[i + 2].toLowerCase(), at)
      i += 2
    } else if (t === 'netmask') netmask = w[++i]
    else if (t === 'pointopoint' || t === 'dstaddr') pointopoint = w[++i]
    else if (t === 'broadcast' && i + 1 < w.length) i++
    else if (t === 'inet6' && w[i + 1] === 'add') {
      v6.push(w[i + 2])
      i += 2
    } else if (t === 'add') v6.push(w[++i])
    else if (t === 'inet') continue
    else if (i === 1 && (ipFamily(t.split('/')[0]) === 4)) v4 = t
    else {
      c.untranslated(at, `ifconfig ${name} ... ${t}: tunadm has no setting for this`, name)
      return true
    }
  }
  if (v4 !== undefined) {
    // ifconfig replaces the device's one IPv4 address; 0.0.0.0 removes it.
    d.addresses = d.addresses.filter((a) => a.local.includes(':'))
    if (v4 !== '0.0.0.0') {
      let local = v4
      if (netmask !== undefined) {
        const len = maskLength(netmask)
        if (len === undefined) {
          c.untranslated(at, `netmask ${netmask} is not a contiguous mask`, name)
          return true
        }
        local = `${v4.split('/')[0]}/${len}`
      } else if (!v4.includes('/') && pointopoint === undefined) {
        // Without a netmask ifconfig uses the old class of the address; tunadm wants it written.
        local = `${v4}/${classfulLength(v4)}`
      }
      c.addAddress(d, pointopoint !== undefined ? local.split('/')[0] : local, pointopoint, at, 4)
    }
  }
  for (const a of v6) c.addAddress(d, a, undefined, at, 6)
  return true
}

function maskLength(mask: string): number | undefined {
  const p = readPrefix(mask, true, 4)
  if (!p) return undefined
  const bits = p.bytes.readUInt32BE(0)
  const len = 32 - Math.log2((~bits >>> 0) + 1)
  return Number.isInteger(len) ? len : undefined
}

function classfulLength(a: string): number {
  const first = Number(a.split('.')[0])
  return first < 128 ? 8 : first < 192 ? 16 : 24
}

function brctl(args: Word[], at: At, ctx: ShellContext): boolean {
  const w = args.map((a) => a.text)
  if (w[0] !== 'addif' && w[0] !== 'delif') return w[0] === 'addbr' || w[0] === 'delbr' || w[0] === 'show' || w[0] === 'stp'
  if (refuseDynamic(args, at, ctx, `brctl ${w[0]}`)) return true
  for (const name of w.slice(2)) {
    const d = existing(ctx, name, at)
    if (!d) continue
    if (w[0] === 'addif') ctx.collector.set(d, 'master', w[1], at)
    else ctx.collector.unset(d, 'master')
  }
  return true
}

/** Run every line of a script: what each command means for the devices; unknown programs are left alone. */
export function translateScript(text: string, file: string, ctx: ShellContext): void {
  const unknown: Command[] = []
  for (const {text: line, line: n} of logicalLines(text)) {
    for (const cmd of splitCommands(line, {file, line: n})) if (!translateCommand(cmd, ctx)) unknown.push(cmd)
  }
  // A script does much else; what it does to one of its TUN/TAP devices (a sysctl, a firewall rule) is reported.
  reportMentions(unknown, ctx.collector)
}

/** Commands tunadm does not know that name a device the files create (tap0, or a path such as conf/tap0/). */
export function reportMentions(unknown: Command[], c: Collector): void {
  for (const cmd of unknown) {
    const text = [cmd.words.map((w) => w.text).join(' '), ...(cmd.writes ?? [])].join(' > ')
    const hit = [...c.devices.values()].find((d) => d.created && new RegExp(`(^|[^A-Za-z0-9_-])${d.name.replace(/[.+^$*?()[\]{}|\\]/g, '\\$&')}($|[^A-Za-z0-9_-])`).test(text))
    if (hit) c.untranslated(cmd.at, `"${text}" concerns ${hit.name}, but it is not something tunadm sets: keep it (in a unit or script that runs after tunadm), or drop it`, hit.name)
  }
}
