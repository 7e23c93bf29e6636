//! Redaction of chunked input (pipes, sockets, files read in blocks).

use memchr::memmem;

use super::{Finding, Redactor};

/// Redacts a stream given in arbitrary chunks.
///
/// A secret split across chunks is still caught: text is released only up to a point no
/// secret can straddle (the end of the last complete line, or, inside a very long line, a
/// `window` before the end of what has arrived). A private-key block is held until its
/// `-----END` line so it is redacted whole. Memory stays bounded by about three windows,
/// whatever the stream's length.
///
/// ```
/// use tokenward::{Redactor, StreamRedactor};
///
/// let mut stream = StreamRedactor::new(Redactor::new());
/// let mut out = Vec::new();
/// stream.push(b"auth ok key=AKIA7QX2", &mut out);
/// stream.push(b"M4RB5KQ3YHV6\nnext line\n", &mut out);
/// stream.finish(&mut out);
/// assert_eq!(out, b"auth ok key=[REDACTED:aws_access_key_id]\nnext line\n");
/// ```
#[derive(Debug)]
pub struct StreamRedactor {
    redactor: Redactor,
    pending: Vec<u8>,
    window: usize,
}

/// Longer than any built-in rule's match, PEM blocks of 8192-bit RSA keys included.
pub const DEFAULT_WINDOW: usize = 64 * 1024;

impl StreamRedactor {
    /// A stream redactor with the default window (64 KiB).
    pub fn new(redactor: Redactor) -> StreamRedactor {
        StreamRedactor::with_window(redactor, DEFAULT_WINDOW)
    }

    /// A stream redactor holding back at most `window` bytes inside a long line. It must
    /// exceed the longest secret (with its key name) that should be caught.
    pub fn with_window(redactor: Redactor, window: usize) -> StreamRedactor {
        StreamRedactor {
            redactor,
            pending: Vec::new(),
            window: window.max(256),
        }
    }

    /// Adds a chunk and appends to `out` whatever can be released.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        self.pending.extend_from_slice(chunk);
        let (cut, findings) = self.safe_cut();
        if cut > 0 {
            self.release(cut, findings, out);
        }
    }

    /// Ends the stream: redacts and appends everything still held.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        let cut = self.pending.len();
        self.release(cut, None, out);
    }

    /// Bytes held back, waiting for more input.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Redacts `pending[..cut]` into `out` and drops it. `findings`, when the caller already
    /// searched the whole of `pending`, are reused rather than searched for again.
    fn release(&mut self, cut: usize, findings: Option<Vec<Finding>>, out: &mut Vec<u8>) {
        let text = &self.pending[..cut];
        let findings = match findings {
            Some(mut all) => {
                all.retain(|f| f.span.end <= cut);
                all
            }
            None => self.redactor.find_bytes(text),
        };
        self.redactor.write_redacted(text, &findings, out);
        self.pending.drain(..cut);
    }

    /// How much of `pending` can be redacted and released now, with the findings of
    /// `pending` when they had to be searched to decide.
    fn safe_cut(&self) -> (usize, Option<Vec<Finding>>) {
        let buf = &self.pending;
        let mut cut = memchr::memrchr(b'\n', buf).map_or(0, |i| i + 1);
        if let Some(block) = open_key_block(&buf[..cut]) {
            if buf.len() - block < self.window {
                cut = block;
            }
        }
        if cut > 0 || buf.len() < 2 * self.window {
            return (cut, None);
        }
        // One long line: release all but the last window, never cutting through a secret.
        cut = buf.len() - self.window;
        let findings = self.redactor.find_bytes(buf);
        for finding in &findings {
            if finding.span.start < cut && finding.span.end > cut {
                cut = finding.span.start;
            }
        }
        (cut, Some(findings))
    }
}

/// Start of the line holding a `-----BEGIN ...` with no `-----END` after it, if any.
fn open_key_block(text: &[u8]) -> Option<usize> {
    let begin = memmem::rfind(text, b"-----BEGIN")?;
    if memmem::find(&text[begin..], b"-----END").is_some() {
        return None;
    }
    Some(memchr::memrchr(b'\n', &text[..begin]).map_or(0, |i| i + 1))
}
