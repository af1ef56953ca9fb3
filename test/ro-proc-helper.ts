// Run by the read-only /proc/sys test inside `unshare --mount --propagation private`: bind-mount
// the sandbox's proc/sys read-only (as a container does) in this private mount namespace, then
// run c1m with the remaining arguments. The mount goes away with the namespace.
import {execFileSync, spawnSync} from 'node:child_process'
import path from 'node:path'

import {REPO_ROOT} from './sandbox-tree.js'

const [dir, ...args] = process.argv.slice(2)
execFileSync('mount', ['--bind', '-o', 'ro', path.join(dir, 'proc/sys'), path.join(dir, 'proc/sys')])
const child = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/run.js'), ...args], {stdio: 'inherit'})
process.exit(child.status ?? 1)
