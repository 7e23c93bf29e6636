// The Node examples in examples/node run and show what they say: each starts its app on
// loopback, drives it with fetch and exits. Their dependencies are installed by test.sh
// (`npm ci` in examples/node) before this suite runs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const examples = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'node')

function run(file) {
  assert.ok(existsSync(join(examples, 'node_modules')), 'run `npm ci` in examples/node first (test.sh does)')
  return execFileSync(process.execPath, [file], { cwd: examples, encoding: 'utf8', timeout: 60_000 })
}

/** The status each "<what>: <status> <body>" line reports. */
function statuses(out) {
  return Object.fromEntries([...out.matchAll(/^(.+): (\d{3}) /gm)].map((m) => [m[1], Number(m[2])]))
}

test('examples/node/express.mjs', () => {
  const out = run('express.mjs')
  assert.deepEqual(statuses(out), {
    'GET /health (exempt)': 200,
    'GET /v1/orders/7 with the token': 200,
    'GET /v1/orders/7 without a token': 401,
    'DELETE /v1/orders/7 (outside its scope)': 403,
    'GET with a spoofed X-Forwarded-For': 200,
  })
  assert.match(out, /event: denied tid_[0-9a-f]{32} \(scope_denied\)/)
  assert.doesNotMatch(out, /tw_[A-Za-z0-9]{20,}/, 'a raw token was printed')
})

test('examples/node/fastify.mjs', () => {
  const out = run('fastify.mjs')
  const seen = Object.values(statuses(out))
  assert.equal(seen.length, 6)
  const first = seen.indexOf(403)
  assert.ok(first > 0 && seen.slice(first).every((s) => s === 403), `${seen}`)
  assert.match(out, /event: quarantined tid_[0-9a-f]{32}, cause ip_fanout/)
  assert.match(out, /token state: quarantined/)
})
