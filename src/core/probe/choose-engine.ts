import {usageError} from '../errors.js'
import {nodeEngineRefuses, type Protocol} from './protocol.js'
import type {Engine} from './run-report.js'

/** Which engine runs, and the note to show when it is not the one asked for. */
export interface EngineChoice {
  engine: Engine
  note?: string
}

/**
 * The engine for a run of probe, client or server: the one asked for, unless --engine node cannot
 * speak the protocol (a usage error), or the native programs were built without TLS (no OpenSSL
 * headers) and the node engine can open these connections instead.
 */
export function chooseEngine(asked: Engine, protocol: Protocol, where: {bundledServer: boolean; nativeTls: boolean}): EngineChoice {
  const nodeCannot = nodeEngineRefuses(protocol, where.bundledServer)
  if (asked === 'node' && nodeCannot) throw usageError(nodeCannot, 'drop --engine node')
  if (asked !== 'native' || !protocol.tls || where.nativeTls || nodeCannot) return {engine: asked}
  return {engine: 'node', note: 'the native programs are built without TLS here (no OpenSSL headers: apt-get install libssl-dev); the node engine opens these connections instead'}
}
