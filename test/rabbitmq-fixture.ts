// A real RabbitMQ for the STOMP and MQTT tests: Debian's rabbitmq-server (.ci/run installs it), run
// from a temp directory with its own node name, ports on 127.0.0.1, cookie and epmd, as the rabbitmq
// user when the tests run as root. The broker, its epmd and its helpers are the test's children and
// are stopped by PID; nothing outside the temp directory is written.
import {type ChildProcess, spawn} from 'node:child_process'
import {chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {execa} from 'execa'

import {childPids, freePort, stopPids, waitForPort} from './server-helpers.js'
import {makeCerts, type TestCerts} from './tls-certs.js'

const SBIN = '/usr/lib/rabbitmq/bin'
/** rabbitmq-server's own start script (not /usr/sbin's wrapper, which switches user and writes /var/log). */
export const rabbitmqServer = existsSync(`${SBIN}/rabbitmq-server`) ? `${SBIN}/rabbitmq-server` : undefined

export interface Rabbit {
  /** The temp directory it runs from (gone after stop()). */
  dir: string
  /** The Erlang node name, for rabbitmqctl -n. */
  node: string
  /** beam.smp: the broker's process, whose tree holds the connections. */
  pid: number
  /** webStompTls: web-stomp over TLS (wss://) with `certs`, its CA the test's own. */
  ports: {amqp: number; stomp: number; webStomp: number; webStompTls: number; mqtt: number}
  certs: TestCerts
  /** rabbitmqctl -n NODE ARGS, with the broker's cookie and epmd; its stdout. */
  ctl(args: string[]): Promise<string>
  /**
   * STOMP sessions web-stomp holds now on the listener at `port` (the plain one unless told), by
   * the broker's own listing (rabbitmqctl list_channels).
   */
  stompSessions(port?: number): Promise<number>
  /** MQTT clients the broker holds now, by its own listing (rabbitmqctl list_mqtt_connections). */
  mqttClients(): Promise<number>
  /** Stops the broker, its helpers and its epmd; the PIDs it stopped (none is left running). */
  stop(): Promise<number[]>
}

/** The rabbitmq user's uid and gid when we can start processes as it (we are root), else none. */
function brokerUser(): {uid: number; gid: number} | undefined {
  if (process.getuid?.() !== 0) return undefined
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('rabbitmq:'))
  if (!line) return undefined
  const [, , uid, gid] = line.split(':')
  return {uid: Number(uid), gid: Number(gid)}
}

/** Running (not gone, not a zombie). */
export const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
const comm = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
  } catch {
    return ''
  }
}

/**
 * Start a broker with the web-stomp (WebSocket STOMP on /ws) and MQTT plugins; resolves once every
 * listener accepts (RabbitMQ takes 5-15 s; at most `ms`), or throws with its log's tail, having
 * stopped what it started.
 */
