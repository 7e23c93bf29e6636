// The Express middleware and the Fastify plugin, each on a real server on 127.0.0.1 (an
// ephemeral port), driven with fetch: every answer, the verdict handed to the route, trusted
// and untrusted proxies, an anomaly that quarantines a token mid-run, concurrent requests,
// and the response status fed back.
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import express from 'express'
import Fastify from 'fastify'
import { Guard, Gate, InvalidArgumentError, ConfigError } from 'tokenward'
import { expressGuard } from 'tokenward/express'
import fastifyGuard from 'tokenward/fastify'

const KEY = Buffer.from('middleware test key')

const CONFIG = `
[policies.orders]
endpoints = ["GET /v1/orders/*", "GET /v1/missing"]
allow_ips = ["127.0.0.1/32", "198.51.100.0/24"]

[policies.limited]
rate_limit = { requests = 2, window = "1m" }

[usage.detectors.ip_fanout]
min_distinct_ips = 3
absolute_distinct_ips = 4

[[respond]]
on = "ip_fanout"
action = "quarantine"
`

function newGuard() {
  const guard = new Guard(CONFIG, { key: KEY })
  const orders = guard.mint({ owner: 'shop', policy: 'orders' })
  const limited = guard.mint({ owner: 'batch', policy: 'limited' })
  const open = guard.mint({ owner: 'ops' })
  return { guard, orders, limited, open }
}

/** A route that shows what the app sees. */
function show(verdict) {
  return { tokenId: verdict?.tokenId ?? null, allowed: verdict?.allowed ?? null }
}

async function expressApp(guard, options, configure = () => {}) {
  const app = express()
  configure(app)
  app.use(expressGuard(guard, options))
  app.get('/health', (req, res) => res.json({ ok: true, seen: req.tokenward ?? null }))
  app.get('/v1/missing', (req, res) => res.status(404).json(show(req.tokenward)))
  app.get('/v1/*path', (req, res) => res.json(show(req.tokenward)))
  app.get('/admin', (req, res) => res.json(show(req.tokenward)))
  // Express's error handler answers 500; say which error, never more.
  app.use((err, req, res, next) => res.status(500).json({ failed: err.name }))
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => closeServer(server) }
}

function closeServer(server) {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(resolve))
}

async function fastifyApp(guard, options) {
  const app = Fastify()
  await app.register(fastifyGuard, { guard, ...options })
  app.get('/health', async (request) => ({ ok: true, seen: request.tokenward }))
  app.get('/v1/missing', async (request, reply) => reply.code(404).send(show(request.tokenward)))
  app.get('/v1/*', async (request) => show(request.tokenward))
  app.get('/admin', async (request) => show(request.tokenward))
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { url: `http://127.0.0.1:${app.server.address().port}`, close: () => app.close() }
}

async function get(url, headers = {}) {
  const res = await fetch(url, { headers })
  const text = await res.text()
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : null }
}

const bearer = (token) => ({ authorization: `Bearer ${token}` })

/** Sends two Authorization header lines (fetch would join them into one). */
function getTwoAuthorizations(url, tokens) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { authorization: tokens.map((t) => `Bearer ${t}`) } }, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: body }))
    })
    req.on('error', reject)
  })
}

function assertDenial(res, status, error, secret) {
  assert.equal(res.status, status, res.text)
  assert.equal(res.headers.get?.('content-type') ?? res.headers['content-type'], 'application/json')
  assert.equal(res.headers.get?.('cache-control') ?? res.headers['cache-control'], 'no-store')
  const body = JSON.parse(res.text)
  assert.equal(body.error, error)
  assert.ok(Array.isArray(body.reasons))
  if (secret) assert.ok(!res.text.includes(secret), 'the body echoes the token')
  return body
}

const frameworks = { express: expressApp, fastify: fastifyApp }

