/**
 * Entry point of dist/doctor.js: `tunadm doctor` without oclif, as the hot commands run from dist/fast.js.
 * A bundle of its own, so that its checks and explanations (a quarter more code) do not slow the start
 * of every other command; bin/run.js picks it when the first word is "doctor".
 */
import Doctor from './commands/doctor'
import {runFast} from './cli/fast'
import {servePrebuilt} from './cli/prebuilt'
import {hoistGlobals} from './cli/argv'

export async function run(raw: string[]): Promise<boolean> {
  const argv = hoistGlobals(raw)
  return servePrebuilt(argv, __dirname) || runFast({doctor: Doctor}, argv)
}