export async function startRabbit(ms = 90_000): Promise<Rabbit> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-rabbitmq-'))
  const user = brokerUser()
  for (const sub of ['home', 'mnesia', 'log']) mkdirSync(path.join(dir, sub))
  const [epmd, amqp, dist, stomp, webStomp, webStompTls, mqtt] = await Promise.all([0, 1, 2, 3, 4, 5, 6].map(() => freePort()))
  mkdirSync(path.join(dir, 'tls'))
  const certs = makeCerts(path.join(dir, 'tls'))
  const node = `c1m-test-${process.pid}-${amqp}@localhost`
  writeFileSync(path.join(dir, 'rabbitmq.conf'), [
    `listeners.tcp.1 = 127.0.0.1:${amqp}`,
    `stomp.listeners.tcp.1 = 127.0.0.1:${stomp}`,
    `mqtt.listeners.tcp.1 = 127.0.0.1:${mqtt}`,
    'web_stomp.tcp.ip = 127.0.0.1',
    `web_stomp.tcp.port = ${webStomp}`,
    'web_stomp.ws_path = /ws',
    'web_stomp.ssl.ip = 127.0.0.1',
    `web_stomp.ssl.port = ${webStompTls}`,
    `web_stomp.ssl.certfile = ${certs.cert}`,
    `web_stomp.ssl.keyfile = ${certs.key}`,
    `web_stomp.ssl.cacertfile = ${certs.ca}`,
    'web_stomp.max_connections = infinity',
    'log.console = false',
    'log.file.level = info',
    '',
  ].join('\n'))
  writeFileSync(path.join(dir, 'enabled_plugins'), '[rabbitmq_web_stomp,rabbitmq_mqtt].\n')
  writeFileSync(path.join(dir, 'rabbitmq-env.conf'), '')
  if (user) for (const f of ['', 'home', 'mnesia', 'log', 'rabbitmq.conf', 'enabled_plugins', 'rabbitmq-env.conf', 'tls', certs.cert, certs.key, certs.ca]) chownSync(path.resolve(dir, f), user.uid, user.gid)
  // The Erlang distribution (the broker's and rabbitmqctl's) listens on loopback only.
  const loopback = '-kernel inet_dist_use_interface {127,0,0,1}'
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: path.join(dir, 'home'),
    LANG: 'C.UTF-8',
    ERL_EPMD_PORT: String(epmd),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_PID_FILE: path.join(dir, 'rabbitmq.pid'),
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(amqp),
    RABBITMQ_DIST_PORT: String(dist),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: loopback,
    RABBITMQ_CTL_ERL_ARGS: loopback,
  }
  const spawnOptions = {env, cwd: dir, ...user}
  // Our own epmd on a port of its own, in the foreground: the test's child, never a shared daemon.
  const epmdChild = spawn('epmd', ['-port', String(epmd), '-address', '127.0.0.1'], {...spawnOptions, stdio: 'ignore'})
  const out = openSync(path.join(dir, 'startup.log'), 'w')
  let broker: ChildProcess
  try {
    broker = spawn(rabbitmqServer!, [], {...spawnOptions, stdio: ['ignore', out, out]})
  } finally {
    closeSync(out)
  }
  const beam = () => childPids(broker.pid!).find((p) => comm(p) === 'beam.smp')
  const stop = async () => {
    // SIGTERM to the start script stops the VM gracefully; then the VM (and its helpers), then epmd.
    const pids = tree(broker.pid!)
    await stopPids([broker.pid!], 20_000)
    await stopPids(pids)
    await stopPids([epmdChild.pid!])
    rmSync(dir, {recursive: true, force: true})
    return [...pids, epmdChild.pid!]
  }
  try {
    const exited = new Promise<never>((_, reject) => broker.once('exit', (code) => reject(new Error(`rabbitmq-server exited with ${code}`))))
    // The AMQP listener opens last, after the plugins' (STOMP, web-stomp, MQTT).
    await Promise.race([exited, (async () => {
      for (const port of [webStomp, webStompTls, mqtt, amqp]) await waitForPort(port, ms)
    })()])
    exited.catch(() => {})
  } catch (error) {
    const said = readFileSync(path.join(dir, 'startup.log'), 'utf8').slice(-1500)
    await stop()
    throw new Error(`RabbitMQ did not start: ${(error as Error).message}\n${said}`)
  }
  const pid = beam()
  if (!pid) {
    await stop()
    throw new Error('RabbitMQ listens, but its beam.smp is not a child of rabbitmq-server')
  }
  const ctl = async (args: string[]) => {
    const result = await execa(`${SBIN}/rabbitmqctl`, ['-n', node, ...args], {env, cwd: dir, ...user, extendEnv: false, timeout: 60_000, stdin: 'ignore'})
    return result.stdout
  }
  // A STOMP session accepted by web-stomp is a channel on the broker's direct connection, named after
  // the client's WebSocket ("127.0.0.1:P -> 127.0.0.1:WEBSTOMP (1)"); the WebSocket alone is none.
  const stompSessions = async (port = webStomp) => (await ctl(['list_channels', '--quiet', '--no-table-headers', 'name'])).split('\n').filter((l) => l.includes(`-> 127.0.0.1:${port} (`)).length
  const mqttClients = async () => (await ctl(['list_mqtt_connections', '--quiet', '--no-table-headers', 'client_id'])).split('\n').filter((l) => l.trim()).length
  return {dir, node, pid, ports: {amqp, stomp, webStomp, webStompTls, mqtt}, certs, ctl, stompSessions, mqttClients, stop}
}

/** The process and all its descendants now. */
function tree(pid: number): number[] {
  return [pid, ...childPids(pid).flatMap((c) => tree(c))]
}