for (const [name, start] of Object.entries(frameworks)) {
  describe(`${name}: every answer`, () => {
    let ctx
    let app
    before(async () => {
      ctx = newGuard()
      app = await start(ctx.guard, { exemptPaths: ['/health'] })
    })
    after(() => app.close())

    test('an allowed request reaches the route with the verdict', async () => {
      const res = await get(`${app.url}/v1/orders/7?page=2`, bearer(ctx.orders.token))
      assert.equal(res.status, 200)
      assert.deepEqual(res.json, { tokenId: ctx.orders.id, allowed: true })
    })

    test('an exempt path passes without a token and without a verdict', async () => {
      const res = await get(`${app.url}/health`)
      assert.equal(res.status, 200)
      assert.deepEqual(res.json, { ok: true, seen: null })
    })

    test('401 with a challenge when the token is missing or unknown', async () => {
      const missing = await get(`${app.url}/v1/orders/7`)
      assert.deepEqual(assertDenial(missing, 401, 'missing_token'), { error: 'missing_token', reasons: [] })
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="api"')
      const unknown = 'tw_not_a_registered_token_0123456789'
      const res = await get(`${app.url}/v1/orders/7`, bearer(unknown))
      assert.deepEqual(assertDenial(res, 401, 'invalid_token', unknown).reasons, ['unknown_token'])
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="api", error="invalid_token"')
    })

    test('400 for two Authorization headers or a malformed one', async () => {
      const two = await getTwoAuthorizations(`${app.url}/v1/orders/7`, [ctx.orders.token, ctx.open.token])
      assertDenial(two, 400, 'invalid_request', ctx.orders.token)
      assert.match(two.headers['www-authenticate'], /error="invalid_request"/)
      const spaced = await get(`${app.url}/v1/orders/7`, { authorization: `Bearer ${ctx.orders.token} x` })
      assertDenial(spaced, 400, 'invalid_request', ctx.orders.token)
    })

    test('403 for a policy denial, 401 once revoked', async () => {
      const res = await get(`${app.url}/admin`, bearer(ctx.orders.token))
      assert.deepEqual(assertDenial(res, 403, 'forbidden', ctx.orders.token).reasons, ['scope_denied'])
      assert.equal(res.headers.get('www-authenticate'), null)
      // A path the core cannot canonicalise is refused, not routed past the scope.
      const sneaky = await get(`${app.url}/v1/orders/..%2fadmin`, bearer(ctx.orders.token))
      assertDenial(sneaky, 403, 'forbidden', ctx.orders.token)
      const { guard } = ctx
      const other = guard.mint({ owner: 'gone' })
      guard.revoke(other.id)
      const revoked = await get(`${app.url}/v1/orders/7`, bearer(other.token))
      assert.deepEqual(assertDenial(revoked, 401, 'invalid_token', other.token).reasons, ['revoked'])
    })

    test('429 with Retry-After past the rate limit', async () => {
      const statuses = []
      let last
      for (let i = 0; i < 3; i++) {
        last = await get(`${app.url}/v1/orders/1`, bearer(ctx.limited.token))
        statuses.push(last.status)
      }
      assert.deepEqual(statuses, [200, 200, 429])
      assert.deepEqual(assertDenial(last, 429, 'rate_limited', ctx.limited.token).reasons, ['rate_exceeded'])
      const retry = Number(last.headers.get('retry-after'))
      assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After ${retry}`)
    })

    test('the response status is fed back by token id', async () => {
      const before = ctx.guard.usage(ctx.orders.id).fine.total.errors
      const res = await get(`${app.url}/v1/missing`, bearer(ctx.orders.token))
      assert.equal(res.status, 404)
      // onResponse / 'finish' runs after the client has its answer: wait for it.
      await waitFor(() => ctx.guard.usage(ctx.orders.id).fine.total.errors === before + 1)
    })

    test('concurrent requests each get their own verdict', async () => {
      const tokens = [ctx.open, ctx.orders, null, { token: 'tw_unknown_token_abcdefghijklmnop' }]
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => {
          const t = tokens[i % tokens.length]
          return get(`${app.url}/v1/orders/${i}`, t ? bearer(t.token) : {}).then((res) => [i, res])
        }),
      )
      for (const [i, res] of results) {
        const t = tokens[i % tokens.length]
        if (t === ctx.open || t === ctx.orders) {
          assert.equal(res.status, 200)
          assert.equal(res.json.tokenId, t.id)
        } else {
          assert.equal(res.status, 401)
        }
      }
    })
  })

  describe(`${name}: proxies`, () => {
    let ctx
    let trusting
    let untrusting
    before(async () => {
      ctx = newGuard()
      trusting = await start(ctx.guard, { trustedProxies: ['127.0.0.1'] })
      untrusting = await start(ctx.guard, {})
    })
    after(async () => {
      await trusting.close()
      await untrusting.close()
    })

    test('X-Forwarded-For is believed from a trusted peer only', async () => {
      const token = ctx.orders.token
      // The policy allows 198.51.100.0/24 and 127.0.0.1; the test client is 127.0.0.1.
      const via = (app, xff) => get(`${app.url}/v1/orders/1`, { ...bearer(token), 'x-forwarded-for': xff })
      assert.equal((await via(trusting, '198.51.100.7')).status, 200)
      const outside = await via(trusting, '203.0.113.5')
      assert.deepEqual(assertDenial(outside, 403, 'forbidden', token).reasons, ['ip_not_allowed'])
      // A client's own entry left of the one the proxy appended is never reached.
      const spoofed = await via(trusting, '198.51.100.7, 203.0.113.5')
      assert.deepEqual(assertDenial(spoofed, 403, 'forbidden', token).reasons, ['ip_not_allowed'])
      // From an untrusted peer the header is ignored: the client is the peer, 127.0.0.1.
      assert.equal((await via(untrusting, '203.0.113.5')).status, 200)
      const open = ctx.guard.mint({ policy: { allow_ips: ['198.51.100.0/24'] } })
      const spoof = await get(`${untrusting.url}/v1/orders/1`, { ...bearer(open.token), 'x-forwarded-for': '198.51.100.7' })
      assert.deepEqual(assertDenial(spoof, 403, 'forbidden', open.token).reasons, ['ip_not_allowed'])
    })
  })

  describe(`${name}: an anomaly quarantines a token mid-run`, () => {
    let ctx
    let app
    before(async () => {
      ctx = newGuard()
      app = await start(ctx.guard, { trustedProxies: ['127.0.0.1'] })
    })
    after(() => app.close())

    test("fan-out across client addresses quarantines, and 'quarantined' is emitted", async () => {
      const { guard, open } = ctx
      const seen = { quarantined: [], alert: [], event: 0 }
      guard.on('quarantined', (detail, event) => seen.quarantined.push([detail, event.seq]))
      guard.on('alert', (detail) => seen.alert.push(detail.kind))
      guard.on('event', () => seen.event++)
      const statuses = []
      for (let i = 1; i <= 8; i++) {
        const res = await get(`${app.url}/v1/orders/1`, { ...bearer(open.token), 'x-forwarded-for': `198.51.100.${i}` })
        statuses.push(res.status)
        if (res.status !== 200) {
          assert.deepEqual(assertDenial(res, 403, 'forbidden', open.token).reasons, ['quarantined'])
        }
      }
      const first = statuses.indexOf(403)
      assert.ok(first > 0, `allowed before the anomaly, then denied: ${statuses}`)
      assert.ok(statuses.slice(first).every((s) => s === 403), `${statuses}`)
      assert.equal(seen.quarantined.length, 1)
      assert.deepEqual(seen.quarantined[0][0], { token: open.id, cause: 'ip_fanout' })
      assert.deepEqual(seen.alert, ['ip_fanout'])
      assert.ok(seen.event >= 2)
      assert.equal(guard.tokenInfo(open.id).state, 'quarantined')
      guard.removeAllListeners()
    })
  })
}

describe('express: the app trust proxy setting', () => {
  test('a setting that names addresses is used when trustedProxies is not given', async () => {
    const { guard } = newGuard()
    const only = guard.mint({ policy: { allow_ips: ['198.51.100.0/24'] } })
    const apps = {
      loopback: await expressApp(guard, {}, (a) => a.set('trust proxy', 'loopback')),
      list: await expressApp(guard, {}, (a) => a.set('trust proxy', ['10.0.0.0/8', '127.0.0.1'])),
      none: await expressApp(guard, {}),
      // An explicit trustedProxies wins over the app's setting.
      explicit: await expressApp(guard, { trustedProxies: [] }, (a) => a.set('trust proxy', 'loopback')),
    }
    try {
      const via = (app) => get(`${app.url}/v1/x`, { ...bearer(only.token), 'x-forwarded-for': '198.51.100.7' })
      assert.equal((await via(apps.loopback)).status, 200)
      assert.equal((await via(apps.list)).status, 200)
      assert.equal((await via(apps.none)).status, 403)
      assert.equal((await via(apps.explicit)).status, 403)
    } finally {
      await Promise.all(Object.values(apps).map((a) => a.close()))
    }
  })

  test('a setting that names no addresses is refused, never guessed (500, the route never runs)', async () => {
    const { guard, open } = newGuard()
    for (const setting of [true, 2, () => true]) {
      const app = await expressApp(guard, {}, (a) => a.set('trust proxy', setting))
      try {
        const res = await get(`${app.url}/v1/x`, { ...bearer(open.token), 'x-forwarded-for': '198.51.100.7' })
        assert.equal(res.status, 500)
        assert.deepEqual(res.json, { failed: 'ConfigError' })
      } finally {
        await app.close()
      }
    }
  })

  test('guard.express(options) is the same middleware, with a country from a function', async () => {
    const { guard } = newGuard()
    const german = guard.mint({ policy: { countries: ['DE'] } })
    const asked = []
    const lookup = (ip) => {
      asked.push(ip)
      return ip === '127.0.0.1' ? 'DE' : undefined
    }
    const app = express()
    app.use(guard.express({ countryLookup: lookup }))
    app.get('/', (req, res) => res.json(show(req.tokenward)))
    const server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s))
    })
    try {
      const res = await get(`http://127.0.0.1:${server.address().port}/`, bearer(german.token))
      assert.equal(res.status, 200)
      assert.deepEqual(asked, ['127.0.0.1'])
    } finally {
      await closeServer(server)
    }
  })
})

