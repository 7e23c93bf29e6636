'use strict'

// The Gate of the `tokenward` package (the core's HTTP front door, loaded by ../index.js)
// and what the Express and Fastify middleware share: option checks, the one native call per
// request, and the events drained after it. No request is judged here: where the token is,
// which forwarded address is believed, what is exempt and what a denial says are the core's.

const native = require('../index.js')
const { InvalidArgumentError, fromNative, typeName } = require('./errors.js')

// The options of `new Gate(options)`, as the core's GateConfig takes them.
const GATE_KEYS = [
  'header',
  'cookie',
  'queryParam',
  'trustedProxies',
  'forwardedHeader',
  'countryHeader',
  'exemptPaths',
  'realm',
]
const LIST_KEYS = new Set(['trustedProxies', 'exemptPaths'])

function isPlainObject(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * Splits `options` into the Gate's options and the middleware's own (`extra`, the names it
 * accepts besides the Gate's). An unknown name throws: a misspelt `trustedProxy` must not
 * silently trust nothing.
 */
function splitOptions(options, extra, what = 'options') {
  if (options === undefined || options === null) return { gate: {}, own: {} }
  if (!isPlainObject(options)) {
    throw new InvalidArgumentError(`${what} must be an object, got ${typeName(options)}`)
  }
  const gate = {}
  const own = {}
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue
    if (GATE_KEYS.includes(name)) {
      checkGateField(name, value, what)
      gate[name] = value
    } else if (extra.includes(name)) {
      own[name] = value
    } else {
      const known = [...GATE_KEYS, ...extra].join(', ')
      throw new InvalidArgumentError(`unknown option "${name}" in ${what} (expected ${known})`)
    }
  }
  return { gate, own }
}

function checkGateField(name, value, what) {
  const ok = LIST_KEYS.has(name)
    ? Array.isArray(value) && value.every((v) => typeof v === 'string')
    : typeof value === 'string'
  if (!ok) {
    const expected = LIST_KEYS.has(name) ? 'an array of strings' : 'a string'
    throw new InvalidArgumentError(`${what}.${name} must be ${expected}, got ${typeName(value)}`)
  }
}

/**
 * The front door of an HTTP app: reads each request's token, client address and country the
 * one way every tokenward middleware does, checks it with a Guard, and says what to answer.
 * See index.d.ts; this subclass adds option checks and error classes.
 */
class Gate extends native.Gate {
  #names

  constructor(options) {
    const { gate } = splitOptions(options, [])
    try {
      super(gate)
    } catch (err) {
      throw fromNative(err)
    }
    this.#names = new Set(this.headerNames)
  }

  check(guard, method, url, rawHeaders, peer, now, country) {
    const headers = this.#pick(rawHeaders)
    if (typeof country !== 'function') return expand(this.#native(guard, method, url, headers, peer, now))
    // The host's lookup runs inside the native call, between admission and check: an
    // exception it throws (or a wrong return type) is kept here, and the lookup throws so the
    // native call ends before the check (nothing is counted); the kept error is then rethrown
    // as itself rather than as a wrapped native error.
    let failure = null
    const lookup = (ip) => {
      try {
        const code = country(ip)
        if (code === undefined || code === null || typeof code === 'string') return code ?? undefined
        failure = new InvalidArgumentError(
          `countryLookup(ip) must return a string or undefined, got ${typeName(code)}`,
        )
      } catch (err) {
        failure = { thrown: err }
      }
      throw new Error('countryLookup failed')
    }
    let passage
    try {
      passage = this.#native(guard, method, url, headers, peer, now, lookup)
    } catch (err) {
      if (failure !== null) throw failure.thrown ?? failure
      throw err
    }
    return expand(passage)
  }

  /**
   * The `[name, value]` pairs of `rawHeaders` whose names the core reads (`headerNames`):
   * comparing names here costs less than copying each across to the addon. Header names are
   * ASCII tokens, for which toLowerCase is the ASCII lower case the core compares with.
   */
  #pick(rawHeaders) {
    if (!Array.isArray(rawHeaders) || rawHeaders.length % 2 !== 0) {
      throw new InvalidArgumentError('rawHeaders must be a flat array of strings [name, value, ...]')
    }
    const picked = []
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]
      if (typeof name !== 'string') {
        throw new InvalidArgumentError('rawHeaders must be a flat array of strings [name, value, ...]')
      }
      if (this.#names.has(name.toLowerCase())) picked.push(name, rawHeaders[i + 1])
    }
    return picked
  }

  #native(guard, method, url, rawHeaders, peer, now, lookup) {
    try {
      return super.check(guard, method, url, rawHeaders, peer ?? null, now ?? null, lookup)
    } catch (err) {
      throw fromNative(err)
    }
  }
}

