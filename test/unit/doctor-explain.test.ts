/** --explain: each pasted message maps to its causes, verified against a fixture machine. */
import {contextFrom, NetFacts} from '../../src/doctor/context'
import {deviceInMessage, explainMessage, Explanation} from '../../src/doctor/explain'
import type {TunDevice} from '../../src/model/device'
import {FixtureHost, NODE, STATUS, cleanupTrees, fixtureTree} from '../helpers/fixture-host'

afterAll(cleanupTrees)

const tap6: TunDevice = {
  name: 'tap6', index: 7, mode: 'tap', pi: false, vnetHdr: false, multiQueue: false, persist: true, owner: {id: 0, name: 'root'}, group: null,
  anyUserMayAttach: false, up: false, carrier: false, flags: [], queues: 0, addresses: [], routes: [],
}
const tun9: TunDevice = {...tap6, name: 'tun9', index: 8, mode: 'tun', up: true, carrier: true, queues: 1, owner: {id: 1000, name: 'alice'}}
const NET: NetFacts = {devices: [tap6, tun9], links: [{name: 'tap6', kind: 'tun'}, {name: 'tun9', kind: 'tun'}, {name: 'br0', kind: 'bridge'}], routes: []}

function explain(message: string, host: FixtureHost = fixtureTree(), user?: string, device?: string): Explanation {
  const ctx = contextFrom(host, NET, {user, features: {error: 'not asked'}})
  return explainMessage(message, {ctx, net: NET, device})
}
const verdicts = (e: Explanation) => Object.fromEntries(e.patterns.flatMap((p) => p.causes.map((c) => [c.id, c.verdict])))
const cause = (e: Explanation, id: string) => e.patterns.flatMap((p) => p.causes).find((c) => c.id === id)!

