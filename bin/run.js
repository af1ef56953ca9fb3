#!/usr/bin/env node
import {Config, Errors, flush, handle, run} from '@oclif/core'

import {errorEnvelope, formatErrorLine} from '../dist/src/cli/error-output.js'
import {C1mError} from '../dist/src/core/errors.js'
import {aliasArgv, findUnknownCommand} from '../dist/src/cli/unknown-command.js'

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
    // A usage error in a plugin's command (help, autocomplete): c1m's one line too, not oclif's two.
    else if (error instanceof Errors.CLIError && !(error instanceof Errors.ExitError) && error.oclif?.exit === 2) {
      const message = error.message.split('\n')[0].trim().replace(/\.$/, '')
      report(new C1mError('E_USAGE', message, 'c1m help lists the commands'))
    } else await handle(error)
  }
}
