/**
 * Build-time entry (scripts/build.mjs bundles and runs it; nothing ships it): the manual from oclif's
 * own view of the built commands, the config schema and the example config.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {Config} from '@oclif/core/config'
import {ManCommand, ManPage, manPages} from './pages'

export async function renderManual(root: string, date: string): Promise<ManPage[]> {
  // The command table of dist/cli.js, read by oclif as its help reads it.
  const config = await Config.load({root, userPlugins: false})
  return manPages({
    bin: config.bin,
    version: config.version,
    description: config.pjson.description ?? '',
    date,
    commands: config.commands as unknown as ManCommand[],
    schema: JSON.parse(fs.readFileSync(path.join(root, 'init', 'tunadm.schema.json'), 'utf8')),
    exampleConfig: fs.readFileSync(path.join(root, 'init', 'tunadm.example.yaml'), 'utf8'),
  })
}
