import {escapeXml} from './escape.js'

export interface HeaderFacts {
  title: string
  /** Host name, or why there is none. */
  host: string
  kernel: string
  /** The c1m that wrote the data, and the one that rendered the page when they differ. */
  version: string
  /** When the data was taken, ISO 8601. */
  date: string
  more?: Array<[string, string]>
}

/** The styles every c1m HTML report shares: no fonts, images or scripts from elsewhere. */
export const REPORT_CSS = 'body{font-family:sans-serif;max-width:760px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border-bottom:1px solid #ddd;padding:.3em .8em;text-align:left;vertical-align:top}th{background:#f4f4f4}td.n,th.n{text-align:right}dl.facts{display:grid;grid-template-columns:max-content auto;gap:.1em 1em;margin:.5em 0 1.5em}dl.facts dt{color:#666}dl.facts dd{margin:0}svg.panel{display:block;margin:1em 0}'

/** The top of a report: what it is about, from which host and kernel, which c1m, and when. */
export function renderReportHeader(facts: HeaderFacts): string {
  const rows: Array<[string, string]> = [['host', facts.host], ['kernel', facts.kernel], ['c1m', facts.version], ['date', facts.date], ...(facts.more ?? [])]
  return `<h1>${escapeXml(facts.title)}</h1>\n<dl class="facts">${rows.map(([k, v]) => `<dt>${escapeXml(k)}</dt><dd data-fact="${escapeXml(k)}">${escapeXml(v)}</dd>`).join('')}</dl>`
}

/** 2026-11-22T23:05:00.000Z as "2026-11-22 23:05 UTC". */
export function formatDate(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`
}
