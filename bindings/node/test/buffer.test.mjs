import { test } from 'node:test'
import assert from 'node:assert/strict'

import { Redactor } from 'tokenward'
import { GITHUB, GITHUB_LABEL, AWS, AWS_LABEL } from './fixtures.mjs'

const redactor = new Redactor()

test('redactBuffer() redacts UTF-8 bytes', () => {
  const out = redactor.redactBuffer(Buffer.from(`k=${AWS}\n`))
  assert.ok(Buffer.isBuffer(out))
  assert.equal(out.toString(), `k=${AWS_LABEL}\n`)
})

test('invalid UTF-8 passes through byte for byte around a redacted secret', () => {
  const input = Buffer.concat([
    Buffer.from([0xff, 0xfe, 0xc3]), // invalid: stray bytes and a truncated sequence
    Buffer.from(` token=${GITHUB} `),
    Buffer.from([0x80, 0xe2, 0x82]), // a lone continuation byte, a truncated '€'
  ])
  const out = redactor.redactBuffer(input)
  const expected = Buffer.concat([
    Buffer.from([0xff, 0xfe, 0xc3]),
    Buffer.from(` token=${GITHUB_LABEL} `),
    Buffer.from([0x80, 0xe2, 0x82]),
  ])
  assert.deepEqual(out, expected)
})

test('a clean buffer comes back equal, as a new Buffer', () => {
  const input = Buffer.from([0x00, 0xff, 0x41, 0x42])
  const out = redactor.redactBuffer(input)
  assert.deepEqual(out, input)
  out[2] = 0x5a
  assert.equal(input[2], 0x41, 'the result does not alias the input')
})

test('a Uint8Array and an empty buffer are accepted', () => {
  const bytes = new TextEncoder().encode(`k=${AWS}`)
  assert.equal(redactor.redactBuffer(bytes).toString(), `k=${AWS_LABEL}`)
  assert.equal(redactor.redactBuffer(Buffer.alloc(0)).length, 0)
})

test('a Buffer view at an offset redacts only its own bytes', () => {
  const backing = Buffer.from(`prefix ${AWS} suffix`)
  const view = backing.subarray(7, 7 + AWS.length)
  assert.equal(redactor.redactBuffer(view).toString(), AWS_LABEL)
})
