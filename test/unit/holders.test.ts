/**
 * The holder scan over a made-up /proc: the fdinfo "iff:" line names the device, other network
 * namespaces do not count, and a process whose fd links are refused (EACCES) is given up after the first.
 */
import {Host} from '../../src/system/host'
import {describeHolders, findHolders} from '../../src/system/holders'
import {holdersOf, queueState} from '../../src/model/device'

class FakeProc extends Host {
  readonly asked: string[] = []
  constructor(private readonly files: Record<string, string>, private readonly links: Record<string, string>, private readonly refused: string[], private readonly deviceNetns: Record<string, string | null> = {}) {
    super('/')
  }
  /** What TUNGETDEVNETNS would say for /proc/PID/fd/FD; null: it holds no device any more; absent: the kernel cannot be asked (not root). */
  tunDeviceNetns(pid: number, fd: number): string | null | undefined {
    return this.deviceNetns[`${pid}/${fd}`]
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

test('holders: named by fdinfo, from any namespace while unconfirmed; a refused process costs one readlink', () => {
  const links: Record<string, string> = {
    '/proc/10/ns/net': 'net:[1]', '/proc/10/fd/3': '/dev/net/tun', '/proc/10/fd/4': '/dev/null',
    '/proc/20/ns/net': 'net:[2]', '/proc/20/fd/3': '/dev/net/tun',
    '/proc/30/ns/net': 'net:[1]', '/proc/30/fd/0': '/dev/null', '/proc/30/fd/1': '/dev/null', '/proc/30/fd/2': '/dev/null',
  }
  const files = {'/proc/10/fdinfo/3': 'pos:\t0\niff:\ttap0\n', '/proc/10/comm': 'qemu\n', '/proc/20/fdinfo/3': 'iff:\ttap0\n', '/proc/20/comm': 'other\n'}
  const host = new FakeProc(files, links, ['/proc/30/fd/'])
  const holders = findHolders(host, 'net:[1]')
  expect([...holders.entries()]).toEqual([['tap0', [{pid: 10, command: 'qemu', fd: 3, device: 'tap0'}, {pid: 20, command: 'other', fd: 3, device: 'tap0', elsewhere: true}]]])
  expect(host.asked.filter((p) => p.startsWith('/proc/30/fd/'))).toHaveLength(1)
})

test("holders: the kernel places each fd's device in its namespace; the holder's own namespace does not decide", () => {
  // pid 10 runs here but its tap0 was moved to namespace 2; pid 20 (slirp4netns) runs in namespace 2 and
  // holds this namespace's tap0; pid 30 could not be asked.
  const links: Record<string, string> = {
    '/proc/10/ns/net': 'net:[1]', '/proc/10/fd/3': '/dev/net/tun',
    '/proc/20/ns/net': 'net:[2]', '/proc/20/fd/5': '/dev/net/tun',
    '/proc/30/ns/net': 'net:[1]', '/proc/30/fd/4': '/dev/net/tun',
  }
  const files = {'/proc/10/fdinfo/3': 'iff:\ttap0\n', '/proc/10/comm': 'qemu\n', '/proc/20/fdinfo/5': 'iff:\ttap0\n', '/proc/20/comm': 'slirp4netns\n', '/proc/30/fdinfo/4': 'iff:\ttap0\n', '/proc/30/comm': 'vde_switch\n'}
  const host = new FakeProc(files, links, [], {'10/3': 'net:[2]', '20/5': 'net:[1]'})
  const holders = findHolders(host, 'net:[1]').get('tap0')!
  expect(holders).toEqual([
    {pid: 20, command: 'slirp4netns', fd: 5, device: 'tap0', verified: true, elsewhere: true},
    {pid: 30, command: 'vde_switch', fd: 4, device: 'tap0'},
  ])
  expect(describeHolders(holders)).toBe('slirp4netns (pid 20, in another network namespace), vde_switch (pid 30)')
  // Seen from namespace 2: qemu holds its tap0, confirmed; slirp4netns's fd is namespace 1's device.
  expect(findHolders(host, 'net:[2]').get('tap0')).toEqual([{pid: 10, command: 'qemu', fd: 3, device: 'tap0', verified: true, elsewhere: true}, {pid: 30, command: 'vde_switch', fd: 4, device: 'tap0', elsewhere: true}])
})

test("holdersOf and queueState: the device's own counts judge unconfirmed holders; fds are not queues", () => {
  const elsewhere = {pid: 7, command: 'pasta', fd: 3, device: 'tap0', elsewhere: true}
  const here = {pid: 8, command: 'qemu', fd: 3, device: 'tap0'}
  const confirmed = {...here, verified: true}
  // A multi-queue device with no queue at all is held by nobody, whatever a name elsewhere says.
  expect(holdersOf({multiQueue: true, queues: 0, disabledQueues: 0}, [elsewhere, here])).toEqual([])
  expect(holdersOf({multiQueue: true, queues: 0, disabledQueues: 0}, [confirmed])).toEqual([confirmed])
  expect(holdersOf({multiQueue: true, queues: 1, disabledQueues: 0}, [elsewhere])).toEqual([elsewhere])
  // Single queue, carrier off: only a holder confirmed by the kernel (or one running here) holds it.
  expect(queueState({multiQueue: false, carrier: false, processes: [elsewhere]})).toEqual({enabled: 0, disabled: 0, held: false})
  expect(queueState({multiQueue: false, carrier: false, processes: [confirmed, confirmed, confirmed, confirmed]})).toEqual({enabled: 1, disabled: 0, held: true})
  expect(queueState({multiQueue: false, carrier: true, processes: []})).toEqual({enabled: 1, disabled: 0, held: true})
  expect(queueState({multiQueue: true, queues: 0, disabledQueues: 2, carrier: true, processes: [confirmed, confirmed]})).toEqual({enabled: 0, disabled: 2, held: true})
})

test("holders: another tunadm's moment-long copy of a holder's descriptor is not a second holder; a tunadm holding a device alone is named", () => {
  // pid 40 (tunadm, running in another namespace) has just copied slirp4netns's fd to ask the kernel about it.
  const links: Record<string, string> = {
    '/proc/20/ns/net': 'net:[2]', '/proc/20/fd/5': '/dev/net/tun',
    '/proc/40/ns/net': 'net:[3]', '/proc/40/fd/21': '/dev/net/tun',
    '/proc/50/ns/net': 'net:[1]', '/proc/50/fd/19': '/dev/net/tun',
  }
  const files = {
    '/proc/20/fdinfo/5': 'iff:\ttap0\n', '/proc/20/comm': 'slirp4netns\n',
    '/proc/40/fdinfo/21': 'iff:\ttap0\n', '/proc/40/comm': 'tunadm\n',
    '/proc/50/fdinfo/19': 'iff:\ttap9\n', '/proc/50/comm': 'tunadm\n',
  }
  const host = new FakeProc(files, links, [], {'20/5': 'net:[1]', '40/21': 'net:[1]', '50/19': 'net:[1]'})
  const holders = findHolders(host, 'net:[1]')
  expect(holders.get('tap0')).toEqual([{pid: 20, command: 'slirp4netns', fd: 5, device: 'tap0', verified: true, elsewhere: true}])
  expect(holders.get('tap9')).toEqual([{pid: 50, command: 'tunadm', fd: 19, device: 'tap9', verified: true}])
})

test('holders: a descriptor that holds no device any more by the time the kernel is asked (closed, its process gone) is left out; one the kernel cannot be asked about is kept', () => {
  const links: Record<string, string> = {
    '/proc/20/ns/net': 'net:[1]', '/proc/20/fd/5': '/dev/net/tun',
    '/proc/40/ns/net': 'net:[3]', '/proc/40/fd/21': '/dev/net/tun',
    '/proc/60/ns/net': 'net:[1]', '/proc/60/fd/7': '/dev/net/tun',
  }
  const files = {
    '/proc/20/fdinfo/5': 'iff:\ttap0\n', '/proc/20/comm': 'qemu\n',
    '/proc/40/fdinfo/21': 'iff:\ttap1\n', '/proc/40/comm': 'tunadm\n',
    '/proc/60/fdinfo/7': 'iff:\ttap2\n', '/proc/60/comm': 'vde_switch\n',
  }
  const host = new FakeProc(files, links, [], {'20/5': 'net:[1]', '40/21': null})
  expect([...findHolders(host, 'net:[1]').entries()]).toEqual([
    ['tap0', [{pid: 20, command: 'qemu', fd: 5, device: 'tap0', verified: true}]],
    ['tap2', [{pid: 60, command: 'vde_switch', fd: 7, device: 'tap2'}]],
  ])
})

test("holders: a process named tunadm is left out only beside a holder the kernel confirmed (any process may take the name)", () => {
  // tap0: pid 70 calls itself tunadm and is confirmed; the only other candidate, pid 80, could not be asked.
  const links: Record<string, string> = {
    '/proc/70/ns/net': 'net:[1]', '/proc/70/fd/4': '/dev/net/tun',
    '/proc/80/ns/net': 'net:[2]', '/proc/80/fd/4': '/dev/net/tun',
  }
  const files = {'/proc/70/fdinfo/4': 'iff:\ttap0\n', '/proc/70/comm': 'tunadm\n', '/proc/80/fdinfo/4': 'iff:\ttap0\n', '/proc/80/comm': 'pasta\n'}
  const holders = findHolders(new FakeProc(files, links, [], {'70/4': 'net:[1]'}), 'net:[1]').get('tap0')
  expect(holders).toEqual([{pid: 70, command: 'tunadm', fd: 4, device: 'tap0', verified: true}, {pid: 80, command: 'pasta', fd: 4, device: 'tap0', elsewhere: true}])
  expect(holdersOf({multiQueue: false}, holders!)).toHaveLength(2)
})
