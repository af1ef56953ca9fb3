import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {loadProfile, type ProfileReader} from '../../core/profile/load-profile.js'
import type {Profile} from '../../core/profile/types.js'

/** The profiles shipped with c1m: <package>/profiles (this file is dist/src/host/profile-files.js). */
export const PROFILES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../profiles')

/** Profile names in a directory, sorted. */
export function listProfileNames(dir = PROFILES_DIR): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -'.yaml'.length))
      .sort()
  } catch {
    return []
  }
}

/**
 * Reads NAME.yaml from a directory; errors name it relative to the working directory when that is
 * shorter.
 */
export function profileReader(dir = PROFILES_DIR): ProfileReader {
  return (name) => {
    if (!/^[\w.-]+$/.test(name)) return undefined
    const file = path.join(dir, `${name}.yaml`)
    try {
      const text = readFileSync(file, 'utf8')
      const rel = path.relative(process.cwd(), file)
      return {text, file: rel.length < file.length && !rel.startsWith('..') ? rel : dir === PROFILES_DIR ? `profiles/${name}.yaml` : file}
    } catch {
      return undefined
    }
  }
}

/** Load a shipped profile by name, or a profile file by path (its includes are looked up beside it). */
export function readProfile(nameOrPath: string): Profile {
  if (nameOrPath.endsWith('.yaml') || nameOrPath.includes('/')) {
    const dir = path.dirname(path.resolve(nameOrPath))
    return loadProfile(path.basename(nameOrPath).replace(/\.yaml$/, ''), profileReader(dir), listProfileNames(dir))
  }
  return loadProfile(nameOrPath, profileReader(), listProfileNames())
}
