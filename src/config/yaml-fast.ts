/**
 * A fast reader for the plain subset of YAML that config files are written in: block mappings and
 * sequences, one-line flow collections, plain and simply quoted scalars, comments. `tunadm apply` reads
 * its config at every run, and the yaml package takes ~80 ms for a thousand devices, most of the command;
 * this reads them some 25 times faster.
 *
 * It gives nodes shaped like the yaml package's (kinds, values, and the [start, valueEnd, nodeEnd] ranges
 * that error positions and source slices come from), and declines (undefined) on anything outside the
 * subset or that it is not sure to read exactly as `yaml.parseDocument(text, {uniqueKeys: false})` does:
 * the caller then uses the yaml package. Declining is always safe; reading differently is a bug, which is
 * why the differential test (test/unit/yaml-fast.test.ts) compares every tree, ranges included.
 *
 * Where comment lines and blank lines fall changes the package's ranges (a comment indented deeper than
 * its collection ends the scalar before it; one left after a nested collection ends that collection),
 * so those rules are followed here to the offset.
 */

export interface FastPair { kind: 'pair'; key: FastScalar; value: FastNode | null }
export type FastNode = FastScalar | FastMap | FastSeq

/**
 * A node's offsets are three fields, and its range ([start, valueEnd, nodeEnd], as the package's nodes have
 * it) a list made when read: the reader keeps the fields, and only a problem's position reads a range. A
 * config of a thousand entries has some ten thousand nodes, and a list of three numbers each was nearly
 * half of what the reader made. Each kind is a class whose constructor sets every field (one shape, all
 * of it in the object), without a base class's constructor to call: the range getter is put on each.
 */
interface Offsets {
  start: number
  end: number
  nodeEnd: number
  readonly range: [number, number, number]
}

export class FastScalar implements Offsets {
  declare readonly range: [number, number, number]
  declare kind: 'scalar'
  constructor(public value: string | number | boolean | null, public start: number, public end: number, public nodeEnd: number) {
    this.kind = 'scalar'
  }
}
export class FastMap implements Offsets {
  declare readonly range: [number, number, number]
  declare kind: 'map'
  constructor(public items: FastPair[], public start: number, public end: number, public nodeEnd: number) {
    this.kind = 'map'
  }
}
export class FastSeq implements Offsets {
  declare readonly range: [number, number, number]
  declare kind: 'seq'
  constructor(public items: FastNode[], public start: number, public end: number, public nodeEnd: number) {
    this.kind = 'seq'
  }
}
function rangeOf(this: Offsets): [number, number, number] {
  return [this.start, this.end, this.nodeEnd]
}
for (const kind of [FastScalar, FastMap, FastSeq]) Object.defineProperty(kind.prototype, 'range', {get: rangeOf, enumerable: false, configurable: true})

const scalar = (value: FastScalar['value'], start: number, end: number, nodeEnd: number): FastScalar => new FastScalar(value, start, end, nodeEnd)

const SPACE = 0x20
const HASH = 0x23
const COLON = 0x3a
const DASH = 0x2d
const COMMA = 0x2c
const DQUOTE = 0x22
const SQUOTE = 0x27
const BACKSLASH = 0x5c
const LBRACKET = 0x5b
const RBRACKET = 0x5d
const LBRACE = 0x7b
const RBRACE = 0x7d
/** What charCodeAt gives past the end of the line: treated as the end of the line. */
const EOL = -1

/** Deeper than this is surely not a config file, and the package's own recursion may give up first. */
const MAX_DEPTH = 64
/** The package refuses implicit keys longer than 1024 characters; stay well clear. */
const MAX_KEY = 1000
/** Integers of more digits may not be exact as JS numbers: left to the package. */
const MAX_INT_DIGITS = 15

/** Thrown to give up; caught once, in parseFast. A plain object: no stack trace to capture. */
const DECLINE = {decline: true}

