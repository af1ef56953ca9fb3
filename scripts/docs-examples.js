#!/usr/bin/env node
// The documented examples, run for real. An example is a fenced block in README.md or docs/*.md
// right after a marker line:
//
//   <!-- example -->                          every command exits 0
//   <!-- example exit=1 -->                   the (one) command exits 1
//   <!-- example exit=0,0,1 sandbox=stock-modern -->
//
// Inside the block, each line that starts with "$ " is a command, and the lines after it, up to the
// next "$ " line, are its output (stdout and stderr, as a terminal would interleave them). A c1m
// command runs as `node bin/run.js ...` from the repository root, without a shell; it may end in
// `| head -N` or `| tail -N` (keep the first or last N lines), `>/dev/null` (keep stderr only) and
// a `# comment` after two spaces. `cat FILE...` and `grep WORD FILE` show files of the sandbox
// (every FILE starts with $SANDBOX/; grep keeps the lines that contain WORD). Options of the marker:
//   exit=A,B,...    the exit code of each command, in order (default 0 for each); for a c1m command
//                   with `| head -N` or `| tail -N` it is c1m's own code, not the pipeline's
//   sandbox=NAME    a fresh copy of test/fixtures/NAME in a temporary directory, written $SANDBOX in
//                   the commands and the output (for apply and revert, which write into their --root)
//   section=NAME    keep only that section of the output (USAGE of a --help page)
//
// Only read-only or sandboxed commands that run offline in seconds belong here: doctor (and --merge of
// its reports), estimate, profiles, apply and revert in a sandbox, on fixture trees or committed
// reports, and --help pages. No probe runs.
//
// The output is normalised before it is written or compared; these are all the placeholders:
//   - the repository's absolute path (and its trailing /) is dropped: paths print relative to it;
//   - the sandbox directory is $SANDBOX;
//   - an ISO date-time (2026-11-22T00:30:11.729Z) is <date>;
//   - the Unix time of Prometheus' c1m_last_run_timestamp_seconds is <unixtime>;
//   - a saved report's age ("11 days old", "1 hour old") is <age> old;
//   - trailing spaces at the end of a line are dropped.
// Colour is off (NO_COLOR=1, FORCE_COLOR=0), help pages are 80 columns (OCLIF_COLUMNS), and saved
// probe reports are neither read nor written (C1M_PROBE_DIR=off).
//
//   node scripts/docs-examples.js           check: exit 1 and show the first difference of each block
//   node scripts/docs-examples.js --write   write every block from the real output (npm run docs:examples)
// Both need the build (npm run build).
import {spawn} from 'node:child_process'
import {closeSync, cpSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const MARKER = /^<!--\s*example\b(.*?)-->\s*$/
const FENCE = /^```/
const TIMEOUT_MS = 30_000

/** README.md and every docs/*.md, relative to the repository. */
export function docFiles() {
  return ['README.md', ...readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)]
}

function parseOptions(text, where) {
  const opts = {exit: undefined, sandbox: undefined, section: undefined}
  for (const word of text.trim().split(/\s+/).filter(Boolean)) {
    const [key, value] = word.split('=')
    if (key === 'exit' && /^\d+(,\d+)*$/.test(value ?? '')) opts.exit = value.split(',').map(Number)
    else if (key === 'sandbox' && /^[a-z0-9-]+$/.test(value ?? '')) opts.sandbox = value
    else if (key === 'section' && /^[A-Z]+$/.test(value ?? '')) opts.section = value
    else throw new Error(`${where}: unknown example option "${word}" (exit=A,B sandbox=FIXTURE section=NAME)`)
  }
  return opts
}

/** The marked blocks of one file: where their content lies (0-based lines) and what they hold. */
export function findExamples(file, text = readFileSync(join(REPO, file), 'utf8')) {
  const lines = text.split('\n')
  const examples = []
  let fenced = false
  for (let i = 0; i < lines.length; i++) {
    // A marker shown inside a fenced block (as the README shows the syntax) is text, not a marker.
    if (FENCE.test(lines[i])) fenced = !fenced
    const m = fenced ? null : MARKER.exec(lines[i])
    if (!m) continue
    const where = `${file}:${i + 1}`
    if (!FENCE.test(lines[i + 1] ?? '')) throw new Error(`${where}: an example marker must be followed by a fenced block`)
    let end = i + 2
    while (end < lines.length && !FENCE.test(lines[end])) end++
    if (end >= lines.length) throw new Error(`${where}: the example's block is not closed`)
    const body = lines.slice(i + 2, end)
    const commands = body.filter((l) => l.startsWith('$ ')).map((l) => l.slice(2))
    if (commands.length === 0 || !body[0].startsWith('$ ')) throw new Error(`${where}: an example block starts with a "$ c1m ..." line`)
    const opts = parseOptions(m[1], where)
    const exits = opts.exit ?? commands.map(() => 0)
    if (exits.length !== commands.length) throw new Error(`${where}: exit= names ${exits.length} code(s) for ${commands.length} command(s)`)
    examples.push({file, line: i + 1, start: i + 2, end, body: body.join('\n'), commands, exits, ...opts})
    i = end
  }
  return examples
}

