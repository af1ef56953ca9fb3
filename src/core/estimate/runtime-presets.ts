// Process memory per connection for common server runtimes. Each document preset names the
// file under /work/shared/seeds (the documents c1m was built from), the section, the figure
// the document gives, and how the per-connection process figure below was derived from it.
// Sizes the documents write as KB/MB/GB are read as binary units (KiB/MiB/GiB).

import {DEFAULT_PROCESS_BYTES} from './memory-model.js'
import {socketCost} from './socket-cost.js'

export interface PresetSource {
  file: string
  section: string
  /** What the document reports, in c1m's words. */
  figure: string
  /** How processBytesPerConn follows from the figure. */
  derivation: string
}

export interface RuntimePreset {
  name: string
  title: string
  /** Process bytes per connection; absent for the c1m engines, which a probe report measures. */
  processBytesPerConn?: number
  /** c1m's own engines: the figure comes from a probe report of this engine. */
  engine?: 'native' | 'node'
  /**
   * Measured presets: source.file is a report in reports/ (a real server probed by c1m in its
   * protocol, by bench/protocol-references.mjs), not a document.
   */
  measured?: boolean
  source?: PresetSource
}

const KiB = 1024
const MiB = 1024 ** 2
const GiB = 1024 ** 3

/**
 * Kernel bytes of one idle socket from c1m's default slab sizes (Linux 6.18 x86_64), used to take
 * the kernel's share out of the documents that give only a machine total.
 */
export const DEFAULT_KERNEL_SOCKET_BYTES = socketCost().bytesPerSocket

/** Per-connection process bytes from a whole-machine total: total / N, less the kernel's sockets. */
function fromMachineTotal(totalBytes: number, conns: number, socketsPerConn: number): number {
  return Math.round(totalBytes / conns - socketsPerConn * DEFAULT_KERNEL_SOCKET_BYTES)
}

function machineDerivation(total: string, conns: string, socketsPerConn: number, extra: string): string {
  const each = socketsPerConn === 1 ? 'one socket' : `${socketsPerConn} sockets`
  return `a whole-machine total: ${total} / ${conns} connections, less ${each} x ${DEFAULT_KERNEL_SOCKET_BYTES} B of kernel slab (c1m's default socket cost)${extra}`
}

const MOCHIWEB = '000_c07855e9a9493bd3.txt'

/** A preset measured by c1m probe: the server figure of a committed report, and what ran. */
function measuredPreset(name: string, title: string, report: string, bytes: number, figure: string): RuntimePreset {
  return {
    name,
    title,
    processBytesPerConn: bytes,
    measured: true,
    source: {file: report, section: 'fit.server.bytesPerConn', figure, derivation: 'the slope of the server tree\'s RSS over the ramp, measured by c1m probe on a 2-core Linux 6.18 host (bench/protocol-references.mjs)'},
  }
}

/**
 * A preset measured by c1m probe holding application sessions (--app) through their heartbeats
 * (bench/session-references.mjs): the figure c1m quotes, the one settled during the hold when
 * the readings settled (a collector may give back what the ramp took), else the ramp's slope.
 */
function sessionPreset(name: string, title: string, report: string, held: {bytes: number; settled: boolean}, figure: string): RuntimePreset {
  return {
    name,
    title,
    processBytesPerConn: held.bytes,
    measured: true,
    source: {
      file: report,
      section: held.settled ? 'hold.held.bytesPerConn' : 'fit.server.bytesPerConn',
      figure,
      derivation: `${held.settled ? 'the server tree\'s RSS settled during a 60 s hold, less before, over the sessions' : 'the slope of the server tree\'s RSS over the ramp (the hold\'s readings did not settle)'}, measured by c1m probe with the framework's own session on a 2-core Linux 6.18 host (bench/session-references.mjs)`,
    },
  }
}

