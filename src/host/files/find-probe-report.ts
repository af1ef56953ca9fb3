import {lstatSync, readdirSync} from 'node:fs'
import path from 'node:path'

import {type CalibrationQuestion, unsuitableBecause} from '../../core/estimate/report-kind.js'
import type {ProbeReport} from '../../core/probe/fit-report.js'
import {parseProbeReport} from './probe-reports.js'
import {distrustDirectory, readTrustedFile} from './trusted-file.js'

export interface SkippedReport {
  file: string
  why: string
}

export interface ProbeReportLookup {
  /** The report to calibrate with: the newest one that passed every check. */
  found?: {file: string; report: ProbeReport; mtimeMs: number}
  /** Newer reports passed over, each with the reason. */
  skipped: SkippedReport[]
}

export interface LookupOptions extends Partial<CalibrationQuestion> {
  /** The user the files must belong to; default the running user. */
  uid?: number
}

/**
 * The newest probe report in `dir` (by modification time) that can calibrate this host: a
 * regular file owned by the running user in a directory owned by it, neither writable by
 * anyone else (c1m runs as root and never trusts another user's file), a valid report of the same
 * kind of run as the question (core/estimate/report-kind.ts: the bundled server, the protocol, the
 * engine, this kernel, a clean fit of enough connections). Says what it skipped and why.
 */
export function findNewestProbeReport(dir: string | undefined, options: LookupOptions = {}): ProbeReportLookup {
  const skipped: SkippedReport[] = []
  if (dir === undefined) return {skipped}
  const uid = options.uid ?? process.getuid?.() ?? 0
  let names: string[]
  try {
    const distrust = distrustDirectory(dir, uid)
    if (distrust) return {skipped: [{file: dir, why: distrust}]}
    names = readdirSync(dir).filter((name) => name.endsWith('.json'))
  } catch {
    return {skipped}
  }
  const files = names
    .map((name) => path.join(dir, name))
    .flatMap((file) => {
      try {
        return [{file, mtime: lstatSync(file).mtimeMs}]
      } catch {
        return [] // removed since the listing
      }
    })
    .sort((a, b) => b.mtime - a.mtime)
  for (const {file} of files) {
    const read = readTrustedFile(file, uid)
    if ('refused' in read) {
      skipped.push({file, why: read.refused})
      continue
    }
    let report: ProbeReport
    try {
      report = parseProbeReport(read.text, file)
    } catch (error) {
      skipped.push({file, why: (error as Error).message.replace(`${file} is `, 'it is ')})
      continue
    }
    const why = unsuitableBecause(report, {engine: options.engine, kernel: options.kernel, protocol: options.protocol ?? 'tcp', family: options.family})
    if (why) {
      skipped.push({file, why})
      continue
    }
    return {found: {file, report, mtimeMs: read.mtimeMs}, skipped}
  }
  return {skipped}
}
