/** Entry point of the bundle: the command table (oclif's "explicit" strategy) and run(). */
// Deep imports: the @oclif/core index loads every part of oclif (help, ux, version checks) up front.
import {run as oclifRun} from '@oclif/core/run'
import {flush} from '@oclif/core/flush'
import {handle} from '@oclif/core/handle'
import Add from './commands/add'
import Del from './commands/del'
import Doctor from './commands/doctor'
import Init from './commands/init'
import List from './commands/list'
import Show from './commands/show'
import Set from './commands/set'
import Apply from './commands/apply'
import Down from './commands/down'

export const COMMANDS = {
  add: Add,
  del: Del,
  doctor: Doctor,
  init: Init,
  list: List,
  show: Show,
  set: Set,
  apply: Apply,
  down: Down,
}

export async function run(dir: string): Promise<void> {
  try {
    // No user-installed plugins: tunadm runs as root and as users whose HOME may not be theirs (sudo).
    await oclifRun(process.argv.slice(2), {root: dir, userPlugins: false})
    await flush()
  } catch (err) {
    await handle(err as Error)
  }
}
