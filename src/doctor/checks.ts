/** The registry: every doctor check as data. Order here is the order of the report. */
import {IFF_MULTI_QUEUE, IFF_NAPI, IFF_TAP, IFF_TUN, IFF_VNET_HDR, TUN_FEATURE_NAMES} from '../kernel/constants'
import {TUN_NODE} from '../kernel/tun'
import {QueueState, queueState} from '../model/device'
import type {IdRef, TunDevice} from '../model/device'
import {describeHolders} from '../system/holders'
import {
  Account, AccountsDb, CAP_NET_ADMIN, TUN_MAJOR, TUN_MINOR, TunNode, accountOf, canOpen, groupById, hasCap, modeText,
  readAccounts, readSysctl, readTunDriver, readTunNode, userById,
} from './host-facts'
import {attachFix, bringUpFix, loadDriverFix, makeNodeFix, nodeAccessFix, ownerFix} from './fixes'
import type {Check, DeviceCheck, DoctorContext, Fix, LinkFacts, LinkRoute, Outcome, SystemCheck} from './types'
import type {Intent} from './intent'
import type {Change} from '../services/plan'
import {DEFAULT_CONFIG_PATH} from '../config/types'
import {parsePrefix, prefixesOverlap} from '../model/ip'

const ok = (...messages: string[]): Outcome => ({status: 'ok', messages})
const skip = (...messages: string[]): Outcome => ({status: 'skip', messages})

/** Host reads that several checks share, once per run. */
function cached<T>(ctx: DoctorContext, key: string, read: () => T): T {
  if (!ctx.cache.has(key)) ctx.cache.set(key, read())
  return ctx.cache.get(key) as T
}
const node = (ctx: DoctorContext): TunNode => cached(ctx, 'node', () => readTunNode(ctx.host))
const accounts = (ctx: DoctorContext): AccountsDb => cached(ctx, 'accounts', () => readAccounts(ctx.host))

function nodeText(n: TunNode, db: AccountsDb): string {
  const u = userById(db, n.uid)?.name ?? String(n.uid)
  const g = groupById(db, n.gid)?.name ?? String(n.gid)
  return `${TUN_NODE} is mode ${modeText(n.mode)} ${u}:${g}`
}

/** Who can open the node, in words. */
function nodeAudience(n: TunNode, db: AccountsDb): string {
  if ((n.mode & 0o6) === 0o6) return 'every user can open it'
  const g = groupById(db, n.gid)?.name ?? `gid ${n.gid}`
  if (((n.mode >> 3) & 0o6) === 0o6 && n.gid !== 0) return `only root and members of group ${g} can open it`
  return 'only root can open it'
}

const who = (a: Account) => (a.name ? `${a.name} (uid ${a.uid})` : `uid ${a.uid}`)
const idName = (r: IdRef, kind: 'user' | 'group') => (r.name ? `${kind} ${r.name} (${r.id})` : `${kind} ${r.id}`)

/** The account of a device owner uid: from the database, or bare ids when it has no entry. */
function ownerAccount(db: AccountsDb, uid: number): Account {
  const line = userById(db, uid)
  return line ? accountOf(db, line) : {uid, gid: -1, groups: [], dacOverride: uid === 0, netAdmin: uid === 0}
}

function inGroup(db: AccountsDb, a: Account, gid: number): boolean {
  return a.gid === gid || a.groups.includes(gid)
}

/** The flags a program must pass to TUNSETIFF to attach to this device. */
/**
 * What an attaching program must ask for: the mode and the multi-queue flag must match the device.
 * pi and vnet_hdr need not: the kernel switches the device to what the attacher asks.
 */
export function attachFlags(d: TunDevice): string {
  return `${d.mode === 'tap' ? 'IFF_TAP' : 'IFF_TUN'}${d.multiQueue ? ' | IFF_MULTI_QUEUE' : ' without IFF_MULTI_QUEUE'} (IFF_NO_PI and IFF_VNET_HDR are its own choice: the kernel follows what it asks)`
}

/** Routes that are linkdown; the kernel's own IPv6 link-local route (fe80::/64 on every link that was up) aside: nothing is routed through it. */
const linkdownRoutes = (d: TunDevice) => (d.routes ?? []).filter((r) => r.linkdown && !isLinkLocalRoute(r.destination))
/** The device's queues as the kernel counts them, with the holders the kernel confirmed (a single-queue device's carrier can be off while held). */
const queues = (ctx: DoctorContext, d: TunDevice): QueueState => queueState({...d, processes: ctx.holders.get(d.name)})
const holderText = (ctx: DoctorContext, d: TunDevice) => (ctx.holders.get(d.name)?.length ? describeHolders(ctx.holders.get(d.name)!) : 'a program')
const queueText = (d: TunDevice, q: QueueState) => (d.multiQueue ? `${q.enabled} queue(s)${q.disabled ? ` and ${q.disabled} disabled` : ''}` : 'its single queue')

/** A program is attached but the carrier is off: TUNSETCARRIER 0, from the program or from tunadm set --carrier off. */
function carrierOffFix(d: TunDevice): Fix {
  return {
    text: `switch the carrier back on (the program may have turned it off on purpose, e.g. while its peer is unreachable: see its log first)`,
    commands: [`sudo tunadm set ${d.name} --carrier on`],
  }
}

