// bench/floor.c built and run in a network namespace of its own: the floor that bench/floor.js
// prints and bench/floor-vs-probe.js holds `c1m probe` against.
import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const childEhash = '/proc/sys/net/ipv4/tcp_child_ehash_entries'

/** The established-hash buckets --own-ehash gives a namespace for `conns` connections (two sockets each). */
export const ownEhashBuckets = (conns) => 2 ** Math.ceil(Math.log2(2 * conns))

/**
 * Build bench/floor.c and run it for `conns` connections, `perWorker` a worker: its JSON report
 * ({conns, workers, cpus, epoll, phases: [{phase, wallSeconds, userSeconds, systemSeconds, softirqSeconds,
 * failed}]}). With ownEhash, the host's net.ipv4.tcp_child_ehash_entries is set while the
 * namespace is made and put back as soon as it exists (before any connection opens). With epoll,
 * every socket is also registered in its worker's epoll set (floor.c's "epoll").
 * The report also gets rampSteps: the seconds the ramp took to reach each fifth of `conns`, read
 * from the namespace's /proc/PID/net/sockstat every 50 ms (so each is within 50 ms), to compare with
 * the probe's five steps.
 */
export async function runFloor(conns, perWorker = 9000, ownEhash = false, epoll = false) {
  const dir = mkdtempSync(path.join(tmpdir(), 'c1m-floor-'))
  try {
    const binary = path.join(dir, 'floor')
    execFileSync('cc', ['-O2', '-Wall', '-o', binary, path.join(here, 'floor.c')], {stdio: 'inherit'})
    const {out, rampSteps} = await runInNamespace(binary, conns, perWorker, ownEhash, epoll)
    return {...JSON.parse(out), rampSteps}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

// Runs the binary in a new network namespace; its first line ("netns") says the namespace exists.
async function runInNamespace(binary, conns, perWorker, ownEhash, epoll) {
  const script = `ip link set lo up && echo netns && exec "$0" ${conns} ${perWorker}${epoll ? ' epoll' : ''}`
  const old = readFileSync(childEhash, 'utf8').trim()
  if (ownEhash) writeFileSync(childEhash, String(ownEhashBuckets(conns)))
  let restored = !ownEhash
  const restore = () => {
    if (!restored) writeFileSync(childEhash, old)
    restored = true
  }
  try {
    const child = spawn('unshare', ['--net', 'sh', '-c', script, binary], {stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      if (out.startsWith('netns\n')) restore()
    })
    const steps = watchRamp(child.pid, conns, Math.ceil(conns / perWorker))
    const code = await new Promise((resolve) => child.on('close', resolve))
    steps.stop()
    if (code !== 0) throw new Error(`floor exited with ${code}`)
    return {out: out.slice('netns\n'.length), rampSteps: steps.seconds}
  } finally {
    restore()
  }
}

/**
 * Watch the namespace's TCP sockets (both ends of each connection, and one listener a worker)
 * every 50 ms until all `conns` are open: seconds from the last reading without a connection to
 * the first reading at or past each fifth of `conns`.
 */
function watchRamp(pid, conns, listeners) {
  const seconds = []
  let start
  const timer = setInterval(() => {
    let inuse
    try {
      inuse = Number(/^TCP: inuse (\d+)/m.exec(readFileSync(`/proc/${pid}/net/sockstat`, 'utf8'))?.[1])
    } catch {
      return // the process is gone or not there yet
    }
    const open = (inuse - listeners) / 2
    const now = performance.now()
    if (open <= 0 || start === undefined) {
      if (open <= 0) start = now
      return
    }
    while (seconds.length < 5 && open >= (conns * (seconds.length + 1)) / 5) seconds.push((now - start) / 1000)
    if (seconds.length === 5) clearInterval(timer)
  }, 50)
  return {seconds, stop: () => clearInterval(timer)}
}
