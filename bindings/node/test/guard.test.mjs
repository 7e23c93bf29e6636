// tokenward Guard: minting, checks and every denial, lifecycle, events, persistence (sync
// and on the libuv pool), typed errors, and wrong argument types.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'

import {
  Guard,
  TokenwardError,
  ConfigError,
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  SnapshotError,
} from 'tokenward'

const KEY = Buffer.from('host secret key material')
const T0 = 1_767_225_600_000 // 2026-01-01T00:00:00Z in Unix ms
const MINUTE = 60_000

const CONFIG = `
[policies.ci]
subjects = ["ci-runner"]
allow_ips = ["10.0.0.0/8"]
endpoints = ["GET /v1/orders/*", "POST /v1/deploys"]

[policies.limited]
rate_limit = { requests = 2, window = "1m" }
`

const ALLOWED = { subject: 'ci-runner', ip: '10.2.3.4', method: 'GET', path: '/v1/orders/42' }

const newGuard = () => new Guard(CONFIG, { key: KEY })

/** The reasons of a check at T0 + 10 (unless `now` is given); checks allowed agrees. */
function reasons(guard, token, context = {}) {
  const verdict = guard.check(token, { now: T0 + 10, ...context })
  assert.equal(verdict.allowed, verdict.reasons.length === 0)
  return verdict.reasons
}

/** Asserts that `fn` throws an instance of `Class` (a TokenwardError with its code). */
function throwsWith(fn, Class, pattern) {
  let caught
  assert.throws(fn, (err) => {
    caught = err
    return true
  })
  assert.ok(caught instanceof Class, `expected ${Class.name}, got ${caught?.constructor?.name}: ${caught?.message}`)
  assert.ok(caught instanceof TokenwardError)
  assert.equal(caught.code, new Class('x').code)
  if (pattern) assert.match(caught.message, pattern)
  return caught
}

async function rejectsWith(promise, Class, pattern) {
  let caught
  await assert.rejects(promise, (err) => {
    caught = err
    return true
  })
  assert.ok(caught instanceof Class, `expected ${Class.name}, got ${caught?.constructor?.name}: ${caught?.message}`)
  assert.equal(caught.code, new Class('x').code)
  if (pattern) assert.match(caught.message, pattern)
}

test('mint then check allows, with the token id', () => {
  const guard = newGuard()
  const minted = guard.mint({ owner: 'ci', policy: 'ci', now: T0 })
  assert.ok(minted.token.startsWith('tw_'))
  assert.ok(minted.id.startsWith('tid_'))
  assert.equal(guard.tokenId(minted.token), minted.id)
  const verdict = guard.check(minted.token, { ...ALLOWED, now: T0 + 1 })
  assert.equal(verdict.allowed, true)
  assert.deepEqual(verdict.reasons, [])
  assert.equal(verdict.tokenId, minted.id)
  assert.equal(verdict.retryAfterMs, undefined)
  assert.deepEqual(verdict.alerts, [])
  // A Buffer token and a Uint8Array work the same.
  assert.ok(guard.check(Buffer.from(minted.token), { ...ALLOWED, now: T0 + 2 }).allowed)
  assert.ok(guard.check(new TextEncoder().encode(minted.token), { ...ALLOWED, now: T0 + 3 }).allowed)
  assert.equal(guard.size, 1)
})

test('minted tokens differ', () => {
  const guard = newGuard()
  const tokens = new Set(Array.from({ length: 50 }, () => guard.mint({ now: T0 }).token))
  assert.equal(tokens.size, 50)
})

test('now defaults to the wall clock', () => {
  const guard = newGuard()
  const before = Date.now()
  const minted = guard.mint({ expiresAt: before + MINUTE })
  assert.ok(guard.check(minted.token).allowed)
  const info = guard.tokenInfo(minted.id)
  assert.ok(info.issuedAt >= before && info.issuedAt <= Date.now())
  assert.deepEqual(guard.check(minted.token, { now: before + MINUTE }).reasons, ['expired'])
})

test('inspect never shows the key', () => {
  const guard = newGuard()
  const text = inspect(guard)
  assert.ok(!text.includes('host secret'), text)
  assert.match(text, /tokenPrefix: 'tw_', size: 0/)
})