// Plain-scalar characters, kept to a small, ordinary set (anything else declines, which is safe).
const STARTS = 1
const IN_BLOCK = 2
const IN_FLOW = 4
const PLAIN = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  const alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
  // No '.', '+' or '-' first: that is where floats, .inf and signed numbers hide.
  if (alnum || c === 0x5f /* _ */ || c === 0x2f /* / */ || c === 0x7e /* ~ */) PLAIN[c] |= STARTS
  if (alnum || '_./:+=~@%-'.includes(String.fromCharCode(c))) PLAIN[c] |= IN_BLOCK | IN_FLOW
  // Flow indicators are text inside a block scalar (tap{0..63}), the end of a scalar inside a flow collection.
  if (',[]{}'.includes(String.fromCharCode(c))) PLAIN[c] |= IN_BLOCK
}

/**
 * A run of PLAIN's ordinary characters of a context (less ':', which ends a key), as a sticky pattern:
 * matched natively from its lastIndex, where a loop over the characters runs in V8's interpreter (a
 * config's scalars are read once, in a process too short to optimise the loop).
 */
function runOf(allowed: number): RegExp {
  let chars = ''
  for (let c = 0; c < 128; c++) if (c !== COLON && (PLAIN[c] & allowed) !== 0) chars += `\\x${c.toString(16).padStart(2, '0')}`
  return new RegExp(`[${chars}]*`, 'y')
}
const FLOW_RUN = runOf(IN_FLOW)
const BLOCK_RUN = runOf(IN_BLOCK)

/**
 * Controls (tabs and CR among them), C1 controls, the BOM and the Unicode line separators: left to the
 * package, whose rules for them are subtle. One character class, so no backtracking; native, so much
 * faster than a loop on the first (cold) run, which is the one a CLI makes.
 */
const ODD_CHARACTER = /[\x00-\x09\x0b-\x1f\x7f-\x9f\ufeff\u2028\u2029]/

const isFlowIndicator = (c: number) => c === COMMA || c === LBRACKET || c === RBRACKET || c === LBRACE || c === RBRACE

/** The core schema's reading of a plain scalar, or a decline for the forms left to the package. */
function plainValue(s: string): string | number | boolean | null {
  const c = s.charCodeAt(0)
  if (c >= 0x30 && c <= 0x39) return numberOrText(s)
  // Only texts of 1, 4 or 5 characters can be a null or a boolean: most scalars skip the comparisons.
  if (s.length !== 4 && s.length !== 5 && s.length !== 1) return s
  switch (s) {
    case '~': case 'null': case 'Null': case 'NULL': return null
    case 'true': case 'True': case 'TRUE': return true
    case 'false': case 'False': case 'FALSE': return false
  }
  return s
}

/**
 * A scalar starting with a digit: a whole number, or text (10.0.0.1/24, 52:54:00:12:34:56). Whatever
 * could be a float (1.5, 1., 1e3), hex or octal (0x1f, 0o17), or has a leading zero, is declined.
 */
function numberOrText(s: string): number | string {
  let i = 0
  while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++
  if (i === s.length) {
    if ((s.length > 1 && s.charCodeAt(0) === 0x30) || s.length > MAX_INT_DIGITS) throw DECLINE
    return Number(s)
  }
  const c = s.charCodeAt(i)
  if (i === 1 && s.charCodeAt(0) === 0x30 && (c === 0x78 /* x */ || c === 0x6f /* o */)) throw DECLINE
  if (c === 0x2e /* . */) {
    i++
    while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++
  }
  if (i === s.length || s.charCodeAt(i) === 0x65 /* e */ || s.charCodeAt(i) === 0x45 /* E */) throw DECLINE
  return s
}


/** A comment or blank line between two content lines. */
interface Trivia {
  comment: boolean
  indent: number
  /** Offset of its line feed, -1 on a last line without one. */
  newline: number
}

/** A `key:` or `-` with nothing after it on its line: its value depends on the lines that follow. */
interface Pending {
  /** The empty scalar it is if no nested collection follows. */
  empty: FastScalar
  pair: FastPair | null
  /** A comment on the key's own line. */
  comment: boolean
  /** Offset of the key line's line feed, -1 if it is the last line. */
  newline: number
}

