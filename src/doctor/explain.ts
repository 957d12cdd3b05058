/**
 * --explain: the knowledge base of error messages people paste (socat, ip, openvpn, qemu, tunctl),
 * each with its likely causes. The knowledge base is plain data; a cause may name a verifier that
 * checks it against this machine (who holds the device, its real mode, the node's mode...).
 */
import {errnoNameFromText} from '../kernel/errno'
import {TUN_NODE} from '../kernel/tun'
import {describeHolders} from '../system/holders'
import {queueState} from '../model/device'
import {CAP_NET_ADMIN, accountOf, canOpen, hasCap, modeText, readAccounts, readTunDriver, readTunNode, userById} from './host-facts'
import {attachFlags} from './checks'
import {bringUpFix, loadDriverFix, makeNodeFix, nodeAccessFix} from './fixes'
import type {NetFacts} from './context'
import type {DoctorContext, Fix} from './types'

type VerifierId =
  | 'socat-tun' | 'node-missing' | 'driver-missing' | 'node-denied' | 'held' | 'name-taken' | 'no-cap'
  | 'not-admitted' | 'owner-not-in-group' | 'mode-mismatch' | 'not-tun' | 'bad-name' | 'device-down'
  | 'tunctl-on-tun' | 'not-multi-queue'

interface CauseData {
  id: string
  text: string
  fix: Fix
  verify?: VerifierId
}

interface PatternData {
  id: string
  /** Who prints it, for the report. */
  programs: string
  /** Every regex must match (case-insensitive). */
  match: RegExp[]
  /** None of these may match: a more specific pattern explains that message. */
  exclude?: RegExp[]
  causes: CauseData[]
}

const ROOT_FIX: Fix = {text: 'run it as root, or create the device as root with the user as owner so the program can attach without privileges', commands: ['sudo tunadm add <NAME> --user <USER>']}
const OWNER_FIX: Fix = {text: 'make the user who runs the program the owner of the device (or put it in the device\'s group)', commands: ['tunadm show <NAME>', 'sudo tunadm set <NAME> --user <USER>']}

