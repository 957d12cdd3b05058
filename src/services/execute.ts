/**
 * execute(plans): make the planned changes, many devices at once. Steps run phase by phase across all
 * devices (owner, down, rename, MAC, link attributes, flags, up, carrier, routes and addresses), so
 * that the netlink requests of one phase go to the kernel as one batch (send many, then read the ACKs).
 * MAC and interface flags use the SIOC ioctls; owner and group an fd attached through /dev/net/tun.
 *
 * New devices stay non-persistent until their last step: a failure (or a crash) before it closes the
 * fd, and the kernel removes the device again. They are made in chunks so that the open fds stay far
 * below the usual limit of 1024.
 */
import * as fs from 'node:fs'
import {Netlink, NlRequest, addressRequest, deleteLinkRequest, routeRequest, setLinkRequest} from '../kernel/netlink'
import {NetdevSocket, withNetdev} from '../kernel/netdev'
import {TunHandle} from '../kernel/tun'
import {isKernelError} from '../kernel/errno'
import {InvalidInputError, TunadmError} from '../errors'
import {explainKernelError} from './explain'
import {normaliseError} from './normalise'
import {Change, DevicePlan, PlannedStep, Step} from './plan'
import {describeChange} from '../render/changes'

export interface Outcome {
  plan: DevicePlan
  /** The device's name now (after a rename; the kernel's choice for a template). */
  name: string
  index?: number
  /** What was changed. */
  done: Change[]
  error?: TunadmError
}

interface Work extends Outcome {
  handle?: TunHandle
  created: boolean
}

const CREATE_CHUNK = 256
/** Descriptors kept free for what else runs meanwhile: sockets, the holder scan, Node's own. */
const FD_RESERVE = 16
/** Fewer free descriptors than this per chunk, and creating many devices would take too many rounds. */
const MIN_CHUNK = 8

/**
 * How many new devices may be open at once within this process's descriptor limit (RLIMIT_NOFILE, less
 * what is open now and a reserve). Under `ulimit -n 128`, 500 devices are made in chunks of about 90
 * instead of failing half-way with EMFILE; a limit too small to make progress refuses before any change.
 */
export function descriptorBudget(wanted: number, read: (p: string) => string = (p) => fs.readFileSync(p, 'utf8'), openNow = (): number => fs.readdirSync('/proc/self/fd').length): number {
  let soft = Infinity
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(read('/proc/self/limits'))
    if (m && m[1] !== 'unlimited') soft = Number(m[1])
  } catch {
    return CREATE_CHUNK // no /proc: the kernel's EMFILE still says it, device by device
  }
  if (soft === Infinity) return CREATE_CHUNK
  const free = soft - openNow() - FD_RESERVE
  if (free >= Math.min(wanted, MIN_CHUNK)) return Math.max(1, free)
  throw new TunadmError(`cannot create ${wanted} device(s): only ${Math.max(0, soft - openNow())} file descriptors are free (ulimit -n is ${soft})`, {
    code: 'EMFILE', why: `each new device stays open (one descriptor) until it is fully configured and persistent, and tunadm keeps ${FD_RESERVE} for its sockets; nothing was changed`,
    fix: `raise the limit, e.g. ulimit -n 1024 (or LimitNOFILE= in a systemd unit), and apply again`,
  })
}

/** The order of the phases; a step's phase is the first entry that matches it. */
const PHASES: Array<(s: Step) => boolean> = [
  (s) => s.kind === 'delete',
  (s) => s.kind === 'create',
  (s) => s.kind === 'owner',
  (s) => s.kind === 'flags' && s.phase === 'down',
  (s) => s.kind === 'rename',
  (s) => s.kind === 'mac',
  (s) => s.kind === 'link',
  (s) => s.kind === 'flags' && s.phase === 'other',
  (s) => s.kind === 'flags' && s.phase === 'up',
  (s) => s.kind === 'carrier',
  (s) => s.kind === 'route' && !s.add,
  (s) => s.kind === 'address' && !s.add,
  (s) => s.kind === 'address' && s.add,
  (s) => s.kind === 'route' && s.add,
  (s) => s.kind === 'persist',
]

