/** The settings registry: what is derived from it, and the rules of its TUN flags. */
import {DEFAULT_KEYS, DEVICE_KEYS, BOOLEAN_KEYS} from '../../src/config/keys'
import {parseConfig} from '../../src/config/load'
import {generate} from '../../src/init'
import {SETTINGS, TUN_FLAGS, createFlags, flagOf, fieldOf, tunFlagProblems} from '../../src/model/settings'
import {tunFlagFlags} from '../../src/flags'
import Add from '../../src/commands/add'

const opts = {configPath: '/etc/tunadm/tunadm.yaml', tunadmPath: '/usr/bin/tunadm', standalone: false, resolveId: () => 0}

describe('the settings registry', () => {
  test('config keys, default keys and boolean keys are the registry\'s', () => {
    expect(DEVICE_KEYS).toEqual(SETTINGS.map((s) => s.key))
    expect(DEFAULT_KEYS).toEqual(SETTINGS.filter((s) => s.shared).map((s) => s.key))
    expect(BOOLEAN_KEYS).toEqual(['any_user', 'pi', 'vnet_hdr', 'multi_queue', 'napi', 'napi_frags', 'up', 'promisc', 'allmulti', 'arp', 'multicast'])
  })

  test('add has one flag per TUN flag, named from its key, with its help', () => {
    for (const s of TUN_FLAGS) {
      expect((Add.flags as Record<string, {summary?: string}>)[flagOf(s.key)].summary).toBe(s.help)
      expect(tunFlagFlags[flagOf(s.key)]).toBeDefined()
    }
    expect([flagOf('napi_frags'), fieldOf('napi_frags')]).toEqual(['napi-frags', 'napiFrags'])
  })

  test('TUNSETIFF flags: mode, no_pi unless pi, and each flag\'s bit', () => {
    expect(createFlags('tun', {})).toBe(0x1001)
    expect(createFlags('tap', {pi: true, vnet_hdr: true, multi_queue: true})).toBe(0x4102)
    expect(createFlags('tap', {napi: true, napi_frags: true})).toBe(0x1032)
  })

  test('napi_frags needs napi and a TAP device, as the kernel does (EINVAL otherwise)', () => {
    expect(tunFlagProblems('tap', {napi_frags: true}, 'tap0').map((p) => p.key)).toEqual(['napi_frags'])
    expect(tunFlagProblems('tun', {napi: true, napi_frags: true}, 'tun0')[0].message).toContain('is a TUN device')
    expect(tunFlagProblems('tap', {napi: true, napi_frags: true}, 'tap0')).toEqual([])
  })

  test('the loader reads napi like every boolean and applies the rule at its line', () => {
    const text = 'version: 1\ndevices:\n  - {name: tun0, mode: tun, user: 0, napi: true, napi_frags: true}\n'
    expect(() => parseConfig(text, '/c.yaml')).toThrow('/c.yaml:3:62: device tun0 is a TUN device and asks for napi_frags')
    expect(() => parseConfig(text.replace('napi: true', 'napi: yes'), '/c.yaml')).toThrow('napi is not true or false (YAML 1.2 reads yes as text)')
    expect(parseConfig(text.replace('tun0, mode: tun', 'tap0, mode: tap'), '/c.yaml').devices[0]).toMatchObject({napi: true, napi_frags: true})
  })

  test('boot targets that copy settings refuse napi with the reason; those that run tunadm take it', () => {
    const config = parseConfig('version: 1\ndevices:\n  - {name: tap0, mode: tap, user: 0, napi: true}\n', '/c.yaml')
    expect(() => generate('networkd', config, opts)).toThrow('systemd-networkd cannot express napi (tap0)')
    expect(() => generate('nm', config, opts)).toThrow('NetworkManager cannot express napi (tap0)')
    expect(() => generate('ifupdown', config, opts)).toThrow('ifupdown (ip commands) cannot express napi (tap0)')
    expect(() => generate('sysv', config, {...opts, standalone: true})).toThrow(expect.objectContaining({code: 'UNSUPPORTED_BY_TARGET', why: expect.stringContaining('ip tuntap add has no option for IFF_NAPI')}))
    for (const t of ['systemd', 'sysv', 'openrc']) expect(generate(t, config, opts).files.length).toBe(1)
  })
})
