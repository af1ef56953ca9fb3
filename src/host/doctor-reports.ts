import {STATUS_ORDER} from '../core/doctor/check.js'
import type {DoctorReport} from '../core/doctor/run-doctor.js'
import {DOCTOR_SCHEMA} from '../core/doctor/run-doctor.js'
import type {NamedReport} from '../core/doctor/fleet.js'
import {C1mError, usageError} from '../core/errors.js'
import {hostOfFile, jsonResult, readMergeFile} from './merge-files.js'

/** A doctor report is a few tens of KiB; anything past this is not one. */
const MAX_BYTES = 16 * 1024 * 1024

const bad = (file: string, what: string) =>
  new C1mError('E_BAD_REPORT', `${file} is not a c1m doctor report: ${what}`, 'pass files written by `c1m doctor --json` (one per host)')

/**
 * Check the parts of a doctor report that merge reads and prints; the rest is carried as is.
 * Accepts the --json envelope ({status, result}) or the bare result.
 */
export function parseDoctorReport(text: string, file: string): DoctorReport {
  const report = jsonResult(text, 'doctor', (what) => bad(file, what)) as DoctorReport
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
    const text = readMergeFile(file, MAX_BYTES, 'pass doctor JSON files, one per host', (size) => bad(file, `${size} bytes is far more than a doctor report`))
    const name = hostOfFile(file)
    const twin = named.find((n) => n.name === name)
    if (twin) throw usageError(`--merge: ${twin.file} and ${file} both name the host "${name}"`, 'name each host\'s report after the host (host-a.json, host-b.json)')
    named.push({name, file, report: parseDoctorReport(text, file)})
  }
  return named
}
