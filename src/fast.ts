/**
 * Entry point of the fast bundle (dist/fast.js): the hot commands, with no oclif in the bundle.
 * run() answers true when it printed a prebuilt help page, ends the process when it ran a command
 * (cli/fast.ts runFast), and answers false when the full path (dist/cli.js) must. Each hot command also has a bundle of its own, dist/fast-ID.js (made by
 * scripts/build.mjs from HOT), which bin/run.js takes when the command word is its id: the same run()
 * with one command, a third to a half of this bundle's code to read and of its code cache to load.
 */
import Add from './commands/add'
import Del from './commands/del'
import List from './commands/list'
import Show from './commands/show'
import SetCommand from './commands/set'
import Apply from './commands/apply'
import Down from './commands/down'
import {runBundle} from './cli/fast'

export const HOT = {add: Add, del: Del, list: List, show: Show, set: SetCommand, apply: Apply, down: Down}

export function run(raw: string[]): Promise<boolean> {
  return runBundle(HOT, raw, __dirname)
}
