import {Args} from '../cli/spec'
import {TunadmCommand} from '../base-command'
import {TunDevice} from '../model/device'
import {showDevice} from '../services/devices'
import {renderShow} from '../render/devices'
import {style} from '../render/style'
import {paragraphs} from '../render/help'

export default class Show extends TunadmCommand {
  static summary = 'Show one TUN/TAP device in detail.'

  static description = paragraphs(`Everything list shows, plus addresses, routes (marked linkdown when the kernel drops packets to
them because nothing is attached), MTU range, queues and the processes attached.`)

  static examples = [
    {description: 'One device', command: '<%= config.bin %> show tun77'},
    {description: 'Its owner, for a script', command: '<%= config.bin %> show tun77 --json | jq -r .result.owner.name'},
  ]

  static args = {
    name: Args.string({description: 'Device name.', required: true}),
  }

  async run(): Promise<TunDevice> {
    const {args} = await this.parseAndEnter(Show)
    const dev = showDevice(args.name)
    this.say(renderShow(dev, style()))
    return dev
  }
}
