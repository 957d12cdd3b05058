/**
 * A YAML document as the config's checker (load.ts) walks it: problems at their line and column (kept
 * up to a cap, the rest counted), aliases followed under a cap, mappings read by key with repeated and
 * unknown keys reported, scalars with the text they were written as. What the keys mean is load.ts's.
 */
import type {Document, LineCounter, Node, Pair, Scalar, YAMLMap} from 'yaml'
import type {Parsed, ScalarInput} from '../model/values'
import {closestKey} from './keys'
import {CAPS, ConfigProblem} from './problems'
import {loadYaml} from './yaml'
import {fastYaml, lineCounterFor, parseFast} from './yaml-fast'

type Yaml = typeof import('yaml')
/** What the checker asks of a YAML library: node predicates (the library's, or yaml-fast.ts's). */
type YamlView = Pick<Yaml, 'isScalar' | 'isMap' | 'isSeq' | 'isPair' | 'isAlias' | 'visit'>
export type Origin = Node | Pair

/** The document of `text`, for a YamlDoc's constructor (after the library, its line counter). */
export function readYaml(text: string): [YamlView, Document, Pick<LineCounter, 'linePos'>] {
  // Loaded here, not at the top: most commands never read a config, and start-up time matters.
  // The common subset of YAML is read by yaml-fast.ts (about 20 times faster, the same nodes, a property
  // test holds it to the library); anything else, and every file with a problem the library reports,
  // goes to the library.
  const fast = parseFast(text)
  if (fast) return [fastYaml as unknown as YamlView, {errors: [], contents: fast.contents} as unknown as Document, lineCounterFor(text)]
  const yaml = loadYaml()
  const lineCounter = new yaml.LineCounter()
  // uniqueKeys is checked by the checker in linear time (the library's check is quadratic in the keys of a mapping).
  return [yaml, yaml.parseDocument(text, {lineCounter, prettyErrors: false, uniqueKeys: false}), lineCounter]
}

export class YamlDoc {
  readonly problems: ConfigProblem[] = []

  constructor(
    protected readonly yaml: YamlView,
    protected readonly doc: Document,
    protected readonly lines: Pick<LineCounter, 'linePos'>,
    protected readonly file: string,
    private readonly text: string,
  ) {}

  /** Problems beyond those kept (a hostile file can make millions): counted, not stored. */
  dropped = 0
  /** A cap that stopped the check: reported before everything else. */
  capped?: ConfigProblem
  private aliasUses = 0

  /** Enough problems are kept: count the rest without working out their messages. */
  get saturated(): boolean {
    return this.problems.length >= CAPS.problems * 10
  }

  problem(at: Origin | number | undefined, message: string): void {
    if (this.saturated) {
      this.dropped++
      return
    }
    const offset = typeof at === 'number' ? at : at ? this.offsetOf(at) : 0
    const {line, col} = this.lines.linePos(offset)
    this.problems.push({file: this.file, line: Math.max(line, 1), col: Math.max(col, 1), message})
  }

  protected offsetOf(at: Origin): number {
    if (this.yaml.isPair(at)) return this.offsetOf(at.key as Node)
    return at.range?.[0] ?? 0
  }

  /** Follow YAML aliases (*name) to the node they stand for. */
  protected deref(node: unknown): Node | undefined {
    if (this.yaml.isAlias(node)) {
      if (++this.aliasUses === CAPS.aliases + 1) this.problem(node, `more than ${CAPS.aliases} uses of YAML aliases (*name); expected fewer (a cap against files that expand to millions of entries)`)
      if (this.aliasUses > CAPS.aliases) return undefined
      return this.aliasTarget(node)
    }
    return (node ?? undefined) as Node | undefined
  }

  /** Each alias's node, found for all of them in one walk of the document. */
  private aliasTargets?: Map<Node, Node | undefined>

