/** Start an independent program (test/helpers/hold.py) that attaches to a device and holds it. */
import {ChildProcessWithoutNullStreams, spawn} from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

const HOLD = path.join(__dirname, 'hold.py')
// An unprivileged user cannot run a python installed under /root (pyenv): use the system one.
const SYSTEM_PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'

export interface Held {
  proc: ChildProcessWithoutNullStreams
  /** "attached NAME" or "error EPERM"... */
  outcome: string
  release(): Promise<void>
}

export interface HoldOptions {
  /** Run as this uid/gid with no supplementary groups, through a private 0666 copy of /dev/net/tun. */
  uid?: number
  gid?: number
  groups?: number[]
  flags?: string[]
  /** Open this node instead of /dev/net/tun (a copy made with mknod), as a program in a chroot does. */
  node?: string
}

/**
 * /dev/net/tun is 0600 on these machines. To test an unprivileged owner we give only the holder a
 * 0666 node, bind-mounted over /dev/net/tun inside a private mount namespace (unshare -m): the
 * host's device node is never changed.
 */
/** Single-quote for sh. */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/**
 * The argv that runs `command` inside network namespace `netns` as uid/gid, with no supplementary
 * groups unless given, through a private 0666 copy of /dev/net/tun (see below); `dir` is a fresh
 * directory for that copy, removed by the caller.
 */
export function asUserArgv(netns: string, dir: string, command: string[], opts: {uid: number; gid?: number; groups?: number[]}): string[] {
  const groups = opts.groups?.length ? `--groups=${opts.groups.join(',')}` : '--clear-groups'
  const script = [
    `mknod ${dir}/tun c 10 200`, `chmod 0666 ${dir}/tun`, `mount --bind ${dir}/tun /dev/net/tun`,
    `exec setpriv --reuid=${opts.uid} --regid=${opts.gid ?? opts.uid} ${groups} ${command.map(q).join(' ')}`,
  ].join(' && ')
  return ['ip', 'netns', 'exec', netns, 'unshare', '-m', 'sh', '-c', script]
}

/** A fresh directory any user can read, for a private node and copies of helper files. */
export function userDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-node-'))
  fs.chmodSync(dir, 0o755)
  return dir
}

/**
 * /dev/net/tun is 0600 on these machines. To test an unprivileged owner we give only the holder a
 * 0666 node, bind-mounted over /dev/net/tun inside a private mount namespace (unshare -m): the
 * host's device node is never changed.
 */
export function hold(netns: string, name: string, mode: 'tun' | 'tap', opts: HoldOptions = {}): Promise<Held> {
  let argv: string[]
  let dir: string | undefined
  if (opts.uid !== undefined) {
    dir = userDir()
    // The checkout may not be readable by that user: give it its own copy of the script.
    fs.copyFileSync(HOLD, path.join(dir, 'hold.py'))
    fs.chmodSync(path.join(dir, 'hold.py'), 0o644)
    argv = asUserArgv(netns, dir, [SYSTEM_PYTHON, `${dir}/hold.py`, name, mode, ...(opts.flags ?? [])], {uid: opts.uid, gid: opts.gid, groups: opts.groups})
  } else {
    argv = ['ip', 'netns', 'exec', netns, 'env', `TUN_NODE=${opts.node ?? '/dev/net/tun'}`, 'python3', HOLD, name, mode, ...(opts.flags ?? [])]
  }
  const proc = spawn(argv[0], argv.slice(1), {stdio: ['pipe', 'pipe', 'pipe']})
  proc.once('exit', () => dir && fs.rmSync(dir, {recursive: true, force: true}))
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`holder did not report within 10 s: ${out} ${err}`)), 10000)
    proc.stderr.on('data', (d) => (err += d))
    proc.stdout.on('data', (d) => {
      out += d
      if (!out.includes('\n')) return
      clearTimeout(timer)
      resolve({
        proc,
        outcome: out.trim(),
        release: () => new Promise<void>((res) => {
          if (proc.exitCode !== null) return res()
          proc.once('exit', () => res())
          proc.stdin.end()
          setTimeout(() => proc.kill('SIGKILL'), 3000).unref()
        }),
      })
    })
    proc.once('exit', (code) => {
      if (!out.includes('\n')) {
        clearTimeout(timer)
        reject(new Error(`holder exited ${code}: ${out} ${err}`))
      }
    })
  })
}
