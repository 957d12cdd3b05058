import {Args, Flags} from '../cli/spec'
import {TunadmCommand} from '../base-command'
import {InvalidInputError} from '../errors'
import {style} from '../render/style'
import {realHost} from '../system/host'
import {CHECKS} from '../doctor/checks'
import {contextFrom, gatherFeatures, gatherNet, NetFacts} from '../doctor/context'
import {Explanation, explainMessage} from '../doctor/explain'
import {renderCheckList, renderExplanation, renderReport} from '../doctor/render'
import {runChecks, selectChecks} from '../doctor/runner'
import type {Check, Report} from '../doctor/types'
import {paragraphs} from '../render/help'
import {fixInNetns} from '../doctor/fixes'

export default class Doctor extends TunadmCommand {
  static summary = 'Say why a TUN/TAP device does not pass traffic, and explain the errors people hit.'

  static description = paragraphs(`Checks the system (the /dev/net/tun node and driver, who can open the node, CAP_NET_ADMIN, the
driver's features, routing sysctls) and every TUN/TAP device, or the named ones (up, carrier and attached processes,
linkdown routes, addresses, owner and group, who may attach, overlapping routes, IPv6, rp_filter). Each finding comes
with a fix in words and exact commands. Exit 0 when nothing failed (warnings allowed), 1 when a check failed or crashed.
--explain takes an error message from socat, ip, openvpn, qemu or tunctl and lists its likely causes, checked against
this machine where possible.`)

  static examples = [
    {description: 'Check everything', command: '<%= config.bin %> doctor'},
    {description: 'Why does tun77 pass no traffic? Can user waldner attach to it?', command: 'sudo <%= config.bin %> doctor tun77 --user waldner'},
    {description: 'Explain an error message', command: '<%= config.bin %> doctor --explain "Cannot ioctl TUNSETIFF tun0: Operation not permitted"'},
    {description: 'Only some checks, for a script', command: '<%= config.bin %> doctor --check device.linkdown-routes --check device.up --json'},
    {description: 'The list of checks', command: '<%= config.bin %> doctor --list-checks'},
  ]

  static strict = false

  static args = {
    name: Args.string({description: 'Devices to check (default: every TUN/TAP device).', required: false}),
  }

  static flags = {
    user: Flags.string({char: 'u', summary: 'Check on behalf of the user who will run the program (name or uid): can it open the node and attach?'}),
    explain: Flags.string({char: 'e', summary: 'Explain an error message from socat, ip, openvpn, qemu or tunctl.'}),
    check: Flags.string({char: 'c', summary: 'Run only this check (an id or a group: system, device). Repeatable.', multiple: true}),
    'list-checks': Flags.boolean({summary: 'List the checks and exit.'}),
  }

  async run(): Promise<Report | Explanation | Array<Pick<Check, 'id' | 'group' | 'title' | 'description'>>> {
    const {flags, argv} = await this.parseAndEnter(Doctor)
    const names = argv as string[]
    if (flags['list-checks']) {
      this.say(renderCheckList(CHECKS, style()))
      return CHECKS.map(({id, group, title, description}) => ({id, group, title, description}))
    }
    if (flags.explain !== undefined) {
      if (!flags.explain.trim()) throw new InvalidInputError('--explain needs the error message', {code: 'USAGE', fix: 'tunadm doctor --explain "ioctl(TUNSETIFF): Device or resource busy"'})
      let net: NetFacts | undefined
      try {
        net = gatherNet()
      } catch {
        net = undefined // explain still works without this machine's network facts
      }
      const ctx = contextFrom(realHost, net ?? {devices: [], links: [], routes: []}, {user: flags.user, features: {error: 'not asked'}})
      const device = names[0]
      const e = explainMessage(flags.explain, {ctx, net, device})
      this.say(renderExplanation(e, style()))
      if (!e.recognised) this.failed()
      return e
    }
    const checks = selectChecks(flags.check ?? [])
    const net = gatherNet()
    const wantsFeatures = checks.some((c) => c.id === 'system.tun-features')
    const ctx = contextFrom(realHost, net, {names, user: flags.user, features: wantsFeatures ? gatherFeatures() : {error: 'not asked'}})
    const report = runChecks(ctx, checks)
    // Fixes to run where the devices are: inside the namespace doctor looked into.
    if (flags.netns !== undefined) for (const f of report.findings) if (f.fix) f.fix = fixInNetns(f.fix, flags.netns)
    this.say(renderReport(report, style()))
    if (report.failed) this.failed()
    return report
  }
}
