'use strict'

// The Fleet that `guard.attachFleet(url, options)` returns: the native Fleet (a Guard attached
// to a fleet of instances sharing one Redis) behind a subclass that checks argument types and
// turns native errors into the classes of ./errors.js. `flush()` and `detach()` run on the
// libuv pool and return promises.

const util = require('node:util')

const native = require('../index.js')
const { InvalidArgumentError, typeName, call, callAsync } = require('./errors.js')

const DURATIONS = [
  'poll',
  'block',
  'deltaInterval',
  'snapshotInterval',
  'retain',
  'usageRetain',
  'connectTimeout',
]
const COUNTS = ['outboxCapacity', 'snapshotMinEntries']
const STRINGS = ['prefix', 'tlsCaFile']
const SELECTOR = ['owner', 'service', 'environment', 'tag', 'now']

function isPlainObject(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function checkSeconds(value, what) {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
    throw new InvalidArgumentError(`${what} must be a non-negative number of seconds`)
  }
}

/** The options of `attachFleet`, checked; unknown names throw. */
function checkFleetOptions(options) {
  if (options === undefined || options === null) return undefined
  if (!isPlainObject(options)) {
    throw new InvalidArgumentError(`options must be an object, got ${typeName(options)}`)
  }
  const out = {}
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue
    if (STRINGS.includes(name)) {
      if (typeof value !== 'string') {
        throw new InvalidArgumentError(`options.${name} must be a string, got ${typeName(value)}`)
      }
    } else if (DURATIONS.includes(name)) {
      checkSeconds(value, `options.${name}`)
    } else if (COUNTS.includes(name)) {
      if (!(Number.isInteger(value) && value >= 0 && value <= 0xffffffff)) {
        throw new InvalidArgumentError(`options.${name} must be an integer from 0 to 4294967295`)
      }
    } else {
      const allowed = [...STRINGS, ...DURATIONS, ...COUNTS].join(', ')
      throw new InvalidArgumentError(`unknown option "${name}" in options (expected ${allowed})`)
    }
    out[name] = value
  }
  return out
}

/** Attaches `guard` (a native Guard) to the fleet at `url`: what `Guard#attachFleet` does. */
function attachFleet(guard, attach, url, options) {
  if (typeof url !== 'string') {
    throw new InvalidArgumentError(`url must be a string, got ${typeName(url)}`)
  }
  const checked = checkFleetOptions(options)
  const fleet = call(() => attach.call(guard, url, checked))
  // The native method builds a native.Fleet; give it this class's checked methods.
  Object.setPrototypeOf(fleet, Fleet.prototype)
  return fleet
}

/**
 * A Guard attached to a fleet (see index.d.ts for each method); this subclass adds argument
 * checks and error classes, and changes no behaviour. Built by `guard.attachFleet()` only.
 */
class Fleet extends native.Fleet {
  health() {
    return call(() => super.health())
  }

  drainEvents() {
    return call(() => super.drainEvents())
  }

  flush(timeout) {
    return callAsync(() => {
      if (timeout !== undefined) checkSeconds(timeout, 'timeout')
      return super.flush(timeout)
    })
  }

  revokeWhere(selector) {
    if (!isPlainObject(selector)) {
      throw new InvalidArgumentError('revokeWhere needs a selector: { owner, service, environment, tag }')
    }
    for (const [name, value] of Object.entries(selector)) {
      if (!SELECTOR.includes(name)) {
        throw new InvalidArgumentError(
          `unknown option "${name}" in selector (expected ${SELECTOR.join(', ')})`,
        )
      }
      const ok = name === 'now' ? Number.isSafeInteger(value) : typeof value === 'string'
      if (value !== undefined && !ok) {
        throw new InvalidArgumentError(`selector.${name} has the wrong type: ${typeName(value)}`)
      }
    }
    return call(() => super.revokeWhere(selector))
  }

  detach() {
    return callAsync(() => super.detach())
  }

  // The URL (and any password in it) is never shown.
  [util.inspect.custom]() {
    return this.attached ? `Fleet { connected: ${this.health().connected} }` : 'Fleet { detached }'
  }
}

module.exports = { Fleet, attachFleet }
