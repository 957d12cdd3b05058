/** README's config key table lists exactly the keys of the settings registry (and the top-level keys). */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {TOP_LEVEL_KEYS} from '../../src/config/keys'
import {SETTINGS} from '../../src/model/settings'

const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8')

function keyTable(): Map<string, string> {
  const lines = readme.split('\n')
  const start = lines.indexOf('| key | value | notes |')
  expect(start).toBeGreaterThan(0)
  const rows = new Map<string, string>()
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break
    const [keys, ...rest] = line.split('|').slice(1)
    for (const m of keys.matchAll(/`([a-z_]+)`/g)) rows.set(m[1], rest.join('|'))
  }
  return rows
}

describe('README\'s key table', () => {
  test('has a row for every registry setting and top-level key, and no other', () => {
    expect([...keyTable().keys()].sort()).toEqual([...TOP_LEVEL_KEYS, ...SETTINGS.map((s) => s.key)].sort())
  })

  test('says which keys defaults: cannot set, as the registry does', () => {
    const except = [...keyTable().get('defaults')!.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).sort()
    expect(except).toEqual(SETTINGS.filter((s) => !s.shared).map((s) => s.key).sort())
  })
})
