/**
 * Entry point of the fast bundle (dist/fast.js): the hot commands, with no oclif in the bundle.
 * run() answers true when it ran the command (or printed a prebuilt help page), false when the full
 * path (dist/cli.js) must.
 */
import Add from './commands/add'
import Del from './commands/del'
import List from './commands/list'
import Show from './commands/show'
import SetCommand from './commands/set'
import Apply from './commands/apply'
import Down from './commands/down'
import {runFast} from './cli/fast'
import {servePrebuilt} from './cli/prebuilt'
import {hoistGlobals} from './cli/argv'

export const HOT = {add: Add, del: Del, list: List, show: Show, set: SetCommand, apply: Apply, down: Down}

export async function run(raw: string[]): Promise<boolean> {
  const argv = hoistGlobals(raw)
  return servePrebuilt(argv, __dirname) || runFast(HOT, argv)
}
