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

export { out, bytes, later, first, rules, style, helper, shared }
