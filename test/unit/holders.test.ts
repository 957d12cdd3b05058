/**
 * The holder scan over a made-up /proc: the fdinfo "iff:" line names the device, other network
 * namespaces do not count, and a process whose fd links are refused (EACCES) is given up after the first.
 */
import {Host} from '../../src/system/host'
import {findHolders} from '../../src/system/holders'

class FakeProc extends Host {
  readonly asked: string[] = []
  constructor(private readonly files: Record<string, string>, private readonly links: Record<string, string>, private readonly refused: string[]) {
    super('/')
  }
  list(p: string): string[] {
    const prefix = p.endsWith('/') ? p : `${p}/`
    const names = new Set<string>()
    for (const k of [...Object.keys(this.files), ...Object.keys(this.links)]) if (k.startsWith(prefix)) names.add(k.slice(prefix.length).split('/')[0])
    return [...names]
  }
  read(p: string): string | undefined {
    return this.files[p]
  }
  readlinkOrCode(p: string): {target?: string; code?: string} {
    this.asked.push(p)
    if (this.refused.some((r) => p.startsWith(r))) return {code: 'EACCES'}
    return p in this.links ? {target: this.links[p]} : {code: 'ENOENT'}
  }
}

test('holders: named by fdinfo, in this namespace only; a refused process costs one readlink', () => {
  const links: Record<string, string> = {
    '/proc/10/ns/net': 'net:[1]', '/proc/10/fd/3': '/dev/net/tun', '/proc/10/fd/4': '/dev/null',
    '/proc/20/ns/net': 'net:[2]', '/proc/20/fd/3': '/dev/net/tun',
    '/proc/30/ns/net': 'net:[1]', '/proc/30/fd/0': '/dev/null', '/proc/30/fd/1': '/dev/null', '/proc/30/fd/2': '/dev/null',
  }
  const files = {'/proc/10/fdinfo/3': 'pos:\t0\niff:\ttap0\n', '/proc/10/comm': 'qemu\n', '/proc/20/fdinfo/3': 'iff:\ttap0\n', '/proc/20/comm': 'other\n'}
  const host = new FakeProc(files, links, ['/proc/30/fd/'])
  const holders = findHolders(host, 'net:[1]')
  expect([...holders.entries()]).toEqual([['tap0', [{pid: 10, command: 'qemu', fd: 3, device: 'tap0'}]]])
  expect(host.asked.filter((p) => p.startsWith('/proc/30/fd/'))).toHaveLength(1)
})
