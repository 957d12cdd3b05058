/** Entry point of the bundle: the command table (oclif's "explicit" strategy) and run(). */
// Deep imports: the @oclif/core index loads every part of oclif (help, ux, version checks) up front.
import {run as oclifRun} from '@oclif/core/run'
import {flush} from '@oclif/core/flush'
import {handle} from '@oclif/core/handle'
import Add from './commands/add'
import Del from './commands/del'
import Init from './commands/init'
import List from './commands/list'
import Show from './commands/show'

export const COMMANDS = {
  add: Add,
  del: Del,
  init: Init,
  list: List,
  show: Show,
}

export async function run(dir: string): Promise<void> {
  try {
    await oclifRun(process.argv.slice(2), dir)
    await flush()
  } catch (err) {
    await handle(err as Error)
  }
}