describe('where the token is', () => {
  test('a configured header, cookie or query parameter; RFC 7239 Forwarded from a trusted proxy', async () => {
    const { guard, open } = newGuard()
    const only = guard.mint({ policy: { allow_ips: ['198.51.100.0/24'] } })
    const apps = {
      header: await fastifyApp(guard, { header: 'X-Api-Key' }),
      cookie: await expressApp(guard, { cookie: 'tw', queryParam: 'access_token' }),
      forwarded: await expressApp(guard, { trustedProxies: ['127.0.0.1'], forwardedHeader: 'forwarded' }),
    }
    try {
      assert.equal((await get(`${apps.header.url}/v1/x`, { 'x-api-key': open.token })).status, 200)
      // The dedicated header is the only source: a bearer token is not looked at.
      assert.equal((await get(`${apps.header.url}/v1/x`, bearer(open.token))).status, 401)
      const cookie = await get(`${apps.cookie.url}/v1/x`, { cookie: `theme=dark; tw=${open.token}` })
      assert.deepEqual([cookie.status, cookie.json.tokenId], [200, open.id])
      const query = await get(`${apps.cookie.url}/v1/x?access_token=${open.token}`)
      assert.deepEqual([query.status, query.json.tokenId], [200, open.id])
      const twice = await get(`${apps.cookie.url}/v1/x?access_token=${open.token}&access_token=${open.token}`)
      assertDenial(twice, 400, 'invalid_request', open.token)
      const via = (value) => get(`${apps.forwarded.url}/v1/x`, { ...bearer(only.token), forwarded: value })
      assert.equal((await via('for=198.51.100.7;proto=https')).status, 200)
      assert.equal((await via('for=198.51.100.7, for=203.0.113.5')).status, 403)
    } finally {
      await Promise.all(Object.values(apps).map((a) => a.close()))
    }
  })
})

