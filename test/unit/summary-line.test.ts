/** The README says `npm test` ends with one line "N passed, N failed": jest's own summary must come before it. */
import {spawnSync} from 'node:child_process'
import * as path from 'node:path'

const ROOT = path.join(__dirname, '..', '..')

test('a jest run ends with the "N passed, N failed" line, after jest\'s own summary', () => {
  const jest = require.resolve('jest/bin/jest', {paths: [ROOT]})
  const r = spawnSync(process.execPath, [jest, '--ci', 'test/unit/marker.test.ts'], {cwd: ROOT, encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
  expect(r.status).toBe(0)
  const lines = r.stderr.trimEnd().split('\n')
  expect(lines.at(-1)).toMatch(/^[1-9]\d* passed, 0 failed$/)
  expect(lines.slice(0, -1).some((l) => /^Tests: +\d+ passed/.test(l))).toBe(true)
}, 60000)
