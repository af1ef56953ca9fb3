import {existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {C1mError} from '../core/errors.js'
import {readAddresses, SAVED_ADDRESSES} from './addresses.js'
import {hostPath, type HostRoot, readHostText, readNonBlocking} from './root.js'
import {checkSnapshotTarget, makeDirs} from './snapshot-target.js'
import {syncDir} from './replace-file.js'

/** What machine this is, for the reader of a snapshot (systeminformation; live host only). */
async function describeMachine(root: HostRoot): Promise<Record<string, unknown> | undefined> {
  if (!root.live) return undefined
  const si = (await import('systeminformation')).default
  const [os, cpu, mem] = await Promise.all([si.osInfo(), si.cpu(), si.mem()])
  return {hostname: os.hostname, distro: `${os.distro} ${os.release}`.trim(), kernel: os.kernel, arch: os.arch, cpu: `${cpu.manufacturer} ${cpu.brand}`.trim(), cores: cpu.cores, memTotalBytes: mem.total}
}

/** Host files doctor reads, besides /proc/sys, /dev/kmsg and the addresses. */
const FILES = ['/proc/meminfo', '/proc/slabinfo', '/proc/net/sockstat', '/proc/uptime', '/proc/self/limits', '/proc/self/status', '/etc/sysctl.conf', '/etc/security/limits.conf', '/etc/systemd/system.conf']
const DIRS = ['/etc/sysctl.d', '/run/sysctl.d', '/usr/lib/sysctl.d', '/usr/local/lib/sysctl.d', '/lib/sysctl.d', '/etc/security/limits.d', '/etc/systemd/system.conf.d']
/** /proc/sys subtrees that are not settings. */
const SKIP_SYS = new Set(['/proc/sys/fs/binfmt_misc'])

export interface SnapshotSummary {
  dir: string
  files: number
  sysctls: number
  unreadable: number
}

/** Deeper than any /proc/sys or /etc config tree: a bound on the walk. */
const MAX_TREE_DEPTH = 32

/** Copy the files of a host directory (a path on the host, read under the root) into `dest`. */
function copyTree(root: HostRoot, dir: string, dest: string, counts: SnapshotSummary, isSysctl: boolean, depth = 0): void {
  if (depth > MAX_TREE_DEPTH) return
  for (const name of readdirSync(hostPath(root, dir))) {
    const from = path.posix.join(dir, name)
    if (SKIP_SYS.has(from)) continue
    const to = path.join(dest, name)
    let stat
    try {
      stat = statSync(hostPath(root, from))
      // A directory reached through a symlink may lead back up the tree: copy files only through links.
      if (stat.isDirectory() && lstatSync(hostPath(root, from)).isSymbolicLink()) continue
    } catch {
      continue
    }
    if (stat.isDirectory()) {
      mkdirSync(to, {recursive: true})
      copyTree(root, from, to, counts, isSysctl, depth + 1)
    } else if (stat.isFile()) {
      const text = readHostText(root, from)
      // Write-only or restricted sysctls: keep an empty file so the key is known to exist.
      writeFileSync(to, text.ok ? text.text : '')
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
  const temp = `${target}.partial-${process.pid}`
  const counts: SnapshotSummary = {dir: target, files: 0, sysctls: 0, unreadable: 0}
  try {
    makeDirs(temp)
    const at = (file: string) => path.join(temp, file)
    mkdirSync(at('/proc/sys'), {recursive: true})
    copyTree(root, '/proc/sys', at('/proc/sys'), counts, true)
    for (const file of FILES) {
      // procfs files report size 0, so read them rather than copy them
      const text = readHostText(root, file)
      if (!text.ok) {
        counts.unreadable++
        continue
      }
      mkdirSync(path.dirname(at(file)), {recursive: true})
      writeFileSync(at(file), text.text)
      counts.files++
    }
    for (const d of DIRS) {
      if (!existsSync(hostPath(root, d))) continue
      mkdirSync(at(d), {recursive: true})
      copyTree(root, d, at(d), counts, false)
    }
    if (existsSync(path.join(root.dir, 'run/systemd/system'))) mkdirSync(at('/run/systemd/system'), {recursive: true})
    const kmsg = readNonBlocking(root, '/dev/kmsg')
    if (kmsg.ok) {
      mkdirSync(at('/dev'), {recursive: true})
      writeFileSync(at('/dev/kmsg'), kmsg.text)
    }
    const {addresses} = await readAddresses(root)
    mkdirSync(path.dirname(at(SAVED_ADDRESSES)), {recursive: true})
    writeFileSync(at(SAVED_ADDRESSES), JSON.stringify(addresses, null, 2) + '\n')
    writeFileSync(at('/c1m/snapshot.json'), JSON.stringify({schema: 'c1m.snapshot/1', takenAt: new Date().toISOString(), from: root.dir, machine: await describeMachine(root)}, null, 2) + '\n')
    if (existsSync(target)) rmSync(target, {recursive: true})
    renameSync(temp, target)
    // The tree is renamed into place whole (replaceFile's last step, for a directory).
    syncDir(path.dirname(target))
  } catch (error) {
    rmSync(temp, {recursive: true, force: true})
    if (error instanceof C1mError) throw error
    throw new C1mError('E_RUNTIME', `snapshot to ${dir} failed: ${(error as Error).message}`, 'check the directory is writable and has space')
  }
  return counts
}
