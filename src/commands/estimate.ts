import {Flags} from '@oclif/core'

import {C1mCommand} from '../cli/base.js'
import {type SettingRow, settingRows} from '../core/estimate/estimate-settings.js'
import {floorsOf, modelSocketKernel} from '../core/estimate/model-socket-kernel.js'
import {type EstimateResult, planEstimate} from '../core/estimate/plan-estimate.js'
import {refuseBadEstimate} from '../core/estimate/guard-estimate.js'
import {resolveRuntime} from '../core/estimate/resolve-runtime.js'
import {findPreset, RUNTIME_PRESETS} from '../core/estimate/runtime-presets.js'
import {usageError} from '../core/errors.js'
import {connsFlag, hostFamilyFlag, outFlag, roleFlag, rootFlag} from '../cli/flags.js'
import {type CalibrationChoice, chooseCalibration} from '../host/files/choose-calibration.js'
import {resolveOutFiles, writeOutputFile} from '../host/files/output-file.js'
import {readHost} from '../host/read/read-host.js'
import {hostTree} from '../host/files/root.js'
import {renderEstimateHtml} from '../reports/estimate-html.js'
import {renderEstimateText} from '../reports/estimate-text.js'
import {formatBytes, parseFraction, parseHosts, parseSize} from '../core/units.js'

export type EstimateOutput = EstimateResult & {
  calibrationReport: CalibrationChoice['used'] | null
  skippedReports: CalibrationChoice['skipped']
  settingRows: SettingRow[]
  html?: string
  json?: string
}

/** Below this, a probe's kernel fit was disturbed by other activity on the host. */
export const MIN_KERNEL_R2 = 0.98

export default class Estimate extends C1mCommand {
  static override description = `How much RAM, and which settings, N connections need.

Memory = base + N x (kernel bytes per socket x sockets per connection + client bind entries + conntrack entry + socket buffers + process bytes) + headroom (vm.min_free_kbytes and 10% of RAM).
The kernel figure comes from a probe report (--calibration FILE, or the newest saved report in $C1M_PROBE_DIR or ~/.local/state/c1m/probes of the same kind of run: the bundled server over plain TCP, the engine --runtime implies, this kernel, a clean fit of at least 20,000 connections and no other probe at the same time), else this host's /proc/slabinfo, else built-in defaults. The process figure comes from a runtime preset (each names the document it came from) or --process-bytes.
Says whether N fits on this host (or one of --ram SIZE), how many hosts it takes if not, and the settings N needs: the same numbers c1m apply sets and c1m doctor checks.

Presets: ${RUNTIME_PRESETS.map((p) => p.name).join(', ')}.`

  static override examples = [
    {description: 'A million connections to a server on this host', command: '<%= config.bin %> estimate --conns 1M'},
    {description: 'Both ends on this host, process figures from a probe report', command: '<%= config.bin %> estimate --conns 1e6 --role loopback --runtime native --calibration probe.json'},
    {description: 'A JVM server with TLS on 16 GiB hosts, 10% of connections with a 2 KiB message in flight', command: '<%= config.bin %> estimate --conns 2M --runtime jvm-tls --ram 16GiB --message-size 2048 --active 0.1'},
    {description: 'The same over IPv6: the socket is a TCPv6 slab object', command: '<%= config.bin %> estimate --conns 1M --family 6'},
    {description: 'Write an HTML report with a chart, and the JSON document beside it (the extension picks the format)', command: '<%= config.bin %> estimate --conns 500k --out estimate.html --out estimate.json'},
  ]

  static override flags = {
    conns: connsFlag({required: true}),
    role: roleFlag({default: 'server'}),
    family: hostFamilyFlag(),
    runtime: Flags.string({summary: `Process memory preset: ${RUNTIME_PRESETS.map((p) => p.name).join(', ')} (default libevent, about 2 KiB).`, helpValue: 'PRESET'}),
    'process-bytes': Flags.string({summary: 'Process bytes per connection instead of a preset: 4096, 4KiB.', helpValue: 'SIZE'}),
    calibration: Flags.string({summary: 'A probe report (JSON from `c1m probe --out FILE.json`) to take kernel and engine figures from.', helpValue: 'FILE'}),
    ram: Flags.string({summary: 'Plan for hosts of this much RAM instead of this host: 16GiB, 64G.', helpValue: 'SIZE'}),
    hosts: Flags.string({summary: 'Spread the connections over this many hosts and plan one of them.', default: '1', helpValue: 'N'}),
    'message-size': Flags.string({summary: 'Bytes of a message in flight on an active connection: 512, 4KiB.', default: '0', helpValue: 'SIZE'}),
    active: Flags.string({summary: 'Fraction of connections with a message in flight at once: 0.1 or 10%.', default: '0', helpValue: 'FRACTION'}),
    conntrack: Flags.string({summary: 'Count a conntrack entry per connection (default: whether this host tracks connections).', options: ['on', 'off'], helpValue: 'on|off'}),
    out: outFlag(),
    root: rootFlag,
  }

