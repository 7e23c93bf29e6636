import type { FastifyPluginCallback } from 'fastify'
import type { GateOptions, Verdict } from '../index'
import type { Guard } from './tokenward'

/** Options of the Fastify plugin: the Guard, the Gate's options, and a country lookup. */
export interface FastifyGuardOptions extends GateOptions {
  /** The Guard that checks every request. */
  guard: Guard
  /**
   * The client's country (ISO 3166-1 alpha-2) for its address, asked when no trusted
   * `countryHeader` gave one; synchronous. An exception it throws fails the request (500).
   */
  countryLookup?: (ip: string | null) => string | null | undefined
}

/**
 * The Fastify plugin: `app.register(fastifyGuard, { guard, trustedProxies, exemptPaths })`.
 * Checks in `onRequest`, records the response status in `onResponse`; applies to the whole
 * app (not encapsulated). Fastify's `trustProxy` is not visible to plugins: give
 * `trustedProxies`.
 */
declare const fastifyGuard: FastifyPluginCallback<FastifyGuardOptions>
export default fastifyGuard
export { fastifyGuard }

declare module 'fastify' {
  interface FastifyRequest {
    /** The verdict of the tokenward plugin; null on an exempt path or a request without a token. */
    tokenward: Verdict | null
  }
}