test('denial: revoked', () => {
  const guard = newGuard()
  const minted = guard.mint({ now: T0 })
  assert.equal(guard.revoke(minted.id, { now: T0 + 1 }), true)
  assert.equal(guard.revoke(minted.id, { now: T0 + 2 }), false) // already revoked
  assert.deepEqual(reasons(guard, minted.token), ['revoked'])
})

test('denial: quarantined until released', () => {
  const guard = newGuard()
  const minted = guard.mint({ now: T0 })
  guard.quarantine(minted.id, { now: T0 + 1 })
  assert.deepEqual(reasons(guard, minted.token), ['quarantined'])
  const info = guard.tokenInfo(minted.id)
  assert.equal(info.state, 'quarantined')
  assert.equal(info.stateSince, T0 + 1)
  guard.release(minted.id, { now: T0 + 2 })
  assert.deepEqual(reasons(guard, minted.token), [])
})

test('denial: unknown_token, still with its fingerprint', () => {
  const guard = newGuard()
  const verdict = guard.check('tw_never_registered_token', { now: T0 })
  assert.deepEqual(verdict.reasons, ['unknown_token'])
  assert.equal(verdict.tokenId, guard.tokenId('tw_never_registered_token'))
  assert.deepEqual(guard.check('', { now: T0 }).reasons, ['unknown_token'])
  assert.deepEqual(guard.check('x'.repeat(100_000), { now: T0 }).reasons, ['unknown_token'])
})

test('denial: scope_denied', () => {
  const guard = newGuard()
  const minted = guard.mint({ policy: 'ci', now: T0 })
  assert.deepEqual(reasons(guard, minted.token, { ...ALLOWED, path: '/v1/admin' }), ['scope_denied'])
  assert.deepEqual(reasons(guard, minted.token, { ...ALLOWED, method: 'DELETE' }), ['scope_denied'])
})

test('denial: invalid_path for an encoded slash in the raw path', () => {
  const guard = newGuard()
  const minted = guard.mint({ policy: 'ci', now: T0 })
  const raw = '/v1/orders/..%2fadmin'
  assert.deepEqual(reasons(guard, minted.token, { ...ALLOWED, path: raw }), ['invalid_path'])
  // Also for a token without a policy: the server may route such a path anywhere.
  const open = guard.mint({ now: T0 })
  assert.deepEqual(reasons(guard, open.token, { path: raw }), ['invalid_path'])
  // An encoded ordinary character is canonicalised and allowed.
  assert.deepEqual(reasons(guard, minted.token, { ...ALLOWED, path: '/v1/orders/%34%32' }), [])
})

test('denial: ip_not_allowed, also when the ip is absent (fail closed)', () => {
  const guard = newGuard()
  const minted = guard.mint({ policy: 'ci', now: T0 })
  assert.deepEqual(reasons(guard, minted.token, { ...ALLOWED, ip: '203.0.113.9' }), ['ip_not_allowed'])
  const { ip, ...noIp } = ALLOWED
  assert.deepEqual(reasons(guard, minted.token, noIp), ['ip_not_allowed'])
  assert.deepEqual(reasons(guard, minted.token, { ...ALLOWED, ip: '::ffff:10.1.1.1' }), [])
})

test('an unparsable ip throws InvalidArgumentError without quoting it', () => {
  const guard = newGuard()
  const minted = guard.mint({ policy: 'ci', now: T0 })
  const err = throwsWith(() => guard.check(minted.token, { ...ALLOWED, ip: '10.0.0.999' }), InvalidArgumentError, /ip/)
  assert.ok(!err.message.includes('10.0.0.999'))
})

test('several reasons at once', () => {
  const guard = newGuard()
  const minted = guard.mint({ policy: 'ci', now: T0 })
  const got = reasons(guard, minted.token, { ...ALLOWED, subject: 'eve', ip: '203.0.113.9' })
  assert.deepEqual(new Set(got), new Set(['subject_mismatch', 'ip_not_allowed']))
})

test('denial: rate_exceeded with retryAfterMs', () => {
  const guard = newGuard()
  const minted = guard.mint({ policy: 'limited', now: T0 })
  assert.ok(guard.check(minted.token, { now: T0 + 1_000 }).allowed)
  assert.ok(guard.check(minted.token, { now: T0 + 2_000 }).allowed)
  const denied = guard.check(minted.token, { now: T0 + 2_500 })
  assert.deepEqual(denied.reasons, ['rate_exceeded'])
  // Room again when the first request leaves the one-minute window.
  assert.equal(denied.retryAfterMs, MINUTE + 1_000 - 2_500)
  assert.equal(guard.check(minted.token, { now: T0 + 2_500 + denied.retryAfterMs - 1 }).allowed, false)
  assert.equal(guard.check(minted.token, { now: T0 + 2_500 + denied.retryAfterMs }).allowed, true)
})

