import {Flags} from '@oclif/core'

import {ROLES, type Role} from './core/needs.js'
import {parseCount} from './core/units.js'

/** Flags several commands share, defined once. */
export const connsFlag = Flags.custom<number>({
  char: 'n',
  description: 'target number of concurrent connections (1e6, 1M, 250k, 1000000)',
  helpValue: 'N',
  parse: async (input) => parseCount(input, 'conns'),
})

export const roleFlag = Flags.custom<Role>({
  char: 'r',
  description: 'server accepts the connections; client opens them; loopback holds both ends on this host',
  options: ROLES,
  helpValue: 'ROLE',
})

export const rootFlag = Flags.string({
  description: 'audit or change a saved host tree (from `c1m snapshot DIR`) instead of /',
  helpValue: 'DIR',
  default: '/',
})

/** --out FILE on probe and estimate: the extension picks the format (src/out-files.ts); repeatable. */
export function outFlag(description = 'write the report to FILE: .json for the JSON document (as --json prints its result), .html for a self-contained HTML page; give it twice for both') {
  return Flags.string({char: 'o', description, helpValue: 'FILE', multiple: true, multipleNonGreedy: true})
}

/** TLS flags of probe and client, for tls://, wss://, https:// and mqtts:// targets. */
export const tlsFlags = {
  ca: Flags.string({description: "over TLS: verify the server's certificate against the CA certificates in FILE (PEM) instead of the system's store", helpValue: 'FILE'}),
  insecure: Flags.boolean({description: "over TLS: do not verify the server's certificate (as curl's -k)", default: false}),
  servername: Flags.string({description: 'over TLS: the DNS name sent as SNI and checked in the certificate (default: the certificate must carry the target IP); also the Host header', helpValue: 'NAME'}),
}
