import {closeSync, openSync, rmSync, statSync} from 'node:fs'
import path from 'node:path'

import {C1mError, usageError} from '../../core/errors.js'
import {type DoctorOutFiles, type OutFiles, sortDoctorOutFiles, sortOutFiles} from '../../core/out-files.js'
import {replaceFile} from './replace-file.js'

/** The temporary file a report is written to before it is renamed into place. */
const tempFor = (file: string): string => `${file}.${process.pid}.tmp`

/**
 * Check, before any long run starts, that writeOutputFile will be able to write `file` (--out,
 * --html): its directory exists, is a directory and takes a new file, and the path is not a
 * directory or a device (the rename would replace /dev/null). Returns the absolute path;
 * otherwise E_USAGE in one line.
 */
export function checkOutputFile(file: string, flag: string): string {
  const target = path.resolve(file)
  const dir = path.dirname(target)
  const refuse = (why: string) => usageError(`${flag} ${file}: ${why}`, `pass ${flag} a file path in a writable directory`)
  let dirStat
  try {
    dirStat = statSync(dir, {throwIfNoEntry: false})
  } catch (error) {
    throw refuse((error as NodeJS.ErrnoException).code === 'ENOTDIR' ? `a part of ${dir} is a file, not a directory` : `cannot reach ${dir} (${(error as NodeJS.ErrnoException).code})`)
  }
  if (!dirStat) throw refuse(`the directory ${dir} does not exist`)
  if (!dirStat.isDirectory()) throw refuse(`${dir} is not a directory`)
  const stat = statSync(target, {throwIfNoEntry: false})
  if (stat?.isDirectory()) throw refuse('it is a directory')
  if (stat && !stat.isFile()) throw refuse('it is not a regular file')
  // The one sure test of "writable" (read-only mounts, root's access() that always says yes): make
  // the temporary file.
  try {
    closeSync(openSync(tempFor(target), 'wx', 0o600))
    rmSync(tempFor(target), {force: true})
  } catch (error) {
    throw refuse(`cannot create a file in ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  return target
}

/**
 * The one --out rule (sortOutFiles: the extension picks JSON or HTML; probe's --html is an
 * alias), each path checked by checkOutputFile before any long run starts.
 */
export function resolveOutFiles(outs: string[] | undefined, html?: string): OutFiles {
  const files = sortOutFiles(outs, html)
  if (files.json) checkOutputFile(files.json, '--out')
  if (files.html) checkOutputFile(files.html, html === undefined ? '--out' : '--html')
  return files
}

/** doctor's --out files (the extension picks the format), each checked before the audit runs. */
export function resolveDoctorOutFiles(outs: string[] | undefined): DoctorOutFiles {
  const files = sortDoctorOutFiles(outs)
  for (const file of Object.values(files)) checkOutputFile(file, '--out')
  return files
}

/**
 * Write a report the user asked for (--out, --html) whole or not at all (replaceFile: a
 * temporary file beside it, fsync, rename, fsync of the directory). Creates no directories; a
 * failure is E_UNREADABLE with one line.
 */
export function writeOutputFile(file: string, text: string, flag: string): string {
  try {
    replaceFile(file, text, {temp: tempFor(file)})
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new C1mError('E_UNREADABLE', `cannot write ${flag} ${file}: ${why}`, `pass ${flag} a path in a writable directory`)
  }
  return file
}
