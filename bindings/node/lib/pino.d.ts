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
