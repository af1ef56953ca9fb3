import type {Check} from '../check.js'
import {acceptChecks} from './accept.js'
import {conntrackChecks} from './conntrack.js'
import {fileChecks} from './files.js'
import {hygieneChecks} from './hygiene.js'
import {neighbourChecks} from './neighbours.js'
import {portChecks} from './ports.js'
import {ramChecks} from './ram.js'
import {symptomChecks} from './symptoms.js'
import {tcpMemChecks} from './tcpmem.js'
import {timeWaitChecks} from './timewait.js'

/** Every built-in check, in the order doctor shows them. */
export const ALL_CHECKS: Check[] = [
  ...fileChecks,
  ...acceptChecks,
  ...portChecks,
  ...neighbourChecks,
  ...conntrackChecks,
  ...tcpMemChecks,
  ...timeWaitChecks,
  ...ramChecks,
  ...hygieneChecks,
  ...symptomChecks,
]
