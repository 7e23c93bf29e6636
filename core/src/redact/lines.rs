//! Redaction of many lines in one call.
//!
//! A batch is scanned once for what could make any of its lines hold a secret (the first
//! stage's triggers, a terminal escape); lines with none are copied as they are, and only the
//! lines around a trigger are redacted on their own. The per-call costs of a line (the scan's
//! start-up, an allocation, a function call from a binding) are paid once per batch.

use std::borrow::Cow;
use std::ops::Range;

use super::Redactor;

/// The escape byte that opens a terminal control sequence ([`super::ansi`]).
const ESC: u8 = 0x1b;

impl Redactor {
    /// Redacts `text` line by line: the result is what [`redact_bytes`](Self::redact_bytes)
    /// gives for each of its lines (its `\n` included), one after the other. A secret is
    /// thus never found across a line break (a private-key block needs
    /// [`redact_bytes`](Self::redact_bytes) or a [`StreamRedactor`](super::StreamRedactor)).
    /// Returns the input borrowed when nothing was found.
    ///
    /// This is the call for a batch of log lines: the batch is scanned once, and lines that
    /// cannot hold a secret cost no per-line work at all.
    ///
    /// ```
    /// use tokenward::Redactor;
    ///
    /// let redactor = Redactor::new();
    /// let batch = b"GET /health 200\npassword=Tr0ub4dor3\nGET /login 302\n";
    /// assert_eq!(
    ///     redactor.redact_lines(batch).as_ref(),
    ///     b"GET /health 200\npassword=[REDACTED:password_assignment]\nGET /login 302\n",
    /// );
    /// ```
    pub fn redact_lines<'t>(&self, text: &'t [u8]) -> Cow<'t, [u8]> {
        let mut out: Option<Vec<u8>> = None;
        // `text[..copied]` is in `out`, once `out` exists.
        let mut copied = 0;
        let mut at = 0;
        while let Some(line) = self.next_suspect_line(text, at) {
            if let Cow::Owned(redacted) = self.redact_bytes(&text[line.clone()]) {
                let out = out.get_or_insert_with(|| Vec::with_capacity(text.len() + 64));
                out.extend_from_slice(&text[copied..line.start]);
                out.extend_from_slice(&redacted);
                copied = line.end;
            }
            at = line.end;
        }
        match out {
            None => Cow::Borrowed(text),
            Some(mut out) => {
                out.extend_from_slice(&text[copied..]);
                Cow::Owned(out)
            }
        }
    }

    /// Appends `text` redacted line by line to `out`, as [`redact_lines`](Self::redact_lines).
    pub(crate) fn write_lines(&self, text: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(&self.redact_lines(text));
    }

    /// The first line at or after `from` (a line start) that may hold a secret: one holding a
    /// trigger of the first stage or a terminal escape, or any line when some rule runs on
    /// every text. Every other line comes out of [`redact_bytes`](Self::redact_bytes)
    /// unchanged, since its own first stage would find nothing in it.
    fn next_suspect_line(&self, text: &[u8], from: usize) -> Option<Range<usize>> {
        if from >= text.len() {
            return None;
        }
        let at = if self.inner.unanchored.is_empty() {
            let escape = memchr::memchr(ESC, &text[from..]).map(|i| from + i);
            // A trigger in the scanned range lies in a line at or after `from`: where several
            // overlap, the one reported ends first, so no later line is skipped.
            let limit = escape.map_or(text.len(), |e| e + 1);
            let trigger = self.first_trigger_end(&text[..limit], from);
            match (trigger, escape) {
                (Some(t), Some(e)) => t.min(e),
                (Some(t), None) => t,
                (None, Some(e)) => e,
                (None, None) => return None,
            }
        } else {
            from
        };
        let start = memchr::memrchr(b'\n', &text[from..at]).map_or(from, |i| from + i + 1);
        let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i + 1);
        Some(start..end)
    }
}
