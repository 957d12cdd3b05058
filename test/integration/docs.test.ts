/**
 * Docs that run: every shell example of the README and of each command's --help that can run in a
 * network namespace is run there, in a namespace of its own, and its exit code and output are checked:
 * exit 0 unless the README shows an error or another exit status; the first line of the output the README
 * shows, where it shows one; output at all from every jq example.
 *
 * To run where the examples were written for a real host, the test
 * - puts a `tunadm` (this checkout) and a `sudo` (that just runs the command: the test is root) first on PATH;
 * - creates beforehand the devices an example names but does not create itself (owned by nobody);
 * - gives apply, down and init a config file of its own (the default /etc/tunadm/tunadm.yaml is not the
 *   test's to write) and TUNADM_LOCK a lock of its own;
 * - reads the example users and groups (waldner, qemu, kvm, netdev) as nobody and nogroup, and the
 *   example namespace "blue" as its own namespace.
 * What cannot run in a namespace is listed with the reason (it writes to /etc or ~, installs, or is
 * another program's command line, which test/integration/interop.test.ts runs).
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {spawn, spawnSync} from 'node:child_process'
import {BIN, Netns, ROOT, describeKernel} from '../helpers/kernel'
import {COMMANDS} from '../../src/cli'

interface Example {
  where: string
  /** Examples of one README block run one after the other in one namespace, as a session. */
  block: string
  command: string
  /** The output the README shows after it, if any. */
  shown?: string[]
}

/** `$ ` lines of the README's shell blocks (with their continuation lines), and what is shown after each. */
export function readmeExamples(text: string): Example[] {
  const out: Example[] = []
  const lines = text.split('\n')
  let block: string | undefined
  let blockStart = 0
  let current: Example | undefined
  for (const [i, line] of lines.entries()) {
    if (line.startsWith('```')) {
      block = block === undefined ? line.slice(3) : undefined
      blockStart = i + 1
      current = undefined
      continue
    }
    if (block !== '') continue
    if (line.startsWith('$ ')) {
      current = {where: `README.md:${i + 1}`, block: `README block ${blockStart}`, command: line.slice(2)}
      out.push(current)
    } else if (current && current.command.endsWith('\\') && !current.shown) {
      current.command = `${current.command.slice(0, -1)} ${line.trim()}`
    } else if (current && line.trim() !== '') {
      (current.shown ??= []).push(line)
    }
  }
  return out
}

function helpExamples(): Example[] {
  return Object.entries(COMMANDS).flatMap(([id, cls]) =>
    ((cls as {examples?: Array<{command: string}>}).examples ?? []).map((e, i) => ({where: `tunadm ${id} --help`, block: `tunadm ${id} --help, example ${i + 1}`, command: e.command.replace(/<%= config\.bin %>/g, 'tunadm')})))
}

