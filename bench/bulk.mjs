#!/usr/bin/env node
// Bulk: tunadm apply, list and down of N devices (default 1000), side by side with ip doing the same work,
// in one run, inside throwaway network namespaces. Needs root, python3 and a build (npm run build).
// Usage: sudo node bench/bulk.mjs [--devices N] [--rounds R] [--scale]
//
// Each round runs, in turn: tunadm apply creating N devices (each with an address, up), a no-op tunadm
// apply, tunadm list, tunadm down, then ip -batch creating the same devices (in one link group) and
// ip link del group removing them with one request, the kernel's own limit for deleting. Before each tunadm
// command the floor (node -e 0) runs. Every ratio is taken within its round and the median over rounds is
// reported with the lowest and highest round, in wall time and in CPU time (bench/measure.mjs).
//
// Then, at N devices, tunadm apply and down again with TUNADM_GROUP_DELETE=0: down deleting one by one
// (its fallback when the private group's check fails), the per-device loop the one request is held to;
// and ip -batch deleting the same devices one by one (one RTM_DELLINK each): the kernel's own ratio of a
// per-device loop to its group delete, the most any tool's one request can gain over a loop.
//
// --scale also runs every round at 4N devices, in a namespace of its own, and reports how each command's
// own cost (its time less the floor of its round) grows from N to 4N devices: linear is 4x.
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {fileURLToPath} from 'node:url'
import {benchEnv, machineLine, median, spread, timed} from './measure.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(root, 'bin', 'run.js')
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : dflt
}
const N = arg('--devices', 1000)
const ROUNDS = arg('--rounds', 3)
const SCALE = process.argv.includes('--scale')
const GROUP = 4242
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-bulk-'))
const env = benchEnv({TUNADM_LOCK: path.join(dir, 'lock')})

if (process.getuid() !== 0) {
  console.error('bench needs root (it creates devices in its own network namespaces)')
  process.exit(2)
}

/** One size: its namespace, config and ip batch files. */
function setup(n) {
  const ns = `tunadm-bulk-${process.pid}-${n}`
  const names = Array.from({length: n}, (_, i) => `b${i}`)
  const address = (i) => `10.${100 + (i >> 8)}.${i & 255}.1/24`
  const config = path.join(dir, `tunadm-${n}.yaml`)
  fs.writeFileSync(config, `version: 1\ndefaults: {mode: tap, user: 0, up: true}\ndevices:\n${names.map((d, i) => `  - {name: ${d}, addresses: [${address(i)}]}`).join('\n')}\n`)
  const create = path.join(dir, `create-${n}.batch`)
  fs.writeFileSync(create, names.map((d, i) => `tuntap add dev ${d} mode tap user 0\nlink set ${d} up group ${GROUP}\naddress add ${address(i)} dev ${d}`).join('\n') + '\n')
  const remove = path.join(dir, `remove-${n}.batch`)
  fs.writeFileSync(remove, names.map((d) => `link del dev ${d}`).join('\n') + '\n')
  spawnSync('ip', ['netns', 'add', ns], {stdio: 'inherit'})
  return {n, ns, config, create, remove}
}

function count(ns) {
  return spawnSync('ip', ['-n', ns, '-o', 'link', 'show', 'type', 'tun'], {encoding: 'utf8'}).stdout.split('\n').filter(Boolean).length
}
function expectCount(s, want, after) {
  const c = count(s.ns)
  if (c !== want) throw new Error(`after ${after}: ${c} devices, expected ${want}`)
}

const floor = () => timed(process.execPath, ['-e', '0'], {env})

/** One round at one size: every command once, each tunadm command after a floor of its own. */
function round(s) {
  const tunadm = (...args) => {
    const f = floor()
    return {f, t: timed(process.execPath, [bin, ...args, '--netns', s.ns], {env})}
  }
  const create = tunadm('apply', '--config', s.config)
  expectCount(s, s.n, 'tunadm apply')
  const noop = tunadm('apply', '--config', s.config)
  const list = tunadm('list')
  const down = tunadm('down', '--config', s.config)
  expectCount(s, 0, 'tunadm down')
  const ipCreate = timed('ip', ['-n', s.ns, '-batch', s.create], {env})
  expectCount(s, s.n, 'ip -batch create')
  const ipDown = timed('ip', ['-n', s.ns, 'link', 'del', 'group', String(GROUP)], {env})
  expectCount(s, 0, 'ip link del group')
  let downEach
  let ipEach
  if (s.n === N) {
    timed(process.execPath, [bin, 'apply', '--config', s.config, '--netns', s.ns], {env})
    expectCount(s, s.n, 'tunadm apply')
    downEach = timed(process.execPath, [bin, 'down', '--config', s.config, '--netns', s.ns], {env: {...env, TUNADM_GROUP_DELETE: '0'}})
    expectCount(s, 0, 'tunadm down, one by one')
    timed('ip', ['-n', s.ns, '-batch', s.create], {env})
    expectCount(s, s.n, 'ip -batch create')
    ipEach = timed('ip', ['-n', s.ns, '-batch', s.remove], {env})
    expectCount(s, 0, 'ip -batch link del, one by one')
  }
  return {create, noop, list, down, ipCreate, ipDown, downEach, ipEach}
}

