// Profiles are validated against a JSON Schema (profiles/profile.schema.json) that editors can
// use too. These tests hold the committed schema to the one c1m validates with, check every
// shipped profile against the committed file with a fresh ajv (not c1m's wrapper), and show
// that a profile with several mistakes gets all of them in one error, each with its line.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {Ajv} from 'ajv'
import {parse} from 'yaml'

import {C1mError} from '../src/core/errors.js'
import {parseProfile} from '../src/core/profile/parse-profile.js'
import {PROFILE_SCHEMA} from '../src/core/profile/profile-schema.js'
import {listProfileNames, PROFILES_DIR} from '../src/host/read/profile-files.js'

const committed = JSON.parse(readFileSync(path.join(PROFILES_DIR, 'profile.schema.json'), 'utf8'))
const editorAjv = () => new Ajv({allErrors: true, strict: false, allowUnionTypes: true}).compile(committed)

function parseError(text: string, file = 'profiles/t.yaml'): C1mError {
  try {
    parseProfile(text, file)
  } catch (error) {
    assert.ok(error instanceof C1mError, String(error))
    assert.equal(error.code, 'E_BAD_PROFILE')
    return error
  }
  assert.fail('the profile loaded')
}

describe('the profile JSON Schema', () => {
  it('is committed as c1m validates with it (run `npm run schema` after changing the source)', () => {
    assert.deepEqual(committed, JSON.parse(JSON.stringify(PROFILE_SCHEMA)))
  })

  it('every shipped profile names the schema on its first line and is valid against the committed file', () => {
    const names = listProfileNames()
    assert.ok(names.length >= 7, `profiles: ${names.join(', ')}`)
    const validate = editorAjv()
    for (const name of names) {
      const text = readFileSync(path.join(PROFILES_DIR, `${name}.yaml`), 'utf8')
      assert.equal(text.split('\n')[0], '# yaml-language-server: $schema=./profile.schema.json', name)
      assert.ok(validate(parse(text)), `${name}: ${JSON.stringify(validate.errors)}`)
    }
  })

  it('an editor using the committed file flags what c1m refuses: both compute and value, a formula missing, a bad number', () => {
    const validate = editorAjv()
    const head = {name: 't', summary: 's', source: {file: 'd'}}
    for (const value of [{compute: 'fileMax', formula: 'f', value: 1, section: 'A'}, {compute: 'fileMax', section: 'A'}, {value: 'lots', section: 'A'}, {value: 1}]) {
      assert.equal(validate({...head, sysctl: {'fs.file-max': value}}), false, JSON.stringify(value))
    }
    assert.equal(validate({...head, sysctl: {'fs.file-max': {value: '1 2 3', section: 'A'}}}), true)
  })
})

describe('a profile with several mistakes', () => {
  const text = [
    'name: t', //                               1
    'summary: three mistakes', //               2
    'source:', //                               3
    '  file: doc.txt', //                       4
    'sysctl:', //                               5
    '  net.core.somaxconn:', //                 6
    '    value: lots', //                       7
    '    section: A', //                        8
    '  fs.file-max:', //                        9
    '    value: 100', //                       10
    'limits:', //                              11
    '  nofile:', //                            12
    '    compute: nofile', //                  13
    '    section: B', //                       14
    '',
  ].join('\n')

  it('gets every one in a single error, in line order, each with file:line and key', () => {
    const error = parseError(text)
    const parts = error.message.split(' | ')
    assert.equal(parts.length, 3, error.message)
    assert.match(parts[0], /^profiles\/t\.yaml:7: sysctl\.net\.core\.somaxconn\.value: must be a whole number or numbers separated by spaces, got "lots"$/)
    assert.match(parts[1], /^profiles\/t\.yaml:9: sysctl\.fs\.file-max: has no section/)
    assert.match(parts[2], /^profiles\/t\.yaml:12: limits\.nofile: a computed value must state its formula \(formula:\) \(3 problems\)$/)
    assert.doesNotMatch(error.message, /\n/)
  })

  it('keeps the exact sysctl-name rule beside the schema: a slash outside an interface part is refused', () => {
    const bad = 'name: t\nsummary: s\nsource:\n  file: d\nsysctl:\n  net.core/x.somaxconn:\n    value: 1\n    section: A\n'
    assert.match(parseError(bad).message, /^profiles\/t\.yaml:6: sysctl\.net\.core\/x\.somaxconn: is not a sysctl name/)
    const iface = 'name: t\nsummary: s\nsource:\n  file: d\nsysctl:\n  net.ipv4.conf.eth0/100.rp_filter:\n    value: 1\n    section: A\n'
    assert.equal(parseProfile(iface, 'profiles/t.yaml').values[0].key, 'net.ipv4.conf.eth0/100.rp_filter')
  })

  it('refuses a name that is not the file name, beside schema problems', () => {
    const error = parseError('name: other\nsummary: s\nsource:\n  file: d\n  year: 1800\n')
    assert.match(error.message, /^profiles\/t\.yaml:1: name: "other" must match the file name "t" \| profiles\/t\.yaml:5: source\.year: must be a year such as 2008 \(2 problems\)$/)
  })
})
