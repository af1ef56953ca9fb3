import path from 'node:path'

import {usageError} from './errors.js'

export interface OutFiles {
  json?: string
  html?: string
}

/**
 * The one --out rule of probe and estimate: the extension picks the format, .json for the JSON
 * document (the command's --json result), .html for a self-contained HTML page. --out may be
 * given twice, once for each. `--html FILE` (probe) is the same as `--out FILE` with .html.
 * Paths come back absolute.
 */
export function sortOutFiles(outs: string[] = [], html?: string): OutFiles {
  const files: OutFiles = {}
  const add = (format: keyof OutFiles, file: string, flag: string) => {
    if (files[format]) throw usageError(`${flag} ${file}: a ${format.toUpperCase()} report is already going to ${files[format]}`, 'give one .json and one .html file at most')
    files[format] = path.resolve(file)
  }
  for (const file of outs) {
    const ext = path.extname(file).toLowerCase()
    if (ext === '.json') add('json', file, '--out')
    else if (ext === '.html' || ext === '.htm') add('html', file, '--out')
    else throw usageError(`--out ${file}: the extension picks the format, and "${ext || 'none'}" is neither .json nor .html`, 'name the file report.json or report.html (--out may be given once for each)')
  }
  if (html !== undefined) add('html', html, '--html')
  return files
}
