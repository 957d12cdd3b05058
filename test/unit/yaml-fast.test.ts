/**
 * The fast YAML reader against the yaml package: for every text it accepts, the package must read the
 * same tree (kinds, item counts, scalar values and types, all three range offsets) without an error or
 * a warning. What it declines goes to the package, so declining is always safe; the everyday forms must
 * not be declined. Hand-picked texts, then random config-like documents with random damage (fast-check,
 * fixed seed).
 */
import fc from 'fast-check'
import {parseDocument, LineCounter, isScalar, isMap, isSeq, isPair} from 'yaml'
import {FastNode, fastYaml, lineCounterFor, parseFast} from '../../src/config/yaml-fast'

/** The first difference between the two trees, or undefined when they are the same. */
function difference(fast: FastNode | null, real: unknown, at = '$'): string | undefined {
  if (fast === null) return real === null ? undefined : `${at}: fast has no node, yaml has ${String(real)}`
  const r = real as {range?: [number, number, number]}
  const ranges = () => {
    const [a, b, c] = fast.range
    const rr = r.range
    return rr && rr[0] === a && rr[1] === b && rr[2] === c ? undefined : `${at}: range ${JSON.stringify(fast.range)}, yaml ${JSON.stringify(rr)}`
  }
  switch (fast.kind) {
    case 'scalar':
      if (!isScalar(real)) return `${at}: fast has a scalar, yaml not`
      if (!Object.is(fast.value, real.value)) return `${at}: value ${JSON.stringify(fast.value)} (${typeof fast.value}), yaml ${JSON.stringify(real.value)} (${typeof real.value})`
      return ranges()
    case 'map': {
      if (!isMap(real)) return `${at}: fast has a map, yaml not`
      if (real.items.length !== fast.items.length) return `${at}: ${fast.items.length} pairs, yaml ${real.items.length}`
      for (let i = 0; i < fast.items.length; i++) {
        const p = real.items[i]
        if (!isPair(p)) return `${at}[${i}]: yaml has no pair`
        const d = difference(fast.items[i].key, p.key, `${at}[${i}].key`) ?? difference(fast.items[i].value, p.value, `${at}[${i}].value`)
        if (d) return d
      }
      return ranges()
    }
    case 'seq': {
      if (!isSeq(real)) return `${at}: fast has a sequence, yaml not`
      if (real.items.length !== fast.items.length) return `${at}: ${fast.items.length} items, yaml ${real.items.length}`
      for (let i = 0; i < fast.items.length; i++) {
        const d = difference(fast.items[i], real.items[i], `${at}[${i}]`)
        if (d) return d
      }
      return ranges()
    }
  }
}

/** Parse both ways: 'declined', or 'accepted' after checking the trees agree. */
function agree(text: string): 'accepted' | 'declined' {
  const fast = parseFast(text)
  if (!fast) return 'declined'
  const doc = parseDocument(text, {uniqueKeys: false, prettyErrors: false})
  const problems = [...doc.errors, ...doc.warnings].map((e) => `${e.code} at ${e.pos[0]}`)
  const diff = problems.length > 0 ? `fast accepted, yaml reports ${problems.join(', ')}` : difference(fast.contents, doc.contents)
  if (diff) throw new Error(`${diff}\nin ${JSON.stringify(text)}`)
  return 'accepted'
}

const CONFIG = `# tunadm devices
version: 1
link_group: 77
defaults: {mode: tap, user: 0, up: true}
devices:
  - {name: b0, addresses: [10.100.0.1/24]}
  - name: tap-web
    mode: tap
    group: kvm
    mac: 52:54:00:12:34:56
    mtu: 9000
    addresses: [192.168.50.1/24, "fd00:50::1/64"]
    routes:
      - {to: 10.60.0.0/16, via: 192.168.50.254, metric: 100}
  - name: tun0
    any_user: true
    up:
`

