// Every ```js block of README.md runs, each in its own Node process, with the package resolved
// by its own name (the package's `exports` allow that from inside it). A block that reads
// REDIS_URL (the fleet) gets a redis-server of its own on a free loopback port.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { redisSkip, startRedis } from './redis.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const readme = readFileSync(join(here, '..', '..', '..', 'README.md'), 'utf8')
const blocks = [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1])
const secrets = ['AKIA7QX2M4RB5KQ3YHV6', 'Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IL']

test('the README has Node examples', () => {
  assert.ok(blocks.length >= 4, `${blocks.length} blocks`)
})

blocks.forEach((code, i) => {
  const needsRedis = code.includes('REDIS_URL')
  const skip = needsRedis ? redisSkip() : false
  test(`README js block ${i} runs and prints no secret`, { skip }, async () => {
    // Inside the package folder, so `tokenward`, pino and winston resolve.
    const dir = mkdtempSync(join(here, '.readme-'))
    const redis = needsRedis ? await startRedis() : undefined
    try {
      const file = join(dir, /^import /m.test(code) ? 'block.mjs' : 'block.cjs')
      writeFileSync(file, code)
      const env = redis ? { ...process.env, REDIS_URL: redis.url } : process.env
      const out = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000, env })
      for (const secret of secrets) assert.ok(!out.includes(secret), out)
    } finally {
      redis?.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
