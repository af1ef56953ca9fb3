// doctor --format prometheus and --out FILE.prom, checked by the real tools: promtool (Debian's
// prometheus package) lints the exposition and the alert rules, and a real node_exporter
// serves the file over HTTP on loopback from its textfile directory. .ci/run installs both;
// there a missing tool fails the test instead of skipping it.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {execa} from 'execa'

import {DOCTOR_SCHEMA, type DoctorReport} from '../src/core/doctor/run-doctor.js'
import {renderDoctorPrometheus, STATUS_VALUE} from '../src/reports/doctor-prometheus.js'
import {FIXTURES, REPO_ROOT, run, runJson} from './helpers.js'
import {findProgram, freePort, stopPids, waitForPort} from './server-helpers.js'

const promtool = findProgram('promtool')
const exporter = findProgram('prometheus-node-exporter') ?? findProgram('node_exporter')
const need = (tool: string | undefined, pkg: string) => (tool || process.env.CI ? false : `${pkg} is not installed (apt-get install ${pkg}; .ci/run does)`)

const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-prom-'))
after(() => rmSync(dir, {recursive: true, force: true}))

/** Sample lines as {name{labels}: value}. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    out.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return out
}

async function checkMetrics(text: string): Promise<{exitCode: number; output: string}> {
  const result = await execa(promtool!, ['check', 'metrics'], {input: text, reject: false, timeout: 30_000})
  return {exitCode: result.exitCode ?? -1, output: `${result.stdout}${result.stderr}`}
}

describe('c1m doctor --format prometheus', {skip: need(promtool, 'prometheus')}, () => {
  for (const tree of ['stock-modern', 'host-2008', 'empty-tree']) {
    it(`${tree}: promtool accepts it, and each check's value is its status in the JSON result`, async () => {
      const root = path.join(FIXTURES, tree)
      const {stdout, exitCode} = await run(['doctor', '--format', 'prometheus', '--root', root])
      const {envelope} = await runJson<DoctorReport>(['doctor', '--root', root])
      assert.equal(exitCode, envelope.status, 'the exit code follows --fail-on as in every format')
      const lint = await checkMetrics(`${stdout}\n`) // execa drops the final newline that c1m printed
      assert.equal(lint.exitCode, 0, lint.output)
      assert.equal(lint.output.trim(), '', `promtool lint: ${lint.output}`)
      const got = samples(stdout)
      for (const r of envelope.result.results) {
        assert.equal(got.get(`c1m_check_status{id="${r.id}",area="${r.area}"}`), STATUS_VALUE[r.status], r.id)
        const breaks = got.get(`c1m_check_breaks_at_connections{id="${r.id}"}`)
        assert.equal(breaks, r.breaksAt, `${r.id} breaksAt`)
      }
      assert.equal(got.get('c1m_ready'), envelope.result.summary.fail === 0 ? 1 : 0)
      assert.equal(got.get('c1m_target_connections{role="server"}'), 1_000_000)
      assert.equal(got.get('c1m_checks{status="fail"}'), envelope.result.summary.fail)
      const ran = got.get('c1m_last_run_timestamp_seconds')!
      assert.ok(Math.abs(ran - Date.now() / 1000) < 120, `last run ${ran}`)
    })
  }

  it('escapes a hostile label value (a kernel string with a quote, a backslash and a newline) so the exposition still parses', async () => {
    const report: DoctorReport = {
      schema: DOCTOR_SCHEMA,
      generatedAt: '2026-11-23T00:00:00.000Z',
      host: {root: '/', live: true, kernel: '6.1"\\\nevil{x="y"} 1', pid: 'self'},
      target: {conns: 10, role: 'server'},
      needs: {} as DoctorReport['needs'],
      summary: {pass: 1, warn: 0, fail: 0, skip: 0},
      firstBreak: null,
      results: [{id: 'fd.file-max', area: 'files', title: 't', reads: [], why: 'w', status: 'pass', currentValue: null, neededValue: null, elapsedMs: 0}],
    }
    const text = renderDoctorPrometheus(report, '0.0.0')
    const lint = await checkMetrics(text)
    assert.equal(lint.exitCode, 0, lint.output)
    assert.match(text, /^c1m_info\{version="0\.0\.0",kernel="6\.1\\"\\\\\\nevil\{x=\\"y\\"\} 1"\} 1$/m)
    assert.equal(text.split('\n').filter((l) => l.startsWith('c1m_info')).length, 1)
  })

  it('the alert rules pass promtool check rules and their unit tests', async () => {
    const rules = path.join(REPO_ROOT, 'deploy/prometheus/c1m-alerts.yml')
    const check = await execa(promtool!, ['check', 'rules', rules], {reject: false, timeout: 30_000})
    assert.equal(check.exitCode, 0, `${check.stdout}${check.stderr}`)
    assert.match(check.stdout, /SUCCESS: 3 rules found/)
    const unit = await execa(promtool!, ['test', 'rules', 'c1m-alerts.test.yml'], {cwd: path.dirname(rules), reject: false, timeout: 30_000})
    assert.equal(unit.exitCode, 0, `${unit.stdout}${unit.stderr}`)
  })
})

describe('c1m doctor --out FILE.prom', () => {
  it('writes the exposition whole into the directory, replacing the last one and leaving no temporary file', async () => {
    const textfiles = path.join(dir, 'textfile')
    await execa('mkdir', ['-p', textfiles])
    const file = path.join(textfiles, 'c1m.prom')
    writeFileSync(file, 'old\n')
    const {exitCode, stdout} = await run(['doctor', '--root', path.join(FIXTURES, 'tuned-1m'), '--out', file])
    assert.equal(exitCode, 0, stdout)
    assert.match(stdout, /c1m doctor: 1,000,000 connections/, 'stdout keeps the table')
    const text = readFileSync(file, 'utf8')
    assert.match(text, /^# HELP c1m_check_status /)
    assert.match(text, /^c1m_ready 1$/m)
    assert.deepEqual(readdirSync(textfiles), ['c1m.prom'])
  })

  it('refuses an extension it does not write, in one line, before reading the host', async () => {
    const {exitCode, stderr} = await run(['doctor', '--out', path.join(dir, 'c1m.txt')])
    assert.equal(exitCode, 2)
    assert.match(stderr, /^c1m: --out .*c1m\.txt: the extension picks the format, and "\.txt" is not one of \.json, \.prom, \.xml, \.md.*\[E_USAGE, exit 2\]$/)
  })

  it('writes .json, .xml and .md beside .prom in one run', async () => {
    const base = path.join(dir, 'many')
    await execa('mkdir', ['-p', base])
    const files = ['r.json', 'r.xml', 'r.md', 'r.prom'].map((f) => path.join(base, f))
    const {exitCode} = await run(['doctor', '--root', path.join(FIXTURES, 'host-2008'), '--fail-on', 'none', ...files.flatMap((f) => ['--out', f])])
    assert.equal(exitCode, 0)
    assert.equal(JSON.parse(readFileSync(files[0], 'utf8')).schema, 'c1m.doctor/1')
    assert.match(readFileSync(files[1], 'utf8'), /<testsuites[^>]*failures="[1-9]/)
    assert.match(readFileSync(files[2], 'utf8'), /^#+ /m)
    assert.match(readFileSync(files[3], 'utf8'), /^c1m_ready 0$/m)
  })
})

describe("node_exporter's textfile collector serves c1m's metrics", {skip: need(exporter, 'prometheus-node-exporter')}, () => {
  it('over HTTP on loopback, with no scrape error', async () => {
    const textfiles = mkdtempSync(path.join(dir, 'collector-'))
    const {exitCode} = await run(['doctor', '--root', path.join(FIXTURES, 'stock-modern'), '--fail-on', 'none', '--out', path.join(textfiles, 'c1m.prom')])
    assert.equal(exitCode, 0)
    const port = await freePort()
    const args = [`--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${textfiles}`]
    const child = spawn(exporter!, args, {stdio: 'ignore'})
    try {
      await waitForPort(port)
      const body = await (await fetch(`http://127.0.0.1:${port}/metrics`, {signal: AbortSignal.timeout(10_000)})).text()
      const got = samples(body)
      assert.equal(got.get('c1m_check_status{area="files",id="fd.nofile-hard"}'), 2, 'node_exporter sorts labels by name')
      assert.equal(got.get('c1m_ready'), 0)
      assert.equal(got.get('c1m_target_connections{role="server"}'), 1_000_000)
      assert.equal(got.get('node_textfile_scrape_error'), 0)
      assert.ok(got.has(`node_textfile_mtime_seconds{file="${path.join(textfiles, 'c1m.prom')}"}`) || got.has('node_textfile_mtime_seconds{file="c1m.prom"}'), 'the file is listed')
    } finally {
      await stopPids([child.pid!])
    }
  })
})

describe('deploy/systemd units', {skip: findProgram('systemd-analyze') || process.env.CI ? false : 'systemd-analyze is not installed'}, () => {
  it('pass systemd-analyze verify', async () => {
    const units = ['c1m-doctor.service', 'c1m-doctor.timer'].map((u) => path.join(REPO_ROOT, 'deploy/systemd', u))
    const result = await execa('systemd-analyze', ['verify', ...units], {reject: false, timeout: 30_000})
    assert.equal(result.exitCode, 0, `${result.stdout}${result.stderr}`)
    assert.equal(result.stderr.trim(), '')
  })
})
