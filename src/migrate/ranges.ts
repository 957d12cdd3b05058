/**
 * Runs of devices that differ only by a number become one range entry (tap0 ... tap63 -> "tap{0..63}"),
 * the inverse of config/range.ts: expanding the range gives back exactly the names. Pure.
 */

interface Named {
  name: string
}

/** Settings that must differ per device: an entry with any of them is never part of a range. */
const SINGLE_ONLY = ['mac', 'addresses', 'peer', 'routes']

/**
 * Collapse runs of at least `min` devices whose entries are equal apart from a number in the name (its
 * last run of digits). Numbers written with a leading zero form runs only with numbers of the same width
 * ("vm{00..15}"), as brace expansion pads them. The order of the result follows the first of each run.
 */
export function collapseRanges<T extends Named>(devices: T[], min = 2): Array<T & {members?: string[]}> {
  const groups = new Map<string, Array<{d: T; n: number}>>()
  for (const d of devices) {
    const m = /^(.*?)(\d+)(\D*)$/.exec(d.name)
    if (!m || SINGLE_ONLY.some((k) => (d as Record<string, unknown>)[k] !== undefined) || d.name.includes('{')) continue
    const [, head, digits, tail] = m
    const padded = digits.length > 1 && digits.startsWith('0')
    const {name: _name, ...rest} = d as T & Record<string, unknown>
    const key = JSON.stringify([head, tail, padded ? digits.length : 'u', rest])
    const g = groups.get(key) ?? []
    g.push({d, n: Number(digits)})
    groups.set(key, g)
  }
  const runs = new Map<T, T[]>()
  for (const members of groups.values()) {
    const sorted = [...members].sort((a, b) => a.n - b.n)
    let run: typeof sorted = []
    const flush = () => {
      if (run.length >= min) runs.set(run[0].d, run.map((r) => r.d))
      run = []
    }
    for (const r of sorted) {
      if (run.length && r.n !== run[run.length - 1].n + 1) flush()
      run.push(r)
    }
    flush()
  }
  const inRun = new Set<T>()
  for (const members of runs.values()) for (const m of members) inRun.add(m)
  const out: Array<T & {members?: string[]}> = []
  for (const d of devices) {
    const members = runs.get(d)
    if (members) {
      const first = /^(.*?)(\d+)(\D*)$/.exec(members[0].name)!
      const last = /^(.*?)(\d+)(\D*)$/.exec(members[members.length - 1].name)!
      out.push({...d, name: `${first[1]}{${first[2]}..${last[2]}}${first[3]}`, members: members.map((m) => m.name)})
    } else if (!inRun.has(d)) out.push(d)
  }
  return out
}
