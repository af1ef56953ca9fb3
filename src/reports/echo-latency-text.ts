import {worstWindow} from '../core/probe/latency-series.js'
import type {TrafficShape, TrafficTotals} from '../core/probe/run-report.js'
import {formatBytes, formatCount} from '../core/units.js'

/** How traffic was paced: rounds every interval, or a rate spread over the connections. */
export function describePace(traffic: TrafficShape & TrafficTotals): string {
  if (traffic.rate) return `messages, ${formatRate(traffic.rate)} a second spread over the connections`
  return `every ${traffic.intervalMs} ms on each connection, ${traffic.rounds} rounds`
}

function formatRate(rate: number): string {
  return rate >= 100 ? formatCount(Math.round(rate)) : String(Number(rate.toPrecision(3)))
}

/** One line: the echo latency of traffic from when each message was due, and the messages lost. */
export function describeEchoLatency(traffic: TrafficShape & TrafficTotals): string | undefined {
  const l = traffic.latency
  if (!l) return undefined
  const sent = l.count + l.lost
  if (l.count === 0) return `echo latency: no echo of ${formatCount(sent)} messages came back (all lost)`
  const lost = l.lost ? `, ${formatCount(l.lost)} of ${formatCount(sent)} lost` : ', none lost'
  return `echo latency from when each message was due (${formatCount(l.count)} messages): p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, p99.9 ${l.p999} ms, max ${l.max} ms${lost}`
}

/** One line for the latency against time: the window with the highest p99, when, and how many windows. */
export function describeWorstWindow(traffic: TrafficTotals): string | undefined {
  const series = traffic.latencySeries ?? []
  const worst = worstWindow(series)
  if (!worst || series.length < 2) return undefined
  const index = series.indexOf(worst)
  const from = index === 0 ? 0 : series[index - 1].atSeconds
  return `worst latency window of ${series.length}: p99 ${worst.p99Ms} ms (p50 ${worst.p50Ms} ms, ${formatCount(worst.messages)} messages) from ${from} s to ${worst.atSeconds} s after the traffic started`
}

/** `c1m client`'s lines for its traffic: what went and came back, and the echo latency. */
export function describeClientTraffic(traffic: TrafficShape & TrafficTotals): string[] {
  const failed = traffic.writeFailed ? `, ${formatCount(traffic.writeFailed)} writes cut short` : ''
  const lines = [`traffic: ${formatBytes(traffic.messageSize)} ${describePace(traffic)}, ${formatBytes(traffic.bytesSent)} sent, ${formatBytes(traffic.bytesReceived)} echoed back${failed}`]
  return [...lines, describeEchoLatency(traffic), describeWorstWindow(traffic)].filter((line) => line !== undefined)
}
