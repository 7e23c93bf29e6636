// Node benchmark: what the tokenward Express middleware and Fastify plugin add to a request,
// against the same app without them, measured in one run.
//
// Run after building the addon in release mode (bindings/node/test.sh does, or
// `cd bindings/node && npm ci && npx napi build --platform --release`):
//   node benches/node_middleware.mjs [--requests 4000] [--runs 15]
//
// What is measured (all in this one process, sequential requests, no sockets unless said):
// - fastify: `app.inject()` (light-my-request's in-process request/response objects, the
//   whole Fastify pipeline) for an app with and without the plugin;
// - express and fastify over HTTP: a real server on 127.0.0.1 and a keep-alive client in this
//   process, one request at a time (client cost included in both columns, so only the
//   difference is the middleware's). Express cannot be driven by the injector (it replaces
//   the response object's prototype), so HTTP is its only measurement;
// - gate.check: the one native call per request alone.
// Each run times every contender once, in alternating order; the report gives the median
// over runs of the time per request, and the difference with and without (the added cost),
// both as wall-clock time and as this process's CPU time (user + system, from
// process.cpuUsage), which other processes sharing the machine disturb less.
// The guarded apps check an allowed token with an endpoint-scoped policy, usage tracking on,
// a listener on the Guard (so events are drained after each request), and the response
// status fed back: the full work of an allowed request.

import http from 'node:http'
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'

const require = createRequire(new URL('../bindings/node/package.json', import.meta.url))
const express = require('express')
const Fastify = require('fastify')
const { Guard, Gate } = require('tokenward')
const { expressGuard } = require('tokenward/express')
const fastifyGuard = require('tokenward/fastify')

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '4000' },
    runs: { type: 'string', default: '15' },
  },
})
const REQUESTS = Number(args.requests)
const RUNS = Number(args.runs)

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
const URL_PATH = '/v1/orders/42?expand=items'

function expressApp(guarded) {
  const app = express()
  app.set('etag', false)
  if (guarded) app.use(expressGuard(guard, { trustedProxies: ['10.0.0.0/8'] }))
  app.get('/v1/orders/:id', (req, res) => res.json({ id: req.params.id }))
  return app
}

async function fastifyApp(guarded) {
  const app = Fastify()
  if (guarded) await app.register(fastifyGuard, { guard, trustedProxies: ['10.0.0.0/8'] })
  app.get('/v1/orders/:id', async (request) => ({ id: request.params.id }))
  await app.ready()
  return app
}

/** Sends `n` requests one after another through `send`; returns µs per request, wall and CPU. */
async function timed(n, send) {
  const cpu = process.cpuUsage()
  const start = performance.now()
  for (let i = 0; i < n; i++) {
    const res = await send()
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${res.payload ?? ''}`)
  }
  const used = process.cpuUsage(cpu)
  return { wall: ((performance.now() - start) * 1000) / n, cpu: (used.user + used.system) / n }
}

function keepAliveClient(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
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

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const fastifyBare = await fastifyApp(false)
const fastifyGuarded = await fastifyApp(true)
const servers = {
  expressBare: await listen(expressApp(false)),
  expressGuarded: await listen(expressApp(true)),
  fastifyBare: await listenFastify(false),
  fastifyGuarded: await listenFastify(true),
}

const injectOptions = { method: 'GET', url: URL_PATH, headers: HEADERS, remoteAddress: '127.0.0.1' }
const rawHeaders = Object.entries(HEADERS).flat()
const gate = new Gate({ trustedProxies: ['10.0.0.0/8'] })

const contenders = {
  'fastify inject, bare': () => fastifyBare.inject(injectOptions),
  'fastify inject, guarded': () => fastifyGuarded.inject(injectOptions),
  'fastify http, bare': keepAliveClient(servers.fastifyBare.address().port),
  'fastify http, guarded': keepAliveClient(servers.fastifyGuarded.address().port),
  'express http, bare': keepAliveClient(servers.expressBare.address().port),
  'express http, guarded': keepAliveClient(servers.expressGuarded.address().port),
}
const HTTP_SHARE = 4 // HTTP round trips are slower: fewer of them per run

const results = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]))
const gateCalls = []
// Warm-up: JIT, connection set-up, the token's usage state.
for (const send of Object.values(contenders)) await timed(500, send)

for (let run = 0; run < RUNS; run++) {
  const names = Object.keys(contenders)
  if (run % 2) names.reverse()
  for (const name of names) {
    const n = name.includes('http') ? Math.ceil(REQUESTS / HTTP_SHARE) : REQUESTS
    results[name].push(await timed(n, contenders[name]))
  }
  gateCalls.push(
    await timed(REQUESTS, () => {
      const passage = gate.check(guard, 'GET', URL_PATH, rawHeaders, '127.0.0.1')
      return { statusCode: passage.verdict?.allowed === true ? 200 : 403 }
    }),
  )
}

for (const server of Object.values(servers)) {
  server.closeAllConnections()
  server.close()
}

const fmt = (us) => `${us.toFixed(2).padStart(8)} µs`
const row = (label, bare, guarded) => {
  const cells = ['wall', 'cpu'].flatMap((t) => {
    const g = median(guarded.map((r) => r[t]))
    if (bare === null) return ['', fmt(g), '']
    const b = median(bare.map((r) => r[t]))
    return [fmt(b), fmt(g), fmt(g - b)]
  })
  console.log(`${label.padEnd(16)} ${cells.map((c) => c.padStart(11)).join(' ')}`)
}
console.log(`node ${process.version}, ${REQUESTS} requests per run (HTTP: ${Math.ceil(REQUESTS / HTTP_SHARE)}), ${RUNS} runs, medians of µs per request`)
console.log(`${''.padEnd(16)} ${['wall: bare', 'guarded', 'added', 'cpu: bare', 'guarded', 'added'].map((c) => c.padStart(11)).join(' ')}`)
for (const kind of ['fastify inject', 'fastify http', 'express http']) {
  row(kind, results[`${kind}, bare`], results[`${kind}, guarded`])
}
row('gate.check', null, gateCalls)
console.log(`(alerts seen by the listener during the run: ${alerts})`)