test('register and registerId', () => {
  const guard = newGuard()
  const id = guard.register('host-issued-token-1', { owner: 'ops', tags: ['a', 'b'], now: T0 })
  assert.equal(guard.check('host-issued-token-1', { now: T0 + 1 }).tokenId, id)
  const other = guard.tokenId('host-issued-token-2')
  guard.registerId(other, { service: 'billing', expiresAt: T0 + MINUTE, now: T0 })
  const info = guard.tokenInfo(other)
  assert.deepEqual([info.service, info.expiresAt, info.state], ['billing', T0 + MINUTE, 'active'])
  assert.ok(guard.check('host-issued-token-2', { now: T0 + 1 }).allowed)
  throwsWith(() => guard.register('host-issued-token-1', { now: T0 }), ConflictError)
  assert.equal(guard.tokenInfo(guard.tokenId('nobody')), null)
})

test('inline policy objects and setPolicy', () => {
  const guard = newGuard()
  const minted = guard.mint({ policy: { countries: ['DE'] }, now: T0 })
  assert.deepEqual(reasons(guard, minted.token, { country: 'de' }), [])
  assert.deepEqual(reasons(guard, minted.token, { country: 'FR' }), ['country_not_allowed'])
  assert.equal(guard.tokenInfo(minted.id).policy, '<inline>')

  const limited = guard.mint({ policy: 'limited', now: T0 })
  assert.deepEqual(reasons(guard, limited.token, { ip: '203.0.113.9' }), [])
  guard.setPolicy('limited', { allow_ips: ['10.0.0.0/8'] }, { now: T0 + 20 })
  assert.deepEqual(reasons(guard, limited.token, { ip: '203.0.113.9', now: T0 + 30 }), ['ip_not_allowed'])
  guard.setPolicy('limited', 'allow_ips = ["203.0.113.0/24"]', { now: T0 + 40 })
  assert.deepEqual(reasons(guard, limited.token, { ip: '203.0.113.9', now: T0 + 50 }), [])
})

test('revokeWhere is the blast radius', () => {
  const guard = newGuard()
  const laptop = guard.mint({ owner: 'alice', tags: ['laptop'], now: T0 })
  const ci = guard.mint({ owner: 'alice', tags: ['ci'], now: T0 })
  const bob = guard.mint({ owner: 'bob', tags: ['laptop'], now: T0 })
  assert.deepEqual(guard.revokeWhere({ owner: 'alice', tag: 'laptop', now: T0 + 1 }), [laptop.id])
  assert.deepEqual(reasons(guard, laptop.token), ['revoked'])
  assert.deepEqual(reasons(guard, ci.token), [])
  assert.deepEqual(reasons(guard, bob.token), [])
  assert.deepEqual(guard.revokeWhere({ tag: 'laptop', now: T0 + 2 }), [bob.id]) // not laptop again
  assert.deepEqual(guard.revokeWhere({ owner: 'nobody', now: T0 + 3 }), [])
  throwsWith(() => guard.revokeWhere({ now: T0 }), InvalidArgumentError, /selector/)
  throwsWith(() => guard.revokeWhere({}), InvalidArgumentError, /selector/)
  throwsWith(() => guard.revokeWhere(), InvalidArgumentError, /selector/)
})

