import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { once } from 'node:events'

import winston from 'winston'
import { Redactor, InvalidArgumentError } from 'tokenward'
import { redactFormat } from 'tokenward/winston'
import { GITHUB, GITHUB_LABEL, AWS, AWS_LABEL, assertClean } from './fixtures.mjs'

const MESSAGE = Symbol.for('message')

/** A real winston logger writing JSON lines into a captured stream. */
function makeLogger(format) {
  const chunks = []
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(chunk.toString())
      callback()
    },
  })
  const logger = winston.createLogger({
    level: 'info',
    format,
    transports: [new winston.transports.Stream({ stream })],
  })
  const output = async () => {
    logger.end()
    await once(logger, 'finish')
    await new Promise((resolve) => setImmediate(resolve))
    return chunks.join('')
  }
  return { logger, output }
}

test('a real winston logger with combine(splat, json, redactFormat) writes redacted lines', async () => {
  const { format } = winston
  const { logger, output } = makeLogger(format.combine(format.splat(), format.json(), redactFormat()))
  const meta = { auth: { token: GITHUB, user: 'alice' }, list: ['ok', `k=${AWS}`] }

  logger.info('deploy with key %s', AWS)
  logger.warn('request failed', meta)
  logger.info('clean line', { n: 1 })

  const text = await output()
  assertClean(assert, text)
  const [first, second, third] = text.trim().split('\n').map((l) => JSON.parse(l))
  assert.deepEqual(first, { level: 'info', message: `deploy with key ${AWS_LABEL}` })
  assert.deepEqual(second, {
    level: 'warn',
    message: 'request failed',
    auth: { token: GITHUB_LABEL, user: 'alice' },
    list: ['ok', `k=${AWS_LABEL}`],
  })
  assert.deepEqual(third, { level: 'info', message: 'clean line', n: 1 })
  // The caller's own objects were copied, not mutated.
  assert.equal(meta.auth.token, GITHUB)
  assert.equal(meta.list[1], `k=${AWS}`)
})

test('redactFormat() first in the chain redacts fields before printf renders them', async () => {
  const { format } = winston
  const { logger, output } = makeLogger(
    format.combine(
      redactFormat({ redactor: new Redactor({ style: 'prefix' }) }),
      format.printf((info) => `${info.level}: ${info.message} token=${info.token}`),
    ),
  )
  logger.info(`using ${GITHUB}`, { token: GITHUB })
  assert.equal(await output(), 'info: using ghp_******** token=ghp_********\n')
})

test('the finished line under Symbol.for("message") is redacted', () => {
  const info = { level: 'info', message: 'x', [MESSAGE]: `{"level":"info","secret":"${AWS}"}` }
  const out = redactFormat().transform(info)
  assert.equal(out, info)
  assert.equal(out[MESSAGE], `{"level":"info","secret":"${AWS_LABEL}"}`)
})

test('cyclic and deep records, and non-plain objects, are handled', () => {
  const cyclic = { token: GITHUB }
  cyclic.self = cyclic
  const date = new Date(0)
  const info = { level: 'info', message: 'm', cyclic, date }
  const out = redactFormat().transform(info)
  assert.equal(out.cyclic.token, GITHUB_LABEL)
  assert.equal(out.date, date)
  let deep = { token: GITHUB }
  for (let i = 0; i < 20; i++) deep = { deep }
  assert.doesNotThrow(() => redactFormat().transform({ level: 'info', message: 'm', deep }))
})

test('bad options throw InvalidArgumentError', () => {
  assert.throws(() => redactFormat(null), InvalidArgumentError)
  assert.throws(() => redactFormat({ redactor: {} }), InvalidArgumentError)
})