const phaseOf = (s: Step) => PHASES.findIndex((p) => p(s))

/** The steps of a group phase by phase, each phase's in the order of the devices and of their plans. */
function stepsByPhase(group: Work[]): Array<Array<{w: Work; s: PlannedStep}>> {
  const phases: Array<Array<{w: Work; s: PlannedStep}>> = PHASES.map(() => [])
  for (const w of group) for (const s of w.plan.steps) phases[phaseOf(s.step)].push({w, s})
  return phases
}

export function execute(nl: Netlink, plans: DevicePlan[]): Outcome[] {
  const work: Work[] = plans.map((plan) => ({plan, name: plan.name, index: plan.index, done: [], created: plan.steps.some((s) => s.step.kind === 'create')}))
  const fresh = work.filter((w) => w.created)
  // Checked before the first change: a new device holds one descriptor until it is persistent. A new
  // device alone needs no check: the kernel's EMFILE at its open, the first change, refuses with nothing
  // changed. Beside other work it does: that work (on existing devices) runs first.
  const chunk = fresh.length > 0 && work.length > 1 ? Math.min(CREATE_CHUNK, descriptorBudget(fresh.length)) : CREATE_CHUNK
  withNetdev((sock) => {
    runGroup(nl, sock, work.filter((w) => !w.created))
    for (let i = 0; i < fresh.length; i += chunk) runGroup(nl, sock, fresh.slice(i, i + chunk))
  })
  return work.map(({plan, name, index, done, error}) => ({plan, name, index, done, error}))
}

function runGroup(nl: Netlink, sock: NetdevSocket, group: Work[]): void {
  if (group.length === 0) return
  // Bucketed once (not 15 arrays per device): creating 1000 devices runs some 6000 steps.
  const byPhase = stepsByPhase(group)
  try {
    for (const steps of byPhase) {
      const batch: Array<{w: Work; s: PlannedStep; req: NlRequest}> = []
      for (const {w, s} of steps) {
        if (w.error) continue
        const req = netlinkRequest(w, s.step)
        if (req) {
          batch.push({w, s, req})
          continue
        }
        try {
          runIoctlStep(sock, w, s.step)
          w.done.push(...s.changes)
        } catch (err) {
          fail(w, s, err)
        }
      }
      if (batch.length === 0) continue
      const results = sendRetryingUnreachable(nl, batch)
      batch.forEach(({w, s}, i) => {
        if (w.error) return
        if (results[i]) fail(w, s, results[i])
        else w.done.push(...s.changes)
      })
    }
  } finally {
    // Persistent devices stay; a new device that failed before its last step goes with its fd.
    for (const w of group) w.handle?.close()
  }
}

/**
 * An IPv6 address with a peer gets the peer's route from the kernel's workqueue, a moment after the
 * address's own ACK: a route via that peer sent at once can meet EHOSTUNREACH (1 to 3 applies in 20
 * here). Such route requests are sent again, after 5, 10, 20... ms, for up to about a second; a gateway
 * that is really unreachable still fails, and is reported.
 */
function sendRetryingUnreachable(nl: Netlink, batch: Array<{s: PlannedStep; req: NlRequest}>): Array<Error | undefined> {
  const results: Array<Error | undefined> = nl.batch(batch.map((b) => b.req))
  const unreachable = (i: number) => batch[i].s.step.kind === 'route' && isKernelError(results[i], 'EHOSTUNREACH')
  for (let wait = 5; wait <= 640; wait *= 2) {
    const again = results.map((_, i) => i).filter(unreachable)
    if (again.length === 0) break
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait)
    const retried = nl.batch(again.map((i) => batch[i].req))
    again.forEach((i, k) => {
      results[i] = retried[k]
    })
  }
  return results
}

