/**
 * The Debian package, as an admin gets it: `npm run deb` builds it with dpkg's tools, lintian reports no
 * error and no warning, and in a throwaway root (an overlay of / in a private mount namespace, see
 * test/helpers/deb-root.sh) it installs, runs, shows its manual and completion, enables no unit, and
 * purges without leaving a file behind.
 *
 * The dependency on nodejs (>= 20.19) is resolved by dpkg as on Debian 13, from this machine's own dpkg
 * database: node here is NodeSource's package, which is also called nodejs. Where node did not come from
 * a package, dpkg would refuse the install for a dependency that is in fact met; only then is the
 * package installed with --force-depends, after checking that /usr/bin/node is new enough.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {spawn, spawnSync} from 'node:child_process'
import {Netns, ROOT, describeKernel, npmEnv, sh} from '../helpers/kernel'

/** sh() with room for the slow steps (a build, lintian) on a loaded machine: sh() stops a command at 60 s. */
const slow = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(cmd, args, {encoding: 'utf8', env, timeout: 480000})

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
const arch = sh('dpkg', ['--print-architecture']).stdout.trim()

describeKernel('the Debian package', () => {
  let dir: string
  let ns: Netns
  let deb: string
  let lintian: Promise<{status: number | null; stdout: string; stderr: string}> = Promise.resolve({status: null, stdout: '', stderr: 'the package was not built'})
  const result = (step: string) => ({
    rc: Number(fs.readFileSync(path.join(dir, `${step}.rc`), 'utf8')),
    out: fs.readFileSync(path.join(dir, `${step}.out`), 'utf8'),
    err: fs.readFileSync(path.join(dir, `${step}.err`), 'utf8'),
  })

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-deb-test-'))
    ns = new Netns('deb')
  })
  afterAll(async () => {
    await lintian
    ns?.remove()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  test('npm run deb builds it with dpkg-deb: per architecture, Depends nodejs (>= 20.19) and the native module\'s libraries', () => {
    // npm run deb builds (npm pack's prepack) in the package's directory, while other test files run this
    // checkout's dist/ (jest runs files in parallel): build from a copy of the checkout, as from a clone.
    const checkout = path.join(dir, 'checkout')
    fs.cpSync(ROOT, checkout, {recursive: true, filter: (f) => !['node_modules', 'dist', '.git'].includes(path.relative(ROOT, f))})
    fs.symlinkSync(fs.realpathSync(path.join(ROOT, 'node_modules')), path.join(checkout, 'node_modules'))
    const r = slow('sh', ['-c', 'cd "$1" && exec npm run deb', 'sh', checkout], npmEnv({...process.env, NO_COLOR: '1'}))
    deb = path.join(checkout, 'dist', 'deb', `tunadm_${pkg.version}_${arch}.deb`)
    expect({status: r.status, stderr: r.stderr}).toEqual({status: 0, stderr: expect.not.stringContaining('deb:')})
    const control = sh('dpkg-deb', ['-f', deb]).stdout
    expect(control).toMatch(new RegExp(`^Architecture: ${arch}$`, 'm'))
    expect(control).toMatch(/^Depends: nodejs \(>= 20\.19\), libc6 \(>= [\d.]+\)/m)
    expect(control).toMatch(new RegExp(`^Version: ${pkg.version.replace(/\./g, '\\.')}$`, 'm'))
    const files = sh('dpkg-deb', ['-c', deb]).stdout.split('\n').map((l) => l.split(/\s+/).slice(5).join(' ')).filter(Boolean)
    for (const f of ['./usr/bin/tunadm -> ../lib/tunadm/bin/run.js', './usr/lib/tunadm/bin/run.js', './usr/lib/tunadm/dist/cli.js',
      './usr/share/man/man8/tunadm.8.gz', './usr/share/man/man8/tunadm-add.8.gz', './usr/share/man/man5/tunadm.yaml.5.gz',
      './usr/share/bash-completion/completions/tunadm', './usr/share/zsh/vendor-completions/_tunadm', './lib/systemd/system/tunadm.service',
      './usr/share/doc/tunadm/copyright', './usr/share/doc/tunadm/changelog.gz',
      './usr/share/doc/tunadm/examples/tunadm.example.yaml', './usr/share/doc/tunadm/examples/tunadm.schema.json']) {
      expect({f, there: files.includes(f)}).toEqual({f, there: true})
    }
    // koffi's native module for this architecture only (none for musl or other CPUs), and no maintainer
    // scripts: installing runs nothing, so it enables nothing.
    expect(files.filter((f) => f.endsWith('.node'))).toEqual([expect.stringMatching(/\/linux_(x64|arm64)\/koffi\.node$/)])
    expect(sh('dpkg-deb', ['-I', deb]).stdout).not.toMatch(/\b(postinst|preinst|prerm|postrm)\b/)
    lintian = startLintian()
  }, 600000)

  /**
   * lintian on a copy of the package, as an unprivileged user (lintian warns about root); it reads the
   * package and writes only to TMPDIR. It runs while the install test runs, which only reads the package too.
   */
  function startLintian(): Promise<{status: number | null; stdout: string; stderr: string}> {
    fs.chmodSync(dir, 0o755)
    const copy = path.join(dir, path.basename(deb))
    fs.copyFileSync(deb, copy)
    fs.chmodSync(copy, 0o644)
    return new Promise((resolve) => {
      const child = spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', 'env', `TMPDIR=${os.tmpdir()}`, 'HOME=/nonexistent', 'lintian', '--fail-on', 'error,warning', copy], {stdio: ['ignore', 'pipe', 'pipe']})
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
      child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
      const timer = setTimeout(() => child.kill('SIGTERM'), 480000)
      child.on('error', (e) => (stderr += String(e)))
      child.on('close', (status) => {
        clearTimeout(timer)
        fs.rmSync(copy, {force: true})
        resolve({status, stdout, stderr})
      })
    })
  }

  test('in a throwaway root: installs, runs add and del, shows its manual and completion, enables no unit, and purges without a trace', () => {
    const nodejs = sh('dpkg-query', ['-W', '-f', '${Version}', 'nodejs'])
    const met = nodejs.status === 0 && sh('dpkg', ['--compare-versions', nodejs.stdout, 'ge', '20.19']).status === 0
    const options: string[] = []
    if (!met) {
      // node is there but not from a package: check it is new enough, then tell dpkg so.
      const [major, minor] = sh('/usr/bin/node', ['-p', 'process.versions.node']).stdout.split('.').map(Number)
      expect(major > 20 || (major === 20 && minor >= 19)).toBe(true)
      options.push('--force-depends')
    }
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-deb-root-'))
    try {
      const r = slow('unshare', ['--mount', '--propagation', 'private', 'bash', path.join(ROOT, 'test/helpers/deb-root.sh'), work, deb, ns.name, dir, ...options])
      expect([r.status, r.stderr]).toEqual([0, ''])
    } finally {
      fs.rmdirSync(work)
    }
    expect(result('install')).toMatchObject({rc: 0})
    const listed = result('listed').out.split('\n').filter(Boolean)
    expect(listed).toEqual(expect.arrayContaining(['/usr/bin/tunadm', '/usr/share/man/man8/tunadm.8.gz', '/usr/share/doc/tunadm/examples/tunadm.schema.json']))

    expect(result('version')).toEqual({rc: 0, out: expect.stringMatching(new RegExp(`^tunadm/${pkg.version} linux-`)), err: ''})
    // add and del in the test's namespace, checked with ip as the oracle.
    expect(result('add')).toMatchObject({rc: 0, err: ''})
    expect(JSON.parse(result('add').out).result.name).toBe('tun0')
    const [link] = JSON.parse(fs.readFileSync(path.join(dir, 'oracle-add.out'), 'utf8'))
    expect(link.linkinfo).toMatchObject({info_kind: 'tun', info_data: {type: 'tun', user: 'nobody', persist: true}})
    expect(result('del')).toMatchObject({rc: 0, err: ''})
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'oracle-del.out'), 'utf8')).map((l: {ifname: string}) => l.ifname)).toEqual(['lo'])

    // man(1) finds and renders the pages without a warning.
    expect(result('man')).toEqual({rc: 0, err: '', out: expect.stringContaining('tunadm - create, configure, diagnose and persist Linux TUN/TAP devices')})
    expect(result('man-add')).toEqual({rc: 0, err: '', out: expect.stringContaining('tunadm-add - create a persistent TUN or TAP device')})
    expect(result('man-config')).toEqual({rc: 0, err: '', out: expect.stringContaining('DEVICE KEYS')})
    // Completion from the standard places: bash-completion's directory, zsh's vendor directory.
    expect(result('bash')).toEqual({rc: 0, err: '', out: 'complete -F _tunadm tunadm\ndel\n'})
    expect(result('zsh')).toEqual({rc: 0, err: '', out: '_tunadm /usr/share/zsh/vendor-completions/_tunadm\n'})
    expect(result('zsh-tab')).toMatchObject({rc: 0, out: expect.stringContaining('tunadm apply')})
    // The unit is there, and not enabled.
    expect(result('unit')).toMatchObject({out: 'disabled\n'})
    expect(result('unit-verify')).toEqual({rc: 0, out: '', err: ''})

    expect(result('purge')).toMatchObject({rc: 0})
    expect(result('status')).toMatchObject({rc: 1, err: expect.stringContaining('is not installed')})
    // Left behind: whatever the upper layer gained that is neither a directory of the system below
    // (overlayfs copies a directory up when a file is made in it) nor the record of what happened:
    // dpkg's database and log, man's cache of the pages it formatted (kept by man-db, not by the package),
    // and the stamp systemd-analyze leaves in /run when the test verifies the unit.
    const before = new Set(fs.readFileSync(path.join(dir, 'upper-before'), 'utf8').split('\n'))
    const gained = fs.readFileSync(path.join(dir, 'upper-after'), 'utf8').split('\n').filter((p) => p && !before.has(p))
    const left = gained.filter((p) => !/^\.\/var\/(lib\/dpkg\/(status|status-old|lock|lock-frontend|triggers\/Lock|available)$|log\/dpkg\.log$|cache\/man\/)/.test(p))
      .filter((p) => p !== './run/systemd/systemd-units-load')
      .filter((p) => !(fs.existsSync(p.slice(1)) && fs.statSync(p.slice(1)).isDirectory()))
    expect(left).toEqual([])
    expect(gained.filter((p) => p.includes('tunadm') && !p.startsWith('./var/cache/man/'))).toEqual([])
  }, 120000)

  test('lintian: no errors and no warnings (overrides only with a written reason)', async () => {
    // Started as soon as the package was built: it ran while the install test did (lintian takes a while).
    const r = await lintian
    expect({status: r.status, out: r.stdout + r.stderr}).toEqual({status: 0, out: ''})
    const overrides = fs.readFileSync(path.join(ROOT, 'debian', 'tunadm.lintian-overrides'), 'utf8').split('\n')
    // Every override follows a comment that gives its reason.
    overrides.forEach((line, i) => {
      if (line.startsWith('tunadm:')) expect({line, reason: overrides.slice(0, i).some((l) => l.startsWith('#'))}).toEqual({line, reason: true})
    })
  }, 300000)
})