describe('fast YAML reader', () => {
  test('reads the everyday config exactly as the yaml package does', () => {
    expect(agree(CONFIG)).toBe('accepted')
    const tree = parseFast(CONFIG)!.contents
    expect(fastYaml.isMap(tree)).toBe(true)
  })

  test('reads these exactly as the yaml package does', () => {
    const accepted = [
      '', '\n', '# only a comment\n', '   \n\n',
      'a: b', 'a: b\n', 'a:', 'a:\n', 'a:   \nb: 1\n', 'a: # why\nb: 1\n', 'a: b  # c\n',
      'k:\n  x: 1\n\n# c\n\nz: 2\n', 'k:\n- 1\n- 2\n# x\nz: 3\n', 'k:\n  - 1\n  - 2\n',
      'a: {x: 1}  # c\n', 'a: [ ]\n', 'a: {}\n', 'a: {x: }\n', 'a: {x:}\n', 'a: {x}\n', 'a: {x, y: 1}\n',
      'a: [x, ]\n', 'a: [x,]\n', 'a: {x: 1,}\n', 'a: [ x , y ]\n', 'a: [[a, b], {c: [d, e]}, []]\n',
      'mac: 52:54:00:12:34:56\nip: fd00::1/64\nf: [fd00::1/64, 52:54:00:12:34:56]\ng: {ip: fd00::1/64}\n',
      'description: some text here\nname: tap{0..63}\nlist: x,y[z]\n',
      'a: "x # y"\nb: \'it\'\'s\'\nc: ""\nd: \'\'\n"quoted key": 1\n\'sq\': 2\n',
      'n: [null, ~, Null, NULL, true, True, TRUE, false, False, FALSE, 0, 7, 123456789012345]\n',
      'ip: 10.100.0.1/24\nv: 1.2.3\nw: 1.2x\n',
      'a:\n  b:\n  # c\n  z: 2\n', 'a:\n  b:\n\n# c\n  z: 2\n', 'a:\n  b:\n# c\n\n  z: 2\n', 'a:\n  b: # k\n\n  z: 2\n',
      'a:\n  b:\n  # c\nz: 2\n', 'a:\n  - \n  # c\n  - b\n', 'a:\n  k:\n    x: 1\n    # c\n  z: 2\n',
      'a:\n  b: 1\n\n      # deep\n# low\n    # mid\nz: 1\n', 'a: 1\n  # indented\n', 'a:\n  b: 1\n  # at b\n',
      '- a\n- b\n', '- a: 1\n  b: 2\n- c: 3\n', '-   a: 1\n    b: 2\n', '- - a\n  - b\n- - c\n', '-\n  - a\n', '-\n  a: 1\n',
      '- a:\n  - x\n  b: 1\n', '- a:\n    x: 1\n', '-\n- \n-  # c\n', '- [a]\n- {b: c}\n', '- "q"\n- \'s\'\n',
      'devices:\n  # the web tap\n  - name: tap-web\n    # why\n    mode: tap\n\n  - name: x\n', 'a: b\n\n\n', 'a: é ünïcödé\n',
    ]
    for (const text of accepted) expect([text, agree(text)]).toEqual([text, 'accepted'])
  })

  test('declines what is outside the subset', () => {
    const declined = [
      'a: &x 1\nb: *x\n', 'a: *x\n', 'a: !!str 1\n', 'a: !t x\n', 'a: |\n  x\n', 'a: >\n  x\n', '? a\n: b\n',
      '---\na: 1\n', 'a: 1\n---\nb: 2\n', 'a: 1\n...\n', '%YAML 1.2\n---\na: 1\n', '\ufeffa: 1\n', 'a: 1\r\nb: 2\r\n',
      'a:\n\tb: 1\n', 'a: b\tc\n', 'a: 0x1f\n', 'a: 0o17\n', 'a: 1.5\n', 'a: 1e3\n', 'a: .inf\n', 'a: -1\n', 'a: +1\n', 'a: 007\n',
      'a: 12345678901234567\n', 'a: [b,\n  c]\n', 'a: {b: 1\n  }\n', 'a: "b\n  c"\n', 'a: b\n  c\n', 'a: "x\\ty"\n',
      'a: b: c\n', 'a: - b\n', 'a: b#c\n', 'a: [b]x\n', '  a: 1\n', 'a\n', 'x\n', '[a, b]\n', '{a: 1}\n',
      'a: 1\n b: 2\n', 'a:\n  b: 1\n c: 2\n', '- a\nb: 1\n', 'a: [b: c]\n', 'a: {"b":c}\n', 'a: {b:[c]}\n', 'a: [,]\n', 'a: [b,,c]\n',
      'a: `x`\n', 'a: @x\n', 'a: %x\n', 'a  b: 1\n', 'a: b  c\n', 'a : b\n', '<<: {a: 1}\n', 'a: {[b]: c}\n', 'a: {? b}\n',
    ]
    for (const text of declined) expect([text, parseFast(text)]).toEqual([text, undefined])
  })

  test('gives line and column as yaml\'s LineCounter does', () => {
    const texts = ['', 'a', 'a\n', 'a: 1\nbb: 2\n\n  c: 3', '\n\n']
    for (const text of texts) {
      const real = new LineCounter()
      parseDocument(text, {lineCounter: real})
      const fast = lineCounterFor(text)
      for (let offset = -1; offset <= text.length + 2; offset++) expect([text, offset, fast.linePos(offset)]).toEqual([text, offset, real.linePos(offset)])
    }
  })

  test('agrees with the yaml package on random config-like documents, damaged or not', () => {
    let common = 0
    let commonAccepted = 0
    const arbCase = fc.oneof(
      fc.record({kind: fc.constant('common' as const), text: arbDocument(false)}),
      fc.record({kind: fc.constant('rare forms' as const), text: arbDocument(true)}),
      fc.record({kind: fc.constant('damaged' as const), text: fc.tuple(arbDocument(true), fc.array(arbMutation, {minLength: 1, maxLength: 4})).map(([t, m]) => mutate(t, m))}),
      fc.record({kind: fc.constant('line soup' as const), text: arbLineSoup}),
    )
    fc.assert(fc.property(arbCase, ({kind, text}) => {
      const outcome = agree(text)
      if (kind === 'common') {
        common++
        if (outcome === 'accepted') commonAccepted++
      }
    }), {seed: 20261202, numRuns: 2000})
    // Not all are valid YAML (odd indents can make them ambiguous), but most must be taken.
    expect(commonAccepted / common).toBeGreaterThan(0.8)
  })
})