/** Ordered: the first patterns are the most specific. */
export const KNOWLEDGE: readonly PatternData[] = [
  {
    id: 'socat-no-tun', programs: 'socat', match: [/unknown device\/address "tun"/i],
    causes: [
      {id: 'socat-built-without-tun', verify: 'socat-tun', text: 'this socat was built without TUN/TAP support (or it is not running on Linux); TUN: addresses exist since socat 1.6',
        fix: {text: 'install a socat built with TUN support; socat -V must list WITH_TUN', commands: ['socat -V | grep -i tun', 'apt-get install socat']}},
    ],
  },
  {
    id: 'open-node-missing', programs: 'socat, openvpn, qemu, tunctl, ip',
    match: [/\/dev\/net\/tun|TUN\/TAP dev/i, /No such file or directory|No such device/i],
    causes: [
      {id: 'node-missing', verify: 'node-missing', text: `the device node ${TUN_NODE} does not exist (common in containers and minimal systems)`, fix: makeNodeFix()},
      {id: 'driver-missing', verify: 'driver-missing', text: 'the kernel has no TUN/TAP driver loaded (CONFIG_TUN missing, or the tun module not loaded)', fix: loadDriverFix()},
    ],
  },
  {
    id: 'open-node-denied', programs: 'socat, openvpn, qemu, tunctl',
    match: [/\/dev\/net\/tun|TUN\/TAP dev/i, /Permission denied/i],
    causes: [
      {id: 'node-mode', verify: 'node-denied', text: `${TUN_NODE} is not readable and writable by the user running the program (its mode, owner and group decide)`, fix: nodeAccessFix()},
      {id: 'sandbox', text: 'a sandbox refuses the device: a container\'s device cgroup, SELinux/AppArmor, or a systemd unit with PrivateDevices=yes / DevicePolicy=closed',
        fix: {text: 'allow the device in the sandbox', commands: ['docker run --device /dev/net/tun --cap-add NET_ADMIN ...', '# systemd unit: DeviceAllow=/dev/net/tun rw']}},
    ],
  },
  {
    id: 'setiff-busy', programs: 'ip, tunctl, openvpn, qemu, vde_switch, tincd, iodined, Python', match: [/TUNSETIFF|configure \/dev\/net\/tun|tuntap|opening tun|\[Errno 16\]/i, /resource busy/i],
    causes: [
      {id: 'single-queue-held', verify: 'held', text: 'the device is single-queue and another program is already attached to it', fix: {text: 'stop the other program, or use a multi-queue device if several queues are wanted', commands: ['tunadm show <NAME>', 'kill <PID>']}},
      {id: 'name-taken', verify: 'name-taken', text: 'a device of that name already exists and the program asked to create a new one (IFF_TUN_EXCL), e.g. ip tuntap add on an existing name', fix: {text: 'use another name, or delete the old device first (only while no program holds it: tunadm del refuses otherwise)', commands: ['tunadm show <NAME>', 'sudo tunadm del <NAME>']}},
    ],
  },
  {
    id: 'setiff-eperm', programs: 'ip, openvpn, qemu, tunctl, Python (fcntl.ioctl)', match: [/TUNSETIFF|configure \/dev\/net\/tun|tuntap|PermissionError: \[Errno 1\]/i, /Operation not permitted/i],
    causes: [
      {id: 'no-cap-net-admin', verify: 'no-cap', text: 'the program lacks CAP_NET_ADMIN, which creating a device needs (and attaching to one it does not own)', fix: ROOT_FIX},
      {id: 'not-owner', verify: 'not-admitted', text: 'the device exists and its owner/group do not admit the user running the program', fix: OWNER_FIX},
      {id: 'owner-and-group', verify: 'owner-not-in-group', text: 'both owner and group are set on the device: the kernel wants the user to be the owner AND in the group', fix: {text: 'add the owner to the group, or recreate the device with only one of them', commands: ['usermod -aG <GROUP> <USER>']}},
    ],
  },
  {
    // tunctl (uml-utilities) prints perror("TUNSETIFF"), and always asks for IFF_TAP.
    id: 'tunctl-einval', programs: 'tunctl', match: [/^\s*TUNSETIFF: Invalid argument/i],
    causes: [
      {id: 'tunctl-tap-only', verify: 'tunctl-on-tun', text: 'tunctl makes and attaches only TAP devices (it always asks for IFF_TAP): on a TUN device the kernel refuses the mode',
        fix: {text: 'manage TUN devices with tunadm (or ip tuntap), which take the mode; tunctl -d still cannot delete a TUN device', commands: ['tunadm show <NAME>', 'sudo tunadm add <NAME> --mode tun --user <USER>', 'sudo tunadm del <NAME>']}},
    ],
  },
  {
    id: 'setqueue-einval', programs: 'QEMU, custom multi-queue code (TUNSETQUEUE)', match: [/TUNSETQUEUE/i, /Invalid argument|\[Errno 22\]/i],
    causes: [
      {id: 'not-multi-queue', verify: 'not-multi-queue', text: 'TUNSETQUEUE works only on a multi-queue device (made with IFF_MULTI_QUEUE)', fix: {text: 'create the device with multi_queue, or do not enable or disable its queues', commands: ['tunadm show <NAME>', 'sudo tunadm del <NAME> && sudo tunadm add <NAME> --multi-queue --user <USER>']}},
      {id: 'queue-state', text: 'the queue already is in the asked state: IFF_ATTACH_QUEUE on an enabled queue, or IFF_DETACH_QUEUE on a disabled one (or on an fd not attached to the device)', fix: {text: 'keep track of which queues are enabled; tunadm show lists the enabled and disabled ones', commands: ['tunadm show <NAME>']}},
    ],
  },
  {
    id: 'setiff-einval', programs: 'ip, openvpn, qemu, tunctl, vde_switch, Python', match: [/TUNSETIFF|configure \/dev\/net\/tun|tuntap|\[Errno 22\]/i, /Invalid argument/i], exclude: [/TUNSETQUEUE/i],
    causes: [
      {id: 'mode-or-queue-mismatch', verify: 'mode-mismatch', text: 'the program asks for a different mode (TUN on a TAP device or the reverse) or a different multi_queue flag than the device has', fix: {text: 'make the program ask for the device\'s flags, or recreate the device to match the program', commands: ['tunadm show <NAME>']}},
      {id: 'not-tun', verify: 'not-tun', text: 'a network device of that name exists and it is not TUN/TAP', fix: {text: 'choose another name', commands: ['ip -d link show <NAME>']}},
      {id: 'bad-name', verify: 'bad-name', text: 'the name is not valid for the kernel ("", ".", "..", or it contains "/", ":" or white space)', fix: {text: 'use a name of 1-15 bytes without those characters', commands: []}},
    ],
  },
  {
    // socat 1.7 sets the interface flags itself after attaching, even without iff-up (seen with 1.7.4).
    id: 'socat-set-flags-eperm', programs: 'socat', match: [/ioctl\(\d+, SIOCSIF(FLAGS|ADDR|NETMASK)/i, /Operation not permitted/i],
    causes: [{
      id: 'socat-needs-cap', verify: 'no-cap',
      text: 'socat attached to the device, then changed its flags (or address) itself, which needs CAP_NET_ADMIN even on a device the user owns: making the user the owner cannot help. socat 1.7 does this even without iff-up',
      fix: {text: 'let tunadm give the device its address and bring it up, and give socat CAP_NET_ADMIN (or run it as root)', commands: [
        'sudo tunadm set <NAME> --address 10.0.0.1/24 --up',
        'sudo setcap cap_net_admin+ep "$(command -v socat)"   # or a systemd unit with AmbientCapabilities=CAP_NET_ADMIN',
      ]},
    }],
  },
  {
    id: 'tun-ioctl-eperm', programs: 'tunctl, ip, custom programs', match: [/TUNSET(PERSIST|OWNER|GROUP|LINK)|RTNETLINK answers|SIOCSIF/i, /Operation not permitted/i], exclude: [/ioctl\(\d+, SIOCSIF/i],
    causes: [{id: 'no-cap-net-admin', verify: 'no-cap', text: 'changing a device (persist, owner, group, link flags, addresses) needs CAP_NET_ADMIN', fix: ROOT_FIX}],
  },
  {
    id: 'io-error', programs: 'VPN programs, custom code (write/read on the tun fd)', match: [/Input\/output error/i],
    causes: [{id: 'device-down', verify: 'device-down', text: 'writing to a TUN/TAP fd whose device is down fails with EIO', fix: bringUpFix('<NAME>')}],
  },
  {
    id: 'bad-fd-state', programs: 'custom code', match: [/File descriptor in bad state/i],
    causes: [{id: 'not-attached', text: 'read or write on a /dev/net/tun fd before TUNSETIFF attached it to a device (EBADFD)', fix: {text: 'call TUNSETIFF first and check that it succeeded', commands: []}}],
  },
]

export type Verdict = 'likely' | 'unlikely' | 'possible'

export interface ExplainedCause {
  id: string
  text: string
  verdict: Verdict
  /** What was checked on this machine. */
  detail?: string
  fix: Fix
}

export interface Explanation {
  message: string
  errno?: string
  device?: string
  recognised: boolean
  patterns: Array<{id: string; programs: string; causes: ExplainedCause[]}>
}

interface VerifyInput {
  message?: string
  ctx?: DoctorContext
  net?: NetFacts
  device?: string
}
/** A verifier's answer; `fix` replaces the cause's own when what it found calls for another. */
type Check = {verdict: Verdict; detail: string; fix?: Fix}
const yes = (detail: string): Check => ({verdict: 'likely', detail})
const no = (detail: string): Check => ({verdict: 'unlikely', detail})
const maybe = (detail: string): Check => ({verdict: 'possible', detail})

/** Whether the user the explanation is for (the caller, or --user) has CAP_NET_ADMIN. */
const netAdmin = (ctx: DoctorContext): boolean => (ctx.subjectIsCaller ? hasCap(ctx.capEff, CAP_NET_ADMIN) : ctx.subject.netAdmin)

function dev(v: VerifyInput) {
  return v.device ? v.net?.devices.find((d) => d.name === v.device) : undefined
}

/** Programs that attach to what exists (no IFF_TUN_EXCL), by the way their messages look. */
const ATTACHERS: Array<[RegExp, string]> = [
  [/^\s*TUNSETIFF: /i, 'tunctl'],
  [/vde_switch|ERROR OPENING tap/i, 'vde_switch'],
  [/Error while trying to configure \/dev\/net\/tun/i, 'tincd'],
  [/opening tun/i, 'iodined'],
  [/\[Errno \d+\]|Error: \[Errno/i, 'a Python program (fcntl.ioctl TUNSETIFF)'],
]

/** Verifiers: each looks at this machine (or the injected fixture host) and says whether its cause applies. */
const VERIFIERS: Record<VerifierId, (v: VerifyInput) => Check> = {
  'socat-tun': () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const {spawnSync} = require('node:child_process') as typeof import('node:child_process')
    const r = spawnSync('socat', ['-V'], {encoding: 'utf8', timeout: 3000})
    if (r.error) return maybe('socat is not installed here, so the one that printed this cannot be checked')
    return /WITH_TUN\s+1/.test(r.stdout) ? no('the socat on this machine was built with TUN support (WITH_TUN 1)') : yes('socat -V here does not list WITH_TUN 1')
  },
  'node-missing': ({ctx}) => {
    if (!ctx) return maybe('not checked')
    const n = readTunNode(ctx.host)
    return n.exists ? no(`${TUN_NODE} exists here (mode ${modeText(n.mode)})`) : yes(`${TUN_NODE} does not exist here`)
  },
  'driver-missing': ({ctx}) => {
    if (!ctx) return maybe('not checked')
    const d = readTunDriver(ctx.host)
    return d.state === 'loaded' ? no(`the tun driver is ${d.how}`) : yes(d.how)
  },
  'node-denied': ({ctx}) => {
    if (!ctx) return maybe('not checked')
    const n = readTunNode(ctx.host)
    if (!n.exists) return no(`${TUN_NODE} does not exist here`)
    const who = ctx.subject.name ?? `uid ${ctx.subject.uid}`
    return canOpen(n, ctx.subject)
      ? no(`${TUN_NODE} is ${modeText(n.mode)} and ${who} can open it (try --user for the user who runs the program)`)
      : yes(`${TUN_NODE} is mode ${modeText(n.mode)} uid ${n.uid} gid ${n.gid}: ${who} cannot open it`)
  },
  held: (v) => {
    if (!v.ctx) return maybe('not checked')
    if (v.device) {
      const h = v.ctx.holders.get(v.device)
      const d = dev(v)
      if (h?.length) return yes(`${v.device} is held by ${describeHolders(h)}${d?.multiQueue ? '' : ' and is single-queue'}`)
      if (d && queueState(d).held) return yes(d.multiQueue ? `${v.device} has ${queueState(d).enabled + queueState(d).disabled} queue(s) attached (by processes this user cannot see)` : `${v.device} is single-queue and has carrier: a program is attached (one this user cannot see)`)
      return d ? no(`nothing is attached to ${v.device} now`) : no(`there is no TUN/TAP device named ${v.device} now`)
    }
    const held = [...v.ctx.holders.entries()].map(([name, hs]) => `${name} by ${describeHolders(hs)}`)
    return held.length ? maybe(`held now: ${held.join('; ')}`) : maybe('no TUN/TAP device is held now (name the device in the message to check it)')
  },
  'name-taken': (v) => {
    // A held device is never offered for deletion, whatever the verdict: that would cut its program off.
    const d = dev(v)
    const holders = v.device ? v.ctx?.holders.get(v.device) : undefined
    const held = Boolean(d && (holders?.length || queueState(d).held))
    const heldBy = holders?.length ? describeHolders(holders) : 'a program'
    const keep = (c: Check): Check => (held ? {...c, fix: {text: `use another name: ${v.device} is in use by ${heldBy}, and deleting it would cut that program off`, commands: [`tunadm show ${v.device}`]}} : c)
    // Only a program that creates asks for IFF_TUN_EXCL; QEMU, OpenVPN and the others attach to what exists.
    if (/could not configure \/dev\/net\/tun|qemu/i.test(v.message ?? '')) return keep(no('QEMU attaches to an existing device and never asks for IFF_TUN_EXCL'))
    if (/Cannot ioctl TUNSETIFF/i.test(v.message ?? '')) return keep(no('OpenVPN attaches to an existing device and never asks for IFF_TUN_EXCL'))
    const attacher = ATTACHERS.find(([re]) => re.test(v.message ?? ''))
    if (attacher) return keep(no(`${attacher[1]} attaches to an existing device and never asks for IFF_TUN_EXCL`))
    if (!v.net || !v.device) return maybe('give the message with the device name to check')
    const link = v.net.links.find((l) => l.name === v.device)
    if (!link) return no(`no device named ${v.device} exists now`)
    if (held) return keep(yes(`a device named ${v.device} exists, and ${heldBy} holds it`))
    return yes(`a device named ${v.device} exists (${link.kind === 'tun' ? 'TUN/TAP' : link.kind})`)
  },
  'no-cap': ({ctx}) => {
    if (!ctx) return maybe('not checked')
    const has = netAdmin(ctx)
    const who = ctx.subject.name ?? `uid ${ctx.subject.uid}`
    return has ? no(`${who} has CAP_NET_ADMIN (check the user that ran the program with --user)`) : yes(`${who} does not have CAP_NET_ADMIN`)
  },
  'not-admitted': (v) => {
    const d = dev(v)
    if (!v.ctx || !d) return maybe(v.device ? `there is no TUN/TAP device named ${v.device} now (so the program tried to create it: see CAP_NET_ADMIN)` : 'name the device to check its owner')
    const s = v.ctx.subject
    const who = s.name ?? `uid ${s.uid}`
    // The kernel lets a process with CAP_NET_ADMIN attach whatever the owner and group say.
    if (netAdmin(v.ctx)) return no(`${who} has CAP_NET_ADMIN: owner and group do not limit it (check the user that ran the program with --user)`)
    const inGroup = (gid: number) => s.gid === gid || s.groups.includes(gid)
    const reasons = [d.owner && d.owner.id !== s.uid ? `the owner is ${d.owner.name ?? d.owner.id}` : '', d.group && !inGroup(d.group.id) ? `${who} is not in group ${d.group.name ?? d.group.id}` : ''].filter(Boolean)
    if (!d.owner && !d.group) return no(`${d.name} has neither owner nor group: any user may attach`)
    return reasons.length ? yes(`${who} is not admitted to ${d.name}: ${reasons.join(' and ')}`) : no(`${who} matches the owner/group of ${d.name}`)
  },
  'owner-not-in-group': (v) => {
    const d = dev(v)
    if (!v.ctx || !d) return maybe('name the device to check it')
    if (!d.owner || !d.group) return no(`${d.name} does not have both an owner and a group`)
    const db = readAccounts(v.ctx.host)
    const line = userById(db, d.owner.id)
    const groups = line ? accountOf(db, line).groups : []
    return groups.includes(d.group.id) ? no(`the owner is in the group`) : yes(`owner ${d.owner.name ?? d.owner.id} is not in group ${d.group.name ?? d.group.id}`)
  },
  'mode-mismatch': (v) => {
    const d = dev(v)
    if (!d) return maybe(v.device ? `there is no TUN/TAP device named ${v.device} now` : 'name the device to see its mode and flags')
    return maybe(`${d.name} is a ${d.mode} device${d.multiQueue ? ' with multi_queue' : ' without multi_queue'}: a program must ask for ${attachFlags(d)}`)
  },
  'not-tun': (v) => {
    if (!v.net || !v.device) return maybe('name the device to check it')
    const link = v.net.links.find((l) => l.name === v.device)
    if (!link) return no(`no device named ${v.device} exists now`)
    return link.kind === 'tun' ? no(`${v.device} is TUN/TAP`) : yes(`${v.device} is ${link.kind}, not TUN/TAP`)
  },
  'bad-name': (v) => {
    if (!v.device) return maybe('no device name in the message')
    return /^(\.|\.\.)$|[/:\s]/.test(v.device) || Buffer.byteLength(v.device) > 15 ? yes(`"${v.device}" is not a valid name`) : no(`"${v.device}" is a valid name`)
  },
  'tunctl-on-tun': (v) => {
    const d = dev(v)
    if (!d) return maybe(v.device ? `there is no TUN/TAP device named ${v.device} now` : 'name the device (tunctl does not print it) to check its mode')
    return d.mode === 'tun' ? yes(`${d.name} is a TUN device`) : no(`${d.name} is a TAP device`)
  },
  'not-multi-queue': (v) => {
    const d = dev(v)
    if (!d) return maybe(v.device ? `there is no TUN/TAP device named ${v.device} now` : 'name the device to check it')
    return d.multiQueue ? no(`${d.name} is multi-queue`) : yes(`${d.name} is single-queue`)
  },
  'device-down': (v) => {
    const d = dev(v)
    if (!d) return maybe(v.device ? `there is no TUN/TAP device named ${v.device} now` : 'name the device to check it')
    return d.up ? no(`${d.name} is up`) : yes(`${d.name} is down`)
  },
}

/** The device a message names: "TUNSETIFF tun0:", "(tap0)", socat's {"tun77"}, "dev tun0", "device tun0". */
export function deviceInMessage(message: string): string | undefined {
  const patterns = [/TUNSET\w+\s+([^\s:()]+):/, /\/dev\/net\/tun \(([^)\s]+)\)/, /ioctl\(\d+, \w+, \{"([^"]+)"/, /ERROR OPENING tap interface: (\S+)/i, /\bdev(?:ice)?\s+([A-Za-z][\w.-]{0,14})\b(?!\/)/]
  for (const re of patterns) {
    const m = re.exec(message)
    if (m && m[1] !== '/dev/net/tun') return m[1]
  }
  return undefined
}

/**
 * The message as one line with single spaces: a message copied from a terminal (or from --help, wrapped)
 * has line breaks, indentation and runs of spaces where the program printed one.
 */
export function normaliseMessage(message: string): string {
  return message.replace(/\s+/g, ' ').trim()
}

/** Explain a pasted message; `ctx`/`net` are absent when this machine could not be inspected. */
export function explainMessage(pasted: string, v: {ctx?: DoctorContext; net?: NetFacts; device?: string} = {}): Explanation {
  const message = normaliseMessage(pasted)
  const device = v.device ?? deviceInMessage(message)
  const input: VerifyInput = {ctx: v.ctx, net: v.net, device, message}
  const patterns = KNOWLEDGE.filter((p) => p.match.every((re) => re.test(message)) && !p.exclude?.some((re) => re.test(message))).map((p) => ({
    id: p.id,
    programs: p.programs,
    causes: p.causes.map((c): ExplainedCause => {
      const fix = device ? {text: c.fix.text, commands: c.fix.commands.map((cmd) => cmd.replace(/<NAME>/g, device))} : c.fix
      if (!c.verify) return {id: c.id, text: c.text, verdict: 'possible', fix}
      let check: Check
      try {
        check = VERIFIERS[c.verify](input)
      } catch (err) {
        check = maybe(`could not check: ${(err as Error).message}`)
      }
      return {id: c.id, text: c.text, verdict: check.verdict, detail: check.detail, fix: check.fix ?? fix}
    }),
  }))
  const out: Explanation = {message, recognised: patterns.length > 0, patterns}
  const errno = errnoNameFromText(message)
  if (errno) out.errno = errno
  if (device) out.device = device
  return out
}
