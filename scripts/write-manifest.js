#!/usr/bin/env node
// Writes oclif.manifest.json from the freshly built commands, as part of `npm run build`.
// Without it oclif imports every command module on each start to list them; with it,
// `c1m doctor` loads only doctor. Built together with dist/, so it cannot go stale.
import {Config} from '@oclif/core'
import {rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const file = path.join(root, 'oclif.manifest.json')
rmSync(file, {force: true})
const config = await Config.load({root})
const plugin = config.plugins.get(config.pjson.name)
writeFileSync(file, JSON.stringify(plugin.manifest, null, 2) + '\n')
console.log(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`)
