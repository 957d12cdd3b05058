import {Args, Flags} from '../cli/spec'
import {TunadmCommand} from '../base-command'
import {InvalidInputError} from '../errors'
import {configureFlags, settingsInputFromFlags} from '../flags'
import {TunDevice} from '../model/device'
import {asksNothing, desiredFromFlags} from '../services/desired'
import {setDevice, showDevice} from '../services/devices'
import {printable, printableLines} from '../render/escape'
import {Change} from '../services/plan'
import {describeChange, describeWouldChange} from '../render/changes'
import {paragraphs} from '../render/help'
import {namedChange} from '../render/changes'

export interface SetResult {
  name: string
  changed: boolean
  changes: Change[]
  dryRun: boolean
  device: TunDevice
}

export default class Set extends TunadmCommand {
  static summary = 'Configure a TUN/TAP device: MAC, flags, MTU, txqueuelen, name, owner, carrier, addresses, routes.'

  static description = paragraphs(`Only what differs is changed: asking for what is already true succeeds and changes nothing
(without needing privileges). Every value is checked before anything changes; invalid input exits 2.
Routes take a gateway inline ("10.1.0.0/16 via 192.168.0.254") or from --via.`)

  static examples = [
    {description: 'Address it and bring it up (the classic tunctl + ifconfig pair in one step)', command: 'sudo <%= config.bin %> set tap0 --address 192.168.0.1/24 --promisc --up'},
    {description: 'A point-to-point TUN link with a route behind the peer', command: 'sudo <%= config.bin %> set tun0 --address 10.0.0.1 --peer 10.0.0.2 --route "10.8.0.0/16 via 10.0.0.2" --up'},
    {description: 'Hand a device to another user', command: 'sudo <%= config.bin %> set tun77 --user waldner'},
    {description: 'Make a VM\'s tap a port of bridge br0 (which must exist), or take it out', command: 'sudo <%= config.bin %> set tap0 --master br0 --up'},
    {description: 'Rename it, up or down: its addresses and routes stay', command: 'sudo <%= config.bin %> set tap0 --rename vm1-net'},
    {description: 'MAC, MTU and queue length', command: 'sudo <%= config.bin %> set tap0 --mac 02:00:5e:10:00:01 --mtu 9000 --txqueuelen 5000'},
  ]

  static args = {
    name: Args.string({description: 'Device name.', required: true}),
  }

  static flags = {
    ...configureFlags,
    'del-address': Flags.string({summary: 'Remove an address (ADDR/LEN); repeatable.', multiple: true, helpGroup: 'CONFIGURATION'}),
    'del-route': Flags.string({summary: 'Remove a route via the device (CIDR or "CIDR via GW"); repeatable.', multiple: true, helpGroup: 'CONFIGURATION'}),
    rename: Flags.string({summary: 'New name (1-15 bytes); up or down, addresses and routes stay.', helpGroup: 'CONFIGURATION'}),
    carrier: Flags.string({summary: 'Carrier on or off; on needs a program attached (the kernel refuses otherwise).', options: ['on', 'off'], helpGroup: 'CONFIGURATION'}),
    user: Flags.string({char: 'u', summary: 'New owner: user name or uid.', helpGroup: 'OWNERSHIP'}),
    group: Flags.string({char: 'g', summary: 'New group: group name or gid.', helpGroup: 'OWNERSHIP'}),
    'any-user': Flags.boolean({summary: 'Clear owner and group: any user who can open /dev/net/tun may attach.', exclusive: ['user', 'group'], helpGroup: 'OWNERSHIP'}),
    'dry-run': Flags.boolean({char: 'n', summary: 'Print what would change; change nothing.'}),
  }

  async run(): Promise<SetResult> {
    const {args, flags} = await this.parseAndEnter(Set)
    const desired = desiredFromFlags(args.name, {
      ...settingsInputFromFlags(flags),
      delAddresses: flags['del-address'],
      delRoutes: flags['del-route'],
      rename: flags.rename,
      carrier: flags.carrier === undefined ? undefined : flags.carrier === 'on',
      user: flags.user,
      group: flags.group,
      anyUser: flags['any-user'],
    })
    if (asksNothing(desired)) {
      throw new InvalidInputError(`nothing to change on ${args.name}`, {code: 'NOTHING_TO_DO', fix: `give at least one option; see tunadm set --help`})
    }
    const dryRun = flags['dry-run']
    const {name, changes, warnings} = setDevice(desired, {dryRun})
    for (const w of warnings) this.warnLine(w)
    const device = showDevice(name)
    const said = changes.map(namedChange).map(dryRun ? describeWouldChange : describeChange).join('; ')
    if (changes.length === 0) this.say(`${printable(name)}: nothing to change`)
    else this.say(`${printable(name)}: ${printableLines(said)}`)
    return {name, changed: !dryRun && changes.length > 0, changes, dryRun, device}
  }
}
