import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseSysctlInt, parseSysctlInts} from '../src/core/sysctl-value.js'
import {parseProcLimits} from '../src/host/read/limits.js'
import {parseTcpLine} from '../src/host/read/listeners.js'
import {parseProcStat} from '../src/host/read/process-stat.js'
import {lowestSoftLimit} from '../src/host/read/server-processes.js'
import type {ServerProcess} from '../src/core/host-snapshot.js'

describe('parseSysctlInts', () => {
  it('reads integers and vectors as the kernel prints them', () => {
    assert.deepEqual(parseSysctlInts('4096\t131072\t6291456\n', 3), [4096, 131_072, 6_291_456])
    assert.equal(parseSysctlInt('2470372'), 2_470_372)
    assert.equal(parseSysctlInt('-1'), -1)
  })
  it('calls empty, non-numeric, fractional and wrong-length values malformed', () => {
    for (const [text, count] of [['', 3], ['  ', 1], ['abc', 1], ['1.5', 1], ['1 2', 3], ['1 2 x', 3], ['99999999999999999999', 1]] as const) {
      assert.equal(parseSysctlInts(text, count), undefined, JSON.stringify(text))
    }
    assert.equal(parseSysctlInt(undefined), undefined)
  })
})

describe('process files', () => {
  it('reads comm (with spaces and parentheses) and the flags of /proc/PID/stat', () => {
    assert.deepEqual(parseProcStat('2 (kthreadd) S 0 0 0 0 -1 2129984 0 0'), {pid: 2, comm: 'kthreadd', state: 'S', ppid: 0, flags: 2_129_984})
    const full = '9 (a b) Z 1 9 9 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 123456 0 0'
    assert.deepEqual(parseProcStat(full), {pid: 9, comm: 'a b', state: 'Z', ppid: 1, flags: 4_194_560, startTime: 123_456})
    assert.equal(parseProcStat('77 (a (b) c) S 1 77 77 0 -1 4194560 1')!.comm, 'a (b) c')
    assert.equal(parseProcStat('garbage'), undefined)
  })
  it('calls a malformed Max open files row missing, not NaN', () => {
    assert.equal(parseProcLimits('Max open files            abc                  20000                files\n'), undefined)
  })
  it('reads a /proc/net/tcp line as listening or a connection', () => {
    const listen = '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1'
    const conn = '   1: 0100007F:1F91 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 4243 1'
    assert.deepEqual(parseTcpLine(listen, false), {local: '127.0.0.1:8080', inode: 4242, listening: true})
    assert.deepEqual(parseTcpLine(conn, false), {local: '127.0.0.1:8081', inode: 4243, listening: false})
    assert.equal(parseTcpLine('  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode', false), undefined)
  })
  it('audits the process with the lowest soft limit, then the least headroom', () => {
    const p = (pid: number, nofileSoft: number | 'unlimited', openFds: number) => ({pid, comm: 'x', nofileSoft, nofileHard: 'unlimited', openFds, sockets: 1, listening: 1, connections: 0}) as ServerProcess
    assert.equal(lowestSoftLimit([p(1, 20_000, 5), p(2, 8192, 10), p(3, 8192, 100)])?.pid, 3)
    assert.equal(lowestSoftLimit([p(1, 'unlimited', 5), p(2, 1024, 10)])?.pid, 2)
    assert.equal(lowestSoftLimit([]), undefined)
  })
})
