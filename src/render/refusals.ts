/**
 * The planner's refusals in words: the model says why (a code and its facts), this says what happened,
 * why it matters and what to do, for the command that asked.
 */
import {TunadmError} from '../errors'
import {Busy} from '../model/device'
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
