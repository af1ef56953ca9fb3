// A C test driver of the probes' headers (test/*.c), built with the sanitizers and run: its
// lines, each "ok ..." when a check passed. Fails the test when it does not build, a check fails,
// or a sanitizer stops it.
import assert from 'node:assert/strict'
import path from 'node:path'

import {execa} from 'execa'

import {PROBES_DIR} from '../src/probe/engine.js'
import {REPO_ROOT} from './helpers.js'

const FLAGS = ['-O1', '-g', '-Wall', '-Wextra', '-Werror', '-fsanitize=address,undefined', '-fno-sanitize-recover=all']

/** Build test/SOURCE into dir and run it; its output lines, every one of them an "ok". */
export async function runSanitizedDriver(source: string, dir: string): Promise<string[]> {
  const binary = path.join(dir, path.basename(source, '.c'))
  const built = await execa(process.env.CC || 'cc', [...FLAGS, `-I${PROBES_DIR}`, '-o', binary, path.join(REPO_ROOT, 'test', source)], {reject: false, timeout: 120_000})
  assert.equal(built.exitCode, 0, built.stderr)
  const ran = await execa(binary, [], {reject: false, timeout: 60_000})
  const lines = ran.stdout.split('\n').filter(Boolean)
  assert.deepEqual(lines.filter((line) => !line.startsWith('ok ')), [], ran.stderr)
  assert.equal(ran.exitCode, 0, ran.stderr)
  return lines
}