describe('the country header and lookup', () => {
  test('a trusted country header is believed, an untrusted one is not; a throwing lookup fails closed', async () => {
    const { guard } = newGuard()
    const german = guard.mint({ policy: { countries: ['DE'] } })
    const trusted = await fastifyApp(guard, { trustedProxies: ['127.0.0.1'], countryHeader: 'cf-ipcountry' })
    const untrusted = await fastifyApp(guard, { countryHeader: 'cf-ipcountry' })
    const broken = await expressApp(guard, {
      countryLookup: () => {
        throw new RangeError('geo database unavailable')
      },
    })
    try {
      const headers = { ...bearer(german.token), 'cf-ipcountry': 'DE' }
      assert.equal((await get(`${trusted.url}/v1/x`, headers)).status, 200)
      assert.deepEqual(JSON.parse((await get(`${untrusted.url}/v1/x`, headers)).text).reasons, ['country_not_allowed'])
      const res = await get(`${broken.url}/v1/x`, headers)
      assert.deepEqual([res.status, res.json], [500, { failed: 'RangeError' }])
    } finally {
      await Promise.all([trusted.close(), untrusted.close(), broken.close()])
    }
  })
})

describe('a throwing country lookup', () => {
  test('ends the check before the Guard counts anything', () => {
    const { guard, limited } = newGuard()
    const gate = new Gate({})
    const boom = new RangeError('geo database unavailable')
    const headers = ['Authorization', `Bearer ${limited.token}`]
    for (let i = 0; i < 3; i++) {
      assert.throws(() => gate.check(guard, 'GET', '/v1/x', headers, '127.0.0.1', null, () => { throw boom }), (err) => err === boom)
      assert.throws(() => gate.check(guard, 'GET', '/v1/x', headers, '127.0.0.1', null, () => 7), InvalidArgumentError)
    }
    // Nothing was counted: the token has no usage at all.
    assert.equal(guard.usage(limited.id), null)
    // The rate limit (2 a minute) is untouched: two checks still pass.
    for (let i = 0; i < 2; i++) {
      assert.equal(gate.check(guard, 'GET', '/v1/x', headers, '127.0.0.1', null, () => 'DE').verdict.allowed, true)
    }
    assert.equal(guard.usage(limited.id).fine.total.requests, 2)
  })
})

