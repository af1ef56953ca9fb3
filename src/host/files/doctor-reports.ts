import {STATUS_ORDER, type Status} from '../../core/doctor/check.js'
import type {DoctorReport} from '../../core/doctor/run-doctor.js'
import {DOCTOR_SCHEMA} from '../../core/doctor/run-doctor.js'
import type {NamedReport} from '../../core/doctor/fleet.js'
import {C1mError, usageError} from '../../core/errors.js'
import {hostOfFile, jsonResult, readMergeFile, shownName} from './merge-files.js'

/** A doctor report is a few tens of KiB; anything past this is not one. */
const MAX_BYTES = 16 * 1024 * 1024

const bad = (file: string, what: string) =>
  new C1mError('E_BAD_REPORT', `${file} is not a c1m doctor report: ${what}`, 'pass files written by `c1m doctor --json` (one per host)')

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const optionalString = (v: unknown) => v === undefined || typeof v === 'string'
const optionalNumber = (v: unknown) => v === undefined || Number.isFinite(v)
const isStatus = (v: unknown): v is Status => STATUS_ORDER.includes(v as Status)

/** Why a first break is not one (id, title, status, breaksAt, fix as doctor writes them), or undefined. */
function badBreak(fb: Record<string, unknown>): string | undefined {
  if (typeof fb.id !== 'string' || typeof fb.title !== 'string') return 'has no id and title'
  if (!isStatus(fb.status)) return `has status ${JSON.stringify(fb.status)}`
  if (!optionalNumber(fb.breaksAt)) return 'has a breaksAt that is not a number'
  if (!optionalString(fb.fix)) return 'has a fix that is not text'
  return undefined
}

/**
 * Check every part of a doctor report that merge reads, prints or carries into its result; the
 * rest is carried as is. Accepts the --json envelope ({status, result}) or the bare result. Strings
 * arrive cleaned of control characters (parseJsonText), so no part of another host's file reaches
 * a terminal raw.
 */
export function parseDoctorReport(text: string, file: string): DoctorReport {
  const name = shownName(file)
  const report = jsonResult(text, 'doctor', (what) => bad(name, what))
  if (!isObject(report)) throw bad(name, 'not a JSON object')
  if (report.schema !== DOCTOR_SCHEMA) throw bad(name, `schema is ${JSON.stringify(report.schema) ?? 'missing'}, not ${DOCTOR_SCHEMA}`)
  if (!Array.isArray(report.results)) throw bad(name, 'it has no results')
  for (const [i, r] of report.results.entries()) {
    if (!isObject(r) || typeof r.id !== 'string' || !/^[\w.-]{1,80}$/.test(r.id)) throw bad(name, `results[${i}] has no valid id`)
    if (!isStatus(r.status)) throw bad(name, `results[${i}] (${r.id}) has status ${JSON.stringify(r.status)}`)
    if (typeof r.area !== 'string' || typeof r.title !== 'string') throw bad(name, `results[${i}] (${r.id}) has no area and title`)
    if (!optionalNumber(r.breaksAt)) throw bad(name, `results[${i}] (${r.id}) has a breaksAt that is not a number`)
  }
  const {summary, target, host} = report
  if (!isObject(summary) || !STATUS_ORDER.every((s) => Number.isSafeInteger(summary[s]) && (summary[s] as number) >= 0)) throw bad(name, 'its summary is not counts of pass, warn, fail and skip')
  if (!isObject(target) || !Number.isFinite(target.conns) || (target.conns as number) < 0 || typeof target.role !== 'string') throw bad(name, 'it has no target (conns, role)')
  if (!isObject(host) || !optionalString(host.hostname) || !optionalString(host.kernel)) throw bad(name, 'its host is not an object with a hostname and kernel')
  if (typeof report.generatedAt !== 'string' || Number.isNaN(Date.parse(report.generatedAt))) throw bad(name, 'generatedAt is not a date')
  if (report.firstBreak === undefined) report.firstBreak = null
  if (report.firstBreak !== null) {
    const why = isObject(report.firstBreak) ? badBreak(report.firstBreak) : 'is not an object'
    if (why) throw bad(name, `its firstBreak ${why}`)
  }
  return report as unknown as DoctorReport
}

/**
 * Read the reports of `doctor --merge`, each named by its file name without .json; two files with
 * one name are refused.
 */
export function readDoctorReports(files: string[]): NamedReport[] {
  const named: NamedReport[] = []
  for (const file of files) {
    const text = readMergeFile(file, MAX_BYTES, 'pass doctor JSON files, one per host', (size) => bad(shownName(file), `${size} bytes is far more than a doctor report`))
    const name = hostOfFile(file)
    const twin = named.find((n) => n.name === name)
    if (twin) throw usageError(`--merge: ${twin.file} and ${shownName(file)} both name the host "${name}"`, 'name each host\'s report after the host (host-a.json, host-b.json)')
    named.push({name, file: shownName(file), report: parseDoctorReport(text, file)})
  }
  return named
}
