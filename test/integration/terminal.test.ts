/**
 * tunadm on a real terminal (tmux), as a person uses it: prompts, Ctrl-C, colours. The same commands
 * through pipes are tested everywhere else.
 */
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {BIN, Netns, describeKernel} from '../helpers/kernel'

const hasTmux = spawnSync('sh', ['-c', 'command -v tmux']).status === 0

describeKernel('on a terminal', () => {
  let ns: Netns
  let dir: string
  const session = `tunadm-t-${process.pid}`
  // A tmux server of this file's own (-L), kept alive by an idle session for the whole file: killing the
  // last session makes a server exit, and a new-session sent while it is exiting fails ("server exited
  // unexpectedly"), which a loaded machine made happen. Each command gets a session of its own beside it.
  // Named for this run (a pid alone may come again in a later run while an old server is still exiting).
  const socket = `tunadm-test-${process.pid}-${Date.now()}`
  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'})
  /**
   * tmux new-session, asked again (up to five times) when the client says "server exited unexpectedly":
   * it did so once under a CI run's load even with the server kept alive, a failure of tmux's client
   * and server handshake, not of tunadm. Anything else, or five of those, fails the test.
   */
  const newSession = (...args: string[]) => {
    let r = tmux('new-session', ...args)
    for (let i = 0; i < 4 && r.status !== 0 && /server exited unexpectedly/.test(r.stderr); i++) {
      spawnSync('sleep', ['0.2'])
      r = tmux('new-session', ...args)
    }
    return r
  }
  beforeAll(() => {
    if (!hasTmux && process.env.CI) throw new Error('tmux is not installed; .ci/run installs it')
    ns = new Netns('tty')
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-tty-'))
    if (hasTmux) {
      const keeper = newSession('-d', '-s', `${session}-keeper`, 'sleep 600')
      if (keeper.status !== 0) throw new Error(`tmux could not start a server: ${keeper.stderr}`)
    }
  })
  afterAll(() => {
    if (hasTmux) tmux('kill-server')
    ns?.remove()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  const screen = () => tmux('capture-pane', '-p', '-e', '-t', session).stdout
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

  /** Run `args` in a fresh tmux window; resolves with the screen and the exit code once it ends. */
  async function onTerminal(args: string[], opts: {env?: Record<string, string>; keys?: string[]; waitFor?: RegExp} = {}): Promise<{screen: string; rc: number}> {
    const rcFile = path.join(dir, `rc-${Math.random().toString(36).slice(2)}`)
    // A person at a terminal: neither CI (which turns prompts off) nor NO_COLOR unless the test sets them.
    const env = Object.entries({NO_COLOR: '', CI: '', ...opts.env}).map(([k, v]) => (v === '' ? `-u ${k}` : `${k}='${v}'`)).join(' ')
    const cmd = `env ${env} ${process.execPath} ${BIN} ${args.map((a) => `'${a}'`).join(' ')}; echo $? > ${rcFile}; sleep 30`
    tmux('kill-session', '-t', session)
    const started = newSession('-d', '-s', session, '-x', '150', '-y', '40', cmd)
    expect(started.stderr).toBe('')
    expect(started.status).toBe(0)
    if (opts.waitFor) {
      for (let i = 0; i < 100 && !opts.waitFor.test(screen()); i++) await sleep(100)
      expect(screen()).toMatch(opts.waitFor)
    }
    for (const k of opts.keys ?? []) tmux('send-keys', '-t', session, k)
    for (let i = 0; i < 100 && !fs.existsSync(rcFile); i++) await sleep(100)
    const rc = Number(fs.readFileSync(rcFile, 'utf8'))
    return {screen: screen(), rc}
  }

  ;(hasTmux || process.env.CI ? test : test.skip)('Ctrl-C at a prompt: one line, exit 130, nothing created', async () => {
    const r = await onTerminal(['add', 'foo', '--netns', ns.name], {waitFor: /Mode of foo\?/, keys: ['C-c']})
    expect(r.rc).toBe(130)
    expect(r.screen).toContain('tunadm: cancelled')
    expect(r.screen).not.toMatch(/error|why:|unexpected/)
    expect(ns.links().map((l) => l.ifname)).toEqual(['lo'])
  }, 30000)

  ;(hasTmux || process.env.CI ? test : test.skip)('a prompt answered on the terminal; --json never prompts', async () => {
    const asked = await onTerminal(['add', 'foo', '--netns', ns.name, '--user', 'nobody'], {waitFor: /Mode of foo\?/, keys: ['Down', 'Enter']})
    expect(asked.rc).toBe(0)
    expect(ns.link('foo')?.linkinfo?.info_data?.type).toBe('tap')
    const scripted = await onTerminal(['add', 'bar', '--netns', ns.name, '--json'])
    expect(scripted.rc).toBe(2)
    expect(scripted.screen).toContain('"code": "MODE_REQUIRED"')
    expect(scripted.screen).not.toContain('Mode of bar?')
  }, 30000)

  ;(hasTmux || process.env.CI ? test : test.skip)('colours on a terminal, and never with NO_COLOR or FORCE_COLOR=0', async () => {
    const sgr = /\x1b\[3\dm/ // eslint-disable-line no-control-regex
    expect((await onTerminal(['show', 'nosuch', '--netns', ns.name])).screen).toMatch(sgr)
    expect((await onTerminal(['show', 'nosuch', '--netns', ns.name], {env: {NO_COLOR: '1'}})).screen).not.toMatch(sgr)
    expect((await onTerminal(['show', 'nosuch', '--netns', ns.name], {env: {FORCE_COLOR: '0'}})).screen).not.toMatch(sgr)
  }, 30000)

  ;(hasTmux || process.env.CI ? test : test.skip)('init on a terminal checks the config before asking for the init system', async () => {
    const r = await onTerminal(['init', '--config', path.join(dir, 'missing.yaml')])
    expect(r.rc).toBe(2)
    expect(r.screen).toContain('does not exist')
    expect(r.screen).not.toMatch(/init system/)
  }, 30000)
})
