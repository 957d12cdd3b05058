/**
 * Turn a failed system call into a message that says what happened, why, and what to do.
 * The errno name alone is not enough: "TUNSETIFF on tun77: EBUSY" means different things
 * depending on whether we were creating or attaching.
 */
import {KernelError, isKernelError} from '../kernel/errno'
import {TunadmError} from '../errors'
import {TUN_NODE} from '../kernel/tun'

export interface ExplainContext {
  /** What the user asked for, e.g. "create tun77". */
  action: string
  device?: string
  /** Filled in by the caller when it knows (EBUSY on a held device). */
  holders?: string
}

interface Explanation { why: string; fix?: string; code?: string }

function explainCode(err: KernelError, ctx: ExplainContext): Explanation {
  const dev = ctx.device ?? err.target ?? 'the device'
  const openTun = err.op.startsWith(`open ${TUN_NODE}`)
  const netns = err.op.startsWith('open /run/netns') || err.op === 'setns'
  switch (err.code) {
    case 'EPERM':
      if (netns) return {why: 'entering a network namespace needs CAP_SYS_ADMIN', fix: 'run it as root (sudo)'}
      return {
        why: `${err.op} needs CAP_NET_ADMIN, which this process does not have`,
        fix: 'run it as root: sudo tunadm ...; without CAP_NET_ADMIN, the owner of a device may attach a program to it, delete it (tunadm del) and give it away (tunadm set NAME --user), nothing more',
      }
    case 'EACCES':
      if (openTun) {
        return {
          why: `the device node ${TUN_NODE} is not readable and writable by this user (see: ls -l ${TUN_NODE})`,
          fix: 'run as root (sudo), or let the user open it: stock distributions ship it as mode 0666 (chmod 0666 /dev/net/tun, or a udev rule)',
        }
      }
      return {why: 'permission denied', fix: 'run it as root (sudo)'}
    case 'ENOENT':
    case 'ENODEV':
    case 'ENXIO':
      if (openTun) {
        return {
          why: `${TUN_NODE} does not exist or has no driver behind it: this kernel has no TUN/TAP support loaded`,
          fix: 'load it: modprobe tun (kernel option CONFIG_TUN); if the module is loaded but the node is missing: mkdir -p /dev/net && mknod /dev/net/tun c 10 200 && chmod 0666 /dev/net/tun',
          code: 'NO_TUN_SUPPORT',
        }
      }
      if (netns) return {why: 'no such network namespace', fix: 'list them with: ip netns list; create one with: ip netns add NAME'}
      return {why: `${dev} does not exist`, fix: 'list the devices with: tunadm list'}
    case 'EBUSY':
      if (err.op.startsWith('TUNSETIFF (create)')) {
        return {why: `a network device named ${dev} already exists`, fix: 'choose another name, or see it with: tunadm show ' + dev}
      }
      if (err.op === 'SIOCSIFNAME') return {why: `this kernel refused to rename ${dev} while it is up (6.18 renames devices that are up; some kernels only those that are down)`, fix: `tunadm set ${dev} --down --rename NEW --up (what going down drops is added again)`}
      return {
        why: `${dev} is in use${ctx.holders ? ` by ${ctx.holders}` : ' by another process'}: a single-queue device takes one attached program at a time`,
        fix: 'stop that program first',
      }
    case 'EINVAL':
      if (err.op.startsWith('TUNSETIFF')) {
        return {
          why: `the kernel refused to attach to ${dev}: either it is not a TUN/TAP device, or its mode (tun/tap) or multi_queue flag differs from what was asked`,
          fix: `compare with the device: tunadm show ${dev}`,
        }
      }
      return {why: 'the kernel rejected a value as invalid'}
    case 'EEXIST':
      return {why: 'it already exists'}
    case 'EADDRNOTAVAIL':
      return {why: 'the address or route was not found on the device'}
    case 'ENETUNREACH':
      return {why: 'the gateway is not reachable through any address or route on the device', fix: 'add an address in the gateway\'s subnet first'}
    case 'EMFILE':
    case 'ENFILE':
      return {why: 'too many open files', fix: 'raise the limit (ulimit -n) or close other programs'}
    default:
      return {why: `the kernel returned ${err.code}`}
  }
}

/** The kernel's own words (netlink extended ACK) for a refusal, where we know what to do about them. */
function explainDetail(err: KernelError, ctx: ExplainContext): Explanation | undefined {
  if (!err.detail) return undefined
  const dev = ctx.device ?? err.target ?? 'DEVICE'
  const why = `the kernel says: ${err.detail}`
  if (/IPv6 is disabled/i.test(err.detail)) {
    return {why, fix: `turn IPv6 on for it: sysctl -w net.ipv6.conf.${dev}.disable_ipv6=0 (net.ipv6.conf.default.disable_ipv6 for new devices), or give no IPv6 address`}
  }
  const generic = explainCode(err, ctx)
  // The errno's usual cause (e.g. "needs root" for EPERM/EACCES) may not be this one: the kernel's words come first.
  return {why, fix: generic.fix, code: generic.code}
}

export function explainKernelError(err: unknown, ctx: ExplainContext): unknown {
  if (!isKernelError(err)) return err
  const e = explainDetail(err, ctx) ?? explainCode(err, ctx)
  return new TunadmError(`cannot ${ctx.action}: ${err.message}`, {code: e.code ?? err.code, why: e.why, fix: e.fix})
}