/** An open block collection. */
interface Frame {
  node: FastMap | FastSeq
  indent: number
  /** The value of the last item: its nodeEnd (range[2]) is where the collection's value range ends. */
  last: FastNode
  pending: Pending | null
}

class FastReader {
  private readonly stack: Frame[] = []
  private readonly trivia: Trivia[] = []
  /** The items of the flow collections being read (flowCollection). */
  private readonly flowItems: Array<FastNode | FastPair> = []
  private root: FastMap | FastSeq | null = null
  /**
   * The comment and blank lines left after the last item of the innermost collection, as they move up
   * to the collections that close on a dedent: the deepest indent of a comment among them (-1 when none;
   * then they change no range), and where they end (the start of the next content, or the end of the text).
   */
  private leftoverIndent = -1
  private leftoverEnd = 0
  // The line being read.
  private lineStart = 0
  private lineEnd = 0
  private next = 0

  constructor(private readonly text: string) {}

  read(): FastNode | null {
    const {text} = this
    const n = text.length
    while (this.next < n) {
      const start = this.next
      let at = start
      while (text.charCodeAt(at) === SPACE) at++
      const nl = text.indexOf('\n', at)
      this.lineStart = start
      this.lineEnd = nl < 0 ? n : nl
      this.next = nl < 0 ? n : nl + 1
      if (at === this.lineEnd) this.trivia.push({comment: false, indent: at - start, newline: nl})
      else if (text.charCodeAt(at) === HASH) this.trivia.push({comment: true, indent: at - start, newline: nl})
      else this.contentLine(at)
    }
    this.finish()
    return this.root
  }

  private code(i: number): number {
    return i < this.lineEnd ? this.text.charCodeAt(i) : EOL
  }

  private skipSpaces(i: number): number {
    while (this.code(i) === SPACE) i++
    return i
  }

  /** `-` as a sequence entry: followed by a space or the end of the line. */
  private isDash(i: number): boolean {
    if (this.code(i) !== DASH) return false
    const c = this.code(i + 1)
    return c === SPACE || c === EOL
  }

  /** A line with content at `at`: close what it ends, then add it where it belongs. */
  private contentLine(at: number): void {
    const indent = at - this.lineStart
    const dash = this.isDash(at)
    const {stack} = this
    if (stack.length === 0) {
      // The root: a block collection from the first column (anything else is rare and left to the package).
      if (indent !== 0) throw DECLINE
      const frame = this.open(at, indent, dash)
      this.root = frame.node
      this.trivia.length = 0
      this.entry(frame, at)
      return
    }
    let top = stack[stack.length - 1]
    this.leftoverIndent = -1
    this.leftoverEnd = at
    if (top.pending) {
      const isMap = top.node.kind === 'map'
      if (indent > top.indent || (isMap && dash && indent === top.indent)) {
        this.openPendingValue(top, at, indent, dash)
        return
      }
      this.closeEmpty(top, isMap && !dash && indent === top.indent, at)
    } else {
      this.absorbIndentedComments(top)
    }
    while (!(top.indent === indent && (top.node.kind === 'map') !== dash)) {
      const endsHere = indent < top.indent || (indent === top.indent && top.node.kind === 'seq')
      if (!endsHere || stack.length === 1) throw DECLINE
      this.close(top)
      stack.pop()
      top = stack[stack.length - 1]
    }
    this.trivia.length = 0
    this.entry(top, at, this.leftoverIndent >= 0)
  }

  /** A block collection starting at `at`: a sequence if the line is a `-` entry, else a mapping. */
  private open(at: number, indent: number, dash: boolean): Frame {
    if (this.stack.length >= MAX_DEPTH) throw DECLINE
    const node: FastMap | FastSeq = dash ? new FastSeq([], at, at, at) : new FastMap([], at, at, at)
    const frame: Frame = {node, indent, last: node, pending: null}
    this.stack.push(frame)
    return frame
  }

