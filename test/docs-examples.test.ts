import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {pathToFileURL} from 'node:url'

import {CommandHelp, Config} from '@oclif/core'

import {EXIT_CODES} from '../src/core/errors.js'
import {REPO_ROOT, run} from './helpers.js'

// The documented examples are run by scripts/docs-examples.js (the one implementation, also behind
// `npm run docs:examples`); this file runs every marked block through it and checks the rest of
// the docs' claims that can drift: the exit-code tables and the USAGE groups.

interface Example {
  file: string
  line: number
  body: string
  commands: string[]
  exits: number[]
}

interface DocsExamples {
  docFiles(): string[]
  findExamples(file: string, text?: string): Example[]
  runExample(example: Example): Promise<{body: string; exits: number[]}>
  firstDifference(want: string, got: string): string | undefined
  parseCommand(line: string): {program: string; args: string[]}
  normalise(text: string, sandbox?: string): string
}

const script = (await import(pathToFileURL(path.join(REPO_ROOT, 'scripts/docs-examples.js')).href)) as DocsExamples
const REGENERATE = 'if the change is meant, regenerate the blocks: npm run build && npm run docs:examples'

// Blocks run three at a time (each has its own processes and sandbox), so the file takes well under a minute.
const CONCURRENCY = 3

describe('every marked example block in README.md and docs/*.md is the real output', {concurrency: CONCURRENCY}, () => {
  const files = script.docFiles()

  it('covers README.md and every docs/*.md, each with checked blocks except the two developer pages', () => {
    assert.ok(files.includes('README.md') && files.includes('docs/apply.md'))
    for (const file of files.filter((f) => f !== 'docs/architecture.md' && f !== 'docs/engine-wire.md')) {
      assert.ok(script.findExamples(file).length > 0, `${file} has no marked example`)
    }
  })

  for (const file of files) {
    for (const example of script.findExamples(file)) {
      it(`${file}:${example.line}: ${example.commands[0]}`, async () => {
        const got = await script.runExample(example)
        assert.deepEqual(got.exits, example.exits, `exit codes of ${example.commands.join(' ; ')}; ${REGENERATE}`)
        const difference = script.firstDifference(example.body, got.body)
        assert.equal(difference, undefined, `${file}:${example.line}: the block differs from the output at ${difference}\n${REGENERATE}`)
      })
    }
  }
})

describe('the example checker itself', () => {
  it('fails a block whose text was edited or whose output moved', async () => {
    const [example] = script.findExamples('docs/estimate.md').filter((e) => e.commands[0].includes('--help'))
    const got = await script.runExample(example)
    assert.equal(script.firstDifference(example.body, got.body), undefined)
    const edited = example.body.replace('USAGE', 'Usage')
    assert.match(script.firstDifference(edited, got.body) ?? '', /line \d+ of the block/)
    assert.match(script.firstDifference(example.body, `${got.body}\nan extra line`) ?? '', /\(no line\)/)
  })

  it('reads markers, exit codes and sandboxes, and refuses a marker it does not understand', () => {
    const doc = ['text', '<!-- example exit=1,0 sandbox=stock-modern -->', '```', '$ c1m doctor --root $SANDBOX', 'out', '$ c1m profiles', '```'].join('\n')
    const [example] = script.findExamples('x.md', doc)
    assert.deepEqual(example.exits, [1, 0])
    assert.deepEqual(example.commands, ['c1m doctor --root $SANDBOX', 'c1m profiles'])
    assert.equal(example.body, '$ c1m doctor --root $SANDBOX\nout\n$ c1m profiles')
    assert.throws(() => script.findExamples('x.md', '<!-- example exit=one -->\n```\n$ c1m profiles\n```'), /unknown example option/)
    assert.throws(() => script.findExamples('x.md', '<!-- example exit=1,1 -->\n```\n$ c1m profiles\n```'), /2 code\(s\) for 1 command/)
    assert.throws(() => script.findExamples('x.md', '<!-- example -->\ntext'), /followed by a fenced block/)
  })

  it('runs c1m only, without a shell, and reads files of the sandbox only', () => {
    assert.deepEqual(script.parseCommand('c1m doctor --root x | head -3  # why').args, ['doctor', '--root', 'x'])
    for (const bad of ['rm -rf /', 'c1m doctor; id', 'c1m doctor $(id)', 'c1m doctor > /tmp/x', 'cat /etc/shadow', 'cat $SANDBOX/../../etc/shadow', 'grep x /etc/passwd']) {
      assert.throws(() => script.parseCommand(bad), /not a command an example may run/, bad)
    }
    assert.equal(script.parseCommand('cat $SANDBOX/etc/sysctl.d/90-c1m.conf').program, 'cat')
  })

  it('normalises only the documented placeholders', () => {
    const text = `tree ${REPO_ROOT}/test/fixtures/x at /tmp/sb/etc (applied 2026-11-22T00:30:11.729Z) 3,142,528  \nc1m_last_run_timestamp_seconds 1795412309.863`
    assert.equal(script.normalise(text, '/tmp/sb'), 'tree test/fixtures/x at $SANDBOX/etc (applied <date>) 3,142,528\nc1m_last_run_timestamp_seconds <unixtime>')
  })
})