// ---- Random config-like documents ----

/** Mostly common forms; with `rare`, now and then one the reader declines or YAML reads otherwise. */
const weighted = <T>(rare: boolean, common: fc.Arbitrary<T>, uncommon: fc.Arbitrary<T>) => (rare ? fc.oneof({weight: 9, arbitrary: common}, {weight: 1, arbitrary: uncommon}) : common)

/** Scalars as configs write them, and (rarely) forms the reader declines or YAML reads otherwise. */
const arbScalar = (inFlow: boolean, rare: boolean) => weighted(rare,
  fc.constantFrom('tap0', 'b0', 'tap-web', 'kvm', 'qemu', '9000', '0', '1', '77', '100', 'true', 'false', 'True', 'FALSE', 'null', '~', 'Null',
    '10.100.0.1/24', '192.168.50.254', 'fd00::1/64', 'fd00:50::1/64', '52:54:00:12:34:56', '"fd00:50::1/64"', '"tap{0..63}"', "'it''s'",
    '""', "''", '"a # b"', "'x: y'", 'a:b', 'x_y.z', '/dev/net/tun', 'user@host', 'a=b', 'é', '1.2.3', '10.0.0.0/8',
    'some text here', 'a b', ...(inFlow ? [] : ['tap{0..63}', 'x,y', 'x[0]'])),
  fc.constantFrom('007', '1.5', '1.', '0x1f', '0o17', '1e3', '-1', '+1', '.inf', '.nan', 'yes', 'no', 'on', '12345678901234567', 'a: b',
    '- x', '"a\\"b"', "'a''", '&x y', '*x', '!t y', '|', '>', '@x', '`x`', '%x', 'a  b', 'a #b', 'a#b', '"x"y', '[', '{', ']', '}', ',', ':', '-', '?', '#'),
)

