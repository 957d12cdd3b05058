#!/usr/bin/env node
'use strict'
// Load a prebuilt bundle and hand over; nothing else happens here. Start-up time is a goal:
//   dist/fast-ID.js  hot command ID alone, without oclif: taken when the command word is ID;
//   dist/prebuilt.js  help pages, completion scripts and the version line, rendered at build time;
//   dist/fast.js  every hot command without oclif (for their aliases): taken when it can parse the
//                 arguments itself;
//   dist/doctor.js  tunadm doctor, the same way;
//   dist/cli.js   oclif and everything else, for help, versions and whatever the fast path declines;
//   dist/yaml.js  the YAML library, for the commands that read a config.
// Each is compiled with the V8 code cache made at build time (NAME.js.cache; a cache that does not fit
// this Node/V8 is ignored), and Node 22+ also keeps its own compile cache for modules loaded later.
const fs = require('node:fs')
const path = require('node:path')
const {Script} = require('node:vm')
// The CommonJS loader's Module class, as this module's own constructor: require('node:module') is the
// same class, but a first require of a built-in module from here also builds its ES module facade
// (0.3 ms of CPU at every start for node:module). Node 22+ enables its compile cache through it.
const Module = module.constructor
if (Number(process.versions.node.split('.')[0]) >= 22) require('node:module').enableCompileCache?.()

const loaded = new Map()
/**
 * dist/NAME.js, once; a bundle reaches the others through module.tunadmLoad (yaml, see src/config/yaml.ts).
 * With `ifAbsent`, that when there is no dist/NAME.js.
 */
function load(name, ...ifAbsent) {
  if (loaded.has(name)) return loaded.get(name)
  const file = path.join(__dirname, '..', 'dist', `${name}.js`)
  let source
  try {
    source = fs.readFileSync(file, 'utf8')
  } catch (e) {
    if (ifAbsent.length && e.code === 'ENOENT') return ifAbsent[0]
    throw e
  }
  let cachedData
  try {
    cachedData = fs.readFileSync(file + '.cache')
  } catch {}
  const script = new Script(Module.wrap(source), {filename: file, cachedData})
  const mod = new Module(file, module)
  mod.filename = file
  mod.tunadmLoad = load
  require.cache[file] = mod
  // The bundles other than oclif's require only built-in modules and packages, which this file's own
  // require finds as theirs would (dist/ and bin/ share the node_modules above them): a require of
  // their own costs ~0.15 ms of CPU at every start.
  let req = require
  if (name === 'cli') {
    mod.paths = Module._nodeModulePaths(path.dirname(file))
    req = Module.createRequire(file)
  }
  script.runInThisContext()(mod.exports, req, mod, file, path.dirname(file))
  mod.loaded = true
  loaded.set(name, mod.exports)
  return mod.exports
}

const argv = process.argv.slice(2)
// The command word: the first after any global flags (tunadm -n blue doctor), as src/cli/argv.ts reads them.
let i = 0
while (/^(--json|-j|--help|-h|--netns=.*)$/.test(argv[i] ?? '') || ((argv[i] === '--netns' || argv[i] === '-n') && ++i)) i++
const word = argv[i] ?? ''
const own = word === 'doctor' ? load('doctor') : /^[a-z]+$/.test(word) ? load(`fast-${word}`, null) : undefined
;(own ? own.run(argv) : load('prebuilt').run(argv).then((done) => done || load('fast').run(argv)))
  .then((done) => done || load('cli').run(__dirname))