const sizes = [setup(N), ...(SCALE ? [setup(4 * N)] : [])]
const rounds = sizes.map(() => [])
try {
  for (let r = 0; r < ROUNDS; r++) {
    sizes.forEach((s, i) => {
      const x = round(s)
      rounds[i].push(x)
      process.stderr.write(`round ${r + 1}/${ROUNDS}, ${s.n} devices: floor ${x.noop.f.ms.toFixed(0)} ms, create ${x.create.t.ms.toFixed(0)} vs ip ${x.ipCreate.ms.toFixed(0)}, ` +
        `no-op ${x.noop.t.ms.toFixed(0)}, list ${x.list.t.ms.toFixed(0)}, down ${x.down.t.ms.toFixed(0)} vs ip ${x.ipDown.ms.toFixed(0)}` +
        `${x.downEach ? `, down one by one ${x.downEach.ms.toFixed(0)}, ip one by one ${x.ipEach.ms.toFixed(0)}` : ''}\n`)
    })
  }
} finally {
  for (const s of sizes) spawnSync('ip', ['netns', 'del', s.ns])
  fs.rmSync(dir, {recursive: true, force: true})
}

console.log(`tunadm bulk benchmark: ${ROUNDS} rounds, medians of per-round ratios [lowest-highest round]; node ${process.version}; NODE_EXTRA_CA_CERTS unset`)
console.log(machineLine())
sizes.forEach((s, i) => {
  const rs = rounds[i]
  const ms = (fn) => median(rs.map(fn)).toFixed(0).padStart(6)
  console.log(`${s.n} devices                         ms   wall ratio            CPU ratio             target`)
  const rows = [
    [`apply, no-op`, ms((x) => x.noop.t.ms), rs.map((x) => x.noop.t.ms / x.noop.f.ms), rs.map((x) => x.noop.t.cpu / x.noop.f.cpu), 'x node -e 0', '<= 3x'],
    [`apply, creating`, ms((x) => x.create.t.ms), rs.map((x) => x.create.t.ms / x.ipCreate.ms), rs.map((x) => x.create.t.cpu / x.ipCreate.cpu), `x ip -batch (${ms((x) => x.ipCreate.ms).trim()} ms)`, '<= 1.15x'],
    [`down`, ms((x) => x.down.t.ms), rs.map((x) => x.down.t.ms / x.ipDown.ms), rs.map((x) => x.down.t.cpu / x.ipDown.cpu), `x ip link del group (${ms((x) => x.ipDown.ms).trim()} ms)`, '<= 1.5x'],
    ...(rs[0].downEach ? [
      [`down, one by one`, ms((x) => x.downEach.ms), rs.map((x) => x.downEach.ms / x.down.t.ms), rs.map((x) => x.downEach.cpu / x.down.t.cpu), 'x down (TUNADM_GROUP_DELETE=0: deleting each device; the kernel\'s ratio bounds it, no target since round 3)', '-'],
      [`ip, one by one`, ms((x) => x.ipEach.ms), rs.map((x) => x.ipEach.ms / x.ipDown.ms), rs.map((x) => x.ipEach.cpu / x.ipDown.cpu), 'x ip link del group (ip -batch, link del each: the kernel\'s own ratio, the bound of the row above)', '-'],
    ] : []),
    [`list`, ms((x) => x.list.t.ms), rs.map((x) => x.list.t.ms / x.list.f.ms), rs.map((x) => x.list.t.cpu / x.list.f.cpu), 'x node -e 0', '-'],
  ]
  for (const [what, t, wall, cpu, of, target] of rows) {
    console.log(`  ${what.padEnd(24)} ${t}   ${spread(wall).padEnd(20)}  ${spread(cpu).padEnd(20)}  ${target.padEnd(8)} ${of}`)
  }
  const peak = Math.max(...rs.flatMap((x) => [x.create.t.rssMb, x.noop.t.rssMb, x.list.t.rssMb, x.down.t.rssMb]))
  console.log(`  ${'peak RSS of tunadm'.padEnd(24)} ${peak.toFixed(0).padStart(6)} MB   (target <= 100 MB)`)
  console.log(`  ${'floor: node -e 0'.padEnd(24)} ${ms((x) => x.noop.f.ms)} ms wall, ${median(rs.map((x) => x.noop.f.cpu)).toFixed(0)} ms CPU`)
})
if (SCALE) {
  // Each command's own cost: its time less the floor of its round (Node's start does not grow with devices).
  const own = (x, k) => ({ms: x[k].t.ms - x[k].f.ms, cpu: x[k].t.cpu - x[k].f.cpu})
  console.log(`${4 * N} devices against ${N}: growth of each command's own cost (time less the floor), per round   (target <= 4.4x)`)
  for (const [what, k] of [['apply, no-op', 'noop'], ['apply, creating', 'create'], ['list', 'list'], ['down', 'down']]) {
    const ratio = (unit) => rounds[0].map((small, r) => own(rounds[1][r], k)[unit] / own(small, k)[unit])
    console.log(`  ${what.padEnd(24)} wall ${spread(ratio('ms')).padEnd(20)}  CPU ${spread(ratio('cpu'))}`)
  }
  // The same growth for ip doing the same work: what the kernel's own cost does from N to 4N devices.
  for (const [what, k] of [['ip -batch creating', 'ipCreate'], ['ip link del group', 'ipDown']]) {
    const ratio = (unit) => rounds[0].map((small, r) => rounds[1][r][k][unit] / small[k][unit])
    console.log(`  ${what.padEnd(24)} wall ${spread(ratio('ms')).padEnd(20)}  CPU ${spread(ratio('cpu'))}   (ip, for comparison)`)
  }
}