const arbKey = (rare: boolean) => weighted(rare,
  fc.constantFrom('name', 'mode', 'user', 'group', 'mtu', 'addresses', 'routes', 'to', 'via', 'metric', 'up', 'any_user', 'version', 'devices',
    'defaults', 'link_group', 'mac', '"quoted key"', "'sq'", '1', 'true', 'null', 'a b', 'k:x', 'x-y', '"a: b"', "'k''s'"),
  fc.constantFrom('-x', '? x', '"a\\b"', '&k x', '[a]', '{a: b}', '.5', 'a  b', '<<', '0x1', '', ' name'),
)

const arbSpaces = fc.constantFrom('', '', '', ' ', '  ')

/** A one-line flow collection, nested, with random spacing and trailing commas. */
const arbFlow = (rare: boolean): fc.Arbitrary<string> => fc.letrec<{flow: string; value: string}>((tie) => ({
  value: fc.oneof({weight: 4, arbitrary: arbScalar(true, rare)}, {weight: 1, arbitrary: tie('flow')}),
  flow: fc.oneof(
    fc.tuple(fc.array(fc.tuple(tie('value'), arbSpaces, arbSpaces), {maxLength: 4}), arbSpaces, fc.boolean())
      .map(([items, sp, trailing]) => `[${sp}${items.map(([v, a, b]) => `${v}${a}`).join(`,${sp || ' '}`)}${trailing && items.length ? ',' : ''}${sp}]`),
    fc.tuple(fc.array(fc.tuple(arbKey(rare), fc.constantFrom(': ', ': ', ':', ':  ', ''), fc.option(tie('value'), {nil: ''}), arbSpaces), {maxLength: 4}), arbSpaces, fc.boolean())
      .map(([pairs, sp, trailing]) => `{${sp}${pairs.map(([k, colon, v, a]) => (colon === '' ? `${k}${a}` : `${k}${colon}${v}${a}`)).join(`,${sp || ' '}`)}${trailing && pairs.length ? ',' : ''}${sp}}`),
  ),
})).flow

const arbComment = fc.constantFrom('#', '# c', '#x y', '# - a: [b]')
/** Comment and blank lines between entries, at random indents. */
const arbTrivia = fc.oneof({weight: 5, arbitrary: fc.constant<string[]>([])}, {weight: 1, arbitrary: fc.array(fc.oneof(
  fc.constant(''),
  fc.nat(4).map((n) => ' '.repeat(n)),
  fc.tuple(fc.nat(8), arbComment).map(([n, c]) => ' '.repeat(n) + c),
), {minLength: 1, maxLength: 3})})
const arbTrailing = fc.oneof({weight: 5, arbitrary: fc.constant('')}, {weight: 1, arbitrary: fc.constantFrom(' # c', '  #', '   ', ' ')})

type Tree =
  | {t: 'scalar'; s: string}
  | {t: 'map'; step: number; entries: Array<{key: string; value: Tree | null; before: string[]; trailing: string}>}
  | {t: 'seq'; step: number; dashSpace: number; items: Array<{value: Tree | null; before: string[]; trailing: string}>}

const arbTree = (rare: boolean): fc.Arbitrary<Tree> => fc.letrec<{node: Tree; value: Tree | null}>((tie) => ({
  value: fc.oneof(
    {weight: 6, arbitrary: fc.oneof({weight: 4, arbitrary: arbScalar(false, rare)}, {weight: 1, arbitrary: arbFlow(rare)}).map((s): Tree => ({t: 'scalar', s}))},
    {weight: 1, arbitrary: fc.constant(null)},
    {weight: 2, arbitrary: tie('node')},
  ),
  node: fc.oneof({depthSize: 'small'},
    fc.record({
      t: fc.constant('map' as const), step: fc.constantFrom(2, 2, 4, 1, 3),
      entries: fc.array(fc.record({key: arbKey(rare), value: tie('value'), before: arbTrivia, trailing: arbTrailing}), {minLength: 1, maxLength: 5}),
    }),
    fc.record({
      t: fc.constant('seq' as const), step: fc.constantFrom(2, 2, 0, 4, 1), dashSpace: fc.constantFrom(1, 1, 1, 2, 3),
      items: fc.array(fc.record({value: tie('value'), before: arbTrivia, trailing: arbTrailing}), {minLength: 1, maxLength: 5}),
    }),
  ),
})).node

