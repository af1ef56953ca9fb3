#!/usr/bin/env node
import {Config, Errors, flush, handle, run} from '@oclif/core'

import {errorEnvelope, formatErrorLine} from '../dist/src/error-output.js'
import {C1mError} from '../dist/src/core/errors.js'
import {findUnknownCommand} from '../dist/src/unknown-command.js'

const argv = process.argv.slice(2)
const json = argv.includes('--json')
const config = await Config.load(import.meta.url)

/** An error no command caught (an unknown command): c1m's one line, or its envelope under --json. */
function report(error) {
  if (json) console.log(JSON.stringify(errorEnvelope(error), null, 2))
  else console.error(formatErrorLine(error))
  process.exitCode = error.exit
}

const unknown = findUnknownCommand(config, argv)
if (unknown && (json || !process.stdin.isTTY || !process.stderr.isTTY)) {
  report(unknown)
} else {
  try {
    await run(argv, config)
    await flush()
  } catch (error) {
    // On a terminal @oclif/plugin-not-found asked "Did you mean ...?" and the answer was no.
    if (unknown && error instanceof Errors.CLIError && !(error instanceof Errors.ExitError)) report(unknown)
    else await handle(error)
  }
}
