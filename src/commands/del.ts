import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {TunadmCommand, formatError} from '../base-command'
import {normaliseError} from '../services/normalise'
import {TunadmError} from '../errors'
import {withNetlink} from '../kernel/netlink'
import {DeleteResult, deleteDevice} from '../services/devices'
import {describeHolders} from '../system/holders'

export interface DelOutcome extends DeleteResult {
  error?: ReturnType<TunadmError['toJSON']>
}

export default class Del extends TunadmCommand {
  static aliases = ['delete', 'rm']

  static hiddenAliases = ['delete', 'rm']

  static summary = 'Delete TUN/TAP devices.'

  static description = `The mode is read from the kernel; there is no need to repeat it. A device that is not TUN/TAP is
refused and left alone. A device held open by a program is refused with the program's name and pid, unless --force.
With several names, each is handled and reported; the exit code is 1 if any failed.`

  static examples = [
    {description: 'Delete one device', command: 'sudo <%= config.bin %> del tun77'},
    {description: 'In a stop script: no error when it is already gone', command: 'sudo <%= config.bin %> del --if-exists tap0 tap1'},
    {description: 'Delete a device although QEMU still holds it', command: 'sudo <%= config.bin %> del --force tap0'},
  ]

  static strict = false

  static args = {
    name: Args.string({description: 'Device names.', required: true}),
  }

  static flags = {
    force: Flags.boolean({char: 'f', summary: 'Delete even when a process holds the device open.'}),
    'if-exists': Flags.boolean({summary: 'A device that does not exist is not an error.'}),
  }

  async run(): Promise<DelOutcome[]> {
    const {argv, flags} = await this.parseAndEnter(Del)
    const names = argv as string[]
    const failures = new Map<string, TunadmError>()
    const outcomes: DelOutcome[] = withNetlink((nl) =>
      names.map((name) => {
        try {
          return deleteDevice(nl, name, {force: flags.force, ifExists: flags['if-exists']})
        } catch (err) {
          const e = normaliseError(err)
          if (names.length === 1) throw e
          failures.set(name, e)
          return {name, deleted: false, error: e.toJSON()}
        }
      }),
    )
    for (const o of outcomes) {
      const failure = failures.get(o.name)
      if (failure) {
        process.exitCode = Math.max(Number(process.exitCode ?? 0), failure.exitCode)
        if (!this.jsonEnabled()) process.stderr.write(formatError(failure) + '\n')
      } else if (o.absent) this.say(`${o.name}: not present`)
      else this.say(`deleted ${o.name} (${o.mode})${o.detached ? `; it was held by ${describeHolders(o.detached)}` : ''}`)
    }
    return outcomes
  }
}
