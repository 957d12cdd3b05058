/**
 * Prompts only when a person is there to answer: stdin and stdout are both terminals (and not CI).
 * The prompt library is loaded only then: it is the heaviest module tunadm has.
 */
export function interactive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY) && !process.env.CI
}

type Prompts = typeof import('@inquirer/prompts')

function prompts(): Prompts {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require('@inquirer/prompts') as Prompts
}

export async function askChoice<T extends string>(message: string, choices: Array<{value: T; name: string}>, defaultValue?: T): Promise<T> {
  return prompts().select<T>({message, choices, default: defaultValue})
}

export async function askConfirm(message: string, defaultValue = false): Promise<boolean> {
  return prompts().confirm({message, default: defaultValue})
}
