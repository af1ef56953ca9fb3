import {accessSync, constants, statSync} from 'node:fs'

import {C1mError} from '../../core/errors.js'

/** --ca FILE must be a readable regular file before any process starts. */
export function checkCaFile(file: string | undefined): void {
  if (file === undefined) return
  try {
    if (!statSync(file).isFile()) throw Object.assign(new Error('not a regular file'), {code: 'not a regular file'})
    accessSync(file, constants.R_OK)
  } catch (error) {
    throw new C1mError('E_UNREADABLE', `--ca ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'give the PEM file of the CA that signed the server\'s certificate')
  }
}
