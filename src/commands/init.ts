import {Flags} from '../cli/spec'
import * as fs from 'node:fs'
import * as path from 'node:path'
import {TunadmCommand} from '../base-command'
import {configFlag} from '../config/flags'
import {loadConfig} from '../config/load'
import {MASTER_KINDS, MasterKind} from '../model/settings'
import {InvalidInputError} from '../errors'
import {generate, GENERATORS} from '../init'
import {detectTargets} from '../init/detect'
import {copyCommands, writeFiles, Written} from '../init/install'
import {TARGETS, Target} from '../init/types'
import {askChoice, interactive} from '../render/prompt'
import {paragraphs} from '../render/help'
import {err, out} from '../render/output'

export interface InitResult {
  target: Target
  config: string
  standalone: boolean
  /** Where the files went: a directory, or "-" for standard output. */
  output: string
  files: Array<{path: string; mode: string; content: string; action?: Written['action']}>
  enable: string[]
  notes: string[]
}

export default class Init extends TunadmCommand {
  static summary = 'Generate boot-time integration for the devices in the config.'

  static description = paragraphs(`Writes the files an init system needs to create the configured devices at every boot, and prints
the commands that enable them (it never runs them).

Targets:
  systemd   a oneshot unit: apply before network-pre.target, down on stop
  networkd  systemd-networkd .netdev/.network/.link files: no tunadm at boot
  sysv      an /etc/init.d script with LSB and chkconfig headers
  openrc    an openrc-run script that runs before net
  ifupdown  /etc/network/interfaces.d stanzas
  nm        NetworkManager keyfiles (mode 0600)

sysv and openrc scripts run tunadm; with --standalone they use only ip, so boot needs no Node.js.
Files go to standard output unless --output DIR or --install (the target's standard place). An existing file
is replaced only if tunadm generated it (its header says so), unless --force.`)

  static examples = [
    {description: 'Preview the systemd unit', command: '<%= config.bin %> init --target systemd'},
    {description: 'Install it and see how to enable it', command: 'sudo <%= config.bin %> init --target systemd --install'},
    {description: 'A SysV script that needs no Node.js at boot, into a directory', command: '<%= config.bin %> init --target sysv --standalone --output ./boot'},
    {description: 'NetworkManager keyfiles from another config', command: 'sudo <%= config.bin %> init --target nm --config ./vmhost.yaml --install'},
  ]

  static flags = {
    target: Flags.string({char: 't', summary: 'Init system to generate for. Asked on a terminal (proposing the one detected); required otherwise.', options: [...TARGETS]}),
    config: configFlag,
    output: Flags.string({char: 'o', summary: 'Directory to write the files to, or - for standard output (the default without --install).', helpValue: 'DIR|-', exclusive: ['install']}),
    install: Flags.boolean({summary: "Write the files to the target's standard place (e.g. /etc/systemd/system)."}),
    standalone: Flags.boolean({summary: 'sysv and openrc: plain ip commands instead of tunadm, so boot needs no Node.js.'}),
    'tunadm-path': Flags.string({summary: 'The tunadm executable the boot files run. Default: tunadm on PATH, else /usr/local/bin/tunadm.', helpValue: 'PATH'}),
    force: Flags.boolean({char: 'f', summary: 'Replace existing files even if tunadm did not generate them.'}),
  }