test('rotate keeps the old token for the grace period (seconds)', () => {
  const guard = newGuard()
  const old = guard.mint({ owner: 'ci', policy: 'ci', now: T0 })
  const next = guard.rotate(old.id, { grace: 60, now: T0 + 1_000 })
  assert.notEqual(next.id, old.id)
  assert.notEqual(next.token, old.token)
  assert.deepEqual(reasons(guard, old.token, { ...ALLOWED, now: T0 + 61_000 - 1 }), [])
  assert.deepEqual(reasons(guard, old.token, { ...ALLOWED, now: T0 + 61_000 }), ['rotated'])
  assert.deepEqual(reasons(guard, next.token, { ...ALLOWED, now: T0 + 61_000 }), [])
  const info = guard.tokenInfo(old.id)
  assert.deepEqual([info.state, info.rotatedTo, info.graceEnd], ['rotated', next.id, T0 + 61_000])
  const nextInfo = guard.tokenInfo(next.id)
  assert.deepEqual([nextInfo.owner, nextInfo.policy], ['ci', 'ci'])
  // Fractions of a second; no grace at all.
  const half = guard.rotate(next.id, { grace: 0.5, now: T0 + 70_000 })
  assert.deepEqual(reasons(guard, next.token, { ...ALLOWED, now: T0 + 70_499 }), [])
  assert.deepEqual(reasons(guard, next.token, { ...ALLOWED, now: T0 + 70_500 }), ['rotated'])
  const last = guard.rotate(half.id, { now: T0 + 80_000 })
  assert.deepEqual(reasons(guard, half.token, { ...ALLOWED, now: T0 + 80_000 }), ['rotated'])
  assert.deepEqual(reasons(guard, last.token, { ...ALLOWED, now: T0 + 80_000 }), [])
  // A bad grace changes nothing.
  for (const grace of [-1, -0.001, NaN, Infinity, 1e300, '60']) {
    throwsWith(() => guard.rotate(last.id, { grace, now: T0 + 90_000 }), InvalidArgumentError, /grace/)
  }
  assert.equal(guard.tokenInfo(last.id).state, 'active')
  throwsWith(() => guard.rotate(old.id, { now: T0 + 90_000 }), ConflictError)
})

test('pendingEvents counts the queued events, which drainEvents then empties', () => {
  const guard = newGuard()
  assert.equal(guard.pendingEvents, 0)
  const minted = guard.mint({ owner: 'ci', now: T0 })
  guard.check('tw_unknown_token_value', { now: T0 + 1 })
  assert.equal(guard.pendingEvents, 2)
  guard.revoke(minted.id, { now: T0 + 2 })
  assert.equal(guard.pendingEvents, 3)
  assert.equal(guard.drainEvents().length, 3)
  assert.equal(guard.pendingEvents, 0)
  // An allowed check of a registered token queues nothing: the middleware skips the drain.
  const other = guard.mint({ now: T0 + 3 })
  guard.drainEvents()
  assert.equal(guard.check(other.token, { now: T0 + 4 }).allowed, true)
  assert.equal(guard.pendingEvents, 0)
})

test('drainEvents: the core JSON shape with chain fields', () => {
  const guard = newGuard()
  const minted = guard.mint({ owner: 'ci', tags: ['x'], now: T0 })
  guard.check('tw_unknown_token_value', { now: T0 + 1 })
  guard.revoke(minted.id, { now: T0 + 2 })
  const events = guard.drainEvents()
  assert.deepEqual(events.map((e) => e.seq), [1, 2, 3])
  assert.equal(events[0].prev_hash, '0'.repeat(64))
  const hashes = events.slice(1).map((e) => e.prev_hash)
  for (const hash of hashes) assert.match(hash, /^[0-9a-f]{64}$/)
  assert.notEqual(hashes[0], '0'.repeat(64))
  assert.equal(new Set(hashes).size, hashes.length)
  assert.deepEqual(events.map((e) => Object.keys(e.kind)), [['minted'], ['denied'], ['revoked']])
  assert.equal(events[0].kind.minted.token, minted.id)
  assert.equal(events[0].kind.minted.meta.owner, 'ci')
  assert.deepEqual(events[1].kind.denied.reasons, ['unknown_token'])
  assert.deepEqual(events[2].kind.revoked, { token: minted.id, cause: null })
  assert.deepEqual(events.map((e) => e.at), [T0, T0 + 1, T0 + 2])
  assert.deepEqual(guard.drainEvents(), [])
  guard.quarantine(guard.mint({ now: T0 + 3 }).id, { now: T0 + 4 })
  assert.deepEqual(guard.drainEvents().map((e) => e.seq), [4, 5])
  // Plain JSON that never holds a raw token.
  assert.ok(!JSON.stringify(events).includes(minted.token))
})

