'use strict'

// The Guard of the `tokenward` package: the native Guard (loaded by the generated ../index.js)
// behind a subclass that checks argument types and option names, and turns native errors into
// the classes of ./errors.js. It changes no behaviour: every decision is the core's.

const { EventEmitter } = require('node:events')
const util = require('node:util')

const native = require('../index.js')
const { InvalidArgumentError, fromNative, typeName, call, callAsync } = require('./errors.js')
const { attachFleet } = require('./fleet.js')

const TIME = new Set(['now', 'issuedAt', 'expiresAt'])
const STRING = new Set([
  'owner',
  'service',
  'environment',
  'tag',
  'ip',
  'country',
  'method',
  'path',
  'subject',
  'device',
  'userAgent',
])

// The option names each call accepts: a misspelt one (`{ ipp: ... }`) must throw, not be
// ignored, or a policy condition would silently see "absent".
const KEYS = {
  guard: ['key'],
  token: ['owner', 'service', 'environment', 'tags', 'policy', 'issuedAt', 'expiresAt', 'expect', 'now'],
  mint: ['owner', 'service', 'environment', 'tags', 'policy', 'expiresAt', 'expect', 'now'],
  check: [
    'ip',
    'country',
    'method',
    'path',
    'subject',
    'device',
    'environment',
    'userAgent',
    'location',
    'now',
  ],
  now: ['now'],
  rotate: ['grace', 'now'],
  selector: ['owner', 'service', 'environment', 'tag', 'now'],
}

function isPlainObject(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function checkString(value, what) {
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(`${what} must be a string, got ${typeName(value)}`)
  }
}

