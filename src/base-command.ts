/**
 * What every command shares: --json and --netns, and the mapping from errors to messages and exit
 * codes (0 success, 1 the operation failed, 2 invalid input or usage).
 *
 * Under --json every command answers with one envelope on stdout:
 *   {"status": "ok", "result": ..., "warnings": [...]}  or  {"status": "error", "error": {code, message,
 *   why, fix, exitCode}, "warnings": [...]}; warnings otherwise go to stderr as "warning: ..." lines.
 */
import {Command} from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import type {Interfaces} from '@oclif/core'
import {InvalidInputError, TunadmError} from './errors'
import {isKernelError} from './kernel/errno'
import {normaliseError} from './services/normalise'
import {explainKernelError} from './services/explain'
import {style} from './render/style'
import {printableLines} from './render/escape'
import {disablePrompts} from './render/prompt'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof TunadmCommand)['baseFlags'] & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

export abstract class TunadmCommand extends Command {
  static enableJsonFlag = true

  static baseFlags = {
    netns: Flags.string({
      summary: 'Work inside the named network namespace (/run/netns/NAME), like ip -n NAME.',
      helpGroup: 'GLOBAL',
    }),
  }

  /** Parse argv, then enter --netns before anything opens a socket or /dev/net/tun. */
  protected async parseAndEnter<T extends typeof Command>(cls: T): Promise<{flags: BaseFlags<T>; args: BaseArgs<T>; argv: string[]}> {
    const parsed = await this.parse(cls)
    if (this.jsonEnabled()) disablePrompts()
    const netns = (parsed.flags as {netns?: string}).netns
    if (netns !== undefined) enterNetns(netns)
    return parsed as unknown as {flags: BaseFlags<T>; args: BaseArgs<T>; argv: string[]}
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

  async finally(err: Error | undefined): Promise<unknown> {
    process.exitCode = this.exitStatus
    return super.finally(err)
  }

  /** Warnings of this run: stderr lines, or the envelope's "warnings" under --json. */
  protected readonly warnings: string[] = []

  /** The envelope of a result (oclif prints what this returns when --json is given). */
  toSuccessJson(result: unknown): unknown {
    return {status: 'ok', result: result ?? null, warnings: this.warnings}
  }

  /** JSON for scripts: plain and in one write (oclif's default colourises, which costs ~50 ms on 1000 devices). */
  logJson(json: unknown): void {
    process.stdout.write(JSON.stringify(json, null, 2) + '\n')
  }

  /** Human output to stdout; suppressed in --json mode (oclif prints the returned value instead). */
  protected say(text: string): void {
    if (!this.jsonEnabled()) process.stdout.write(text.endsWith('\n') ? text : text + '\n')
  }

  /** A warning: on stderr, unless --json (where it is part of the result). */
  protected warnLine(text: string): void {
    this.warnings.push(text)
    if (!this.jsonEnabled()) process.stderr.write(`${style(process.stderr).warn('warning:')} ${printableLines(text)}\n`)
  }

  protected async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}; code?: string}): Promise<unknown> {
    const e = normaliseError(err)
    this.exitStatus = e.exitCode
    // The command did parse (and the parse may be what failed): no "did not parse its arguments" warning.
    this.parsed = true
    if (e.code === 'CANCELLED' && !this.jsonEnabled()) {
      process.stderr.write('\ntunadm: cancelled\n')
      return undefined
    }
    if (this.jsonEnabled()) {
      process.stdout.write(JSON.stringify(errorEnvelope(e, this.warnings), null, 2) + '\n')
      return undefined
    }
    process.stderr.write(formatError(e) + '\n')
    if (process.env.TUNADM_DEBUG && err.stack) process.stderr.write(err.stack + '\n')
    return undefined
  }
}

/** The --json answer for an error. */
export function errorEnvelope(e: TunadmError, warnings: string[] = []): Record<string, unknown> {
  return {status: 'error', error: e.toJSON(), warnings}
}

export function formatError(e: TunadmError): string {
  const st = style(process.stderr)
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
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const {enterNetnsPath} = require('./kernel/libc') as typeof import('./kernel/libc')
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
