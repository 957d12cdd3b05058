#!/usr/bin/env node
// Side-by-side timings of tunadm and ip tuntap, in one run, inside a throwaway network namespace.
// Usage: sudo node bench/run.mjs [--runs N]     (needs root; builds nothing: run npm run build first)
// Prints medians in milliseconds and the ratio to `ip` and to `node -e 0` (the floor for any Node CLI).
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import * as path from 'node:path'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(root, 'bin', 'run.js')
const runsArg = process.argv.indexOf('--runs')
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 21
const ns = `tunadm-bench-${process.pid}`

function run(cmd, args, input) {
  const r = spawnSync(cmd, args, {encoding: 'utf8', input, env: {...process.env, NO_COLOR: '1'}})
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`)
  return r
}
function time(cmd, args) {
  const t = process.hrtime.bigint()
  run(cmd, args)
  return Number(process.hrtime.bigint() - t) / 1e6
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const inNs = (cmd, args) => ['ip', ['netns', 'exec', ns, cmd, ...args]]
const tunadm = (...args) => [process.execPath, [bin, ...args, '--netns', ns]]

/** Median time of `fn` over RUNS runs, after one warm-up. */
function measure(fn) {
  fn()
  const xs = []
  for (let i = 0; i < RUNS; i++) xs.push(fn())
  return median(xs)
}

const rows = []
function row(what, tunadmMs, ipMs, floorMs) {
  rows.push({what, tunadm: tunadmMs, ip: ipMs, ratioIp: tunadmMs / ipMs, ratioFloor: tunadmMs / floorMs})
}

if (process.getuid() !== 0) {
  console.error('bench needs root (it creates devices in its own network namespace)')
  process.exit(2)
}
run('ip', ['netns', 'add', ns])
try {
  const floor = measure(() => time(process.execPath, ['-e', '0']))
  // add and del, measured separately (delete costs the kernel's unregister, whatever the tool)
  let addT = [], delT = [], ipAddT = [], ipDelT = []
  for (let i = 0; i < RUNS + 1; i++) {
    addT.push(time(...tunadm('add', 'tun77', '--user', '0')))
    delT.push(time(...tunadm('del', 'tun77')))
    ipAddT.push(time('ip', ['-n', ns, 'tuntap', 'add', 'dev', 'tun77', 'mode', 'tun', 'user', '0']))
    ipDelT.push(time('ip', ['-n', ns, 'tuntap', 'del', 'dev', 'tun77', 'mode', 'tun']))
  }
  ;[addT, delT, ipAddT, ipDelT] = [addT, delT, ipAddT, ipDelT].map((xs) => xs.slice(1))
  row('add', median(addT), median(ipAddT), floor)
  row('del', median(delT), median(ipDelT), floor)
  row('list, 0 devices', measure(() => time(...tunadm('list'))), measure(() => time('ip', ['-n', ns, 'tuntap', 'show'])), floor)
  const batch = Array.from({length: 1000}, (_, i) => `tuntap add dev bt${i} mode tap user 0`).join('\n') + '\n'
  run('ip', ['-n', ns, '-batch', '-'], batch)
  row('list, 1000 devices', measure(() => time(...tunadm('list'))), measure(() => time('ip', ['-n', ns, 'tuntap', 'show'])), floor)
  row('list --json, 1000 devices', measure(() => time(...tunadm('list', '--json'))), measure(() => time('ip', ['-n', ns, '-j', '-d', 'link', 'show'])), floor)
  console.log(`node ${process.version}, ${RUNS} runs each, medians in ms; node -e 0 = ${floor.toFixed(1)} ms`)
  console.log('operation                   tunadm      ip   tunadm/ip  tunadm/node')
  for (const r of rows) {
    console.log(`${r.what.padEnd(26)} ${r.tunadm.toFixed(1).padStart(7)} ${r.ip.toFixed(1).padStart(7)} ${r.ratioIp.toFixed(2).padStart(10)} ${r.ratioFloor.toFixed(2).padStart(12)}`)
  }
} finally {
  spawnSync('ip', ['netns', 'del', ns])
}