function checkField(name, value, what) {
  if (value === undefined) return
  if (TIME.has(name) && !Number.isSafeInteger(value)) {
    throw new InvalidArgumentError(`${what}.${name} must be an integer (Unix milliseconds)`)
  }
  if (STRING.has(name)) checkString(value, `${what}.${name}`)
  if (name === 'grace' && !(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
    throw new InvalidArgumentError(`${what}.grace must be a non-negative number of seconds`)
  }
  if (name === 'tags' && !(Array.isArray(value) && value.every((t) => typeof t === 'string'))) {
    throw new InvalidArgumentError(`${what}.tags must be an array of strings`)
  }
  if (name === 'expect' && !isPlainObject(value)) {
    throw new InvalidArgumentError(
      `${what}.expect must be an object of countries, networks, devices and endpoints`,
    )
  }
  if (name === 'policy' && typeof value !== 'string' && !isPlainObject(value)) {
    throw new InvalidArgumentError(`${what}.policy must be a policy name or a policy object`)
  }
  if (
    name === 'location' &&
    !(Array.isArray(value) && value.length === 2 && value.every(Number.isFinite))
  ) {
    throw new InvalidArgumentError(`${what}.location must be [latitude, longitude]`)
  }
}

/** Validates an options object of `kind`; returns it with `undefined` fields dropped. */
function checkOptions(options, kind, what = 'options') {
  if (options === undefined || options === null) return undefined
  if (!isPlainObject(options)) {
    throw new InvalidArgumentError(`${what} must be an object, got ${typeName(options)}`)
  }
  const allowed = KEYS[kind]
  const out = {}
  for (const [name, value] of Object.entries(options)) {
    if (!allowed.includes(name)) {
      throw new InvalidArgumentError(
        `unknown option "${name}" in ${what} (expected ${allowed.join(', ')})`,
      )
    }
    checkField(name, value, what)
    if (value !== undefined) out[name] = value
  }
  return out
}

function toBuffer(value) {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
}

/** The `{ key }` of the constructor and `fromFile`, the key as a Buffer. */
function checkGuardOptions(options) {
  if (options === undefined || options === null) {
    throw new InvalidArgumentError('options.key is required: new Guard(config, { key })')
  }
  const checked = checkOptions(options, 'guard')
  if (!(checked.key instanceof Uint8Array)) {
    // The type only: the value is a secret.
    throw new InvalidArgumentError(`options.key must be a Buffer, got ${typeName(checked.key)}`)
  }
  return { key: toBuffer(checked.key) }
}

/** A presented token: a string, or bytes (Buffer / Uint8Array). */
function checkToken(token) {
  if (typeof token === 'string') return token
  if (token instanceof Uint8Array) return toBuffer(token)
  throw new InvalidArgumentError(`token must be a string or a Buffer, got ${typeName(token)}`)
}

function checkDocument(doc, what) {
  if (typeof doc !== 'string' && !isPlainObject(doc)) {
    throw new InvalidArgumentError(
      `${what} must be TOML or JSON text or an object, got ${typeName(doc)}`,
    )
  }
  return doc
}

/**
 * A thread-safe registry of tokens with context policies, lifecycle, usage anomalies and
 * hash-chained audit events. See index.d.ts for each method; this subclass adds argument
 * checks and error classes, and changes no behaviour.
 */
class Guard extends native.Guard {
  constructor(config, options) {
    if (config !== undefined && config !== null) checkDocument(config, 'config')
    const checked = checkGuardOptions(options)
    try {
      super(config ?? null, checked)
    } catch (err) {
      throw fromNative(err)
    }
    EventEmitter.call(this)
  }

  static fromFile(path, options) {
    checkString(path, 'path')
    const checked = checkGuardOptions(options)
    const guard = call(() => native.Guard.fromFile(path, checked))
    // The native factory builds a native.Guard; give it this class's checked methods.
    Object.setPrototypeOf(guard, Guard.prototype)
    EventEmitter.call(guard)
    return guard
  }

  mint(options) {
    const checked = checkOptions(options, 'mint')
    return call(() => super.mint(checked))
  }

  register(token, options) {
    checkString(token, 'token')
    const checked = checkOptions(options, 'token')
    return call(() => super.register(token, checked))
  }

  registerId(id, options) {
    checkString(id, 'id')
    const checked = checkOptions(options, 'token')
    return call(() => super.registerId(id, checked))
  }

  tokenId(token) {
    const checked = checkToken(token)
    return call(() => super.tokenId(checked))
  }

  check(token, options) {
    const checkedToken = checkToken(token)
    const checked = checkOptions(options, 'check')
    return call(() => super.check(checkedToken, checked))
  }

  recordOutcome(token, status, options) {
    const checkedToken = checkToken(token)
    if (!Number.isInteger(status) || status < 0 || status > 65535) {
      throw new InvalidArgumentError('status must be an integer from 0 to 65535')
    }
    const checked = checkOptions(options, 'now')
    return call(() => super.recordOutcome(checkedToken, status, checked))
  }

  revoke(id, options) {
    checkString(id, 'id')
    const checked = checkOptions(options, 'now')
    return call(() => super.revoke(id, checked))
  }

  revokeWhere(selector) {
    if (selector === undefined || selector === null) {
      throw new InvalidArgumentError('revokeWhere needs a selector: { owner, service, environment, tag }')
    }
    const checked = checkOptions(selector, 'selector', 'selector')
    return call(() => super.revokeWhere(checked))
  }

  quarantine(id, options) {
    checkString(id, 'id')
    const checked = checkOptions(options, 'now')
    return call(() => super.quarantine(id, checked))
  }

  release(id, options) {
    checkString(id, 'id')
    const checked = checkOptions(options, 'now')
    return call(() => super.release(id, checked))
  }

  rotate(id, options) {
    checkString(id, 'id')
    const checked = checkOptions(options, 'rotate')
    return call(() => super.rotate(id, checked))
  }

  tokenInfo(id) {
    checkString(id, 'id')
    return call(() => super.tokenInfo(id))
  }

  setPolicy(name, doc, options) {
    checkString(name, 'name')
    checkDocument(doc, 'policy')
    const checked = checkOptions(options, 'now')
    return call(() => super.setPolicy(name, doc, checked))
  }

  /**
   * The queued events, oldest first; the queue is then empty. Each is also emitted to the
   * Guard's listeners: by its kind (`'alert'`, `'quarantined'`, `'revoked'`, ...) with the
   * kind's fields and the whole event, and as `'event'` with the whole event.
   */
  drainEvents() {
    const events = call(() => super.drainEvents())
    if (this.eventNames().length > 0) emitEvents(this, events)
    return events
  }

  recordOutcomeId(id, status, options) {
    checkString(id, 'id')
    if (!Number.isInteger(status) || status < 0 || status > 65535) {
      throw new InvalidArgumentError('status must be an integer from 0 to 65535')
    }
    const checked = checkOptions(options, 'now')
    return call(() => super.recordOutcomeId(id, status, checked))
  }

  /** Attaches this Guard to the fleet sharing the Redis at `url` (see `Fleet`). */
  attachFleet(url, options) {
    return attachFleet(this, super.attachFleet, url, options)
  }

  /** Express middleware checking every request with this Guard (see `tokenward/express`). */
  express(options) {
    return require('./express.js').expressGuard(this, options)
  }

  snapshot() {
    return call(() => super.snapshot())
  }

  snapshotAsync() {
    return callAsync(() => super.snapshotAsync())
  }

  restore(data, options) {
    const bytes = checkBytes(data)
    const checked = checkOptions(options, 'now')
    return call(() => super.restore(bytes, checked))
  }

  restoreAsync(data, options) {
    return callAsync(() => super.restoreAsync(checkBytes(data), checkOptions(options, 'now')))
  }

  replayEvents(events, options) {
    checkEvents(events)
    const checked = checkOptions(options, 'now')
    return call(() => super.replayEvents(events, checked))
  }

  replayEventsAsync(events, options) {
    return callAsync(() => {
      checkEvents(events)
      return super.replayEventsAsync(events, checkOptions(options, 'now'))
    })
  }

  usage(id, options) {
    checkString(id, 'id')
    const checked = checkOptions(options, 'now')
    return call(() => super.usage(id, checked))
  }

  // The key is never shown: only what is public.
  [util.inspect.custom]() {
    return `Guard { tokenPrefix: '${this.tokenPrefix}', size: ${this.size} }`
  }
}

// A Guard is an EventEmitter: the native class (a plain JS class underneath) gets
// EventEmitter.prototype as its parent, so `instanceof EventEmitter` holds and no method is
// copied. No native method shares a name with one of EventEmitter's.
Object.setPrototypeOf(native.Guard.prototype, EventEmitter.prototype)

// Names EventEmitter gives a meaning of its own: no event kind is emitted under them.
const RESERVED = new Set(['error', 'newListener', 'removeListener'])

function emitEvents(guard, events) {
  for (const event of events) {
    const kind = event.kind !== null && typeof event.kind === 'object' ? Object.keys(event.kind)[0] : event.kind
    if (typeof kind === 'string' && !RESERVED.has(kind)) guard.emit(kind, event.kind[kind], event)
    guard.emit('event', event)
  }
}

function checkBytes(data) {
  if (!(data instanceof Uint8Array)) {
    throw new InvalidArgumentError(`data must be a Buffer, got ${typeName(data)}`)
  }
  return toBuffer(data)
}

function checkEvents(events) {
  if (!Array.isArray(events)) {
    throw new InvalidArgumentError(`events must be an array, got ${typeName(events)}`)
  }
}

module.exports = { Guard }
