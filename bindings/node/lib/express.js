'use strict'

// Express middleware: every request's token checked by a Guard through the core's Gate, in
// one native call. The middleware only moves the request in and the answer out:
//
// - in: the method, the raw target as received (`req.originalUrl`), `req.rawHeaders` (so two
//   Authorization headers stay two, and are refused), the socket's peer address;
// - out: a denial written as the core wrote it (status, headers, JSON body without the
//   token), or the verdict on `req.tokenward` and the response status fed back by token id
//   when the response is finished.
//
// Which proxies are trusted: `trustedProxies` when given; otherwise the app's `trust proxy`
// setting when it names addresses (see `proxiesFromSetting`); otherwise none.

const { admit, Gate, splitOptions, outcomeRecorder, checkGuard, checkFunction } = require('./gate.js')
const { ConfigError } = require('./errors.js')

// Express's named address ranges (proxy-addr's), as CIDRs.
const PRESETS = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
}

/**
 * The proxies an Express `trust proxy` setting trusts, as CIDRs; `[]` when it trusts none.
 * Only settings that name addresses translate exactly (proxy-addr walks X-Forwarded-For from
 * the right past trusted addresses, as the core does). `true` (trust every hop: the client
 * picks its own address), a hop count and a function cannot be turned into addresses, so
 * they are refused rather than guessed: pass `trustedProxies`.
 */
function proxiesFromSetting(setting) {
  if (setting === undefined || setting === null || setting === false || setting === 0) return []
  const entries = typeof setting === 'string' ? setting.split(',') : setting
  if (Array.isArray(entries) && entries.every((e) => typeof e === 'string')) {
    return entries.map((e) => e.trim()).flatMap((e) => PRESETS[e] ?? [e])
  }
  throw new ConfigError(
    "the app's 'trust proxy' setting is " +
      (setting === true ? 'true' : `a ${typeof setting}`) +
      ', which names no addresses: give the middleware trustedProxies (the CIDRs of your proxies)',
  )
}

/**
 * Express middleware checking each request with `guard`. Options: the Gate's (`header`,
 * `cookie`, `queryParam`, `trustedProxies`, `forwardedHeader`, `countryHeader`,
 * `exemptPaths`, `realm`) and `countryLookup(ip)`.
 */
function expressGuard(guard, options) {
  checkGuard(guard, 'expressGuard')
  const { gate: gateOptions, own } = splitOptions(options, ['countryLookup'])
  const country = checkFunction(own.countryLookup, 'options.countryLookup')
  const recordOutcome = outcomeRecorder(guard)
  const fixed = gateOptions.trustedProxies !== undefined ? new Gate(gateOptions) : null
  // Built now, so that bad options throw here rather than at the first request.
  const untrusting = fixed ?? new Gate({ ...gateOptions, trustedProxies: [] })
  // Without trustedProxies, one Gate per app, from its `trust proxy` setting at its first
  // request (a sub-app inherits the setting unless it sets its own).
  const perApp = new WeakMap()
  const gateFor = (app) => {
    if (fixed !== null) return fixed
    if (!app || typeof app.get !== 'function') return untrusting
    let gate = perApp.get(app)
    if (gate === undefined) {
      const proxies = proxiesFromSetting(app.get('trust proxy'))
      gate = proxies.length === 0 ? untrusting : new Gate({ ...gateOptions, trustedProxies: proxies })
      perApp.set(app, gate)
    }
    return gate
  }

  return function tokenwardGuard(req, res, next) {
    let passage
    try {
      const url = req.originalUrl ?? req.url
      passage = admit(gateFor(req.app), guard, req.method, url, req.rawHeaders, req.socket.remoteAddress, country)
    } catch (err) {
      // Fail closed: the app's error handler answers (500), the route never runs.
      return next(err)
    }
    const verdict = passage.verdict
    req.tokenward = verdict
    if (passage.exempt) return next()
    const denial = passage.denial
    if (denial !== null) {
      // With its length, so Node sends the short body whole rather than chunked.
      const body = Buffer.from(denial.body)
      res.writeHead(denial.status, { ...denial.headers, 'content-length': body.length })
      res.end(body)
      return
    }
    // The outcome is recorded once, on 'close', which a response emits after 'finish' (the
    // status sent) and also when the client went away first, so an abort cannot dodge the
    // error counting. One listener rather than one for each: listeners cost per request.
    res.once('close', () => recordOutcome(verdict.tokenId, closedStatus(res)))
    next()
  }
}

/**
 * A closed response's status: the status sent (a finished response has sent its headers) or
 * set by the app (a 404 on its way), else 499 (client closed request).
 */
function closedStatus(res) {
  return res.headersSent || res.statusCode !== 200 ? res.statusCode : 499
}

module.exports = { expressGuard, proxiesFromSetting }
