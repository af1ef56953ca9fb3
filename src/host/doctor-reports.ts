import {readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {STATUS_ORDER} from '../core/doctor/check.js'
import type {DoctorReport} from '../core/doctor/run-doctor.js'
import {DOCTOR_SCHEMA} from '../core/doctor/run-doctor.js'
import type {NamedReport} from '../core/doctor/fleet.js'
import {C1mError, usageError} from '../core/errors.js'

/** A doctor report is a few tens of KiB; anything past this is not one. */
const MAX_BYTES = 16 * 1024 * 1024

const bad = (file: string, what: string) =>
  new C1mError('E_BAD_REPORT', `${file} is not a c1m doctor report: ${what}`, 'pass files written by `c1m doctor --json` (one per host)')

/**
 * Check the parts of a doctor report that merge reads and prints; the rest is carried as is.
 * Accepts the --json envelope ({status, result}) or the bare result.
 */
export function parseDoctorReport(text: string, file: string): DoctorReport {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw bad(file, 'not JSON')
  }
  const envelope = doc as {result?: unknown; error?: {message?: unknown}}
  if (envelope && typeof envelope === 'object' && 'error' in envelope && envelope.result === undefined) {
    throw bad(file, `doctor failed on that host (${String(envelope.error?.message ?? 'no message')})`)
  }
  const report = (envelope && typeof envelope === 'object' && 'result' in envelope ? envelope.result : doc) as DoctorReport
  if (!report || typeof report !== 'object') throw bad(file, 'not a JSON object')
  if (report.schema !== DOCTOR_SCHEMA) throw bad(file, `schema is ${JSON.stringify(report.schema)}, not ${DOCTOR_SCHEMA}`)
  if (!Array.isArray(report.results)) throw bad(file, 'it has no results')
  for (const [i, r] of report.results.entries()) {
    if (typeof r?.id !== 'string' || !/^[\w.-]{1,80}$/.test(r.id)) throw bad(file, `results[${i}] has no valid id`)
    if (!STATUS_ORDER.includes(r.status)) throw bad(file, `results[${i}] (${r.id}) has status ${JSON.stringify(r.status)}`)
    if (r.breaksAt !== undefined && !Number.isFinite(r.breaksAt)) throw bad(file, `results[${i}] (${r.id}) has a breaksAt that is not a number`)
  }
  const {summary, target} = report
  if (!summary || !STATUS_ORDER.every((s) => Number.isInteger(summary[s]))) throw bad(file, 'its summary is not counts of pass, warn, fail and skip')
  if (!target || !Number.isFinite(target.conns) || typeof target.role !== 'string') throw bad(file, 'it has no target (conns, role)')
  if (typeof report.generatedAt !== 'string' || Number.isNaN(Date.parse(report.generatedAt))) throw bad(file, 'generatedAt is not a date')
  return report
}

/**
 * Read the reports of `doctor --merge`, each named by its file name without .json; two files with
 * one name are refused.
 */
export function readDoctorReports(files: string[]): NamedReport[] {
  const named: NamedReport[] = []
  for (const file of files) {
    let text: string
    try {
      const stat = statSync(file)
      if (!stat.isFile()) throw usageError(`--merge ${file}: not a regular file`, 'pass doctor JSON files, one per host')
      if (stat.size > MAX_BYTES) throw bad(file, `${stat.size} bytes is far more than a doctor report`)
      text = readFileSync(file, 'utf8')
    } catch (error) {
      if (error instanceof C1mError) throw error
      throw new C1mError('E_UNREADABLE', `--merge ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'pass doctor JSON files, one per host')
    }
    const name = path.basename(file).replace(/\.json$/i, '')
    const twin = named.find((n) => n.name === name)
    if (twin) throw usageError(`--merge: ${twin.file} and ${file} both name the host "${name}"`, 'name each host\'s report after the host (host-a.json, host-b.json)')
    named.push({name, file, report: parseDoctorReport(text, file)})
  }
  return named
}
