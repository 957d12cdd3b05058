// Bundle src/ into dist/cli.js with esbuild: one file loads much faster than hundreds of modules.
// koffi (native) and the prompt library (loaded only on a TTY) stay external; yaml is bundled (apply and down
// read a config at every run, and one file loads much faster than its 72 modules).
import {build} from 'esbuild'

await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/cli.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minifySyntax: true,
  sourcemap: 'linked',
  external: ['koffi', '@inquirer/prompts', 'typescript', 'ts-node'],
  logLevel: 'warning',
})

// V8 code cache for bin/run.js: compile and run the bundle's top level once, then save what V8 compiled.
const {Script} = await import('node:vm')
const {default: Module} = await import('node:module')
const fs = await import('node:fs')
const path = await import('node:path')
const file = path.resolve('dist/cli.js')
const script = new Script(Module.wrap(fs.readFileSync(file, 'utf8')), {filename: file})
const mod = new Module(file)
mod.filename = file
mod.paths = Module._nodeModulePaths(path.dirname(file))
script.runInThisContext()(mod.exports, (id) => mod.require(id), mod, file, path.dirname(file))
fs.writeFileSync(file + '.cache', script.createCachedData())