/** Presets measured by c1m probe against real servers, each citing its report in reports/. */
const MEASURED_PRESETS: RuntimePreset[] = [
  measuredPreset('node-ws', 'Node.js 20 with npm ws 8, idle upgraded WebSocket connections', 'reports/probe-node-ws.json', 5253,
    '100,000 idle WebSocket connections to npm ws under cluster (6 workers): 5.13 KiB each (r² 0.933: the heap grew by about 9 KiB per connection for the first 20,000, then about 3 KiB)'),
  measuredPreset('node-ws-deflate', 'Node.js 20 with npm ws 8, permessage-deflate, after one message on each connection', 'reports/probe-node-ws-deflate.json', 233_968,
    '10,000 WebSocket connections with permessage-deflate, one message each (--echo-each-step), npm ws under cluster (2 workers): 228 KiB each, the deflate context'),
  measuredPreset('node-https-sse', 'Node.js 20 https server holding Server-Sent Events streams over TLS', 'reports/probe-node-https-sse.json', 35_841,
    '20,000 SSE streams over TLS 1.3 to a Node https server under cluster (2 workers): 35.0 KiB each'),
  measuredPreset('mosquitto', 'mosquitto 2.0 MQTT broker, idle clients', 'reports/probe-mosquitto.json', 735,
    '18,000 MQTT 3.1.1 clients (keepalive 60) connected to Debian\'s mosquitto 2.0.11: 735 B each'),
  sessionPreset('socketio-node', 'Node.js 20 with npm socket.io 4.8, joined sessions, no compression', 'reports/probe-socketio-node.json', {bytes: 14_697, settled: false},
    '10,000 Socket.IO sessions (namespace / joined, pings answered for 60 s) on one Node process, permessage-deflate off: 14.4 KiB each'),
  sessionPreset('socketio-node-deflate', 'Node.js 20 with npm socket.io 4.8, joined sessions with permessage-deflate (as browsers connect)', 'reports/probe-socketio-node-deflate.json', {bytes: 239_836, settled: true},
    '10,000 Socket.IO sessions with permessage-deflate accepted on each: 234 KiB each, the deflate contexts, 16 times the figure without'),
  sessionPreset('graphql-ws-node', 'Node.js 20 with npm graphql-ws 6.4 on ws 8, one subscription per connection, no compression', 'reports/probe-graphql-ws-node.json', {bytes: 59_426, settled: true},
    '10,000 graphql-ws sessions (connection_ack, one subscription each, held 60 s) on one Node process, permessage-deflate off: 58.0 KiB each'),
  sessionPreset('graphql-ws-node-deflate', 'Node.js 20 with npm graphql-ws 6.4 on ws 8, one subscription per connection, permessage-deflate', 'reports/probe-graphql-ws-node-deflate.json', {bytes: 277_643, settled: true},
    '10,000 graphql-ws sessions with permessage-deflate accepted on each: 271 KiB each'),
  sessionPreset('nats', 'NATS server 2.9 (Debian), clients on raw TCP with one subscription each', 'reports/probe-nats.json', {bytes: 19_034, settled: true},
    '18,000 NATS clients (INFO, CONNECT, SUB to one subject, PING/PONG) of Debian\'s nats-server 2.9.10: 18.6 KiB each'),
  sessionPreset('rabbitmq-stomp', 'RabbitMQ 3.10 web-stomp, STOMP 1.2 over WebSocket, one subscription per session', 'reports/probe-rabbitmq-stomp.json', {bytes: 198_500, settled: true},
    '5,000 STOMP sessions (CONNECTED, SUBSCRIBE to a topic, 10 s heart-beats) on Debian\'s rabbitmq-server 3.10.8, permessage-deflate off: 194 KiB each'),
  sessionPreset('rabbitmq-stomp-deflate', 'RabbitMQ 3.10 web-stomp, STOMP 1.2 over WebSocket with permessage-deflate', 'reports/probe-rabbitmq-stomp-deflate.json', {bytes: 294_196, settled: true},
    '5,000 STOMP sessions with permessage-deflate accepted on each: 287 KiB each'),
]

