// jest's transform for TypeScript: esbuild (already what builds dist/), one file at a time, types ignored
// (tsc --noEmit checks them). ts-jest with isolatedModules did the same work, but each worker first loaded
// TypeScript's compiler (about a second of CPU) and a run from a fresh clone, whose transform cache is
// empty, transpiled the whole source tree that way: seconds per test file.
//
// A file that calls jest.mock() needs the call hoisted above its imports, which esbuild does not do:
// such a file (there is one) goes to ts-jest as before.
const crypto = require('node:crypto')
const esbuild = require('esbuild')

const HOISTED = /\bjest\.(mock|unmock|enableAutomock|disableAutomock|deepUnmock)\(/
const SELF = require('node:fs').readFileSync(__filename)
const TS_JEST_OPTIONS = {tsconfig: {module: 'commonjs', moduleResolution: 'node10', isolatedModules: true}}
let tsJest

const viaTsJest = () => (tsJest ??= require('ts-jest').default.createTransformer(TS_JEST_OPTIONS))

module.exports = {
  getCacheKey(source, file, options) {
    if (HOISTED.test(source)) return viaTsJest().getCacheKey(source, file, options)
    return crypto.createHash('sha256').update(`esbuild ${esbuild.version}\0${file}\0${options.configString}\0`).update(source).update(SELF).digest('hex')
  },
  process(source, file, options) {
    if (HOISTED.test(source)) return viaTsJest().process(source, file, options)
    const {code, map} = esbuild.transformSync(source, {loader: 'ts', format: 'cjs', target: 'node20', platform: 'node', sourcemap: 'external', sourcefile: file})
    return {code, map}
  },
}
