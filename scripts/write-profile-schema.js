#!/usr/bin/env node
// Writes profiles/profile.schema.json from the schema c1m validates profiles with
// (src/core/profile/profile-schema.ts, built). Run `npm run schema` after changing it;
// a test fails while the committed file and the source differ.
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {PROFILE_SCHEMA} from '../dist/src/core/profile/profile-schema.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const file = path.join(root, 'profiles', 'profile.schema.json')
writeFileSync(file, JSON.stringify(PROFILE_SCHEMA, null, 2) + '\n')
console.log(`${path.relative(root, file)}: written`)
