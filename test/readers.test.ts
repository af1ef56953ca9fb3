import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseKmsg} from '../src/host/read/kernel-log.js'
import {parseLimitsConf, parseProcLimits} from '../src/host/read/limits.js'
import {parseProcNetTcpListeners, parseSsListeners} from '../src/host/read/listeners.js'
import {parseMeminfo, parseSlabinfo, parseSockstat} from '../src/host/read/memory.js'
import {parseSysctlConf} from '../src/host/read/sysctl-files.js'
import {sysctlKey, sysctlPath} from '../src/host/read/sysctl.js'
import {reservedInRange} from '../src/core/doctor/checks/ports.js'
import {slabFootprint, socketCost} from '../src/core/estimate/socket-cost.js'

describe('sysctl names and paths', () => {
  it('maps both ways, with dotted interface names', () => {
    assert.equal(sysctlPath('net.ipv4.tcp_mem'), '/proc/sys/net/ipv4/tcp_mem')
    assert.equal(sysctlPath('net.ipv4.conf.eth0/100.rp_filter'), '/proc/sys/net/ipv4/conf/eth0.100/rp_filter')
    assert.equal(sysctlKey('/proc/sys/net/ipv4/conf/eth0.100/rp_filter'), 'net.ipv4.conf.eth0/100.rp_filter')
  })
  it('parses sysctl.conf lines, comments and the ignore-errors dash', () => {
    const e = parseSysctlConf('# c\n; c\nnet.core.somaxconn=1024\n-net.ipv4.tcp_tw_recycle = 1\nnet/ipv4/tcp_mem = 1  2\t3\n', 'f')
    assert.deepEqual(e.map((x) => [x.key, x.value, x.line]), [['net.core.somaxconn', '1024', 3], ['net.ipv4.tcp_tw_recycle', '1', 4], ['net.ipv4.tcp_mem', '1 2 3', 5]])
  })
})

describe('limits', () => {
  it('reads Max open files from /proc/PID/limits', () => {
    assert.deepEqual(parseProcLimits('Max open files            1024                 524288               files\n'), {soft: 1024, hard: 524288})
    assert.deepEqual(parseProcLimits('Max open files            unlimited            unlimited            files\n'), {soft: 'unlimited', hard: 'unlimited'})
  })
  it('reads limits.conf entries with their lines', () => {
    const e = parseLimitsConf('# x\n* soft nofile 1024 # c\nroot - nofile 999999\nbad line\n', '/etc/security/limits.conf')
    assert.deepEqual(e.map((x) => [x.domain, x.type, x.value, x.line]), [['*', 'soft', '1024', 2], ['root', '-', '999999', 3]])
  })
})

describe('memory files', () => {
  it('converts meminfo to bytes', () => {
    assert.deepEqual(parseMeminfo('MemTotal:       1000 kB\nHugePages_Total:       0\n'), {MemTotal: 1_024_000, HugePages_Total: 0})
  })
  it('reads slabinfo and charges the packing slack', () => {
    const slab = parseSlabinfo('slabinfo - version: 2.1\n# name ...\nTCP   39   39   2368   13    8 : tunables    0    0    0 : slabdata      3      3      0\n')
    assert.deepEqual(slab.TCP, {active: 39, total: 39, objsize: 2368, objperslab: 13, pagesperslab: 8})
    assert.equal(Math.round(slabFootprint(slab.TCP)), 2521)
    assert.equal(socketCost(undefined).source, 'default')
  })
  it('reads sockstat rows', () => {
    assert.deepEqual(parseSockstat('TCP: inuse 5 orphan 0 tw 9 alloc 6 mem 3\n').TCP, {inuse: 5, orphan: 0, tw: 9, alloc: 6, mem: 3})
  })
})

describe('kernel log and sockets', () => {
  it('reads /dev/kmsg records and drops continuation lines', () => {
    const lines = parseKmsg('4,1,5000000,-;TCP: out of memory -- consider tuning tcp_mem\n SUBSYSTEM=net\n6,2,6000000,-;hello\n')
    assert.deepEqual(lines, [{uptime: 5, message: 'TCP: out of memory -- consider tuning tcp_mem'}, {uptime: 6, message: 'hello'}])
  })
  it('finds listeners in /proc/net/tcp and their backlog in ss output', () => {
    const tcp = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1\n   1: 0100007F:1F91 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 4243 1\n'
    assert.deepEqual(parseProcNetTcpListeners(tcp, false), [{local: '127.0.0.1:8080', inode: 4242}])
    const ss = 'LISTEN 0      511        127.0.0.1:8080      0.0.0.0:*    ino:4242 sk:1 cgroup:/ <->\n'
    assert.equal(parseSsListeners(ss).get(4242), 511)
  })
  it('counts reserved ports inside the range only', () => {
    assert.equal(reservedInRange('8080,40000-40009,70000', [32768, 60999]), 10)
    assert.equal(reservedInRange('', [32768, 60999]), 0)
  })
})