/** Split "c1m doctor --root x | head -30  # why" into argv and what to do with the output. */
export function parseCommand(line) {
  let rest = line.replace(/\s{2,}#.*$/, '').trim()
  let keep
  let quiet = false
  const h = /\s*\|\s*(head|tail) -(\d+)$/.exec(rest)
  if (h) {
    keep = {from: h[1], lines: Number(h[2])}
    rest = rest.slice(0, h.index)
  }
  if (/\s*>\/dev\/null$/.test(rest)) {
    quiet = true
    rest = rest.replace(/\s*>\/dev\/null$/, '')
  }
  const argv = rest.split(/\s+/)
  const files = argv.slice(argv[0] === 'grep' ? 2 : 1)
  const reader = (argv[0] === 'cat' && files.length > 0) || (argv[0] === 'grep' && files.length === 1)
  const safe = argv.every((a) => !/[|;&<>`'"*?]/.test(a) && (!a.includes('$') || /^\$SANDBOX(\/[\w.@-]+)*$/.test(a)))
  if (!safe || !(argv[0] === 'c1m' || (reader && !keep && !quiet && files.every((f) => f.startsWith('$SANDBOX/') && !f.includes('..'))))) {
    throw new Error(`not a command an example may run: "${line}" (c1m ARGS, optionally | head -N, | tail -N or >/dev/null; cat or grep WORD of $SANDBOX/ files)`)
  }
  return {program: argv[0], args: argv.slice(1), keep, quiet}
}

/** The placeholders listed at the top of this file. */
export function normalise(text, sandbox) {
  let out = text.split(`${REPO}/`).join('').split(REPO).join('.')
  if (sandbox) out = out.split(sandbox).join('$SANDBOX')
  out = out.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<date>')
  out = out.replace(/^(c1m_last_run_timestamp_seconds) \d+(\.\d+)?$/gm, '$1 <unixtime>')
  out = out.replace(/\b\d+ (second|minute|hour|day)s? old\b/g, '<age> old')
  return out.split('\n').map((l) => l.replace(/\s+$/, '')).join('\n')
}

function section(text, name) {
  const lines = text.split('\n')
  const from = lines.indexOf(name)
  if (from < 0) return text
  let to = from + 1
  while (to < lines.length && lines[to] !== '') to++
  return lines.slice(from, to).join('\n')
}

/** cat and grep, in JavaScript: only files of the sandbox, no shell. */
function readFiles(program, args) {
  if (program === 'cat') return {text: args.map((f) => readFileSync(f, 'utf8')).join('').replace(/\n$/, ''), status: 0}
  const lines = readFileSync(args[1], 'utf8').split('\n').filter((l) => l.includes(args[0]))
  return {text: lines.join('\n'), status: lines.length > 0 ? 0 : 1}
}

/** Run one program to its end; its exit code, or an error when it ran out of time. */
function runToEnd(argv, options) {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, argv, options)
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS)
    child.on('error', (e) => {
      clearTimeout(timer)
      fail(e)
    })
    child.on('close', (status, signal) => {
      clearTimeout(timer)
      if (status === null) fail(new Error(`${argv.slice(1).join(' ')} did not finish in ${TIMEOUT_MS / 1000} s (${signal})`))
      else done(status)
    })
  })
}

async function runOne(line, sandbox) {
  const {program, args, keep, quiet} = parseCommand(line)
  const argv = args.map((a) => (a.startsWith('$SANDBOX') ? (sandbox === undefined ? undefined : sandbox + a.slice('$SANDBOX'.length)) : a))
  if (argv.includes(undefined)) throw new Error(`"${line}" names $SANDBOX, but the marker gives no sandbox=FIXTURE`)
  if (program !== 'c1m') return readFiles(program, argv)
  const dir = mkdtempSync(join(tmpdir(), 'c1m-docs-out-'))
  try {
    // One file for stdout and stderr keeps them in the order the command wrote them.
    const fd = openSync(join(dir, 'out'), 'w')
    const env = {...process.env, NO_COLOR: '1', FORCE_COLOR: '0', C1M_PROBE_DIR: 'off', OCLIF_COLUMNS: '80'}
    let status
    try {
      status = await runToEnd([join(REPO, 'bin/run.js'), ...argv], {cwd: REPO, env, stdio: ['ignore', quiet ? 'ignore' : fd, fd]})
    } finally {
      closeSync(fd)
    }
    let text = readFileSync(join(dir, 'out'), 'utf8').replace(/\n$/, '')
    if (keep) {
      const lines = text.split('\n')
      text = (keep.from === 'head' ? lines.slice(0, keep.lines) : lines.slice(-keep.lines)).join('\n')
    }
    return {text, status}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** Run an example's commands in order; the block as it should read, and each command's exit code. */
export async function runExample(example) {
  const sandbox = example.sandbox ? mkdtempSync(join(tmpdir(), 'c1m-docs-sandbox-')) : undefined
  try {
    if (sandbox) cpSync(join(REPO, 'test/fixtures', example.sandbox), sandbox, {recursive: true})
    const parts = []
    const exits = []
    for (const line of example.commands) {
      const {text, status} = await runOne(line, sandbox)
      const kept = example.section ? section(text, example.section) : text
      // A "$ " line in the output would read back as a command: such output cannot be an example.
      if (/^\$ /m.test(kept)) throw new Error(`${example.file}:${example.line}: the output of "${line}" has a line starting with "$ "`)
      parts.push(`$ ${line}`, ...(kept === '' ? [] : [normalise(kept, sandbox)]))
      exits.push(status)
    }
    return {body: parts.join('\n'), exits}
  } finally {
    if (sandbox) rmSync(sandbox, {recursive: true, force: true})
  }
}

/** The first line where two texts differ, for a message a reader can act on. */
export function firstDifference(want, got) {
  const a = want.split('\n')
  const b = got.split('\n')
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1} of the block:\n  doc:    ${a[i] ?? '(no line)'}\n  output: ${b[i] ?? '(no line)'}`
  }
  return undefined
}

async function main(write) {
  let stale = 0
  let count = 0
  for (const file of docFiles()) {
    const path = join(REPO, file)
    const lines = readFileSync(path, 'utf8').split('\n')
    const examples = findExamples(file, lines.join('\n'))
    // From the last block up, so earlier blocks' line numbers stay right while writing.
    for (const ex of [...examples].reverse()) {
      count++
      const got = await runExample(ex)
      const diff = firstDifference(ex.body, got.body)
      const exitsDiffer = got.exits.join(',') !== ex.exits.join(',')
      if (write) {
        lines.splice(ex.start, ex.end - ex.start, ...got.body.split('\n'))
        const marker = lines[ex.line - 1]
        const opts = [got.exits.some((e) => e !== 0) ? `exit=${got.exits.join(',')}` : '', ex.sandbox ? `sandbox=${ex.sandbox}` : '', ex.section ? `section=${ex.section}` : '']
        lines[ex.line - 1] = `<!-- example${opts.filter(Boolean).map((o) => ` ${o}`).join('')} -->`
        if (diff || exitsDiffer || marker !== lines[ex.line - 1]) console.log(`${file}:${ex.line}: rewritten`)
      } else if (diff || exitsDiffer) {
        stale++
        console.log(`${file}:${ex.line}: ${diff ?? `exit codes ${got.exits.join(',')}, the marker says ${ex.exits.join(',')}`}`)
      }
    }
    if (write) writeFileSync(path, lines.join('\n'))
  }
  console.log(write ? `${count} example block(s) written from the real output` : `${count} example block(s), ${stale} differ from the real output`)
  return stale === 0 ? 0 : 1
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const unknown = process.argv.slice(2).filter((a) => a !== '--write')
  if (unknown.length > 0) {
    console.error(`usage: node scripts/docs-examples.js [--write] (unknown: ${unknown.join(' ')})`)
    process.exit(2)
  }
  process.exitCode = await main(process.argv.includes('--write'))
}
