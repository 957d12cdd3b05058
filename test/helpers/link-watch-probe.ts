/**
 * Run inside a test's network namespace (bundled by test/integration/link-watch.test.ts): a LinkWatch,
 * told to ignore the ifindexes of its argument's first set and then of its second (if any), then the
 * shell commands on stdin run, then one drain() without `skip`: what the kernel still delivered, as JSON.
 * Usage: node probe.js '[[1,2,3],[2]]' < commands
 */
import {execFileSync} from 'node:child_process'
import * as fs from 'node:fs'
import {LinkWatch} from '../../src/kernel/netlink'
import {Link} from '../../src/kernel/netlink-codec'

const sets = JSON.parse(process.argv[2]) as number[][]
const watch = new LinkWatch()
const attached = sets.map((s) => watch.ignore(new Set(s)))
execFileSync('sh', ['-e'], {input: fs.readFileSync(0), stdio: ['pipe', 'inherit', 'inherit']})
const deleted: Link[] = []
const changed = watch.drain(undefined, deleted)
watch.close()
process.stdout.write(JSON.stringify({
  attached,
  changed: changed && [...new Set(changed.map((l) => l.index))].sort((a, b) => a - b),
  deleted: [...new Set(deleted.map((l) => l.index))].sort((a, b) => a - b),
}))