function netlinkRequest(w: Work, step: Step): NlRequest | undefined {
  const index = w.index!
  switch (step.kind) {
    case 'delete':
      return deleteLinkRequest(index, w.name)
    case 'link':
      return setLinkRequest(index, w.name, {mtu: step.mtu, txqlen: step.txqlen, alias: step.alias, group: step.group, master: step.master})
    case 'carrier':
      return setLinkRequest(index, w.name, {carrier: step.on})
    case 'address':
      return addressRequest(step.add, index, w.name, step.local, step.peer)
    case 'route':
      return routeRequest(step.add, index, w.name, step.dst, step.via, step.metric)
    default:
      return undefined
  }
}

function runIoctlStep(sock: NetdevSocket, w: Work, step: Step): void {
  switch (step.kind) {
    case 'create': {
      w.handle = TunHandle.create(w.name, step.flags)
      w.name = w.handle.name
      if (step.owner !== undefined) w.handle.setOwner(step.owner)
      if (step.group !== undefined) w.handle.setGroup(step.group)
      // Our fd gives the device a carrier it will not have once persistent and closed. Dropping it now
      // makes it come up as it will live (no IPv6 autoconfiguration to start and undo on close): 1000 new
      // devices took 0.80 s before, 0.65 s after. Older kernels lack TUNSETCARRIER: nothing lost.
      try {
        w.handle.setCarrier(false)
      } catch {
        // optional
      }
      w.index = sock.getIndex(w.name)
      return
    }
    case 'owner': {
      // Attach with the device's own flags: the kernel switches pi/vnet_hdr to what an attacher asks.
      const handle = TunHandle.attachExisting(w.name, step.attach)
      try {
        if (step.owner !== undefined) handle.setOwner(step.owner)
        if (step.group !== undefined) handle.setGroup(step.group)
      } finally {
        handle.close()
      }
      return
    }
    case 'flags': {
      const cur = sock.getFlags(w.name)
      const next = (cur | step.set) & ~step.clear
      if (next !== cur) sock.setFlags(w.name, next)
      return
    }
    case 'rename':
      sock.rename(w.name, step.to)
      w.name = step.to
      return
    case 'mac':
      sock.setHwaddr(w.name, step.mac)
      return
    case 'persist':
      w.handle!.setPersist(true)
      return
    default:
      throw new Error(`step ${step.kind} has no ioctl`)
  }
}

/** Record the first failure of a device, in words: which step, why, and what was already done. */
function fail(w: Work, s: PlannedStep, err: unknown): void {
  if (w.error) return
  const name = w.name
  if (w.created && !w.handle) w.done = []
  let e: unknown = err
  if (isKernelError(err)) {
    if (err.code === 'ENETDOWN') {
      e = new TunadmError(`cannot ${s.label} on ${name}: ${err.message}`, {code: 'ENETDOWN', why: `${name} is down, and the kernel adds routes only through devices that are up`, fix: 'add --up'})
    } else if (s.step.kind === 'carrier' && s.step.on && err.code === 'EPERM') {
      e = new TunadmError(`cannot turn on the carrier of ${name}: no program is attached`, {
        code: 'NO_QUEUE', why: 'a TUN/TAP device has carrier only while a program holds it open; the kernel refuses to fake one',
        fix: 'start the program that uses the device (it turns the carrier on by attaching)',
      })
    } else {
      // "create tun0" and "delete tun0" say the device already; other steps name it: "set the MTU on tun0".
      e = explainKernelError(err, {action: s.step.kind === 'create' || w.plan.action === 'delete' ? s.label : `${s.label} on ${name}`, device: name})
    }
  }
  const t = normaliseError(e)
  if (w.handle) {
    w.error = new TunadmError(`${t.message} (the new device ${name} was removed again)`, {code: t.code, exitCode: t.exitCode, why: t.why, fix: t.fix})
    w.done = []
  } else if (w.done.length && !(t instanceof InvalidInputError)) {
    w.error = new TunadmError(`${t.message} (already changed: ${w.done.map(describeChange).join('; ')})`, {code: t.code, exitCode: t.exitCode, why: t.why, fix: t.fix})
  } else {
    w.error = t
  }
}
