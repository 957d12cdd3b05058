/**
 * The environment knobs (TUNADM_MAX_DEVICES, TUNADM_MAX_CONFIG_BYTES, TUNADM_LOCK): a value that is not
 * what they take is refused with a message that names the variable, never ignored or half read.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {CAPS, loadConfig} from '../../src/config/load'
import {lockPathFromEnv, DEFAULT_LOCK_PATH} from '../../src/services/lock'

const saved = {...process.env}
afterEach(() => {
  for (const k of ['TUNADM_MAX_DEVICES', 'TUNADM_MAX_CONFIG_BYTES', 'TUNADM_LOCK']) {
    if (saved[k] === undefined) delete process.env[k]
    else process.env[k] = saved[k]
  }
})

function thrown(fn: () => unknown): {code?: string; exitCode?: number; message?: string} {
  try {
    fn()
  } catch (e) {
    return e as {code: string; exitCode: number; message: string}
  }
  return {}
}

describe('caps from the environment', () => {
  test.each(['abc', '0', '-1', '2.5', '1k', '', ' 5', '1e3', '99999999999999999999'])('TUNADM_MAX_DEVICES=%j and TUNADM_MAX_CONFIG_BYTES=%j are refused, naming the variable', (v) => {
    for (const [name, read] of [['TUNADM_MAX_DEVICES', () => CAPS.devices], ['TUNADM_MAX_CONFIG_BYTES', () => CAPS.bytes]] as const) {
      process.env[name] = v
      expect(thrown(read)).toMatchObject({code: 'INVALID_ENV', exitCode: 2, message: `${name}=${JSON.stringify(v)} is not a whole number above 0`})
      delete process.env[name]
    }
  })

  test('a valid value is taken, and loading a config says a bad one before reading the file', () => {
    process.env.TUNADM_MAX_DEVICES = '5'
    expect(CAPS.devices).toBe(5)
    delete process.env.TUNADM_MAX_DEVICES
    expect(CAPS.devices).toBe(16384)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-env-'))
    try {
      const file = path.join(dir, 'c.yaml')
      fs.writeFileSync(file, 'version: 1\ndevices: []\n')
      process.env.TUNADM_MAX_DEVICES = '1k'
      expect(thrown(() => loadConfig(file))).toMatchObject({code: 'INVALID_ENV', message: expect.stringContaining('TUNADM_MAX_DEVICES')})
    } finally {
      fs.rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('TUNADM_LOCK', () => {
  test('unset: the default; an absolute path: taken', () => {
    delete process.env.TUNADM_LOCK
    expect(lockPathFromEnv()).toBe(DEFAULT_LOCK_PATH)
    process.env.TUNADM_LOCK = '/tmp/x.lock'
    expect(lockPathFromEnv()).toBe('/tmp/x.lock')
  })

  test.each(['', 'x.lock', '/tmp/'])('TUNADM_LOCK=%j is refused, naming the variable', (v) => {
    process.env.TUNADM_LOCK = v
    expect(thrown(lockPathFromEnv)).toMatchObject({code: 'INVALID_ENV', exitCode: 2, message: expect.stringMatching(/^TUNADM_LOCK=/)})
  })
})