describe('express: the outcome and the denial on the wire', () => {
  test('a denial is sent with its content-length, not chunked', async () => {
    const { guard } = newGuard()
    const app = await expressApp(guard, {})
    try {
      const res = await new Promise((resolve, reject) => {
        http.get(`${app.url}/v1/x`, (r) => {
          let body = ''
          r.on('data', (c) => (body += c))
          r.on('end', () => resolve({ status: r.statusCode, headers: r.headers, body }))
        }).on('error', reject)
      })
      assert.equal(res.status, 401)
      assert.equal(res.headers['transfer-encoding'], undefined)
      assert.equal(Number(res.headers['content-length']), Buffer.byteLength(res.body))
    } finally {
      await app.close()
    }
  })

  test('only the statuses the Guard reads make a native call', async () => {
    const { guard, open } = newGuard()
    assert.deepEqual(guard.outcomeStatuses, [401, 403, 404])
    const seen = []
    const record = guard.recordOutcomeId.bind(guard)
    guard.recordOutcomeId = (id, status) => {
      seen.push(status)
      return record(id, status)
    }
    for (const app of [await expressApp(guard, {}), await fastifyApp(guard, {})]) {
      try {
        seen.length = 0
        assert.equal((await get(`${app.url}/v1/x`, bearer(open.token))).status, 200)
        assert.equal((await get(`${app.url}/v1/missing`, bearer(open.token))).status, 404)
        await waitFor(() => seen.length === 1)
        assert.deepEqual(seen, [404])
      } finally {
        await app.close()
      }
    }
    const plain = new Guard({}, { key: Buffer.from('k') })
    assert.deepEqual(plain.outcomeStatuses, [])
  })

  test('events queued outside requests reach listeners after an ordinary response', async () => {
    for (const makeApp of [expressApp, fastifyApp]) {
      const { guard, open, limited } = newGuard()
      const revoked = []
      guard.on('revoked', (event) => revoked.push(event))
      const app = await makeApp(guard, {})
      try {
        guard.revoke(limited.id) // by an admin task, say: queued, no request raised it
        assert.deepEqual(revoked, [])
        assert.equal((await get(`${app.url}/v1/x`, bearer(open.token))).status, 200)
        await waitFor(() => revoked.length === 1)
        assert.equal(revoked[0].token, limited.id)
      } finally {
        await app.close()
      }
    }
  })

  test('a throwing recordOutcomeId does not crash the process', async () => {
    const { guard, open } = newGuard()
    const warnings = []
    const onWarning = (w) => warnings.push(w)
    process.on('warning', onWarning)
    guard.recordOutcomeId = () => {
      throw new TypeError('listener exploded: tw_secret_in_message')
    }
    const app = await expressApp(guard, {})
    try {
      // 404s: statuses the Guard reads, so the (broken) native call is made.
      assert.equal((await get(`${app.url}/v1/missing`, bearer(open.token))).status, 404)
      assert.equal((await get(`${app.url}/v1/missing`, bearer(open.token))).status, 404)
      await waitFor(() => warnings.filter((w) => w.name === 'TokenwardWarning').length === 2)
      for (const w of warnings) assert.ok(!w.message.includes('tw_secret'))
    } finally {
      process.off('warning', onWarning)
      await app.close()
    }
  })

  test('a client that aborts before the answer is still counted', async () => {
    const { guard, open } = newGuard()
    let arrived
    const server = await new Promise((resolve) => {
      const a = express()
      a.use(expressGuard(guard, {}))
      a.get('/v1/slow', () => arrived()) // never answers
      a.get('/v1/gone', (req, res) => {
        res.status(404) // set, but the body never comes
        arrived()
      })
      const s = a.listen(0, '127.0.0.1', () => resolve(s))
    })
    const url = `http://127.0.0.1:${server.address().port}`
    try {
      const seen = []
      const record = guard.recordOutcomeId.bind(guard)
      guard.recordOutcomeId = (id, status) => {
        seen.push(status)
        return record(id, status)
      }
      const errors = () => guard.usage(open.id)?.fine.total.errors ?? 0
      const abandon = async (path) => {
        const reached = new Promise((resolve) => (arrived = resolve))
        const abort = new AbortController()
        const pending = fetch(`${url}${path}`, { headers: bearer(open.token), signal: abort.signal })
        await reached
        abort.abort()
        await assert.rejects(pending)
      }
      // An abort before any status (499) is not one the Guard reads: no call. A 404 set and
      // never sent is, and it is counted for the error-burst detector.
      await abandon('/v1/slow')
      await abandon('/v1/gone')
      await waitFor(() => seen.length === 1)
      assert.deepEqual(seen, [404])
      await waitFor(() => errors() === 1)
    } finally {
      await closeServer(server)
    }
  })
})