  /** The collection on the next lines is the value of the pending `key:` or `-`. */
  private openPendingValue(top: Frame, at: number, indent: number, dash: boolean): void {
    const pending = top.pending!
    const frame = this.open(at, indent, dash)
    if (pending.pair) pending.pair.value = frame.node
    else (top.node as FastSeq).items[top.node.items.length - 1] = frame.node
    top.last = frame.node
    top.pending = null
    this.trivia.length = 0
    this.entry(frame, at)
  }

  /**
   * One entry of a collection, from `at` (a key, or a `-`) to the end of the line. `commentBefore`: comment
   * lines before it belong to it (to the package, the comment of an empty `-` entry, which its range covers).
   */
  private entry(frame: Frame, at: number, commentBefore = false): void {
    if (frame.node.kind === 'seq') this.seqEntry(frame, at, commentBefore)
    else this.mapEntry(frame, this.key(at))
  }

  /** `- ...`: an empty entry, a nested `- -` sequence, a `- key:` mapping, or a value. */
  private seqEntry(frame: Frame, dashAt: number, commentBefore = false): void {
    const seq = frame.node as FastSeq
    const at = this.skipSpaces(dashAt + 1)
    const c = this.code(at)
    if (c === EOL || c === HASH) {
      const empty = scalar(null, at, at, at)
      seq.items.push(empty)
      frame.last = empty
      frame.pending = {empty, pair: null, comment: commentBefore || c === HASH, newline: this.newlineOfLine()}
      return
    }
    // A collection that starts on the dash line is indented to its column.
    const column = at - this.lineStart
    if (this.isDash(at)) {
      const inner = this.open(at, column, true)
      seq.items.push(inner.node)
      frame.last = inner.node
      this.seqEntry(inner, at)
      return
    }
    if (c === LBRACKET || c === LBRACE) {
      const value = this.lineValue(at)
      seq.items.push(value)
      frame.last = value
      return
    }
    const start = this.scalarAt(at, false)
    if (this.code(start.end) === COLON && this.isSeparator(start.end + 1)) {
      const inner = this.open(at, column, false)
      seq.items.push(inner.node)
      frame.last = inner.node
      this.mapEntry(inner, this.asKey(start))
      return
    }
    const value = this.lineValue(at, start)
    seq.items.push(value)
    frame.last = value
  }

  /** `key: value`, or `key:` with the value on the next lines. */
  private mapEntry(frame: Frame, key: FastScalar): void {
    const map = frame.node as FastMap
    const colon = key.end
    const at = this.skipSpaces(colon + 1)
    const c = this.code(at)
    if (c === EOL || c === HASH) {
      const empty = scalar(null, at, at, at)
      const pair: FastPair = {kind: 'pair', key, value: empty}
      map.items.push(pair)
      frame.last = empty
      frame.pending = {empty, pair, comment: c === HASH, newline: this.newlineOfLine()}
      return
    }
    if (this.isDash(at)) throw DECLINE // `key: - x` is an error
    const value = this.lineValue(at)
    map.items.push({kind: 'pair', key, value})
    frame.last = value
  }

  private newlineOfLine(): number {
    return this.lineEnd < this.text.length ? this.lineEnd : -1
  }

  /** A key at `at`, which must be followed by `:` and a space or the end of the line. */
  private key(at: number): FastScalar {
    const key = this.scalarAt(at, false)
    if (this.code(key.end) !== COLON || !this.isSeparator(key.end + 1)) throw DECLINE
    return this.asKey(key)
  }

  /** A key's range ends where its text does (what follows belongs to the `:`). */
  private asKey(node: FastScalar): FastScalar {
    if (node.end - node.start > MAX_KEY) throw DECLINE
    node.nodeEnd = node.end
    return node
  }

  private isSeparator(i: number): boolean {
    const c = this.code(i)
    return c === SPACE || c === EOL
  }

