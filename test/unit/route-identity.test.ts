/**
 * One route identity for IPv4 and IPv6, in model/: destination and metric as the kernel keeps them (a
 * missing metric is 0 on IPv4 and 1024 on IPv6, and an IPv6 metric of 0 becomes 1024). The loader,
 * across devices, and the planner, on one device, use the same rule.
 */
import * as C from '../../src/kernel/constants'
import {Link, Route} from '../../src/kernel/netlink-codec'
import {ConfigError, parseConfig} from '../../src/config/load'
import {routeFacts, routeKey} from '../../src/model/desired'
import {parsePrefix} from '../../src/model/ip'
import {desiredFromFlags} from '../../src/services/desired'
import {plan} from '../../src/services/plan'
import {staticSnapshot} from '../../src/services/snapshot'

const config = (a: string, b: string) => `version: 1
defaults: {mode: tap, user: 0, up: true}
devices:
  - {name: tap0, addresses: ["fd00::1/64", 10.0.0.1/24], routes: [${a}]}
  - {name: tap1, addresses: ["fd01::1/64", 10.1.0.1/24], routes: [${b}]}
`
const problems = (text: string) => {
  try {
    parseConfig(text, '/c.yaml')
  } catch (err) {
    return (err as ConfigError).problems.map((p) => `${p.line}: ${p.message}`)
  }
  return []
}

describe('one route identity', () => {
  test.each([
    ['IPv6, no metric and metric 1024', '{to: "fd02::/64"}', '{to: "fd02::/64", metric: 1024}', '5: the route to fd02::/64 (metric 1024) is on both tap0 and tap1'],
    ['IPv6, metric 0 and no metric', '{to: "fd02::/64", metric: 0}', '{to: "fd02::/64"}', '5: the route to fd02::/64 (metric 1024) is on both tap0 and tap1'],
    ['IPv4, no metric and metric 0', '{to: 10.9.0.0/16}', '{to: 10.9.0.0/16, metric: 0}', '5: the route to 10.9.0.0/16 (metric 0) is on both tap0 and tap1'],
  ])('two devices with the same route are refused by the loader: %s', (_, a, b, message) => {
    expect(problems(config(a, b))).toEqual([expect.stringContaining(message)])
  })

  test('different metrics are different routes, on both families', () => {
    expect(problems(config('{to: "fd02::/64"}, {to: 10.9.0.0/16}', '{to: "fd02::/64", metric: 1}, {to: 10.9.0.0/16, metric: 1024}'))).toEqual([])
  })

  test('IPv6 metric 0 is the kernel\'s 1024 in the key, on one device too', () => {
    const key = (metric?: number) => routeKey(routeFacts({dst: parsePrefix('fd02::/64', 'to'), metric}))
    expect(key(0)).toBe(key(undefined))
    expect(key(1024)).toBe(key(undefined))
    expect(routeKey(routeFacts({dst: parsePrefix('10.9.0.0/16', 'to'), metric: 0}))).toBe(routeKey(routeFacts({dst: parsePrefix('10.9.0.0/16', 'to')})))
  })

  test('the planner: asking for metric 0 of an IPv6 route the kernel has at 1024 changes nothing', () => {
    const link: Link = {index: 3, name: 'tap0', flags: C.IFF_UP, hwType: 1, kind: 'tun', group: 0, mtu: 1500, tun: {type: 'tap', pi: false, vnetHdr: false, persist: true, multiQueue: false}}
    const route: Route = {family: 6, dst: 'fd02::', dstLen: 64, oif: 3, priority: 1024, table: C.RT_TABLE_MAIN, protocol: C.RTPROT_BOOT, scope: 0, type: C.RTN_UNICAST, flags: 0}
    const snap = staticSnapshot({links: [link], routes: [route], addresses: [{family: 6, index: 3, address: 'fd00::1', prefixLen: 64, scope: 0, flags: 0}]})
    expect(plan(snap, desiredFromFlags('tap0', {routes: ['fd02::/64 metric 0']}), {intent: 'set'}).action).toBe('unchanged')
    expect(plan(snap, desiredFromFlags('tap0', {delRoutes: ['fd02::/64 metric 0']}), {intent: 'set'}).steps.map((s) => s.label)).toEqual(['remove route fd02::/64'])
  })
})
