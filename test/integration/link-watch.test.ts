/**
 * The link watch's socket filter against the kernel: the announcements of the links it is told to
 * ignore are dropped before they reach the socket, every other one still arrives, a later set replaces
 * the earlier one, and a kernel that charges a filter to a small option memory (net.core.optmem_max,
 * 20 KB before 6.9: set so in the test's own namespace) gets a smaller filter, never one dropping more.
 * And down's check of the other links (Netlink.linksByIndex) among many of them, with the receive buffer
 * as it is and too small for a batch of answers.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {Netns, ROOT, describeKernel, json, sh} from '../helpers/kernel'

describeKernel('the link watch\'s filter', () => {
  let ns: Netns
  let dir: string
  let probe: string

  beforeAll(() => {
    ns = new Netns('watch')
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-watch-'))
    probe = path.join(dir, 'probe.js')
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    require('esbuild').buildSync({
      entryPoints: [path.join(ROOT, 'test', 'helpers', 'link-watch-probe.ts')], bundle: true, platform: 'node', target: 'node20',
      outfile: probe, external: ['koffi', '@koromix/*'], logLevel: 'error',
    })
  })
  afterAll(() => {
    ns?.remove()
    fs.rmSync(dir, {recursive: true, force: true})
  })
  beforeEach(() => {
    sh('ip', ['-n', ns.name, 'link', 'del', 'group', '5']) // what a failed test left (ENODEV when nothing)
  })

  /** `n` taps, up, in group 5: their ifindexes by name. */
  const make = (names: string[]): Map<string, number> => {
    fs.writeFileSync(path.join(dir, 'make'), names.map((d) => `tuntap add dev ${d} mode tap\nlink set ${d} up group 5\n`).join(''))
    ns.ip(['-batch', path.join(dir, 'make')])
    return new Map(ns.links().filter((l) => names.includes(l.ifname)).map((l) => [l.ifname, l.ifindex]))
  }
  /** The probe: ignore `sets` in turn, run `commands` (moves and deletes by ip), read what arrived. */
  const watch = (sets: number[][], commands: string): {attached: boolean[]; changed: number[]; deleted: number[]} => {
    const r = ns.exec(process.execPath, [probe, 'watch', JSON.stringify(sets)], {input: commands, env: {...process.env, NODE_PATH: path.join(ROOT, 'node_modules')}})
    if (r.status !== 0) throw new Error(`probe: ${r.status} ${r.stderr}`)
    return JSON.parse(r.stdout)
  }
  const moveAll = (names: string[], group: number) => names.map((d) => `ip link set dev ${d} group ${group}`).join('\n') + '\n'

  test('the ignored links\' moves and deletions are not delivered; every other link\'s are', () => {
    const names = Array.from({length: 12}, (_, i) => `w${i}`)
    const idx = make(names)
    const ignored = names.filter((_, i) => i % 3 !== 1).map((d) => idx.get(d)!) // ranges with gaps
    const rest = names.filter((_, i) => i % 3 === 1).map((d) => idx.get(d)!).sort((a, b) => a - b)
    const seen = watch([ignored], moveAll(names, 77) + 'ip link del group 77\n')
    expect(seen).toEqual({attached: [true], changed: rest, deleted: rest})
    expect(ns.links().filter((l) => names.includes(l.ifname))).toEqual([]) // all moved and deleted meanwhile
  })

  test('a later set replaces the earlier one: links left out of it are delivered again', () => {
    const names = ['x0', 'x1', 'x2', 'x3']
    const idx = make(names)
    const all = names.map((d) => idx.get(d)!)
    const seen = watch([all, [idx.get('x0')!, idx.get('x3')!]], moveAll(names, 78) + 'ip link del group 78\n')
    const back = [idx.get('x1')!, idx.get('x2')!].sort((a, b) => a - b)
    expect(seen).toEqual({attached: [true, true], changed: back, deleted: back})
  })

  test('a small option memory: a smaller filter (the largest ranges), never one dropping another link', () => {
    ns.exec('sysctl', ['-q', '-w', 'net.core.optmem_max=20480']) // this namespace's own (Linux 6.9+); elsewhere the host's, as it is
    const names = Array.from({length: 30}, (_, i) => `y${i}`)
    const idx = make(names)
    // 1200 ranges of one made-up ifindex each (far above any link here), then the taps as one range.
    const made = Array.from({length: 1200}, (_, i) => 1_000_000 + i * 2)
    const taps = names.map((d) => idx.get(d)!)
    const kept = names.filter((_, i) => i >= 20).map((d) => idx.get(d)!).sort((a, b) => a - b)
    const seen = watch([[...made, ...taps.slice(0, 20)]], moveAll(names, 79) + 'ip link del group 79\n')
    expect(seen).toEqual({attached: [true], changed: kept, deleted: kept})
  })

  test('down among 150 other links: the check of the others fits the receive buffer (it failed with ENOBUFS), one request for the group, the others stay', () => {
    fs.writeFileSync(path.join(dir, 'bridges'), Array.from({length: 150}, (_, i) => `link add zbr${i} type bridge\n`).join(''))
    ns.ip(['-batch', path.join(dir, 'bridges')])
    const config = path.join(dir, 'many.yaml')
    fs.writeFileSync(config, 'version: 1\ndefaults: {mode: tap, user: 0, up: true}\ndevices:\n  - {name: m0}\n  - {name: m1}\n  - {name: m2}\n')
    const env = {TUNADM_LOCK: path.join(dir, 'lock')}
    expect(ns.tunadm(['apply', '--config', config], {env}).status).toBe(0)
    const down = ns.tunadm(['down', '--config', config, '--json'], {env})
    expect([down.status, json(down).removedByGroup]).toEqual([0, true])
    const left = ns.links().map((l) => l.ifname)
    expect(left.filter((n) => n.startsWith('zbr'))).toHaveLength(150)
    expect(left.filter((n) => /^m\d$/.test(n))).toEqual([])
    const seen = byIndex(0)
    expect(seen.answered).toEqual(seen.all) // every link, once; the two made-up ifindexes are no error
    expect(seen.all.length).toBeGreaterThan(150)
  })

  test('a receive buffer too small for a batch of answers: the links are asked for again one at a time, the same answer', () => {
    const seen = byIndex(2304) // the kernel's least: no two links' answers fit
    expect(seen.answered).toEqual(seen.all)
  })

  const byIndex = (rcvbuf: number): {all: number[]; answered: number[]} => {
    const r = ns.exec(process.execPath, [probe, 'byindex', String(rcvbuf)], {env: {...process.env, NODE_PATH: path.join(ROOT, 'node_modules')}})
    if (r.status !== 0) throw new Error(`probe: ${r.status} ${r.stderr}`)
    return JSON.parse(r.stdout)
  }
})
