import {Flags} from '../cli/spec'
import {TunadmCommand} from '../base-command'
import {TunDevice} from '../model/device'
import {listDevices} from '../services/devices'
import {renderList} from '../render/devices'
import {style} from '../render/style'
import {paragraphs} from '../render/help'

export default class List extends TunadmCommand {
  static hiddenAliases = ['ls']

  static summary = 'List TUN/TAP devices.'

  static description = paragraphs(`Reads every device with one netlink dump: mode, flags, owner and group (or "any user" when
neither is set), state and carrier, MTU, the bridge, bond or vrf it is a port of, and MAC. --processes adds the programs attached to each device.`)

  static examples = [
    {description: 'All devices, as a table', command: '<%= config.bin %> list'},
    {description: 'With the processes attached to each', command: 'sudo <%= config.bin %> list --processes'},
    {description: 'With their addresses', command: '<%= config.bin %> list -a'},
    {description: 'For scripts', command: '<%= config.bin %> list --json | jq -r \'.result[] | select(.mode == "tap") | .name\''},
  ]

  static flags = {
    processes: Flags.boolean({char: 'p', summary: 'Show the processes attached to each device (all of them only as root).'}),
    addresses: Flags.boolean({char: 'a', summary: 'Show each device\'s addresses (the link-local ones the kernel makes too).'}),
  }

  async run(): Promise<TunDevice[]> {
    const {flags} = await this.parseAndEnter(List)
    const devices = listDevices({processes: flags.processes, addressing: flags.addresses || this.jsonEnabled()})
    if (!this.jsonEnabled()) this.say(renderList(devices, style(), flags.processes, flags.addresses))
    return devices
  }
}