  /**
   * The value that ends a block line: a flow collection or a scalar, then only a comment. Its range runs
   * to the end of the line, line feed included, as the package's does.
   */
  private lineValue(at: number, already?: FastScalar): FastNode {
    const c = this.code(at)
    const node = already ?? (c === LBRACKET || c === LBRACE ? this.flowCollection(at, 1) : this.scalarAt(at, false))
    const end = node.end
    const after = this.skipSpaces(end)
    if (after !== this.lineEnd && !(after > end && this.code(after) === HASH)) throw DECLINE
    node.nodeEnd = this.next
    return node
  }

  /** A plain or quoted scalar on this line; its nodeEnd (range[2]) is set by the caller. */
  private scalarAt(at: number, inFlow: boolean): FastScalar {
    const c = this.code(at)
    if (c === DQUOTE) return this.doubleQuoted(at)
    if (c === SQUOTE) return this.singleQuoted(at)
    const end = this.plainEnd(at, inFlow)
    return scalar(plainValue(this.text.slice(at, end)), at, end, end)
  }

  /**
   * Where a plain scalar from `at` ends, as the package's lexer sees it: before `: `, ` #`, trailing
   * spaces and the end of the line, and in a flow collection before `,[]{}` and `:` followed by them.
   * Declines on characters outside the small set, double spaces, and ` :`.
   */
  private plainEnd(at: number, inFlow: boolean): number {
    const c0 = this.code(at)
    if (c0 === EOL || (c0 < 128 ? !(PLAIN[c0] & STARTS) : false)) throw DECLINE
    const allowed = inFlow ? IN_FLOW : IN_BLOCK
    const run = inFlow ? FLOW_RUN : BLOCK_RUN
    const {text, lineEnd} = this
    let i = at + 1
    for (;;) {
      // The ordinary characters (most of every scalar) passed over at once; a run never crosses a line feed.
      run.lastIndex = i
      run.test(text)
      i = run.lastIndex
      const c = i < lineEnd ? text.charCodeAt(i) : EOL
      if (c === EOL) return i
      if (c === COLON) {
        const d = this.code(i + 1)
        if (d === SPACE || d === EOL || (inFlow && isFlowIndicator(d))) return i
      } else if (c === SPACE) {
        const j = this.skipSpaces(i + 1)
        const d = this.code(j)
        if (d === EOL || d === HASH || (inFlow && isFlowIndicator(d))) return i
        if (j > i + 1 || d === COLON) throw DECLINE
      } else if (c < 128 && !(PLAIN[c] & allowed)) {
        if (inFlow && isFlowIndicator(c)) return i
        throw DECLINE
      }
      i++
    }
  }

  /** "..." on one line, without escapes (a backslash declines). */
  private doubleQuoted(at: number): FastScalar {
    for (let i = at + 1; ; i++) {
      const c = this.code(i)
      if (c === EOL || c === BACKSLASH) throw DECLINE
      if (c === DQUOTE) return scalar(this.text.slice(at + 1, i), at, i + 1, i + 1)
    }
  }

  /** '...' on one line, where '' is a quote. */
  private singleQuoted(at: number): FastScalar {
    let escaped = false
    for (let i = at + 1; ; i++) {
      const c = this.code(i)
      if (c === EOL) throw DECLINE
      if (c !== SQUOTE) continue
      if (this.code(i + 1) !== SQUOTE) {
        const inner = this.text.slice(at + 1, i)
        return scalar(escaped ? inner.replaceAll("''", "'") : inner, at, i + 1, i + 1)
      }
      escaped = true
      i++
    }
  }

