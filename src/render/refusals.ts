/**
 * The planner's refusals in words: the model says why (a code and its facts), this says what happened,
 * why it matters and what to do, for the command that asked.
 */
import {InvalidInputError, TunadmError} from '../errors'
import type {Refusal} from '../model/steps'
import {Busy} from '../model/device'
import {isTunadmMarker} from '../model/identity'
import {describeHolders} from '../system/holders'

/** A busy device (model/device.ts busy()) refused by del, down or prune (`remove`), or apply --recreate. */
export function busyError(b: Busy, name: string, asker: 'del' | 'remove' | {recreate: string}): TunadmError {
  if (typeof asker === 'object') {
    const by = b.code === 'HELD' ? describeHolders(b.holders) : 'a program tunadm cannot name'
    return new TunadmError(`${name} must be recreated (${asker.recreate}) but is in use by ${by}`, {code: 'EBUSY', fix: 'stop that program and apply again'})
  }
  const force = asker === 'del' ? `delete it anyway with: tunadm del --force ${name}` : 'use --force'
  if (b.code === 'HELD') {
    return new TunadmError(`${name} is in use by ${describeHolders(b.holders)}`, {
      code: 'EBUSY', why: `${asker === 'del' ? 'deleting' : 'removing'} it would cut that program off from its network`,
      fix: `stop the program first, or ${force}`,
    })
  }
  return new TunadmError(`${name} has a program attached that tunadm cannot name`, {
    code: 'EBUSY', why: `the kernel reports ${b.multiQueue ? `${b.queues} queue(s) attached${b.disabled ? ` and ${b.disabled} disabled` : ''}` : 'carrier, which a single-queue device has only while a program holds it'}, but tunadm cannot see which process holds it (only root can ask the kernel about other users' processes)`,
    fix: `find it with: sudo tunadm show ${name}; or ${force}`,
  })
}

const an = (what: string) => `${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what}`

/** The planner's refusal (model/steps.ts) in words. */
export function refusal(r: Refusal): TunadmError {
  switch (r.code) {
    case 'NOT_TUN':
      return new TunadmError(`${r.name} exists and is not a TUN/TAP device (it is ${r.kind})`, {code: 'NOT_TUN', why: 'tunadm never changes devices of other kinds', fix: 'rename one of them'})
    case 'FOREIGN': {
      const by = r.why ?? (isTunadmMarker(r.alias) ? `it is managed by another config (its alias is "${r.alias}")` : 'it was not created by this config (it has no tunadm marker)')
      return new TunadmError(`${r.name} exists and ${by.replace(/^it /, '')}`, {
        code: 'FOREIGN', why: 'apply changes, prunes and removes only the devices it manages, so that it never takes over someone else\'s',
        fix: 'take it over with tunadm apply --adopt (down then deletes it too), or give the entry another name',
      })
    }
    case 'NEEDS_RECREATE':
      return new TunadmError(`${r.name} differs in what cannot change in place: ${r.diffs.join('; ')}`, {
        code: 'NEEDS_RECREATE', fix: `run tunadm apply --recreate to delete and create it again (only while nothing is attached${r.heldBy ? `; now held by ${describeHolders(r.heldBy)}` : ''})`,
      })
    case 'NO_MASTER':
      return new TunadmError(`cannot make ${r.name} a port of ${r.master}: there is no device named ${r.master}`, {
        code: 'NO_MASTER', why: 'tunadm makes a device a port of an existing bridge, bond or vrf; it never creates or changes one',
        fix: `create it first (ip link add ${r.master} type bridge && ip link set ${r.master} up, or in systemd-networkd, NetworkManager or ifupdown), or name another with --master / master:`,
      })
    case 'NOT_A_MASTER':
      return new TunadmError(`cannot make ${r.name} a port of ${r.master}: ${r.master} is ${an(r.kind!)}, not a bridge, bond or vrf`, {
        code: 'NOT_A_MASTER', why: 'only a bridge, a bond or a vrf takes ports', fix: 'name a bridge, bond or vrf (ip -br link show type bridge lists the bridges)',
      })
    case 'TUN_IN_BRIDGE':
      // The kernel's bridge takes Ethernet devices only (EINVAL otherwise): said before anything changes.
      return new InvalidInputError(`${r.name} is a TUN device and cannot be a port of bridge ${r.master}: a bridge forwards Ethernet frames, and a TUN device carries IP packets`, {
        code: 'TUN_IN_BRIDGE', fix: 'use a TAP device (mode: tap, --mode tap) as a bridge port; a TUN device can be a port of a vrf',
      })
    case 'CANNOT_UNSET':
      return new TunadmError(`cannot clear the owner or group of ${r.name}: the kernel cannot unset them once set`, {
        code: 'CANNOT_UNSET', why: 'TUNSETOWNER and TUNSETGROUP accept only a valid id; "unset" exists only on a device created without one',
        fix: `recreate it: tunadm del ${r.name} && tunadm add ${r.name} --mode ${r.mode} --any-user`,
      })
    case 'OWNER_BUSY':
      return new TunadmError(`cannot change the owner of ${r.name}: it is in use by ${describeHolders(r.heldBy)}`, {
        code: 'EBUSY', why: 'owner and group are changed through an attached file descriptor, and a single-queue device takes one at a time',
        fix: 'stop that program, change the owner, and start it again',
      })
    case 'TUN_FLAGS_UNKNOWN':
      return new TunadmError(`cannot change the owner of ${r.name}: its TUN flags cannot be read`, {
        code: 'TUN_FLAGS_UNKNOWN', why: `the owner is changed by attaching to the device, which sets every TUN flag to what the attacher asks; rtnetlink does not report napi and napi_frags, and /sys/class/net/${r.name}/tun_flags could not be read, so attaching could clear them`,
        fix: 'run it as root where /sys is mounted (with --netns, tunadm mounts sysfs for the namespace in a private mount namespace, which needs root)',
      })
    case 'EEXIST':
      return new TunadmError(`cannot rename ${r.name} to ${r.to}: a device with that name exists`, {code: 'EEXIST', fix: 'choose another name'})
    case 'OUT_OF_RANGE':
      return new InvalidInputError(`MTU ${r.mtu} is out of range for ${r.fresh ? `a ${r.mode} device` : r.name}`, {code: 'OUT_OF_RANGE', why: `the kernel accepts ${r.lo} to ${r.hi} for ${r.fresh ? `${r.mode} devices` : `this ${r.mode} device`}`})
  }
}
