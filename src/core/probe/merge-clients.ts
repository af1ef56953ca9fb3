import type {HostShare} from './host-share.js'

// `c1m probe --merge`: the results of K client hosts that each ran
// `c1m client --shard I/K --json` as one run. Pure: host/client-results.ts reads the files.

export const CLIENT_MERGE_SCHEMA = 'c1m.client-merge/1'

/** The fields of one host's `c1m client --json` result that the merge adds up. */
export interface ClientHostResult {
  conns: number
  established: number
  failed: number
  addrInUse: number
  openSeconds: number
  heldSeconds: number
  echo?: {sent: number; echoed: number; mismatched?: number; closed?: number}
  stopped?: string
  shard?: HostShare
}

export interface MergedClients {
  schema: typeof CLIENT_MERGE_SCHEMA
  hosts: Array<{name: string; file: string} & ClientHostResult>
  conns: number
  established: number
  failed: number
  addrInUse: number
  /** The slowest host's open time: the hosts ran at once. */
  openSeconds: number
  connectsPerSecond: number
  echo?: {sent: number; echoed: number; mismatched: number; closed: number}
  /** With --shard results: the shards of 1..K no file gave. */
  missingShards: number[]
  /** Every host opened (and echoed) what it was asked, and no shard is missing. */
  complete: boolean
}

export function mergeClientResults(inputs: Array<{name: string; file: string; result: ClientHostResult}>): MergedClients {
  const sum = (pick: (r: ClientHostResult) => number) => inputs.reduce((total, {result}) => total + pick(result), 0)
  const openSeconds = Math.max(0, ...inputs.map(({result}) => result.openSeconds))
  const established = sum((r) => r.established)
  const echoed = inputs.filter(({result}) => result.echo)
  const echo = echoed.length === 0 ? undefined : {
    sent: sum((r) => r.echo?.sent ?? 0),
    echoed: sum((r) => r.echo?.echoed ?? 0),
    mismatched: sum((r) => r.echo?.mismatched ?? 0),
    closed: sum((r) => r.echo?.closed ?? 0),
  }
  const count = inputs.find(({result}) => result.shard)?.result.shard?.count
  const given = new Set(inputs.flatMap(({result}) => (result.shard ? [result.shard.index] : [])))
  const missingShards = count === undefined ? [] : Array.from({length: count}, (_, i) => i + 1).filter((i) => !given.has(i))
  const conns = sum((r) => r.conns)
  const complete = missingShards.length === 0 && established >= conns && inputs.every(({result}) => !result.stopped) && (!echo || echo.echoed === echo.sent)
  return {
    schema: CLIENT_MERGE_SCHEMA,
    hosts: inputs.map(({name, file, result}) => ({name, file, ...result})),
    conns,
    established,
    failed: sum((r) => r.failed),
    addrInUse: sum((r) => r.addrInUse),
    openSeconds,
    connectsPerSecond: openSeconds > 0 ? Math.round(established / openSeconds) : 0,
    ...(echo ? {echo} : {}),
    missingShards,
    complete,
  }
}
