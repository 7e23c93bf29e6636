// An Express API whose every request is checked by a tokenward Guard.
//
// Run (from a fresh checkout; needs Node 20+, npm and Rust):
//   (cd bindings/node && npm ci && npx napi build --platform --release)
//   cd examples/node && npm ci && node express.mjs
//
// It starts the app on 127.0.0.1 (PORT, or a free port), sends itself a few requests with
// fetch, prints each answer and exits. Set SERVE=1 to keep it running instead.

import { randomBytes } from 'node:crypto'
import express from 'express'
import { Guard } from 'tokenward'

// The fingerprint key: keep it secret and stable (the same key gives the same token ids).
// Here a fresh one per run; in production read it from your secret store.
const guard = new Guard(
  {
    policies: {
      // Tokens with this policy may only read orders, 5 requests a minute.
      orders: { endpoints: ['GET /v1/orders/*'], rate_limit: { requests: 5, window: '1m' } },
    },
  },
  { key: randomBytes(32) },
)
const { token, id } = guard.mint({ owner: 'shop-frontend', policy: 'orders' })

// Every event the Guard queues (denials, alerts, quarantines, revocations) reaches listeners.
guard.on('denied', (detail) => console.log(`  event: denied ${detail.token} (${detail.reasons})`))
guard.on('quarantined', (detail) => console.log(`  event: quarantined ${detail.token}`))

const app = express()
// Behind a load balancer, list its addresses: X-Forwarded-For is believed from them only.
app.use(guard.express({ trustedProxies: ['10.0.0.0/8'], exemptPaths: ['/health'] }))
app.get('/health', (req, res) => res.json({ ok: true }))
app.get('/v1/orders/:id', (req, res) => {
  // The verdict of the check: which token called, and any alerts it raised.
  res.json({ order: req.params.id, calledBy: req.tokenward.tokenId })
})
app.delete('/v1/orders/:id', (req, res) => res.status(204).end())

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', async () => {
  const base = `http://127.0.0.1:${server.address().port}`
  console.log(`listening on ${base}; minted a token, id ${id} (the raw token is shown once, to its owner)`)
  if (process.env.SERVE) return
  const auth = { authorization: `Bearer ${token}` }
  const requests = [
    ['GET /health (exempt)', '/health', {}, 'GET'],
    ['GET /v1/orders/7 with the token', '/v1/orders/7', auth, 'GET'],
    ['GET /v1/orders/7 without a token', '/v1/orders/7', {}, 'GET'],
    ['DELETE /v1/orders/7 (outside its scope)', '/v1/orders/7', auth, 'DELETE'],
    ['GET with a spoofed X-Forwarded-For', '/v1/orders/8', { ...auth, 'x-forwarded-for': '6.6.6.6' }, 'GET'],
  ]
  for (const [what, path, headers, method] of requests) {
    const res = await fetch(base + path, { method, headers })
    console.log(`${what}: ${res.status} ${await res.text()}`)
  }
  server.close()
})
