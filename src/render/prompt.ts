/**
 * Prompts only when a person is there to answer: stdin and stdout are both terminals (and not CI).
 * The prompt library is loaded only then: it is the heaviest module tunadm has.
 */
import {EXIT_CANCELLED, TunadmError} from '../errors'
import {isTerminal} from './output'

let allowed = true

/** No prompts for the rest of this run (--json: a script is reading, however it was started). */
export function disablePrompts(): void {
  allowed = false
}

export function interactive(): boolean {
  return allowed && !process.env.CI && isTerminal(0) && isTerminal(1)
}

/** Ctrl-C (or Ctrl-D) at a prompt: not a failure of tunadm, so one line and the shell's exit code 130. */
export class CancelledError extends TunadmError {
  constructor() {
    super('cancelled', {code: 'CANCELLED', exitCode: EXIT_CANCELLED})
    this.name = 'CancelledError'
  }
}

async function ask<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if ((err as Error).name === 'ExitPromptError' || (err as Error).name === 'AbortPromptError') throw new CancelledError()
    throw err
  }
}

type Prompts = typeof import('@inquirer/prompts')

function prompts(): Prompts {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require('@inquirer/prompts') as Prompts
}

export async function askChoice<T extends string>(message: string, choices: Array<{value: T; name: string}>, defaultValue?: T): Promise<T> {
  return ask(() => prompts().select<T>({message, choices, default: defaultValue}))
}

export async function askConfirm(message: string, defaultValue = false): Promise<boolean> {
  return ask(() => prompts().confirm({message, default: defaultValue}))
}
