/**
 * What every command shares: --json and --netns, and the mapping from errors to messages and exit
 * codes (0 success, 1 the operation failed, 2 invalid input or usage).
 *
 * Under --json every command answers with one envelope on stdout:
 *   {"status": "ok" | "partial", "result": ..., "warnings": [...]}  or  {"status": "error", "error": {code,
 *   message, why, fix, exitCode}, "warnings": [...]}; warnings otherwise go to stderr as "warning: ..." lines.
 *   "partial" (exit 1): the result is there, but part of the work failed.
 */
import type {Interfaces} from '@oclif/core'
import {Flags, FlagSpec} from './cli/spec'
import {wantsJson} from './cli/argv'
import {InvalidInputError, TunadmError} from './errors'
import {isKernelError} from './kernel/errno'
import {enterNetnsPath} from './kernel/libc'
import {CommandLine, normaliseError} from './services/normalise'
import {errorInNetns} from './services/in-netns'
import {explainKernelError} from './services/explain'
import {style} from './render/style'
import {printableLines} from './render/escape'
import {disablePrompts} from './render/prompt'
import {err, out} from './render/output'

const JSON_FLAG = Flags.boolean({
  char: 'j',
  summary: 'Print one JSON document: {"status", "result" (or "error"), "warnings"}; status is ok, partial or error.',
  helpGroup: 'GLOBAL',
})
const NETNS_SUMMARY = 'Work inside the named network namespace (/run/netns/NAME), like ip -n NAME.'
const NETNS_FLAG = Flags.string({summary: NETNS_SUMMARY, helpValue: 'NAME', helpGroup: 'GLOBAL'})
const NETNS_FLAG_N = Flags.string({char: 'n', summary: NETNS_SUMMARY, helpValue: 'NAME', helpGroup: 'GLOBAL'})

type FlagsOf<T> = T extends {flags: infer F; baseFlags: infer B} ? Interfaces.InferredFlags<B & F> : never
type ArgsOf<T> = T extends {args: infer A} ? Interfaces.InferredArgs<A> : never

/** What parsing gave: oclif's parser on the full path, cli/parse.ts on the fast one. */
export interface ParsedInput {
  flags: Record<string, unknown>
  args: Record<string, unknown>
  argv: unknown[]
}

/**
 * A tunadm command, with no oclif code in it: the fast path runs it directly (cli/fast.ts), the full path
 * through an oclif Command made from it (cli/oclif.ts). The statics are oclif's (summary, description,
 * examples, args, flags, strict, hiddenAliases) with the definitions of cli/spec.ts.
 */
export abstract class TunadmCommand {
  static summary?: string
  static description?: string
  static examples?: Array<{description: string; command: string}>
  static args: Record<string, unknown> = {}
  static flags: Record<string, unknown> = {}
  static strict = true
  static hiddenAliases: string[] = []
  static enableJsonFlag = true
  /**
   * --json (-j) and --netns (-n where the command does not take -n itself), before or after the command
   * (cli/argv.ts moves those written before it). A getter: -n depends on the command's own flags.
   */
  static get baseFlags(): {json: typeof JSON_FLAG; netns: typeof NETNS_FLAG} {
    const nTaken = Object.values(this.flags as Record<string, FlagSpec>).some((f) => f.char === 'n')
    return {json: JSON_FLAG, netns: nTaken ? NETNS_FLAG : NETNS_FLAG_N}
  }

  /** argv: the command's own arguments (after its name); parse: reads them with this command's definitions. */
  constructor(readonly argv: string[], private readonly parse: () => Promise<ParsedInput>) {}

  protected abstract run(): Promise<unknown>

  /** Parse argv, then enter --netns before anything opens a socket or /dev/net/tun. `cls` gives the types. */
  protected async parseAndEnter<T>(_cls: T): Promise<{flags: FlagsOf<T>; args: ArgsOf<T>; argv: string[]}> {
    const parsed = await this.parse()
    if (this.jsonEnabled()) disablePrompts()
    const netns = (parsed.flags as {netns?: string}).netns
    if (netns !== undefined) enterNetns(netns)
    this.netns = netns
    return parsed as unknown as {flags: FlagsOf<T>; args: ArgsOf<T>; argv: string[]}
  }

  /** --json or -j before any `--` (or TUNADM_CONTENT_TYPE=json), decided from argv as oclif decides it. */
  jsonEnabled(): boolean {
    // Asked for every line printed (an apply of 1000 devices prints 1000): decided once, as neither changes.
    this.json ??= process.env.TUNADM_CONTENT_TYPE?.toLowerCase() === 'json' || wantsJson(this.argv)
    return this.json
  }

  private json?: boolean

