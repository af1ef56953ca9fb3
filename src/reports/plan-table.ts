import chalk from 'chalk'
import {table} from 'table'
import type {Action, PlanRow} from '../core/profile/plan-rows.js'


const COLOUR: Record<Action, (s: string) => string> = {
  raise: chalk.green,
  set: chalk.green,
  lower: chalk.yellow,
  keep: chalk.dim,
  skip: chalk.yellow,
}

/** How a row's key reads in a table: sysctls by name, the rest by what they set. */
export function rowLabel(r: Pick<PlanRow, 'kind' | 'key' | 'unit' | 'user'>): string {
  if (r.kind === 'nofile') return `nofile ${r.key} (limits.d${r.user ? `, ${r.user}` : ''})`
  if (r.kind === 'systemd') return r.unit ? `systemd ${r.unit}.service ${r.key}` : `systemd ${r.key}`
  if (r.kind === 'addresses') return 'client source addresses'
  return r.key
}

function cut(text: string | undefined, width: number): string {
  if (!text) return '-'
  return text.length > width ? `${text.slice(0, width - 1)}…` : text
}

/** The apply plan: key, current, wanted, action, why. */
export function renderPlanTable(rows: PlanRow[]): string {
  const data = [
    ['key', 'current', 'wanted', 'action', 'why'].map((h) => chalk.bold(h)),
    ...rows.map((r) => [
      r.renamedFrom ? `${r.key}\n(was ${r.renamedFrom})` : rowLabel(r),
      cut(r.current, 28),
      r.value && r.value !== r.wanted ? `${r.wanted}\n-> ${r.value}` : r.wanted,
      COLOUR[r.action](r.action),
      r.why,
    ]),
  ]
  return table(data, {columns: {0: {width: 34, wrapWord: true}, 1: {width: 24, wrapWord: true}, 2: {width: 26, wrapWord: true}, 4: {width: 48, wrapWord: true}}})
}

/** One line per action count: "3 raise, 1 set, 5 keep, 2 skip". */
export function summarisePlan(rows: PlanRow[]): string {
  const order: Action[] = ['raise', 'set', 'lower', 'keep', 'skip']
  return order
    .map((a) => [a, rows.filter((r) => r.action === a).length] as const)
    .filter(([, n]) => n > 0)
    .map(([a, n]) => `${n} ${a}`)
    .join(', ')
}

/** `profiles show`: every value with its source and what c1m does with it on this kernel. */
export function renderProfileTable(rows: PlanRow[]): string {
  const data = [
    ['key', 'value', 'source', 'on this host'].map((h) => chalk.bold(h)),
    ...rows.map((r) => [
      r.renamedFrom ? `${r.renamedFrom}\n-> ${r.key}` : rowLabel(r),
      r.formula ? `${r.wanted}\n= ${r.formula}` : r.wanted,
      `${r.source.own ? `c1m's own, not ${r.source.file}: ${r.source.own}` : r.source.file}\n${r.source.section}${r.source.note ? `\n(${r.source.note})` : ''}\n[${r.source.at}]`,
      `${COLOUR[r.action](r.action)}${r.current ? ` (now ${cut(r.current, 24)})` : ''}: ${r.why}`,
    ]),
  ]
  return table(data, {columns: {0: {width: 30, wrapWord: true}, 1: {width: 30, wrapWord: true}, 2: {width: 40, wrapWord: true}, 3: {width: 40, wrapWord: true}}})
}
