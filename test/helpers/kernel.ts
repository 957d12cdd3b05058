/**
 * Helpers for tests that touch the kernel. Every such test runs in a throwaway network namespace
 * that it creates and removes; nothing is created in the root namespace.
 *
 * Without root these tests cannot run: they are skipped with a loud reason, except under CI
 * (CI set), where that is a failure.
 */
import {spawnSync, SpawnSyncReturns} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

export const ROOT = path.resolve(__dirname, '..', '..')
export const BIN = path.join(ROOT, 'bin', 'run.js')

export const isRoot = process.getuid?.() === 0

/** describe() for kernel tests: runs as root; otherwise skips loudly, or fails under CI. */
export function describeKernel(name: string, fn: () => void): void {
  if (isRoot) {
    describe(name, fn)
    return
  }
  if (process.env.CI) {
    describe(name, () => {
      test('needs root to test against the kernel', () => {
        throw new Error('kernel tests need root (CAP_NET_ADMIN, CAP_SYS_ADMIN) and CI must run them')
      })
    })
    return
  }
  process.stderr.write(`\n*** SKIPPING kernel tests "${name}": not root. Run npm test as root to test against the kernel. ***\n\n`)
  describe.skip(name, fn)
}

export function sh(cmd: string, args: string[], opts: {input?: string; env?: NodeJS.ProcessEnv} = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {encoding: 'utf8', input: opts.input, env: opts.env ?? process.env, timeout: 60000})
}

/** Run a command and throw with its output when it fails. */
export function must(cmd: string, args: string[]): string {
  const r = sh(cmd, args)
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.error ?? ''}`)
  return r.stdout
}

/**
 * The environment for npm: the tests' own, with NODE_EXTRA_CA_CERTS as the run was given it (the global
 * setup takes it out of the tests' environment, see test/helpers/global-setup.js), in case npm reaches a registry.
 */
export function npmEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const ca = process.env.TUNADM_TEST_NODE_EXTRA_CA_CERTS
  return ca === undefined ? env : {...env, NODE_EXTRA_CA_CERTS: ca}
}

let counter = 0

export class Netns {
  readonly name: string

  constructor(label: string) {
    this.name = `tunadm-t-${label}-${process.pid}-${++counter}`.slice(0, 60)
    must('ip', ['netns', 'add', this.name])
  }

  remove(): void {
    // tunadm's record of the devices it made in this namespace (system/owner-record.ts) goes with it.
    try {
      const ino = fs.statSync(`/run/netns/${this.name}`).ino
      fs.rmSync(path.join(process.env.TUNADM_STATE_DIR ?? '/run/tunadm', `netns-${ino}.json`), {force: true})
    } catch {
      // no namespace, no record
    }
    sh('ip', ['netns', 'del', this.name])
  }

  /** Run a command inside the namespace. */
  exec(cmd: string, args: string[], opts: {input?: string; env?: NodeJS.ProcessEnv} = {}): SpawnSyncReturns<string> {
    return sh('ip', ['netns', 'exec', this.name, cmd, ...args], opts)
  }

  /** Run tunadm with --netns (the namespace is entered by tunadm itself). */
  tunadm(args: string[], opts: {env?: NodeJS.ProcessEnv; input?: string} = {}): SpawnSyncReturns<string> {
    return sh(process.execPath, [BIN, ...args, '--netns', this.name], {env: {...process.env, NO_COLOR: '1', ...opts.env}, input: opts.input})
  }

  /** Run tunadm inside the namespace through ip netns exec (no --netns). */
  tunadmInside(args: string[], opts: {env?: NodeJS.ProcessEnv} = {}): SpawnSyncReturns<string> {
    return this.exec(process.execPath, [BIN, ...args], {env: {...process.env, NO_COLOR: '1', ...opts.env}})
  }

  /** The independent oracle: ip -d -j link show. */
  links(): IpLink[] {
    return JSON.parse(must('ip', ['-n', this.name, '-d', '-j', 'link', 'show']))
  }

  link(name: string): IpLink | undefined {
    return this.links().find((l) => l.ifname === name)
  }

  ip(args: string[]): string {
    return must('ip', ['-n', this.name, ...args])
  }

  ipJson<T = unknown>(args: string[]): T {
    return JSON.parse(must('ip', ['-n', this.name, '-j', ...args]) || '[]')
  }
}

export interface IpLink {
  ifindex: number
  ifname: string
  flags: string[]
  mtu: number
  operstate: string
  txqlen?: number
  address?: string
  ifalias?: string
  min_mtu?: number
  max_mtu?: number
  group?: string
  linkinfo?: {info_kind: string; info_data?: {type?: string; pi?: boolean; vnet_hdr?: boolean; multi_queue?: boolean; persist?: boolean; user?: string; group?: string; numqueues?: number; numdisabled?: number}}
}

/**
 * The --json answer of a run: the result of {status: "ok" | "partial", result}, or {error, warnings} of
 * {status: "error", error}. The envelope itself is checked here, for every test that reads JSON.
 */
export function json<T = any>(r: SpawnSyncReturns<string>): T { // eslint-disable-line @typescript-eslint/no-explicit-any
  let out: {status?: string; result?: unknown; error?: unknown; warnings?: unknown}
  try {
    out = JSON.parse(r.stdout)
  } catch {
    throw new Error(`not JSON (exit ${r.status}): ${r.stdout}\nstderr: ${r.stderr}`)
  }
  if (!Array.isArray(out.warnings)) throw new Error(`no warnings list in the envelope: ${r.stdout}`)
  // The status tells the truth: ok with exit 0, partial (a result, part of it failed) with exit 1.
  if (out.status === 'ok' && r.status !== 0) throw new Error(`status ok with exit ${r.status}: ${r.stdout}`)
  if (out.status === 'partial' && r.status !== 1) throw new Error(`status partial with exit ${r.status}: ${r.stdout}`)
  if ((out.status === 'ok' || out.status === 'partial') && 'result' in out) return out.result as T
  if (out.status === 'error' && out.error) return {error: out.error, warnings: out.warnings} as T
  throw new Error(`not a tunadm envelope (exit ${r.status}): ${r.stdout}`)
}
