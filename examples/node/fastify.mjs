// A Fastify API whose every request is checked by a tokenward Guard, with an anomaly
// detector that quarantines a token used from too many addresses.
//
// Run (from a fresh checkout; needs Node 20+, npm and Rust):
//   (cd bindings/node && npm ci && npx napi build --platform --release)
//   cd examples/node && npm ci && node fastify.mjs
//
// It starts the app on 127.0.0.1 (PORT, or a free port), sends itself requests with fetch,
// prints each answer and exits. Set SERVE=1 to keep it running instead.

import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import { Guard } from 'tokenward'
import fastifyGuard from 'tokenward/fastify'

// The config is TOML or JSON text (a file: Guard.fromFile('guard.toml', { key })) or an object.
const guard = new Guard(
  `
  [usage.detectors.ip_fanout]
  min_distinct_ips = 3        # small numbers so the demo trips it quickly
  absolute_distinct_ips = 4

  [[respond]]
  on = "ip_fanout"
  action = "quarantine"
  `,
  { key: randomBytes(32) },
)
const { token, id } = guard.mint({ owner: 'mobile-app' })

guard.on('alert', (alert) => console.log(`  event: alert ${alert.kind} (${alert.severity}) on ${alert.token}`))
guard.on('quarantined', (detail) => console.log(`  event: quarantined ${detail.token}, cause ${detail.cause}`))

const app = Fastify()
// This demo's "proxy" is the demo itself on 127.0.0.1, so it may set X-Forwarded-For.
await app.register(fastifyGuard, { guard, trustedProxies: ['127.0.0.1'], exemptPaths: ['/health'] })
app.get('/health', async () => ({ ok: true }))
app.get('/v1/profile', async (request) => ({ calledBy: request.tokenward.tokenId }))

await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })
const base = `http://127.0.0.1:${app.server.address().port}`
console.log(`listening on ${base}; minted a token, id ${id}`)
if (!process.env.SERVE) {
  // The same token from one client address after another: fan-out, then quarantine.
  for (let i = 1; i <= 6; i++) {
    const headers = { authorization: `Bearer ${token}`, 'x-forwarded-for': `198.51.100.${i}` }
    const res = await fetch(`${base}/v1/profile`, { headers })
    console.log(`GET /v1/profile from 198.51.100.${i}: ${res.status} ${await res.text()}`)
  }
  console.log(`token state: ${guard.tokenInfo(id).state}`)
  await app.close()
}
