import assert from 'node:assert/strict'
import {socketCacheCost} from '../src/core/estimate/socket-cost.js'
import {describe, it} from 'node:test'

import {buildProbeReport} from '../src/core/probe/build-fit-report.js'
import {renderProbeHtml} from '../src/reports/probe-html.js'
import {renderProbeReport} from '../src/reports/probe-text.js'
import type {ProbeRunReport} from '../src/core/probe/run-report.js'

const MiB = 1024 ** 2

function report(stopped?: string): ProbeRunReport {
  const samples = [0, 10_000, 20_000].map((conns) => ({
    conns,
    established: conns,
    meminfo: {Slab: 100 * MiB + conns * 10_240},
    server: {rss: 2 * MiB},
    client: {rss: 3 * MiB + conns * 4096},
  }))
  return {
    ...buildProbeReport({engine: 'native', socketsPerConn: 2, host: {kernel: '6.18.0<b>', memTotalBytes: 24 * 1024 ** 3, cpus: 2}, samples}),
    requestedConns: 20_000,
    isolation: {netns: 'c1m-probe-42', reason: 'a network namespace of its own, deleted afterwards', sysctls: {'net.core.somaxconn': '65535'}},
    plan: {processesPerSide: 2, connsPerProcess: 10_000, hardNofile: 20_000, steps: 2},
    steps: [
      {step: 1, conns: 10_000, established: 10_000, seconds: 0.5, connectsPerSecond: 20_000},
      {step: 2, conns: 20_000, established: 20_000, seconds: 0.25, connectsPerSecond: 40_000},
    ],
    echo: {sent: 20_000, echoed: 20_000, seconds: 0.3},
    ...(stopped ? {stopped} : {}),
  }
}

