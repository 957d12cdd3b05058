/** Tests clean up after themselves: the init generators' tests leave no tunadm-init-* directory in /tmp. */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {ROOT, sh} from '../helpers/kernel'

test('the init generators tests leave nothing in the temporary directory', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-hygiene-'))
  try {
    // jest's transform cache where this run keeps it (the default depends on TMPDIR, which the child has
    // elsewhere): a fresh one would transform the generators' whole source tree again, for seconds of CPU.
    const cache = require(require.resolve('jest-config', {paths: [require.resolve('jest', {paths: [ROOT]})]})).defaults.cacheDirectory as string
    const r = sh(process.execPath, [path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--silent', '--cacheDirectory', cache, path.join(ROOT, 'test', 'unit', 'init-generators.test.ts')], {env: {...process.env, TMPDIR: tmp}})
    expect(r.status).toBe(0)
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('tunadm-'))).toEqual([])
  } finally {
    fs.rmSync(tmp, {recursive: true, force: true})
  }
}, 120000)
