'use strict'

// Error classes of tokenward. The native addon throws plain `Error`s with a `code`; the
// wrappers in tokenward.js turn them into these classes so `instanceof` works. Messages never
// contain input text: only the kind of problem and, for configs, where it is.

/** Base class of every error tokenward throws; `code` is stable, the message is for humans. */
class TokenwardError extends Error {
  constructor(message, code = 'TOKENWARD_ERROR', options) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** A configuration document or option value is invalid (`TOKENWARD_CONFIG`). */
class ConfigError extends TokenwardError {
  constructor(message, options) {
    super(message, 'TOKENWARD_CONFIG', options)
  }
}

/** A rule is malformed, unknown or duplicated (`TOKENWARD_RULE`). */
class RuleError extends TokenwardError {
  constructor(message, options) {
    super(message, 'TOKENWARD_RULE', options)
  }
}

/** An argument has the wrong type or an impossible value (`TOKENWARD_INVALID_ARG`). */
class InvalidArgumentError extends TokenwardError {
  constructor(message, options) {
    super(message, 'TOKENWARD_INVALID_ARG', options)
  }
}

/** A bug inside tokenward, caught before it could crash the process (`TOKENWARD_INTERNAL`). */
class InternalError extends TokenwardError {
  constructor(message, options) {
    super(message, 'TOKENWARD_INTERNAL', options)
  }
}

const BY_CODE = {
  TOKENWARD_CONFIG: ConfigError,
  TOKENWARD_RULE: RuleError,
  TOKENWARD_INVALID_ARG: InvalidArgumentError,
  TOKENWARD_INTERNAL: InternalError,
}

// Codes napi-rs itself uses when an argument cannot be converted to the Rust type.
const NAPI_ARGUMENT_CODES = new Set([
  'InvalidArg',
  'ObjectExpected',
  'StringExpected',
  'NameExpected',
  'FunctionExpected',
  'NumberExpected',
  'BooleanExpected',
  'ArrayExpected',
  'BigintExpected',
  'DateExpected',
  'ArrayBufferExpected',
  'DetachableArraybufferExpected',
])

/**
 * Converts an error thrown by the native addon into the matching TokenwardError subclass,
 * keeping the original as `cause`. Errors that already are TokenwardErrors pass through.
 */
function fromNative(err) {
  if (err instanceof TokenwardError) return err
  const code = err && err.code
  const message = err && typeof err.message === 'string' ? err.message : String(err)
  const Class = BY_CODE[code]
  if (Class) return new Class(message, { cause: err })
  if (NAPI_ARGUMENT_CODES.has(code) || err instanceof TypeError) {
    return new InvalidArgumentError(message, { cause: err })
  }
  return new InternalError(message, { cause: err })
}

/** Describes a value's type for messages, never its content (it could be a secret). */
function typeName(value) {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (Buffer.isBuffer(value)) return 'Buffer'
  return typeof value
}

module.exports = {
  TokenwardError,
  ConfigError,
  RuleError,
  InvalidArgumentError,
  InternalError,
  fromNative,
  typeName,
}
