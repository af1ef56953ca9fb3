import {renameSync, rmSync, writeFileSync} from 'node:fs'

import {C1mError} from '../errors.js'

/**
 * Write a report the user asked for (--out, --html) whole or not at all: a temporary file
 * beside it, then a rename. Creates no directories; a failure is E_UNREADABLE with one line.
 */
export function writeOutputFile(file: string, text: string, flag: string): string {
  const temp = `${file}.${process.pid}.tmp`
  try {
    writeFileSync(temp, text)
    renameSync(temp, file)
  } catch (error) {
    rmSync(temp, {force: true})
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new C1mError('E_UNREADABLE', `cannot write ${flag} ${file}: ${why}`, `pass ${flag} a path in a writable directory`)
  }
  return file
}