  /** Run the command: its result printed under --json, its error turned into a message, the exit code set. */
  async execute(): Promise<void> {
    let result: unknown
    try {
      result = await this.run()
    } catch (error) {
      this.catch(error as Error)
    } finally {
      process.exitCode = this.exitStatus
    }
    if (result && this.jsonEnabled()) this.logJson(this.toSuccessJson(result))
  }

  /**
   * The exit code, decided here and only here: 0, raised by failed(): 1 when part of the work failed
   * (a device of several, a doctor check), or the code of the error that ended the command (catch).
   */
  private exitStatus = 0

  /** Part of the work failed (the command goes on and reports the rest): exit with at least `code`. */
  protected failed(code = 1): void {
    this.exitStatus = Math.max(this.exitStatus, code)
  }

  /** The namespace the command works in (--netns): every fix it prints is said for that namespace. */
  protected netns?: string

  /** An error whose fix acts where this command acted (--netns NAME carried into its commands). */
  protected inNetns<E extends TunadmError>(e: E): E {
    return errorInNetns(e, this.netns)
  }

  /** Warnings of this run: stderr lines, or the envelope's "warnings" under --json. */
  protected readonly warnings: string[] = []

  /**
   * The envelope of a result (printed when --json is given): "ok" when everything succeeded, "partial"
   * when the command reports its result but part of it failed (exit 1: a device of several, a doctor check).
   */
  toSuccessJson(result: unknown): unknown {
    return {status: this.exitStatus === 0 ? 'ok' : 'partial', result: result ?? null, warnings: this.warnings}
  }

  /** JSON for scripts: plain and in one write. */
  logJson(json: unknown): void {
    out(JSON.stringify(json, null, 2) + '\n')
  }

  /** Human output to stdout; suppressed in --json mode (the returned value is printed instead). */
  protected say(text: string): void {
    if (!this.jsonEnabled()) out(text.endsWith('\n') ? text : text + '\n')
  }

  /** A warning: on stderr, unless --json (where it is part of the result). */
  protected warnLine(text: string): void {
    this.warnings.push(text)
    if (!this.jsonEnabled()) err(`${style(2).warn('warning:')} ${printableLines(text)}\n`)
  }

  private catch(error: Error): void {
    const C = this.constructor as typeof TunadmCommand
    const e = this.inNetns(normaliseError(error, {argv: this.argv, flags: {...C.baseFlags, ...C.flags} as CommandLine['flags']}))
    this.exitStatus = e.exitCode
    if (e.code === 'CANCELLED' && !this.jsonEnabled()) {
      err('\ntunadm: cancelled\n')
    } else if (this.jsonEnabled()) {
      out(JSON.stringify(errorEnvelope(e, this.warnings), null, 2) + '\n')
    } else {
      err(formatError(e) + '\n')
      if (process.env.TUNADM_DEBUG && error.stack) err(error.stack + '\n')
    }
  }
}

/** The --json answer for an error. */
export function errorEnvelope(e: TunadmError, warnings: string[] = []): Record<string, unknown> {
  return {status: 'error', error: e.toJSON(), warnings}
}

export function formatError(e: TunadmError): string {
  const st = style(2)
  const lines = [`${st.bad('error:')} ${printableLines(e.message)}`]
  if (e.why) lines.push(`  ${st.dim('why:')} ${printableLines(e.why)}`)
  if (e.fix) lines.push(`  ${st.dim('fix:')} ${printableLines(e.fix)}`)
  return lines.join('\n')
}

const NETNS_NAME = /^[A-Za-z0-9_.-]{1,255}$/

export function enterNetns(name: string): void {
  if (!NETNS_NAME.test(name) || name === '.' || name === '..') {
    throw new InvalidInputError(`"${name}" is not a network namespace name`, {code: 'INVALID_NETNS', why: 'names are those in /run/netns (ip netns list)'})
  }
  try {
    enterNetnsPath(`/run/netns/${name}`, name)
  } catch (err) {
    if (isKernelError(err, 'ENOENT')) {
      throw new TunadmError(`there is no network namespace named ${name}`, {code: 'NO_NETNS', fix: `see ip netns list; create it with: ip netns add ${name}`})
    }
    if (isKernelError(err, 'EINVAL') && (err as {op: string}).op === 'setns') {
      throw new TunadmError(`/run/netns/${name} is not a network namespace`, {
        code: 'NOT_NETNS', why: 'the file there is not a namespace handle (ip netns add makes one; this may be a leftover or a planted file)',
        fix: `look at it: ls -l /run/netns/${name}; remove it and create the namespace again with: ip netns add ${name}`,
      })
    }
    throw explainKernelError(err, {action: `enter network namespace ${name}`})
  }
}
