/**
 * What tunadm(8) says that no command definition holds: exit codes, environment variables and files.
 * Each names the constant the code uses, and a unit test checks that every variable the code reads is
 * listed here, so a new one cannot ship undocumented.
 */
import {EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, EXIT_USAGE} from '../errors'
import {DEFAULT_CONFIG_PATH} from '../config/types'
import {DEFAULT_LOCK_PATH} from '../services/lock'
import {TUN_NODE} from '../kernel/tun'
import {DEFAULT_STATE_DIR} from '../system/owner-record'

export const EXIT_STATUS: Array<[number, string]> = [
  [EXIT_OK, 'Success. For doctor: nothing failed (warnings allowed); for apply: no device failed.'],
  [EXIT_FAILED, 'The operation failed: a kernel error, a missing or busy device, a device that is not TUN/TAP, a doctor check that failed, an apply in which a device failed.'],
  [EXIT_USAGE, 'Invalid input or usage, detected before anything changed: a bad name, uid, MAC, MTU or CIDR, an unknown flag or command, a malformed config file, a rule a request breaks (a route through a device that stays down, a gateway no address covers).'],
  [EXIT_CANCELLED, 'Cancelled with Ctrl-C at a prompt (prompts appear only when stdin and stdout are terminals, never with --json).'],
]

/** Variables tunadm reads, in the order a reader needs them. */
export const ENVIRONMENT: Array<[string, string]> = [
  ['NO_COLOR', 'Set and not empty: no colours, even on a terminal.'],
  ['FORCE_COLOR', 'Colours even when the output is not a terminal; 0 or false: never.'],
  ['TERM', 'dumb: no colours.'],
  ['SUDO_UID', 'Under sudo, the user who becomes the owner of a new device when add is given neither --user nor --group.'],
  ['TUNADM_CONTENT_TYPE', 'json: every command answers as with --json.'],
  ['TUNADM_LOCK', `The lock file apply and down take (default ${DEFAULT_LOCK_PATH}).`],
  ['TUNADM_STATE_DIR', `Where apply keeps its record of the devices each config made, per network namespace (default ${DEFAULT_STATE_DIR}).`],
  ['TUNADM_GROUP_DELETE', '0: down and apply --prune delete devices one by one instead of with one request for a private link group (for benchmarks).'],
  ['TUNADM_MAX_CONFIG_BYTES', 'The largest config file read, in bytes (default 4 MiB).'],
  ['TUNADM_MAX_DEVICES', 'The most devices a config file may declare after ranges (default 16384).'],
  ['TUNADM_DEBUG', 'Set: an unexpected error is printed with its stack trace.'],
  ['TUNADM_FULL_OCLIF', 'Set: every command goes through the full command-line parser (for tests and bug reports).'],
  ['CI', 'Set: never prompt.'],
  ['PATH', 'init looks up tunadm on it for the executable boot files run (--tunadm-path overrides).'],
]

export const FILES: Array<[string, string]> = [
  [DEFAULT_CONFIG_PATH, 'The default config file of apply, down and init (see tunadm.yaml(5)); --config names another.'],
  [TUN_NODE, 'The TUN/TAP clone device: whoever attaches to a device opens it.'],
  ['/run/netns/NAME', 'The network namespace --netns NAME enters (as made by ip netns add).'],
  [DEFAULT_LOCK_PATH, 'Held by apply and down, so that two of them never run at once.'],
  [`${DEFAULT_STATE_DIR}/netns-INODE.json`, 'Written by apply and down as root: which config made which device (by ifindex) in the network namespace of that inode; with the link group, it recognises a device whose alias an admin changed.'],
  ['/proc/PID/fdinfo', 'Read to name the processes that hold a device open.'],
]
