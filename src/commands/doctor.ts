import {Args, Flags} from '../cli/spec'
import {TunadmCommand} from '../base-command'
import {InvalidInputError} from '../errors'
import {style} from '../render/style'
import {realHost} from '../system/host'
import {CHECKS} from '../doctor/checks'
import {contextFrom, gatherFeatures, gatherNet, NetFacts} from '../doctor/context'
import {Explanation, explainMessage} from '../doctor/explain'
import {renderCheckList, renderExplanation, renderProblems, renderReport} from '../doctor/render'
import {onlyProblems, runChecks, selectChecks} from '../doctor/runner'
import type {Check, ConfigFacts, Report} from '../doctor/types'
import type {Intent} from '../doctor/intent'
import {DEFAULT_CONFIG_PATH} from '../config/types'
import {paragraphs} from '../render/help'
import {fixInNetns} from '../doctor/fixes'

export default class Doctor extends TunadmCommand {
  static summary = 'Say why a TUN/TAP device does not pass traffic, and explain the errors people hit.'

  static description = paragraphs(`Checks the system (the /dev/net/tun node and driver, who can open the node, CAP_NET_ADMIN, the
driver's features, routing sysctls, bridge netfilter) and every TUN/TAP device, or the named ones (up, carrier and
attached processes, linkdown routes, addresses, bridge ports: master up, port forwarding, MTU, addresses; owner and
group, who may attach, overlapping routes, IPv6, rp_filter). With a config file (--config, or the default one when it
exists) each device it declares is judged by its entry: down is fine where it says up: false, drift is one finding
fixed by tunadm apply, and a declared device that is missing fails. Each finding comes with a fix in words and exact
commands. Exit 0 when nothing failed (warnings allowed), 1 when a check failed or crashed.
--explain takes an error message from socat, ip, openvpn, qemu or tunctl and lists its likely causes, checked against
this machine where possible.`)

  static examples = [
    {description: 'Check everything', command: '<%= config.bin %> doctor'},
    {description: 'Only what needs attention, judging the devices by a config file', command: 'sudo <%= config.bin %> doctor --problems --config /etc/tunadm/vmhost.yaml'},
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
    config: Flags.string({summary: `Judge the devices by this config file (default: ${DEFAULT_CONFIG_PATH} when it exists).`, helpValue: 'FILE'}),
    problems: Flags.boolean({char: 'p', summary: 'Print only warnings and failures (one line for a problem many devices share).'}),
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
      // The device is in the namespace looked into: so are the fixes (as for the checks below).
      if (flags.netns !== undefined) for (const p of e.patterns) for (const c of p.causes) c.fix = fixInNetns(c.fix, flags.netns)
      this.say(renderExplanation(e, style()))
      if (!e.recognised) this.failed()
      return e
    }
    const checks = selectChecks(flags.check ?? [])
    const net = gatherNet()
    const config = readIntents(flags.config, net)
    const wantsFeatures = checks.some((c) => c.id === 'system.tun-features')
    const ctx = contextFrom(realHost, net, {names, user: flags.user, features: wantsFeatures ? gatherFeatures() : {error: 'not asked'}, intents: config?.intents})
    if (config) ctx.config = config.facts
    const report = runChecks(ctx, checks)
    // Fixes to run where the devices are: inside the namespace doctor looked into.
    if (flags.netns !== undefined) for (const f of report.findings) if (f.fix) f.fix = fixInNetns(f.fix, flags.netns)
    const shown = flags.problems ? onlyProblems(report) : report
    this.say(flags.problems ? renderProblems(shown, style()) : renderReport(shown, style()))
    if (report.failed) this.failed()
    return shown
  }
}

/**
 * The config's intents: from --config FILE (an invalid file is a usage error, exit 2), or from the default
 * file when it exists (then a broken file is a finding, not a reason to stop diagnosing).
 */
function readIntents(file: string | undefined, net: NetFacts): {intents: Intent[]; facts: ConfigFacts} | undefined {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const fs = require('node:fs') as typeof import('node:fs')
  const explicit = file !== undefined
  const source = file ?? DEFAULT_CONFIG_PATH
  if (!explicit && !fs.existsSync(source)) return undefined
  // Loaded only when there is a config: the loader and the YAML reader are not part of every doctor run.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const {loadConfig} = require('../config/load') as typeof import('../config/load')
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const {intentsFrom} = require('../doctor/intent') as typeof import('../doctor/intent')
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const {staticSnapshot} = require('../services/snapshot') as typeof import('../services/snapshot')
  let config
  try {
    config = loadConfig(source)
  } catch (err) {
    if (explicit) throw err
    const e = err as {message: string; fix?: string}
    return {intents: [], facts: {source, error: {message: e.message, ...(e.fix ? {fix: e.fix} : {})}}}
  }
  const intents = intentsFrom(config, staticSnapshot(net.raw ?? {links: []}))
  return {intents, facts: {source: intents[0]?.source ?? source, declared: intents.length}}
}
