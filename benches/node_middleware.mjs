// Node benchmark: what the tokenward Express middleware and Fastify plugin add to a request,
// against the same app without them, measured in one run.
//
// Run after building the addon in release mode (bindings/node/test.sh does, or
// `cd bindings/node && npm ci && npx napi build --platform --release`):
//   node benches/node_middleware.mjs [--rounds 101] [--requests 400] [--concurrency 8]
//                                    [--only express] [--micro-runs 31]
//
// Headline figure: the server's CPU time per request. The apps run in a child process (this
// file with --serve); this process is the client. Per app, six variants listen on 127.0.0.1:
// bare, with a no-op middleware of the same shape (Express: one middleware calling `next`;
// Fastify: an onRequest and an onResponse hook calling `next`), and guarded. Each round
// sends `requests` GETs to every variant, in an order rotated each round, over `concurrency`
// keep-alive connections, and reads the child's own CPU time (process.cpuUsage, user +
// system) before and after each batch: CPU time of the server alone, which the client
// sharing the machine's cores disturbs far less than it disturbs latency. Per round it takes
// the differences guarded - bare, no-op - bare (the floor: what any middleware costs) and
// guarded - no-op, and reports their medians over rounds with the interquartile range. Wall
// time per request (client's view) is reported alongside, for reference: it is noisier.
//
// The guarded apps check an allowed token with an endpoint-scoped policy, usage tracking on,
// a listener on the Guard (so events are drained after each request) and the response status
// fed back: the whole work of an allowed request.
//
// Then, in this process, micro figures: the Express middleware alone (a prepared request, the
// middleware, the response's 'finish' and 'close') against a middleware calling `next`, Gate.check
// alone (the one native call per request), and the check with its outcome record, timed call by
// call, right after another (warm CPU caches) and right after reading 32 MB (cold): in a server
// the second is closer to what a request pays.

import { fork } from 'node:child_process'
import http from 'node:http'
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { Duplex } from 'node:stream'
import { parseArgs } from 'node:util'

const require = createRequire(new URL('../bindings/node/package.json', import.meta.url))
const { Guard, Gate } = require('tokenward')
const { expressGuard } = require('tokenward/express')

const { values: args } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '101' },
    requests: { type: 'string', default: '400' },
    concurrency: { type: 'string', default: '8' },
    only: { type: 'string', default: '' },
    'micro-runs': { type: 'string', default: '31' },
  },
})

const URL_PATH = '/v1/orders/42?expand=items'
const OPTIONS = { trustedProxies: ['10.0.0.0/8'] }

function benchGuard() {
  const guard = new Guard(
    {
      policies: { api: { endpoints: ['GET /v1/orders/*'], allow_ips: ['127.0.0.0/8'] } },
      usage: {},
    },
    { key: Buffer.from('benchmark key') },
  )
  const { token } = guard.mint({ owner: 'bench', policy: 'api' })
  const seen = { alerts: 0 }
  guard.on('alert', () => seen.alerts++)
  return { guard, token, seen }
}

// What a browser or an HTTP client library typically sends.
function headersFor(token) {
  return {
    host: 'api.example.com',
    'user-agent':
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
    accept: 'application/json',
    'accept-encoding': 'gzip, deflate, br',
    'accept-language': 'en-GB,en;q=0.9',
    authorization: `Bearer ${token}`,
    'x-request-id': '6f1c2a9e-3b8d-4c52-9a47-0e6d5f2b1c88',
    'sec-fetch-mode': 'cors',
  }
}

const median = (xs) => quantile(xs, 0.5)
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b)
  const at = (s.length - 1) * q
  const lo = Math.floor(at)
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (at - lo)
}

// ---------------------------------------------------------------------------------------------
// The server process.