/** Every queue detached with TUNSETQUEUE IFF_DETACH_QUEUE: the kernel has no queue to send to. */
function allDisabled(d: TunDevice, q: QueueState): boolean {
  return d.multiQueue && q.enabled === 0 && q.disabled > 0
}

// ---- system -----------------------------------------------------------------------------------

const systemChecks: SystemCheck[] = [
  {
    id: 'system.tun-node', group: 'system', title: 'TUN device node',
    description: `${TUN_NODE} exists and is the character device 10:200`,
    run(ctx) {
      const n = node(ctx)
      if (!n.exists) return {status: 'fail', messages: [`${TUN_NODE} does not exist: no program can create or attach to TUN/TAP devices`], fix: readTunDriver(ctx.host).state === 'loaded' ? makeNodeFix() : loadDriverFix()}
      if (!n.isChar || n.major !== TUN_MAJOR || n.minor !== TUN_MINOR) {
        const what = n.isChar ? `character device ${n.major}:${n.minor}` : 'not a character device'
        return {status: 'fail', messages: [`${TUN_NODE} is ${what}; it must be character device ${TUN_MAJOR}:${TUN_MINOR}`], fix: makeNodeFix()}
      }
      return ok(`${TUN_NODE} is character device ${TUN_MAJOR}:${TUN_MINOR}`)
    },
  },
  {
    id: 'system.tun-driver', group: 'system', title: 'TUN/TAP driver',
    description: 'the tun driver is built in or loaded (/proc/misc), or at least loadable',
    run(ctx) {
      const d = readTunDriver(ctx.host)
      if (d.state === 'loaded') return ok(`the tun driver is ${d.how}`)
      if (d.state === 'loadable') return {status: 'warn', messages: [`${d.how}; opening ${TUN_NODE} loads it on demand on most systems`], fix: {text: 'load it now', commands: ['modprobe tun']}}
      return {status: 'fail', messages: [`this kernel has no TUN/TAP driver (${d.how})`], fix: {text: 'install a kernel with CONFIG_TUN=y or =m (Device Drivers > Network device support > Universal TUN/TAP device driver support), then load it', commands: ['modprobe tun']}}
    },
  },
  {
    id: 'system.node-access', group: 'system', title: 'Who can open the TUN node',
    description: `the node's mode and group, who can therefore open it, and whether the user who runs the program can`,
    run(ctx) {
      const n = node(ctx)
      if (!n.exists) return skip(`${TUN_NODE} does not exist`)
      const db = accounts(ctx)
      const messages = [`${nodeText(n, db)}: ${nodeAudience(n, db)}`]
      if (canOpen(n, ctx.subject)) {
        if (ctx.subject.dacOverride && !canOpen(n, {...ctx.subject, dacOverride: false})) messages.push(`${who(ctx.subject)} can open it only because it is root (CAP_DAC_OVERRIDE)`)
        else messages.push(`${who(ctx.subject)} can open it`)
        return ok(...messages)
      }
      messages.push(`${who(ctx.subject)} cannot open it: every TUN/TAP program it runs fails with "Permission denied" on ${TUN_NODE}`)
      return {status: 'fail', messages, fix: nodeAccessFix(ctx.subject.name)}
    },
  },
  {
    id: 'system.capabilities', group: 'system', title: 'CAP_NET_ADMIN',
    description: 'whether the user has CAP_NET_ADMIN (create devices, attach to any device)',
    run(ctx) {
      const has = ctx.subjectIsCaller ? hasCap(ctx.capEff, CAP_NET_ADMIN) : ctx.subject.netAdmin
      if (has) return ok(`${who(ctx.subject)} has CAP_NET_ADMIN: it may create TUN/TAP devices and attach to any of them`)
      const messages = [
        `${who(ctx.subject)} does not have CAP_NET_ADMIN: it cannot create devices ("Operation not permitted"), and may attach only to devices whose owner/group admit it`,
      ]
      if (ctx.subjectIsCaller) messages.push('doctor sees only this user\'s processes, so the processes attached to other users\' devices may be unnamed')
      return {status: 'warn', messages, fix: {text: 'create devices as root for this user, who can then attach without privileges; or run the program as root', commands: [`sudo tunadm add <NAME> --user ${ctx.subject.name ?? ctx.subject.uid}`]}}
    },
  },
  {
    id: 'system.tun-features', group: 'system', title: 'Driver features (TUNGETFEATURES)',
    description: 'the IFF_* flags the driver accepts, as TUNGETFEATURES reports them',
    run(ctx) {
      if ('error' in ctx.features) return skip(`cannot ask the driver: ${ctx.features.error}`)
      const f = ctx.features.flags
      const names = TUN_FEATURE_NAMES.filter(([bit]) => f & bit).map(([, name]) => name)
      const messages = [`supported: ${names.join(', ') || 'none'}`]
      const missing = ([[IFF_TUN, 'tun'], [IFF_TAP, 'tap'], [IFF_MULTI_QUEUE, 'multi_queue'], [IFF_VNET_HDR, 'vnet_hdr']] as Array<[number, string]>)
        .filter(([bit]) => !(f & bit)).map(([, n]) => n)
      if (missing.length) return {status: 'warn', messages: [...messages, `missing: ${missing.join(', ')}; programs that ask for them get "Invalid argument"`]}
      if (!(f & IFF_NAPI)) messages.push('no napi (only used by test programs)')
      return ok(...messages)
    },
  },
  {
    id: 'system.sysctls', group: 'system', title: 'Routing sysctls',
    description: 'ip_forward, ignore_routes_with_linkdown and rp_filter (all/default) in this network namespace',
    run(ctx) {
      const s = (p: string) => readSysctl(ctx.host, p)
      const fwd = s('net/ipv4/ip_forward')
      const ign = s('net/ipv4/conf/all/ignore_routes_with_linkdown')
      const rpAll = s('net/ipv4/conf/all/rp_filter')
      const rpDef = s('net/ipv4/conf/default/rp_filter')
      if (fwd === undefined && ign === undefined) return skip('/proc/sys/net is not readable')
      const messages = [
        `net.ipv4.ip_forward=${fwd ?? '?'}: ${fwd === 1 ? 'this host routes between the tunnels and other interfaces' : 'this host does not route between interfaces (fine for a tunnel endpoint; a VPN gateway needs 1)'}`,
        `net.ipv4.conf.all.ignore_routes_with_linkdown=${ign ?? '?'}: ${ign === 1 ? 'routes via devices without carrier are skipped' : 'routes via a device without carrier stay in use and packets to them are dropped'}`,
        `net.ipv4.conf.all.rp_filter=${rpAll ?? '?'}, default.rp_filter=${rpDef ?? '?'} (1 strict, 2 loose, 0 off; the higher of "all" and the device's value applies)`,
      ]
      if (rpAll === 1) {
        return {status: 'warn', messages: [...messages, 'strict reverse-path filtering on "all" applies to every tunnel: packets from sources routed elsewhere are dropped'],
          fix: {text: 'use loose mode, which suits tunnels', commands: ['sysctl -w net.ipv4.conf.all.rp_filter=2']}}
      }
      return ok(...messages)
    },
  },
  {
    id: 'system.config', group: 'system', title: 'Config file',
    description: 'the config file doctor judges the devices by (--config, or the default one when it exists) can be read',
    run(ctx) {
      const c = ctx.config
      if (!c) return undefined
      if ('error' in c) return {status: 'fail', messages: [`${c.source} cannot be read, so the devices are judged without it: ${c.error.message}`], fix: {text: c.error.fix ?? 'correct the file', commands: [`tunadm apply --config ${shellWord(c.source)} --dry-run`]}}
      return ok(`${c.source} declares ${c.declared} device${c.declared === 1 ? '' : 's'}: each is checked against its entry`)
    },
  },
  {
    id: 'system.bridge-netfilter', group: 'system', title: 'Bridge netfilter',
    description: 'when devices are bridge ports: whether net.bridge.bridge-nf-call-* send bridged frames through iptables/nftables',
    run(ctx) {
      const bridges = [...new Set(ctx.targets.map((t) => t.device && masterOf(ctx, t.device)).filter((m) => m?.kind === 'bridge').map((m) => m!.name))]
      if (!bridges.length) return undefined
      const names = ['iptables', 'ip6tables', 'arptables'] as const
      const values = names.map((n) => readSysctl(ctx.host, `net/bridge/bridge-nf-call-${n}`))
      if (values.every((v) => v === undefined)) return ok(`br_netfilter is not loaded: frames bridged by ${bridges.join(', ')} bypass iptables and nftables' ip/ip6/inet tables`)
      const on = names.filter((_, i) => values[i] === 1)
      const list = names.map((n, i) => `net.bridge.bridge-nf-call-${n}=${values[i] ?? '?'}`).join(', ')
      if (!on.length) return ok(`${list}: frames bridged by ${bridges.join(', ')} are not filtered by iptables`)
      return {status: 'warn', messages: [
        `${list}: frames bridged by ${bridges.join(', ')} between VMs (and between a VM and the network) pass the host's ${on.join(', ')} rules (the FORWARD chains, nftables' ip/ip6/inet forward hooks), as if routed`,
        'a DROP policy or rule there (Docker sets FORWARD to DROP) silently cuts guests off; and every bridged frame costs a firewall pass',
      ], fix: {text: 'check the rules that bridged frames meet; if the host should not filter them, turn the calls off (and persist it in /etc/sysctl.d)', commands: [
        'iptables -S FORWARD', 'ip6tables -S FORWARD', 'nft list ruleset',
        ...on.map((n) => `sysctl -w net.bridge.bridge-nf-call-${n}=0`),
      ]}}
    },
  },
]

