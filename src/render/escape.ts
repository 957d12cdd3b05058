/**
 * Text from outside (device names the kernel accepted, aliases, process names from /proc, messages
 * pasted into --explain) made safe for a terminal: control characters (C0, DEL, C1, ESC among them)
 * are shown as \xHH instead of being sent, so nothing printed can move the cursor, retitle the
 * window or hide text. --json needs none of this: JSON escapes control characters itself.
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_LINES = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g

const hex = (c: string) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`

/** One-line text (a name, an alias, a command): every control character escaped. */
export function printable(s: string): string {
  return HAS_CONTROL.test(s) ? s.replace(CONTROL, hex) : s
}
// eslint-disable-next-line no-control-regex
const HAS_CONTROL = /[\x00-\x1f\x7f-\x9f]/

/** Text that may run over several lines (a message): newlines and tabs kept, other controls escaped. */
export function printableLines(s: string): string {
  return s.replace(CONTROL_BUT_LINES, hex)
}
