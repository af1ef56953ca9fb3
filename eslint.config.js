import path from 'node:path'

import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

// c1m's layers, one way: host readers -> pure core -> renderers, commands as wiring (see
// docs/architecture.md). Each layer (the first folder under src/) may import only the layers
// listed for it; the rule resolves every relative import, type-only ones included.
const MAY_IMPORT = {
  core: ['core'],
  host: ['core', 'host'],
  reports: ['core', 'reports'],
  probe: ['core', 'host', 'probe'],
  commands: ['core', 'host', 'probe', 'reports', 'commands', 'cli', 'help'],
  // The commands' help prose (descriptions, examples): text only.
  help: ['help'],
  cli: ['core', 'host', 'cli'],
}

const SRC = path.resolve('src')
const layerOf = (file) => {
  const rel = path.relative(SRC, file)
  if (rel.startsWith('..')) return undefined
  return rel.includes(path.sep) ? rel.split(path.sep)[0] : '.'
}

const layers = {
  meta: {type: 'problem', messages: {away: 'src/{{from}} may not import src/{{to}} ({{spec}}): layers go host -> core -> reports, see docs/architecture.md'}},
  create(context) {
    const from = layerOf(context.filename)
    if (!from || !MAY_IMPORT[from]) return {}
    const check = (node, spec) => {
      if (typeof spec !== 'string' || !spec.startsWith('.')) return
      const to = layerOf(path.resolve(path.dirname(context.filename), spec))
      if (to && !MAY_IMPORT[from].includes(to)) context.report({node, messageId: 'away', data: {from: from === '.' ? '*.ts' : from, to: to === '.' ? '*.ts' : to, spec}})
    }
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    }
  },
}

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: {c1m: {rules: {layers}}},
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', ignoreRestSiblings: true}],
      'no-console': 'error',
      'c1m/layers': 'error',
      // Comments are prose: wrapped at 110 columns. Code lines are not limited (tables of data, long messages).
      'max-len': ['error', {code: 1000, comments: 110, ignoreUrls: true, ignorePattern: '^\\s*(import|export) '}],
    },
  },
  // The benchmarks, the node engines and the build scripts are plain JavaScript run by node.
  {
    files: ['bench/**/*.{js,mjs}', 'probes/**/*.mjs', 'scripts/**/*.js'],
    languageOptions: {globals: globals.node},
    rules: {'no-console': 'off'},
  },
)
