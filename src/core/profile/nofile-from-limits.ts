import type {PlanFacts} from './plan-rows.js'

/**
 * nofile as pam_limits gives it to a login, from limits.conf and limits.d entries in the
 * order read: the last line of each type (`-` sets both) for `user` when given (a user's own
 * line wins over `*` in pam_limits), else for `*`; and the file:line of each.
 */
export function nofileFromLimits(entries: {file: string; line: number; domain: string; type: string; item: string; value: string}[], user?: string): PlanFacts['nofile'] {
  const lastFor = (domain: string, type: 'soft' | 'hard') => entries.filter((e) => e.item === 'nofile' && e.domain === domain && (e.type === type || e.type === '-')).at(-1)
  const last = (type: 'soft' | 'hard') => (user === undefined ? undefined : lastFor(user, type)) ?? lastFor('*', type)
  const soft = last('soft')
  const hard = last('hard')
  const where = [...new Set([soft, hard].filter((e) => e !== undefined).map((e) => `${e.file}:${e.line}`))].join(', ')
  return {soft: soft?.value, hard: hard?.value, where: where || undefined, user}
}
