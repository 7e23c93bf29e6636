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

/** A token or policy the call names does not exist (`TOKENWARD_NOT_FOUND`). */
class NotFoundError extends TokenwardError {
  constructor(message, options) {
    super(message, 'TOKENWARD_NOT_FOUND', options)
  }
}

/** The call conflicts with the current state (a token registered twice, a revoked token released) (`TOKENWARD_CONFLICT`). */
class ConflictError extends TokenwardError {
  constructor(message, options) {
    super(message, 'TOKENWARD_CONFLICT', options)
  }
}

/** A snapshot or event chain is corrupt, tampered with, or from another key or version (`TOKENWARD_SNAPSHOT`). */
class SnapshotError extends TokenwardError {
  constructor(message, options) {
    super(message, 'TOKENWARD_SNAPSHOT', options)
  }
}

/** The operating system's random source failed (`TOKENWARD_RANDOM`). */
class RandomError extends TokenwardError {
  constructor(message, options) {
    super(message, 'TOKENWARD_RANDOM', options)
  }
}

const BY_CODE = {
  TOKENWARD_CONFIG: ConfigError,
  TOKENWARD_RULE: RuleError,
  TOKENWARD_INVALID_ARG: InvalidArgumentError,
  TOKENWARD_INTERNAL: InternalError,
  TOKENWARD_NOT_FOUND: NotFoundError,
  TOKENWARD_CONFLICT: ConflictError,
  TOKENWARD_SNAPSHOT: SnapshotError,
  TOKENWARD_RANDOM: RandomError,
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

/** Runs a native call, throwing its error as the matching TokenwardError subclass. */
function call(fn) {
  try {
    return fn()
  } catch (err) {
    throw fromNative(err)
  }
}

/** Runs a native call that returns a promise; any error (thrown or rejected) is converted. */
function callAsync(fn) {
  try {
    return fn().catch((err) => {
      throw fromNative(err)
    })
  } catch (err) {
    return Promise.reject(fromNative(err))
  }
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
  NotFoundError,
  ConflictError,
  SnapshotError,
  RandomError,
  fromNative,
  typeName,
  call,
  callAsync,
}