async function serve() {
  const express = require('express')
  const Fastify = require('fastify')
  const fastifyGuard = require('tokenward/fastify')
  const { guard, token, seen } = benchGuard()

  const expressApp = (middleware) => {
    const app = express()
    app.set('etag', false)
    if (middleware) app.use(middleware)
    app.get('/v1/orders/:id', (req, res) => res.json({ id: req.params.id }))
    return app
  }
  const noopPlugin = (fastify, options, done) => {
    fastify.addHook('onRequest', (request, reply, next) => next())
    fastify.addHook('onResponse', (request, reply, next) => next())
    done()
  }
  noopPlugin[Symbol.for('skip-override')] = true
  const fastifyApp = async (plugin, options) => {
    const app = Fastify()
    if (plugin) await app.register(plugin, options)
    app.get('/v1/orders/:id', async (request) => ({ id: request.params.id }))
    await app.listen({ port: 0, host: '127.0.0.1' })
    return app.server
  }
  const listen = (app) =>
    new Promise((resolve) => {
      const server = http.createServer(app).listen(0, '127.0.0.1', () => resolve(server))
    })

  const servers = {
    'express bare': await listen(expressApp(null)),
    'express no-op': await listen(expressApp((req, res, next) => next())),
    'express guarded': await listen(expressApp(expressGuard(guard, OPTIONS))),
    'fastify bare': await fastifyApp(null),
    'fastify no-op': await fastifyApp(noopPlugin),
    'fastify guarded': await fastifyApp(fastifyGuard, { guard, ...OPTIONS }),
  }
  const ports = Object.fromEntries(Object.entries(servers).map(([k, s]) => [k, s.address().port]))
  process.on('message', (message) => {
    if (message === 'cpu') {
      const { user, system } = process.cpuUsage()
      process.send({ cpu: user + system })
    } else if (message === 'stop') {
      process.send({ alerts: seen.alerts })
      for (const server of Object.values(servers)) {
        server.closeAllConnections()
        server.close()
      }
      process.disconnect()
    }
  })
  process.send({ ports, token })
}

// ---------------------------------------------------------------------------------------------
// The client process.

function startServer() {
  const child = fork(new URL(import.meta.url).pathname, ['--serve'], { stdio: 'inherit' })
  const replies = []
  const waiting = []
  child.on('message', (m) => (waiting.length ? waiting.shift()(m) : replies.push(m)))
  const next = () => new Promise((resolve) => (replies.length ? resolve(replies.shift()) : waiting.push(resolve)))
  const ask = (message) => {
    child.send(message)
    return next()
  }
  return { child, next, ask }
}

/** Sends `n` GETs over `concurrency` keep-alive connections; resolves when all are answered. */
function batch(agent, port, headers, n, concurrency) {
  let sent = 0
  const one = () =>
    new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: URL_PATH, headers, agent }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`))
        res.resume()
        res.on('end', resolve)
      })
      req.on('error', reject)
    })
  const worker = async () => {
    while (sent < n) {
      sent++
      await one()
    }
  }
  return Promise.all(Array.from({ length: concurrency }, worker))
}

async function measureServers() {
  const rounds = Number(args.rounds)
  const n = Number(args.requests)
  const concurrency = Number(args.concurrency)
  const server = startServer()
  const { ports, token } = await server.next()
  const headers = headersFor(token)
  const apps = ['express', 'fastify'].filter((a) => a.includes(args.only) || args.only === '')
  const variants = apps.flatMap((app) => ['bare', 'no-op', 'guarded'].map((v) => `${app} ${v}`))
  const agents = Object.fromEntries(
    variants.map((v) => [v, new http.Agent({ keepAlive: true, maxSockets: concurrency })]),
  )
  const cpu = Object.fromEntries(variants.map((v) => [v, []]))
  const wall = Object.fromEntries(variants.map((v) => [v, []]))

  // Warm-up: JIT, connections, the token's usage state.
  for (const v of variants) await batch(agents[v], ports[v], headers, 2000, concurrency)
  for (let round = 0; round < rounds; round++) {
    const order = variants.map((_, i) => variants[(i + round) % variants.length])
    for (const v of order) {
      const before = (await server.ask('cpu')).cpu
      const start = performance.now()
      await batch(agents[v], ports[v], headers, n, concurrency)
      const elapsed = performance.now() - start
      const after = (await server.ask('cpu')).cpu
      cpu[v].push((after - before) / n)
      wall[v].push((elapsed * 1000) / n)
    }
  }
  const { alerts } = await server.ask('stop')
  for (const agent of Object.values(agents)) agent.destroy()

  console.log(
    `node ${process.version}; server CPU time per request (µs, user + system of the server process); ` +
      `${rounds} rounds x ${n} requests per variant, ${concurrency} keep-alive connections`,
  )
  const fmt = (xs) => {
    const [q1, m, q3] = [0.25, 0.5, 0.75].map((q) => quantile(xs, q))
    return `${m.toFixed(2).padStart(7)} [${q1.toFixed(2)}, ${q3.toFixed(2)}]`.padEnd(26)
  }
  const diff = (a, b) => a.map((x, i) => x - b[i])
  console.log(
    ['', 'bare', 'no-op - bare (floor)', 'guarded - bare', 'guarded - no-op'].map((c) => c.padEnd(26)).join(''),
  )
  for (const app of apps) {
    for (const [label, series] of [['cpu', cpu], ['wall', wall]]) {
      const [bare, noop, guarded] = ['bare', 'no-op', 'guarded'].map((v) => series[`${app} ${v}`])
      console.log(
        `${app} ${label}`.padEnd(26) +
          fmt(bare) +
          fmt(diff(noop, bare)) +
          fmt(diff(guarded, bare)) +
          fmt(diff(guarded, noop)),
      )
    }
  }
  console.log('(median [first quartile, third quartile] over rounds of the per-round figure)')
  console.log(`(alerts seen by the server's listener during the run: ${alerts})`)
}

