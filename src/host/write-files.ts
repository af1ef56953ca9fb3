import {closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmdirSync, unlinkSync, writeSync} from 'node:fs'
import path from 'node:path'

/** Directories that `mkdir -p dir` would create, outermost first. */
export function missingDirs(dir: string): string[] {
  const missing: string[] = []
  let d = dir
  while (!existsSync(d)) {
    missing.unshift(d)
    const up = path.dirname(d)
    if (up === d) break
    d = up
  }
  return missing
}

/**
 * Replace a file atomically: write a temporary file beside it, flush it, rename it over the
 * target. A reader sees the old file or the new one, never half of one.
 */
export function writeFileAtomic(file: string, content: string | Buffer, mode = 0o644): void {
  mkdirSync(path.dirname(file), {recursive: true})
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.c1m-${process.pid}.tmp`)
  const fd = openSync(tmp, 'w', mode)
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  try {
    renameSync(tmp, file)
  } catch (error) {
    unlinkSync(tmp)
    throw error
  }
}

/** A file's bytes, or null when there is none. */
export function readFileOrNull(file: string): Buffer | null {
  try {
    return readFileSync(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

export function removeFile(file: string): void {
  if (existsSync(file)) unlinkSync(file)
}

/** Remove a directory c1m created, if it is empty again. */
export function removeDirIfEmpty(dir: string): void {
  try {
    rmdirSync(dir)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOENT' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error
  }
}
