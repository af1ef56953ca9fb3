#!/usr/bin/env node
// Runs the pure core's tests on their own (`npm run test:unit`): every built test file whose imports
// are node's test runner and assert and the layers without I/O (src/core, src/reports), nothing else,
// so it starts no process, opens no socket and reads no host. The list is read from the built
// imports, so a new test of the core joins it, and one that starts importing a host reader leaves it.
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dir = path.join(root, 'dist/test')
const PURE = /^(node:test|node:assert(\/strict)?|\.\.\/src\/(core|reports)\/.+)$/

const isUnit = (file) => {
  const text = readFileSync(path.join(dir, file), 'utf8')
  const specs = [...text.matchAll(/^(?:(?:import|export)\s[^;'"]*?\bfrom\s*|import\s*)['"]([^'"]+)['"]/gm)].map((m) => m[1])
  return !/\bimport\s*\(/.test(text) && specs.every((spec) => PURE.test(spec))
}

const files = readdirSync(dir).filter((f) => f.endsWith('.test.js') && isUnit(f)).sort()
if (files.length === 0) {
  console.error(`no unit tests in ${dir}: run npm run build first`)
  process.exit(1)
}
console.log(`${files.length} unit test files: ${files.map((f) => f.replace(/\.test\.js$/, '')).join(', ')}`)
// One process for all of them (node --test would start one per file): node's test runner runs what
// they declare and sets the exit code.
for (const file of files) await import(pathToFileURL(path.join(dir, file)).href)