describe('doctor --explain', () => {
  test('socat: unknown device/address "tun"', () => {
    const e = explain('2024/01/01 12:00:00 socat[123] E unknown device/address "tun"')
    expect(e.patterns.map((p) => p.id)).toEqual(['socat-no-tun'])
    expect(cause(e, 'socat-built-without-tun').fix.commands).toContain('socat -V | grep -i tun')
  })

  test('socat: open /dev/net/tun, No such file or directory: checks the node and the driver', () => {
    const msg = '... E open("/dev/net/tun", 02, 0666): No such file or directory'
    const here = explain(msg)
    expect(here.errno).toBe('ENOENT')
    expect(verdicts(here)).toEqual({'node-missing': 'unlikely', 'driver-missing': 'unlikely'})
    const gone = explain(msg, fixtureTree({'dev/net/tun.json': null, 'proc/misc': ''}))
    expect(verdicts(gone)).toEqual({'node-missing': 'likely', 'driver-missing': 'likely'})
    expect(cause(gone, 'node-missing').fix.commands).toContain('mkdir -p /dev/net && mknod /dev/net/tun c 10 200 && chmod 0666 /dev/net/tun')
  })

  test('socat: open /dev/net/tun, Permission denied: the node mode against the caller or --user', () => {
    const msg = '... E open("/dev/net/tun", 02, 0666): Permission denied'
    expect(verdicts(explain(msg))['node-mode']).toBe('unlikely') // root can open it
    const asNobody = explain(msg, fixtureTree({'proc/self/status': STATUS(65534, '0')}))
    expect(cause(asNobody, 'node-mode')).toMatchObject({verdict: 'likely', detail: expect.stringContaining('mode 0600')})
    expect(verdicts(explain(msg, fixtureTree(), 'alice'))['node-mode']).toBe('likely')
    expect(verdicts(explain(msg, fixtureTree({'dev/net/tun.json': NODE('0666')}), 'alice'))['node-mode']).toBe('unlikely')
  })

  test('ip: ioctl(TUNSETIFF): Device or resource busy, without and with a device name', () => {
    const anon = explain('ioctl(TUNSETIFF): Device or resource busy')
    expect(anon.patterns.map((p) => p.id)).toEqual(['setiff-busy'])
    expect(cause(anon, 'single-queue-held').detail).toBe('held now: tun9 by openvpn (pid 4242)')
    const named = explain('ioctl(TUNSETIFF): Device or resource busy', fixtureTree(), undefined, 'tun9')
    expect(cause(named, 'single-queue-held')).toMatchObject({verdict: 'likely', detail: 'tun9 is held by openvpn (pid 4242) and is single-queue'})
    expect(cause(named, 'name-taken').verdict).toBe('likely')
    expect(cause(named, 'single-queue-held').fix.commands[0]).toBe('tunadm show tun9')
  })

  test('ip: Operation not permitted; openvpn and qemu name the device', () => {
    expect(verdicts(explain('ioctl(TUNSETIFF): Operation not permitted', fixtureTree({'proc/self/status': STATUS(1001, '0')})))['no-cap-net-admin']).toBe('likely')
    const ovpn = explain('Cannot ioctl TUNSETIFF tun9: Operation not permitted (errno=1)', fixtureTree(), 'bob')
    expect(ovpn.device).toBe('tun9')
    expect(cause(ovpn, 'not-owner')).toMatchObject({verdict: 'likely', detail: 'bob is not admitted to tun9: the owner is alice'})
    expect(verdicts(explain('Cannot ioctl TUNSETIFF tun9: Operation not permitted (errno=1)', fixtureTree(), 'alice'))['not-owner']).toBe('unlikely')
    const qemu = explain('qemu-system-x86_64: -netdev tap,id=n0,ifname=tap0: could not configure /dev/net/tun (tap0): Operation not permitted')
    expect(qemu).toMatchObject({device: 'tap0', errno: 'EPERM', patterns: [expect.objectContaining({id: 'setiff-eperm'})]})
  })

  test('ip: Invalid argument: the device\'s real mode and flags', () => {
    const e = explain('ioctl(TUNSETIFF): Invalid argument', fixtureTree(), undefined, 'tap6')
    expect(cause(e, 'mode-or-queue-mismatch').detail).toBe('tap6 is a tap device without multi_queue: a program must ask for IFF_TAP without IFF_MULTI_QUEUE (IFF_NO_PI and IFF_VNET_HDR are its own choice: the kernel follows what it asks)')
    expect(cause(explain('ioctl(TUNSETIFF): Invalid argument', fixtureTree(), undefined, 'br0'), 'not-tun')).toMatchObject({verdict: 'likely', detail: 'br0 is bridge, not TUN/TAP'})
    expect(explain('could not configure /dev/net/tun (tap6): Invalid argument').device).toBe('tap6')
  })

  test('tunctl messages', () => {
    expect(explain('TUNSETIFF: Device or resource busy').patterns[0].id).toBe('setiff-busy')
    expect(explain('TUNSETPERSIST: Operation not permitted').patterns.map((p) => p.id)).toEqual(['tun-ioctl-eperm'])
    expect(explain("Failed to open '/dev/net/tun' : Permission denied").patterns[0].id).toBe('open-node-denied')
  })

  test('write on a down device (EIO) and an unknown message', () => {
    expect(cause(explain('write to tun: Input/output error', fixtureTree(), undefined, 'tap6'), 'device-down')).toMatchObject({verdict: 'likely', fix: {commands: ['sudo tunadm set tap6 --up']}})
    const unknown = explain('segmentation fault in libfoo')
    expect(unknown).toMatchObject({recognised: false, patterns: []})
  })

  test('device names in messages', () => {
    expect(deviceInMessage('Cannot ioctl TUNSETIFF tun0: Operation not permitted (errno=1)')).toBe('tun0')
    expect(deviceInMessage('could not configure /dev/net/tun (tap0): Invalid argument')).toBe('tap0')
    expect(deviceInMessage('ioctl(TUNSETIFF): Device or resource busy')).toBeUndefined()
    expect(deviceInMessage('open("/dev/net/tun", 02, 0666): No such file or directory')).toBeUndefined()
  })

  test('socat\'s own words: the device in {"tun77"}; its SIOCSIFFLAGS EPERM says what can help', () => {
    const busy = 'socat[1234] E ioctl(5, TUNSETIFF, {"tun77"}: Device or resource busy'
    expect(deviceInMessage(busy)).toBe('tun77')
    expect(deviceInMessage('socat[21359] E ioctl(6, SIOCSIFFLAGS, {"tun4", 4241}: Operation not permitted')).toBe('tun4')
    const flags = explain('socat[99] E ioctl(5, SIOCSIFFLAGS, {"tun77", 4241}: Operation not permitted')
    expect(flags.patterns.map((p) => p.id)).toEqual(['socat-set-flags-eperm'])
    const c = cause(flags, 'socat-needs-cap')
    expect(c.text).toContain('making the user the owner cannot help')
    expect(c.text).toContain('even without iff-up')
    expect(c.fix.commands.join('\n')).toMatch(/tunadm set tun77 --address [\s\S]*--up[\s\S]*setcap cap_net_admin/)
  })

  test('QEMU and OpenVPN never ask for IFF_TUN_EXCL: for their busy message, a taken name is unlikely', () => {
    const qemu = explain('qemu-system-x86_64: -netdev tap,id=n0,ifname=tap0,script=no,downscript=no: could not configure /dev/net/tun (tap0): Device or resource busy')
    expect(qemu.device).toBe('tap0')
    expect(verdicts(qemu)['name-taken']).toBe('unlikely')
    expect(verdicts(explain('Cannot ioctl TUNSETIFF tap0: Device or resource busy (errno=16)'))['name-taken']).toBe('unlikely')
  })

  test('EBUSY per program: only a program that creates (ip tuntap add) can meet a taken name; a held device is not offered for deletion', () => {
    // tun9 is single-queue and held by openvpn (pid 4242) in the fixture.
    for (const [msg, program] of [
      ['TUNSETIFF: Device or resource busy', 'tunctl'],
      ['vde_switch: TUNSETIFF failed Device or resource busy\nvde_switch: ERROR OPENING tap interface: tun9', 'vde_switch'],
      ['2026-12-03 10:46:06 tinc[19402]: Error while trying to configure /dev/net/tun: Device or resource busy', 'tincd'],
      ['error when opening tun: Device or resource busy', 'iodined'],
      ['OSError: [Errno 16] Device or resource busy', 'a Python program (fcntl.ioctl TUNSETIFF)'],
    ]) {
      const e = explain(msg, fixtureTree(), undefined, 'tun9')
      expect({msg, patterns: e.patterns.map((p) => p.id)}).toEqual({msg, patterns: ['setiff-busy']})
      expect({msg, v: verdicts(e)}).toEqual({msg, v: {'single-queue-held': 'likely', 'name-taken': 'unlikely'}})
      expect(cause(e, 'name-taken').detail).toBe(`${program} attaches to an existing device and never asks for IFF_TUN_EXCL`)
      expect({msg, del: JSON.stringify(e).includes('tunadm del')}).toEqual({msg, del: false})
    }
    // vde_switch names the device on its second line.
    expect(explain('vde_switch: TUNSETIFF failed Device or resource busy\nvde_switch: ERROR OPENING tap interface: tun9').device).toBe('tun9')
    const ip = explain('ioctl(TUNSETIFF): Device or resource busy', fixtureTree(), undefined, 'tun9')
    expect(cause(ip, 'name-taken')).toMatchObject({verdict: 'likely', fix: {commands: ['tunadm show tun9']}})
    expect(JSON.stringify(ip)).not.toContain('tunadm del')
    // An idle device of that name: deleting it first is offered.
    expect(cause(explain('ioctl(TUNSETIFF): Device or resource busy', fixtureTree(), undefined, 'tap6'), 'name-taken').fix.commands).toContain('sudo tunadm del tap6')
  })

  test('messages once unknown although errno and device were parsed', () => {
    const py = explain('PermissionError: [Errno 1] Operation not permitted', fixtureTree({'proc/self/status': STATUS(1001, '0')}), undefined, 'tun9')
    expect(py.recognised).toBe(true)
    expect(py.patterns.map((p) => p.id)).toEqual(['setiff-eperm'])
    expect(verdicts(py)['no-cap-net-admin']).toBe('likely')
    const q = explain('ioctl(TUNSETQUEUE): Invalid argument', fixtureTree(), undefined, 'tap6')
    expect(q.patterns.map((p) => p.id)).toEqual(['setqueue-einval'])
    expect(cause(q, 'not-multi-queue')).toMatchObject({verdict: 'likely', detail: 'tap6 is single-queue'})
    expect(explain('error when opening tun: Device or resource busy').recognised).toBe(true)
  })

  test('tunctl on a TUN device: tunctl handles only TAP devices, and what to use instead', () => {
    const e = explain('TUNSETIFF: Invalid argument', fixtureTree(), undefined, 'tun9')
    expect(e.patterns.map((p) => p.id)).toEqual(['tunctl-einval', 'setiff-einval'])
    expect(cause(e, 'tunctl-tap-only')).toMatchObject({verdict: 'likely', detail: 'tun9 is a TUN device'})
    expect(cause(e, 'tunctl-tap-only').fix.commands).toContain('sudo tunadm del tun9')
    expect(cause(explain('TUNSETIFF: Invalid argument', fixtureTree(), undefined, 'tap6'), 'tunctl-tap-only').verdict).toBe('unlikely')
    // ip's own message is not tunctl's.
    expect(explain('ioctl(TUNSETIFF): Invalid argument').patterns.map((p) => p.id)).toEqual(['setiff-einval'])
  })

  test('socat\'s SIOCSIFFLAGS EPERM as a user without CAP_NET_ADMIN: LIKELY, checked', () => {
    const e = explain('socat[99] E ioctl(5, SIOCSIFFLAGS, {"tun77", 4241}: Operation not permitted', fixtureTree(), 'nobody')
    expect(cause(e, 'socat-needs-cap')).toMatchObject({verdict: 'likely', detail: 'nobody does not have CAP_NET_ADMIN'})
  })
})