  /**
   * `[...]` or `{...}` closed on this line. Its nodeEnd (range[2]) is left at the closing bracket for the caller to extend.
   * Its items are gathered on `flowItems` (shared by the nested ones) and taken off it at its length: a
   * list pushed onto from empty gets room for 17, and a config has thousands of short ones.
   */
  private flowCollection(at: number, depth: number): FastMap | FastSeq {
    if (depth > MAX_DEPTH) throw DECLINE
    const {text, lineEnd, flowItems} = this
    const isMap = text.charCodeAt(at) === LBRACE
    const close = isMap ? RBRACE : RBRACKET
    const base = flowItems.length
    let i = at + 1
    while (i < lineEnd && text.charCodeAt(i) === SPACE) i++
    if ((i < lineEnd ? text.charCodeAt(i) : EOL) !== close) {
      for (;;) {
        if (isMap) i = this.flowPair(i, depth)
        else {
          const item = this.flowItem(i, depth)
          flowItems.push(item)
          i = item.nodeEnd
        }
        const c = i < lineEnd ? text.charCodeAt(i) : EOL
        if (c === close) break
        if (c !== COMMA) throw DECLINE // `:` in a sequence (a one-pair map), a comment, or the line's end
        i++
        while (i < lineEnd && text.charCodeAt(i) === SPACE) i++
        if ((i < lineEnd ? text.charCodeAt(i) : EOL) === close) break // a trailing comma
      }
    }
    // Its own items, off the shared list (splice: the removed ones, in a list of their length).
    const items = flowItems.splice(base)
    return isMap ? new FastMap(items as FastPair[], at, i + 1, i + 1) : new FastSeq(items as FastNode[], at, i + 1, i + 1)
  }

  /** One value in a flow collection; its nodeEnd (range[2]) takes in the spaces after it (where the next token is). */
  private flowItem(at: number, depth: number): FastNode {
    const {text, lineEnd} = this
    const c = at < lineEnd ? text.charCodeAt(at) : EOL
    const node = c === LBRACKET || c === LBRACE ? this.flowCollection(at, depth + 1) : this.scalarAt(at, true)
    let i = node.end
    while (i < lineEnd && text.charCodeAt(i) === SPACE) i++
    node.nodeEnd = i
    return node
  }

  /** `key: value`, `key:` (an empty scalar) or `key` alone (no value at all) in a flow mapping, onto flowItems. */
  private flowPair(at: number, depth: number): number {
    const {text, lineEnd} = this
    const c = at < lineEnd ? text.charCodeAt(at) : EOL
    if (c === LBRACKET || c === LBRACE || c === COMMA) throw DECLINE
    const key = this.scalarAt(at, true)
    const end = key.end
    const pair: FastPair = {kind: 'pair', key, value: null}
    this.flowItems.push(pair)
    if ((end < lineEnd ? text.charCodeAt(end) : EOL) !== COLON) {
      const after = this.skipSpaces(end)
      const d = this.code(after)
      if (d !== COMMA && d !== RBRACE) throw DECLINE
      return after
    }
    const d = end + 1 < lineEnd ? text.charCodeAt(end + 1) : EOL
    if (d === COMMA || d === RBRACE) {
      pair.value = scalar(null, end + 1, end + 1, end + 1)
      return end + 1
    }
    if (d !== SPACE) throw DECLINE // `"a":b`, `a:[b]`: adjacent values, left to the package
    let at2 = end + 2
    while (at2 < lineEnd && text.charCodeAt(at2) === SPACE) at2++
    const e = at2 < lineEnd ? text.charCodeAt(at2) : EOL
    if (e === COMMA || e === RBRACE) {
      pair.value = scalar(null, at2, at2, at2)
      return at2
    }
    const value = this.flowItem(at2, depth)
    pair.value = value
    return value.nodeEnd
  }

  /**
   * The comment and blank lines after a value that ends its line, before the next content: those up to
   * the last comment indented deeper than the collection (and not after a shallower one) end the value,
   * as the package's parser attaches them; what is left may end a collection that closes here.
   */
  private absorbIndentedComments(top: Frame): void {
    // Indexed: called for each content line, most with no trivia before them, and a for-of makes an iterator.
    const {trivia} = this
    let absorbing = true
    for (let i = 0; i < trivia.length; i++) {
      const t = trivia[i]
      if (!t.comment) continue
      if (absorbing && t.indent > top.indent) {
        top.last.nodeEnd = t.newline < 0 ? this.text.length : t.newline + 1
        continue
      }
      absorbing = false
      if (t.indent > this.leftoverIndent) this.leftoverIndent = t.indent
    }
  }

