/** The one interface every boot-integration generator implements. */
import type {TunadmConfig} from '../config/types'
import type {MasterKind} from '../model/settings'

export const TARGETS = ['systemd', 'networkd', 'sysv', 'openrc', 'ifupdown', 'nm'] as const
export type Target = (typeof TARGETS)[number]

export interface GeneratedFile {
  /** File name, relative to the target's directory (--output DIR or its standard place). */
  path: string
  /** Permission bits, e.g. 0o755 for scripts, 0o600 for NetworkManager keyfiles. */
  mode: number
  content: string
}

export interface Generated {
  files: GeneratedFile[]
  /** Shell commands that enable the files where they are installed (printed, never run). */
  enable: string[]
  /** What the admin should know: ordering hints, limits of the target. */
  notes: string[]
}

export interface GenerateOptions {
  /** Absolute path of the config, as the boot files will name it. */
  configPath: string
  /** Absolute path of the tunadm executable the boot files run (not used by standalone output). */
  tunadmPath: string
  /** sysv and openrc: plain ip commands instead of tunadm, so boot needs no Node.js. */
  standalone: boolean
  /** Where the files will be installed; the enable commands name files there. */
  installDir: string
  /** A user or group name to its numeric id (NetworkManager stores only numbers). */
  resolveId: (kind: 'user' | 'group', name: string) => number
  /**
   * The kind of a master (bridge, bond, vrf) on the machine that generates the files, for the formats that
   * name it (networkd's Bridge=/Bond=/VRF=, NetworkManager's slave-type); undefined when it does not exist now.
   */
  masterKind?: (name: string) => MasterKind | undefined
}

export interface Generator {
  target: Target
  /** One line for the target prompt and --help. */
  summary: string
  /** The standard place the files go with --install. */
  installDir: string
  /** Whether --standalone changes anything (sysv, openrc); networkd, ifupdown and nm never run tunadm. */
  standalone: 'flag' | 'always' | 'never'
  generate(config: TunadmConfig, opts: GenerateOptions): Generated
}