// ---------------------------------------------------------------------------------------------
// Micro figures, in this process.

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

async function measureMicro() {
  const { guard, token } = benchGuard()
  const HEADERS = headersFor(token)
  const RAW_HEADERS = Object.entries(HEADERS).flat()
  const socket = new NullSocket()
  const nodeRequest = () => {
    const req = new http.IncomingMessage(socket)
    req.method = 'GET'
    req.url = URL_PATH
    req.headers = { ...HEADERS }
    req.rawHeaders = RAW_HEADERS.slice()
    return req
  }
  // The Express middleware with the response's 'finish' and 'close' (it records the outcome on
  // one of them).
  const middlewareAlone = (middleware) => {
    return () => {
      const res = new http.ServerResponse(nodeRequest())
      res.statusCode = 200
      let passed = false
      middleware(nodeRequest(), res, (err) => {
        if (err) throw err
        passed = true
      })
      if (!passed) throw new Error('the middleware did not pass the request')
      res.emit('finish')
      res.emit('close')
    }
  }
  const gate = new Gate(OPTIONS)
  const checkAndRecord = () => {
    const { verdict } = gate.check(guard, 'GET', URL_PATH, RAW_HEADERS, '127.0.0.1')
    guard.recordOutcomeId(verdict.tokenId, 200)
  }
  // In a server, the HTTP stack and the app run between two checks and push the Guard's code
  // and data out of the CPU caches. Reading 32 MB between calls stands in for that here: the
  // difference to the warm figure is what a call pays for cold caches.
  const evicting = new Float64Array(4 << 20)
  let sink = 0
  const evict = () => {
    // Reads only: written lines would be written back later, on the measured side's time.
    for (let i = 0; i < evicting.length; i += 8) sink += evicting[i]
  }
  const pairs = [
    ['express middleware', middlewareAlone((req, res, next) => next()), middlewareAlone(expressGuard(guard, OPTIONS))],
    ['Gate.check alone', () => {}, () => gate.check(guard, 'GET', URL_PATH, RAW_HEADERS, '127.0.0.1')],
  ]
  const runs = Number(args['micro-runs'])
  const n = 500
  // Each run ends with one turn of the event loop, so the outcomes the middleware queued are
  // recorded (they are, in a batch, on the turn after a response closes) inside the run.
  const timed = async (f) => {
    const start = process.cpuUsage()
    for (let i = 0; i < n; i++) f()
    await new Promise(setImmediate)
    const used = process.cpuUsage(start)
    return (used.user + used.system) / n
  }
  console.log(`\nin-process micro figures: CPU µs per call, ${runs} runs x ${n} calls, median of per-run differences`)
  for (const [label, bare, guarded] of pairs) {
    await timed(bare)
    await timed(guarded)
    const d = []
    for (let run = 0; run < runs; run++) {
      const b = await timed(bare)
      d.push((await timed(guarded)) - b)
    }
    console.log(
      `${label.padEnd(26)}${median(d).toFixed(2).padStart(7)} [${quantile(d, 0.25).toFixed(2)}, ${quantile(d, 0.75).toFixed(2)}]`,
    )
  }
  // The check with its outcome record, one call at a time (wall time of the call alone, median
  // over calls), right after another (warm) and right after the eviction (cold).
  const perCall = (before) => {
    const times = []
    for (let i = 0; i < 400; i++) {
      before()
      const start = process.hrtime.bigint()
      checkAndRecord()
      times.push(Number(process.hrtime.bigint() - start) / 1000)
    }
    return times
  }
  perCall(() => {})
  const warm = perCall(() => {})
  const cold = perCall(evict)
  for (const [label, times] of [['check + outcome, warm', warm], ['check + outcome, cold', cold]]) {
    console.log(
      `${label.padEnd(26)}${median(times).toFixed(2).padStart(7)} [${quantile(times, 0.25).toFixed(2)}, ${quantile(times, 0.75).toFixed(2)}]  (µs per call, wall)`,
    )
  }
  // Used, so the eviction's reads are not optimised away.
  if (Number.isNaN(sink)) throw new Error('the evicted buffer held a NaN')
}

if (args.serve) {
  await serve()
} else {
  await measureServers()
  await measureMicro()
}