/** The rows of the first Markdown table after a heading: cells of each row below the separator. */
function tableAfter(text: string, heading: string): string[][] {
  const lines = text.split('\n')
  const from = lines.indexOf(heading)
  assert.ok(from >= 0, `no heading "${heading}"`)
  const rows: string[][] = []
  let i = lines.findIndex((l, n) => n > from && l.startsWith('|'))
  for (; i < lines.length && lines[i].startsWith('|'); i++) rows.push(lines[i].split('|').slice(1, -1).map((c) => c.trim()))
  return rows.slice(2)
}

const names = (cell: string): string[] => [...cell.matchAll(/`(E_[A-Z_]+)`/g)].map((m) => m[1]).sort()

describe('the exit-code tables match src/core/errors.ts', () => {
  const table = Object.entries(EXIT_CODES).filter(([name]) => name.startsWith('E_'))

  it("README.md's table has one row per exit code, naming exactly the codes of errors.ts", () => {
    const rows = tableAfter(readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8'), '## Exit codes')
    const documented = rows.map(([code, cell]) => [Number(code), names(cell)] as const)
    const codes = [...new Set(Object.values(EXIT_CODES))].sort((a, b) => a - b)
    assert.deepEqual(documented.map(([code]) => code), codes)
    for (const [code, listed] of documented) {
      assert.deepEqual(listed, table.filter(([, exit]) => exit === code).map(([name]) => name).sort(), `exit ${code}`)
    }
  })

  it("docs/apply.md's table gives each code the exit errors.ts gives it", () => {
    const rows = tableAfter(readFileSync(path.join(REPO_ROOT, 'docs/apply.md'), 'utf8'), '## Exit codes added or used here')
    assert.ok(rows.length >= 10)
    for (const [cell, exit] of rows) {
      const [name] = names(cell)
      assert.ok(name in EXIT_CODES, `${name} is not in errors.ts`)
      assert.equal(Number(exit), EXIT_CODES[name as keyof typeof EXIT_CODES], name)
    }
  })
})

interface ManifestFlag {
  name: string
  char?: string
  hidden?: boolean
  exclusive?: string[]
}

const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {flags: Record<string, ManifestFlag>}>}
/** Exclusions a command checks in run() with its own message, not through oclif's `exclusive`. */
const CHECKED_IN_RUN: Record<string, string[][]> = {apply: [['unit', 'systemd-default']]}

// The USAGE section of a command's help, rendered in this process by oclif's own help class from the
// built manifest (what `c1m ID --help` prints; the example blocks run the real --help of the commands).
const oclifConfig = await Config.load(REPO_ROOT)
async function usageOf(id: string): Promise<string> {
  const command = oclifConfig.findCommand(id)
  assert.ok(command, `no command ${id}`)
  const lines = new CommandHelp(command, oclifConfig, {maxWidth: 80, stripAnsi: true}).generate().split('\n')
  const from = lines.indexOf('USAGE')
  const to = lines.indexOf('', from)
  return lines.slice(from + 1, to === -1 ? undefined : to).join('\n')
}

