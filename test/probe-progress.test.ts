import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {execa} from 'execa'

import {renderBar} from '../src/probe/progress.js'
import {BIN, run} from './helpers.js'

const hasScript = (await execa('sh', ['-c', 'command -v script'], {reject: false})).exitCode === 0

describe('probe progress', () => {
  it('draws a bar of the steps done', () => {
    assert.equal(renderBar(0, 4, 'opening', 8), '[--------] 0/4 opening')
    assert.equal(renderBar(1, 4, 'x', 8), '[##------] 1/4 x')
    assert.equal(renderBar(4, 4, 'done', 8), '[########] 4/4 done')
  })

  it('on a terminal redraws the bar in place', {skip: hasScript ? false : 'needs script(1) for a terminal'}, async () => {
    // script(1) runs the command on a pseudo-terminal, so stderr is a TTY.
    const command = `node ${BIN} probe --conns 2000 --steps 2 --settle 50ms --no-netns`
    const result = await execa('script', ['-qec', command, '/dev/null'], {reject: false, timeout: 60_000, env: {NO_COLOR: '1', COLUMNS: '120', C1M_PROBE_DIR: 'off'}})
    assert.equal(result.exitCode, 0, result.stdout.slice(-500))
    // Each redraw: carriage return, erase the line, the bar.
    const redraw = '\r\u001B[K'
    assert.ok(result.stdout.includes(`${redraw}[${'-'.repeat(30)}] 0/2 opening 1000 connections (0 open)`), result.stdout.slice(0, 800))
    assert.ok(result.stdout.includes(`${redraw}[${'#'.repeat(15)}${'-'.repeat(15)}] 1/2 1000 connections in `))
    assert.ok(result.stdout.includes(`${redraw}[${'#'.repeat(30)}] 2/2 2000 connections in `))
    assert.doesNotMatch(result.stdout, /step 1\/2:/)
  })

  it('elsewhere prints a plain line for each step', async () => {
    const {stderr, exitCode} = await run(['probe', '--conns', '2000', '--steps', '2', '--settle', '50ms', '--no-netns'])
    assert.equal(exitCode, 0)
    assert.match(stderr, /^step 1\/2: 1000 connections in .*\nstep 2\/2: 2000 connections in /m)
    assert.doesNotMatch(stderr, /\r|\[#/)
  })
})