test('snapshot and restore round-trip, sync and async', async () => {
  const guard = newGuard()
  const minted = guard.mint({ owner: 'ops', policy: 'ci', now: T0 })
  const data = guard.snapshot()
  assert.ok(Buffer.isBuffer(data))
  assert.equal(data.indexOf(minted.token), -1)
  assert.deepEqual(await guard.snapshotAsync(), data)
  const copy = newGuard()
  copy.restore(data, { now: T0 + 1 })
  assert.deepEqual(copy.tokenInfo(minted.id), guard.tokenInfo(minted.id))
  assert.deepEqual(reasons(copy, minted.token, ALLOWED), [])
  const asyncCopy = newGuard()
  assert.equal(await asyncCopy.restoreAsync(data, { now: T0 + 1 }), undefined)
  assert.deepEqual(asyncCopy.tokenInfo(minted.id), guard.tokenInfo(minted.id))
})

test('a restore never un-revokes', async () => {
  const guard = newGuard()
  const minted = guard.mint({ now: T0 })
  const quarantined = guard.mint({ now: T0 })
  const before = guard.snapshot() // taken while both were active
  guard.revoke(minted.id, { now: T0 + 1 })
  guard.quarantine(quarantined.id, { now: T0 + 1 })
  guard.restore(before, { now: T0 + 2 })
  assert.deepEqual(reasons(guard, minted.token, { now: T0 + 3 }), ['revoked'])
  assert.deepEqual(reasons(guard, quarantined.token, { now: T0 + 3 }), ['quarantined'])
  await guard.restoreAsync(before, { now: T0 + 4 })
  assert.deepEqual(reasons(guard, minted.token, { now: T0 + 5 }), ['revoked'])
})

test('restore refuses other keys and corrupt data, sync and async', async () => {
  const guard = newGuard()
  guard.mint({ now: T0 })
  const data = guard.snapshot()
  throwsWith(() => new Guard(CONFIG, { key: Buffer.from('another key') }).restore(data, { now: T0 }), SnapshotError)
  throwsWith(() => newGuard().restore(data.subarray(0, -1), { now: T0 }), SnapshotError)
  throwsWith(() => newGuard().restore(Buffer.alloc(0), { now: T0 }), SnapshotError)
  await rejectsWith(newGuard().restoreAsync(Buffer.from('junk'), { now: T0 }), SnapshotError)
  await rejectsWith(newGuard().restoreAsync('junk'), InvalidArgumentError)
  newGuard().restore(new Uint8Array(data), { now: T0 }) // a Uint8Array is fine
})

test('replayEvents catches up a restored guard, sync and async', async () => {
  const guard = newGuard()
  const minted = guard.mint({ now: T0 })
  guard.drainEvents() // written to the audit log
  const backup = guard.snapshot()
  guard.revoke(minted.id, { now: T0 + 1 })
  const sinceBackup = guard.drainEvents()

  const fresh = newGuard()
  fresh.restore(backup, { now: T0 + 2 })
  assert.deepEqual(reasons(fresh, minted.token), [])
  const summary = fresh.replayEvents(sinceBackup, { now: T0 + 3 })
  assert.equal(summary.applied, 1)
  assert.deepEqual(summary.toRegister, [])
  assert.deepEqual(reasons(fresh, minted.token), ['revoked'])
  assert.equal(fresh.replayEvents(sinceBackup, { now: T0 + 4 }).applied, 0) // idempotent

  // JSON lines from an audit log, on the libuv pool.
  const other = newGuard()
  other.restore(backup, { now: T0 + 2 })
  const lines = sinceBackup.map((e) => JSON.stringify(e))
  assert.equal((await other.replayEventsAsync(lines, { now: T0 + 3 })).applied, 1)
  assert.deepEqual(reasons(other, minted.token), ['revoked'])
})

test('replay refuses tampered or malformed events', async () => {
  const guard = newGuard()
  const minted = guard.mint({ now: T0 })
  guard.revoke(minted.id, { now: T0 + 1 })
  guard.quarantine(guard.mint({ now: T0 + 2 }).id, { now: T0 + 3 })
  const events = guard.drainEvents()
  const tampered = events.map((e) => ({ ...e }))
  tampered[1].at += 1
  throwsWith(() => new Guard(null, { key: KEY }).replayEvents(tampered, { now: T0 }), SnapshotError)
  await rejectsWith(new Guard(null, { key: KEY }).replayEventsAsync(tampered, { now: T0 }), SnapshotError)
  throwsWith(() => newGuard().replayEvents([{ seq: 'one' }], { now: T0 }), SnapshotError, /events\[0\]/)
  throwsWith(() => newGuard().replayEvents([1, 2], { now: T0 }), InvalidArgumentError, /events\[0\]/)
  throwsWith(() => newGuard().replayEvents(JSON.stringify(events), { now: T0 }), InvalidArgumentError)
  await rejectsWith(newGuard().replayEventsAsync('x'), InvalidArgumentError)
})

