// Node benchmark: what the tokenward Express middleware and Fastify plugin add to a request,
// against the same app without them, measured in one run.
//
// Run after building the addon in release mode (bindings/node/test.sh does, or
// `cd bindings/node && npm ci && npx napi build --platform --release`):
//   node benches/node_middleware.mjs [--requests 200] [--runs 101] [--only express]
//
// What is measured, all in this one process, one request at a time:
// - fastify inject: `app.inject()` (light-my-request's in-process request and response, the
//   whole Fastify pipeline), for the app with and without the plugin;
// - express in-process: the Express app called with Node's own IncomingMessage and
//   ServerResponse over a socket that discards what is written (light-my-request cannot drive
//   Express: Express replaces the response's prototype), with and without the middleware;
// - express http / fastify http: real servers on 127.0.0.1 and a keep-alive client in this
//   process (client cost in both columns, so only the difference is the middleware's);
// - the middleware alone: the Express middleware function called on a prepared request,
//   with the response's 'finish' (which records the outcome); and gate.check alone, the one
//   native call per request.
// Each run sends a batch to each app of a pair, in alternating order. The report gives, per
// pair, the median over runs of the time per request without and with, and the median of
// the per-run differences (paired, so drift on a shared machine cancels). Times are
// wall-clock and this process's CPU time (user + system from process.cpuUsage), which other
// processes on the machine disturb less. The guarded apps check an allowed token with an
// endpoint-scoped policy, usage tracking on, a listener on the Guard (so events are drained
// after each request) and the response status fed back: the whole work of an allowed request.

import http from 'node:http'
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { Duplex } from 'node:stream'
import { parseArgs } from 'node:util'

const require = createRequire(new URL('../bindings/node/package.json', import.meta.url))
const express = require('express')
const Fastify = require('fastify')
const { Guard, Gate } = require('tokenward')
const { expressGuard } = require('tokenward/express')
const fastifyGuard = require('tokenward/fastify')

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '200' },
    runs: { type: 'string', default: '101' },
    only: { type: 'string', default: '' },
  },
})
const REQUESTS = Number(args.requests)
const RUNS = Number(args.runs)
const HTTP_SHARE = 4 // HTTP round trips are slower: fewer of them per batch

const guard = new Guard(
  {
    policies: { api: { endpoints: ['GET /v1/orders/*'], allow_ips: ['127.0.0.0/8'] } },
    usage: {},
  },
  { key: Buffer.from('benchmark key') },
)
const { token } = guard.mint({ owner: 'bench', policy: 'api' })
let alerts = 0
guard.on('alert', () => alerts++)

// What a browser or an HTTP client library typically sends.
const HEADERS = {
  host: 'api.example.com',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  accept: 'application/json',
  'accept-encoding': 'gzip, deflate, br',
  'accept-language': 'en-GB,en;q=0.9',
  authorization: `Bearer ${token}`,
  'x-request-id': '6f1c2a9e-3b8d-4c52-9a47-0e6d5f2b1c88',
  'sec-fetch-mode': 'cors',
}
const RAW_HEADERS = Object.entries(HEADERS).flat()
const URL_PATH = '/v1/orders/42?expand=items'
const OPTIONS = { trustedProxies: ['10.0.0.0/8'] }

function expressApp(guarded, middleware = expressGuard(guard, OPTIONS)) {
  const app = express()
  app.set('etag', false)
  if (guarded) app.use(middleware)
  app.get('/v1/orders/:id', (req, res) => res.json({ id: req.params.id }))
  return app
}

async function fastifyApp(guarded) {
  const app = Fastify()
  if (guarded) await app.register(fastifyGuard, { guard, ...OPTIONS })
  app.get('/v1/orders/:id', async (request) => ({ id: request.params.id }))
  await app.ready()
  return app
}

/** A socket that accepts and drops whatever the response writes. */
class NullSocket extends Duplex {
  constructor() {
    super()
    this.remoteAddress = '127.0.0.1'
  }
  _read() {}
  _write(chunk, encoding, callback) {
    callback()
  }
}

/** A request as Node's HTTP server would hand it over (headers already parsed). */
function nodeRequest(socket) {
  const req = new http.IncomingMessage(socket)
  req.method = 'GET'
  req.url = URL_PATH
  req.headers = { ...HEADERS }
  req.rawHeaders = RAW_HEADERS.slice()
  req.push(null)
  return req
}

/** Calls `handler(req, res)` with Node's own request and response objects, in process. */
function inProcess(handler) {
  return () =>
    new Promise((resolve) => {
      const socket = new NullSocket()
      const req = nodeRequest(socket)
      const res = new http.ServerResponse(req)
      res.assignSocket(socket)
      res.on('finish', () => resolve(res))
      handler(req, res)
    })
}

function keepAliveClient(server) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const port = server.address().port
  return () =>
    new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: URL_PATH, headers: HEADERS, agent }, (res) => {
        res.resume()
        res.on('end', () => resolve(res))
      })
      req.on('error', reject)
    })
}

