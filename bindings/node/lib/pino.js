'use strict'

// pino integration: a destination stream that redacts every serialized log line before it
// reaches the real destination. pino calls `write()` once per line with the full JSON text,
// so a secret anywhere in the record (message, bindings, nested fields, error stacks) is
// redacted after serialization, whatever its key.
//
// Two ways in:
// - a transport (pino's usual production set-up, run in a worker thread by thread-stream):
//   `pino.transport({ target: 'tokenward/pino', options: { destination: '/var/log/app.log' } })`.
//   The module itself is the function pino calls in the worker, so it must be the export;
// - a destination wrapper on the main thread: `pino(opts, createPinoDestination(dest))`.

const fs = require('node:fs')
const path = require('node:path')
const { Writable } = require('node:stream')

// A line longer than this without a newline is redacted and passed on in pieces, so a
// producer that never writes '\n' cannot make the destination hold unbounded memory. The
// last OVERLAP characters of such a piece are held back for the next one, and the cut moves
// back to the start of any secret it would split, so a secret across the cut (shorter than
// OVERLAP, as every credential is) is still caught whole.
const MAX_PENDING = 1024 * 1024
const OVERLAP = 64 * 1024

/**
 * Creates a Writable for `pino(options, destination)` that redacts each line and writes it to
 * `dest` (default: process.stdout). Backpressure from `dest` is honoured. Lines split across
 * several writes are joined before redaction, so a secret cut in two is still caught.
 *
 * @param {NodeJS.WritableStream | { write(chunk: string): boolean }} [dest]
 * @param {import('./tokenward').Redactor} [redactor] default: the shared default redactor
 */
function createPinoDestination(dest, redactor) {
  // Loaded here, not at the top, because tokenward.js requires this module while it loads.
  const { defaultRedactor, InvalidArgumentError } = require('./tokenward.js')
  const target = dest === undefined || dest === null ? process.stdout : dest
  if (typeof target !== 'object' || typeof target.write !== 'function') {
    throw new InvalidArgumentError('dest must be a writable stream (an object with write())')
  }
  const engine = redactor === undefined || redactor === null ? defaultRedactor() : redactor
  if (typeof engine.redact !== 'function') {
    throw new InvalidArgumentError('redactor must be a tokenward Redactor')
  }
  return new RedactingDestination(target, engine)
}

class RedactingDestination extends Writable {
  constructor(dest, redactor) {
    super({ decodeStrings: false })
    this.dest = dest
    this.redactor = redactor
    // Text of a line not yet terminated by '\n'.
    this.pending = ''
    if (dest !== process.stdout && dest !== process.stderr && typeof dest.on === 'function') {
      // A failing destination fails this stream too, so pino's writes stop instead of piling up.
      dest.on('error', (err) => this.destroy(err))
    }
  }

  /** Writes out a pending partial line now; pino calls this from `logger.flush()`. */
  flushSync() {
    if (this.pending !== '') {
      const rest = this.pending
      this.pending = ''
      this.dest.write(this.redactor.redact(rest))
    }
    if (typeof this.dest.flushSync === 'function') this.dest.flushSync()
  }

  _write(chunk, encoding, callback) {
    let text = typeof chunk === 'string' ? chunk : chunk.toString('utf8')
    if (this.pending !== '') {
      text = this.pending + text
      this.pending = ''
    }
    const lastNewline = text.lastIndexOf('\n')
    if (lastNewline !== text.length - 1) {
      if (lastNewline === -1 && text.length < MAX_PENDING) {
        this.pending = text
        return callback()
      }
      if (lastNewline !== -1) {
        this.pending = text.slice(lastNewline + 1)
        text = text.slice(0, lastNewline + 1)
      } else {
        const cut = this.safeCut(text, text.length - OVERLAP)
        this.pending = text.slice(cut)
        text = text.slice(0, cut)
      }
    }
    this.forward(this.redactor.redact(text), callback)
  }

  /** Where to cut an overlong line at or before `cut`: not inside a secret the redactor finds
   * in `text`, nor between the halves of a surrogate pair; `text.length` when none is left. */
  safeCut(text, cut) {
    if (typeof this.redactor.find === 'function') {
      for (const found of this.redactor.find(text)) {
        if (found.start < cut && found.end > cut) cut = found.start
      }
    }
    const unit = text.charCodeAt(cut - 1)
    if (unit >= 0xd800 && unit <= 0xdbff) cut -= 1
    // A secret as long as the line: pass it all on, redacted, rather than hold it forever.
    return cut > 0 ? cut : text.length
  }

  _final(callback) {
    const rest = this.pending
    this.pending = ''
    const finish = (err) => {
      if (err) return callback(err)
      // Never end the process's own stdio; end any other destination, as pipe() would.
      if (this.dest === process.stdout || this.dest === process.stderr) return callback()
      endDestination(this.dest, callback)
    }
    if (rest === '') return finish()
    this.forward(this.redactor.redact(rest), finish)
  }

  forward(text, callback) {
    let ok
    try {
      ok = this.dest.write(text)
    } catch (err) {
      return callback(err)
    }
    if (ok === false && typeof this.dest.once === 'function') {
      this.dest.once('drain', () => callback())
    } else {
      callback()
    }
  }
}

/**
 * Ends `dest` and calls `callback` once it has flushed. Node streams and sonic-boom (what
 * `pino.destination()` returns) both signal that with 'finish' (sonic-boom also 'close'), and
 * sonic-boom's end() takes no callback, so wait for the events rather than pass one.
 */
function endDestination(dest, callback) {
  if (typeof dest.end !== 'function') return callback()
  if (typeof dest.once !== 'function') {
    dest.end()
    return callback()
  }
  let called = false
  const done = () => {
    if (called) return
    called = true
    callback()
  }
  dest.once('finish', done)
  dest.once('close', done)
  dest.end()
}

/**
 * The transport pino runs in its worker thread: a redacting destination writing to
 * `options.destination` (a file path, or a file descriptor; default 1, stdout), appended to
 * unless `append` is false, its directory made when `mkdir` is true. `style`, `config` and
 * `fingerprintKey` configure the Redactor (default: the shared default redactor).
 */
async function pinoTransport(options) {
  const { Redactor, InvalidArgumentError } = require('./tokenward.js')
  // Other names are not refused: pino adds its own (`$context`, `pinoWillSendConfig`) and may
  // add more in any release.
  const { destination = 1, append = true, mkdir = false, style, config, fingerprintKey } = options ?? {}
  const redactor =
    style === undefined && config === undefined && fingerprintKey === undefined
      ? undefined
      : new Redactor({ style, config, fingerprintKey })
  let dest
  if (typeof destination === 'number' && Number.isInteger(destination) && destination >= 0) {
    // stdout and stderr are the process's: written directly (a worker's process.stdout is a
    // proxy to the main thread), never closed.
    dest = fs.createWriteStream(null, { fd: destination, autoClose: false })
  } else if (typeof destination === 'string' && destination !== '') {
    if (mkdir) fs.mkdirSync(path.dirname(destination), { recursive: true })
    dest = fs.createWriteStream(destination, { flags: append ? 'a' : 'w' })
  } else {
    throw new InvalidArgumentError('options.destination must be a file path or a file descriptor')
  }
  return createPinoDestination(dest, redactor)
}

module.exports = pinoTransport
module.exports.default = pinoTransport
module.exports.pinoTransport = pinoTransport
module.exports.createPinoDestination = createPinoDestination
module.exports.RedactingDestination = RedactingDestination
