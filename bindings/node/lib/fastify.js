'use strict'

// Fastify plugin: every request's token checked by a Guard through the core's Gate, in one
// native call from an `onRequest` hook; the response status fed back by token id from
// `onResponse` (only the statuses the Guard reads: no native call for most responses). The
// verdict is on `request.tokenward` (null for exempt paths).
//
//   app.register(fastifyGuard, { guard, trustedProxies: ['10.0.0.0/8'], exemptPaths: ['/health'] })
//
// The plugin reads the raw request (`request.raw`): the target as received (before any
// `rewriteUrl`), `rawHeaders`, and the socket's peer address. Fastify's own `trustProxy`
// option (which drives `request.ip`) is not visible to plugins, so the proxies to believe
// are `trustedProxies`, and none without it.

const { admit, Gate, splitOptions, outcomeRecorder, checkGuard, checkFunction } = require('./gate.js')

function fastifyGuard(fastify, options, done) {
  let gate
  let guard
  let country
  let recordOutcome
  try {
    const { gate: gateOptions, own } = splitOptions(options, ['guard', 'countryLookup'])
    guard = checkGuard(own.guard, 'the tokenward Fastify plugin (options.guard)')
    country = checkFunction(own.countryLookup, 'options.countryLookup')
    gate = new Gate(gateOptions)
    recordOutcome = outcomeRecorder(guard)
  } catch (err) {
    return done(err)
  }

  fastify.decorateRequest('tokenward', null)

  fastify.addHook('onRequest', (request, reply, next) => {
    const raw = request.raw
    let passage
    try {
      const url = request.originalUrl ?? raw.url
      passage = admit(gate, guard, raw.method, url, raw.rawHeaders, raw.socket.remoteAddress, country)
    } catch (err) {
      return next(err)
    }
    request.tokenward = passage.verdict
    if (passage.exempt) return next()
    const denial = passage.denial
    if (denial !== null) {
      // Answered here: the route never runs (and `next` is not called). As bytes, so Fastify
      // sends the core's headers as they are (a string would get a charset appended).
      reply.code(denial.status).headers(denial.headers).send(Buffer.from(denial.body))
      return
    }
    next()
  })

  fastify.addHook('onResponse', (request, reply, next) => {
    const verdict = request.tokenward
    if (verdict !== null && verdict.allowed) recordOutcome(verdict.tokenId, reply.statusCode)
    next()
  })

  done()
}

// What fastify-plugin would set: the hooks apply to the whole app, not an encapsulated child.
fastifyGuard[Symbol.for('skip-override')] = true
fastifyGuard[Symbol.for('fastify.display-name')] = 'tokenward'
fastifyGuard[Symbol.for('plugin-meta')] = { name: 'tokenward', fastify: '4.x || 5.x' }

module.exports = fastifyGuard
module.exports.fastifyGuard = fastifyGuard
module.exports.default = fastifyGuard
