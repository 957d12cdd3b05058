// What both benchmarks measure a process with, and how they sum up rounds.
//
// A whole process, start-up included: its wall time (a monotonic clock around fork and wait) and its CPU
// time (user + system, the kernel's own accounting of the finished child, from wait4(2), in microseconds;
// GNU time's %U/%S are rounded to 10 ms, too coarse for a 20 ms process) and its peak RSS. The child is
// started by a few lines of Python (python3 is on every machine these run on) that time nothing but it.
//
// On a machine others are using, wall times swing with their load while CPU times move much less (they
// still grow when the other hyperthread is busy): every row gives both, each a median of per-round ratios
// with its spread (lowest and highest round), so a quiet run and a loaded one can be told apart.
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'

const WRAPPER = `
import os, sys, time
t = time.monotonic_ns()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = (time.monotonic_ns() - t) / 1e6
sys.stderr.write('\\n%.3f %.3f %d\\n' % (wall, (ru.ru_utime + ru.ru_stime) * 1000, ru.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
`

// Node reads NODE_EXTRA_CA_CERTS at every start (~35 ms for the system bundle): a fixed cost that would hide
// tunadm's own start-up in both sides of every ratio. Every process here runs without it.
export function benchEnv(extra = {}) {
  const env = {...process.env, NO_COLOR: '1', ...extra}
  delete env.NODE_EXTRA_CA_CERTS
  return env
}

/**
 * Run one command to its end: {ms, cpu, rssMb}. Its output goes to a pipe (as in a script), not to a
 * terminal or /dev/null. Throws when the exit status is not one of `ok`.
 */
export function timed(cmd, args, {env, ok = [0], input} = {}) {
  const r = spawnSync('python3', ['-c', WRAPPER, cmd, ...args], {encoding: 'utf8', env, input, maxBuffer: 256 << 20})
  if (!ok.includes(r.status)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-800)}`)
  const [ms, cpu, rssKb] = r.stderr.trimEnd().split('\n').pop().split(' ').map(Number)
  return {ms, cpu, rssMb: rssKb / 1024}
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** "1.23 [1.10-1.40]": the median of per-round values and the lowest and highest round. */
export function spread(xs, digits = 2) {
  const s = [...xs].sort((a, b) => a - b)
  return `${median(xs).toFixed(digits)} [${s[0].toFixed(digits)}-${s[s.length - 1].toFixed(digits)}]`
}

/** The machine as the figures should be read: CPU model, cores, load, time stolen by the hypervisor. */
export function machineLine() {
  let model = '?'
  let cores = '?'
  let load = '?'
  let steal = ''
  try {
    const read = (f) => readFileSync(f, 'utf8')
    const cpuinfo = read('/proc/cpuinfo')
    model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? '?'
    const fam = /cpu family\s*:\s*(\d+)/.exec(cpuinfo)?.[1]
    const mod = /^model\s*:\s*(\d+)/m.exec(cpuinfo)?.[1]
    if (fam && mod) model += ` (family ${fam} model ${mod})`
    cores = String((cpuinfo.match(/^processor\s*:/gm) ?? []).length)
    load = read('/proc/loadavg').split(' ').slice(0, 3).join(' ')
    const stat = read('/proc/stat').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
    const total = stat.reduce((a, b) => a + b, 0)
    if (stat[7] !== undefined && total > 0) steal = `, steal since boot ${((100 * stat[7]) / total).toFixed(1)}%`
  } catch {}
  return `${model}, ${cores} cores, load ${load}${steal}`
}

/**
 * A warning (on stderr, so the rows stay as they are) when the machine is not quiet at the start: a 1-minute
 * load average above 0.5 on this kind of machine means another process shares the two cores, and every ratio
 * to the floor then comes out higher and wider (bench/README.md).
 */
export function warnIfBusy(limit = 0.5) {
  let load1 = 0
  try {
    load1 = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0])
  } catch {
    return
  }
  if (load1 > limit) {
    process.stderr.write(`warning: load average ${load1} at the start (above ${limit}): the machine is not quiet; CPU ratios come out higher and wider than on a quiet one, wall ratios much more so (bench/README.md)\n`)
  }
}

/**
 * A warning when node, in the environment the benchmark runs tunadm in, refuses the code cache of the fast
 * bundle: built by another Node, or V8 flags that differ between the build and this run (NODE_OPTIONS with
 * --max-old-space-size is one), and every start compiles again (add: about 10 ms of CPU more).
 */
export function warnIfCacheRefused(root, env) {
  const file = `${root}/dist/fast.js`
  const r = spawnSync(process.execPath, ['-e', `
    const fs = require('node:fs'), {Script} = require('node:vm'), Module = require('node:module')
    let cachedData
    try { cachedData = fs.readFileSync(process.argv[1] + '.cache') } catch { process.exit(3) }
    const s = new Script(Module.wrap(fs.readFileSync(process.argv[1], 'utf8')), {filename: process.argv[1], cachedData})
    process.exit(s.cachedDataRejected ? 4 : 0)`, file], {env})
  if (r.status === 3 || r.status === 4) {
    const what = r.status === 3 ? `no code cache beside ${file}` : `node refuses the code cache of ${file} (built by another Node, or V8 flags in NODE_OPTIONS that the build did not have)`
    process.stderr.write(`warning: ${what}: every start compiles tunadm again; rebuild with npm run build in this environment\n`)
  }
}
