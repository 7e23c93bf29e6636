'use strict'

// winston integration: a format whose transform() redacts the record. Works inside
// winston.format.combine() (it only needs a `transform` method, so winston and logform are
// not dependencies). Put it last in combine() so it also sees the finished line that
// json()/printf()/simple() store under Symbol.for('message').

const MESSAGE = Symbol.for('message')
const SPLAT = Symbol.for('splat')

// Nested objects deeper than this are left as they are, so a cyclic or hostile record cannot
// make the format recurse without end.
const MAX_DEPTH = 8

/**
 * Creates a winston format that redacts `info.message`, every other string field (nested
 * plain objects and arrays included, copied rather than mutated, since they may belong to the
 * caller), the splat arguments and the finished line at `info[Symbol.for('message')]`.
 *
 * @param {{ redactor?: import('./tokenward').Redactor }} [options]
 */
function redactFormat(options = {}) {
  const { defaultRedactor, InvalidArgumentError } = require('./tokenward.js')
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('options must be an object')
  }
  const redactor = options.redactor === undefined ? defaultRedactor() : options.redactor
  if (redactor === null || typeof redactor.redact !== 'function') {
    throw new InvalidArgumentError('options.redactor must be a tokenward Redactor')
  }
  return {
    options,
    transform(info) {
      return redactRecord(info, redactor)
    },
  }
}

/** Redacts a winston `info` record in place (winston builds a fresh one per log call). */
function redactRecord(info, redactor) {
  if (info === null || typeof info !== 'object') return info
  for (const key of Object.keys(info)) {
    info[key] = redactValue(info[key], redactor, 0)
  }
  if (typeof info[MESSAGE] === 'string') info[MESSAGE] = redactor.redact(info[MESSAGE])
  if (Array.isArray(info[SPLAT])) info[SPLAT] = redactValue(info[SPLAT], redactor, 0)
  return info
}

/** A redacted copy of `value` when it holds a secret; the value itself otherwise. */
function redactValue(value, redactor, depth) {
  if (typeof value === 'string') return redactor.redact(value)
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return value
  if (Array.isArray(value)) {
    let copy = null
    for (let i = 0; i < value.length; i++) {
      const redacted = redactValue(value[i], redactor, depth + 1)
      if (redacted !== value[i]) {
        if (copy === null) copy = value.slice()
        copy[i] = redacted
      }
    }
    return copy === null ? value : copy
  }
  if (!isPlainObject(value)) return value
  let copy = null
  for (const key of Object.keys(value)) {
    const redacted = redactValue(value[key], redactor, depth + 1)
    if (redacted !== value[key]) {
      if (copy === null) copy = { ...value }
      copy[key] = redacted
    }
  }
  return copy === null ? value : copy
}

function isPlainObject(value) {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

module.exports = { redactFormat, redactRecord }