/**
 * The lines of a tree at `indent`. `first`, when given, is the text already on the first line (`- `
 * of a parent entry): the collection then starts on that line, at its column.
 */
function render(tree: Tree, indent: number, out: string[], first?: string): void {
  const pad = ' '.repeat(indent)
  let head = first
  const line = (s: string) => {
    out.push(head !== undefined ? head + s : pad + s)
    head = undefined
  }
  if (tree.t === 'scalar') throw new Error('a scalar is rendered by its entry')
  if (tree.t === 'map') {
    for (const e of tree.entries) {
      if (head === undefined) out.push(...e.before)
      const v = e.value
      if (!v) line(`${e.key}:${e.trailing}`)
      else if (v.t === 'scalar') line(`${e.key}: ${v.s}${e.trailing}`)
      else {
        line(`${e.key}:${e.trailing}`)
        render(v, indent + (v.t === 'seq' && tree.step === 1 ? 0 : tree.step), out)
      }
    }
    return
  }
  for (const it of tree.items) {
    if (head === undefined) out.push(...it.before)
    const dash = '-' + ' '.repeat(tree.dashSpace)
    const v = it.value
    if (!v) line(`-${it.trailing}`)
    else if (v.t === 'scalar') line(`${dash}${v.s}${it.trailing}`)
    else if (tree.step === 0 || tree.step === 2) {
      // Compact: the nested collection starts on the dash line.
      render(v, indent + dash.length, out, (head ?? pad) + dash)
      head = undefined
    } else {
      line(`-${it.trailing}`)
      render(v, indent + tree.step, out)
    }
  }
}

const arbDocument = (rare: boolean) => fc.tuple(arbTree(rare), arbTrivia, arbTrivia, fc.boolean()).map(([tree, before, after, finalNewline]) => {
  const out: string[] = [...before]
  if (tree.t !== 'scalar') render(tree, 0, out)
  out.push(...after)
  const text = out.join('\n')
  return finalNewline ? text + '\n' : text
})

/**
 * Lines of entries put together at random indents: mostly not a valid document, but where the reader
 * takes one, every rule about what a dedent closes and where comments go is exercised.
 */
const arbLineSoup = fc.tuple(fc.array(fc.tuple(
  fc.constantFrom(0, 0, 2, 2, 4, 4, 1, 3, 5, 6),
  fc.constantFrom('a: 1', 'b:', 'c: x # c', '- x', '-', '- d: 2', '- e:', '- - y', '- -', '# c', '#', '', 'f: [x, y]', '- {g: h}', 'i: {}',
    '-  j: 3', 'k:  # c', '- # c', '"q": r', "- 's'"),
  fc.constantFrom('', '', ' ', ' # t'),
), {minLength: 1, maxLength: 10}), fc.boolean())
  .map(([lines, newline]) => lines.map(([n, s, end]) => ' '.repeat(n) + s + (s && !s.includes('#') ? end : '')).join('\n') + (newline ? '\n' : ''))

/**
 * Damage: a YAML indicator or a stray character put in, some text taken out, or a line moved in or
 * out, copied or dropped (which keeps most of the document readable, with tricky indents).
 */
const arbMutation = fc.record({
  op: fc.constantFrom('put', 'put', 'indent', 'dedent', 'copy line', 'drop line'),
  at: fc.nat(),
  n: fc.integer({min: 1, max: 4}),
  put: fc.constantFrom('', '&a ', '*a', '!t ', '|', '>', '? ', '---\n', '...\n', '%YAML 1.2\n', '\t', '\r', '\r\n', '#', ' #', ':', ': ', '-',
    '- ', '[', ']', '{', '}', ',', '"', "'", '\\', '\n', ' ', '  ', '\n  ', '@', '`', '\ufeff', 'x', '0', '.', '~', '\u0085', '\u2028', 'é', ' - ', ':\n'),
})
type Mutation = {op: string; at: number; n: number; put: string}

