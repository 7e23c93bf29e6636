import type { Writable } from 'node:stream'
import type { Redactor } from '../index'

/** Anything with a pino-style `write(line)`: a stream, sonic-boom, `pino.destination()`. */
export interface DestinationLike {
  write(chunk: string): boolean | void
  end?(callback?: () => void): unknown
  once?(event: 'drain', listener: () => void): unknown
  flushSync?(): void
}

/** The Writable returned by `createPinoDestination`. */
export declare class RedactingDestination extends Writable {
  constructor(dest: DestinationLike, redactor: Redactor)
  /** Writes out a pending partial line now (pino calls this from `logger.flush()`). */
  flushSync(): void
}

/**
 * A destination for `pino(options, destination)` that redacts each serialized line before
 * writing it to `dest` (default `process.stdout`) with `redactor` (default: the shared default
 * redactor).
 */
export declare function createPinoDestination(
  dest?: DestinationLike | null,
  redactor?: Redactor | null,
): RedactingDestination

/** Options of the pino transport (`pino.transport({ target: 'tokenward/pino', options })`). */
export interface PinoTransportOptions {
  /** A file path, or a file descriptor (default 1, stdout). */
  destination?: string | number
  /** Append to the file (default true); false truncates it. */
  append?: boolean
  /** Create the file's directory (default false). */
  mkdir?: boolean
  /** The Redactor's style (default: the shared default redactor's). */
  style?: 'mask' | 'prefix' | 'label' | 'fingerprint'
  /** The Redactor's config (TOML or JSON text). */
  config?: string
  /** The key of the fingerprint style. */
  fingerprintKey?: string | Uint8Array
}

/** The function pino calls in its worker thread: a redacting destination for `options`. */
declare function pinoTransport(options?: PinoTransportOptions): Promise<RedactingDestination>
export default pinoTransport
export { pinoTransport }
