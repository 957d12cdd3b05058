/**
 * A classic BPF socket filter (SO_ATTACH_FILTER) for the link watch: the kernel drops the announcements
 * of links tunadm has said it need not read, before they are queued on the socket. A down of 1000
 * devices is announced about 3000 times (each move into the private group, each device going down and
 * each deletion): every one was a recv() and a copy, only to be passed over by its ifindex.
 *
 * The filter drops what LinkWatch.drain's `skip` passes over unread, as the kernel sends it: a datagram
 * that is one RTM_NEWLINK or RTM_DELLINK (its length within the message's, aligned, and no shorter than
 * the message says) whose ifinfomsg names an ifindex of the set. Anything else (shorter, several
 * messages, malformed, another type, another link) is kept whole, for drain to judge. The ifindexes become ranges, searched as a binary tree of comparisons; the kernel takes at
 * most BPF_MAXINSNS (4096) instructions, so a set of more ranges than fit is filtered in part (the largest
 * ranges): what is kept is still passed over by drain's own check, as without a filter.
 */

const BPF_MAXINSNS = 4096
/** Ranges a program may hold: five instructions each, and the kernel charges a filter to the socket's option memory. */
export const FILTER_MAX_RANGES = 800

// Opcodes (linux/filter.h, linux/bpf_common.h).
const LD_LEN = 0x80 // A = the datagram's length
const LDB = 0x30 // A = byte at k
const LDH = 0x28 // A = big-endian u16 at k
const LSH = 0x64 // A <<= k
const OR_X = 0x4c // A |= X
const ADD = 0x04 // A += k
const AND = 0x54 // A &= k
const TAX = 0x07 // X = A
const ST = 0x02 // M[k] = A
const LDX_MEM = 0x61 // X = M[k]
const JA = 0x05 // pc += k
const JEQ = 0x15
const JGT = 0x25
const JGE = 0x35
const JGT_X = 0x2d
const JGE_X = 0x3d
const RET = 0x06

const KEEP = 0xffffffff // the whole datagram
const DROP = 0

/** One instruction: struct sock_filter {u16 code; u8 jt; u8 jf; u32 k}. */
type Insn = [code: number, jt: number, jf: number, k: number]

/** The ifindexes as sorted, disjoint [first, last] ranges. */
export function indexRanges(indexes: Iterable<number>): Array<[number, number]> {
  const sorted = Float64Array.from(indexes).sort()
  const out: Array<[number, number]> = []
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]
    const last = out[out.length - 1]
    if (last && v <= last[1] + 1) last[1] = Math.max(last[1], v)
    else out.push([v, v])
  }
  return out
}

/** A = the little-endian u32 at `at` (classic BPF reads words big-endian: the bytes are put together one by one). */
function loadLE32(at: number): Insn[] {
  return [
    [LDB, 0, 0, at + 3], [LSH, 0, 0, 8], [TAX, 0, 0, 0],
    [LDB, 0, 0, at + 2], [OR_X, 0, 0, 0], [LSH, 0, 0, 8], [TAX, 0, 0, 0],
    [LDB, 0, 0, at + 1], [OR_X, 0, 0, 0], [LSH, 0, 0, 8], [TAX, 0, 0, 0],
    [LDB, 0, 0, at], [OR_X, 0, 0, 0],
  ]
}

/**
 * A binary search of A among `ranges[from, to)`: a node drops when A is in its range, and goes on to the
 * ranges below or above it; an empty subtree keeps. Jumps only go forward, the far ones as JA (32-bit).
 */
function tree(ranges: Array<[number, number]>, from: number, to: number, out: Insn[]): void {
  if (from >= to) {
    out.push([RET, 0, 0, KEEP])
    return
  }
  const mid = (from + to) >>> 1
  const [lo, hi] = ranges[mid]
  const at = out.length
  out.push([JGE, 1, 0, lo], [JA, 0, 0, 0], [JGT, 1, 0, hi], [RET, 0, 0, DROP])
  tree(ranges, mid + 1, to, out) // above: right after the node
  out[at + 1][3] = out.length - (at + 2) // below: after the subtree above
  tree(ranges, from, mid, out)
}

/**
 * The program dropping the announcements of these ifindexes (at most `maxRanges` ranges of them, the
 * largest), as the bytes of a struct sock_filter array; undefined when there is nothing to drop.
 */
export function ignoreLinksProgram(indexes: Iterable<number>, maxRanges = FILTER_MAX_RANGES): Buffer | undefined {
  let ranges = indexRanges(indexes).filter(([lo]) => lo > 0 && lo <= 0x7fffffff)
  if (ranges.length === 0 || maxRanges < 1) return undefined
  if (ranges.length > maxRanges) {
    ranges = ranges.sort((a, b) => (b[1] - b[0]) - (a[1] - a[0])).slice(0, maxRanges).sort((a, b) => a[0] - b[0])
  }
  const p: Insn[] = []
  // The checks' jumps to the shared "keep" (0xff: patched once it is placed, within reach of their 8 bits).
  const checks: number[] = []
  p.push([LD_LEN, 0, 0, 0])
  checks.push(p.length); p.push([JGE, 0, 0xff, 16 + 8]) // nlmsghdr and the ifinfomsg up to its ifindex
  p.push(...loadLE32(0), [ST, 0, 0, 0], [ADD, 0, 0, 3], [AND, 0, 0, 0xfffffffc], [TAX, 0, 0, 0], [LD_LEN, 0, 0, 0])
  checks.push(p.length); p.push([JGT_X, 0xff, 0, 0]) // more than the first message (nlmsg_len aligned): kept
  p.push([LDX_MEM, 0, 0, 0])
  checks.push(p.length); p.push([JGE_X, 0, 0xff, 0]) // a message longer than the datagram: kept
  p.push([LDH, 0, 0, 4]) // nlmsg_type, little-endian in memory: read big-endian, 16 is 0x1000
  p.push([JEQ, 1, 0, 16 << 8]) // RTM_NEWLINK
  checks.push(p.length); p.push([JEQ, 0, 0xff, 17 << 8]) // RTM_DELLINK
  p.push(...loadLE32(16 + 4)) // ifi_index
  p.push([JA, 0, 0, 1])
  const keepAt = p.length
  p.push([RET, 0, 0, KEEP])
  for (const at of checks) {
    const off = keepAt - (at + 1)
    if (p[at][1] === 0xff) p[at][1] = off
    if (p[at][2] === 0xff) p[at][2] = off
  }
  tree(ranges, 0, ranges.length, p)
  if (p.length > BPF_MAXINSNS) return undefined
  const buf = Buffer.alloc(p.length * 8)
  for (let i = 0; i < p.length; i++) {
    const [code, jt, jf, k] = p[i]
    buf.writeUInt16LE(code, i * 8)
    buf[i * 8 + 2] = jt
    buf[i * 8 + 3] = jf
    buf.writeUInt32LE(k >>> 0, i * 8 + 4)
  }
  return buf
}
