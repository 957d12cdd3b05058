import {Args} from '../cli/spec'
import {TunadmCommand} from '../base-command'
import {paragraphs} from '../render/help'
import {err, out} from '../render/output'
import {printableLines} from '../render/escape'
import type {ImportResult} from '../migrate/import'

export default class Import extends TunadmCommand {
  static summary = 'Write a tunadm config from the files of the tools it replaces.'

  static description = paragraphs(`Reads systemd-networkd files (.netdev with [Tun]/[Tap], the .network and .link that match
them), NetworkManager keyfiles of type tun (.nmconnection), ifupdown stanzas (/etc/network/interfaces and the files it
sources) and shell scripts such as rc.local (ip tuntap add, tunctl, openvpn --mktun, ip link/addr/route, ifconfig,
brctl addif), and prints one tunadm config for the TUN/TAP devices they create. A directory stands for its files.

Nothing is guessed: what tunadm cannot express (DHCP, a value the shell computes, an option it has no setting for)
is reported as FILE:LINE with the reason, on stderr and as comments in the config, and the exit code is then 1.
The config printed is always one tunadm accepts. Nothing on the system is changed.`)

  static examples = [
    {description: 'systemd-networkd devices', command: '<%= config.bin %> import /etc/systemd/network > tunadm.yaml'},
    {description: 'NetworkManager tun connections', command: 'sudo <%= config.bin %> import /etc/NetworkManager/system-connections/*.nmconnection'},
    {description: 'ifupdown (follows source lines) and rc.local together', command: '<%= config.bin %> import /etc/network/interfaces /etc/rc.local'},
    {description: 'Then review and take the devices over', command: 'sudo <%= config.bin %> apply --adopt --dry-run --config tunadm.yaml'},
  ]

  static strict = false

  static args = {
    file: Args.string({description: 'Files or directories to read.', required: true}),
  }

  static flags = {}

  async run(): Promise<Omit<ImportResult, 'yaml'> & {yaml: string}> {
    const {argv} = await this.parseAndEnter(Import)
    // Loaded here: the command table must stay light.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const {importFiles} = require('../migrate/import') as typeof import('../migrate/import')
    const result = importFiles(argv as string[])
    if (!this.jsonEnabled()) {
      out(result.yaml)
      for (const f of result.untranslated) err(`not translated: ${printableLines(`${f.file}:${f.line}: ${f.message}`)}\n`)
      const n = result.untranslated.length
      err(`import: ${result.devices.length} device entr${result.devices.length === 1 ? 'y' : 'ies'} from ${result.sources.length} file${result.sources.length === 1 ? '' : 's'}${n ? `; ${n} thing${n === 1 ? '' : 's'} not translated (listed above and in the config's comments)` : ''}\n`)
    }
    if (result.untranslated.length) this.failed()
    return result
  }
}