describe('renderProbeReport', () => {
  it('shows each sample with the kernel growth, and the fitted cost per connection', () => {
    const text = renderProbeReport(report())
    assert.match(text, /│\s+20,000 │\s+20,000 │\s+\+195\.3 MiB │\s+2\.0 MiB │\s+81\.1 MiB │/)
    assert.match(text, /kernel: {2}10\.0 KiB per connection .*; 5\.00 KiB per socket/)
    assert.match(text, /clients: 4\.00 KiB per connection/)
    assert.match(text, /connect rate: up to 40,000 connections\/s/)
  })

  it('names where it ran, and what the hold held with the buffer memory under traffic', () => {
    const r = report()
    assert.match(renderProbeReport(r), /isolation: network namespace c1m-probe-42 \(deleted afterwards\), with net\.core\.somaxconn 65535/)
    r.isolation = {netns: null, reason: '--no-netns', sysctls: {'net.core.somaxconn': '4096'}}
    r.hold = {
      seconds: 10.002, conns: 20_000, serverOpen: 20_000, clientOpen: 19_990, serverCounted: true, dropped: 10, echo: {sent: 19_990, echoed: 19_990, mismatched: 0, closed: 0, firstBytes: ''},
      traffic: {messageSize: 64, intervalMs: 1000, rounds: 10, bytesSent: 12_800_000, bytesReceived: 12_800_000, writeFailed: 0,
        sockstatMemPages: {idle: 10, peak: 10_000, mean: 5000, readings: 20}, bytesPerConn: {idle: 2, peak: 2048, mean: 1024}},
    }
    const text = renderProbeReport(r)
    assert.match(text, /isolation: host loopback \(--no-netns\), with the host's net\.core\.somaxconn 4096/)
    assert.match(text, /hold: 20,000 connections for 10\.002 s; at the end servers held 20,000, clients 19,990, 10 dropped, 19,990 of 19,990 echoed after it/)
    assert.match(text, /traffic: 64 B every 1000 ms on each connection, 10 rounds, 12\.2 MiB sent, 12\.2 MiB echoed back\n/)
    assert.match(text, /TCP buffers \(sockstat mem, whole host\): idle 2 B per connection; with traffic 1\.00 KiB mean, 2\.00 KiB peak \(10 -> 10000 pages\)/)
    assert.match(renderProbeHtml(r), /<h2>Hold<\/h2>\n<p>hold: 20,000 connections/)
  })

  it('names the session a WebSocket or raw TCP run carried, not the echo of a bare WebSocket', () => {
    const r = {...report(), protocol: 'ws' as const}
    assert.match(renderProbeReport(r), /protocol: WebSocket \(RFC 6455\): .*echoes are masked text frames/)
    const session = {app: 'socketio' as const, options: {}, accepted: 20_000, refused: 0, heartbeatsAnswered: 40_000, heartbeatsSent: 0}
    const text = renderProbeReport({...r, session})
    assert.match(text, /protocol: WebSocket \(RFC 6455\) carrying a socketio session: .*accepted the session/)
    assert.doesNotMatch(text, /masked text frames/)
    assert.match(renderProbeReport({...report(), protocol: 'tcp', session: {...session, app: 'nats' as const}}), /protocol: raw TCP carrying a nats session/)
  })

  it("adds up the socket's own slab caches apart from the rest (socketCacheCost), and the text shows them", () => {
    const r = report()
    r.fit.slabPerConn = {TCP: 5000, sock_inode_cache: 1700, dentry: 700, filp: 400, eventpoll_epi: 392, proc_inode_cache: 1400}
    r.socketCaches = socketCacheCost(r.fit.slabPerConn, r.socketsPerConn)
    assert.deepEqual(r.socketCaches, {bytesPerConn: 8192, bytesPerSocket: 4096})
    assert.equal(socketCacheCost({proc_inode_cache: 1400}, 2), undefined)
    assert.match(renderProbeReport(r), /socket's own caches \(TCP, sock_inode_cache, dentry, filp, eventpoll_epi\): 8\.00 KiB per connection, 4\.00 KiB per socket/)
  })
})

describe('simulated client hosts over IPv6', () => {
  it('names the family, each host\'s /64, the server, and with NAT66 the router\'s entries by family', () => {
    const r: ProbeRunReport = {
      ...report(),
      family: 6,
      ipv6: {prefix: 'fd00:c1::/64', server: 'fd00:c1::1', sources: 2},
      conntrack: {bytesPerConn: 256, cache: 'nf_conntrack', family: 6, entries: {ipv4: 0, ipv6: 20_000}},
    }
    r.isolation.clientHosts = {count: 2, nat: true, serverAddress: 'fd00:c1::1', addresses: [['fd00:c1:1::2'], ['fd00:c1:2::2']], prefixes: ['fd00:c1:1::/64', 'fd00:c1:2::/64'], router: 'c1m-probe-42-nat'}
    const text = renderProbeReport(r)
    assert.match(text, /clients on 2 simulated hosts \(2 addresses from fd00:c1:1::2, subnets fd00:c1:1::\/64, fd00:c1:2::\/64\) behind a masquerading router, server at fd00:c1::1/)
    assert.match(text, /family: IPv6, server fd00:c1::1 in fd00:c1::\/64 on lo, clients bound to 2 address\(es\) of their hosts' own \/64s, routed to the server through the NAT66 router/)
    assert.match(text, /conntrack \(--nat, NAT66\): 256 B per connection, .*; the router's table held 20,000 IPv6 and 0 IPv4 entries with the connections open/)
    // Many hosts: the first and the last subnet.
    r.isolation.clientHosts.prefixes = Array.from({length: 8}, (_, i) => `fd00:c1:${i + 1}::/64`)
    assert.match(renderProbeReport(r), /subnets fd00:c1:1::\/64 \.\. fd00:c1:8::\/64\)/)
  })
})

describe('a run that is not a measurement', () => {
  it('text and HTML print each fit problem and the quoted wrong echo', () => {
    const r = {...report(), stopped: 'the server refused 3 connections: it closed them right after accepting (after 5 attempts); these are not established connections'}
    r.fit = {...r.fit, problems: ['only 2 samples (at least 3 are needed for a fit)', 'the run stopped early: the server refused 3 connections']}
    r.echo = {sent: 20_000, echoed: 0, mismatched: 20_000, closed: 0, firstBytes: 'HTTP/1.1 400 Bad Request\r\n', seconds: 0.3}
    const text = renderProbeReport(r)
    assert.match(text, /^not a measurement: only 2 samples \(at least 3 are needed for a fit\)$/m)
    assert.match(text, /^not a measurement: the run stopped early: the server refused 3 connections$/m)
    assert.match(text, /echo check: 0 of 20,000 connections echoed byte for byte; 20,000 answered with other bytes, first "HTTP\/1\.1 400 Bad Request\\x0d\\x0a"/)
    const html = renderProbeHtml(r)
    assert.match(html, /<p class="problem"><strong>Not a measurement:<\/strong> only 2 samples/)
    assert.match(html, /20,000 answered with other bytes, first &quot;HTTP\/1\.1 400 Bad Request\\x0d\\x0a&quot;/)
  })
})

describe('renderProbeHtml', () => {
  it('draws each quantity in its own panel: kernel growth, process RSS per side, connect rate per step', () => {
    const html = renderProbeHtml(report())
    assert.deepEqual([...html.matchAll(/<svg class="panel" data-panel="(\w+)"/g)].map((m) => m[1]), ['kernel', 'process', 'rate'])
    const panel = (id: string) => html.slice(html.indexOf(`data-panel="${id}"`), html.indexOf('</svg>', html.indexOf(`data-panel="${id}"`)))
    // kernel: one measured line and its fit; process: servers and clients, each with its fit
    assert.equal(panel('kernel').match(/<polyline class="measured"/g)?.length, 1)
    assert.equal(panel('kernel').match(/<polyline class="fit"/g)?.length, 1)
    assert.equal(panel('process').match(/<polyline class="measured"/g)?.length, 2)
    assert.equal(panel('process').match(/<polyline class="fit"/g)?.length, 2)
    for (const [, points] of html.matchAll(/<polyline class="measured"[^>]*points="([^"]+)"/g)) assert.equal(points.split(' ').length, 3)
    assert.equal(html.match(/<circle class="point"/g)?.length, 9)
    // a bar per step of the ramp
    assert.equal(panel('rate').match(/<rect class="bar"/g)?.length, report().steps.length)
  })

  it('the legend names every series, the dashed fits as dashed', () => {
    const html = renderProbeHtml(report())
    const legend = [...html.matchAll(/<g class="legend-item" data-series="([^"]+)" data-style="(\w+)"/g)].map((m) => [m[1], m[2]])
    assert.equal(legend.filter(([, style]) => style === 'dashed').length, 3)
    assert.ok(legend.some(([name, style]) => /^kernel growth, fit: 10\.0 KiB\/conn/.test(name) && style === 'dashed'), JSON.stringify(legend))
    assert.ok(legend.some(([name, style]) => name === 'servers RSS, measured' && style === 'solid'))
    assert.ok(legend.some(([, style]) => style === 'bars'))
  })

  it('the header names host, kernel, c1m version and date', () => {
    const r = {...report(), version: '9.9.9', host: {...report().host, hostname: 'box-1'}}
    const html = renderProbeHtml(r, {version: '9.9.9'})
    assert.match(html, /<dd data-fact="host">box-1<\/dd>/)
    assert.match(html, /<dd data-fact="kernel">6\.18\.0&lt;b&gt;; /)
    assert.match(html, /<dd data-fact="c1m">c1m 9\.9\.9<\/dd>/)
    assert.match(html, /<dd data-fact="date">\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/dd>/)
  })

  it('the table shows kernel growth, as the chart does, and each step\'s connect rate', () => {
    const html = renderProbeHtml(report())
    assert.match(html, /<th class="n">kernel growth<\/th>/)
    assert.match(html, /<td class="n">\+0 B<\/td>/)
    const rate = report().steps[0].connectsPerSecond.toLocaleString('en-US')
    assert.ok(html.includes(`<td class="n">${rate}/s</td>`), rate)
  })

  it('is self-contained and escapes what it prints', () => {
    const html = renderProbeHtml(report('step 2 opened 5 of 10 connections (connect: <refused>)'))
    assert.doesNotMatch(html, /<script|src=|href=/)
    assert.match(html, /6\.18\.0&lt;b&gt;/)
    assert.match(html, /Stopped early: step 2 opened 5 of 10 connections \(connect: &lt;refused&gt;\)/)
    assert.match(html, /<td>kernel<\/td><td class="n">10\.0 KiB<\/td>/)
  })

  it('draws the echo latency against time, one line per percentile, and the text gives the worst window', () => {
    const r = report()
    const window = (atSeconds: number, messages: number, p50Ms: number, p99Ms: number, lost = 0) => ({atSeconds, messages, p50Ms, p90Ms: p50Ms, p99Ms, p999Ms: p99Ms, maxMs: p99Ms + 1, lost})
    const latencySeries = [window(1, 200, 1, 2), window(2, 200, 150, 160), window(3, 0, 0, 0), window(4, 180, 151, 170, 20)]
    r.hold = {
      seconds: 4, conns: 20_000, serverOpen: 20_000, clientOpen: 20_000, serverCounted: true, dropped: 0,
      traffic: {messageSize: 64, intervalMs: 1000, rounds: 4, bytesSent: 38_400, bytesReceived: 37_120, writeFailed: 0, latencySeries,
        latency: {count: 580, p50: 150, p90: 160, p99: 170, p999: 171, max: 171, lost: 20},
        sockstatMemPages: {idle: 10, peak: 20, mean: 15, readings: 4}, bytesPerConn: {idle: 2, peak: 4, mean: 3}},
    }
    const html = renderProbeHtml(r)
    assert.deepEqual([...html.matchAll(/<svg class="panel" data-panel="([\w-]+)"/g)].map((m) => m[1]), ['kernel', 'process', 'rate', 'latency-time', 'latency-lost'])
    const panel = (id: string) => html.slice(html.indexOf(`data-panel="${id}"`), html.indexOf('</svg>', html.indexOf(`data-panel="${id}"`)))
    const lines = [...panel('latency-time').matchAll(/<polyline class="measured" data-series="([^"]+)"[^>]*points="([^"]+)"/g)]
    assert.deepEqual(lines.map((m) => m[1]), ['p50 of each window', 'p90 of each window', 'p99 of each window', 'p99.9 of each window', 'max of each window'])
    // The window with no echo is left out of the lines: three points each.
    for (const [, , points] of lines) assert.equal(points.split(' ').length, 3)
    assert.match(panel('latency-time'), /seconds since the traffic started/)
    assert.equal(panel('latency-lost').match(/<rect class="bar"/g)?.length, 4)
    assert.match(renderProbeReport(r), /worst latency window of 4: p99 170 ms \(p50 151 ms, 180 messages\) from 3 s to 4 s after the traffic started\n/)
    r.hold.traffic!.latencySeries = latencySeries.map((w) => ({...w, lost: 0}))
    assert.doesNotMatch(renderProbeHtml(r), /data-panel="latency-lost"/)
    delete r.hold.traffic!.latencySeries
    assert.doesNotMatch(renderProbeHtml(r), /data-panel="latency-time"/)
    assert.doesNotMatch(renderProbeReport(r), /worst latency window/)
  })
})
