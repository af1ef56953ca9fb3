import net from 'node:net'

import {DURATION_FLAGS, parseBoundedDuration} from '../duration.js'
import {type C1mError, usageError} from '../errors.js'
import {formatEndpoint, parsePortRange, parseShard} from '../units.js'
import {sourceAddresses} from '../ipv6-prefix.js'
import {chooseEngine} from './choose-engine.js'
import type {FanoutSource} from './fanout.js'
import {parsePublish, publishRefusal} from './probe-request.js'
import {checkRules, type FlagRule, resolveOrError} from './flag-rules.js'
import {type HostShare, hostShare} from './host-share.js'
import type {SourceMode} from './plan-shards.js'
import {type HttpMode, isPush, parseTarget, type Protocol, type ProtocolFlags, withProtocolFlags} from './protocol.js'
import {type SessionFlags, withSession} from './session.js'
import type {Engine, TrafficShape} from './run-report.js'
import {parseMessageSize, TRAFFIC_RULES, trafficShape} from './traffic-rate.js'

// What `c1m client` is asked to do, from its flags: every value parsed and every rule between flags
// checked here, before any process starts. Pure.

/** The flags of `c1m client`, as oclif parses them (src/commands/client.ts). */
export interface ClientFlags extends ProtocolFlags, SessionFlags {
  target: string
  http?: HttpMode
  ports: number
  conns: number
  engine: Engine
  source?: string[]
  'source-ports': string
  steps: number
  inflight: number
  'open-timeout': string
  echo: boolean
  hold: string
  shard?: string
  'message-size'?: string
  interval?: string
  rate?: string
  publish?: string
  'publish-every'?: string
}

export interface ClientRequest {
  host: string
  port: number
  protocol: Protocol
  /** host:port of each server worker, from the target port on (--ports). */
  endpoints: string[]
  /** This host's connections: --conns, or its share of them under --shard. */
  conns: number
  share?: HostShare
  engine: Engine
  /** Warnings to show before the run starts. */
  notes: string[]
  holdMs: number
  openTimeoutMs: number
  sourcePorts: [number, number]
  sources: SourceMode
  steps: number
  inflight: number
  /** The echo check runs: asked for, and the server does not push. */
  echo: boolean
  /** --message-size bytes each --interval on every connection, or --rate a second spread, in the hold. */
  traffic?: TrafficShape
  /** --publish: one connection publishes through the server during the hold, every receipt timed. */
  fanout?: FanoutSource
}

/** The flags with the target and this host's share read: what the rules between flags read. */
interface ClientDraft {
  flags: ClientFlags
  port: number
  conns: number
  holdMs: number
  traffic?: TrafficShape
  push: boolean
}

/** Rules between flags, checked in this order. */
const CLIENT_RULES: FlagRule<ClientDraft>[] = [
  {
    breaks: (d) => d.port + d.flags.ports - 1 > 65_535,
    error: (d) => usageError(`--ports ${d.flags.ports} from port ${d.port} runs past 65535`),
  },
  {
    breaks: (d) => d.conns < 1,
    error: (d) => usageError(`--shard ${d.flags.shard} of --conns ${d.flags.conns} leaves this host no connection`, 'use fewer shards or more connections'),
  },
  {
    breaks: (d) => d.traffic !== undefined && (d.holdMs <= 0 || !Number.isFinite(d.holdMs)),
    error: () => usageError('--message-size sends traffic during a hold that ends: give --hold a duration', 'add --hold 30s'),
  },
  {
    breaks: (d) => d.traffic !== undefined && !d.flags.echo,
    error: () => usageError('--message-size sends echo traffic, and --no-echo promises the server not one byte', 'drop one of them'),
  },
  {
    breaks: (d) => d.traffic !== undefined && d.push,
    error: () => usageError('--message-size is echo traffic (raw TCP, WebSocket frames, MQTT PUBLISHes), not for a server that pushes', 'drop --message-size for this run'),
  },
]