// ---- per device -------------------------------------------------------------------------------

const deviceChecks: DeviceCheck[] = [
  {
    id: 'device.exists', group: 'device', title: 'Device exists', alsoWhenMissing: true,
    description: 'a device named on the command line exists and is TUN/TAP',
    run(ctx) {
      const t = ctx.target
      if (t.device) return undefined
      if (t.otherKind) {
        const declared = t.intent ? ` (${t.intent.source} declares a TUN/TAP device of this name)` : ''
        return {status: 'fail', messages: [`${t.name} is not a TUN/TAP device; it is ${t.otherKind}${declared}`], ...(t.intent ? {fix: {text: 'rename one of them: tunadm never changes a device of another kind', commands: []}} : {})}
      }
      if (t.intent) return {status: 'fail', messages: [`${t.name} is declared in ${t.intent.source} but there is no device of that name in this network namespace`], fix: applyFix(t.intent)}
      return {status: 'fail', messages: [`there is no device named ${t.name} in this network namespace`], fix: {text: 'list the devices, or create it', commands: ['tunadm list', `sudo tunadm add ${t.name}`]}}
    },
  },
  {
    id: 'device.config', group: 'device', title: 'Matches its config entry',
    description: 'a device the config file declares is as its entry says (what tunadm apply would change, if anything)',
    run(ctx, d) {
      const i = ctx.target.intent
      if (!i) return undefined
      if (i.problem) {
        const messages = [`${d.name} is declared in ${i.source}, but apply cannot make it match: ${i.problem.message}`]
        return {status: 'fail', messages, fix: {text: i.problem.fix ?? 'correct the entry or the device', commands: i.problem.code === 'FOREIGN' ? [`sudo tunadm apply --config ${shellWord(i.source)} --adopt`] : i.problem.code === 'NEEDS_RECREATE' ? [`sudo tunadm apply --config ${shellWord(i.source)} --recreate`] : []}}
      }
      const changes = i.changes.filter((c) => c.what !== 'device')
      if (!changes.length) return ok(`as declared in ${i.source}`)
      return {status: 'fail', messages: [`${d.name} differs from its entry in ${i.source}: ${changes.map(describeDrift).join('; ')}`], fix: applyFix(i)}
    },
  },
  {
    id: 'device.up', group: 'device', title: 'Administratively up',
    description: 'the device is UP (a down device passes no traffic and has no routes)',
    run(ctx, d) {
      const declared = ctx.target.intent?.declared.up
      // The config decides: down as declared is fine, and a state that differs is the drift device.config reports.
      if (declared !== undefined) return declared === d.up ? ok(`${d.name} is ${d.up ? 'up' : 'down'}, as its config entry declares (up: ${declared})`) : undefined
      if (d.up) return ok(`${d.name} is up`)
      return {status: 'fail', messages: [`${d.name} is down: it passes no traffic, and the kernel keeps no routes via it`], fix: bringUpFix(d.name)}
    },
  },
  {
    id: 'device.carrier', group: 'device', title: 'Carrier (a program attached)',
    description: 'a process is attached, so the carrier is on; names the consequence when it is not',
    run(ctx, d) {
      const q = queues(ctx, d)
      if (d.carrier) return ok(q.held ? `carrier on: ${holderText(ctx, d)} attached (${queueText(d, q)})` : 'carrier on')
      if (!d.up && ctx.target.intent?.declared.up === false && !q.held) return ok(`no program attached; ${d.name} stays down, as its config entry declares`)
      if (q.held) {
        return {
          status: 'warn',
          messages: [
            `no carrier although ${holderText(ctx, d)} is attached (${queueText(d, q)}): the carrier was switched off with TUNSETCARRIER 0, by the program itself or by tunadm set ${d.name} --carrier off`,
            d.up ? `routes via ${d.name} are marked linkdown and packets to them are dropped until the carrier is on` : `once it is up, routes via ${d.name} stay linkdown until the carrier is on`,
          ],
          fix: carrierOffFix(d),
        }
      }
      const consequence = d.up
        ? `routes via ${d.name} are marked linkdown and packets to them are dropped (unless ignore_routes_with_linkdown is set)`
        : `once it is up, routes via ${d.name} will be linkdown until a program attaches`
      return {status: 'warn', messages: [`no process is attached to ${d.name}, so it has no carrier (NO-CARRIER)`, consequence, `a program attaches with TUNSETIFF and flags ${attachFlags(d)}`], fix: attachFix(d.name, d.up && linkdownRoutes(d).length > 0)}
    },
  },
  {
    id: 'device.queues', group: 'device', title: 'Queues enabled',
    description: 'a multi-queue device whose every queue is disabled (TUNSETQUEUE IFF_DETACH_QUEUE) drops every packet',
    run(ctx, d) {
      if (!d.multiQueue) return undefined
      const q = queues(ctx, d)
      if (!allDisabled(d, q)) return ok(q.held ? `${queueText(d, q)} attached` : 'no queue attached')
      return {
        status: 'fail',
        messages: [
          `every queue of ${d.name} is disabled (${q.disabled} attached with TUNSETQUEUE IFF_DETACH_QUEUE, 0 enabled): the kernel has no queue to deliver to and drops every packet, although it has carrier and ${holderText(ctx, d)} is attached`,
        ],
        fix: {text: `the program must enable at least one queue again (TUNSETQUEUE with IFF_ATTACH_QUEUE), or be restarted; see its log for why it disabled them`, commands: [`sudo tunadm show ${d.name}`]},
      }
    },
  },
  {
    id: 'device.linkdown-routes', group: 'device', title: 'Routes in linkdown state',
    description: 'routes via the device marked linkdown (the kernel drops packets to them)',
    run(ctx, d) {
      const down = linkdownRoutes(d)
      if (!d.routes) return undefined
      if (down.length === 0) return ok(d.routes.length ? `${d.routes.length} route(s), none linkdown${d.routes.some((r) => r.linkdown) ? ' but the IPv6 link-local one' : ''}` : 'no routes via it')
      const list = down.map((r) => r.destination + (r.gateway ? ` via ${r.gateway}` : '')).join(', ')
      const ignored = readSysctl(ctx.host, 'net/ipv4/conf/all/ignore_routes_with_linkdown') === 1 || readSysctl(ctx.host, `net/ipv4/conf/${d.name}/ignore_routes_with_linkdown`) === 1
      if (ignored) return {status: 'warn', messages: [`linkdown: ${list}`, 'ignore_routes_with_linkdown is on: the kernel skips these routes and that traffic takes other routes (or is unreachable)'], fix: queues(ctx, d).held ? carrierOffFix(d) : attachFix(d.name, false)}
      if (queues(ctx, d).held) return {status: 'fail', messages: [`linkdown: ${list}`, `${d.name} has no carrier although ${holderText(ctx, d)} is attached (switched off with TUNSETCARRIER 0): packets to these destinations are dropped`], fix: carrierOffFix(d)}
      return {status: 'fail', messages: [`linkdown: ${list}`, `${d.name} has no carrier (nothing attached): packets to these destinations are dropped`], fix: attachFix(d.name, true)}
    },
  },
  {
    id: 'device.address', group: 'device', title: 'Address for its routes',
    description: 'routes via the device have an address of their family on it',
    run(_ctx, d) {
      if (!d.addresses || !d.routes) return undefined
      const routed = d.routes.filter((r) => !/^fe80:|^ff/i.test(r.destination))
      const messages: string[] = []
      for (const fam of [4, 6] as const) {
        const routes = routed.filter((r) => r.destination.includes(':') === (fam === 6))
        const addrs = d.addresses.filter((a) => a.family === fam && !(fam === 6 && /^fe80:/i.test(a.address)))
        if (routes.length && !addrs.length) {
          messages.push(`route(s) ${routes.map((r) => r.destination).join(', ')} via ${d.name}, but it has no IPv${fam} address: locally sent packets take the source address of another interface and the peer may not route replies back`)
        }
      }
      if (messages.length) return {status: 'warn', messages, fix: {text: `give ${d.name} an address in the tunnel's network`, commands: [`sudo tunadm set ${d.name} --address <ADDRESS>/<PREFIX>`]}}
      const addrs = d.addresses.map((a) => `${a.address}/${a.prefixLen}${a.peer ? ` peer ${a.peer}` : ''}`)
      return ok(addrs.length ? `addresses: ${addrs.join(', ')}` : 'no addresses and no routes (fine when the attached program configures them)')
    },
  },
  {
    id: 'device.master', group: 'device', title: 'Bridge, bond or VRF',
    description: 'a port\'s master (bridge, bond or vrf) exists and is up; frames pass between ports only through an up master',
    run(ctx, d) {
      const master = masterOf(ctx, d)
      if (!master) return undefined
      const what = `${master.port?.kind ?? master.kind} ${master.name}`
      if (!master.up) {
        return {status: 'fail', messages: [`${d.name} is a port of ${what}, which is down: no frames pass between ${master.name}'s ports (the kernel disables them)`], fix: {text: `bring ${master.name} up (tunadm never changes the master)`, commands: [`ip link set ${master.name} up`]}}
      }
      return ok(`a port of ${what}, which is up`)
    },
  },
  {
    id: 'device.port-state', group: 'device', title: 'Bridge port forwarding',
    description: 'a bridge port forwards (IFLA_BRPORT_STATE): not blocking, listening or learning (STP), nor disabled',
    run(ctx, d) {
      const master = masterOf(ctx, d)
      const state = portOf(ctx, d)?.state
      if (!master || portOf(ctx, d)?.kind !== 'bridge' || state === undefined) return undefined
      const b = master.name
      if (state === 'forwarding') return ok(`forwarding in ${b}`)
      if (state === 'disabled') {
        // The kernel disables a port whose device or bridge is down, or that has no carrier: those checks say why.
        const cause = !master.up ? `${b} is down` : !d.up ? `${d.name} is down` : !d.carrier ? `${d.name} has no carrier (no program attached)` : undefined
        if (cause) return skip(`disabled while ${cause}; it forwards once that changes`)
        return {status: 'fail', messages: [`${d.name} is up with carrier, but its port state in ${b} is disabled: ${b} drops every frame to and from it`], fix: {text: `set the port forwarding (possible while ${b} runs no STP; with STP the protocol decides)`, commands: [`bridge link show dev ${d.name}`, `bridge link set dev ${d.name} state 3`]}}
      }
      if (state === 'blocking') {
        return {status: 'fail', messages: [`${d.name} is blocking in ${b}: ${b} drops every frame to and from it except STP's (STP found a loop through it, or the port was set to blocking by hand)`],
          fix: {text: `find the loop (another path between the same networks), or, if ${b} does not need STP, turn STP off and set the port forwarding`, commands: [`bridge link show dev ${d.name}`, `ip -d link show ${b}`, `ip link set ${b} type bridge stp_state 0`, `bridge link set dev ${d.name} state 3`]}}
      }
      if (state === 'listening' || state === 'learning') {
        return {status: 'warn', messages: [`${d.name} is ${state} in ${b}: STP holds frames back until it forwards, for up to twice the forward delay (30 s by default) after each carrier change: a VM's first DHCP request is often lost`],
          fix: {text: `wait, or shorten ${b}'s forward delay, or turn STP off where the bridge cannot form a loop (typical for a bridge of VM taps)`, commands: [`ip link set ${b} type bridge forward_delay 400`, `ip link set ${b} type bridge stp_state 0`]}}
      }
      return {status: 'warn', messages: [`${d.name} has port state ${state} in ${b}, which tunadm does not know`]}
    },
  },
  {
    id: 'device.port-mtu', group: 'device', title: 'MTU matches the master\'s',
    description: 'a bridge or bond port has the master\'s MTU (frames larger than the smaller MTU are dropped)',
    run(ctx, d) {
      const master = masterOf(ctx, d)
      const kind = portOf(ctx, d)?.kind
      if (!master || (kind !== 'bridge' && kind !== 'bond') || d.mtu === undefined || master.mtu === undefined) return undefined
      if (d.mtu === master.mtu) return ok(`MTU ${d.mtu}, as ${master.name}`)
      const [small, big] = d.mtu < master.mtu ? [d.name, master.name] : [master.name, d.name]
      return {status: 'warn', messages: [`${d.name} has MTU ${d.mtu} and ${master.name} has MTU ${master.mtu}: frames that fit ${big} but not ${small} are dropped without an error, so small packets (ping, ARP) pass and large transfers stall`],
        fix: {text: `give ${d.name} the MTU of ${master.name} (in the config file too, if it sets mtu), and the guest the same MTU`, commands: [`sudo tunadm set ${d.name} --mtu ${master.mtu}`]}}
    },
  },
  {
    id: 'device.port-address', group: 'device', title: 'No IP address on a port',
    description: 'IP addresses on a bridge or bond port (they belong on the master: the port\'s own are not reachable through it)',
    run(ctx, d) {
      const master = masterOf(ctx, d)
      const kind = portOf(ctx, d)?.kind
      if (!master || (kind !== 'bridge' && kind !== 'bond') || !d.addresses) return undefined
      const own = d.addresses.filter((a) => !(a.family === 6 && /^fe[89ab][0-9a-f]?:/i.test(a.address)))
      if (!own.length) return ok('no address on the port (its link-local IPv6 address aside)')
      const list = own.map((a) => `${a.address}/${a.prefixLen}`)
      return {status: 'warn', messages: [`${d.name} is a port of ${master.name} and has ${list.join(', ')}: ${master.name} takes every frame that arrives on ${d.name}, so those addresses do not answer through it; they belong on ${master.name}`],
        fix: {text: `move the addresses to ${master.name} (and out of ${d.name}'s config entry)`, commands: [...own.map((a) => `sudo tunadm set ${d.name} --del-address ${a.address}/${a.prefixLen}`), ...own.map((a) => `ip address add ${a.address}/${a.prefixLen} dev ${master.name}`)]}}
    },
  },
  {
    id: 'device.accounts', group: 'device', title: 'Owner and group exist',
    description: 'the owner and group set on the device still exist in the user/group database',
    run(ctx, d) {
      if (!d.owner && !d.group) return undefined
      const db = accounts(ctx)
      const messages: string[] = []
      if (d.owner && !d.owner.name && !userById(db, d.owner.id)) messages.push(`owner uid ${d.owner.id} has no entry in /etc/passwd (the user was removed?); whoever gets that uid next may attach`)
      if (d.group && !d.group.name && !groupById(db, d.group.id)) messages.push(`group gid ${d.group.id} has no entry in /etc/group; whoever gets that gid next may attach`)
      if (!messages.length) return ok([d.owner && idName(d.owner, 'user'), d.group && idName(d.group, 'group')].filter(Boolean).join(' and ') + (d.owner && d.group ? ' exist' : ' exists'))
      return {status: 'warn', messages, fix: ownerFix(d.name, '<USER>')}
    },
  },
  {
    id: 'device.any-user', group: 'device', title: 'Owner or group set',
    description: 'a device with neither owner nor group lets any local user attach',
    run(ctx, d) {
      if (d.owner || d.group) return ok('attach rights: ' + [d.owner && idName(d.owner, 'user'), d.group && idName(d.group, 'group')].filter(Boolean).join(' and '))
      const n = node(ctx)
      const messages = [`${d.name} has neither owner nor group: any local user who can open ${TUN_NODE} may attach and read or inject its traffic`]
      if (n.exists && !canOpen(n, {uid: -1, gid: -1, groups: [], dacOverride: false, netAdmin: false})) messages.push(`for now ${nodeText(n, accounts(ctx))} limits that to users who can open the node`)
      return {status: 'warn', messages, fix: ownerFix(d.name, '<USER>')}
    },
  },
  {
    id: 'device.owner-group', group: 'device', title: 'Owner is in the group',
    description: 'when both owner and group are set the kernel requires both to match: the owner must be in the group',
    run(ctx, d) {
      if (!d.owner || !d.group || d.owner.id === 0) return undefined
      const db = accounts(ctx)
      const owner = ownerAccount(db, d.owner.id)
      if (inGroup(db, owner, d.group.id)) return ok(`${idName(d.owner, 'user')} is in ${idName(d.group, 'group')}`)
      return {
        status: 'fail',
        messages: [`both owner and group are set and ${idName(d.owner, 'user')} is not in ${idName(d.group, 'group')}: the kernel admits a user only when owner AND group match, so nobody but root can attach`],
        fix: {text: `add the owner to the group, or recreate ${d.name} with only one of them`, commands: [`usermod -aG ${d.group.name ?? d.group.id} ${d.owner.name ?? '<USER>'}`, `tunadm del ${d.name} && tunadm add ${d.name} --mode ${d.mode} --user ${d.owner.name ?? d.owner.id}`]},
      }
    },
  },
  {
    id: 'device.owner-access', group: 'device', title: 'Owner can open the TUN node',
    description: `the device's owner (or its group's members) can open ${TUN_NODE}, given the node's mode and group`,
    run(ctx, d) {
      const n = node(ctx)
      if (!n.exists || (!d.owner && !d.group)) return undefined
      const db = accounts(ctx)
      if (d.owner) {
        const owner = ownerAccount(db, d.owner.id)
        if (owner.dacOverride) return ok(`the owner is root`)
        if (canOpen(n, owner)) return ok(`${idName(d.owner, 'user')} can open ${TUN_NODE}`)
        return {status: 'fail', messages: [`${idName(d.owner, 'user')} owns ${d.name} but cannot open ${TUN_NODE} (${nodeText(n, db)}), so it cannot attach: its program fails with "Permission denied"`], fix: nodeAccessFix(d.owner.name)}
      }
      const g = d.group!
      const member = {uid: -1, gid: g.id, groups: [g.id], dacOverride: false, netAdmin: false}
      if (canOpen(n, member)) return ok(`members of ${idName(g, 'group')} can open ${TUN_NODE}`)
      return {status: 'fail', messages: [`members of ${idName(g, 'group')} may attach to ${d.name} but cannot open ${TUN_NODE} (${nodeText(n, db)})`], fix: nodeAccessFix()}
    },
  },
  {
    id: 'device.attach', group: 'device', title: 'Can the user attach',
    description: 'whether the user who runs the program (the caller, or --user) can attach, and with which flags',
    run(ctx, d) {
      const s = ctx.subject
      const flags = `it must ask for ${attachFlags(d)}`
      const busy = !d.multiQueue && queues(ctx, d).held ? [`${d.name} is single-queue and already attached${ctx.holders.get(d.name)?.length ? ` by ${describeHolders(ctx.holders.get(d.name)!)}` : ''}: a second program gets "Device or resource busy"`] : []
      const n = node(ctx)
      const netAdmin = ctx.subjectIsCaller ? hasCap(ctx.capEff, CAP_NET_ADMIN) : s.netAdmin
      if (!canOpen(n, s)) return {status: 'fail', messages: [`${who(s)} cannot open ${TUN_NODE}, so it cannot attach to ${d.name}`, ...busy], fix: nodeAccessFix(s.name)}
      if (netAdmin) return {status: 'ok', messages: [`${who(s)} may attach (CAP_NET_ADMIN); ${flags}`, ...busy]}
      const db = accounts(ctx)
      const reasons: string[] = []
      if (d.owner && d.owner.id !== s.uid) reasons.push(`the owner is ${idName(d.owner, 'user')}`)
      if (d.group && !inGroup(db, s, d.group.id)) reasons.push(`${who(s)} is not in ${idName(d.group, 'group')}`)
      if (!reasons.length) return {status: 'ok', messages: [`${who(s)} may attach; ${flags}`, ...busy]}
      return {
        status: 'fail',
        messages: [`${who(s)} cannot attach to ${d.name}: ${reasons.join(' and ')} ("Operation not permitted")`, ...busy],
        fix: {text: `make ${s.name ?? s.uid} the owner (or put it in the device's group)`, commands: [`sudo tunadm set ${d.name} --user ${s.name ?? s.uid}`]},
      }
    },
  },
  {
    id: 'device.route-overlap', group: 'device', title: 'Routes overlap other devices',
    description: 'routes via the device that overlap routes via another device (one of them is shadowed)',
    run(ctx, d) {
      if (!d.routes) return undefined
      // IPv6 link-local routes (fe80::/64 on every link) are scoped to their own link: they never shadow each other.
      const mine = ctx.routes.filter((r) => r.device === d.name && !isDefault(r) && !isLinkLocalRoute(r.destination))
      const clashes: string[] = []
      for (const r of mine) {
        for (const o of ctx.routes) {
          if (o.device === d.name || o.family !== r.family || isDefault(o) || isLinkLocalRoute(o.destination) || !overlap(r.destination, o.destination)) continue
          clashes.push(r.destination === o.destination
            ? `${r.destination} is routed via both ${d.name} (metric ${r.metric ?? 0}) and ${o.device} (metric ${o.metric ?? 0}): only the lower metric is used`
            : `${r.destination} via ${d.name} overlaps ${o.destination} via ${o.device}: the longer prefix wins for the addresses they share`)
        }
      }
      if (!clashes.length) return ok(mine.length ? 'no overlap with routes via other devices' : 'no routes via it')
      return {status: 'warn', messages: clashes, fix: {text: 'remove or narrow one of the routes, or pick a tunnel network that does not collide', commands: ['ip route show', 'sudo tunadm set <DEVICE> --del-route <DESTINATION>']}}
    },
  },
  {
    id: 'device.ipv6', group: 'device', title: 'IPv6 enabled where used',
    description: 'IPv6 addresses or routes on a device whose disable_ipv6 is set',
    run(ctx, d) {
      const disabled = readSysctl(ctx.host, `net/ipv6/conf/${d.name}/disable_ipv6`)
      if (disabled === undefined) return undefined
      if (disabled === 0) return ok('IPv6 enabled')
      const v6 = [...(d.addresses ?? []).filter((a) => a.family === 6).map((a) => a.address), ...(d.routes ?? []).filter((r) => r.destination.includes(':')).map((r) => r.destination)]
      if (!v6.length) return ok(`IPv6 is disabled on ${d.name} (net.ipv6.conf.${d.name}.disable_ipv6=1); adding an IPv6 address fails with "Permission denied"`)
      return {status: 'warn', messages: [`IPv6 is disabled on ${d.name} but it has ${v6.join(', ')}: IPv6 traffic does not pass`], fix: {text: 'enable IPv6 on the device', commands: [`sysctl -w net.ipv6.conf.${d.name}.disable_ipv6=0`]}}
    },
  },
  {
    id: 'device.rp-filter', group: 'device', title: 'Reverse-path filter',
    description: 'strict rp_filter (the higher of all and the device) drops tunnel packets from sources routed elsewhere',
    run(ctx, d) {
      const all = readSysctl(ctx.host, 'net/ipv4/conf/all/rp_filter')
      const dev = readSysctl(ctx.host, `net/ipv4/conf/${d.name}/rp_filter`)
      if (all === undefined && dev === undefined) return undefined
      const eff = Math.max(all ?? 0, dev ?? 0)
      if (eff !== 1) return ok(`rp_filter ${eff === 2 ? 'loose' : 'off'} (${eff})`)
      const commands = [`sysctl -w net.ipv4.conf.${d.name}.rp_filter=2`]
      if (all === 1) commands.unshift('sysctl -w net.ipv4.conf.all.rp_filter=2')
      return {status: 'warn', messages: [`strict reverse-path filtering applies to ${d.name} (all=${all ?? '?'}, ${d.name}=${dev ?? '?'}): packets arriving through the tunnel from sources that are routed via another interface are dropped`], fix: {text: 'use loose mode (2) for the tunnel', commands}}
    },
  },
  {
    id: 'device.processes', group: 'device', title: 'Attached processes',
    description: 'which processes hold the device open',
    run(ctx, d) {
      const holders = ctx.holders.get(d.name) ?? []
      const q = queues(ctx, d)
      if (holders.length) return ok(`attached: ${describeHolders(holders)}${d.multiQueue ? ` (the kernel counts ${queueText(d, q)})` : ''}`)
      if (q.held) return ok(`${d.multiQueue ? queueText(d, q) : 'it is'} attached by processes this user cannot see (run as root to name them)`)
      return ok('no process attached')
    },
  },
]

