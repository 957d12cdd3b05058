#!/usr/bin/env node
// Start-up and everyday commands: tunadm side by side with ip, in one run, inside a throwaway network
// namespace. Usage: sudo node bench/run.mjs [--rounds N]   (needs root, python3 and a build: npm run build)
//
// Every round runs, one after the other: the floor (node -e 0), the tunadm command, and the ip command
// that does the same work. Each ratio is taken within its round (tunadm / floor of that round, tunadm / ip
// of that round) and the median over rounds is reported with the lowest and highest round, so a machine
// that speeds up or slows down during the run moves every side alike. Times are whole processes, start-up
// included, in wall time and in CPU time (bench/measure.mjs). Peak RSS is the kernel's maxrss.
import {spawnSync} from 'node:child_process'
import * as path from 'node:path'
import {fileURLToPath} from 'node:url'
import {benchEnv, machineLine, median, spread, timed, warnIfBusy, warnIfCacheRefused} from './measure.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(root, 'bin', 'run.js')
const arg = process.argv.indexOf('--rounds')
const ROUNDS = arg > 0 ? Number(process.argv[arg + 1]) : 21
const ns = `tunadm-bench-${process.pid}`
const env = benchEnv()

function run(cmd, args, input) {
  const r = spawnSync(cmd, args, {encoding: 'utf8', input, env})
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`)
  return r
}
const time = (cmd, args, ok = [0]) => timed(cmd, args, {env, ok})
const tunadm = (...args) => [process.execPath, [bin, ...args, '--netns', ns]]
const ip = (...args) => ['ip', ['-n', ns, ...args]]
const floor = () => time(process.execPath, ['-e', '0'])

/**
 * One case: per round, the floor, tunadm's command (then `after`), ip's command (then `ipAfter`), and,
 * with `kernelBase`, an ip command that does all but the kernel work of ip's (to take the kernel's own
 * time out: ip's command minus the base). Returns the per-round figures.
 */
function measure(what, t, i, after = () => {}, ipAfter = () => {}, kernelBase) {
  const rounds = []
  for (let r = 0; r <= ROUNDS; r++) {
    const f = floor()
    const a = time(...t)
    after()
    const b = time(...i)
    ipAfter()
    const base = kernelBase ? time(...kernelBase) : undefined
    if (r > 0) rounds.push({f, a, b, k: base ? b.ms - base.ms : 0, kCpu: base ? b.cpu - base.cpu : 0}) // round 0 warms the caches
  }
  const col = (fn) => rounds.map(fn)
  return {
    what, rounds,
    tunadm: median(col((x) => x.a.ms)), ip: median(col((x) => x.b.ms)), floor: median(col((x) => x.f.ms)),
    ipCpu: median(col((x) => x.b.cpu)), floorCpu: median(col((x) => x.f.cpu)),
    ratioFloor: col((x) => x.a.ms / x.f.ms), ratioIp: col((x) => x.a.ms / x.b.ms), cpuFloor: col((x) => x.a.cpu / x.f.cpu),
    rss: Math.max(...col((x) => x.a.rssMb)),
    kernel: kernelBase ? median(col((x) => x.k)) : undefined,
    lessKernel: kernelBase ? col((x) => (x.a.ms - x.k) / x.f.ms) : undefined,
    lessKernelCpu: kernelBase ? col((x) => (x.a.cpu - Math.max(0, x.kCpu)) / x.f.cpu) : undefined,
  }
}

if (process.getuid() !== 0) {
  console.error('bench needs root (it creates devices in its own network namespace)')
  process.exit(2)
}
warnIfBusy()
warnIfCacheRefused(root, env)
run('ip', ['netns', 'add', ns])
const rows = []
try {
  const del = () => run(...ip('tuntap', 'del', 'dev', 'tun77', 'mode', 'tun'))
  const add = () => run(...ip('tuntap', 'add', 'dev', 'tun77', 'mode', 'tun', 'user', '0'))
  rows.push(measure('add', tunadm('add', 'tun77', '--user', '0'), ip('tuntap', 'add', 'dev', 'tun77', 'mode', 'tun', 'user', '0'), del, del))
  add()
  // The kernel's own unregister time (~17 ms, an RCU grace period) is in both sides: ip tuntap del
  // minus ip tuntap show (the same start-up and netlink, no unregister) measures it in each round.
  rows.push(measure('del', tunadm('del', 'tun77'), ip('tuntap', 'del', 'dev', 'tun77', 'mode', 'tun'), add, add, ip('tuntap', 'show')))
  del()
  rows.push(measure('list, 0 devices', tunadm('list'), ip('tuntap', 'show')))
  rows.push(measure('--help', [process.execPath, [bin, '--help']], ['ip', ['-V']]))
  // doctor exits 1 when a check fails (on this machine: what the host's sysctls say), which is its answer.
  rows.push(measure('doctor, 0 devices', [...tunadm('doctor'), [0, 1]], ip('-d', 'link', 'show')))
  rows.push(measure('completion bash', [process.execPath, [bin, 'completion', 'bash']], ['ip', ['-V']]))
  const batch = Array.from({length: 1000}, (_, i) => `tuntap add dev bt${i} mode tap user 0`).join('\n') + '\n'
  run('ip', ['-n', ns, '-batch', '-'], batch)
  rows.push(measure('list, 1000 devices', tunadm('list'), ip('tuntap', 'show')))
  rows.push(measure('show, 1000 devices', tunadm('show', 'bt500'), ip('-d', 'link', 'show', 'bt500')))
  rows.push(measure('list --json, 1000 devices', tunadm('list', '--json'), ip('-j', '-d', 'link', 'show', 'type', 'tun')))
} finally {
  spawnSync('ip', ['netns', 'del', ns])
}
// The targets (tunadm / floor), for the rows that have one.
const targets = {'add': '<= 1.3x', 'list, 1000 devices': '<= 2x', 'list --json, 1000 devices': '<= 2.5x'}
console.log(`node ${process.version}, ${ROUNDS} rounds; medians of per-round ratios [lowest-highest round]; NODE_EXTRA_CA_CERTS unset`)
console.log(machineLine())
console.log('operation                  tunadm ms  ip ms  floor ms  tunadm/ip           wall/floor          CPU/floor           target  RSS MB  ip CPU ms  (ip side)')
const ipSide = {'add': 'ip tuntap add', 'del': 'ip tuntap del', 'list, 0 devices': 'ip tuntap show', '--help': 'ip -V', 'doctor, 0 devices': 'ip -d link show', 'completion bash': 'ip -V',
  'list, 1000 devices': 'ip tuntap show', 'show, 1000 devices': 'ip -d link show DEV', 'list --json, 1000 devices': 'ip -j -d link show type tun'}
for (const r of rows) {
  console.log(`${r.what.padEnd(26)} ${r.tunadm.toFixed(1).padStart(9)} ${r.ip.toFixed(1).padStart(6)} ${r.floor.toFixed(1).padStart(9)}  ${spread(r.ratioIp).padEnd(18)}  ${spread(r.ratioFloor).padEnd(18)}  ${spread(r.cpuFloor).padEnd(18)}  ${(targets[r.what] ?? '-').padStart(7)} ${r.rss.toFixed(0).padStart(7)}  ${r.ipCpu.toFixed(1).padStart(9)}  (${ipSide[r.what]})`)
}
for (const r of rows.filter((x) => x.kernel !== undefined)) {
  console.log(`${r.what}: the kernel's own work ${r.kernel.toFixed(1)} ms (ip side minus ip tuntap show); tunadm less it: ${spread(r.lessKernel)} x the floor in wall time, ${spread(r.lessKernelCpu)} in CPU time (target <= 1.3x)`)
}
{
  const all = rows.flatMap((r) => r.rounds.map((x) => x.f.cpu))
  console.log(`floor (node -e 0) CPU: median ${median(all).toFixed(1)} ms over every round [${Math.min(...all).toFixed(1)}-${Math.max(...all).toFixed(1)}]; 'ip CPU ms' is the ip side's CPU time, mostly the kernel's`)
}
