import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {computeNeeds} from '../src/core/needs.js'
import {formatBytes} from '../src/core/units.js'
import {PROBE_DIR_ENV} from '../src/host/files/probe-reports.js'
import {FIXTURES as fixtures, run} from './helpers.js'

const HOST = path.join(fixtures, 'estimate-host')

let tmp: string
let probeDir: string

async function estimate(args: string[]) {
  const out = await run(['estimate', ...args], {env: {[PROBE_DIR_ENV]: probeDir}})
  const json = out.stdout.trim().startsWith('{') ? JSON.parse(out.stdout) : undefined
  return {...out, json}
}

describe('c1m estimate', () => {
  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'c1m-estimate-'))
    // No saved probe reports: the estimate must come from the host's slabinfo.
    probeDir = path.join(tmp, 'no-probes')
  })
  after(() => {
    rmSync(tmp, {recursive: true, force: true})
  })

  it('--json gives the breakdown, the fit, the settings and the chart', async () => {
    const {json} = await estimate(['--conns', '1M', '--root', HOST, '--json'])
    assert.equal(json.status, 0)
    const r = json.result
    assert.equal(r.conns, 1_000_000)
    assert.equal(r.role, 'server')
    assert.equal(r.kernel.source, 'slabinfo')
    assert.deepEqual(r.memory.terms.map((t: {name: string}) => t.name), ['kernel sockets', 'bind entries', 'conntrack', 'socket buffers', 'process', 'base (in use now)', 'headroom'])
    const sum = r.memory.terms.reduce((a: number, t: {total: number}) => a + t.total, 0)
    assert.ok(Math.abs(sum - r.memory.total) < 1)
    assert.equal(r.fits, r.memory.total <= r.ram.bytes)
    assert.equal(r.settings.fileMax, computeNeeds({conns: 1_000_000, role: 'server'}).fileMax)
    assert.ok(r.settingRows.some((row: {name: string; value: string}) => row.name === 'net.core.somaxconn' && row.value === String(r.settings.somaxconn)))
    assert.equal(r.chart.length, 11)
  })

  it('--root: says the figures are of the host saved in that tree, never "this host"', async () => {
    const memTotal = Number(/^MemTotal:\s+(\d+) kB$/m.exec(readFileSync(path.join(HOST, 'proc/meminfo'), 'utf8'))![1]) * 1024
    const html = path.join(tmp, 'saved-tree.html')
    const {stdout, exitCode} = await estimate(['--conns', '100k', '--root', HOST, '--message-size', '512', '--active', '0.1', '--out', html])
    assert.equal(exitCode, 0)
    assert.match(stdout, new RegExp(`^100,000 connections, role server, on the host saved in ${HOST.replaceAll('/', '\\/')} \\(${formatBytes(memTotal).replace('.', '\\.')} RAM\\)$`, 'm'))
    assert.match(stdout, /modelled from the saved host's slabinfo and kernel version:/)
    assert.match(stdout, /the saved host's tcp_mem reaches pressure at/)
    assert.match(stdout, /^ {2}headroom {11}the saved host's vm\.min_free_kbytes plus 10% of RAM$/m)
    assert.match(stdout, /^ {2}base {15}memory in use on the saved host when it was saved \(MemTotal - MemAvailable\)$/m)
    assert.doesNotMatch(stdout, /this host/)
    const page = readFileSync(html, 'utf8')
    assert.ok(page.includes(`<dd data-fact="planned for">the host saved in ${HOST}, ${formatBytes(memTotal)} RAM</dd>`), page.slice(0, 2000))
    assert.match(page, /data-series="the saved host's maximum \(/)
    assert.doesNotMatch(page, /this host/)
    const {json} = await estimate(['--conns', '100k', '--root', HOST, '--json'])
    assert.equal(json.result.savedTree, HOST)
    assert.equal(json.result.ram.bytes, memTotal)
  })

  it("without --root: the figures are this host's, and it says so", async () => {
    const {stdout, exitCode} = await estimate(['--conns', '100k'])
    const {json} = await estimate(['--conns', '100k', '--json'])
    assert.equal(exitCode, 0)
    assert.match(stdout, /^100,000 connections, role server, on this host \(/m)
    assert.match(stdout, /^ {2}base {15}memory in use on this host now /m)
    assert.equal(json.result.savedTree, undefined)
  })

  it('prints a table, the verdict, the settings and a chart', async () => {
    const {stdout} = await estimate(['--conns', '250k', '--role', 'loopback', '--root', HOST, '--runtime', 'jvm-tls'])
    assert.match(stdout, /^kernel sockets\s+9\.\d+ KiB/m)
    assert.match(stdout, /^\s+\/proc walker\s+[\d,]+ B .*assumed/m)
    assert.match(stdout, /^process\s+40\.0 KiB/m) // 20 KiB for each side on loopback
    assert.match(stdout, /003_b085db01269d850e\.txt, "Limit Five: JVM Heap"/)
    assert.match(stdout, /^Fits: /m)
    assert.match(stdout, /net\.ipv4\.ip_local_port_range\s+1024 65535/)
    assert.equal(stdout.split('\n').filter((l) => /^\s+[\d,]+ {2}[.#=|!]+/.test(l)).length, 11)
  })

  it('--ram too small: says it does not fit, how many hosts, and the most per host', async () => {
    const {json} = await estimate(['--conns', '2M', '--root', HOST, '--ram', '4GiB', '--runtime', 'mochiweb', '--json'])
    const r = json.result
    assert.equal(r.fits, false)
    assert.equal(r.ram.bytes, 4 * 1024 ** 3)
    assert.ok(r.maxConnsPerHost > 0 && r.maxConnsPerHost < 2_000_000)
    assert.equal(r.hostsNeeded, Math.ceil(2_000_000 / r.maxConnsPerHost))
  })

  it('--out writes a self-contained HTML report with an inline SVG chart', async () => {
    const file = path.join(tmp, 'estimate.html')
    const {json} = await estimate(['--conns', '100k', '--root', HOST, '--out', file, '--json'])
    assert.equal(json.result.html, file)
    const html = readFileSync(file, 'utf8')
    assert.match(html, /^<!doctype html>/)
    assert.match(html, /<svg [^>]*viewBox/)
    assert.equal((html.match(/<polygon class="area"/g) ?? []).length, 3)
    assert.match(html, /<g class="rule" data-series="RAM \(/)
    // nothing loaded from elsewhere (url(#id) is a reference inside the page: the plot's clip path)
    assert.doesNotMatch(html, /<script|<link|<img|url\((?!#)|src=|href=/i)
  })

  it('takes the kernel figure from --calibration, and the native preset from it', async () => {
    const report = path.join(fixtures, 'probe-small.json')
    const {json} = await estimate(['--conns', '1M', '--role', 'loopback', '--root', HOST, '--calibration', report, '--runtime', 'native', '--json'])
    assert.equal(json.result.kernel.source, 'probe report')
    assert.equal(json.result.runtime.serverBytesPerConn, 1100)
    assert.equal(json.result.runtime.clientBytesPerConn, 900)
  })

  it('uses the newest saved probe report on this host when no --calibration is given', async () => {
    probeDir = path.join(tmp, 'probes')
    try {
      mkdirSync(probeDir, {recursive: true})
      // measured on this host's kernel, with 20,000 connections, or the lookup skips it
      const report = JSON.parse(readFileSync(path.join(fixtures, 'probe-20k.json'), 'utf8'))
      report.host.kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()
      writeFileSync(path.join(probeDir, 'old.json'), JSON.stringify(report))
      writeFileSync(path.join(probeDir, 'junk.json'), '{"not": "a report"}')
      const {json} = await estimate(['--conns', '1000', '--json'])
      assert.equal(json.result.kernel.source, 'probe report')
      assert.match(json.result.kernel.detail, /old\.json/)
    } finally {
      probeDir = path.join(tmp, 'no-probes')
    }
  })

  const bad: Array<[string, string[], RegExp]> = [
    ['--conns 0', ['--conns', '0'], /--conns must be a positive whole number/],
    ['--ram 12XB', ['--conns', '1M', '--ram', '12XB'], /--ram must be a size/],
    ['an unknown preset', ['--conns', '1M', '--runtime', 'cobol'], /unknown runtime preset "cobol"/],
    ['--active 2', ['--conns', '1M', '--active', '2'], /--active must be a fraction/],
    ['a missing calibration file', ['--conns', '1M', '--calibration', '/nonexistent/probe.json'], /no such file/],
  ]
  for (const [what, args, message] of bad) {
    it(`${what}: one clear line and exit 2`, async () => {
      const {json, exitCode} = await estimate([...args, '--root', HOST, '--json'])
      assert.equal(exitCode, 2)
      assert.equal(json.status, 2)
      assert.match(json.error.message, message)
    })
  }

  it('a calibration file that is not a probe report: exit 2, naming what is wrong', async () => {
    const notJson = path.join(tmp, 'notes.txt')
    writeFileSync(notJson, 'hello')
    const wrongSchema = path.join(tmp, 'other.json')
    writeFileSync(wrongSchema, JSON.stringify({schema: 'c1m.doctor/1'}))
    for (const [file, message] of [[notJson, /not JSON/], [wrongSchema, /schema is "c1m\.doctor\/1"/]] as const) {
      const {json, exitCode} = await estimate(['--conns', '1M', '--root', HOST, '--calibration', file, '--json'])
      assert.equal(exitCode, 2)
      assert.equal(json.error.code, 'E_BAD_REPORT')
      assert.match(json.error.message, message)
    }
  })

  it('human mode: the error is one line on stderr with the code, and no HTML is half-written', async () => {
    const file = path.join(tmp, 'never.html')
    const {stderr, exitCode} = await estimate(['--conns', '1M', '--ram', '12XB', '--root', HOST, '--out', file])
    assert.equal(exitCode, 2)
    assert.equal(stderr.trim().split('\n').length, 1)
    assert.match(stderr, /\[E_USAGE, exit 2\]/)
    assert.equal(existsSync(file), false)
  })

  it('an --out path that cannot be written: a usage error before any work (exit 2), and no temp file left', async () => {
    const file = path.join(tmp, 'no-such-dir', 'estimate.html')
    const {json, exitCode} = await estimate(['--conns', '1M', '--root', HOST, '--out', file, '--json'])
    assert.equal(exitCode, 2)
    assert.equal(json.error.code, 'E_USAGE')
    assert.match(json.error.message, /--out .*estimate\.html: the directory .*no-such-dir does not exist/)
    assert.equal(existsSync(path.dirname(file)), false)
  })
})
