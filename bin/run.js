#!/usr/bin/env node
'use strict'
// Load the prebuilt bundle and hand over to oclif; nothing else happens here.
// Start-up time is a goal: the bundle is compiled with V8's code cache made at build time
// (dist/cli.js.cache; a cache that does not fit this Node/V8 is ignored), and Node 22+ also
// keeps its own compile cache for the modules loaded later (koffi, prompts).
const fs = require('node:fs')
const path = require('node:path')
const Module = require('node:module')
Module.enableCompileCache?.()

const file = path.join(__dirname, '..', 'dist', 'cli.js')
let cachedData
try {
  cachedData = fs.readFileSync(file + '.cache')
} catch {}
const {Script} = require('node:vm')
const script = new Script(Module.wrap(fs.readFileSync(file, 'utf8')), {filename: file, cachedData})
const mod = new Module(file, module)
mod.filename = file
mod.paths = Module._nodeModulePaths(path.dirname(file))
require.cache[file] = mod
script.runInThisContext()(mod.exports, (id) => mod.require(id), mod, file, path.dirname(file))
mod.loaded = true
mod.exports.run(__dirname)
