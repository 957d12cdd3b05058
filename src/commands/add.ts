import {Args, Flags} from '../cli/spec'
import {TunadmCommand} from '../base-command'
import {InvalidInputError} from '../errors'
import {IdRef, MODES, Mode, TunDevice, modeFromName} from '../model/device'
import {validateIfName} from '../model/validate'
import {invokingUid, resolveGroup, resolveUser, userInGroup, userName} from '../system/accounts'
import {addDevice, showDevice} from '../services/devices'
import {asksNothing, desiredForAdd} from '../services/desired'
import {configureFlags, settingsInputFromFlags, tunFlagFlags, tunFlagsFromFlags} from '../flags'

import {renderShow} from '../render/devices'
import {style} from '../render/style'
import {askChoice, interactive} from '../render/prompt'
import {paragraphs} from '../render/help'

export default class Add extends TunadmCommand {
  static summary = 'Create a persistent TUN or TAP device.'

  static description = paragraphs(`The device is created exclusively: an existing name is an error, never re-owned or attached to.
Without --user and --group the owner is the invoking user (the sudo caller under sudo), so that a new device is
never attachable by every local user by accident; --any-user creates one with neither owner nor group.
Without a NAME, or with a template such as vnet%d, the kernel chooses the name and tunadm prints it.
If any step after creation fails, the device is removed again.`)

  static examples = [
    {description: 'A TUN device that user waldner can attach to without root', command: 'sudo <%= config.bin %> add tun77 --user waldner'},
    {description: 'A TAP device for VMs, owned by group kvm, with a kernel-chosen name', command: 'dev=$(sudo <%= config.bin %> add -q --mode tap --group kvm)'},
    {description: 'A multi-queue TAP device with virtio-net headers for QEMU', command: 'sudo <%= config.bin %> add tap0 --user qemu --multi-queue --vnet-hdr'},
    {description: 'A VM\'s tap as a port of bridge br0 (which must exist)', command: 'sudo <%= config.bin %> add vm0 --mode tap --group kvm --vnet-hdr --master br0 --up'},
    {description: 'Inside a network namespace, reporting JSON', command: 'sudo <%= config.bin %> add tun0 --netns blue --json'},
    {description: 'Create and configure in one step (removed again if any part fails)', command: 'sudo <%= config.bin %> add tap0 --user waldner --address 192.168.0.1/24 --promisc --up'},
  ]

  static args = {
    name: Args.string({description: 'Device name (1-15 bytes), or a template such as tap%d. Default: tun%d or tap%d.', required: false}),
  }

  static flags = {
    mode: Flags.string({char: 'm', summary: 'tun (layer 3, IP packets) or tap (layer 2, Ethernet frames). Default: from a tun*/tap* name.', options: [...MODES]}),
    user: Flags.string({char: 'u', summary: 'Owner who may attach without root: user name or uid. Default: the invoking user.'}),
    group: Flags.string({char: 'g', summary: 'Group whose members may attach: group name or gid.'}),
    'any-user': Flags.boolean({summary: 'Set neither owner nor group: any user who can open /dev/net/tun may attach.', exclusive: ['user', 'group']}),
    ...tunFlagFlags,
    'one-queue': Flags.boolean({summary: 'Accepted for compatibility with ip tuntap and tunctl; has no effect on current kernels.', hidden: false}),
    quiet: Flags.boolean({char: 'q', summary: 'Print only the device name, for dev=$(tunadm add -q ...).'}),
    ...configureFlags,
  }

  async run(): Promise<TunDevice> {
    const {args, flags} = await this.parseAndEnter(Add)
    if (args.name !== undefined) validateIfName(args.name, {template: true})
    const mode = await chooseMode(flags.mode as Mode | undefined, args.name)
    let owner: IdRef | undefined
    let group: IdRef | undefined
    if (!flags['any-user']) {
      if (flags.user !== undefined) owner = resolveUser(flags.user)
      if (flags.group !== undefined) group = resolveGroup(flags.group)
      if (!owner && !group) {
        const uid = invokingUid()
        owner = {id: uid, name: userName(uid)}
      }
    }
    const desired = desiredForAdd(args.name ?? (mode === 'tap' ? 'tap%d' : 'tun%d'), {
      mode, owner, group, tunFlags: tunFlagsFromFlags(flags),
    }, settingsInputFromFlags(flags))
    if (owner && group && !userInGroup(owner.id, group.id)) {
      // The kernel lets a process attach only if it matches BOTH the owner and the group that are set.
      this.warnLine(`user ${owner.name ?? owner.id} is not in group ${group.name ?? group.id}: with both set, the kernel lets only a process that is that user AND in that group attach (and root)`)
    }
    const configured = !asksNothing({...desired, owner: undefined, group: undefined})
    const created = addDevice(desired)
    const dev = configured ? showDevice(created.name) : created
    if (flags.quiet) this.say(dev.name)
    else this.say(`created ${renderShow(dev, style())}`)
    return dev
  }
}

export async function chooseMode(flag: Mode | undefined, name: string | undefined): Promise<Mode> {
  if (flag) return flag
  const inferred = modeFromName(name)
  if (inferred) return inferred
  if (interactive()) {
    return askChoice<Mode>(`Mode of ${name ?? 'the new device'}?`, [
      {value: 'tun', name: 'tun: layer 3, IP packets (VPNs, socat TUN, user-space IP stacks)'},
      {value: 'tap', name: 'tap: layer 2, Ethernet frames (VMs, bridges)'},
    ])
  }
  throw new InvalidInputError(`the mode of ${name ?? 'the new device'} is not known`, {
    code: 'MODE_REQUIRED',
    why: `${name === undefined ? 'no name was given to tell it from' : `the name ${name} does not start with tun or tap`}, and there is no terminal to ask on`,
    fix: 'add --mode tun (IP packets) or --mode tap (Ethernet frames)',
  })
}
