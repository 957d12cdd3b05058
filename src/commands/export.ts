import {Args, Flags} from '../cli/spec'
import {TunadmCommand} from '../base-command'
import {paragraphs} from '../render/help'
import {out} from '../render/output'
import type {ExportResult} from '../migrate/export'

export default class Export extends TunadmCommand {
  static summary = 'Print a tunadm config for the TUN/TAP devices that exist now.'

  static description = paragraphs(`Reads every TUN/TAP device (or the named ones) from the kernel and prints the config that makes
them again: mode, creation flags, owner and group (as names where they resolve), MTU and txqueuelen where they
differ from the kernel's defaults, a MAC only where it was set by hand (sysfs addr_assign_type is NET_ADDR_SET, not
random), up and the link flags, addresses with their peer, the routes through the device, the bridge it is a port
of. Devices that differ only by a number become a range (tap{0..63}).

What a tunadm config cannot say (a second peer, a route with a source address, a device made by a running
program that goes away with it) is written as a comment above the device, never dropped silently. Nothing
on the system is changed. Apply the result with apply --adopt, which takes the devices over unchanged.`)

  static examples = [
    {description: 'Every device of this host, as a config', command: '<%= config.bin %> export > tunadm.yaml'},
    {description: 'Some devices, in a network namespace', command: 'sudo <%= config.bin %> export tap0 tun0 --netns vpn'},
    {description: 'Then see that apply would change nothing, and take them over', command: 'sudo <%= config.bin %> apply --adopt --dry-run --config tunadm.yaml'},
  ]

  static strict = false

  static args = {
    name: Args.string({description: 'Device names (default: every TUN/TAP device).'}),
  }

  static flags = {
    'no-ranges': Flags.boolean({summary: 'One entry per device: do not write runs of devices as ranges.'}),
  }

  async run(): Promise<ExportResult> {
    const {argv, flags} = await this.parseAndEnter(Export)
    /* eslint-disable @typescript-eslint/no-var-requires */
    const {exportLinks} = require('../migrate/export') as typeof import('../migrate/export')
    const {readTunLinks} = require('../migrate/read-state') as typeof import('../migrate/read-state')
    const {groupName, userName} = require('../system/accounts') as typeof import('../system/accounts')
    /* eslint-enable @typescript-eslint/no-var-requires */
    const netns = (flags as {netns?: string}).netns
    const links = readTunLinks()
    const result = exportLinks(links, {names: argv as string[], netns, noRanges: flags['no-ranges']}, {userName, groupName})
    if (!this.jsonEnabled()) out(result.yaml)
    return result
  }
}