  /**
   * The node an alias stands for: the last node anchored with its name before it in the document, as the
   * library's Alias.resolve finds it. That walks the whole document at every use (quadratic in the uses);
   * one walk here remembers the anchor in force at each alias.
   */
  private aliasTarget(alias: Node): Node | undefined {
    if (!this.aliasTargets) {
      const targets = new Map<Node, Node | undefined>()
      const anchored = new Map<string, Node>()
      this.yaml.visit(this.doc, {
        Node: (_key, n) => {
          if (this.yaml.isAlias(n)) targets.set(n, anchored.get(n.source))
          else if (n.anchor) anchored.set(n.anchor, n)
        },
      })
      this.aliasTargets = targets
    }
    return this.aliasTargets.get(alias)
  }

  /** The YAML's own problems (syntax, keys twice, a second document, a %YAML other than 1.2): true if any. */
  protected yamlProblems(): boolean {
    for (const e of this.doc.errors) {
      const what = e.code === 'DUPLICATE_KEY' ? 'this key appears twice in the same mapping; expected each key once'
        : e.code === 'MULTIPLE_DOCS' ? 'a second YAML document starts here (a --- line); expected one document: the devices of one config in one file'
          : `${e.message.split('\n')[0]}; expected valid YAML`
      this.problem(e.pos[0], what)
    }
    if (this.doc.errors.length > 0) return true
    const directive = (this.doc as {directives?: {yaml?: {explicit?: boolean; version?: string}}}).directives?.yaml
    if (!directive?.explicit || directive.version === '1.2') return false
    this.problem(0, `the file declares %YAML ${directive.version}, under which 010 is eight, 1:30 is ninety and yes is true, where YAML 1.2 reads them as written; expected no %YAML line (tunadm reads YAML 1.2)`)
    return true
  }

  /** The pairs of a mapping by key; unknown keys are reported with the closest known one. */
  protected entries(map: YAMLMap, known: readonly string[], what: string): Map<string, Pair> {
    const out = new Map<string, Pair>()
    const seen = new Set<string>()
    for (const pair of map.items) {
      const keyNode = pair.key as Node
      const key = this.yaml.isScalar(keyNode) ? String(keyNode.value) : undefined
      if (key !== undefined) {
        if (seen.has(key)) {
          this.problem(pair, 'this key appears twice in the same mapping; expected each key once')
          continue
        }
        seen.add(key)
      }
      if (key === '<<' || key === 'Symbol(<<)') {
        this.problem(pair, `merge keys (<<) are not supported; expected each key written out (settings every device shares go in defaults:)`)
        continue
      }
      if (key === undefined) {
        this.problem(keyNode ?? map, `a ${what} is not a plain name; expected one of: ${known.join(', ')}`)
        continue
      }
      if (!known.includes(key)) {
        if (this.saturated) {
          this.dropped++
          continue
        }
        const near = closestKey(key, known)
        this.problem(pair, `unknown ${what} "${key}"; expected ${near ? `"${near}"?` : `one of: ${known.join(', ')}`}`)
        continue
      }
      out.set(key, pair)
    }
    return out
  }

  /** A node as the parsers of model/values.ts take it: its value, and the text it was written as. */
  protected scalar(node: Node | Pair): ScalarInput {
    const isScalar = this.yaml.isScalar(node)
    const range = (node as Node).range
    return {value: isScalar ? (node as Scalar).value : undefined, isScalar, written: range ? this.text.slice(range[0], range[1]).trim() : undefined}
  }

  /** A parser's value, or undefined after reporting its problem at `node`. */
  protected parsed<T>(node: Origin, p: Parsed<T>): T | undefined {
    return 'value' in p ? p.value : this.fail(node, p.problem)
  }

  /** Report a problem at `node`; undefined, for the value it leaves. */
  protected fail(node: Origin, message: string): undefined {
    this.problem(node, message)
    return undefined
  }

  /** A YAML list, each item read by `item` (undefined: it reported a problem): all of them, or undefined. */
  protected list<T>(node: Node | Pair, notList: string, item: (n: Node | Pair, done: T[]) => T | undefined): T[] | undefined {
    if (!this.yaml.isSeq(node)) return this.fail(node, notList)
    const out: T[] = []
    let ok = true
    for (const it of node.items) {
      const v = item(this.deref(it) ?? node, out)
      if (v === undefined) ok = false
      else out.push(v)
    }
    return ok ? out : undefined
  }
}
