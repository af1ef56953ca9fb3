import {Args} from '@oclif/core'

import {C1mCommand} from '../cli/base.js'
import {rootFlag} from '../cli/flags.js'
import {hostTree} from '../host/files/root.js'
import {type SnapshotSummary, writeSnapshot} from '../host/files/snapshot.js'

export default class Snapshot extends C1mCommand {
  static override args = {
    dir: Args.string({description: 'new directory to write the host tree into', required: true}),
  }

  static override description = `Save the host state doctor reads (/proc/sys, meminfo, slabinfo, sockstat, limits, sysctl and limits files, systemd settings, kernel log, interface addresses) into a directory, to audit it elsewhere with \`c1m doctor --root DIR\`.

The directory is private (mode 0700) and each file keeps its source's permissions (never more: /proc/slabinfo stays 0400; the kernel log is 0600), since it holds what only root may read on this host. With --root, a symbolic link or a hard link in the tree is not followed or copied (a saved tree has none); each is named. What a killed snapshot to the same DIR left (DIR.partial-*) is removed first.`

  static override examples = [
    {description: 'Save this host, then audit the copy', command: '<%= config.bin %> <%= command.id %> ./host-a && <%= config.bin %> doctor --root ./host-a'},
  ]

  static override flags = {
    root: rootFlag,
  }

  async run(): Promise<SnapshotSummary> {
    const {args, flags} = await this.parse(Snapshot)
    const summary = await writeSnapshot(hostTree(flags.root), args.dir)
    if (summary.swept.length > 0) this.log(`Removed what an interrupted snapshot left: ${summary.swept.join(', ')}`)
    for (const reason of summary.refused) this.note(`not copied: ${reason}`)
    this.log(`Saved ${summary.files} files (${summary.sysctls} sysctls; ${summary.unreadable} unreadable kept as empty) to ${summary.dir}`)
    this.log(`Audit it with: c1m doctor --root ${args.dir}`)
    return summary
  }
}