describe('bad options', () => {
  test('a clear typed error at set-up', async () => {
    const { guard } = newGuard()
    assert.throws(() => expressGuard({}, {}), InvalidArgumentError)
    assert.throws(() => expressGuard(guard, { trustedProxy: ['10.0.0.0/8'] }), /unknown option "trustedProxy"/)
    assert.throws(() => expressGuard(guard, { trustedProxies: '10.0.0.0/8' }), InvalidArgumentError)
    assert.throws(() => expressGuard(guard, { trustedProxies: ['nope'] }), (err) => {
      assert.ok(err instanceof ConfigError)
      assert.equal(err.message, 'trustedProxies[0]: not an IP address or CIDR')
      return true
    })
    assert.throws(() => expressGuard(guard, { countryLookup: 'DE' }), InvalidArgumentError)
    assert.throws(() => expressGuard(guard, { exemptPaths: ['health'] }), /exemptPaths\[0\]/)
    assert.throws(() => new Gate({ forwardedHeader: 'x-real-ip' }), ConfigError)
    assert.throws(() => new Gate({ exemptPaths: ['health'] }), ConfigError)
    const app = Fastify()
    await assert.rejects(app.register(fastifyGuard, { trustedProxies: [] }).ready(), InvalidArgumentError)
  })
})

