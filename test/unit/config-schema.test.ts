/** The published JSON Schema: it accepts every shipped config, rejects what it can see, and lists the loader's keys. */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {DEFAULT_KEYS, DEVICE_KEYS, ROUTE_KEYS, TOP_LEVEL_KEYS} from '../../src/config/keys'
import {loadConfig} from '../../src/config/load'
import {configSchema, formatSchema} from '../../src/config/schema'
import {validateJson} from '../helpers/json-schema'

const ROOT = path.resolve(__dirname, '..', '..')
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'init', 'tunadm.schema.json'), 'utf8'))
const yamlToJs = (file: string) => (require('yaml') as typeof import('yaml')).parse(fs.readFileSync(file, 'utf8'))

/** Every config the project ships or tests with as valid. */
const CONFIGS = [path.join(ROOT, 'init', 'tunadm.example.yaml'), ...fs.readdirSync(path.join(ROOT, 'test', 'fixtures', 'config')).map((f) => path.join(ROOT, 'test', 'fixtures', 'config', f))]

describe('the JSON Schema', () => {
  test('is draft 2020-12', () => expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema'))

  test.each(CONFIGS.map((f) => [path.relative(ROOT, f)]))('accepts %s, which the loader accepts too', (rel) => {
    const file = path.join(ROOT, rel)
    expect(validateJson(schema, yamlToJs(file))).toEqual([])
    expect(() => loadConfig(file)).not.toThrow()
  })

  test('the example config names the schema for editors', () => {
    expect(fs.readFileSync(path.join(ROOT, 'init', 'tunadm.example.yaml'), 'utf8')).toMatch(/^# yaml-language-server: \$schema=\.\/tunadm\.schema\.json$/m)
  })

  test('is built from the settings registry (UPDATE_SCHEMA=1 rewrites it)', () => {
    const built = configSchema()
    if (process.env.UPDATE_SCHEMA) fs.writeFileSync(path.join(ROOT, 'init', 'tunadm.schema.json'), `${formatSchema(built)}\n`)
    expect(schema).toEqual(built)
  })

  test('lists exactly the keys the loader knows (they cannot drift apart)', () => {
    const keys = (o: {properties: object}) => Object.keys(o.properties).sort()
    expect(keys(schema)).toEqual([...TOP_LEVEL_KEYS].sort())
    expect(keys(schema.properties.defaults)).toEqual([...DEFAULT_KEYS].sort())
    expect(keys(schema.$defs.device)).toEqual([...DEVICE_KEYS].sort())
    expect(keys(schema.$defs.route)).toEqual([...ROUTE_KEYS].sort())
  })

  test.each([
    [{version: 2, devices: []}, 'expected 1'],
    [{version: 1}, 'devices is required'],
    [{version: 1, devices: [{name: 'tap0', mode: 'tap', group: 'kvm', vnet: true}]}, 'vnet is not allowed'],
    [{version: 1, devices: [{name: 'tap0', mode: 'eth'}]}, 'expected one of tun, tap'],
    [{version: 1, devices: [{name: 'tap0', user: 4294967295}]}, 'matches 0 of oneOf'],
    [{version: 1, devices: [{name: 'tap0', mtu: 67}]}, 'below 68'],
    [{version: 1, devices: [{name: 'tap0', mac: '01:00:5e:00:00:01'}]}, 'does not match'],
    [{version: 1, devices: [{name: 'tap0', pi: 'yes'}]}, 'expected boolean'],
    [{version: 1, devices: [{name: 'tap0', routes: [{via: '10.0.0.1'}]}]}, 'to is required'],
    [{version: 1, defaults: {mac: '52:54:00:00:00:01'}, devices: []}, 'mac is not allowed'],
  ])('rejects %j', (doc, msg) => {
    expect(validateJson(schema, doc).join('\n')).toContain(msg)
  })
})