/** Why an example cannot run in a namespace, or undefined when it can. */
function notRunnable(command: string): string | undefined {
  if (!/(^|[\s($])(sudo )?tunadm\b/.test(command.replace(/\s#.*$/, ''))) return 'not a tunadm command line (npm, qemu, openvpn: see the interop and package tests)'
  if (/--install\b|\/etc\/bash_completion\.d|~\/\.zshrc/.test(command)) return 'writes outside the test (/etc, the home directory)'
  if (/\bsystemctl\b/.test(command)) return 'changes the host\'s init system'
  if (/^generate\b/.test(command)) return 'generate stands for the program that writes a config'
  // import reads the host's own network files: runnable where this machine has them.
  const there = (p: string) => (p.includes('*') ? fs.existsSync(path.dirname(p)) && fs.readdirSync(path.dirname(p)).length > 0 : fs.existsSync(p))
  if (/\btunadm import\b/.test(command) && command.split(/\s+/).some((w) => w.startsWith('/') && !there(w))) return 'reads network files this machine does not have'
  return undefined
}

const DEVICE = /^(tun|tap)\d+$/

/** How many README sessions run at once (each in a namespace of its own). */
const SESSIONS_AT_ONCE = 4

const hasZsh = spawnSync('sh', ['-c', 'command -v zsh']).status === 0

/** The devices an example works on without creating them itself. */
function devicesNeeded(command: string): string[] {
  const words = command.replace(/#.*$/, '').split(/\s+/)
  const created = new Set<string>()
  words.forEach((w, i) => {
    if (w === 'add' && words[i - 1]?.endsWith('tunadm') && DEVICE.test(words[i + 1] ?? '')) created.add(words[i + 1])
    if (w === '--rename') created.add(words[i + 1])
  })
  return [...new Set(words.filter((w) => DEVICE.test(w) && !created.has(w)))]
}

describeKernel('docs that run', () => {
  const readme = readmeExamples(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'))
  const examples = [...readme, ...helpExamples()]
  let dir: string
  let env: NodeJS.ProcessEnv

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-docs-'))
    fs.chmodSync(dir, 0o755) // the example run as a normal user reaches the tunadm on PATH
    const bin = path.join(dir, 'bin')
    fs.mkdirSync(bin)
    fs.writeFileSync(path.join(bin, 'tunadm'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, {mode: 0o755})
    fs.writeFileSync(path.join(bin, 'sudo'), '#!/bin/sh\nexec "$@"\n', {mode: 0o755})
    fs.writeFileSync(path.join(dir, 'tunadm.yaml'), [
      'version: 1', 'devices:',
      '  - {name: tun0, mode: tun, user: nobody, up: true, addresses: [10.8.0.1/32], peer: 10.8.0.2, routes: [{to: 10.20.0.0/16, via: 10.8.0.2}]}',
      '  - {name: "tap{1..2}", mode: tap, group: nogroup}', '',
    ].join('\n'))
    env = {...process.env, PATH: `${bin}:${process.env.PATH}`, HOME: dir, NO_COLOR: '1', TUNADM_LOCK: path.join(dir, 'tunadm.lock')}
    delete env.TUNADM_FULL_OCLIF
  })
  afterAll(() => fs.rmSync(dir, {recursive: true, force: true}))

  test('the README and every --help have examples, and the README uses one prompt style', () => {
    expect(readme.length).toBeGreaterThan(30)
    expect(helpExamples().length).toBeGreaterThan(25)
    // A shell block (no language) starts with a "$ " command: none is written without the prompt.
    const blocks = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').split(/^```.*$/m).filter((_, i) => i % 2 === 1)
    const untagged = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').match(/^```.*$/gm)!.filter((_, i) => i % 2 === 0).map((fence) => fence === '```')
    const bare = blocks.filter((b, i) => untagged[i]).map((b) => b.split('\n').find((l) => l.trim() && !l.trim().startsWith('#'))).filter((first) => first !== undefined && !first.startsWith('$ '))
    expect(bare).toEqual([])
  })

  const runnable = () => examples.filter((e) => !notRunnable(e.command))

  test('the examples that cannot run in a namespace are few, each for a stated reason', () => {
    const skipped = examples.filter((e) => notRunnable(e.command)).map((e) => `${e.where.replace(/:\d+$/, '')}: ${e.command.replace(/\s+#.*$/, '').split(' ').slice(0, 3).join(' ')}`)
    // Each has its reason (notRunnable); the list is printed when it grows past what is expected.
    expect({count: skipped.length <= 25 ? 'few' : skipped}).toEqual({count: 'few'})
    expect(runnable().length).toBeGreaterThan(50)
  })

  /** A child's outcome, as spawnSync gives it, without blocking: the README's sessions run side by side. */
  function run$(cmd: string, args: string[], opts: {cwd?: string; timeout?: number} = {}): Promise<{status: number | null; stdout: string; stderr: string}> {
    return new Promise((resolve) => {
      const child = spawn(cmd, args, {env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe']})
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
      child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
      const timer = opts.timeout ? setTimeout(() => child.kill('SIGTERM'), opts.timeout) : undefined
      child.on('error', (e) => (stderr += String(e)))
      child.on('close', (status) => {
        clearTimeout(timer)
        resolve({status, stdout, stderr})
      })
    })
  }

  /** The namespace's link names (ip -j as the oracle). */
  async function linkNames(ns: Netns): Promise<string[]> {
    const r = await run$('ip', ['-n', ns.name, '-j', 'link', 'show'])
    if (r.status !== 0) throw new Error(`ip -n ${ns.name} link show failed: ${r.stderr}`)
    return JSON.parse(r.stdout).map((l: {ifname: string}) => l.ifname)
  }

  /** Create the devices an example names but does not create, when they are not there yet. */
  async function prepare(ns: Netns, command: string, failures: string[], where: string): Promise<void> {
    // A master an example names (--master br0, or a config's master: br0) is a bridge the test makes.
    const needed = devicesNeeded(command)
    const bridge = /\bbr0\b|tunadm apply/.test(command)
    if (!bridge && needed.length === 0) return
    const names = await linkNames(ns)
    if (bridge && !names.includes('br0')) {
      const r = await run$('ip', ['-n', ns.name, 'link', 'add', 'br0', 'type', 'bridge'])
      if (r.status !== 0) throw new Error(`ip -n ${ns.name} link add br0 type bridge failed: ${r.stderr}`)
    }
    for (const d of needed) {
      if (names.includes(d)) continue
      const r = await run$('ip', ['netns', 'exec', ns.name, process.execPath, BIN, 'add', d, '--user', 'nobody', '--mode', d.startsWith('tun') ? 'tun' : 'tap'])
      if (r.status !== 0) failures.push(`${where}: could not create ${d} first: ${r.stderr}`)
    }
  }

  /** Run one example where it stands; its failure, if it failed, in words. */
  async function runExample(ns: Netns, e: Example, cwd: string): Promise<string | undefined> {
    const command = e.command
      .replace(/(--user|-u) (waldner|qemu|openvpn)\b/g, '$1 nobody')
      .replace(/(--group|-g) (kvm|netdev)\b/g, '$1 nogroup')
      .replace(/--netns (blue|vpn)\b/g, `--netns ${ns.name}`)
      .replace(/--config (?!\/dev\/stdin)\S+/g, `--config ${dir}/tunadm.yaml`)
      .replace(/\btunadm (apply|down|init)\b(?![^|]*--config)/g, `tunadm $1 --config ${dir}/tunadm.yaml`)
    // The README's example of the error a normal user meets runs as a normal user.
    const asUser = /# as a normal user/.test(command) ? ['setpriv', '--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups'] : []
    const shell = /\bzsh\b/.test(command) && hasZsh ? ['zsh', '-c'] : ['bash', '-o', 'pipefail', '-c']
    const r = await run$('ip', ['netns', 'exec', ns.name, ...asUser, ...shell, command], {cwd, timeout: 60000})
    const output = (r.stdout + r.stderr).split('\n').filter((l) => l.trim() !== '')
    const shownExit = e.shown?.find((l) => /^exit status: \d+$/.test(l))
    // doctor's exit 1 is its answer (a check failed), not a failure of the example.
    const wantExit = shownExit ? [Number(shownExit.split(': ')[1])] : e.shown?.some((l) => l.startsWith('error:')) ? [1] : /\btunadm doctor\b(?!.*--explain)/.test(command) ? [0, 1] : [0]
    const squeeze = (l?: string) => l?.replace(/\s+/g, ' ').trim()
    const problems = [
      !wantExit.includes(r.status ?? -1) ? `exit ${r.status}, expected ${wantExit.join(' or ')}` : '',
      // (doctor --problems shows a sample of what a host's sysctls make it say: not this host's first line.)
      e.shown && !/--problems/.test(command) && squeeze(output[0]) !== squeeze(e.shown[0]) ? `first line ${JSON.stringify(output[0])}, the README shows ${JSON.stringify(e.shown[0])}` : '',
      /\bjq\b(?!.*>\s*\/dev\/null)/.test(command) && r.stdout.trim() === '' ? 'jq printed nothing' : '',
    ].filter(Boolean)
    return problems.length ? `${e.where}: ${e.command}\n  ${problems.join('; ')}\n  stdout: ${r.stdout.slice(0, 400)}\n  stderr: ${r.stderr.slice(0, 400)}` : undefined
  }

  test('each runnable example runs in a namespace (a README block as one session): exit code and output as documented', async () => {
    const failures: string[] = []
    const sessions = new Map<string, Example[]>()
    for (const e of runnable()) sessions.set(e.block, [...(sessions.get(e.block) ?? []), e])
    /** One session: its examples in order, in a namespace of its own. */
    const session = async (block: string, list: Example[]) => {
      const ns = new Netns('docs')
      try {
        const cwd = fs.mkdtempSync(path.join(dir, 'cwd-'))
        fs.chmodSync(cwd, 0o777)
        // A config file an example reads from its directory (tunadm down --config /dev/stdin < vmhost.yaml).
        for (const name of ['vmhost.yaml']) fs.copyFileSync(path.join(dir, 'tunadm.yaml'), path.join(cwd, name))
        // A session starts with a TUN and a TAP device that no example names (a list has something to show).
        for (const d of ['tun90', 'tap90']) await prepare(ns, `tunadm show ${d}`, failures, block)
        for (const e of list) {
          await prepare(ns, e.command, failures, e.where)
          const failed = await runExample(ns, e, cwd)
          if (failed) failures.push(failed)
        }
      } finally {
        ns.remove()
      }
    }
    // Sessions share nothing but the config file they read (none writes it) and the lock (apply and down
    // wait for it): a few run at once, each in its own namespace, with its own working directory.
    const queue = [...sessions]
    await Promise.all(Array.from({length: SESSIONS_AT_ONCE}, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await session(...next)
    }))
    // In the README's order, whatever order the sessions finished in.
    const order = runnable().map((e) => e.where)
    const at = (f: string) => order.findIndex((w) => f.startsWith(`${w}:`))
    failures.sort((a, b) => at(a) - at(b))
    expect(failures).toEqual([])
  }, 600000)
})
