import type { IncomingMessage, ServerResponse } from 'node:http'
import type { GateOptions, Verdict } from '../index'
import type { Guard } from './tokenward'

/** Options of the Express middleware: the Gate's, and a country lookup. */
export interface ExpressGuardOptions extends GateOptions {
  /**
   * The client's country (ISO 3166-1 alpha-2) for its address, asked when no trusted
   * `countryHeader` gave one; synchronous. An exception it throws fails the request (500).
   */
  countryLookup?: (ip: string | null) => string | null | undefined
}

/** The middleware: Express's `(req, res, next)`, usable with a plain `http` server too. */
export type ExpressMiddleware = (
  req: IncomingMessage & { originalUrl?: string; app?: unknown },
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void

/**
 * Express middleware checking each request's token with `guard`. Without `trustedProxies`,
 * the app's `trust proxy` setting is used when it names addresses (`'loopback'`,
 * `'10.0.0.0/8, 127.0.0.1'`, an array); `true`, a hop count or a function are refused.
 */
export declare function expressGuard(guard: Guard, options?: ExpressGuardOptions): ExpressMiddleware

/** The CIDRs an Express `trust proxy` setting trusts (throws `ConfigError` for one naming no addresses). */
export declare function proxiesFromSetting(setting: unknown): string[]

declare global {
  namespace Express {
    interface Request {
      /** The verdict of the tokenward middleware; null on an exempt path. */
      tokenward?: Verdict | null
    }
  }
}
