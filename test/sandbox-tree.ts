// A sandbox host tree for apply tests: DIR/proc/sys files with a modern kernel's values,
// DIR/proc/meminfo, DIR/etc with limits.conf, sysctl.d and systemd config. Nothing on the
// real host is touched.
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {REPO_ROOT} from './helpers.js'

export {REPO_ROOT}

/** Values as a 6.18 kernel on a 24 GiB machine prints them (multi-value files use tabs). */
export const SANDBOX_SYSCTL: Record<string, string> = {
  'kernel/osrelease': '6.18.44\n',
  'fs/file-max': '2470372\n',
  'fs/nr_open': '1048576\n',
  'net/core/somaxconn': '4096\n',
  'net/core/rmem_max': '212992\n',
  'net/core/wmem_max': '212992\n',
  'net/core/netdev_max_backlog': '1000\n',
  'net/ipv4/tcp_rmem': '4096\t131072\t6291456\n',
  'net/ipv4/tcp_wmem': '4096\t16384\t4194304\n',
  'net/ipv4/tcp_mem': '288390\t384523\t576780\n',
  'net/ipv4/tcp_syncookies': '1\n',
  'net/ipv4/tcp_max_syn_backlog': '2048\n',
  'net/ipv4/ip_local_port_range': '32768\t60999\n',
  'net/ipv4/tcp_max_tw_buckets': '131072\n',
  'net/ipv4/tcp_tw_reuse': '2\n',
  'net/netfilter/nf_conntrack_max': '262144\n',
  'net/netfilter/nf_conntrack_buckets': '65536\n',
  'net/nf_conntrack_max': '262144\n',
  'vm/min_free_kbytes': '67584\n',
  'vm/swappiness': '60\n',
}

export const SANDBOX_MEM_TOTAL = 24 * 1024 ** 3

/** Build a sandbox tree under the OS temp dir; `extra` adds or replaces files (path relative to the root). */
export function makeSandbox(extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-apply-'))
  const files: Record<string, string> = {
    ...Object.fromEntries(Object.entries(SANDBOX_SYSCTL).map(([k, v]) => [`proc/sys/${k}`, v])),
    'proc/meminfo': `MemTotal:       ${SANDBOX_MEM_TOTAL / 1024} kB\nMemFree:        20000000 kB\nMemAvailable:   22000000 kB\n`,
    'etc/security/limits.conf': '# /etc/security/limits.conf\n#<domain> <type> <item> <value>\n',
    'etc/sysctl.d/10-network.conf': 'net.ipv4.tcp_syncookies = 1\n',
    'etc/systemd/system.conf': '[Manager]\n#DefaultLimitNOFILE=1024:524288\n',
    ...extra,
  }
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), {recursive: true})
    writeFileSync(path.join(dir, rel), text)
  }
  mkdirSync(path.join(dir, 'run/systemd/system'), {recursive: true})
  return dir
}

/** Every file (bytes, as base64) and directory of a tree, for byte-for-byte comparison. */
export function treeSnapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name)
      const rel = path.relative(dir, full)
      if (statSync(full).isDirectory()) {
        out[`${rel}/`] = 'dir'
        walk(full)
      } else out[rel] = readFileSync(full).toString('base64')
    }
  }
  walk(dir)
  return out
}

export function readSandbox(dir: string, rel: string): string {
  return readFileSync(path.join(dir, rel), 'utf8')
}

export function removeSandbox(dir: string): void {
  rmSync(dir, {recursive: true, force: true})
}

/** Run `body` in a fresh sandbox tree (makeSandbox), removed afterwards whatever happens. */
export async function withSandbox<T>(body: (dir: string) => Promise<T>, extra: Record<string, string> = {}): Promise<T> {
  const dir = makeSandbox(extra)
  try {
    return await body(dir)
  } finally {
    removeSandbox(dir)
  }
}
