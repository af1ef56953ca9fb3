import path from 'node:path'

import {usageError} from './errors.js'

export interface OutFiles {
  json?: string
  html?: string
}

/** doctor's --out formats: .json, .prom (node_exporter's textfile collector), .xml (JUnit), .md. */
export interface DoctorOutFiles {
  json?: string
  prometheus?: string
  junit?: string
  markdown?: string
}

const PROBE_EXTENSIONS: Record<string, keyof OutFiles> = {'.json': 'json', '.html': 'html', '.htm': 'html'}
const DOCTOR_EXTENSIONS: Record<string, keyof DoctorOutFiles> = {'.json': 'json', '.prom': 'prometheus', '.xml': 'junit', '.md': 'markdown'}

/**
 * The one --out rule: the file's extension picks the format, once per format, and paths
 * come back absolute. `extensions` maps each extension a command writes to its format.
 */
function sortByExtension<F extends string>(outs: string[], extensions: Record<string, F>, files: Partial<Record<F, string>> = {}): Partial<Record<F, string>> {
  const known = Object.keys(extensions).join(', ')
  for (const file of outs) {
    const ext = path.extname(file).toLowerCase()
    const format = extensions[ext]
    if (!format) throw usageError(`--out ${file}: the extension picks the format, and "${ext || 'none'}" is not one of ${known}`, `name the file report${Object.keys(extensions)[0]} or another of ${known} (--out may be given once for each)`)
    if (files[format]) throw usageError(`--out ${file}: the ${format} report is already going to ${files[format]}`, 'give one file per format at most')
    files[format] = path.resolve(file)
  }
  return files
}

/**
 * probe and estimate: .json for the JSON document (the command's --json result), .html for a
 * self-contained HTML page. `--html FILE` (probe) is the same as `--out FILE` with .html.
 */
export function sortOutFiles(outs: string[] = [], html?: string): OutFiles {
  const files = sortByExtension(outs, PROBE_EXTENSIONS)
  if (html !== undefined) {
    const ext = path.extname(html).toLowerCase()
    // --html names the format; a file name whose extension says another one is a mistake.
    if (ext !== '' && PROBE_EXTENSIONS[ext] !== 'html') {
      const other = PROBE_EXTENSIONS[ext] === 'json' ? ` (--out ${html} writes the JSON report)` : ''
      throw usageError(`--html ${html}: --html writes an HTML page, and its extension "${ext}" is not .html or .htm${other}`, `name the file ${path.basename(html, ext)}.html`)
    }
    if (files.html) throw usageError(`--html ${html}: the html report is already going to ${files.html}`, 'give one file per format at most')
    files.html = path.resolve(html)
  }
  return files
}

/**
 * doctor: .json, .prom, .xml or .md, each written whole (for the textfile collector, a rename into
 * place).
 */
export function sortDoctorOutFiles(outs: string[] = []): DoctorOutFiles {
  return sortByExtension(outs, DOCTOR_EXTENSIONS)
}
