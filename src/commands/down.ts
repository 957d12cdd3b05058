import {Flags} from '../cli/spec'
import {TunadmCommand} from '../base-command'
import {configFlag} from '../config/flags'
import {readManagedSet} from '../config/link-group'
import {ApplyReport, downConfig} from '../services/apply'
import {runLocked} from './apply'
import {paragraphs} from '../render/help'

export default class Down extends TunadmCommand {
  static summary = 'Remove the devices the config file manages (what init "stop" actions run).'

  static description = paragraphs(`Deletes every TUN/TAP device marked as managed by this config file (its alias is
"tunadm:<config path>"): those apply created, and those it adopted with --adopt. Other devices are never
touched. When the file's link group holds exactly these devices, one request removes them all;
otherwise they go one by one. A device a program holds is refused unless --force. Nothing to remove
is not an error. Only the file's path and its link_group matter here: a file with errors, or one that
was removed, does not keep its devices from being removed.`)

  static examples = [
    {description: 'Stop', command: 'sudo <%= config.bin %> down'},
    {description: 'Another file', command: 'sudo <%= config.bin %> down --config /etc/tunadm/vmhost.yaml --json'},
  ]

  static flags = {
    config: configFlag,
    'dry-run': Flags.boolean({char: 'n', summary: 'Print what would be removed; change nothing.'}),
    force: Flags.boolean({char: 'f', summary: 'Remove devices even while a program holds them.'}),
    wait: Flags.integer({summary: 'Seconds to wait for a running apply to finish.', default: 30, min: 0}),
  }

  async run(): Promise<ApplyReport> {
    const {flags} = await this.parseAndEnter(Down)
    const config = readManagedSet(flags.config)
    if (config.warning) this.warnLine(config.warning)
    const report = runLocked((t) => this.say(t), {dryRun: flags['dry-run'], wait: flags.wait}, (onDevice) =>
      downConfig(config, {dryRun: flags['dry-run'], force: flags.force, onDevice}))
    if (report.failed) this.failed()
    return report
  }
}
