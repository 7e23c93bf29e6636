// Compile-only test (`tsc -p test/types`): the committed declarations describe the package as
// TypeScript users see it, and the integrations fit pino's and winston's own types.

import pino from 'pino'
import winston from 'winston'
import {
  Redactor,
  redact,
  defaultRedactor,
  TokenwardError,
  ConfigError,
  createPinoDestination,
  redactFormat,
  type Finding,
  type RuleInfo,
  type RedactorOptions,
  type ErrorCode,
  Guard,
  InvalidArgumentError,
  type Verdict,
  type Minted,
  type GuardEvent,
  type TokenInfo,
  type Replayed,
  type Alert,
} from 'tokenward'
import { createPinoDestination as fromSubpath } from 'tokenward/pino'
import { redactFormat as formatFromSubpath } from 'tokenward/winston'

const options: RedactorOptions = { style: 'prefix', config: 'disable = []', fingerprintKey: Buffer.from('k') }
const redactor = new Redactor(options)
const out: string = redactor.redact('text')
const bytes: Buffer = redactor.redactBuffer(Buffer.from('x'))
const later: Promise<string> = redactor.redactAsync('text')
const findings: Finding[] = redactor.find('text')
const first: number | undefined = findings[0]?.secretStart
const rules: RuleInfo[] = redactor.rules()
const style: 'mask' | 'prefix' | 'label' | 'fingerprint' = redactor.style
const helper: string = redact('text')
const shared: Redactor = defaultRedactor()

// @ts-expect-error: styles are a closed set
new Redactor({ style: 'rot13' })
// @ts-expect-error: redact takes a string
redactor.redact(42)

try {
  new Redactor({ config: 'style = 3' })
} catch (err) {
  if (err instanceof ConfigError) {
    const code: 'TOKENWARD_CONFIG' = err.code
  } else if (err instanceof TokenwardError) {
    const code: ErrorCode = err.code
  }
}

const logger = pino({}, createPinoDestination(process.stdout, redactor))
logger.info('x')
pino(fromSubpath())

winston.createLogger({
  format: winston.format.combine(winston.format.json(), redactFormat({ redactor })),
  transports: [new winston.transports.Console()],
})
winston.createLogger({ format: formatFromSubpath() })

const guard = new Guard({ policies: { ci: { allow_ips: ['10.0.0.0/8'] } } }, { key: Buffer.from('k') })
const fromFile: Guard = Guard.fromFile('guard.toml', { key: Buffer.from('k') })
const minted: Minted = guard.mint({ owner: 'ci', tags: ['a'], policy: 'ci', expiresAt: 1, now: 0 })
const registered: string = guard.register('raw', { policy: { countries: ['DE'] } })
guard.registerId(guard.tokenId(Buffer.from('raw')), { service: 's' })
const verdict: Verdict = guard.check(minted.token, {
  ip: '10.0.0.1',
  method: 'GET',
  path: '/v1/orders/..%2fadmin',
  userAgent: 'ua',
  location: [52.5, 13.4],
  now: Date.now(),
})
const allowed: boolean = verdict.allowed
const reasons: string[] = verdict.reasons
const retry: number | undefined = verdict.retryAfterMs
const alerts: Alert[] = guard.recordOutcome(minted.token, 500, { now: 1 })
const revoked: boolean = guard.revoke(minted.id)
const ids: string[] = guard.revokeWhere({ owner: 'alice', tag: 'laptop' })
guard.quarantine(minted.id)
guard.release(minted.id)
const rotated: Minted = guard.rotate(minted.id, { grace: 30 })
const info: TokenInfo | null = guard.tokenInfo(minted.id)
guard.setPolicy('ci', 'allow_ips = []')
const events: GuardEvent[] = guard.drainEvents()
const prev: string | undefined = events[0]?.prev_hash
const snap: Buffer = guard.snapshot()
guard.restore(snap)
const replayed: Replayed = guard.replayEvents(events)
const asyncSnap: Promise<Buffer> = guard.snapshotAsync()
const asyncRestore: Promise<void> = guard.restoreAsync(snap, { now: 1 })
const asyncReplay: Promise<Replayed> = guard.replayEventsAsync(events.map((e) => JSON.stringify(e)))
const usage: Record<string, unknown> | null = guard.usage(minted.id)
const prefix: string = guard.tokenPrefix
const size: number = guard.size
const pending: number = guard.pendingEvents

