import {Args, Flags} from '../cli/spec'
import {TunadmCommand, formatError} from '../base-command'
import {TunadmError} from '../errors'
import {DeleteResult, deleteDevices} from '../services/devices'
import {describeHolders} from '../system/holders'
import {printable} from '../render/escape'
import {paragraphs} from '../render/help'
import {err} from '../render/output'

export interface DelOutcome extends Omit<DeleteResult, 'error'> {
  error?: ReturnType<TunadmError['toJSON']>
}

export default class Del extends TunadmCommand {
  static hiddenAliases = ['delete', 'rm']

  static summary = 'Delete TUN/TAP devices.'

  static description = paragraphs(`The mode is read from the kernel; there is no need to repeat it. A device that is not TUN/TAP is
refused and left alone. A device held open by a program is refused with the program's name and pid, unless --force.
With several names, every name is checked first (an invalid one changes nothing), then each device is handled
and reported; the exit code is 1 if any failed.`)

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
    const results = deleteDevices(names, {force: flags.force, ifExists: flags['if-exists']})
    if (names.length === 1 && results[0].error) throw results[0].error // catch() says it for --netns
    const outcomes: DelOutcome[] = []
    for (const r of results) {
      const {error: raw, ...rest} = r
      const error = raw && this.inNetns(raw)
      outcomes.push(error ? {...rest, error: error.toJSON()} : rest)
      if (error) {
        this.failed(error.exitCode)
        if (!this.jsonEnabled()) err(formatError(error) + '\n')
      } else if (r.absent) this.say(`${printable(r.name)}: not present`)
      else this.say(`deleted ${printable(r.name)} (${r.mode})${r.detached ? `; it was held by ${printable(describeHolders(r.detached))}` : ''}`)
    }
    return outcomes
  }
}