  /**
   * A pending `key:` or `-` that stays empty. Its scalar sits after the indicator and its spaces; with a
   * comment in what follows, its nodeEnd (range[2]) runs over the comment and blank lines (and the next line's
   * indent). When the next key of the same mapping follows, those lines from the second line feed on
   * (counted from the last comment indented deeper than the mapping) go to that key instead.
   */
  private closeEmpty(frame: Frame, nextKey: boolean, end: number): void {
    const pending = frame.pending!
    frame.pending = null
    let cut = -1
    if (nextKey) {
      // The line feeds since the last deeper comment: the cut is at the second of them.
      let first = pending.newline
      for (let i = 0; i < this.trivia.length; i++) {
        const t = this.trivia[i]
        if (t.comment && t.indent > frame.indent) first = cut = -1
        if (first < 0) first = t.newline
        else if (cut < 0) cut = t.newline
      }
    }
    let comment = pending.comment
    for (let i = 0; i < this.trivia.length; i++) {
      const t = this.trivia[i]
      if (cut >= 0 && t.newline > cut) break
      if (t.comment) comment = true
    }
    if (comment) pending.empty.nodeEnd = cut >= 0 ? cut : end
  }

  /**
   * Close a block collection: its value ends where its last item's node does. Left-over comment lines
   * deep enough stay with it (its nodeEnd, range[2], then ends after them); the others move to its parent.
   */
  private close(frame: Frame): void {
    const node = frame.node
    node.end = node.nodeEnd = frame.last.nodeEnd
    if (frame.indent !== 0 && this.leftoverIndent >= frame.indent) {
      node.nodeEnd = this.leftoverEnd
      this.leftoverIndent = -1
    }
  }

  private finish(): void {
    const {stack} = this
    if (stack.length === 0) return
    const end = this.text.length
    const top = stack[stack.length - 1]
    this.leftoverIndent = -1
    this.leftoverEnd = end
    if (top.pending) this.closeEmpty(top, false, end)
    else this.absorbIndentedComments(top)
    while (stack.length > 0) this.close(stack.pop()!)
  }
}

/** The parse of `text`, or undefined when it is outside the subset (the caller then uses the yaml package). */
export function parseFast(text: string): {contents: FastNode | null} | undefined {
  if (ODD_CHARACTER.test(text)) return undefined
  try {
    return {contents: new FastReader(text).read()}
  } catch (err) {
    if (err === DECLINE) return undefined
    throw err
  }
}

const kindIs = (kind: string) => (n: unknown): boolean =>
  typeof n === 'object' && n !== null && (n as {kind?: unknown}).kind === kind

/** Predicates with the yaml package's names, for these nodes. */
export const fastYaml = {
  isScalar: kindIs('scalar') as (n: unknown) => n is FastScalar,
  isMap: kindIs('map') as (n: unknown) => n is FastMap,
  isSeq: kindIs('seq') as (n: unknown) => n is FastSeq,
  isPair: kindIs('pair') as (n: unknown) => n is FastPair,
  isAlias: (_n: unknown): false => false,
}

/** Line and column (1-based) of an offset, like yaml's LineCounter.linePos (same answers, also out of range). */
export function lineCounterFor(text: string): {linePos(offset: number): {line: number; col: number}} {
  // The lines found when a position is first asked for: a valid config (most runs) never asks.
  let starts: number[] | undefined
  return {
    linePos(offset: number) {
      if (starts === undefined) {
        starts = [0]
        for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1)
      }
      // The first line start not before the offset.
      let low = 0
      let high = starts.length
      while (low < high) {
        const mid = (low + high) >> 1
        if (starts[mid] < offset) low = mid + 1
        else high = mid
      }
      if (starts[low] === offset) return {line: low + 1, col: 1}
      if (low === 0) return {line: 0, col: offset}
      return {line: low, col: offset - starts[low - 1] + 1}
    },
  }
}
