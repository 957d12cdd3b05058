/**
 * Text from outside (device names the kernel accepted, aliases, process names from /proc, messages
 * pasted into --explain) made safe for a terminal: control characters (C0, DEL, C1, ESC among them)
 * are shown as \xHH instead of being sent, so nothing printed can move the cursor, retitle the
 * window or hide text; invisible and bidi characters are shown as \uHHHH, so that no name can pass for
 * another. --json needs none of this: JSON escapes control characters itself.
 */

/**
 * Characters that print as nothing or reorder what follows: zero-width and joiners (U+200B-U+200F), the
 * bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), the line and paragraph
 * separators, word joiner and invisible operators (U+2060-U+2064), the Arabic letter mark, the soft
 * hyphen, U+180E, the BOM and the interlinear annotations: "ta\u200bp0" must not pass for "tap0".
 */
const INVISIBLE = '\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb'
// eslint-disable-next-line no-control-regex
const CONTROL = new RegExp(`[\x00-\x1f\x7f-\x9f${INVISIBLE}]`, 'g')
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_LINES = new RegExp(`[\x00-\x08\x0b-\x1f\x7f-\x9f${INVISIBLE}]`, 'g')

const hex = (c: string) => {
  const code = c.charCodeAt(0)
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/** One-line text (a name, an alias, a command): every control character escaped. */
export function printable(s: string): string {
  return HAS_CONTROL.test(s) ? s.replace(CONTROL, hex) : s
}
// eslint-disable-next-line no-control-regex
const HAS_CONTROL = new RegExp(`[\x00-\x1f\x7f-\x9f${INVISIBLE}]`)

/** Text that may run over several lines (a message): newlines and tabs kept, other controls escaped. */
export function printableLines(s: string): string {
  return s.replace(CONTROL_BUT_LINES, hex)
}