function mutate(text: string, mutations: Mutation[]): string {
  let s = text
  for (const m of mutations) {
    if (m.op === 'put') {
      const at = m.at % (s.length + 1)
      s = s.slice(0, at) + m.put + s.slice(at + (m.put === '' ? m.n : 0))
      continue
    }
    const lines = s.split('\n')
    const i = m.at % lines.length
    if (m.op === 'indent') lines[i] = ' '.repeat(m.n) + lines[i]
    else if (m.op === 'dedent') lines[i] = lines[i].replace(new RegExp(`^ {1,${m.n}}`), '')
    else if (m.op === 'copy line') lines.splice(i, 0, lines[i])
    else lines.splice(i, 1)
    s = lines.join('\n')
  }
  return s
}

describe('down reads link_group with the reader apply uses', () => {
  const fs = require('node:fs') as typeof import('node:fs')
  const os = require('node:os') as typeof import('node:os')
  const path = require('node:path') as typeof import('node:path')
  const {readManagedSet} = require('../../src/config/link-group') as typeof import('../../src/config/link-group')
  const {parseConfig} = require('../../src/config/load') as typeof import('../../src/config/load')
  // [text, link_group down uses (undefined: the derived one), whether it warns]
  test.each<[string, number | undefined, boolean]>([
    ['version: 1\nlink_group: 77\ndevices: []\n', 77, false],
    ['version: 1\n"link\\x5fgroup": 42\ndevices: []\n', 42, false],
    ['link_group: 5\nlink_group: 6\n', undefined, true],
    ['link_group: "77"\n', undefined, true],
    ['link_group:\n', undefined, true],
    ['link_group: {a: 1}\n', undefined, true],
    ['link_group: [1]\n', undefined, true],
    ['link_group: 1e2\n', undefined, true],
    ['link_group: 0\n', undefined, true],
    ['devices:\n  - {name: tun0, link_group: 9}\n', undefined, false],
    ['# link_group: 4\nversion: 1\n', undefined, false],
    ['version: 1\nlink_group: 8\ndevices:\n  - {name: tun0, mode: bogus}\n', 8, false],
  ])('%j', (text, group, warns) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-lg-')), 'c.yaml')
    fs.writeFileSync(file, text)
    const got = readManagedSet(file)
    expect([got.linkGroup, Boolean(got.warning)]).toEqual([group, warns])
    // apply reads the same number (or refuses the file for it)
    if (group !== undefined && !text.includes('bogus')) expect(parseConfig(text, file).linkGroup).toBe(group)
    fs.rmSync(path.dirname(file), {recursive: true})
  })

  // [text, the id down uses (undefined: none, the path), the warning's start]
  test.each<[string, string | undefined, string | undefined]>([
    ['version: 1\nid: vmhost\ndevices: []\n', 'vmhost', undefined],
    ['version: 1\n"i\\x64": vmhost\ndevices: []\n', 'vmhost', undefined],
    ['version: 1\nid: 12\ndevices: []\n', undefined, 'id in FILE is not valid (not text)'],
    ['version: 1\nid: a\nid: b\ndevices: []\n', undefined, 'id in FILE is not valid (given twice)'],
    ['version: 1\nid: vmhost\nlink_group: 0\ndevices: []\n', 'vmhost', 'link_group in FILE is not a whole number'],
    ['version: 1\ndevices:\n  - {name: tun0, mode: tun}\n', undefined, undefined],
  ])('id: %j', (text, id, warning) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-lg-')), 'c.yaml')
    fs.writeFileSync(file, text)
    const got = readManagedSet(file)
    expect([got.id, got.warning?.replaceAll(file, 'FILE').slice(0, warning?.length)]).toEqual([id, warning])
    // apply reads the same id (or refuses the file for it)
    if (id !== undefined && !warning) expect(parseConfig(text, file).id).toBe(id)
    fs.rmSync(path.dirname(file), {recursive: true})
  })
})
