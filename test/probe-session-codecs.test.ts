// The STOMP 1.2 and Phoenix V2 readers of both engines, on frames as RabbitMQ and Phoenix write
// them: the native ones (probes/stomp.h, phoenix.h; test/probe-session-codecs.c, under the
// sanitizers) and the node ones (probes/node-app-stomp.mjs, node-app-phoenix.mjs), with the node
// dialects' sessions driven message by message.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {pathToFileURL} from 'node:url'

import {PROBES_DIR} from '../src/probe/engine.js'
import {runSanitizedDriver} from './c-driver.js'

interface Frame {command: string; headers: Map<string, string>; body: string}
interface Outcome {accepted?: boolean; pushed?: number | boolean; refused?: string; answered?: boolean}
type Send = (text: string) => void
interface Session {start(send: Send): Outcome; onText(text: string, send: Send, inSession: boolean): Outcome}
interface Dialect {heartbeat(send: Send): boolean; session(n: number, lineEnd: string): Session}
type Options = Record<string, unknown>
type Heartbeat = {every: number}
const stompModule = (await import(pathToFileURL(path.join(PROBES_DIR, 'node-app-stomp.mjs')).href)) as {
  stompFrames(text: string): Frame[]
  stompSendEvery(cx: number, server?: string): number
  stompEscape(value: string): string
  stomp(options: Options, heartbeat: Heartbeat): Dialect
}
const phoenixModule = (await import(pathToFileURL(path.join(PROBES_DIR, 'node-app-phoenix.mjs')).href)) as {
  phxMessage(text: string): {joinRef: unknown; ref: unknown; topic: string; event: string; payload: unknown} | undefined
  phoenix(options: Options, heartbeat: Heartbeat): Dialect
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-session-codecs-'))
after(() => rmSync(dir, {recursive: true, force: true}))

const CONNECTED = 'CONNECTED\nserver:RabbitMQ/3.10.8\nsession:session-x\nheart-beat:10000,10000\nversion:1.2\n\n\0\n'
const ERROR = "ERROR\r\nmessage:Bad CONNECT\r\ncontent-type:text/plain\r\ncontent-length:32\r\n\r\nAccess refused for user 'guest'\n\0\n"

describe('the native STOMP and Phoenix readers (probes/stomp.h, phoenix.h)', () => {
  it('give the known answers under the sanitizers', async () => {
    const lines = await runSanitizedDriver('probe-session-codecs.c', dir)
    assert.equal(lines.length, 15, 'every check ran')
  })
})

describe('the node STOMP reader and dialect (probes/node-app-stomp.mjs)', () => {
  const {stompFrames, stompSendEvery, stompEscape, stomp} = stompModule
  it('reads frames as RabbitMQ writes them: CRLF lines, content-length, NULs in a counted body, heart-beats', () => {
    const [connected] = stompFrames(CONNECTED)
    assert.deepEqual([connected.command, connected.headers.get('heart-beat'), connected.body], ['CONNECTED', '10000,10000', ''])
    const [error] = stompFrames(ERROR)
    assert.deepEqual([error.command, error.headers.get('message'), error.body], ['ERROR', 'Bad CONNECT', "Access refused for user 'guest'\n"])
    const two = stompFrames('\n\r\nMESSAGE\ncontent-length:5\n\nhe\0lo\0MESSAGE\ndestination:/topic/x\n\nsecond\0')
    assert.deepEqual(two.map((f) => f.body), ['he\0lo', 'second'])
    assert.deepEqual(stompFrames('\n\n\r\n'), [])
    for (let cut = 1; cut < CONNECTED.length - 1; cut++) assert.throws(() => stompFrames(CONNECTED.slice(0, cut)), /cut short/, `cut at ${cut}`)
    assert.throws(() => stompFrames('MESSAGE\nna\0me:v\n\nbody\0'), /NUL in a header/)
  })

  it('negotiates the heart-beat as STOMP 1.2 says, and escapes header values', () => {
    assert.deepEqual([[10000, '10000,10000'], [10000, '0,0'], [0, '1000,1000'], [1000, '0,5000'], [10000, '2000,2000'], [10000, undefined]].map(([cx, s]) => stompSendEvery(cx as number, s as string | undefined)), [10000, 0, 0, 5000, 10000, 0])
    assert.equal(stompEscape('/topic/a:b\\c'), '/topic/a\\cb\\\\c')
  })

  it('a session: CONNECT with the offer and login, counted on CONNECTED, SUBSCRIBE, MESSAGE pushed, ERROR quoted', () => {
    const sent: string[] = []
    const send = (text: string) => sent.push(text)
    const heartbeat = {every: 0}
    const dialect = stomp({heartbeatEvery: 2, destination: '/topic/x', login: 'guest:pa:ss'}, heartbeat)
    const session = dialect.session(1, '')
    session.start(send)
    assert.deepEqual(sent, ['CONNECT\naccept-version:1.2\nhost:/\nheart-beat:2000,2000\nlogin:guest\npasscode:pa:ss\n\n\0'])
    assert.deepEqual(session.onText('\n', send, true), {}, 'a heart-beat is nothing')
    assert.equal(heartbeat.every, 0, 'no heart-beats before a CONNECTED says')
    assert.deepEqual(session.onText(CONNECTED, send, true), {accepted: true})
    assert.equal(heartbeat.every, 10, "the larger of our 2 s and the server's 10 s")
    assert.equal(sent[1], 'SUBSCRIBE\nid:0\ndestination:/topic/x\nack:auto\n\n\0')
    assert.deepEqual(session.onText('MESSAGE\nsubscription:0\n\nhi\0\nMESSAGE\nsubscription:0\n\nho\0\n', send, false), {pushed: 2})
    assert.equal(dialect.heartbeat(send), true)
    assert.equal(sent[2], '\n')
    assert.deepEqual(session.onText(ERROR, send, false), {refused: "stomp: ERROR message:Bad CONNECT (Access refused for user 'guest')"})
    assert.match(session.onText('garbage', send, false).refused!, /^stomp: not a STOMP frame: garbage/)
    const offered: string[] = []
    stomp({}, {every: 0}).session(2, '').start((text) => offered.push(text))
    assert.match(offered[0], /\nheart-beat:10000,10000\n\n\0$/, '10 s offered unless set, no login')
  })
})

describe('the node Phoenix reader and dialect (probes/node-app-phoenix.mjs)', () => {
  const {phxMessage, phoenix} = phoenixModule
  it('reads V2 messages and nothing else', () => {
    assert.deepEqual(phxMessage('[null,"5","phoenix","phx_reply",{"response":{},"status":"ok"}]'), {joinRef: null, ref: '5', topic: 'phoenix', event: 'phx_reply', payload: {response: {}, status: 'ok'}})
    for (const bad of ['{"topic":"x"}', '["1","1","t","e"]', '["1","1","t","e",{},6]', '["1","1","t","e",{"a":"b}', '']) assert.equal(phxMessage(bad), undefined, bad)
  })

  it('a session: phx_join to the topic, counted on the ok reply to ref "1", heartbeats answered, pushes counted, refusals quoted', () => {
    const sent: string[] = []
    const send = (text: string) => sent.push(text)
    const heartbeat = {every: 0}
    const dialect = phoenix({topic: 'room:42'}, heartbeat)
    const session = dialect.session(1, '')
    assert.equal(heartbeat.every, 30, 'Phoenix drops a socket silent for 60 s: 30 s unless set')
    session.start(send)
    assert.deepEqual(JSON.parse(sent[0]), ['1', '1', 'room:42', 'phx_join', {}])
    assert.deepEqual(session.onText('["1","1","room:other","phx_reply",{"status":"ok","response":{}}]', send, true), {}, 'another topic')
    assert.deepEqual(session.onText('["1","1","room:42","phx_reply",{"status":"ok","response":{}}]', send, true), {accepted: true})
    dialect.heartbeat(send)
    dialect.heartbeat(send)
    const refs = sent.slice(1).map((s) => JSON.parse(s) as unknown[])
    assert.deepEqual(refs.map((r) => [r[0], r[2], r[3]]), [[null, 'phoenix', 'heartbeat'], [null, 'phoenix', 'heartbeat']])
    assert.notEqual(refs[0][1], refs[1][1], 'each heartbeat its own ref')
    assert.ok(!refs.some((r) => r[1] === '1'), "never the join's ref")
    assert.deepEqual(session.onText(`[null,${JSON.stringify(refs[0][1])},"phoenix","phx_reply",{"status":"ok","response":{}}]`, send, false), {answered: true})
    assert.deepEqual(session.onText('["1",null,"room:42","new_msg",{"body":"hi"}]', send, false), {pushed: true})
    assert.deepEqual(session.onText('["1","1","room:42","phx_close",{}]', send, false), {refused: 'phoenix: phx_close on room:42'})
    const refusing = dialect.session(2, '')
    refusing.start(() => {})
    assert.deepEqual(refusing.onText('["1","1","room:42","phx_reply",{"status":"error","response":{"reason":"unauthorized"}}]', send, true), {refused: 'phoenix: join refused: {"reason":"unauthorized"}'})
    const every = {every: 0}
    phoenix({heartbeatEvery: 5}, every).session(1, '')
    assert.equal(every.every, 5, '--heartbeat-every sets it')
  })
})
