// guard.attachFleet against a real redis-server: two Guards in one process share their
// lifecycle through it, as two replicas would.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { inspect } from 'node:util'

import { Guard, Fleet, ConfigError, ConflictError, InvalidArgumentError } from 'tokenward'
import { redisSkip, startRedis } from './redis.mjs'

const KEY = Buffer.from('fleet test key shared by every instance')
const CONFIG = { usage: { track_deltas: true } }
const FAST = { deltaInterval: 0.1, block: 0.1 }
const skip = redisSkip()
let redis

before(async () => {
  if (!skip) redis = await startRedis()
})
after(() => redis?.stop())

async function eventually(condition, within = 5000) {
  const deadline = Date.now() + within
  while (!condition()) {
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 5))
  }
  return true
}

test('a revocation on one Guard is denied on the other', { skip }, async () => {
  const a = new Guard(CONFIG, { key: KEY })
  const b = new Guard(CONFIG, { key: KEY })
  const fa = a.attachFleet(redis.url, { prefix: 'revoke', ...FAST })
  const fb = b.attachFleet(redis.url, { prefix: 'revoke', ...FAST })
  try {
    assert.ok(fa instanceof Fleet)
    assert.ok(await eventually(() => fa.health().connected && fb.health().connected))
    const minted = a.mint({ owner: 'alice' })
    // The registration travels too: b learns the token from the stream.
    assert.ok(await eventually(() => b.check(minted.token).allowed))
    assert.equal(a.revoke(minted.id), true)
    assert.equal(await fa.flush(5), true)
    assert.ok(await eventually(() => b.check(minted.token).reasons.join() === 'revoked'))
    const health = fb.health()
    assert.equal(health.connected, true)
    assert.ok(health.appliedEntries >= 2, inspect(health))
    assert.equal(fa.health().queued, 0)
    assert.ok(fa.health().publishedChanges >= 2)
    assert.deepEqual(fa.drainEvents().filter((e) => e.kind === 'connected').length, 1)
    assert.deepEqual(fa.drainEvents(), [])
    assert.equal(inspect(fa), 'Fleet { connected: true }')
  } finally {
    await fa.detach()
    await fb.detach()
  }
  assert.equal(fa.attached, false)
})

test('fleet.revokeWhere reaches tokens held elsewhere', { skip }, async () => {
  const a = new Guard(CONFIG, { key: KEY })
  const b = new Guard(CONFIG, { key: KEY })
  const fa = a.attachFleet(redis.url, { prefix: 'selector', ...FAST })
  const fb = b.attachFleet(redis.url, { prefix: 'selector', ...FAST })
  try {
    assert.ok(await eventually(() => fa.health().connected && fb.health().connected))
    const onB = b.mint({ owner: 'mallory' })
    // Whether a holds the token yet is a race with b's registration; b revokes it either way.
    const here = fa.revokeWhere({ owner: 'mallory' })
    assert.ok(here.length === 0 || (here.length === 1 && here[0] === onB.id), here)
    assert.equal(await fa.flush(), true)
    assert.ok(await eventually(() => b.check(onB.token).reasons.join() === 'revoked'))
  } finally {
    await fa.detach()
    await fb.detach()
  }
})

test('detach stops, and the Guard can attach again', { skip }, async () => {
  const guard = new Guard(CONFIG, { key: KEY })
  const fleet = guard.attachFleet(redis.url, { prefix: 'detach', ...FAST })
  assert.throws(() => guard.attachFleet(redis.url, { prefix: 'detach' }), ConflictError)
  await fleet.detach()
  await fleet.detach() // a second call does nothing
  assert.equal(fleet.attached, false)
  assert.equal(inspect(fleet), 'Fleet { detached }')
  assert.throws(() => fleet.health(), ConflictError)
  await assert.rejects(fleet.flush(), ConflictError)
  const again = guard.attachFleet(redis.url, { prefix: 'detach', ...FAST })
  try {
    assert.ok(await eventually(() => again.health().connected))
  } finally {
    await again.detach()
  }
})

test('an unreachable Redis is a state, not an error; no password shows', async () => {
  // A port bound but not listening: connections are refused.
  const holder = createServer()
  await new Promise((r) => holder.listen(0, '127.0.0.1', r))
  const { port } = holder.address()
  await new Promise((r) => holder.close(r))
  const guard = new Guard(CONFIG, { key: KEY })
  const fleet = guard.attachFleet(`redis://app:hunter2@127.0.0.1:${port}`, {
    connectTimeout: 0.2,
    ...FAST,
  })
  try {
    guard.revoke(guard.mint({ owner: 'alice' }).id)
    assert.equal(await fleet.flush(0.2), false)
    assert.equal(fleet.health().connected, false)
    assert.ok(fleet.health().queued >= 1)
    assert.ok(await eventually(() => fleet.health().lastError !== null && fleet.health().lastError !== undefined))
    const text = inspect(fleet) + JSON.stringify(fleet.health()) + JSON.stringify(fleet.drainEvents())
    assert.ok(!text.includes('hunter2'), text)
  } finally {
    await fleet.detach()
  }
})

test('bad settings throw by kind', () => {
  const guard = new Guard(CONFIG, { key: KEY })
  const url = 'redis://127.0.0.1:1'
  assert.throws(() => guard.attachFleet('http://app:hunter2@127.0.0.1:1'), (err) => {
    assert.ok(err instanceof ConfigError)
    assert.ok(!err.message.includes('hunter2'))
    return true
  })
  assert.throws(() => guard.attachFleet(url, { prefix: 'a{b}' }), InvalidArgumentError)
  assert.throws(() => guard.attachFleet(url, { poll: -1 }), InvalidArgumentError)
  assert.throws(() => guard.attachFleet(url, { block: 0 }), InvalidArgumentError)
  assert.throws(() => guard.attachFleet(url, { deltaInterval: NaN }), InvalidArgumentError)
  assert.throws(() => guard.attachFleet(url, { outboxCapacity: 0 }), InvalidArgumentError)
  assert.throws(() => guard.attachFleet(url, { outboxCapacity: -1 }), InvalidArgumentError)
  assert.throws(() => guard.attachFleet(url, { delta_interval: 1 }), InvalidArgumentError)
  assert.throws(() => guard.attachFleet(42), InvalidArgumentError)
  // The settings the Rust side checks (FleetSettings): a CA file that cannot be read.
  assert.throws(
    () => guard.attachFleet('rediss://127.0.0.1:1', { tlsCaFile: '/nonexistent/ca.pem' }),
    (err) => err instanceof InvalidArgumentError && err.message.includes('tls_ca_file'),
  )
  assert.throws(() => guard.attachFleet(url, { tlsCaFile: 7 }), InvalidArgumentError)
  const noDeltas = new Guard({ usage: {} }, { key: KEY })
  assert.throws(() => noDeltas.attachFleet(url), ConfigError)
})
