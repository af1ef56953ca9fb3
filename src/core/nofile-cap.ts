// Whether a process's hard RLIMIT_NOFILE can go up: doctor's fd.nofile-hard check and apply's
// plan (limits.d lines) ask the same question of the same /proc record.
import type {ProcessInfo} from './host-snapshot.js'
import {formatCount} from './units.js'

const CAP_SYS_RESOURCE = 24n

/**
 * Can this process raise its hard RLIMIT_NOFILE? Only with CAP_SYS_RESOURCE (root has it unless a
 * container drops it).
 */
export function canRaiseHard(process: ProcessInfo): {can: boolean; why: string} {
  const cap = process.capEff
  if (cap === undefined) return {can: false, why: 'its capabilities could not be read'}
  const has = (BigInt(`0x${cap}`) >> CAP_SYS_RESOURCE) & 1n
  if (has) return {can: true, why: 'it has CAP_SYS_RESOURCE'}
  const who = process.uid === 0 ? 'it runs as root but without CAP_SYS_RESOURCE (a container dropped it)' : 'it is not root and lacks CAP_SYS_RESOURCE'
  return {can: false, why: who}
}

/**
 * What apply must say when it writes limits.d nofile lines above a hard limit nothing here can raise (a
 * container started with a capped RLIMIT_NOFILE): pam_limits cannot lift a login past the cap the whole
 * container inherits, so logging in again does not fix doctor's fd.nofile-hard. Undefined when the lines
 * can take effect (the hard limit is high enough, or the process may raise it), or the limits were not read.
 */
export function loginCannotLift(process: ProcessInfo, wanted: number): string | undefined {
  const hard = process.nofile?.hard
  if (hard === undefined || hard === 'unlimited' || hard >= wanted || process.capEff === undefined) return undefined
  const raise = canRaiseHard(process)
  if (raise.can) return undefined
  return `the hard nofile limit here is ${formatCount(hard)} and cannot be raised (${raise.why}): the limits.d lines ask for ${formatCount(wanted)}, and logging in again will not lift a session past ${formatCount(hard)}; raise it where the container is started (docker run --ulimit nofile=${wanted}:${wanted}), or shard the connections over processes (SO_REUSEPORT)`
}