function listen(app) {
  return new Promise((resolve) => {
    const server = http.createServer(app).listen(0, '127.0.0.1', () => resolve(server))
  })
}

async function listenFastify(guarded) {
  const app = await fastifyApp(guarded)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app.server
}

/** Sends `n` requests one after another; returns µs per request, wall and CPU. */
async function timed(n, send) {
  const cpu = process.cpuUsage()
  const start = performance.now()
  for (let i = 0; i < n; i++) {
    const res = await send()
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`)
  }
  const used = process.cpuUsage(cpu)
  return { wall: ((performance.now() - start) * 1000) / n, cpu: (used.user + used.system) / n }
}

/**
 * The Express middleware alone: a prepared request, the middleware (or, bare, a direct call
 * of `next`), then the response's 'finish', on which the middleware records the outcome.
 */
function middlewareAlone(guarded) {
  const middleware = guarded ? expressGuard(guard, OPTIONS) : (req, res, next) => next()
  const socket = new NullSocket()
  const res = new http.ServerResponse(nodeRequest(socket))
  res.statusCode = 200
  let passed = false
  const next = (err) => {
    if (err) throw err
    passed = true
  }
  return () => {
    passed = false
    middleware(nodeRequest(socket), res, next)
    res.emit('finish')
    return { statusCode: passed ? 200 : 403 }
  }
}

function gateAlone() {
  const gate = new Gate(OPTIONS)
  return () => {
    const passage = gate.check(guard, 'GET', URL_PATH, RAW_HEADERS, '127.0.0.1')
    return { statusCode: passage.verdict?.allowed === true ? 200 : 403 }
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const servers = [
  await listen(expressApp(false)),
  await listen(expressApp(true)),
  await listenFastify(false),
  await listenFastify(true),
]
const fastifyBare = await fastifyApp(false)
const fastifyGuarded = await fastifyApp(true)
const injectOptions = { method: 'GET', url: URL_PATH, headers: HEADERS, remoteAddress: '127.0.0.1' }

// [label, bare, guarded, requests per batch]; a pair without `bare` is measured alone.
const pairs = [
  ['fastify inject', () => fastifyBare.inject(injectOptions), () => fastifyGuarded.inject(injectOptions), REQUESTS],
  ['express in-process', inProcess(expressApp(false)), inProcess(expressApp(true)), REQUESTS],
  // Calibration: what a middleware that does nothing adds.
  ['express, no-op mw', inProcess(expressApp(false)), inProcess(expressApp(true, (req, res, next) => next())), REQUESTS],
  ['fastify http', keepAliveClient(servers[2]), keepAliveClient(servers[3]), REQUESTS / HTTP_SHARE],
  ['express http', keepAliveClient(servers[0]), keepAliveClient(servers[1]), REQUESTS / HTTP_SHARE],
  ['express middleware', middlewareAlone(false), middlewareAlone(true), REQUESTS],
  ['gate.check alone', null, gateAlone(), REQUESTS],
]
if (args.only) pairs.splice(0, pairs.length, ...pairs.filter(([label]) => label.includes(args.only)))
const results = pairs.map(() => ({ bare: [], guarded: [] }))

// Warm-up: JIT, connections, the token's usage state.
for (const [, bare, guarded] of pairs) {
  if (bare) await timed(300, bare)
  await timed(300, guarded)
}
for (let run = 0; run < RUNS; run++) {
  for (const [i, [, bare, guarded, n]] of pairs.entries()) {
    const order = run % 2 ? ['guarded', 'bare'] : ['bare', 'guarded']
    for (const which of order) {
      const send = which === 'bare' ? bare : guarded
      if (send) results[i][which].push(await timed(Math.ceil(n), send))
    }
  }
}
for (const server of servers) {
  server.closeAllConnections()
  server.close()
}

const fmt = (us) => `${us.toFixed(2)} µs`.padStart(11)
const pick = (rows, t) => rows.map((r) => r[t])
console.log(
  `node ${process.version}; ${REQUESTS} requests per batch (HTTP ${REQUESTS / HTTP_SHARE}), ${RUNS} runs; medians of µs per request`,
)
console.log(['', 'wall bare', 'guarded', 'added', 'cpu bare', 'guarded', 'added'].map((c, i) => (i ? c.padStart(11) : c.padEnd(20))).join(' '))
for (const [i, [label]] of pairs.entries()) {
  const { bare, guarded } = results[i]
  const cells = ['wall', 'cpu'].flatMap((t) => {
    const g = pick(guarded, t)
    if (bare.length === 0) return ['', fmt(median(g)), fmt(median(g))]
    const b = pick(bare, t)
    return [fmt(median(b)), fmt(median(g)), fmt(median(g.map((x, k) => x - b[k])))]
  })
  console.log([label.padEnd(20), ...cells.map((c) => c.padStart(11))].join(' '))
}
console.log(`(alerts seen by the listener during the run: ${alerts})`)
