/**
 * V8's optimising compilers work on background threads and pay off in processes that run for a while. A
 * tunadm command makes one pass over thousands of entries or devices and exits: there, compiling costs
 * more CPU than the optimised code saves before the end (measured on a no-op apply: a third of its CPU
 * time with 1000 devices, a quarter with 4000; on a list of 1000: 30-40 ms of 130). Loading node:v8 to
 * say so costs about 4 ms, more than a small run gains, so only a large config or a long list turns the
 * compilers off (TurboFan; Maglev too, which Node 22 and later run).
 */
import * as fs from 'node:fs'

const LARGE_CONFIG_BYTES = 16 * 1024
/**
 * Devices in a dump from which list turns the compilers off. Measured (CPU, interleaved runs): at 100 devices
 * turning them off cost 3 ms (loading node:v8), at 300 it was even, at 1000 it saved 40 ms whether decided
 * at the 64th device or the 300th.
 */
export const MANY_DEVICES = 300

let tuned = false

/** No optimising compiler for the rest of this process. */
export function noOptimisingCompiler(): void {
  if (tuned) return
  tuned = true
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  ;(require('node:v8') as typeof import('node:v8')).setFlagsFromString('--no-opt --no-maglev')
}

/** Before reading a config: no optimising compiler for the rest of this process when the file is large. */
export function tuneForConfig(file: string): void {
  let size = 0
  try {
    size = fs.statSync(file).size
  } catch {
    return // the loader says what is wrong with it
  }
  if (size >= LARGE_CONFIG_BYTES) noOptimisingCompiler()
}