const USAGE_CONFIG = `
[policies.ci]
allow_ips = ["10.0.0.0/8"]

[usage]

[[respond]]
on = "repeated_denials"
action = "quarantine"
`

test('alerts and response rules', () => {
  const guard = new Guard(USAGE_CONFIG, { key: KEY })
  const minted = guard.mint({ policy: 'ci', now: T0 })
  const verdicts = [1, 2, 3, 4, 5, 6, 7].map((i) => guard.check(minted.token, { ip: '203.0.113.9', now: T0 + i }))
  const alerted = verdicts.filter((v) => v.alerts.length > 0)
  assert.ok(alerted.length > 0, 'repeated denials raise an alert')
  const alert = alerted[0].alerts[0]
  assert.deepEqual([alert.kind, alert.tokenId], ['repeated_denials', minted.id])
  assert.ok(['low', 'medium', 'high'].includes(alert.severity))
  assert.ok(Number.isInteger(alert.at))
  assert.ok(Object.keys(alert.evidence).length > 0)
  assert.deepEqual(alerted[0].actions, [{ action: 'quarantine', on: 'repeated_denials' }])
  assert.deepEqual(reasons(guard, minted.token, { ip: '10.1.1.1', now: T0 + 100 }), ['quarantined'])
  const kinds = guard.drainEvents().map((e) => Object.keys(e.kind)[0])
  assert.ok(kinds.includes('alert') && kinds.includes('quarantined'))
})

test('recordOutcome feeds usage and raises error bursts', () => {
  const guard = new Guard('[usage]', { key: KEY })
  const minted = guard.mint({ now: T0 })
  assert.equal(guard.usage(minted.id, { now: T0 }), null) // never checked yet
  assert.ok(guard.check(minted.token, { now: T0 + 1 }).allowed)
  assert.deepEqual(guard.recordOutcome(minted.token, 404, { now: T0 + 2 }), [])
  const stats = guard.usage(minted.id, { now: T0 + 3 })
  assert.equal(stats.fine.total.errors, 1)
  assert.equal(stats.token_id, minted.id)
  assert.equal(stats.total_requests, 1)
  const raised = []
  for (let i = 0; i < 20; i++) {
    // A probe walks many paths (errors on one URL retried are a client, not a burst) and meets
    // a mix of statuses (one status over and over has one honest cause).
    assert.ok(guard.check(minted.token, { method: 'GET', path: `/v1/items/${i}`, now: T0 + 4 + 2 * i }).allowed)
    raised.push(...guard.recordOutcome(minted.token, i % 2 ? 401 : 403, { now: T0 + 5 + 2 * i }))
  }
  assert.deepEqual(raised.map((a) => a.kind), ['error_burst'])
  assert.ok(raised[0].evidence.count >= 6)
  assert.deepEqual(guard.recordOutcome('tw_unknown_token_value', 401, { now: T0 }), [])
  // Without usage tracking there are no statistics.
  const plain = newGuard()
  const other = plain.mint({ now: T0 })
  plain.check(other.token, { now: T0 })
  assert.equal(plain.usage(other.id, { now: T0 }), null)
})

test('Guard.fromFile reads TOML and JSON by extension', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenward-guard-'))
  const toml = join(dir, 'guard.toml')
  writeFileSync(toml, CONFIG)
  const json = join(dir, 'guard.JSON')
  writeFileSync(json, JSON.stringify({ token_prefix: 'acme_', policies: { ro: {} } }))
  const fromToml = Guard.fromFile(toml, { key: KEY })
  assert.ok(fromToml instanceof Guard)
  const minted = fromToml.mint({ policy: 'ci', now: T0 })
  assert.deepEqual(reasons(fromToml, minted.token, ALLOWED), [])
  const fromJson = Guard.fromFile(json, { key: KEY })
  assert.equal(fromJson.tokenPrefix, 'acme_')
  assert.ok(fromJson.mint({ policy: 'ro' }).token.startsWith('acme_'))
  // The JS layer's checks apply to a Guard from a file too.
  throwsWith(() => fromJson.check(42), InvalidArgumentError)
  const yaml = join(dir, 'guard.yaml')
  writeFileSync(yaml, '')
  throwsWith(() => Guard.fromFile(yaml, { key: KEY }), ConfigError, /\.toml or \.json/)
  throwsWith(() => Guard.fromFile(join(dir, 'missing.toml'), { key: KEY }), ConfigError, /cannot read/)
  const bad = join(dir, 'bad.toml')
  writeFileSync(bad, "[policies.ci]\nallow_ips = ['10.0.0.0/33']")
  throwsWith(() => Guard.fromFile(bad, { key: KEY }), ConfigError, /^policies\.ci\.allow_ips\[0\]/)
})

