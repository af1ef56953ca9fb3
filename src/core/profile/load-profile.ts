import {C1mError} from '../errors.js'
import {parseProfile, profileError} from './parse-profile.js'
import type {Profile, ProfileFile, ProfileValue} from './types.js'

/** Reads a profile by name: its text and how errors should name it; undefined when there is none. */
export type ProfileReader = (name: string) => {text: string; file: string} | undefined

/** Merge values in order: a later value with the same id replaces an earlier one (tuned's rule). */
export function mergeValues(lists: ProfileValue[][]): ProfileValue[] {
  const merged = new Map<string, ProfileValue>()
  for (const list of lists) for (const value of list) merged.set(value.id, value)
  return [...merged.values()]
}

/**
 * Load a profile and merge its includes: each include in the order listed, then the profile
 * itself, later wins. A cycle (a includes b includes a) and a missing include are errors that
 * name the file and line of the include.
 */
export function loadProfile(name: string, read: ProfileReader, known: string[] = []): Profile {
  const top = read(name)
  if (!top) {
    const list = known.length > 0 ? `; profiles: ${known.join(', ')}` : ''
    throw new C1mError('E_BAD_PROFILE', `no profile named "${name}"${list}`, 'list them with `c1m profiles`')
  }
  const parsed = new Map<string, ProfileFile>()
  const chain: string[] = []

  const visit = (file: ProfileFile, stack: string[]): ProfileValue[][] => {
    const lists: ProfileValue[][] = []
    for (const inc of file.include) {
      const [path, line] = [inc.at.slice(0, inc.at.lastIndexOf(':')), Number(inc.at.split(':').at(-1))]
      if (stack.includes(inc.name)) {
        throw profileError(path, line, 'include', `cycle: ${[...stack, inc.name].join(' -> ')}`)
      }
      let child = parsed.get(inc.name)
      if (!child) {
        const source = read(inc.name)
        if (!source) throw profileError(path, line, 'include', `no profile named "${inc.name}"`)
        child = parseProfile(source.text, source.file)
        parsed.set(inc.name, child)
      }
      lists.push(...visit(child, [...stack, inc.name]))
    }
    if (!chain.includes(file.name)) chain.push(file.name)
    lists.push(file.values)
    return lists
  }

  const root = parseProfile(top.text, top.file)
  const values = mergeValues(visit(root, [root.name]))
  return {name: root.name, summary: root.summary, source: root.source, chain, values, path: root.path}
}
