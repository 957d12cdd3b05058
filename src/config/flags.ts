/** The --config flag, shared by every command that reads the config file (init, apply, down). */
import {Flags} from '../cli/spec'
import {DEFAULT_CONFIG_PATH} from './types'

export const configFlag = Flags.string({
  char: 'c',
  summary: 'The config file (YAML).',
  helpValue: 'FILE',
  default: DEFAULT_CONFIG_PATH,
})