export const RUNTIME_PRESETS: RuntimePreset[] = [
  {
    name: 'native',
    title: "c1m's native epoll engine (C), measured by `c1m probe --engine native` on this host",
    engine: 'native',
  },
  {
    name: 'node',
    title: "c1m's node engine (Node.js net), measured by `c1m probe --engine node` on this host",
    engine: 'node',
  },
  {
    name: 'libevent',
    title: 'C server on libevent (the 2008 Erlang C-node comet server)',
    processBytesPerConn: DEFAULT_PROCESS_BYTES,
    source: {
      file: MOCHIWEB,
      section: 'Part 3, "An Erlang C-Node using Libevent"',
      figure: 'resident memory of the server process just under 2 KB per connection at 1M connections; the kernel took about 8 KB more per connection',
      derivation: 'the process figure as given, rounded up to 2 KiB',
    },
  },
  {
    name: 'mochiweb',
    title: 'Erlang Mochiweb comet server, one Erlang process per connection, no tuning',
    processBytesPerConn: 45 * KiB,
    source: {
      file: MOCHIWEB,
      section: 'Part 1',
      figure: 'beam process resident size 450 MB with 10,000 connections',
      derivation: '450 MB / 10,000 connections = 45 KB, the figure the article states',
    },
  },
  {
    name: 'mochiweb-hibernate',
    title: 'Erlang Mochiweb comet server with proc_lib:hibernate between messages',
    processBytesPerConn: 8 * KiB,
    source: {
      file: MOCHIWEB,
      section: 'Part 2, "Reducing memory usage in mochiweb"',
      figure: 'about 80 MB resident with 10,000 connections after 24 hours at 1000 messages/s',
      derivation: '80 MB / 10,000 connections = 8 KB, the figure the article states',
    },
  },
  {
    name: 'mochiweb-1m',
    title: 'Erlang Mochiweb comet server at 1M connections on a 64-bit VM',
    processBytesPerConn: Math.round((25 * GiB) / 1e6),
    source: {
      file: MOCHIWEB,
      section: 'Part 3, the 1M connection test',
      figure: 'mochiweb process resident memory about 25 GB with 1M connections (the machine used about 38 GB; the article budgets 40 KB per connection in all)',
      derivation: '25 GB / 1,000,000 connections',
    },
  },
  {
    name: 'phoenix',
    title: 'Elixir Phoenix websocket chat',
    processBytesPerConn: fromMachineTotal(2 * GiB, 20_000, 1),
    source: {
      file: '001_5534a58a29cda3c0.txt',
      section: '"Stress Testing" (and "Results and prospects")',
      figure: 'RAM use reached 2 GB at 20,000 connections on a 4 GB test machine; in production up to 800,000 connections ran on 10 nodes of 8 GB',
      derivation: machineDerivation('2 GB', '20,000', 1, '; it includes the OS and the Erlang VM, so it is an upper bound. The production cluster agrees: 80 GB / 800,000 = 100 KB per connection of installed RAM'),
    },
  },
  {
    name: 'go-goroutine',
    title: 'Go server, one goroutine per connection (net package)',
    processBytesPerConn: fromMachineTotal(19 * GiB, 1e6, 2),
    source: {
      file: '002_d9c380c28776981f.txt',
      section: '一、 简单的支持百万连接的TCP服务器 (a simple TCP server for a million connections)',
      figure: 'about 19 GB of memory in use with 1M connections, server and 50 client containers on one machine',
      derivation: machineDerivation('19 GB', '1,000,000', 2, '; the load clients ran on the same machine, so it includes their process memory too'),
    },
  },
  {
    name: 'go-epoll',
    title: 'Go server with its own epoll loop (one goroutine for all connections)',
    processBytesPerConn: fromMachineTotal(10 * GiB, 1e6, 2),
    source: {
      file: '002_d9c380c28776981f.txt',
      section: '二、 服务器epoll方式实现 (the epoll server)',
      figure: 'about 10 GB of memory in use with 1M connections, server and clients on one machine',
      derivation: machineDerivation('10 GB', '1,000,000', 2, '; the load clients ran on the same machine, so it includes their process memory too'),
    },
  },
  {
    name: 'node-net',
    title: 'Node.js server on the net module (Node 0.8)',
    processBytesPerConn: Math.round((600 * MiB) / 150_000),
    source: {
      file: '004_6d33c152c498d219.txt',
      section: 'the question, second EDIT',
      figure: '150,000 connections used about 1800 MB of RAM (free -m), of which the Node process had about 600 MB RSS',
      derivation: '600 MB RSS / 150,000 connections = 4 KB; the other 1200 MB / 150,000 = 8 KB is kernel',
    },
  },
  {
    name: 'jvm-tls',
    title: 'JVM (Play/Akka) server holding TLS connections',
    processBytesPerConn: 20 * KiB,
    source: {
      file: '003_b085db01269d850e.txt',
      section: '"Limit Five: JVM Heap"',
      figure: 'each TLS connection took about 20 KB of JVM heap',
      derivation: 'the heap figure as given; the JVM itself (threads, code, GC) comes on top and is not counted',
    },
  },
  ...MEASURED_PRESETS,
]

/** The preset named `name`, or undefined. */
export function findPreset(name: string): RuntimePreset | undefined {
  return RUNTIME_PRESETS.find((p) => p.name === name.toLowerCase())
}
