#!/usr/bin/env node
// Bulk: tunadm apply and down of N devices (default 1000), side by side with ip doing the same work,
// in one run, inside a throwaway network namespace. Needs root and a build (npm run build).
// Usage: sudo node bench/bulk.mjs [--devices N] [--rounds R]
//
// Each round runs, in turn: the floor (node -e 0) before each tunadm command, tunadm apply creating N
// devices (each with an address, up), a no-op tunadm apply, tunadm down, then ip -batch creating the same
// and ip -batch deleting them one by one. Every ratio is taken within its round (the no-op apply's to the
// floor run just before it) and the median over rounds is reported, so a machine that drifts during the
// run moves both sides alike. Peak RSS is GNU time's %M.
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(root, 'bin', 'run.js')
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : dflt
}
const N = arg('--devices', 1000)
const ROUNDS = arg('--rounds', 3)
const ns = `tunadm-bulk-${process.pid}`
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-bulk-'))
const config = path.join(dir, 'tunadm.yaml')
const lock = path.join(dir, 'lock')
const names = Array.from({length: N}, (_, i) => `b${i}`)
const address = (i) => `10.${100 + (i >> 8)}.${i & 255}.1/24`

fs.writeFileSync(config, `version: 1\ndefaults: {mode: tap, user: 0, up: true}\ndevices:\n${names.map((n, i) => `  - {name: ${n}, addresses: [${address(i)}]}`).join('\n')}\n`)
const createBatch = path.join(dir, 'create.batch')
fs.writeFileSync(createBatch, names.map((n, i) => `tuntap add dev ${n} mode tap user 0\nlink set ${n} up\naddress add ${address(i)} dev ${n}`).join('\n') + '\n')
const deleteBatch = path.join(dir, 'delete.batch')
fs.writeFileSync(deleteBatch, names.map((n) => `link del ${n}`).join('\n') + '\n')

// NODE_EXTRA_CA_CERTS makes every Node start read a certificate bundle (~35 ms here): a fixed cost
// that would hide tunadm's own time in every ratio. Every process here runs without it.
const env = {...process.env, NO_COLOR: '1', TUNADM_LOCK: lock}
delete env.NODE_EXTRA_CA_CERTS
function timed(cmd, args) {
  const t = process.hrtime.bigint()
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], {encoding: 'utf8', env, maxBuffer: 64 << 20})
  const ms = Number(process.hrtime.bigint() - t) / 1e6
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-500)}`)
  const rssKb = Number(r.stderr.trim().split('\n').pop())
  return {ms, rssMb: rssKb / 1024}
}
const tunadm = (...args) => timed(process.execPath, [bin, ...args, '--config', config, '--netns', ns])
const ipBatch = (file) => timed('ip', ['-n', ns, '-batch', file])
const count = () => spawnSync('ip', ['-n', ns, '-o', 'link', 'show', 'type', 'tun'], {encoding: 'utf8'}).stdout.split('\n').filter(Boolean).length
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
function expectCount(n, after) {
  const c = count()
  if (c !== n) throw new Error(`after ${after}: ${c} devices, expected ${n}`)
}

spawnSync('ip', ['netns', 'add', ns], {stdio: 'inherit'})
const rounds = []
try {
  for (let r = 0; r < ROUNDS; r++) {
    const floor = () => timed(process.execPath, ['-e', '0']).ms
    const fCreate = floor()
    const create = tunadm('apply')
    expectCount(N, 'tunadm apply')
    const fNoop = floor()
    const noop = tunadm('apply')
    const fDown = floor()
    const down = tunadm('down')
    expectCount(0, 'tunadm down')
    const ipCreate = ipBatch(createBatch)
    expectCount(N, 'ip -batch create')
    const ipDelete = ipBatch(deleteBatch)
    expectCount(0, 'ip -batch delete')
    const f = fNoop
    rounds.push({f, fCreate, fDown, create, noop, down, ipCreate, ipDelete})
    process.stderr.write(`round ${r + 1}/${ROUNDS}: floor ${f.toFixed(0)} ms, create ${create.ms.toFixed(0)} vs ip ${ipCreate.ms.toFixed(0)}, no-op ${noop.ms.toFixed(0)}, down ${down.ms.toFixed(0)} vs ip ${ipDelete.ms.toFixed(0)}\n`)
  }
} finally {
  spawnSync('ip', ['netns', 'del', ns])
  fs.rmSync(dir, {recursive: true, force: true})
}

const med = (fn) => median(rounds.map(fn))
const rows = [
  ['apply, no-op, ' + N + ' devices', med((x) => x.noop.ms), `${med((x) => x.noop.ms / x.f).toFixed(2)}x node -e 0`, 'target <= 6x'],
  ['apply, creating ' + N, med((x) => x.create.ms), `${med((x) => x.create.ms / x.ipCreate.ms).toFixed(2)}x ip -batch (${med((x) => x.ipCreate.ms).toFixed(0)} ms)`, 'target <= 2x'],
  ['down, ' + N, med((x) => x.down.ms), `${med((x) => x.ipDelete.ms / x.down.ms).toFixed(1)}x faster than ip link del each (${med((x) => x.ipDelete.ms).toFixed(0)} ms)`, 'target >= 40x'],
]
console.log(`tunadm bulk benchmark: ${N} devices, ${ROUNDS} rounds, median of per-round ratios; node ${process.version}; NODE_EXTRA_CA_CERTS unset`)
for (const [what, ms, ratio, target] of rows) console.log(`${what.padEnd(30)} ${ms.toFixed(0).padStart(7)} ms   ${ratio}   (${target})`)
const peak = Math.max(...rounds.flatMap((x) => [x.create.rssMb, x.noop.rssMb, x.down.rssMb]))
console.log(`${'peak RSS of tunadm'.padEnd(30)} ${peak.toFixed(0).padStart(7)} MB   (target <= 100 MB)`)
console.log(`${'floor: node -e 0'.padEnd(30)} ${med((x) => x.f).toFixed(0).padStart(7)} ms`)