describe("each command's USAGE names every flag and shows either-or groups that are real", {concurrency: CONCURRENCY}, () => {
  for (const id of Object.keys(manifest.commands).filter((c) => !c.startsWith('autocomplete'))) {
    it(`c1m ${id}`, async () => {
      const flags = Object.values(manifest.commands[id].flags).filter((f) => !f.hidden)
      const byName = new Map(flags.flatMap((f) => [[`--${f.name}`, f], ...(f.char ? [[`-${f.char}`, f] as const] : [])]))
      let usage = (await usageOf(id)).replace(/\s+/g, ' ')
      for (const flag of flags) {
        const named = usage.includes(`--${flag.name}`) || usage.includes(`--[no-]${flag.name}`) || (flag.char && new RegExp(`-${flag.char}[\\s\\]]`).test(usage))
        assert.ok(named, `--${flag.name} is not in the USAGE of c1m ${id}: ${usage}`)
      }
      assert.doesNotMatch(usage, /\|\s+\||\[\s*\||\|\s*\]/, `an empty alternative in the USAGE of c1m ${id}`)
      // A bracket inside a group ([--target URL --server-pid PID] as one alternative) is flattened first.
      while (/(\[[^[\]]*)\[([^[\]|]*)\]/.test(usage)) usage = usage.replace(/(\[[^[\]]*)\[([^[\]|]*)\]/, '$1$2')
      for (const group of usage.matchAll(/\[([^[\]]* \| [^[\]]*)\]/g)) {
        const alternatives = group[1].split(' | ').map((a) => a.trim())
        assert.ok(alternatives.every((a) => a !== ''), `an empty alternative in "${group[0]}" (c1m ${id})`)
        const members = alternatives.map((a) => byName.get(a.split(' ')[0].replace('[no-]', '')))
        assert.ok(members.every(Boolean), `"${group[0]}" names a flag c1m ${id} does not have`)
        for (const a of members) {
          for (const b of members) {
            if (a === b) continue
            const exclusive = a!.exclusive?.includes(b!.name) || b!.exclusive?.includes(a!.name) || (CHECKED_IN_RUN[id] ?? []).some((pair) => pair.includes(a!.name) && pair.includes(b!.name))
            assert.ok(exclusive, `USAGE of c1m ${id} shows --${a!.name} and --${b!.name} as either-or, but they go together`)
          }
        }
      }
    })
  }

  it('--merge forms of doctor and probe leave out the flags --merge refuses', async () => {
    for (const id of ['doctor', 'probe']) {
      const mergeLine = (await usageOf(id)).split(/\n {2}\$ /).find((l) => l.includes('--merge'))!.replace(/\s+/g, ' ')
      for (const name of manifest.commands[id].flags.merge.exclusive ?? []) assert.ok(!mergeLine.includes(`--${name} `), `${id}: ${mergeLine} offers --${name}`)
    }
  })

  it('apply refuses --unit with --systemd-default, as its USAGE shows', async () => {
    const {exitCode, stderr} = await run(['apply', '--profile', 'million', '--dry-run', '--unit', 'chat', '--systemd-default', '--root', path.join(REPO_ROOT, 'test/fixtures/empty-tree')])
    assert.equal(exitCode, 2)
    assert.match(stderr, /--unit and --systemd-default/)
  })
})

describe('no hand-written USAGE synopsis is left unchecked in the docs', () => {
  it('every line that reads like a synopsis (c1m CMD ... [--flag) is inside a marked block', () => {
    const loose: string[] = []
    for (const file of script.docFiles()) {
      const lines = readFileSync(path.join(REPO_ROOT, file), 'utf8').split('\n')
      const checked = new Set(script.findExamples(file).flatMap((e) => Array.from({length: e.body.split('\n').length}, (_, k) => e.line + 1 + k)))
      let inBlock = false
      lines.forEach((l, i) => {
        if (l.startsWith('```')) inBlock = !inBlock
        else if (inBlock && !checked.has(i) && /^\s*c1m [a-z]+( [a-z]+)? (\S+ )*\[--/.test(l)) loose.push(`${file}:${i + 1}: ${l}`)
      })
    }
    assert.deepEqual(loose, [])
  })
})
