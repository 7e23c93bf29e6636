import type { Redactor } from '../index'

/** Options of `redactFormat()`. */
export interface RedactFormatOptions {
  /** The redactor to use; default: the shared default redactor. */
  redactor?: Redactor
}

/** A winston (logform) format: usable alone or inside `winston.format.combine()`. */
export interface RedactFormat {
  options: RedactFormatOptions
  /** Redacts the record in place and returns it. */
  transform<T extends object>(info: T, opts?: unknown): T
}

/**
 * A winston format that redacts `info.message`, every other string field (nested plain
 * objects and arrays are copied, not mutated), splat arguments and the finished line at
 * `info[Symbol.for('message')]`. Put it last in `combine()`.
 */
export declare function redactFormat(options?: RedactFormatOptions): RedactFormat

/** Redacts one winston `info` record in place and returns it. */
export declare function redactRecord<T extends object>(info: T, redactor: Redactor): T