describe('the Guard as an EventEmitter', () => {
  test("drainEvents() on demand emits each event by kind and as 'event'", () => {
    const { guard, open } = newGuard()
    guard.drainEvents() // the mints
    const seen = []
    guard.on('revoked', (detail, event) => seen.push(['revoked', detail, event.seq]))
    guard.on('event', (event) => seen.push(['event', Object.keys(event.kind)[0]]))
    guard.revoke(open.id)
    const events = guard.drainEvents()
    assert.equal(events.length, 1)
    assert.deepEqual(seen, [
      ['revoked', { token: open.id, cause: null }, events[0].seq],
      ['event', 'revoked'],
    ])
    assert.deepEqual(guard.drainEvents(), [])
    assert.equal(seen.length, 2)
  })

  test('with no listener the middleware leaves the queue to the host', async () => {
    const { guard, orders } = newGuard()
    guard.drainEvents()
    const app = await expressApp(guard, {})
    try {
      await get(`${app.url}/admin`, bearer(orders.token))
      // The denial (and the alert an out-of-scope endpoint raises) are still queued.
      const kinds = guard.drainEvents().map((e) => Object.keys(e.kind)[0])
      assert.ok(kinds.includes('denied'), `${kinds}`)
    } finally {
      await app.close()
    }
  })
})

describe('Gate.check directly', () => {
  test('one call: exempt, denial or verdict; raw headers keep repeated headers apart', () => {
    const { guard, open } = newGuard()
    const gate = new Gate({ trustedProxies: ['10.0.0.0/8'], exemptPaths: ['GET /metrics'] })
    const allowed = gate.check(guard, 'GET', '/v1/a?b=1', ['Authorization', `Bearer ${open.token}`], '10.0.0.1')
    assert.equal(allowed.exempt, false)
    assert.equal(allowed.verdict.tokenId, open.id)
    assert.equal(allowed.denial, undefined)
    assert.equal(gate.check(guard, 'GET', '/metrics', [], '10.0.0.1').exempt, true)
    assert.equal(gate.check(guard, 'POST', '/metrics', [], '10.0.0.1').denial.status, 401)
    const twice = ['authorization', `Bearer ${open.token}`, 'Authorization', `Bearer ${open.token}`]
    assert.equal(gate.check(guard, 'GET', '/v1', twice, '10.0.0.1').denial.status, 400)
    assert.throws(() => gate.check(guard, 'GET', '/v1', ['Authorization'], '10.0.0.1'), InvalidArgumentError)
    assert.throws(() => gate.check(guard, 'GET', '/v1', [1, 2], '10.0.0.1'), InvalidArgumentError)
    assert.throws(() => gate.check(guard, 'GET', '/v1', 'Authorization: x', '10.0.0.1'), InvalidArgumentError)
    assert.throws(() => gate.check({}, 'GET', '/v1', [], '10.0.0.1'), InvalidArgumentError)
    // A peer that is no address (a Unix socket) is an unknown client, never trusted.
    const xff = ['Authorization', `Bearer ${open.token}`, 'X-Forwarded-For', '198.51.100.7']
    assert.equal(gate.check(guard, 'GET', '/v1', xff, undefined).verdict.allowed, true)
  })
})

async function waitFor(condition, ms = 2000) {
  const end = Date.now() + ms
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}
