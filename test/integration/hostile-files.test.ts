/**
 * Hostile file systems: read-only mounts, planted links and files, unprivileged users. Each refusal
 * says the cause in words and what to do, with exit 1 (an operation that failed) or 2 (bad input),
 * and changes nothing. Needs root (mount namespaces, setpriv); no network device is made here.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {BIN, Netns, ROOT, describeKernel, json, sh} from '../helpers/kernel'

const CONFIG = path.join(ROOT, 'test', 'fixtures', 'config', 'rich.yaml')
const env = {...process.env, NO_COLOR: '1'}

describeKernel('hostile file systems', () => {
  let dir: string
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-hostile-'))
    fs.chmodSync(dir, 0o755)
  })
  afterEach(() => fs.rmSync(dir, {recursive: true, force: true}))

  test('init --output on a read-only file system: EROFS in words, exit 1, nothing written', () => {
    const out = path.join(dir, 'ro')
    fs.mkdirSync(out)
    const script = `mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && exec "$2" "$3" init --target systemd --config "$4" --output "$1"`
    const r = sh('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', out, process.execPath, BIN, CONFIG], {env})
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/cannot write .*tunadm.service: EROFS[\s\S]*why: the file system is mounted read-only[\s\S]*fix: /)
    expect(fs.readdirSync(out)).toEqual([])
  })

  test('init --output \'\' is bad input (exit 2), not a raw ENOENT', () => {
    const r = sh(process.execPath, [BIN, 'init', '--target', 'systemd', '--config', CONFIG, '--output', ''], {env})
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('--output is empty')
  })

  test('a lock file that is a planted link, or not readable, is refused in words', () => {
    const victim = path.join(dir, 'victim')
    fs.writeFileSync(victim, 'x')
    const lock = path.join(dir, 'lock')
    fs.symlinkSync(victim, lock)
    const link = sh(process.execPath, [BIN, 'down', '--config', CONFIG], {env: {...env, TUNADM_LOCK: lock}})
    expect(link.status).toBe(1)
    expect(link.stderr).toMatch(/cannot open the lock .*: ELOOP[\s\S]*symbolic link/)
    fs.rmSync(lock)
    fs.writeFileSync(lock, '', {mode: 0o600})
    const user = sh('setpriv', ['--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups', process.execPath, BIN, 'down', '--config', CONFIG], {env: {...env, TUNADM_LOCK: lock}})
    expect(user.status).toBe(1)
    expect(user.stderr).toMatch(/cannot open the lock .*: EACCES[\s\S]*why: this user \(uid \d+\) may not create the lock[\s\S]*needs root \(CAP_NET_ADMIN\)[\s\S]*fix: run it as root \(sudo\)/)
  })

  test('a FIFO planted as the lock (/run/lock is writable by all) does not hang; a lock of another user is refused', () => {
    const lock = path.join(dir, 'lock')
    sh('mkfifo', [lock])
    const fifo = sh('timeout', ['20', process.execPath, BIN, 'down', '--config', CONFIG, '--json'], {env: {...env, TUNADM_LOCK: lock}})
    expect(fifo.status).toBe(1)
    expect(json(fifo).error).toMatchObject({code: 'LOCK_NOT_A_FILE', message: `the lock ${lock} is not a regular file`})
    fs.rmSync(lock)
    fs.writeFileSync(lock, '', {mode: 0o600})
    fs.chownSync(lock, 65534, 65534)
    const foreign = sh(process.execPath, [BIN, 'apply', '--config', CONFIG], {env: {...env, TUNADM_LOCK: lock}})
    expect(foreign.status).toBe(1)
    expect(foreign.stderr).toMatch(/the lock .* belongs to another user \(uid 65534\)[\s\S]*why: whoever owns it can hold it for ever[\s\S]*fix: look at it .* and remove it/)
  })

  test('the default lock is where only root can create it: a user cannot plant it first; an unsafe directory is refused', () => {
    // A private /run (tmpfs, 0755 root, as /run is) in a namespace of its own: the host's /run is not touched.
    const ns = new Netns('lockdir')
    try {
      const cfg = path.join(dir, 'empty.yaml')
      fs.writeFileSync(cfg, 'version: 1\ndevices: []\n')
      fs.chmodSync(cfg, 0o644)
      const nobody = 'setpriv --reuid=65534 --regid=65534 --clear-groups'
      const script = [
        'mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -m 1777 /run/lock',
        // nobody tries to get there first, in /run and in the world-writable /run/lock
        `${nobody} sh -c 'mkdir /run/tunadm 2>/dev/null; : > /run/tunadm/tunadm.lock' 2>/dev/null; echo "plant-before=$?"`,
        `"$1" "$2" apply --config "$3" >/dev/null 2>&1; echo "root-apply=$?"`,
        'echo "dir=$(stat -c %a:%u /run/tunadm) lock=$(stat -c %u /run/tunadm/tunadm.lock)"',
        `${nobody} sh -c ': > /run/tunadm/tunadm.lock' 2>/dev/null; echo "plant-after=$?"`,
        'chmod 0777 /run/tunadm',
        `"$1" "$2" apply --config "$3" --json | tr -d '\\n'; echo`,
        'rm -rf /run/tunadm && ln -s /run/lock /run/tunadm',
        `"$1" "$2" apply --config "$3" --json | tr -d '\\n'; echo`,
      ].join('; ')
      const r = ns.exec('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', process.execPath, BIN, cfg], {env})
      const lines = r.stdout.trim().split('\n')
      expect(lines.slice(0, 4)).toEqual(['plant-before=2', 'root-apply=0', 'dir=700:0 lock=0', 'plant-after=2'])
      expect(JSON.parse(lines[4]).error).toMatchObject({code: 'LOCK_DIR_UNSAFE', message: 'the lock directory /run/tunadm is writable by others (mode 0777)'})
      expect(JSON.parse(lines[5]).error).toMatchObject({code: 'LOCK_DIR_UNSAFE', message: 'the lock directory /run/tunadm is a symbolic link'})
    } finally {
      ns.remove()
    }
  })

  test('a config from a pipe with a writer (--config <(...), /dev/stdin) is read to its end, however slow the writer', () => {
    const cfg = 'version: 1\ndevices:\n  - {name: tunpipe0, mode: tun, any_user: true}\n'
    fs.writeFileSync(path.join(dir, 'c.yaml'), cfg)
    const stdin = sh('bash', ['-c', 'cat "$2" | "$0" "$1" init --target systemd --config /dev/stdin --json', process.execPath, BIN, path.join(dir, 'c.yaml')], {env})
    expect(json(stdin).files[0].content).toContain('sys-devices-virtual-net-tunpipe0.device')
    const slow = sh('bash', ['-c', '"$0" "$1" init --target networkd --config <(sleep 0.5; cat "$2") --output -', process.execPath, BIN, path.join(dir, 'c.yaml')], {env})
    expect(slow.status).toBe(0)
    expect(slow.stdout).toContain('Name=tunpipe0')
  })

  test('down with a FIFO in place of its config: no hang, the devices marked by the path still go', () => {
    const ns = new Netns('fifo')
    try {
      const file = path.join(dir, 'c.yaml')
      fs.writeFileSync(file, 'version: 1\ndevices:\n  - {name: tunfifo0, mode: tun, any_user: true}\n')
      const lock = {TUNADM_LOCK: path.join(dir, 'lock')}
      expect(ns.tunadm(['apply', '--config', file], {env: lock}).status).toBe(0)
      expect(ns.links().map((l) => l.ifname)).toContain('tunfifo0')
      fs.rmSync(file)
      sh('mkfifo', [file])
      const down = sh('timeout', ['20', process.execPath, BIN, 'down', '--config', file, '--netns', ns.name], {env: {...env, ...lock}})
      expect(down.status).toBe(0)
      expect(down.stderr).toContain(`cannot read ${file} (CONFIG_EMPTY_PIPE); removing the devices marked as managed by it`)
      expect(ns.links().map((l) => l.ifname)).toEqual(['lo'])
    } finally {
      ns.remove()
    }
  })

  test('apply and down as a non-root user: the cause (root needed) in words, exit 1', () => {
    for (const cmd of ['apply', 'down']) {
      const r = sh('setpriv', ['--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups', process.execPath, BIN, cmd, '--config', CONFIG], {env})
      expect(r.status).toBe(1)
      expect(r.stderr).toMatch(/changing devices needs root \(CAP_NET_ADMIN\)[\s\S]*fix: run it as root \(sudo\)/)
      expect(r.stderr).not.toContain('unexpected error')
    }
  })

  test('init --install as a non-root user: EACCES in words, exit 1', () => {
    const r = sh('setpriv', ['--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups', process.execPath, BIN, 'init', '--target', 'systemd', '--config', CONFIG, '--install'], {env})
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/cannot write .*: EACCES[\s\S]*fix: run it as root/)
  })

  test('--netns naming a FIFO in /run/netns does not hang: it is not a namespace, exit 1', () => {
    const fifo = `/run/netns/tunadm-t-fifo-${process.pid}`
    fs.mkdirSync('/run/netns', {recursive: true})
    expect(sh('mkfifo', [fifo]).status).toBe(0)
    try {
      const r = sh(process.execPath, [BIN, 'list', '--netns', path.basename(fifo)], {env})
      expect(r.status).toBe(1)
      expect(r.stderr).toContain(`${fifo} is not a network namespace`)
    } finally {
      fs.rmSync(fifo, {force: true})
    }
  })

  test('a device named with ESC (the kernel allows it): printed escaped everywhere, exact in --json, and deletable', () => {
    const ns = new Netns('esc')
    try {
      const name = 'a\x1b[31mb'
      expect(ns.exec('ip', ['tuntap', 'add', 'name', name, 'mode', 'tun']).status).toBe(0)
      const outputs = [ns.tunadm(['list']), ns.tunadm(['show', name]), ns.tunadm(['doctor']), ns.tunadm(['set', name, '--mtu', '1400'])]
      for (const r of outputs) {
        expect(r.stdout + r.stderr).not.toContain('\x1b')
        expect(r.stdout).toContain('a\\x1b[31mb')
      }
      expect(json(ns.tunadm(['list', '--json'])).map((d: {name: string}) => d.name)).toContain(name)
      const explain = ns.tunadm(['doctor', '--explain', 'ioctl(TUNSETIFF): Device or resource busy \x1b]0;owned\x07'])
      expect(explain.stdout).not.toMatch(/[\x07\x1b]/)
      expect(explain.stdout).toContain('\\x1b]0;owned\\x07')
      const del = ns.tunadm(['del', name])
      expect([del.status, del.stdout]).toEqual([0, 'deleted a\\x1b[31mb (tun)\n'])
      expect(ns.links().map((l) => l.ifname)).toEqual(['lo'])
    } finally {
      ns.remove()
    }
  })
})
