import { test } from 'node:test'
import assert from 'node:assert/strict'

import {
  Redactor,
  redact,
  TokenwardError,
  ConfigError,
  RuleError,
  InvalidArgumentError,
  InternalError,
} from 'tokenward'
import { fromNative } from '../lib/errors.js'

/** Asserts that `fn` throws an instance of `Class` with `code`, and returns the error. */
function throwsWith(fn, Class, code) {
  let caught
  assert.throws(fn, (err) => {
    caught = err
    return true
  })
  assert.ok(caught instanceof Class, `expected ${Class.name}, got ${caught?.constructor?.name}`)
  assert.ok(caught instanceof TokenwardError)
  assert.ok(caught instanceof Error)
  assert.equal(caught.code, code)
  assert.equal(caught.name, Class.name)
  return caught
}

test('malformed TOML is a ConfigError with a location', () => {
  const err = throwsWith(() => new Redactor({ config: 'style = 3' }), ConfigError, 'TOKENWARD_CONFIG')
  assert.match(err.message, /line 1/)
  assert.equal(err.cause.code, 'TOKENWARD_CONFIG')
})

test('malformed JSON and unknown config keys are ConfigErrors', () => {
  throwsWith(() => new Redactor({ config: '{"style": ' }), ConfigError, 'TOKENWARD_CONFIG')
  throwsWith(() => new Redactor({ config: 'colour = "blue"' }), ConfigError, 'TOKENWARD_CONFIG')
})

test('the fingerprint style without a key is a ConfigError', () => {
  throwsWith(() => new Redactor({ style: 'fingerprint' }), ConfigError, 'TOKENWARD_CONFIG')
})

test('bad rules are RuleErrors', () => {
  throwsWith(() => new Redactor({ config: 'disable = ["no_such_rule"]' }), RuleError, 'TOKENWARD_RULE')
  const badPattern = `
[[rules]]
id = "broken"
keywords = ["x"]
pattern = "x(unclosed"
`
  const err = throwsWith(() => new Redactor({ config: badPattern }), RuleError, 'TOKENWARD_RULE')
  assert.match(err.message, /broken/)
})

test('an invalid allow pattern is a RuleError that does not quote the pattern', () => {
  const err = throwsWith(
    () => new Redactor({ config: 'allow_patterns = ["(AKIA7QX2M4RB5KQ3YHV6"]' }),
    RuleError,
    'TOKENWARD_RULE',
  )
  assert.match(err.message, /allow_patterns\[0\]: unclosed group/)
  assert.ok(!err.message.includes('AKIA7QX2'), err.message)
})

test('an unknown style is an InvalidArgumentError', () => {
  const err = throwsWith(() => new Redactor({ style: 'rot13' }), InvalidArgumentError, 'TOKENWARD_INVALID_ARG')
  assert.match(err.message, /style/)
})

test('wrong argument types throw InvalidArgumentError, never crash', () => {
  const redactor = new Redactor()
  const cases = [
    () => redactor.redact(42),
    () => redactor.redact(undefined),
    () => redactor.redact(null),
    () => redactor.redact({ toString: () => 'x' }),
    () => redactor.redactBuffer('a string'),
    () => redactor.find(Buffer.from('x')),
    () => redactor.findBuffer('x'),
    () => redact(Symbol('x')),
    () => new Redactor(5),
    () => new Redactor('style=mask'),
    () => new Redactor({ style: 5 }),
    () => new Redactor({ config: { style: 'mask' } }),
    () => new Redactor({ fingerprintKey: 12 }),
    () => new Redactor({ fingerPrintKey: 'typo' }),
  ]
  for (const fn of cases) throwsWith(fn, InvalidArgumentError, 'TOKENWARD_INVALID_ARG')
})

test('config errors never echo a value, a key or a disable id', () => {
  const secret = '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'
  const configs = [
    `style = "${secret}"`,
    `allow = "${secret}"`,
    `${secret} = 1`,
    `disable = ["${secret}"]`,
    JSON.stringify({ allow: secret }),
    JSON.stringify({ rules: [{ id: 'x', pattern: 'x', [secret]: 1 }] }),
  ]
  for (const config of configs) {
    let caught
    try {
      new Redactor({ config })
    } catch (err) {
      caught = err
    }
    assert.ok(caught instanceof TokenwardError, config)
    assert.ok(!caught.message.includes('Ky9Pf34q'), caught.message)
  }
})

test('calling the native layer directly still gives coded errors', async () => {
  const native = await import('tokenward/native')
  const redactor = new native.Redactor()
  assert.throws(() => redactor.redact(42), (err) => typeof err.code === 'string')
  assert.throws(() => new native.Redactor({ config: 'style = 3' }), { code: 'TOKENWARD_CONFIG' })
  // The JS layer maps napi's own conversion codes to InvalidArgumentError.
  let raw
  try {
    redactor.redact(42)
  } catch (err) {
    raw = err
  }
  const mapped = fromNative(raw)
  assert.ok(mapped instanceof InvalidArgumentError)
  assert.equal(mapped.cause, raw)
})

test('fromNative maps every code and keeps TokenwardErrors', () => {
  const make = (code) => Object.assign(new Error('m'), { code })
  assert.ok(fromNative(make('TOKENWARD_CONFIG')) instanceof ConfigError)
  assert.ok(fromNative(make('TOKENWARD_RULE')) instanceof RuleError)
  assert.ok(fromNative(make('TOKENWARD_INVALID_ARG')) instanceof InvalidArgumentError)
  assert.ok(fromNative(make('TOKENWARD_INTERNAL')) instanceof InternalError)
  assert.ok(fromNative(make('GenericFailure')) instanceof InternalError)
  assert.ok(fromNative(new TypeError('Illegal invocation')) instanceof InvalidArgumentError)
  const own = new RuleError('x')
  assert.equal(fromNative(own), own)
})

test('a method called on a foreign receiver is an InvalidArgumentError', () => {
  assert.throws(
    () => Redactor.prototype.redact.call({}, 'x'),
    (err) => err instanceof InvalidArgumentError && err.cause instanceof TypeError,
  )
})
