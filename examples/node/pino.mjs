// A pino logger whose every line is redacted by tokenward before it reaches stdout.
//
// Run (from a fresh checkout; needs Node 18+, npm and Rust):
//   (cd bindings/node && npm ci && npx napi build --platform --release)
//   cd examples/node && npm ci && node pino.mjs
//
// Each line pino prints is JSON in which the GitHub token and the AWS key below appear as
// [REDACTED:github_classic_token] and [REDACTED:aws_access_key_id], wherever they were:
// message, merged object, child bindings or an error's stack.

import pino from 'pino'
import { Redactor, createPinoDestination } from 'tokenward'

// The default redactor labels each secret with its rule; pass your own for another style or
// for config rules:  new Redactor({ style: 'prefix', config: fs.readFileSync('tw.toml', 'utf8') })
const redactor = new Redactor()
const logger = pino({ base: { app: 'billing' } }, createPinoDestination(process.stdout, redactor))

const githubToken = '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'
const awsKey = 'AKIA7QX2M4RB5KQ3YHV6'

logger.info('service started')
logger.info({ user: 'alice', token: githubToken }, 'cloning private repository')
logger.child({ awsKey }).warn('falling back to static credentials')
logger.error(new Error(`GitHub rejected ${githubToken}: bad credentials`), 'sync failed')
logger.info({ status: 200, path: '/health' }, 'request done')