  async run(): Promise<InitResult> {
    const {flags} = await this.parseAndEnter(Init)
    // The config first: asking for the init system and then failing on a missing file wastes the answer.
    const configPath = absolutePath(flags.config, '--config')
    const config = loadConfig(configPath)
    const target = await chooseTarget(flags.target as Target | undefined)
    const tunadmPath = absolutePath(flags['tunadm-path'] ?? findTunadm(), '--tunadm-path')
    const generator = GENERATORS[target]
    const standalone = Boolean(flags.standalone)
    const generated = generate(target, config, {configPath, tunadmPath, standalone, resolveId, masterKind})
    if (flags.netns !== undefined) {
      // --netns is where init looks (the masters' kinds), not where the boot files act: said, never silent.
      this.warnLine(`the boot files carry no --netns: they make the devices in the namespace the init system runs in, not in ${flags.netns} ` +
        '(a namespace made with ip netns add does not survive a reboot); for devices in a namespace, run ip netns add NAME and then tunadm apply --netns NAME from a unit of your own')
    }
    if (generated.files.some((f) => f.content.includes(tunadmPath)) && !isExecutable(tunadmPath)) {
      this.warnLine(`${tunadmPath} ${fs.existsSync(tunadmPath) ? 'is not executable' : 'does not exist'}, and the boot files run it: ` +
        `give the tunadm to run with --tunadm-path PATH${flags['tunadm-path'] === undefined ? ' (there is no tunadm on PATH)' : ''}`)
    }
    if (flags.output !== undefined && flags.output.trim() === '') {
      throw new InvalidInputError('--output is empty', {code: 'USAGE', fix: 'give a directory (--output /tmp/boot-files), - for standard output, or --install'})
    }
    const output = flags.install ? generator.installDir : flags.output ?? '-'
    const result: InitResult = {target, config: configPath, standalone, output, files: [], enable: generated.enable, notes: generated.notes}

    if (output === '-') {
      result.files = generated.files.map((f) => ({path: f.path, mode: f.mode.toString(8).padStart(4, '0'), content: f.content}))
      if (!this.jsonEnabled()) {
        const many = generated.files.length > 1
        for (const f of generated.files) out((many ? `# ==> ${f.path} (mode ${f.mode.toString(8).padStart(4, '0')}) <==\n` : '') + f.content + (many ? '\n' : ''))
        err(enableText(result))
      }
      return result
    }
    const written = writeFiles(output, generated.files, {force: flags.force})
    result.files = written.map((w, i) => ({...w, content: generated.files[i].content}))
    result.enable = [...copyCommands(output, generator.installDir, generated.files), ...generated.enable]
    for (const w of written) this.say(`${w.action === 'unchanged' ? 'unchanged' : w.action === 'created' ? 'wrote' : 'replaced'} ${w.path} (mode ${w.mode})`)
    this.say(enableText(result))
    return result
  }
}

function enableText(r: InitResult): string {
  const lines = ['', 'To enable:', ...r.enable.map((c) => `  ${c}`)]
  if (r.notes.length) lines.push('', 'Notes:', ...r.notes.map((n) => `  - ${n}`))
  return lines.join('\n') + '\n'
}

async function chooseTarget(flag: Target | undefined): Promise<Target> {
  if (flag) return flag
  const detected = detectTargets()
  if (interactive()) {
    const order = [...detected, ...TARGETS.filter((t) => !detected.includes(t))]
    return askChoice<Target>('Generate boot files for which init system?', order.map((t) => ({
      value: t, name: `${t}${detected[0] === t ? ' (detected)' : ''}: ${GENERATORS[t].summary}`,
    })), detected[0])
  }
  throw new InvalidInputError('--target is required when there is no terminal to ask on', {
    code: 'TARGET_REQUIRED',
    why: detected.length ? `this machine looks like ${detected.join(', ')}` : 'no init system was recognised on this machine',
    fix: `add --target ${detected[0] ?? 'TARGET'} (one of: ${TARGETS.join(', ')})`,
  })
}

function absolutePath(p: string, flag: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(p)) throw new InvalidInputError(`${flag} ${JSON.stringify(p)} contains control characters`, {code: 'USAGE'})
  return path.resolve(p)
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK)
    return fs.statSync(p).isFile()
  } catch {
    return false
  }
}

/** tunadm on PATH (as boot files should run it), else the usual install place. */
function findTunadm(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir.startsWith('/')) continue
    const p = path.join(dir, 'tunadm')
    if (isExecutable(p)) return p
  }
  return '/usr/local/bin/tunadm'
}

/** A master's kind on this machine (in the namespace of --netns), for networkd's Bridge=/Bond=/VRF= and NetworkManager's slave-type. */
function masterKind(name: string): MasterKind | undefined {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const {withNetlink} = require('../kernel/netlink') as typeof import('../kernel/netlink')
  try {
    const kind = withNetlink((nl) => nl.link(name)?.kind)
    return (MASTER_KINDS as readonly string[]).includes(kind ?? '') ? kind as MasterKind : undefined
  } catch {
    return undefined // no netlink here (a container without it): the generator says what it assumed
  }
}

function resolveId(kind: 'user' | 'group', name: string): number {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const {resolveGroup, resolveUser} = require('../system/accounts') as typeof import('../system/accounts')
  return (kind === 'user' ? resolveUser(name) : resolveGroup(name)).id
}
