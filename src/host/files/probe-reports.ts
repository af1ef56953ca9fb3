import {mkdirSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {type ProbeReport, validateProbeReport} from '../../core/probe/fit-report.js'
import {reportKind} from '../../core/estimate/report-kind.js'
import {C1mError, usageError} from '../../core/errors.js'
import {parseJsonText, shownName} from './merge-files.js'
import {replaceFile} from './replace-file.js'
import {readHostText} from './root.js'

/** Environment variable naming the directory where `c1m probe` keeps its reports. */
export const PROBE_DIR_ENV = 'C1M_PROBE_DIR'

/**
 * Where `c1m probe` saves its reports on this host: $C1M_PROBE_DIR, else $XDG_STATE_HOME/c1m/probes,
 * else ~/.local/state/c1m/probes. C1M_PROBE_DIR=off turns saving and the lookup off (tests do).
 */
export function probeReportDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env[PROBE_DIR_ENV] === 'off') return undefined
  if (env[PROBE_DIR_ENV]) return env[PROBE_DIR_ENV]!
  const state = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state')
  return path.join(state, 'c1m', 'probes')
}

/** Read and validate a probe report; a missing, non-JSON or wrong-schema file is a usage error (exit 2). */
export function readProbeReport(file: string): ProbeReport {
  // Capped like every host read: a report is tens of KiB; /dev/urandom must not hang estimate.
  const read = readHostText({dir: '/', live: true}, path.resolve(file))
  if (!read.ok) {
    const why = read.reason.slice(read.reason.lastIndexOf(': ') + 2)
    throw usageError(`--calibration ${file}: ${why === 'not present' ? 'no such file' : why}`, 'pass a JSON report written by `c1m probe --out FILE`')
  }
  return parseProbeReport(read.text, file)
}

/** Parse and validate the text of a probe report; not JSON or not the schema is E_BAD_REPORT (exit 2). */
export function parseProbeReport(text: string, file: string): ProbeReport {
  // Cleaned of control characters where it is read: the report may come from another host.
  const value = parseJsonText(text, (what) => new C1mError('E_BAD_REPORT', `${shownName(file)} is not a c1m probe report: ${what}`, 'pass a JSON report written by `c1m probe --out FILE`'))
  return validateProbeReport(value, shownName(file))
}

/** Keep a copy of a finished probe's report in `dir` for `c1m estimate` to find; returns its path. */
export function saveProbeReport(report: ProbeReport, dir: string): string {
  const stamp = report.generatedAt.replaceAll(':', '').replace(/\.\d+Z$/, 'Z')
  const {protocol, conns} = reportKind(report)
  // The name says what was measured: probe-native-wss-20000-...json is no plain TCP calibration.
  const file = path.join(dir, `probe-${report.engine}-${protocol.replaceAll(/[^a-z0-9+-]/g, '')}-${conns}-${stamp}.json`)
  mkdirSync(dir, {recursive: true})
  replaceFile(file, JSON.stringify(report, null, 2) + '\n', {temp: `${file}.${process.pid}.tmp`})
  return file
}
