import {C1mError, usageError} from '../errors.js'
import {type Calibration, describeServerFigure} from './calibration.js'
import {DEFAULT_PROCESS_BYTES} from './memory-model.js'
import {findPreset, type PresetSource, RUNTIME_PRESETS} from './runtime-presets.js'

export interface ResolvedRuntime {
  /** Preset name, or "custom" for --process-bytes. */
  name: string
  /** Process bytes per connection of the server (or of whatever runs here for the client role). */
  serverBytesPerConn: number
  /** The client side's, for the loopback role. */
  clientBytesPerConn: number
  /** Where the figure came from, one line. */
  from: string
  source?: PresetSource
}

export const DEFAULT_RUNTIME = 'libevent'

/**
 * The process bytes per connection for --runtime / --process-bytes. The c1m engines take their
 * figures from a probe report of the same engine. On loopback the client side is c1m's load
 * client: measured when a report is at hand, else the same figure as the server.
 */
export function resolveRuntime(options: {runtime?: string; processBytes?: number; calibration?: Calibration}): ResolvedRuntime {
  const {runtime, processBytes, calibration} = options
  const client = (bytes: number) => calibration?.clientBytesPerConn ?? bytes
  if (runtime !== undefined && processBytes !== undefined) {
    throw usageError('give --runtime or --process-bytes, not both')
  }
  if (processBytes !== undefined) {
    return {name: 'custom', serverBytesPerConn: processBytes, clientBytesPerConn: client(processBytes), from: '--process-bytes'}
  }
  const preset = findPreset(runtime ?? DEFAULT_RUNTIME)
  if (!preset) {
    throw usageError(`unknown runtime preset "${runtime}"`, `use one of: ${RUNTIME_PRESETS.map((p) => p.name).join(', ')}`)
  }
  if (preset.engine) {
    if (!calibration) {
      throw new C1mError('E_BAD_REPORT', `the ${preset.name} preset is measured by a probe, and no probe report was found`, `run \`c1m probe --engine ${preset.engine} --out FILE\` and pass --calibration FILE`)
    }
    if (calibration.engine !== preset.engine) {
      throw new C1mError('E_BAD_REPORT', `the ${preset.name} preset needs a report of the ${preset.engine} engine; ${calibration.file} measured the ${calibration.engine} engine`, `run \`c1m probe --engine ${preset.engine} --out FILE\``)
    }
    return {
      name: preset.name,
      serverBytesPerConn: calibration.serverBytesPerConn,
      clientBytesPerConn: calibration.clientBytesPerConn,
      // The ramp's slope is what every report without a hold gives: said only when it is another figure.
      from: `measured by c1m probe (${calibration.file}${calibration.serverFigure.kind === 'ramp' ? '' : `; ${describeServerFigure(calibration.serverFigure)}`})`,
    }
  }
  const bytes = preset.processBytesPerConn ?? DEFAULT_PROCESS_BYTES
  return {
    name: preset.name,
    serverBytesPerConn: bytes,
    clientBytesPerConn: client(bytes),
    from: `${preset.source!.file}, ${preset.source!.section}`,
    source: preset.source,
  }
}
