// Node benchmark: tokenward's redact() against a pure JavaScript RegExp redactor holding the
// same number of patterns, on realistic log lines (mostly clean, some with secrets).
//
// Run after building the addon (see bindings/node/test.sh):
//   node benches/node_redact.mjs [--lines 20000] [--runs 15]
//
// Each run redacts every line once with each contender, in alternating order; the report
// gives the median over runs of the time per line and the ratio of the medians.

import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'

import { redact, defaultRedactor } from '../bindings/node/lib/tokenward.js'

const { values: args } = parseArgs({
  options: {
    lines: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '15' },
  },
})
const LINES = Number(args.lines)
const RUNS = Number(args.runs)

// Typical secret regexes as JavaScript redactors write them (gitleaks / detect-secrets
// style). The first four mirror the rules tokenward's catalogue started with, so the
// baseline looks for the same things; the rest are used when the catalogue holds more rules.
const JS_PATTERNS = [
  /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b/g,
  /\bgh[pousr]_[A-Za-z0-9]{36}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
  /\b(?:password|passwd|pwd|secret|api_?key)["']?\s*[:=]\s*["']?[^\s"',;&]{6,}/gi,
  /\bgithub_pat_[A-Za-z0-9_]{82}\b/g,
  /\bxox[baprs]-[0-9A-Za-z-]{10,72}\b/g,
  /\b[rs]k_(?:live|test)_[0-9A-Za-z]{24,99}\b/g,
  /\bAIza[0-9A-Za-z_-]{35}\b/g,
  /\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}/g,
  /\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,120}/g,
  /\bglpat-[0-9A-Za-z_-]{20}\b/g,
  /\bnpm_[A-Za-z0-9]{36}\b/g,
  /\bSK[0-9a-fA-F]{32}\b/g,
  /\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b/g,
  /-----BEGIN[ A-Z]*PRIVATE KEY-----[\s\S]{0,4096}?-----END[ A-Z]*PRIVATE KEY-----/g,
  /\bBearer\s+[A-Za-z0-9._~+/-]{20,}=*/g,
  /AccountKey=[A-Za-z0-9+/=]{86,88}/g,
  /\bkey-[0-9a-zA-Z]{32}\b/g,
  /\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b/g,
  /\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}/g,
  /\bdop_v1_[a-f0-9]{64}\b/g,
  /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:[^\s:@/]+@/gi,
  /\bsq0atp-[0-9A-Za-z_-]{22}\b/g,
  /\bhf_[A-Za-z]{34}\b/g,
  /\bAC[0-9a-f]{32}\b/g,
  /\bdapi[a-f0-9]{32}\b/g,
  /\bnpm_[A-Za-z0-9]{36}\b/g,
  /\bgho_[A-Za-z0-9]{36}\b/g,
  /\bEAA[A-Za-z0-9]{90,}/g,
  /\bya29\.[0-9A-Za-z_-]{30,}/g,
  /\bASIA[A-Z2-7]{16}\b/g,
  /\bglrt-[0-9A-Za-z_-]{20}\b/g,
  /\bxapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+\b/g,
  /\bsntrys_[A-Za-z0-9+/=_-]{60,}/g,
  /\bdp\.pt\.[a-zA-Z0-9]{43}\b/g,
  /\bpscale_tkn_[a-zA-Z0-9_.-]{43}\b/g,
  /\blin_api_[a-zA-Z0-9]{40}\b/g,
  /\bfigd_[A-Za-z0-9_-]{40}\b/g,
  /\bntn_[0-9]{11}[A-Za-z0-9]{35}\b/g,
  /\bre_[A-Za-z0-9]{8}_[A-Za-z0-9]{24}\b/g,
]

/**
 * As many JS patterns as the catalogue has rules: the hand-written ones first, then, for
 * each further rule, the usual shape of a provider token regex: one of the rule's keywords
 * followed by a run of token characters.
 */
function baselinePatterns(rules) {
  const patterns = JS_PATTERNS.slice(0, rules.length)
  for (const rule of rules.slice(JS_PATTERNS.length)) {
    const keywords = rule.keywords.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    const prefix = keywords.length ? `(?:${keywords.join('|')})` : '\\b'
    patterns.push(new RegExp(`${prefix}[A-Za-z0-9_\\-]{16,128}`, 'g'))
  }
  return patterns
}

