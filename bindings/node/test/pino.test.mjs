import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import pino from 'pino'
import { Redactor, InvalidArgumentError } from 'tokenward'
import pinoTransport, { createPinoDestination } from 'tokenward/pino'
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

test('a secret across the cut of an overlong line is still redacted', async () => {
  const sink = capture()
  const destination = createPinoDestination(sink)
  // Over 1 MiB without a newline: one token straddles the place where the line is cut (64 KiB
  // before its end), another is cut by the end of the write itself.
  const OVERLAP = 64 * 1024
  const filler = (n) => 'x '.repeat(Math.ceil(n / 2)).slice(0, n)
  const head = '{"msg":"' + filler(1024 * 1024)
  const middle = filler(OVERLAP - 44)
  destination.write(`${head} t=${GITHUB} ${middle} k=${GITHUB.slice(0, 20)}`)
  destination.write(`${GITHUB.slice(20)} end"}\n`)
  await drain(destination, sink)
  const text = sink.text()
  assertClean(assert, text)
  assert.equal(text, `${head} t=${GITHUB_LABEL} ${middle} k=${GITHUB_LABEL} end"}\n`)
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

// pino's production set-up: pino.transport() runs the target in a worker thread (thread-stream),
// which imports the module and calls its export with the options.

/** Logs the fixture secrets through `transport` and waits until the worker has closed. */
async function logThrough(transport) {
  const logger = pino({ base: null, timestamp: false }, transport)
  logger.info({ token: GITHUB, nested: { key: AWS } }, `cloning with ${GITHUB}`)
  logger.error(new Error(`rejected ${AWS}`), 'sync failed')
  logger.info('plain line')
  const closed = once(transport, 'close')
  transport.end()
  // The worker is unref'd: keep this thread's event loop alive until it has closed.
  const keepAlive = setInterval(() => {}, 50)
  try {
    await closed
  } finally {
    clearInterval(keepAlive)
  }
}

test('pino.transport({ target: "tokenward/pino" }) writes redacted lines to a file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-pino-'))
  try {
    const file = join(dir, 'logs', 'app.log')
    await logThrough(pino.transport({ target: 'tokenward/pino', options: { destination: file, mkdir: true } }))
    const text = readFileSync(file, 'utf8')
    assertClean(assert, text)
    const lines = text.trim().split('\n').map((l) => JSON.parse(l))
    assert.equal(lines.length, 3)
    assert.equal(lines[0].token, GITHUB_LABEL)
    assert.equal(lines[0].nested.key, AWS_LABEL)
    assert.equal(lines[0].msg, `cloning with ${GITHUB_LABEL}`)
    assert.ok(lines[1].err.stack.includes(`rejected ${AWS_LABEL}`))
    assert.equal(lines[2].msg, 'plain line')
    // append (the default) keeps what is there; the Redactor options reach the worker.
    const options = { destination: file, style: 'mask' }
    await logThrough(pino.transport({ target: 'tokenward/pino', options }))
    const again = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    assert.equal(again.length, 6)
    assertClean(assert, JSON.stringify(again))
    assert.ok(!again[3].token.includes('REDACTED') && again[3].token !== GITHUB, again[3].token)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the transport to stdout, in a process that exits without closing the logger', () => {
  const here = fileURLToPath(new URL('.', import.meta.url))
  const script = `
    import pino from 'pino'
    const logger = pino({ base: null }, pino.transport({ target: 'tokenward/pino' }))
    logger.info({ token: '${GITHUB}' }, 'key ${AWS}')
  `
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: here,
    encoding: 'utf8',
    timeout: 30_000,
  })
  assertClean(assert, out)
  const line = JSON.parse(out)
  assert.deepEqual([line.token, line.msg], [GITHUB_LABEL, `key ${AWS_LABEL}`])
})

test('the transport export is the function pino calls; bad options reject', async () => {
  assert.equal(typeof pinoTransport, 'function')
  await assert.rejects(pinoTransport({ destination: {} }), InvalidArgumentError)
  await assert.rejects(pinoTransport({ style: 'rot13' }), /style/)
})
