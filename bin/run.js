#!/usr/bin/env node
import {Config, Errors, flush, handle, run} from '@oclif/core'

import {errorEnvelope, formatErrorLine} from '../dist/src/error-output.js'
import {aliasArgv, findUnknownCommand} from '../dist/src/unknown-command.js'

const argv = aliasArgv(process.argv.slice(2))
const json = argv.includes('--json')
const config = await Config.load(import.meta.url)

/** An error no command caught (an unknown command): c1m's one line, or its envelope under --json. */
function report(error) {
  if (json) console.log(JSON.stringify(errorEnvelope(error), null, 2))
  else console.error(formatErrorLine(error))
  process.exitCode = error.exit
}

const unknown = findUnknownCommand(config, argv)
// Only a mistyped command word on a terminal goes to @oclif/plugin-not-found, which offers the nearest.
if (unknown && (!unknown.offer || json || !process.stdin.isTTY || !process.stderr.isTTY)) {
  report(unknown.error)
} else {
  try {
    await run(argv, config)
    await flush()
  } catch (error) {
    // On a terminal @oclif/plugin-not-found asked "Did you mean ...?" and the answer was no.
    if (unknown && error instanceof Errors.CLIError && !(error instanceof Errors.ExitError)) report(unknown.error)
    else await handle(error)
  }
}
