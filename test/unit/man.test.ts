/** The manual's roff: escaping, folding, and pages made from command definitions (no build needed). */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {body, code, page, prose} from '../../src/man/roff'
import {ManCommand, ManInput, manPages} from '../../src/man/pages'
import {ENVIRONMENT} from '../../src/man/facts'

const ROOT = path.resolve(__dirname, '..', '..')

describe('roff escaping', () => {
  test('an option\'s dashes are minus signs, a word\'s hyphen stays a hyphen', () => {
    expect(prose('--user and -q on a multi-queue device, 1-15 bytes')).toBe('\\-\\-user and \\-q on a multi-queue device, 1-15 bytes')
  })
  test('a backslash and a control character at the start of a line cannot become requests', () => {
    expect(prose('.TH evil')).toBe('\\&.TH evil')
    expect(prose("'br")).toBe("\\&'br")
    expect(prose('tap\\x2dweb')).toBe('tap\\ex2dweb')
    expect(code("echo 'a' `b` --x")).toBe('echo \\(aqa\\(aq \\(gab\\(ga \\-\\-x')
  })
  test('paragraphs and indented blocks of help text', () => {
    expect(body('One\nline.\n\nTwo.\n  a   b\n  c   d\nThree.')).toBe('One line.\n.PP\nTwo.\n.RS 2\n.nf\na   b\nc   d\n.fi\n.RE\n.PP\nThree.')
  })
  test('long text lines fold at 80 bytes, never before a dot; text shown as written does not', () => {
    const long = `${'word '.repeat(15)}.hidden ${'x '.repeat(40)}`
    const text = page({name: 't', section: 8, date: '2026-01-01', source: 's', manual: 'm'}, [['NAME', long], ['EXAMPLES', `.EX\n${'y'.repeat(100)}\n\nz\n.EE`]])
    const lines = text.split('\n')
    const filled = lines.slice(lines.indexOf('.SH NAME') + 1, lines.indexOf('.SH EXAMPLES'))
    expect(filled.length).toBeGreaterThan(1)
    for (const l of filled) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(80)
    expect(filled.some((l) => l.startsWith('\\&.hidden'))).toBe(true)
    expect(text).toContain(`${'y'.repeat(100)}\n\nz\n`)
    expect(lines.filter((l) => l === '').length).toBe(2) // the blank line kept in .EX, and the end
  })
})

describe('pages from definitions', () => {
  const cmd = (over: Partial<ManCommand> = {}): ManCommand => ({
    id: 'frob', summary: 'Frob a device.', description: 'Longer.', flags: {
      json: {name: 'json', type: 'boolean', summary: 'JSON.', helpGroup: 'GLOBAL'},
      level: {name: 'level', type: 'option', char: 'l', summary: 'How much.', options: ['a', 'b'], default: 'a'},
    }, args: {name: {name: 'name', description: 'Device.', required: true}},
    examples: [{description: 'Frob it', command: 'sudo <%= config.bin %> frob tun0'}], hiddenAliases: ['fr'], ...over,
  })
  const input = (commands: ManCommand[]): ManInput => ({
    bin: 'tunadm', version: '9.9.9', description: 'Do things', date: '2026-01-01', commands,
    schema: JSON.parse(fs.readFileSync(path.join(ROOT, 'init', 'tunadm.schema.json'), 'utf8')), exampleConfig: 'version: 1\n',
  })

  test('a page per command (not per alias), flags with their choices and default, examples expanded', () => {
    const pages = manPages(input([cmd(), {...cmd(), id: 'fr'}]))
    expect(pages.map((p) => p.file)).toEqual(['tunadm.8', 'tunadm-frob.8', 'tunadm.yaml.5'])
    const frob = pages[1].text
    expect(frob).toContain('tunadm-frob \\- frob a device')
    expect(frob).toContain('\\fB\\-l\\fR, \\fB\\-\\-level\\fR=\\fIa|b\\fR')
    expect(frob).toContain('Default: \\fBa\\fR.')
    expect(frob).toContain('sudo tunadm frob tun0')
    expect(frob).toContain('\\fBtunadm fr\\fR')
    expect(pages[0].text).toContain('also called \\fBfr\\fR')
  })

  test('a flag without a summary, or an example template it cannot expand, stops the build', () => {
    expect(() => manPages(input([cmd({flags: {x: {name: 'x', type: 'boolean'}}})]))).toThrow(/--x of frob has no summary/)
    expect(() => manPages(input([cmd({examples: ['<%= config.dirname %> x']})]))).toThrow(/template/)
  })

  test('a config key without a description in the schema stops the build', () => {
    const i = input([cmd()])
    i.schema.$defs!.device.properties!.mac = {type: 'string'}
    expect(() => manPages(i)).toThrow(/devices\[\]\.mac has no description/)
  })
})

describe('tunadm(8) ENVIRONMENT', () => {
  test('lists every variable the code reads', () => {
    const read = new Set<string>()
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, {withFileTypes: true})) {
        const p = path.join(dir, e.name)
        if (e.isDirectory()) walk(p)
        else if (p.endsWith('.ts') && !p.includes(`${path.sep}init${path.sep}`)) {
          for (const m of fs.readFileSync(p, 'utf8').matchAll(/\benv\.([A-Z][A-Z0-9_]+)|envCap\('([A-Z0-9_]+)'/g)) read.add(m[1] ?? m[2])
        }
      }
    }
    walk(path.join(ROOT, 'src'))
    expect(read.size).toBeGreaterThan(5)
    const documented = new Set(ENVIRONMENT.map(([name]) => name))
    expect([...read].filter((v) => !documented.has(v)).sort()).toEqual([])
  })
})