/** The JavaScript baseline: one RegExp replace per pattern, as such redactors do. */
function makeJsRedactor(patterns) {
  return (line) => {
    let out = line
    for (const re of patterns) out = out.replace(re, '[REDACTED]')
    return out
  }
}

/** A deterministic PRNG (mulberry32), so every run sees the same lines. */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Realistic lines: access logs and JSON app logs; about 3% carry a secret. */
function makeLines(count) {
  const random = rng(42)
  const pick = (xs) => xs[Math.floor(random() * xs.length)]
  const paths = ['/api/v1/orders', '/health', '/login', '/api/v1/users/8812/profile', '/static/app.js']
  const agents = ['Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0', 'curl/8.5.0', 'okhttp/4.12.0']
  const secrets = [
    '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',
    'AKIA7QX2M4RB5KQ3YHV6',
    'password=Tr0ub4dor3x!',
  ]
  const lines = []
  for (let i = 0; i < count; i++) {
    const ip = `10.${i % 250}.${(i * 7) % 250}.${(i * 13) % 250}`
    let line =
      random() < 0.5
        ? `${ip} - - [22/Nov/2026:10:${String(i % 60).padStart(2, '0')}:07 +0000] "GET ${pick(paths)} HTTP/1.1" ${pick([200, 200, 204, 304, 404, 500])} ${Math.floor(random() * 9000)} "-" "${pick(agents)}"`
        : JSON.stringify({
            level: pick(['info', 'info', 'warn', 'error']),
            time: 1795386012097 + i,
            msg: pick(['request completed', 'cache miss', 'retrying upstream call', 'user signed in']),
            reqId: `req-${(i * 2654435761) % 1e9}`,
            durationMs: Math.floor(random() * 300),
            path: pick(paths),
          })
    if (random() < 0.03) line += ` ${pick(['auth', 'token', 'using'])} ${pick(secrets)}`
    lines.push(line)
  }
  return lines
}

function timeRun(fn, lines) {
  let sink = 0
  const start = performance.now()
  for (let i = 0; i < lines.length; i++) sink += fn(lines[i]).length
  const ns = ((performance.now() - start) * 1e6) / lines.length
  return { ns, sink }
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

function compare(label, contenders, lines) {
  for (const fn of Object.values(contenders)) timeRun(fn, lines) // warm up, JIT
  const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]))
  for (let run = 0; run < RUNS; run++) {
    const order = run % 2 ? Object.keys(contenders).reverse() : Object.keys(contenders)
    for (const name of order) samples[name].push(timeRun(contenders[name], lines).ns)
  }
  const medians = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]))
  console.log(`\n${label}`)
  for (const [name, ns] of Object.entries(medians)) {
    console.log(`  ${name.padEnd(34)} ${ns.toFixed(0).padStart(7)} ns/line (median of ${RUNS})`)
  }
  return medians
}

const lines = makeLines(LINES)
const rules = defaultRedactor().rules()
const jsPatterns = baselinePatterns(rules)
const jsSame = makeJsRedactor(jsPatterns)

// Sanity: both redactors remove the secrets planted in the lines.
for (const line of lines) {
  for (const out of [redact(line), jsSame(line)]) {
    if (out.includes('ghp_Ky9Pf34qY6Nb') || out.includes('AKIA7QX2M4RB5KQ3YHV6')) {
      throw new Error('a contender left a secret in place')
    }
  }
}
const withSecret = lines.filter((l) => redact(l) !== l).length
const avgLen = lines.reduce((a, l) => a + l.length, 0) / lines.length
const n = jsPatterns.length

console.log(`node ${process.version}; ${LINES} lines (avg ${avgLen.toFixed(0)} chars, ${withSecret} with a secret); ${RUNS} runs`)
console.log(
  `tokenward catalogue: ${rules.length} rules; JS baseline: ${n} RegExp patterns ` +
    `(${Math.min(n, JS_PATTERNS.length)} hand-written, ${Math.max(0, n - JS_PATTERNS.length)} derived from rule keywords)`,
)

const same = compare(`same pattern count (${n})`, {
  'tokenward redact()': redact,
  [`JS RegExp redactor (${n} patterns)`]: jsSame,
}, lines)
const [nativeNs, jsNs] = Object.values(same)
console.log(`  ratio: tokenward is ${(jsNs / nativeNs).toFixed(1)}x faster than the JS redactor`)