  public async run(): Promise<EstimateOutput> {
    const {flags} = await this.parse(Estimate)
    const {conns, role, family} = flags
    const ramBytes = flags.ram === undefined ? undefined : parseSize(flags.ram, 'ram')
    const processBytes = flags['process-bytes'] === undefined ? undefined : parseSize(flags['process-bytes'], 'process-bytes')
    const hosts = parseHosts(flags.hosts)
    const connsPerHost = Math.ceil(conns / hosts)
    const messageSize = flags['message-size'] === '0' ? 0 : parseSize(flags['message-size'], 'message-size')
    const active = parseFraction(flags.active, 'active')
    if (messageSize > 0 && active === 0) this.note('--message-size has no effect without --active (the fraction of connections with data in flight)')
    const root = hostTree(flags.root)
    const out = resolveOutFiles(flags.out)

    const host = await readHost(root)
    for (const problem of host.memory.problems) this.note(`${problem}; using defaults for what it gives`)
    if (!host.memory.meminfo?.MemTotal && ramBytes === undefined) {
      throw usageError('could not read MemTotal from /proc/meminfo', 'pass --ram SIZE to plan for a host of that size')
    }
    // --runtime native|node wants a report of that engine; otherwise any will calibrate the kernel.
    const choice = chooseCalibration({
      file: flags.calibration, lookup: root.live, engine: findPreset(flags.runtime ?? '')?.engine, protocol: 'tcp', kernel: host.sysctl['kernel.osrelease'], family, connsPerHost,
      floors: floorsOf(modelSocketKernel(host.memory.slab, host.sysctl['kernel.osrelease'], family)),
    })
    for (const note of choice.notes) this.note(note)
    const {calibration} = choice
    if (calibration && calibration.kernel.r2 < MIN_KERNEL_R2) {
      this.note(`the probe's kernel fit in ${calibration.file} is poor (r2 ${calibration.kernel.r2.toFixed(3)}): other work moved the slab during the run; probe again on a quiet host, with a longer --settle`)
    }
    const runtime = resolveRuntime({runtime: flags.runtime, processBytes, calibration})
    const result = planEstimate({
      conns, role, family, hosts, host, ramBytes, runtime, calibration, messageSize, active,
      conntrack: flags.conntrack === undefined ? undefined : flags.conntrack === 'on',
    })
    // Text, HTML and JSON alike: an estimate with a figure that cannot be memory ends in one error (exit 3).
    refuseBadEstimate(result)
    if (result.walker) this.note(describeWalker(result.walker))
    const output: EstimateOutput = {...result, calibrationReport: choice.used ?? null, skippedReports: choice.skipped, settingRows: settingRows(result, host.sysctl)}
    if (out.html) output.html = writeOutputFile(out.html, renderEstimateHtml(result, output.settingRows, host.sysctl, {version: this.config.version}), '--out')
    if (out.json) {
      output.json = out.json
      writeOutputFile(out.json, JSON.stringify(this.stamp(output), null, 2) + '\n', '--out')
    }
    if (!this.jsonEnabled()) {
      this.log(renderEstimateText(result, output.settingRows))
      if (output.html) this.log(`\nHTML report: ${output.html}`)
      if (output.json) this.log(`${output.html ? '' : '\n'}JSON report: ${output.json}`)
    }
    return output
  }
}

/** Which figure applies on a host with or without a /proc walker, in one line. */
function describeWalker(w: NonNullable<EstimateResult['walker']>): string {
  const per = `${w.bytesPerSocket} B per socket of proc inodes and dentries`
  return w.visitedDuringProbe
    ? `a /proc/PID/fd walker (a monitoring agent) visited the probe's sockets, so the estimate includes its ${per}: ${formatBytes(w.high)}; where nothing walks /proc, ${formatBytes(w.low)}`
    : `no /proc/PID/fd walker visited the probe's sockets, so the estimate leaves out the ${per} one adds: ${formatBytes(w.low)}; where a monitoring agent walks /proc, ${formatBytes(w.high)}`
}
