import {chmodSync, existsSync, lstatSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {C1mError} from '../../core/errors.js'
import {readAddresses, SAVED_ADDRESSES} from '../read/addresses.js'
import {readConntrackFamilies, SAVED_CONNTRACK_FAMILIES} from '../read/neighbours.js'
import {hostPath, type HostRoot, listHostDir, readHostText, readNonBlocking} from './root.js'
import {checkSnapshotTarget, makeSnapshotTemp, sweepSnapshotTemps} from './snapshot-target.js'
import {syncDir} from './replace-file.js'

/** What machine this is, for the reader of a snapshot (systeminformation; live host only). */
async function describeMachine(root: HostRoot): Promise<Record<string, unknown> | undefined> {
  if (!root.live) return undefined
  const si = (await import('systeminformation')).default
  const [os, cpu, mem] = await Promise.all([si.osInfo(), si.cpu(), si.mem()])
  return {hostname: os.hostname, distro: `${os.distro} ${os.release}`.trim(), kernel: os.kernel, arch: os.arch, cpu: `${cpu.manufacturer} ${cpu.brand}`.trim(), cores: cpu.cores, memTotalBytes: mem.total}
}

/** Host files doctor reads, besides /proc/sys, /dev/kmsg and the addresses. */
const FILES = ['/proc/meminfo', '/proc/slabinfo', '/proc/net/sockstat', '/proc/net/stat/arp_cache', '/proc/net/stat/ndisc_cache', '/proc/uptime', '/proc/self/limits', '/proc/self/status', '/etc/sysctl.conf', '/etc/security/limits.conf', '/etc/systemd/system.conf']
const DIRS = ['/etc/sysctl.d', '/run/sysctl.d', '/usr/lib/sysctl.d', '/usr/local/lib/sysctl.d', '/lib/sysctl.d', '/etc/security/limits.d', '/etc/systemd/system.conf.d']
/** /proc/sys subtrees that are not settings. */
const SKIP_SYS = new Set(['/proc/sys/fs/binfmt_misc'])

export interface SnapshotSummary {
  dir: string
  files: number
  sysctls: number
  unreadable: number
  /** What a saved tree may not hold (links, hard links), each with the reason: not copied. */
  refused: string[]
  /** Temporary directories of killed snapshots to the same DIR, removed first. */
  swept: string[]
}

/** Directories of a snapshot: only its owner enters (it holds the host's private files). */
const DIR_MODE = 0o700

function makeDir(dir: string): void {
  mkdirSync(dir, {recursive: true, mode: DIR_MODE})
}

/**
 * Write one copied file with the source's permission bits (never execute, never more than the
 * source allowed: /proc/slabinfo stays 0400, a 0600 sysctl 0600), exactly, whatever the umask.
 */
function writeCopy(to: string, text: string, sourceMode: number | undefined): void {
  const mode = (sourceMode ?? 0o600) & 0o666
  writeFileSync(to, text, {mode, flag: 'wx'})
  chmodSync(to, mode)
}

/** List a host directory; under a saved tree, only one reached through no link. */
function listDir(root: HostRoot, dir: string, counts: SnapshotSummary): string[] {
  const listed = listHostDir(root, dir)
  if (listed.ok) return listed.names
  if (listed.refused) counts.refused.push(listed.reason)
  return []
}

/** Deeper than any /proc/sys or /etc config tree: a bound on the walk. */
const MAX_TREE_DEPTH = 32

/** Copy the files of a host directory (a path on the host, read under the root) into `dest`. */
function copyTree(root: HostRoot, dir: string, dest: string, counts: SnapshotSummary, isSysctl: boolean, depth = 0): void {
  if (depth > MAX_TREE_DEPTH) return
  for (const name of listDir(root, dir, counts)) {
    const from = path.posix.join(dir, name)
    if (SKIP_SYS.has(from)) continue
    const to = path.join(dest, name)
    let stat
    try {
      stat = lstatSync(hostPath(root, from))
      if (stat.isSymbolicLink()) {
        // A saved tree has no links. On this host a link to a file is the host's own configuration
        // (Debian's /etc/sysctl.d/99-sysctl.conf); a link to a directory may lead back up: not taken.
        if (!root.live) counts.refused.push(`${from}: is a symbolic link; a saved tree has none`)
        if (!root.live || !statSync(hostPath(root, from)).isFile()) continue
        stat = statSync(hostPath(root, from))
      }
    } catch {
      continue
    }
    if (stat.isDirectory()) {
      makeDir(to)
      copyTree(root, from, to, counts, isSysctl, depth + 1)
    } else if (stat.isFile()) {
      const text = readHostText(root, from)
      if (!text.ok && text.refused) {
        counts.refused.push(text.reason)
        continue
      }
      // Write-only or restricted sysctls: keep an empty file so the key is known to exist.
      writeCopy(to, text.ok ? text.text : '', text.ok ? text.mode : stat.mode)
      if (!text.ok) counts.unreadable++
      else {
        counts.files++
        if (isSysctl) counts.sysctls++
      }
    }
  }
}

/**
 * Write the host state doctor reads into DIR, so `c1m doctor --root DIR` audits it elsewhere.
 * Writes into a temporary sibling and renames it into place: a failed snapshot leaves nothing.
 */
export async function writeSnapshot(root: HostRoot, dir: string): Promise<SnapshotSummary> {
  const target = checkSnapshotTarget(dir)
  const swept = sweepSnapshotTemps(target)
  const counts: SnapshotSummary = {dir: target, files: 0, sysctls: 0, unreadable: 0, refused: [], swept}
  let temp: string | undefined
  try {
    temp = makeSnapshotTemp(target)
    const at = (file: string) => path.join(temp!, file)
    makeDir(at('/proc/sys'))
    copyTree(root, '/proc/sys', at('/proc/sys'), counts, true)
    for (const file of FILES) {
      // procfs files report size 0, so read them rather than copy them
      const text = readHostText(root, file)
      if (!text.ok) {
        if (text.refused) counts.refused.push(text.reason)
        else counts.unreadable++
        continue
      }
      makeDir(path.dirname(at(file)))
      writeCopy(at(file), text.text, text.mode)
      counts.files++
    }
    for (const d of DIRS) {
      if (!existsSync(hostPath(root, d))) continue
      makeDir(at(d))
      copyTree(root, d, at(d), counts, false)
    }
    if (existsSync(path.join(root.dir, 'run/systemd/system'))) makeDir(at('/run/systemd/system'))
    const kmsg = readNonBlocking(root, '/dev/kmsg')
    if (kmsg.ok) {
      makeDir(at('/dev'))
      // The kernel log is private whatever the device's mode says (dmesg_restrict): 0600 at most.
      writeCopy(at('/dev/kmsg'), kmsg.text, (kmsg.mode ?? 0o600) & 0o600)
    } else if (kmsg.refused) counts.refused.push(kmsg.reason)
    const {addresses} = await readAddresses(root)
    makeDir(path.dirname(at(SAVED_ADDRESSES)))
    writeCopy(at(SAVED_ADDRESSES), JSON.stringify(addresses, null, 2) + '\n', 0o644)
    makeDir(at('/c1m'))
    const count = readHostText(root, '/proc/sys/net/netfilter/nf_conntrack_count')
    const split = count.ok ? readConntrackFamilies(root, Number(count.text.trim())) : undefined
    if (split?.ipv4 !== undefined) writeCopy(at(SAVED_CONNTRACK_FAMILIES), JSON.stringify({ipv4: split.ipv4, ipv6: split.ipv6}) + '\n', 0o644)
    writeCopy(at('/c1m/snapshot.json'), JSON.stringify({schema: 'c1m.snapshot/1', takenAt: new Date().toISOString(), from: root.dir, machine: await describeMachine(root)}, null, 2) + '\n', 0o644)
    if (existsSync(target)) rmSync(target, {recursive: true})
    renameSync(temp, target)
    temp = undefined
    // The tree is renamed into place whole (replaceFile's last step, for a directory).
    syncDir(path.dirname(target))
  } catch (error) {
    if (temp) rmSync(temp, {recursive: true, force: true})
    if (error instanceof C1mError) throw error
    throw new C1mError('E_RUNTIME', `snapshot to ${dir} failed: ${(error as Error).message}`, 'check the directory is writable and has space')
  }
  return counts
}
