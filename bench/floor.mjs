#!/usr/bin/env node
// The floor's own variance: `node -e 0`, the denominator of every ratio in run.mjs and bulk.mjs, run N
// times (default 50) in each of a few environments, interleaved, with its wall and CPU time (measure.mjs).
// Usage: node bench/floor.mjs [--runs N]   (no root needed)
//
// Prints, per environment, the median and the spread (lowest, 10th and 90th percentile, highest), and
// around the whole run the machine's load and the share of time the hypervisor stole from it.
import {readFileSync} from 'node:fs'
import {benchEnv, machineLine, median, timed, warnIfBusy} from './measure.mjs'

const arg = process.argv.indexOf('--runs')
const RUNS = arg > 0 ? Number(process.argv[arg + 1]) : 50
const CA = '/etc/ssl/certs/ca-certificates.crt'

const variants = {
  'node -e 0': benchEnv(),
  'NODE_OPTIONS=--no-warnings': benchEnv({NODE_OPTIONS: '--no-warnings'}),
  // benchEnv() unsets it; set again here, after.
  [`NODE_EXTRA_CA_CERTS=${CA}`]: {...benchEnv(), NODE_EXTRA_CA_CERTS: CA},
}

/** user+nice+system+idle+... and steal, from the first line of /proc/stat (clock ticks since boot). */
function cpuTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  return {total: f.reduce((a, b) => a + b, 0), steal: f[7] ?? 0, idle: (f[3] ?? 0) + (f[4] ?? 0)}
}
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]
const row = (xs) => `${median(xs).toFixed(1).padStart(6)}  [${pct(xs, 0).toFixed(1)} ${pct(xs, 10).toFixed(1)} ${pct(xs, 90).toFixed(1)} ${pct(xs, 100).toFixed(1)}]  ${`${((100 * (pct(xs, 90) - pct(xs, 10))) / median(xs)).toFixed(0)}%`.padStart(4)}`

warnIfBusy()
const loadBefore = load()
const t0 = cpuTicks()
const res = Object.fromEntries(Object.keys(variants).map((k) => [k, {ms: [], cpu: []}]))
timed(process.execPath, ['-e', '0'], {env: variants['node -e 0']}) // warm the page cache
for (let i = 0; i < RUNS; i++) {
  for (const [k, env] of Object.entries(variants)) {
    const r = timed(process.execPath, ['-e', '0'], {env})
    res[k].ms.push(r.ms)
    res[k].cpu.push(r.cpu)
  }
}
const t1 = cpuTicks()
const span = t1.total - t0.total
console.log(`node ${process.version}, ${RUNS} runs each, interleaved`)
console.log(machineLine())
console.log(`load ${loadBefore} before, ${load()} after; during the run: steal ${((100 * (t1.steal - t0.steal)) / span).toFixed(1)}%, idle ${((100 * (t1.idle - t0.idle)) / span).toFixed(0)}%`)
console.log('environment                                        wall ms: median [min p10 p90 max] p90-p10    CPU ms: median [min p10 p90 max] p90-p10')
for (const [k, {ms, cpu}] of Object.entries(res)) console.log(`${k.padEnd(50)} ${row(ms).padEnd(40)} ${row(cpu)}`)
