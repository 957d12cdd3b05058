/** The --config and --id flags, shared by the commands that read the config file (init, apply, down). */
import {Flags} from '../cli/spec'
import {DEFAULT_CONFIG_PATH} from './types'

export const configFlag = Flags.string({
  char: 'c',
  summary: 'The config file (YAML).',
  helpValue: 'FILE',
  default: DEFAULT_CONFIG_PATH,
})

export const idFlag = Flags.string({
  summary: 'The config\'s identity when the file has no id: key (a config read from a pipe needs one to --prune, --adopt or down).',
  helpValue: 'ID',
})