/** The master of a port device, from the link dump. */
function masterOf(ctx: DoctorContext, d: TunDevice): LinkFacts | undefined {
  const me = ctx.links.get(d.index)
  return me?.master !== undefined ? ctx.links.get(me.master) : undefined
}

function portOf(ctx: DoctorContext, d: TunDevice): LinkFacts['port'] {
  return ctx.links.get(d.index)?.port
}

/** A word for a shell command line: quoted unless it is plain. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

function applyFix(i: Intent): Fix {
  const config = i.source === DEFAULT_CONFIG_PATH ? '' : ` --config ${shellWord(i.source)}`
  return {text: 'make the devices match the config file (see first what would change)', commands: [`tunadm apply${config} --dry-run`, `sudo tunadm apply${config}`]}
}

/** One change of a drifted device, as "mtu 1500 (declared 9000)". */
function describeDrift(c: Change): string {
  const v = (x: Change['from']) => (x === null || x === undefined ? 'none' : String(x))
  if (c.what === 'address' || c.what === 'route') return c.to === null ? `${c.what} ${c.from} is not declared` : `${c.what} ${c.to} is missing`
  return `${c.what} ${v(c.from)} (declared ${v(c.to)})`
}

function overlap(a: string, b: string): boolean {
  return prefixesOverlap(parsePrefix(a, 'route'), parsePrefix(b, 'route'))
}

function isDefault(r: LinkRoute): boolean {
  return r.destination.endsWith('/0')
}

export const CHECKS: readonly Check[] = [...systemChecks, ...deviceChecks]

export function checkIds(): string[] {
  return CHECKS.map((c) => c.id)
}

/** fe80::/10 and longer: IPv6 link-local, which every link has for itself. */
function isLinkLocalRoute(destination: string): boolean {
  const [addr, len] = destination.split('/')
  return /^fe[89ab][0-9a-f]?:/i.test(addr) && Number(len ?? 128) >= 10
}
