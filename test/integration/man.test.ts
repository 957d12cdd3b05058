/**
 * The manual the build generates (dist/man): every page renders without a warning from groff and from
 * mandoc's linter, and says what --help says (the same definitions made both), and tunadm.yaml(5) lists
 * every key the config loader knows.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {BIN, ROOT, sh} from '../helpers/kernel'
import {DEVICE_KEYS, ROUTE_KEYS, TOP_LEVEL_KEYS} from '../../src/config/keys'

const MAN = path.join(ROOT, 'dist', 'man')
const pages = fs.existsSync(MAN) ? fs.readdirSync(MAN).sort() : []
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))

/** A checker this test needs: missing is a failure under CI, a loud skip elsewhere. */
function tool(cmd: string): boolean {
  if (sh('sh', ['-c', `command -v ${cmd}`]).status === 0) return true
  if (process.env.CI) throw new Error(`${cmd} is not installed; .ci/run installs it`)
  process.stderr.write(`\n*** SKIPPING the ${cmd} check of the man pages: ${cmd} is not installed ***\n\n`)
  return false
}

/** A page as man(1) shows it, wide enough that nothing wraps. */
function render(page: string): {stdout: string; stderr: string} {
  const r = sh('man', ['--warnings', '-l', path.join(MAN, page)], {env: {...process.env, MANWIDTH: '250', MAN_KEEP_FORMATTING: '', LANG: 'C.UTF-8'}})
  return {stdout: r.stdout.replace(/.\x08/g, ''), stderr: r.stderr}
}

/** The long flags a --help page lists (its FLAGS sections), as "--name". */
function helpFlags(id: string): string[] {
  const r = sh(process.execPath, [BIN, id, '--help'])
  expect([r.status, r.stderr]).toEqual([0, ''])
  const flags = r.stdout.split('\nDESCRIPTION')[0].split('\n').filter((l) => /^\s+(-\w, )?--/.test(l))
  return flags.map((l) => /--(\[no-\])?([\w-]+)/.exec(l)!).map((m) => `--${m[2]}`)
}

describe('the man pages', () => {
  test('the build made one page per command, tunadm(8) and tunadm.yaml(5), and package.json lists them all', () => {
    const commands = JSON.parse(sh(process.execPath, ['-e', `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(path.join(ROOT, 'dist', 'cli.js'))}).COMMANDS)))`]).stdout)
    expect(pages).toEqual(['tunadm.8', 'tunadm.yaml.5', ...commands.map((c: string) => `tunadm-${c}.8`)].sort())
    expect(pkg.man.map((f: string) => path.basename(f)).sort()).toEqual(pages)
    for (const f of pkg.man) expect(fs.existsSync(path.join(ROOT, f))).toBe(true)
    expect(pkg.files).toContain('dist/man')
  })

  test.each(pages)('%s: groff -ww finds nothing to warn about', (page) => {
    if (!tool('groff')) return
    const r = sh('groff', ['-ww', '-z', '-man', path.join(MAN, page)])
    expect([r.status, r.stderr]).toEqual([0, ''])
  })

  test.each(pages)('%s: mandoc -T lint finds nothing, not even style', (page) => {
    if (!tool('mandoc')) return
    const r = sh('mandoc', ['-T', 'lint', '-W', 'style', path.join(MAN, page)])
    expect([r.status, r.stdout + r.stderr]).toEqual([0, ''])
  })

  test.each(pages.filter((p) => /^tunadm-.*\.8$/.test(p)))('%s says what --help says: every flag and every example', (page) => {
    if (!tool('man')) return
    const id = /^tunadm-(.*)\.8$/.exec(page)![1]
    const {stdout, stderr} = render(page)
    expect(stderr).toBe('')
    const flags = helpFlags(id)
    expect(flags.length).toBeGreaterThan(0)
    for (const flag of flags) expect({flag, shown: stdout.includes(flag) || stdout.includes(flag.replace(/^--/, '--[no-]'))}).toEqual({flag, shown: true})
    const help = sh(process.execPath, [BIN, id, '--help']).stdout
    // The examples as --help shows them: a command line indented by four, "$ " before tunadm itself,
    // folded at 80 columns with a backslash.
    const examples = (help.split('\nEXAMPLES\n')[1] ?? '').replace(/ \\\n\s+/g, ' ').split('\n')
      .filter((l) => /^ {4}\S/.test(l)).map((l) => l.trim().replace(/^\$ /, ''))
    expect(examples.length).toBeGreaterThan(0)
    for (const e of examples) expect(stdout).toContain(e)
    expect(stdout).toContain(help.split('\n')[0].trim()) // the summary
  })

  test('tunadm(8) lists every command with its summary, the exit codes and the environment', () => {
    if (!tool('man')) return
    const {stdout, stderr} = render('tunadm.8')
    expect(stderr).toBe('')
    const list = sh(process.execPath, [BIN, '--help']).stdout
    // "  add   Summary..." with the summary folded onto lines indented further.
    const commands = list.split('\nCOMMANDS\n')[1].replace(/\n {4,}/g, ' ').split('\n').filter((l) => /^ {2}\w/.test(l)).map((l) => /^ {2}(\S+)\s+(.*)$/.exec(l)!)
    expect(commands.length).toBeGreaterThan(5)
    for (const [, id, summary] of commands) {
      expect(stdout).toContain(`tunadm ${id}`)
      expect(stdout).toContain(summary)
      expect(stdout).toContain(`tunadm-${id}(8)`)
    }
    for (const heading of ['EXIT STATUS', 'ENVIRONMENT', 'FILES', 'GLOBAL OPTIONS']) expect(stdout).toContain(`\n${heading}\n`)
    for (const code of ['0', '1', '2', '130']) expect(stdout).toMatch(new RegExp(`\\n {7}${code} +\\S`))
  })

  test('tunadm.yaml(5) describes every key the loader accepts, and shows the example config', () => {
    if (!tool('man')) return
    const {stdout, stderr} = render('tunadm.yaml.5')
    expect(stderr).toBe('')
    for (const key of [...TOP_LEVEL_KEYS, ...DEVICE_KEYS, ...ROUTE_KEYS]) expect({key, shown: new RegExp(`\\n {7}${key}: `).test(stdout)}).toEqual({key, shown: true})
    const example = fs.readFileSync(path.join(ROOT, 'init', 'tunadm.example.yaml'), 'utf8')
    for (const line of example.split('\n').filter((l) => l.trim())) expect(stdout).toContain(line)
  })
})
