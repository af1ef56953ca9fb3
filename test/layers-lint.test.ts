// The layers stay one way because lint says so: the c1m/layers rule in eslint.config.js, run
// here on made-up files at real paths (ESLint reads them from stdin; nothing is written).
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {execa} from 'execa'

import {REPO_ROOT} from './helpers.js'

async function lint(file: string, code: string): Promise<string> {
  const result = await execa('npx', ['eslint', '--stdin', '--stdin-filename', file, '-f', 'json'], {cwd: REPO_ROOT, input: code, reject: false, timeout: 60_000})
  const [report] = JSON.parse(result.stdout) as Array<{messages: Array<{ruleId: string; message: string}>}>
  return report.messages.map((m) => `${m.ruleId}: ${m.message}`).join('\n')
}

describe('eslint c1m/layers', () => {
  const cases: Array<[string, string, RegExp | null]> = [
    ['src/core/doctor/x.ts', "import type {HostRoot} from '../../host/root.js'\nexport type X = HostRoot\n", /src\/core may not import src\/host/],
    ['src/core/x.ts', "export const load = () => import('../probe/engine.js')\n", /src\/core may not import src\/probe/],
    ['src/reports/x.ts', "import {runProbe} from '../probe/run-probe.js'\nexport const x = runProbe\n", /src\/reports may not import src\/probe/],
    ['src/host/x.ts', "import {renderDoctorTable} from '../reports/doctor-table.js'\nexport const x = renderDoctorTable\n", /src\/host may not import src\/reports/],
    ['src/core/estimate/x.ts', "import {planShards} from '../probe/plan-shards.js'\nexport const x = planShards\n", null],
    ['src/commands/x.ts', "import {readHost} from '../host/read-host.js'\nimport {renderDoctorTable} from '../reports/doctor-table.js'\nexport const x = [readHost, renderDoctorTable]\n", null],
  ]
  for (const [file, code, expected] of cases) {
    it(`${file}: ${expected ? 'refused' : 'allowed'}`, async () => {
      const messages = await lint(file, code)
      if (expected) assert.match(messages, expected)
      else assert.doesNotMatch(messages, /c1m\/layers/)
    })
  }

  it('limits comments to 110 columns', async () => {
    assert.match(await lint('src/core/x.ts', `// ${'word '.repeat(30)}\nexport const x = 1\n`), /max-len/)
  })
})
