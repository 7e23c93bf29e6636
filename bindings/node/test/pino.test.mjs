import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import pino from 'pino'
import { Redactor, InvalidArgumentError } from 'tokenward'
import { createPinoDestination } from 'tokenward/pino'
import { GITHUB, GITHUB_LABEL, AWS, AWS_LABEL, assertClean } from './fixtures.mjs'

/** A Writable that keeps everything written to it. */
function capture({ slow = false } = {}) {
  const chunks = []
  const stream = new Writable({
    highWaterMark: slow ? 1 : 16384,
    write(chunk, _encoding, callback) {
      chunks.push(chunk.toString())
      if (slow) setImmediate(callback)
      else callback()
    },
  })
  stream.text = () => chunks.join('')
  stream.lines = () => stream.text().split('\n').filter(Boolean).map((l) => JSON.parse(l))
  return stream
}

/** Ends the destination and waits until the captured stream has everything. */
async function drain(destination, sink) {
  destination.end()
  await once(sink, 'finish')
}

test('a real pino logger writes redacted JSON lines through the destination', async () => {
  const sink = capture()
  const destination = createPinoDestination(sink)
  const logger = pino({ base: null, timestamp: false }, destination)

  logger.info({ token: GITHUB }, 'deploy with key %s', AWS)
  logger.child({ session: `Bearer-less ${AWS}` }).warn('child bindings too')
  logger.error(new Error(`upstream rejected ${GITHUB}`), 'request failed')
  logger.info('clean line')
  await drain(destination, sink)

  const text = sink.text()
  assertClean(assert, text)
  const [first, second, third, fourth] = sink.lines()
  assert.equal(first.msg, `deploy with key ${AWS_LABEL}`)
  assert.equal(first.token, GITHUB_LABEL)
  assert.equal(first.level, 30)
  assert.equal(second.session, `Bearer-less ${AWS_LABEL}`)
  assert.equal(third.err.message, `upstream rejected ${GITHUB_LABEL}`)
  assert.ok(third.err.stack.includes(GITHUB_LABEL))
  assert.deepEqual(fourth, { level: 30, msg: 'clean line' })
})

test('a custom redactor sets the style', async () => {
  const sink = capture()
  const destination = createPinoDestination(sink, new Redactor({ style: 'prefix' }))
  pino({ base: null, timestamp: false }, destination).info(`t=${GITHUB}`)
  await drain(destination, sink)
  assert.deepEqual(sink.lines(), [{ level: 30, msg: 't=ghp_********' }])
})

test('pino.destination (sonic-boom) to a file as the target', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenward-pino-'))
  try {
    const file = join(dir, 'app.log')
    const boom = pino.destination({ dest: file, sync: true })
    const destination = createPinoDestination(boom)
    const logger = pino({ base: null, timestamp: false }, destination)
    for (let i = 0; i < 100; i++) logger.info({ i, key: AWS }, 'line')
    destination.end()
    await once(destination, 'finish')
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    assert.equal(lines.length, 100)
    lines.forEach((line, i) => assert.deepEqual(line, { level: 30, i, key: AWS_LABEL, msg: 'line' }))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a secret split across two writes is still redacted', async () => {
  const sink = capture()
  const destination = createPinoDestination(sink)
  const line = JSON.stringify({ msg: `t=${GITHUB}` }) + '\n'
  const cut = line.indexOf(GITHUB) + 10
  destination.write(line.slice(0, cut))
  destination.write(line.slice(cut) + '{"msg":"next"}\n{"msg":"tail without newline')
  destination.write(` ${AWS}"}`)
  await drain(destination, sink)
  assert.equal(
    sink.text(),
    `{"msg":"t=${GITHUB_LABEL}"}\n{"msg":"next"}\n{"msg":"tail without newline ${AWS_LABEL}"}`,
  )
})

test('backpressure from a slow destination loses and reorders nothing', async () => {
  const sink = capture({ slow: true })
  const destination = createPinoDestination(sink)
  const logger = pino({ base: null, timestamp: false }, destination)
  for (let i = 0; i < 500; i++) logger.info({ i }, `k=${AWS}`)
  await drain(destination, sink)
  const lines = sink.lines()
  assert.equal(lines.length, 500)
  lines.forEach((line, i) => assert.deepEqual(line, { level: 30, i, msg: `k=${AWS_LABEL}` }))
})

test('bad arguments throw InvalidArgumentError', () => {
  assert.throws(() => createPinoDestination(42), InvalidArgumentError)
  assert.throws(() => createPinoDestination({}), InvalidArgumentError)
  assert.throws(() => createPinoDestination(capture(), { nope: true }), InvalidArgumentError)
})

test('a failing destination fails the stream instead of hanging', async () => {
  const broken = new Writable({
    write(_chunk, _encoding, callback) {
      callback(new Error('disk full'))
    },
  })
  const destination = createPinoDestination(broken)
  destination.write('{"msg":"x"}\n')
  const [err] = await once(destination, 'error')
  assert.equal(err.message, 'disk full')
})
