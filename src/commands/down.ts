import {Flags} from '../cli/spec'
import {TunadmCommand} from '../base-command'
import {configFlag, idFlag} from '../config/flags'
import {readManagedSet} from '../config/link-group'
import {ApplyReport, downConfig} from '../services/apply'
import {runLocked} from './apply'
import {paragraphs} from '../render/help'

export default class Down extends TunadmCommand {
  static summary = 'Remove the devices the config file manages (what init "stop" actions run).'

  static description = paragraphs(`Deletes every TUN/TAP device this config owns: those apply created, and those it
adopted with --adopt. A device is the config's when its alias is the config's marker ("tunadm:<id or real
path>"), or, if an admin changed the alias, when it carries the config's link group and tunadm's record
says the config made it. Other devices are never touched: several devices go with one request, for a
private link group tunadm moves them into and checks first; otherwise one by one. A device a program holds
is refused unless --force. Nothing to remove is not an error. Only the file's id (or path) and link_group
matter here: a file with errors, or one that was removed, does not keep its devices from being removed. A
config read from a pipe needs --id (or id: in it).`)

  static examples = [
    {description: 'Stop', command: 'sudo <%= config.bin %> down'},
    {description: 'Another file', command: 'sudo <%= config.bin %> down --config /etc/tunadm/vmhost.yaml --json'},
    {description: 'A config from a pipe, by its identity', command: 'sudo <%= config.bin %> down --config /dev/stdin --id vmhost < vmhost.yaml'},
  ]

  static flags = {
    config: configFlag,
    'dry-run': Flags.boolean({char: 'n', summary: 'Print what would be removed; change nothing.'}),
    force: Flags.boolean({char: 'f', summary: 'Remove devices even while a program holds them.'}),
    id: idFlag,
    wait: Flags.integer({summary: 'Seconds to wait for a running apply to finish.', default: 30, min: 0}),
  }

  async run(): Promise<ApplyReport> {
    const {flags} = await this.parseAndEnter(Down)
    const config = readManagedSet(flags.config)
    if (config.warning) this.warnLine(config.warning)
    const report = runLocked((t) => this.say(t), {dryRun: flags['dry-run'], wait: flags.wait, warn: (w) => this.warnLine(w), netns: flags.netns}, (onDevice) =>
      downConfig(config, {dryRun: flags['dry-run'], force: flags.force, id: flags.id, onDevice}))
    if (report.failed) this.failed()
    return report
  }
}