// @ts-expect-error: the key is required
new Guard(null)
// @ts-expect-error: grace is a number of seconds
guard.rotate(minted.id, { grace: '30s' })
// @ts-expect-error: location is a pair
guard.check('t', { location: [1, 2, 3] })

try {
  guard.check('t', { ip: 'nope' })
} catch (err) {
  if (err instanceof InvalidArgumentError) {
    const code: 'TOKENWARD_INVALID_ARG' = err.code
  }
}

export { out, bytes, later, first, rules, style, helper, shared }
export { fromFile, registered, allowed, reasons, retry, alerts, revoked, ids, rotated, info }
export { prev, replayed, asyncSnap, asyncRestore, asyncReplay, usage, prefix, size }

// The middleware, the Gate and the Guard's events.
import express from 'express'
import Fastify from 'fastify'
import { Gate, type GatePassage, type Denial, type AlertEventDetail } from 'tokenward'
import { expressGuard } from 'tokenward/express'
import fastifyGuard from 'tokenward/fastify'
import pinoTransport, { type PinoTransportOptions } from 'tokenward/pino'

const app = express()
app.use(expressGuard(guard, { trustedProxies: ['10.0.0.0/8'], exemptPaths: ['/health'] }))
app.use(guard.express({ countryLookup: (ip) => (ip === null ? undefined : 'DE') }))
app.get('/v1/orders', (req, res) => {
  const id: string | undefined = req.tokenward?.tokenId
  res.json({ id })
})
// @ts-expect-error: trustedProxies is a list
expressGuard(guard, { trustedProxies: '10.0.0.0/8' })

const fastify = Fastify()
fastify.register(fastifyGuard, { guard, trustedProxies: ['127.0.0.1'], forwardedHeader: 'forwarded' })
fastify.get('/v1/orders', async (request) => {
  const allowed: boolean | undefined = request.tokenward?.allowed
  return { allowed }
})
// @ts-expect-error: the plugin needs the guard
fastify.register(fastifyGuard, { trustedProxies: [] })

const gate = new Gate({ trustedProxies: ['10.0.0.0/8'], realm: 'api' })
const passage: GatePassage = gate.check(guard, 'GET', '/v1', ['Authorization', 'Bearer x'], '10.0.0.1', null, () => 'DE')
const denial: Denial | undefined = passage.denial
const status: number | undefined = denial?.status
const recorded: Alert[] = guard.recordOutcomeId(minted.id, 200)

guard.on('alert', (alert: AlertEventDetail, event: GuardEvent) => console.log(alert.kind, event.seq))
guard.on('quarantined', (detail) => console.log(detail.token, detail.cause))
guard.once('event', (event) => console.log(event.seq))
guard.removeAllListeners()

const transportOptions: PinoTransportOptions = { destination: '/tmp/app.log', mkdir: true, style: 'label' }
const destination: Promise<unknown> = pinoTransport(transportOptions)
pino(pino.transport({ target: 'tokenward/pino', options: transportOptions }))

import { Fleet, type FleetHealth, type FleetOptions } from 'tokenward'
const fleetOptions: FleetOptions = { prefix: 'billing-api', deltaInterval: 0.5 }
async function fleetUsage(url: string): Promise<boolean> {
  const fleet: Fleet = guard.attachFleet(url, fleetOptions)
  const health: FleetHealth = fleet.health()
  const connected: boolean = health.connected
  const revokedHere: string[] = fleet.revokeWhere({ owner: 'alice' })
  const kinds: string[] = fleet.drainEvents().map((event) => event.kind)
  const published: boolean = await fleet.flush(2)
  await fleet.detach()
  // @ts-expect-error: options are seconds, not strings
  guard.attachFleet(url, { poll: '1ms' })
  return connected && published && fleet.attached && revokedHere.length + kinds.length >= 0
}

export { status, recorded, destination, fleetUsage }
