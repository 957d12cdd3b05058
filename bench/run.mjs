#!/usr/bin/env node
// Start-up and everyday commands: tunadm side by side with ip, in one run, inside a throwaway network
// namespace. Usage: sudo node bench/run.mjs [--rounds N]   (needs root and a build: npm run build)
//
// Every round runs, one after the other: the floor (node -e 0), the tunadm command, and the ip command
// that does the same work. Each ratio is taken within its round (tunadm / floor of that round, tunadm / ip
// of that round) and the median over rounds is reported, so a machine that speeds up or slows down during
// the run moves every side alike. Times are whole processes, start-up included. Peak RSS is GNU time's %M.
import {spawnSync} from 'node:child_process'
import * as path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(root, 'bin', 'run.js')
const arg = process.argv.indexOf('--rounds')
const ROUNDS = arg > 0 ? Number(process.argv[arg + 1]) : 21
const ns = `tunadm-bench-${process.pid}`
// Node reads NODE_EXTRA_CA_CERTS at every start (~35 ms here for the system bundle): a fixed cost that
// would hide tunadm's own start-up in both sides of every ratio. Every process here runs without it.
const env = {...process.env, NO_COLOR: '1'}
delete env.NODE_EXTRA_CA_CERTS

function run(cmd, args, input) {
  const r = spawnSync(cmd, args, {encoding: 'utf8', input, env})
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`)
  return r
}
/** Wall time of one whole process in ms, and its peak RSS in MB. */
function time(cmd, args, okStatus = [0]) {
  const t = process.hrtime.bigint()
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], {encoding: 'utf8', env, maxBuffer: 64 << 20})
  const ms = Number(process.hrtime.bigint() - t) / 1e6
  if (!okStatus.includes(r.status)) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`)
  return {ms, rss: Number(r.stderr.trim().split('\n').pop()) / 1024}
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const tunadm = (...args) => [process.execPath, [bin, ...args, '--netns', ns]]
const ip = (...args) => ['ip', ['-n', ns, ...args]]
const floor = () => time(process.execPath, ['-e', '0'])

/**
 * One case: per round, the floor, tunadm's command (then `after`), ip's command (then `ipAfter`), and,
 * with `kernelBase`, an ip command that does all but the kernel work of ip's (to take the kernel's own
 * time out: ip's command minus the base). Returns the medians of the per-round ratios and of the times.
 */
function measure(what, t, i, after = () => {}, ipAfter = () => {}, kernelBase) {
  const rounds = []
  for (let r = 0; r <= ROUNDS; r++) {
    const f = floor()
    const a = time(...t)
    after()
    const b = time(...i)
    ipAfter()
    const k = kernelBase ? b.ms - time(...kernelBase).ms : 0
    if (r > 0) rounds.push({f: f.ms, a: a.ms, b: b.ms, k, rss: a.rss}) // round 0 warms the caches
  }
  return {
    what,
    tunadm: median(rounds.map((x) => x.a)), ip: median(rounds.map((x) => x.b)), floor: median(rounds.map((x) => x.f)),
    ratioFloor: median(rounds.map((x) => x.a / x.f)), ratioIp: median(rounds.map((x) => x.a / x.b)), rss: Math.max(...rounds.map((x) => x.rss)),
    kernel: kernelBase ? median(rounds.map((x) => x.k)) : undefined,
    ratioFloorLessKernel: kernelBase ? median(rounds.map((x) => (x.a - x.k) / x.f)) : undefined,
  }
}

if (process.getuid() !== 0) {
  console.error('bench needs root (it creates devices in its own network namespace)')
  process.exit(2)
}
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
console.log(`node ${process.version}, ${ROUNDS} rounds, medians; ratios are medians of per-round ratios; NODE_EXTRA_CA_CERTS unset`)
console.log('operation                   tunadm ms    ip ms  floor ms  tunadm/ip  tunadm/floor  peak RSS MB   (ip side)')
const ipSide = {'add': 'ip tuntap add', 'del': 'ip tuntap del', 'list, 0 devices': 'ip tuntap show', '--help': 'ip -V', 'doctor, 0 devices': 'ip -d link show', 'completion bash': 'ip -V',
  'list, 1000 devices': 'ip tuntap show', 'show, 1000 devices': 'ip -d link show DEV', 'list --json, 1000 devices': 'ip -j -d link show type tun'}
for (const r of rows) {
  console.log(`${r.what.padEnd(26)} ${r.tunadm.toFixed(1).padStart(10)} ${r.ip.toFixed(1).padStart(8)} ${r.floor.toFixed(1).padStart(9)} ${r.ratioIp.toFixed(2).padStart(10)} ${r.ratioFloor.toFixed(2).padStart(13)} ${r.rss.toFixed(0).padStart(12)}   (${ipSide[r.what]})`)
}
for (const r of rows.filter((x) => x.kernel !== undefined)) {
  console.log(`${r.what}: the kernel's own work ${r.kernel.toFixed(1)} ms (ip side minus ip tuntap show); tunadm less it: ${r.ratioFloorLessKernel.toFixed(2)}x the floor`)
}
