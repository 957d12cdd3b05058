/**
 * V8's optimising compiler works on background threads and pays off in processes that run for a while. An
 * apply of a large config makes one pass over thousands of entries and devices and exits: there, compiling
 * costs more CPU than the optimised code saves before the end (measured on a no-op apply: a third of its CPU
 * time with 1000 devices, a quarter with 4000). Loading node:v8 to say so costs about 4 ms, more than a
 * small config gains, so only a config of this size or more turns the compiler off.
 */
import * as fs from 'node:fs'

const LARGE_CONFIG_BYTES = 16 * 1024

/** Before reading a config: no optimising compiler for the rest of this process when the file is large. */
export function tuneForConfig(file: string): void {
  let size = 0
  try {
    size = fs.statSync(file).size
  } catch {
    return // the loader says what is wrong with it
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  if (size >= LARGE_CONFIG_BYTES) (require('node:v8') as typeof import('node:v8')).setFlagsFromString('--no-opt')
}