/** The native call's answer as a passage: a string is the id of an allowed token. */
function expand(result) {
  if (typeof result !== 'string') return result
  return {
    exempt: false,
    verdict: { allowed: true, reasons: [], tokenId: result, alerts: [], actions: [] },
  }
}

/**
 * Feeds the Guard's queued events to its listeners (`guard.on(...)`), when it has any: with
 * none, the queue is left for the host's own `drainEvents()`. An empty queue is not drained
 * (most requests raise no event, and reading the count costs less than an empty drain).
 */
function deliverEvents(guard) {
  if (guard.eventNames().length > 0 && guard.pendingEvents > 0) guard.drainEvents()
}

/** The Guard a middleware was given, checked. */
function checkGuard(guard, what) {
  const { Guard } = require('./guard.js')
  if (!(guard instanceof Guard)) {
    throw new InvalidArgumentError(`${what} needs a tokenward Guard, got ${typeName(guard)}`)
  }
  return guard
}

function checkFunction(value, what) {
  if (value !== undefined && typeof value !== 'function') {
    throw new InvalidArgumentError(`${what} must be a function, got ${typeName(value)}`)
  }
  return value
}

/**
 * One request through the Gate, as the Express and Fastify middlewares both take it: the
 * verdict (null when exempt), the denial to send (null when admitted) and whether the path is
 * exempt. The Guard's events are delivered at once when the request raised some (a denial, an
 * alert, a quarantine); otherwise the middleware delivers them when the response is finished.
 */
function admit(gate, guard, method, url, rawHeaders, peer, country) {
  const passage = gate.check(guard, method, url, rawHeaders, peer, null, country)
  const verdict = passage.verdict ?? null
  const denial = passage.denial ?? null
  const exempt = Boolean(passage.exempt)
  if (!exempt && (denial !== null || verdict.alerts.length > 0)) deliverEvents(guard)
  return { verdict, denial, exempt }
}

/**
 * What a middleware calls as a response finishes, `(tokenId, status)`: feeds the status back to
 * `guard` by token id when the Guard reads it (`guard.outcomeStatuses`, asked once), and
 * delivers the events it raised. Most responses (a 200) change nothing there and cost no
 * native call: one made as a response closes finds the CPU caches cold (the HTTP stack ran in
 * between) and costs several times what it costs in a loop. Recorded at once rather than
 * batched: the core files an error under the path of the token's last request, which for a
 * client sending one request at a time is the request this response answers. After any other
 * response, events queued while it ran (a route revoking a token, a fleet peer's revocation)
 * are delivered on the event loop's next turn, once for all the responses of this one.
 */
function outcomeRecorder(guard) {
  const statuses = new Set(guard.outcomeStatuses)
  let deliveryDue = false
  const deliverDue = () => {
    deliveryDue = false
    guarded(() => deliverEvents(guard))
  }
  return (tokenId, status) =>
    guarded(() => {
      if (statuses.has(status)) {
        guard.recordOutcomeId(tokenId, status)
        deliverEvents(guard)
      } else if (!deliveryDue && guard.eventNames().length > 0) {
        deliveryDue = true
        setImmediate(deliverDue)
      }
    })
}

/**
 * Runs `work`; an error (an event listener's, or the Guard's) must not escape from a response
 * event and crash the process: say that it happened, without its message (it may hold
 * anything), naming its class when that can be read.
 */
function guarded(work) {
  try {
    work()
  } catch (err) {
    process.emitWarning(`recording a response's outcome failed (${errorName(err)})`, 'TokenwardWarning')
  }
}

function errorName(err) {
  try {
    return typeof err?.name === 'string' ? err.name : typeof err
  } catch {
    return 'unreadable error'
  }
}

module.exports = { Gate, admit, splitOptions, deliverEvents, outcomeRecorder, checkGuard, checkFunction }
