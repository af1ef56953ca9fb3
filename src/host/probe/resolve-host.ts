import {lookup} from 'node:dns/promises'
import net from 'node:net'

import {C1mError, usageError} from '../../core/errors.js'

/** A target's host as the run uses it: the address, its family, and the name it was resolved from. */
export interface ResolvedHost {
  address: string
  family: 4 | 6
  name?: string
}

/**
 * Resolve a target's host once, before anything starts: an address stays itself (checked against
 * `family` when one is asked for); a name is looked up with the system's resolver (/etc/hosts, DNS)
 * and its first address of `family` is used, or its first of any when none is asked for.
 */
export async function resolveHost(host: string, family?: 4 | 6, flag = '--target'): Promise<ResolvedHost> {
  const literal = net.isIP(host)
  if (literal) {
    if (family && literal !== family) throw usageError(`${flag} ${host} is an IPv${literal} address and --family asks for IPv${family}`, `drop --family, or give an IPv${family} address`)
    return {address: host, family: literal as 4 | 6}
  }
  let found: Array<{address: string; family: number}>
  try {
    found = await lookup(host, {all: true, verbatim: true})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new C1mError('E_USAGE', `${flag}: the host name ${host} does not resolve (${code})`, 'check the name, or give an IP address')
  }
  const pick = found.find((a) => !family || a.family === family)
  if (!pick) {
    const has = [...new Set(found.map((a) => `IPv${a.family}`))].join(' and ')
    throw usageError(`${flag}: ${host} has no IPv${family} address (only ${has}: ${found.map((a) => a.address).join(', ')})`, `drop --family ${family}, or use --family ${family === 4 ? 6 : 4}`)
  }
  return {address: pick.address, family: pick.family as 4 | 6, name: host}
}
