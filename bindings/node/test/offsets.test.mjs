import { test } from 'node:test'
import assert from 'node:assert/strict'

import { Redactor } from 'tokenward'
import { GITHUB, AWS } from './fixtures.mjs'

const redactor = new Redactor()

test('find() offsets are UTF-16 code units: slice() returns the credential', () => {
  // 'é' is 1 UTF-16 unit (2 bytes), '€' 1 unit (3 bytes), '😀' 2 units (4 bytes).
  const line = `é€😀 user=ünïcödé key=${AWS} 日本語 😀😀 token=${GITHUB} ✓`
  const findings = redactor.find(line)
  assert.equal(findings.length, 2)
  assert.deepEqual(
    findings.map((f) => [f.rule, line.slice(f.start, f.end)]),
    [
      ['aws_access_key_id', AWS],
      ['github_classic_token', GITHUB],
    ],
  )
  for (const f of findings) {
    assert.ok(f.start <= f.secretStart && f.secretStart < f.secretEnd && f.secretEnd <= f.end)
    // The secret span lies inside the credential, on the same units.
    assert.ok(line.slice(f.start, f.end).includes(line.slice(f.secretStart, f.secretEnd)))
  }
  // Exact values: the AWS key starts after 'é€😀 user=ünïcödé key=' = 1+1+2+1+5+7+1+4 units.
  assert.equal(findings[0].start, line.indexOf(AWS))
  assert.equal(findings[0].start, 22)
  assert.equal(findings[1].start, line.indexOf(GITHUB))
})

test('findBuffer() offsets are bytes', () => {
  const line = `😀 key=${AWS}`
  const bytes = Buffer.from(line, 'utf8')
  const [finding] = redactor.findBuffer(bytes)
  assert.equal(finding.start, bytes.indexOf(AWS))
  assert.equal(finding.start, 9)
  assert.equal(bytes.subarray(finding.start, finding.end).toString(), AWS)
  // The same text through find() has UTF-16 offsets: 2 units fewer for the emoji.
  assert.equal(redactor.find(line)[0].start, 7)
})

test('a lone surrogate does not shift the offsets', () => {
  // A lone surrogate becomes U+FFFD in the native string: still one UTF-16 unit.
  const line = `\uD800 key=${AWS}`
  const [finding] = redactor.find(line)
  assert.equal(line.slice(finding.start, finding.end), AWS)
})