test('object configs, null config, and config errors naming the field path', () => {
  const guard = new Guard({ policies: { ci: { subjects: ['ci-runner'] } } }, { key: KEY })
  const minted = guard.mint({ policy: 'ci', now: T0 })
  assert.deepEqual(reasons(guard, minted.token, { subject: 'someone' }), ['subject_mismatch'])
  assert.equal(new Guard(null, { key: KEY }).tokenPrefix, 'tw_')
  assert.equal(new Guard(undefined, { key: KEY }).tokenPrefix, 'tw_')
  const cases = [
    ["[policies.ci]\nallow_ips = ['10.0.0.0/33']", 'policies.ci.allow_ips[0]'],
    [{ policies: { ci: { endpoints: ['FETCH'] } } }, 'policies.ci.endpoints[0]'],
    [{ policies: { ci: { rate_limit: { requests: 0, window: '1m' } } } }, 'policies.ci.rate_limit'],
    ["token_prefix = 'BAD'", 'token_prefix'],
    ['{"policies": {"ci": {"subjects": "ci-runner"}}}', 'policies.ci.subjects'],
  ]
  for (const [config, path] of cases) {
    const err = throwsWith(() => new Guard(config, { key: KEY }), ConfigError)
    assert.ok(err.message.startsWith(path), err.message)
  }
  throwsWith(() => guard.setPolicy('x', { allow_ips: ['10.0.0.0/8', 'nope'] }), ConfigError, /^policies\.x\.allow_ips\[1\]/)
  throwsWith(() => guard.mint({ policy: { countries: ['Germany'] } }), ConfigError, /^policy\.countries\[0\]/)
  throwsWith(() => guard.mint({ policy: 'no-such-policy' }), NotFoundError)
})

test('error codes of lifecycle calls', () => {
  const guard = newGuard()
  const unknown = guard.tokenId('never-registered')
  throwsWith(() => guard.revoke(unknown), NotFoundError)
  throwsWith(() => guard.quarantine(unknown), NotFoundError)
  throwsWith(() => guard.rotate(unknown), NotFoundError)
  const minted = guard.mint({ now: T0 })
  guard.revoke(minted.id, { now: T0 })
  throwsWith(() => guard.release(minted.id, { now: T0 }), ConflictError)
  throwsWith(() => guard.quarantine(minted.id, { now: T0 }), ConflictError)
  // A raw token passed where an id belongs is refused and not quoted.
  const other = guard.mint({ now: T0 })
  const err = throwsWith(() => guard.revoke(other.token), InvalidArgumentError)
  assert.ok(!err.message.includes(other.token), err.message)
})

test('the key: required, non-empty, a Buffer, never in a message', () => {
  throwsWith(() => new Guard(null, { key: Buffer.alloc(0) }), InvalidArgumentError, /key must not be empty/)
  throwsWith(() => new Guard(null), InvalidArgumentError, /key/)
  throwsWith(() => new Guard(null, {}), InvalidArgumentError, /key/)
  const err = throwsWith(() => new Guard(null, { key: 'a-string-secret' }), InvalidArgumentError, /key/)
  assert.ok(!err.message.includes('a-string-secret'))
  assert.ok(new Guard(null, { key: new Uint8Array([1, 2, 3]) }).mint().token)
  // Different keys give different ids.
  const a = new Guard(null, { key: Buffer.from('a') })
  const b = new Guard(null, { key: Buffer.from('b') })
  assert.notEqual(a.tokenId('tw_x'), b.tokenId('tw_x'))
})

