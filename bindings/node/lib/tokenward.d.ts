// Types of the package entry point. The Redactor and Guard APIs are declared in ../index.d.ts,
// which `napi build` generates from the Rust source; they are re-exported here unchanged,
// since lib/tokenward.js and lib/guard.js only add argument checks and error classes.

import type { EventEmitter } from 'node:events'
import type { Redactor, GuardOptions, GuardEvent, GatePassage } from '../index'
import { Guard as NativeGuard, Gate as NativeGate } from '../index'
import type { ExpressGuardOptions, ExpressMiddleware } from './express'

export { Redactor, redact, Fleet } from '../index'
export type { Finding, RedactorOptions, RuleInfo } from '../index'
export type {
  ActionTaken,
  Denial,
  GateOptions,
  GatePassage,
  Alert,
  CheckOptions,
  FleetHealth,
  FleetOptions,
  GuardEvent,
  GuardOptions,
  Minted,
  NowOptions,
  Replayed,
  RotateOptions,
  SelectorOptions,
  TokenInfo,
  TokenOptions,
  Verdict,
} from '../index'
/** The fields of an `alert` event (what `guard.on('alert', ...)` receives first). */
export interface AlertEventDetail {
  token: string
  kind: string
  severity: 'low' | 'medium' | 'high' | 'critical'
  evidence: Record<string, unknown>
  actions: string[]
}

/** The fields of a `revoked` or `quarantined` event: `cause` is the alert kind whose response
 * rule stopped the token, `null` when the host did. */
export interface StoppedEventDetail {
  token: string
  cause: string | null
}

/**
 * The Guard (see the native declarations for each method), and an `EventEmitter`: every event
 * `drainEvents()` returns is also emitted, under its kind (`'alert'`, `'quarantined'`,
 * `'revoked'`, `'denied'`, ...) with the kind's fields and the whole event, and as `'event'`.
 * The Express and Fastify middleware drain after each request when the Guard has listeners.
 */
export declare class Guard extends NativeGuard {
  constructor(config: string | Record<string, unknown> | undefined | null, options: GuardOptions)
  static fromFile(path: string, options: GuardOptions): Guard
  /** Express middleware checking every request with this Guard (see `tokenward/express`). */
  express(options?: ExpressGuardOptions): ExpressMiddleware
  on(event: 'alert', listener: (alert: AlertEventDetail, event: GuardEvent) => void): this
  on(event: 'quarantined' | 'revoked', listener: (detail: StoppedEventDetail, event: GuardEvent) => void): this
  on(event: 'event', listener: (event: GuardEvent) => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
  once(event: 'alert', listener: (alert: AlertEventDetail, event: GuardEvent) => void): this
  once(event: 'quarantined' | 'revoked', listener: (detail: StoppedEventDetail, event: GuardEvent) => void): this
  once(event: 'event', listener: (event: GuardEvent) => void): this
  once(event: string | symbol, listener: (...args: any[]) => void): this
}
export interface Guard extends EventEmitter {}

/**
 * The front door of an HTTP app (see the native declarations): `check` reads one request's
 * token, client address and country the one way every tokenward middleware does, checks it
 * with `guard`, and returns `{ exempt, verdict, denial }`. Of `rawHeaders` only the ones in
 * `headerNames` are passed to the addon.
 */
export declare class Gate extends NativeGate {
  check(
    guard: Guard,
    method: string,
    url: string,
    rawHeaders: string[],
    peer?: string | null,
    now?: number | null,
    country?: ((ip: string | null) => string | null | undefined) | null,
  ): GatePassage
}

export { expressGuard, proxiesFromSetting } from './express'
export type { ExpressGuardOptions, ExpressMiddleware } from './express'
export { fastifyGuard } from './fastify'
export type { FastifyGuardOptions } from './fastify'
export { createPinoDestination, RedactingDestination } from './pino'
export type { DestinationLike } from './pino'
export { redactFormat } from './winston'
export type { RedactFormat, RedactFormatOptions } from './winston'

/** The shared default Redactor (built-in catalogue, label style), built on first use. */
export declare function defaultRedactor(): Redactor

/** The `code` of every error tokenward throws. */
export type ErrorCode =
  | 'TOKENWARD_CONFIG'
  | 'TOKENWARD_RULE'
  | 'TOKENWARD_INVALID_ARG'
  | 'TOKENWARD_INTERNAL'
  | 'TOKENWARD_NOT_FOUND'
  | 'TOKENWARD_CONFLICT'
  | 'TOKENWARD_SNAPSHOT'
  | 'TOKENWARD_RANDOM'
  | 'TOKENWARD_ERROR'

/** Base class of every error tokenward throws; `code` is stable, the message is for humans. */
export declare class TokenwardError extends Error {
  constructor(message: string, code?: ErrorCode, options?: ErrorOptions)
  readonly code: ErrorCode
}

/** A configuration document or option value is invalid (`TOKENWARD_CONFIG`). */
export declare class ConfigError extends TokenwardError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'TOKENWARD_CONFIG'
}

/** A rule is malformed, unknown or duplicated (`TOKENWARD_RULE`). */
export declare class RuleError extends TokenwardError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'TOKENWARD_RULE'
}

/** An argument has the wrong type or an impossible value (`TOKENWARD_INVALID_ARG`). */
export declare class InvalidArgumentError extends TokenwardError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'TOKENWARD_INVALID_ARG'
}

/** A bug inside tokenward, caught before it could crash the process (`TOKENWARD_INTERNAL`). */
export declare class InternalError extends TokenwardError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'TOKENWARD_INTERNAL'
}

/** A token or policy the call names does not exist (`TOKENWARD_NOT_FOUND`). */
export declare class NotFoundError extends TokenwardError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'TOKENWARD_NOT_FOUND'
}

/** The call conflicts with the current state (a token registered twice, a revoked token released) (`TOKENWARD_CONFLICT`). */
export declare class ConflictError extends TokenwardError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'TOKENWARD_CONFLICT'
}

/** A snapshot or event chain is corrupt, tampered with, or from another key or version (`TOKENWARD_SNAPSHOT`). */
export declare class SnapshotError extends TokenwardError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'TOKENWARD_SNAPSHOT'
}

/** The operating system's random source failed (`TOKENWARD_RANDOM`). */
export declare class RandomError extends TokenwardError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'TOKENWARD_RANDOM'
}
