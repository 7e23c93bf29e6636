import { test } from 'node:test'
import assert from 'node:assert/strict'

import { Redactor, redact, defaultRedactor } from 'tokenward'
import * as native from 'tokenward/native'
import { GITHUB, GITHUB_LABEL, AWS, AWS_LABEL } from './fixtures.mjs'

test('redact() replaces secrets with labels by default', () => {
  const redactor = new Redactor()
  assert.equal(redactor.style, 'label')
  assert.equal(
    redactor.redact(`token=${GITHUB} key=${AWS}`),
    `token=${GITHUB_LABEL} key=${AWS_LABEL}`,
  )
})

test('a clean line comes back unchanged', () => {
  const line = 'GET /health 200 0.3ms user=alice'
  assert.equal(new Redactor().redact(line), line)
  assert.equal(redact(''), '')
})

test('every style writes its own replacement', () => {
  const line = `key=${GITHUB}`
  assert.equal(new Redactor({ style: 'mask' }).redact(line), 'key=********')
  assert.equal(new Redactor({ style: 'prefix' }).redact(line), 'key=ghp_********')
  assert.equal(new Redactor({ style: 'label' }).redact(line), `key=${GITHUB_LABEL}`)
  const fingerprint = new Redactor({ style: 'fingerprint', fingerprintKey: 'k1' })
  const out = fingerprint.redact(line)
  assert.match(out, /^key=\[REDACTED:github_classic_token:[0-9a-f]{8}\]$/)
  // Keyed: the same key gives the same fingerprint, another key another one.
  assert.equal(new Redactor({ style: 'fingerprint', fingerprintKey: Buffer.from('k1') }).redact(line), out)
  assert.notEqual(new Redactor({ style: 'fingerprint', fingerprintKey: 'k2' }).redact(line), out)
  assert.equal(
    new Redactor({ style: 'fingerprint', fingerprintKey: new Uint8Array([107, 49]) }).redact(line),
    out,
  )
})

test('config text in TOML and JSON adds rules and disables built-ins', () => {
  const toml = `
disable = ["aws_access_key_id"]

[[rules]]
id = "acme_key"
keywords = ["acme_"]
pattern = 'acme_(?P<secret>[a-z0-9]{32})'
`
  const fromToml = new Redactor({ config: toml, style: 'prefix' })
  const line = `a=acme_0123456789abcdef0123456789abcdef b=${AWS}`
  assert.equal(fromToml.redact(line), `a=acme_******** b=${AWS}`)
  const ids = fromToml.rules().map((r) => r.id)
  assert.ok(ids.includes('acme_key'))
  assert.ok(!ids.includes('aws_access_key_id'))

  const json = JSON.stringify({ style: 'mask', allow: [AWS] })
  assert.equal(new Redactor({ config: json }).redact(`k=${AWS} t=${GITHUB}`), `k=${AWS} t=********`)
})

test('the style option wins over the style in config', () => {
  const redactor = new Redactor({ config: 'style = "mask"', style: 'label' })
  assert.equal(redactor.style, 'label')
  assert.equal(new Redactor({ config: 'style = "mask"' }).style, 'mask')
})

test('rules() lists the catalogue with its metadata', () => {
  const rules = new Redactor().rules()
  const github = rules.find((r) => r.id === 'github_classic_token')
  assert.ok(github, 'github_classic_token in the catalogue')
  assert.equal(github.builtin, true)
  assert.equal(typeof github.provider, 'string')
  assert.equal(typeof github.description, 'string')
  assert.ok(Array.isArray(github.keywords) && github.keywords.length > 0)
})

test('find() reports rule, credential span and secret span', () => {
  const line = `token ${GITHUB} end`
  const [finding, ...rest] = new Redactor().find(line)
  assert.equal(rest.length, 0)
  assert.equal(finding.rule, 'github_classic_token')
  assert.equal(line.slice(finding.start, finding.end), GITHUB)
  assert.ok(finding.start <= finding.secretStart && finding.secretEnd <= finding.end)
  assert.ok(finding.secretEnd > finding.secretStart)
  assert.deepEqual(new Redactor().find('nothing here'), [])
})

test('module-level redact() and defaultRedactor() use the default catalogue', () => {
  assert.equal(redact(`k=${AWS}`), `k=${AWS_LABEL}`)
  assert.equal(defaultRedactor(), defaultRedactor())
  assert.equal(defaultRedactor().redact(`k=${AWS}`), `k=${AWS_LABEL}`)
})

test('the wrapper class is the native class, extended', () => {
  const redactor = new Redactor()
  assert.ok(redactor instanceof native.Redactor)
  assert.equal(native.redact(`k=${AWS}`), `k=${AWS_LABEL}`)
})

test('a 5 MB line is redacted completely', () => {
  const filler = 'x'.repeat(1000) + ' '
  const big = (filler + GITHUB + ' ').repeat(5000)
  const out = new Redactor().redact(big)
  assert.ok(!out.includes(GITHUB))
  assert.equal(out.split(GITHUB_LABEL).length - 1, 5000)
})

test('texts around the 16 KiB read buffer are read whole', () => {
  const redactor = new Redactor()
  // Lengths straddling the native read buffer, with multi-byte characters at the cut.
  for (const size of [16370, 16378, 16379, 16380, 16383, 16384, 16385, 40000]) {
    for (const tail of ['', ' é', ' €', ' 😀', '😀😀']) {
      const pad = 'a'.repeat(size - AWS.length - 1)
      const text = `${pad} ${AWS}${tail}`
      // Compare without printing 16 KiB strings on failure.
      const ok = redactor.redact(text) === `${pad} ${AWS_LABEL}${tail}`
      assert.ok(ok, `size ${size} tail ${JSON.stringify(tail)}`)
      const clean = pad + tail
      assert.ok(redactor.redact(clean) === clean, `clean size ${size}`)
    }
  }
})

test('an unchanged text comes back as the same string, lone surrogates intact', () => {
  const text = 'GET /search?q=\uD800 200'
  assert.equal(redact(text), text)
  // A changed text is re-encoded: a lone surrogate becomes U+FFFD.
  assert.equal(redact(`\uD800 ${AWS}`), `\uFFFD ${AWS_LABEL}`)
})