/** What `c1m client` is asked to do, or the one error it is refused with. */
/** A target's host name resolved (by the command, in src/host): the address the run connects to. */
export interface ResolvedAddress {
  address: string
  family: 4 | 6
}

export function resolveClientRequest(flags: ClientFlags, host: {nativeTls: boolean; resolved?: ResolvedAddress}): ClientRequest | C1mError {
  return resolveOrError(() => resolveClient(flags, host))
}

function resolveClient(flags: ClientFlags, host: {nativeTls: boolean; resolved?: ResolvedAddress}): ClientRequest {
  const written = parseTarget(flags.target, '127.0.0.1:9000', flags.http)
  const family = host.resolved?.family ?? (net.isIPv6(written.host) ? 6 : 4)
  const parsed = {...written, host: host.resolved?.address ?? written.host}
  const messageSize = flags['message-size'] === undefined ? undefined : parseMessageSize(flags['message-size'])
  checkRules(TRAFFIC_RULES, {...flags, messageSize})
  const traffic = messageSize === undefined ? undefined : trafficShape(messageSize, flags.interval, flags.rate)
  const shaped = withSession(withProtocolFlags(parsed.protocol, flags), flags)
  // MQTT traffic is published to a topic of each connection's own, which it subscribes to when it opens.
  const protocol: Protocol = shaped.kind === 'mqtt' && traffic ? {...shaped, echo: true} : shaped
  const chosen = chooseEngine(flags.engine, protocol, {bundledServer: false, nativeTls: host.nativeTls})
  const share = flags.shard === undefined ? undefined : hostShare(flags.conns, parseShard(flags.shard), parsePortRange(flags['source-ports']))
  const conns = share?.conns ?? flags.conns
  const holdMs = parseBoundedDuration(flags.hold, 'hold', DURATION_FLAGS['client-hold'])
  checkRules(CLIENT_RULES, {flags, port: parsed.port, conns, holdMs, traffic, push: isPush(protocol)})
  const published = parsePublish(flags.publish, flags['publish-every'])
  if (!published && protocol.session?.event !== undefined) throw usageError('--event names the event --publish sends: give --publish too', 'add --publish TEXT, or drop --event')
  if (published && holdMs <= 0) throw usageError('--publish publishes during the hold: give --hold too', 'add --hold 30s')
  const refusal = published && publishRefusal(protocol)
  if (refusal) throw usageError(`--publish: ${refusal}`, 'see c1m client --help for --publish')
  const openTimeoutMs = parseBoundedDuration(flags['open-timeout'], 'open-timeout', DURATION_FLAGS['open-timeout'])
  const sourcePorts = share?.ports ?? parsePortRange(flags['source-ports'])
  const addresses = sourceAddresses(flags.source ?? [], family, Math.ceil(conns / (sourcePorts[1] - sourcePorts[0] + 1)))
  const sources: SourceMode = addresses.length > 0
    ? {kind: 'addresses', addresses}
    : parsed.host.startsWith('127.') ? {kind: 'loopback'} : {kind: 'kernel'}
  const notes = chosen.note ? [chosen.note] : []
  if (share && sources.kind === 'kernel') notes.push(`--shard ${flags.shard}: without --source the kernel picks the source ports, so the slice ${share.ports.join('-')} is not used`)
  return {
    host: parsed.host,
    port: parsed.port,
    protocol,
    endpoints: Array.from({length: flags.ports}, (_, i) => formatEndpoint(parsed.host, parsed.port + i)),
    conns,
    ...(share ? {share} : {}),
    engine: chosen.engine,
    notes,
    holdMs,
    openTimeoutMs,
    sourcePorts,
    sources,
    steps: Math.min(flags.steps, conns),
    inflight: flags.inflight,
    echo: flags.echo && !isPush(protocol),
    ...(traffic ? {traffic} : {}),
    // NATS does not send a publisher its own message: c1m's CONNECT says echo false.
    ...(published ? {fanout: {...published, publisherReceives: protocol.session?.app !== 'nats'}} : {}),
  }
}
