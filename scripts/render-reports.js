#!/usr/bin/env node
// Renders the HTML page of each saved probe report (reports/*.json, or the files given) with
// the built renderer, so committed pages match the code: node scripts/render-reports.js [FILE.json...]
import {readFileSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {validateProbeReport} from '../dist/src/core/probe/fit-report.js'
import {renderProbeHtml} from '../dist/src/reports/probe-html.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const {version} = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
const dir = path.join(root, 'reports')
const files = process.argv.length > 2 ? process.argv.slice(2) : readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f))
for (const file of files) {
  const report = validateProbeReport(JSON.parse(readFileSync(file, 'utf8')), file)
  const out = file.replace(/\.json$/, '.html')
  writeFileSync(out, renderProbeHtml(report, {version}))
  console.log(`${path.relative(root, out)} from ${path.relative(root, file)}`)
}
