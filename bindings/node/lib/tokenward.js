'use strict'

// The public entry point of the `tokenward` package: the native Redactor and Guard (loaded by
// the generated ../index.js) behind thin wrappers that check argument types and turn native
// errors into the classes of ./errors.js, plus the logging integrations.

const native = require('../index.js')
const errors = require('./errors.js')
const { Guard } = require('./guard.js')
const { Gate } = require('./gate.js')
const { Fleet } = require('./fleet.js')

const {
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
} = errors

const OPTION_KEYS = new Set(['style', 'config', 'fingerprintKey'])

function checkText(text, what = 'text') {
  if (typeof text !== 'string') {
    throw new InvalidArgumentError(`${what} must be a string, got ${typeName(text)}`)
  }
}

function checkBytes(data) {
  if (!(data instanceof Uint8Array)) {
    throw new InvalidArgumentError(`data must be a Buffer or Uint8Array, got ${typeName(data)}`)
  }
}

/** Validates the options object and returns a copy the native constructor accepts. */
function checkOptions(options) {
  if (options === undefined || options === null) return undefined
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`options must be an object, got ${typeName(options)}`)
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new InvalidArgumentError(
        `unknown option "${key}" (expected style, config or fingerprintKey)`,
      )
    }
  }
  const { style, config, fingerprintKey } = options
  if (style !== undefined && typeof style !== 'string') {
    throw new InvalidArgumentError(`options.style must be a string, got ${typeName(style)}`)
  }
  if (config !== undefined && typeof config !== 'string') {
    throw new InvalidArgumentError(
      `options.config must be TOML or JSON text (a string), got ${typeName(config)}`,
    )
  }
  let key = fingerprintKey
  if (key instanceof Uint8Array && !Buffer.isBuffer(key)) {
    key = Buffer.from(key.buffer, key.byteOffset, key.byteLength)
  } else if (key !== undefined && typeof key !== 'string' && !Buffer.isBuffer(key)) {
    throw new InvalidArgumentError(
      `options.fingerprintKey must be a string or Buffer, got ${typeName(key)}`,
    )
  }
  return { style, config, fingerprintKey: key }
}

/**
 * A compiled, immutable rule set that redacts secrets. See index.d.ts for each method; this
 * subclass adds argument checks and error classes, and changes no behaviour.
 */
class Redactor extends native.Redactor {
  constructor(options) {
    const checked = checkOptions(options)
    try {
      super(checked)
    } catch (err) {
      throw fromNative(err)
    }
  }

  redact(text) {
    checkText(text)
    try {
      return super.redact(text)
    } catch (err) {
      throw fromNative(err)
    }
  }

  redactBuffer(data) {
    checkBytes(data)
    try {
      return super.redactBuffer(data)
    } catch (err) {
      throw fromNative(err)
    }
  }

  redactAsync(text) {
    try {
      checkText(text)
      return super.redactAsync(text).catch((err) => {
        throw fromNative(err)
      })
    } catch (err) {
      return Promise.reject(fromNative(err))
    }
  }

  find(text) {
    checkText(text)
    try {
      return super.find(text)
    } catch (err) {
      throw fromNative(err)
    }
  }

  findBuffer(data) {
    checkBytes(data)
    try {
      return super.findBuffer(data)
    } catch (err) {
      throw fromNative(err)
    }
  }

  rules() {
    try {
      return super.rules()
    } catch (err) {
      throw fromNative(err)
    }
  }
}

/** Redacts `text` with the default redactor (built-in catalogue, label style). */
function redact(text) {
  checkText(text)
  try {
    return native.redact(text)
  } catch (err) {
    throw fromNative(err)
  }
}

let defaultInstance = null

/** The shared default Redactor (built-in catalogue, label style), built on first use. */
function defaultRedactor() {
  if (defaultInstance === null) defaultInstance = new Redactor()
  return defaultInstance
}

module.exports = {
  Redactor,
  redact,
  defaultRedactor,
  Guard,
  Gate,
  Fleet,
  TokenwardError,
  ConfigError,
  RuleError,
  InvalidArgumentError,
  InternalError,
  NotFoundError,
  ConflictError,
  SnapshotError,
  RandomError,
}

// The integrations need the exports above, so they load after them (no cycle at load time).
module.exports.createPinoDestination = require('./pino.js').createPinoDestination
module.exports.redactFormat = require('./winston.js').redactFormat
module.exports.expressGuard = require('./express.js').expressGuard
module.exports.fastifyGuard = require('./fastify.js').fastifyGuard