test('wrong argument types throw InvalidArgumentError and never crash', () => {
  const guard = newGuard()
  const minted = guard.mint({ now: T0 })
  const cases = [
    () => new Guard(42, { key: KEY }),
    () => new Guard(['x'], { key: KEY }),
    () => new Guard(null, { key: KEY, extra: 1 }),
    () => Guard.fromFile(42, { key: KEY }),
    () => guard.mint(5),
    () => guard.mint({ owner: 5 }),
    () => guard.mint({ tags: 'laptop' }),
    () => guard.mint({ tags: [1] }),
    () => guard.mint({ policy: 5 }),
    () => guard.mint({ expiresAt: 'tomorrow' }),
    () => guard.mint({ issuedAt: T0 }),
    () => guard.mint({ now: 1.5 }),
    () => guard.mint({ now: NaN }),
    () => guard.mint({ now: Infinity }),
    () => guard.mint({ ownr: 'typo' }),
    () => guard.register(42),
    () => guard.register(Buffer.from('x')),
    () => guard.registerId(null),
    () => guard.registerId('not-an-id'),
    () => guard.check(42),
    () => guard.check(undefined),
    () => guard.check({ token: 'x' }),
    () => guard.check(minted.token, 'ip=1.2.3.4'),
    () => guard.check(minted.token, { ipp: '10.0.0.1' }),
    () => guard.check(minted.token, { ip: 10 }),
    () => guard.check(minted.token, { path: ['/'] }),
    () => guard.check(minted.token, { location: [1] }),
    () => guard.check(minted.token, { location: [1, NaN] }),
    () => guard.check(minted.token, { now: '1' }),
    () => guard.recordOutcome(minted.token, '500'),
    () => guard.recordOutcome(minted.token, 70_000),
    () => guard.recordOutcome(minted.token, -1),
    () => guard.recordOutcome(minted.token, 2.5),
    () => guard.revoke(42),
    () => guard.revoke(minted.id, { when: 1 }),
    () => guard.revokeWhere('alice'),
    () => guard.revokeWhere({ owner: 1 }),
    () => guard.quarantine(undefined),
    () => guard.release({}),
    () => guard.rotate(minted.id, 60),
    () => guard.tokenInfo(7),
    () => guard.tokenInfo('tid_zz'),
    () => guard.setPolicy(1, {}),
    () => guard.setPolicy('x', 5),
    () => guard.setPolicy('x', ['allow_ips']),
    () => guard.restore('bytes'),
    () => guard.replayEvents({}),
    () => guard.usage(5),
    () => guard.tokenId(5),
  ]
  for (const fn of cases) throwsWith(fn, InvalidArgumentError)
  // The Guard still works afterwards.
  assert.ok(guard.check(minted.token, { now: T0 + 1 }).allowed)
})

test('the native layer throws coded errors too', async () => {
  const native = await import('tokenward/native')
  const guard = new native.Guard(null, { key: KEY })
  assert.throws(() => guard.check(minted(guard), { ip: 'nope' }), { code: 'TOKENWARD_INVALID_ARG' })
  assert.throws(() => guard.revoke('tid_00000000000000000000000000000000'), { code: 'TOKENWARD_NOT_FOUND' })
  assert.throws(() => new native.Guard(null, { key: Buffer.alloc(0) }), { code: 'TOKENWARD_INVALID_ARG' })
  await assert.rejects(guard.restoreAsync(Buffer.from('junk')), { code: 'TOKENWARD_SNAPSHOT' })
  assert.throws(() => guard.check(42), (err) => typeof err.code === 'string')
})

function minted(guard) {
  return guard.mint({ now: T0 }).token
}

test('soft expectations inform the detectors and never deny', () => {
  const guard = new Guard('[usage]\n', { key: KEY })
  const expect = { countries: ['DE', 'FR'], networks: ['198.51.100.0/24'], endpoints: ['GET /v1/**'] }
  const { token } = guard.mint({ owner: 'alice', expect, now: T0 })
  guard.register('host-issued-token-with-expectations', { expect, now: T0 })
  const verdict = guard.check(token, { ip: '203.0.113.9', country: 'BR', method: 'POST', path: '/v2/x', now: T0 + 1 })
  assert.ok(verdict.allowed, verdict.reasons.join(','))
  const err = throwsWith(
    () => guard.mint({ expect: { countries: ['DE', 'AKIA7QX2M4RB5KQ3YHV6'] } }),
    ConfigError,
    /expect\.countries\[1\]/,
  )
  assert.ok(!err.message.includes('AKIA'))
  throwsWith(() => guard.mint({ expect: ['DE'] }), InvalidArgumentError, /expect must be an object/)
})
