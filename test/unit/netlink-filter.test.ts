/**
 * The link watch's socket filter (kernel/netlink-filter.ts), run here by a small classic BPF machine that
 * does what the kernel's does with the instructions the program uses (a load past the datagram's end
 * drops it, as in the kernel), and held to the rule it stands for: drop exactly a datagram that is one
 * RTM_NEWLINK or RTM_DELLINK of an ifindex of the set, which LinkWatch.drain would pass over unread.
 */
import fc from 'fast-check'
import {FILTER_MAX_RANGES, ignoreLinksProgram, indexRanges} from '../../src/kernel/netlink-filter'

/** Runs a struct sock_filter[] over a datagram: the number of bytes kept (0: dropped). */
function run(program: Buffer, packet: Buffer): number {
  let a = 0
  let x = 0
  const mem = new Array<number>(16).fill(0)
  const byte = (k: number) => (k < packet.length ? packet[k] : undefined)
  for (let pc = 0, steps = 0; pc < program.length / 8; pc++, steps++) {
    if (steps > 4096) throw new Error('no end')
    const code = program.readUInt16LE(pc * 8)
    const jt = program[pc * 8 + 2]
    const jf = program[pc * 8 + 3]
    const k = program.readUInt32LE(pc * 8 + 4)
    const jump = (cond: boolean) => { pc += cond ? jt : jf }
    switch (code) {
      case 0x80: a = packet.length; break
      case 0x30: { const b = byte(k); if (b === undefined) return 0; a = b; break }
      case 0x28: { const b0 = byte(k); const b1 = byte(k + 1); if (b0 === undefined || b1 === undefined) return 0; a = (b0 << 8) | b1; break }
      case 0x64: a = (a << k) >>> 0; break
      case 0x4c: a = (a | x) >>> 0; break
      case 0x04: a = (a + k) >>> 0; break
      case 0x54: a = (a & k) >>> 0; break
      case 0x07: x = a; break
      case 0x02: mem[k] = a; break
      case 0x61: x = mem[k]; break
      case 0x05: pc += k; break
      case 0x15: jump(a === k); break
      case 0x25: jump(a > k); break
      case 0x35: jump(a >= k); break
      case 0x2d: jump(a > x); break
      case 0x3d: jump(a >= x); break
      case 0x06: return k
      default: throw new Error(`opcode ${code.toString(16)} at ${pc}`)
    }
    if (pc + 1 > program.length / 8) throw new Error('jumped past the end')
  }
  throw new Error('fell off the end')
}

/** A datagram as the kernel sends an announcement: nlmsghdr (length, type), then an ifinfomsg with the ifindex at 4. */
function datagram(type: number, index: number, extra = 0, declared?: number): Buffer {
  const len = 16 + 16 + extra
  const b = Buffer.alloc(len)
  b.writeUInt32LE(declared ?? len, 0)
  b.writeUInt16LE(type, 4)
  b.writeInt32LE(index, 16 + 4)
  return b
}

/**
 * What drain() passes over unread (its header check, with JavaScript's 32-bit `&` as it is written there),
 * of a message no longer than its datagram: the filter leaves a malformed one to drain.
 */
function passedOver(set: ReadonlySet<number>, p: Buffer): boolean {
  if (p.length < 24) return false
  const len = p.readUInt32LE(0)
  if (((len + 3) & ~3) < p.length || len > p.length) return false
  const type = p.readUInt16LE(4)
  return (type === 16 || type === 17) && set.has(p.readInt32LE(20))
}

describe('the link watch\'s socket filter', () => {
  test('ranges: sorted, merged where they touch, duplicates once', () => {
    expect(indexRanges([7, 3, 4, 5, 9, 10, 3, 12])).toEqual([[3, 5], [7, 7], [9, 10], [12, 12]])
    expect(indexRanges([])).toEqual([])
    expect(ignoreLinksProgram([])).toBeUndefined()
  })

  test('drops exactly the announcements of the set\'s links, whatever the set and the datagram', () => {
    const sets = fc.oneof(
      fc.uniqueArray(fc.integer({min: 1, max: 5000}), {minLength: 1, maxLength: 300}),
      fc.tuple(fc.integer({min: 1, max: 100000}), fc.integer({min: 1, max: 1500})).map(([from, n]) => Array.from({length: n}, (_, i) => from + i)),
      fc.array(fc.tuple(fc.integer({min: 1, max: 3000}), fc.integer({min: 1, max: 40})), {minLength: 1, maxLength: 60})
        .map((runs) => runs.flatMap(([from, n]) => Array.from({length: n}, (_, i) => from + i))),
    )
    fc.assert(fc.property(sets, fc.array(fc.record({
      type: fc.constantFrom(16, 17, 16, 17, 18, 19, 2, 3, 0x1000, 0x1100),
      pick: fc.nat(), delta: fc.integer({min: -2, max: 2}), far: fc.integer({min: -5, max: 2 ** 31 - 1}),
      extra: fc.constantFrom(0, 1, 3, 4, 100, 1500), shape: fc.constantFrom('one', 'one', 'one', 'short', 'two', 'longer', 'huge'),
    }), {minLength: 1, maxLength: 40}), (indexes, packets) => {
      const set = new Set(indexes)
      const program = ignoreLinksProgram(set)!
      expect(program.length / 8).toBeLessThanOrEqual(4096)
      for (const p of packets) {
        const index = p.pick % 3 === 0 ? p.far : indexes[p.pick % indexes.length] + p.delta
        let b = datagram(p.type, index, p.extra)
        if (p.shape === 'short') b = b.subarray(0, 8 + (p.pick % 16))
        if (p.shape === 'two') b = Buffer.concat([b, datagram(p.type, index)]) // a second message: kept whole
        if (p.shape === 'longer') b = datagram(p.type, index, p.extra, 32 + p.extra + 4 + (p.pick % 100)) // declared past the end
        if (p.shape === 'huge') b = datagram(p.type, index, p.extra, 0xfffffffe) // wraps when aligned: kept
        const kept = run(program, b)
        expect([p.shape, p.type, index, kept === 0]).toEqual([p.shape, p.type, index, passedOver(set, b)])
        if (kept) expect(kept).toBe(0xffffffff)
      }
    }), {seed: 23, numRuns: 300})
  })

  test('more ranges than fit: the largest are filtered, the rest kept (drain passes over them itself)', () => {
    const scattered = Array.from({length: 1200}, (_, i) => 10 + i * 3) // 1200 ranges of one
    const run5 = Array.from({length: 5}, (_, i) => 100000 + i)
    const set = new Set([...scattered, ...run5])
    const program = ignoreLinksProgram(set)!
    expect(program.length / 8).toBeLessThanOrEqual(4096)
    let dropped = 0
    for (const i of set) if (run(program, datagram(16, i)) === 0) dropped++
    expect(dropped).toBe(FILTER_MAX_RANGES - 1 + 5)
    for (const i of run5) expect(run(program, datagram(17, i))).toBe(0)
    // Never a link outside the set.
    for (let i = 0; i < 4000; i++) if (!set.has(i)) expect(run(program, datagram(16, i))).toBe(0xffffffff)
  })
})
