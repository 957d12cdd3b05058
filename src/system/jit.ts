/**
 * V8's optimising compilers work on background threads and pay off in processes that run for a while. A
 * tunadm command makes one pass over thousands of entries or devices and exits: there, compiling costs
 * more CPU than the optimised code saves before the end (measured on a no-op apply: a third of its CPU
 * time with 1000 devices, a quarter with 4000; on a list of 1000: 30-40 ms of 130). Only a large config
 * or a long list turns the compilers off (TurboFan; Maglev too, which Node 22 and later run).
 */
import * as fs from 'node:fs'

const LARGE_CONFIG_BYTES = 16 * 1024
/**
 * Devices in a dump from which list turns the compilers off. Measured (CPU, interleaved runs): at 1000
 * devices it saved 40 ms whether decided at the 64th device or the 300th; at 100, when saying so meant
 * loading node:v8, it cost 3 ms. Through the binding (below) saying so costs ~0.2 ms, and a list whose
 * one-pass link decoder V8 would optimise early is better off deciding early.
 */
export const MANY_DEVICES = 64

let tuned = false

const FLAGS = '--no-opt --no-maglev'

/**
 * No optimising compiler for the rest of this process. node:v8's setFlagsFromString is its internal
 * binding's, which process.binding('v8') gives without loading node:v8 and the stream modules it
 * requires (~2 ms, measured in-process: 0.2-0.7 ms through the binding). process.binding is deprecated
 * (DEP0111) and warns: the warning is held back for this one call (process.noDeprecation is read when a
 * warning is emitted). Where the binding is gone or refuses, node:v8 does it.
 */
export function noOptimisingCompiler(): void {
  if (tuned) return
  tuned = true
  const quiet = process.noDeprecation
  try {
    process.noDeprecation = true
    const binding = (process as unknown as {binding(name: string): {setFlagsFromString?: (flags: string) => void}}).binding('v8')
    if (typeof binding.setFlagsFromString === 'function') {
      binding.setFlagsFromString(FLAGS)
      return
    }
  } catch {
    // no such binding in this Node
  } finally {
    process.noDeprecation = quiet
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  ;(require('node:v8') as typeof import('node:v8')).setFlagsFromString(FLAGS)
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
