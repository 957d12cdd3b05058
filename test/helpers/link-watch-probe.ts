/**
 * Run inside a test's network namespace (bundled by test/integration/link-watch.test.ts).
 *
 * `watch SETS`: a LinkWatch, told to ignore the ifindexes of each set of SETS (JSON) in turn, then the
 * shell commands on stdin run, then one drain() without `skip`: what the kernel still delivered, as JSON.
 *
 * `byindex RCVBUF`: Netlink.linksByIndex of every link of a dump and of two ifindexes no link has, on a
 * socket whose receive buffer is set to RCVBUF bytes (0: left as it is): the ifindexes it answered, and
 * those of the dump, as JSON.
 */
import {execFileSync} from 'node:child_process'
import * as fs from 'node:fs'
import {LinkWatch, Netlink} from '../../src/kernel/netlink'
import {Link} from '../../src/kernel/netlink-codec'
import {setSocketInt} from '../../src/kernel/libc'
import * as C from '../../src/kernel/constants'

const [mode, arg] = process.argv.slice(2)
const sorted = (ls: Link[]) => [...new Set(ls.map((l) => l.index))].sort((a, b) => a - b)

if (mode === 'watch') {
  const sets = JSON.parse(arg) as number[][]
  const watch = new LinkWatch()
  const attached = sets.map((s) => watch.ignore(new Set(s)))
  execFileSync('sh', ['-e'], {input: fs.readFileSync(0), stdio: ['pipe', 'inherit', 'inherit']})
  const deleted: Link[] = []
  const changed = watch.drain(undefined, deleted)
  watch.close()
  process.stdout.write(JSON.stringify({attached, changed: changed && sorted(changed), deleted: sorted(deleted)}))
} else if (mode === 'byindex') {
  const nl = new Netlink()
  const all = sorted(nl.links())
  const SO_RCVBUF = 8
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  if (Number(arg) > 0) setSocketInt((nl as any).fd, C.SOL_SOCKET, SO_RCVBUF, Number(arg), 'setsockopt(SO_RCVBUF)')
  const answered = sorted(nl.linksByIndex([...all, 2_000_000_001, 2_000_000_002]))
  nl.close()
  process.stdout.write(JSON.stringify({all, answered}))
} else {
  throw new Error(`unknown mode ${mode}`)
}
