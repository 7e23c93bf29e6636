//! Redaction of many lines in one call.
//!
//! A batch is scanned once for what could make any of its lines hold a secret (the first
//! stage's triggers, a terminal escape); lines with none are copied as they are, and only the
//! lines around a trigger are redacted on their own. The per-call costs of a line (the scan's
//! start-up, an allocation, a function call from a binding) are paid once per batch.

use std::borrow::Cow;
use std::ops::Range;

use aho_corasick::Match;

use super::{merge_overlaps, FirstKeyword, Redactor};

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
        let mut suspects = Suspects::default();
        let mut at = 0;
        while let Some((line, first)) = suspects.next_line(self, text, at) {
            if let Cow::Owned(redacted) = self.redact_line(&text[line.clone()], first) {
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

    /// `line` redacted as [`redact_bytes`](Self::redact_bytes) does, given the keyword match
    /// that ends first in it (pattern and end), found by the scan of the batch: its first
    /// stage need not run again.
    fn redact_line<'t>(&self, line: &'t [u8], first: Option<FirstKeyword>) -> Cow<'t, [u8]> {
        // An escape may hide or make a keyword once blanked: such a line starts afresh.
        if first.is_none() || memchr::memchr(ESC, line).is_some() {
            return self.redact_bytes(line);
        }
        let findings = merge_overlaps(self.hits_after(line, first), None);
        if findings.is_empty() {
            return Cow::Borrowed(line);
        }
        let mut out = Vec::with_capacity(line.len() + 16 * findings.len());
        self.write_redacted(line, &findings, &mut out);
        Cow::Owned(out)
    }

    /// Appends `text` redacted line by line to `out`, as [`redact_lines`](Self::redact_lines).
    pub(crate) fn write_lines(&self, text: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(&self.redact_lines(text));
    }
}

/// Where the next trigger of each scan over a batch lies, kept while it lies ahead, so that
/// each scan passes over the batch once whatever the number of lines it holds.
#[derive(Default)]
struct Suspects {
    escape: Ahead<usize>,
    /// One per literal searcher: each scans on only once its own next literal is passed.
    literal: Vec<Ahead<usize>>,
    keyword: Ahead<Match>,
}

impl Suspects {
    /// The first line at or after `from` (a line start) that may hold a secret: one holding a
    /// trigger of the first stage or a terminal escape, or any line when some rule runs on
    /// every text. Every other line comes out of [`Redactor::redact_bytes`] unchanged, since
    /// its own first stage would find nothing in it.
    ///
    /// With the line comes the keyword match that ends first in it (pattern, and end within
    /// the line) when the scan found it there; `None` when the line must be searched afresh.
    fn next_line(
        &mut self,
        r: &Redactor,
        text: &[u8],
        from: usize,
    ) -> Option<(Range<usize>, Option<FirstKeyword>)> {
        if from >= text.len() {
            return None;
        }
        let mut keyword = None;
        let at = if r.runs_everywhere() {
            from
        } else {
            let escape = self.escape.get(
                from,
                |at| *at,
                || memchr::memchr(ESC, &text[from..]).map(|i| from + i),
            );
            self.literal.resize_with(r.literal_scans(), Ahead::default);
            let literal = self
                .literal
                .iter_mut()
                .enumerate()
                .filter_map(|(scan, ahead)| {
                    ahead.get(from, |at| *at, || r.first_literal(scan, text, from))
                })
                .min();
            // Keywords are never empty, so a match holds a byte.
            keyword = self
                .keyword
                .get(from, |m| m.end() - 1, || r.first_keyword(text, from));
            [escape, literal, keyword.map(|m| m.end() - 1)]
                .into_iter()
                .flatten()
                .min()?
        };
        let start = memchr::memrchr(b'\n', &text[from..at]).map_or(from, |i| from + i + 1);
        let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i + 1);
        let first = keyword
            .filter(|m| m.start() >= start && m.end() <= end)
            .map(|m| (m.pattern(), m.end() - start));
        Some((start..end, first))
    }
}

/// The result of one scan from some offset: still the result from any later offset up to
/// where it lies.
struct Ahead<T>(Option<Option<T>>);

impl<T> Default for Ahead<T> {
    fn default() -> Ahead<T> {
        Ahead(None)
    }
}

impl<T: Copy> Ahead<T> {
    fn get(
        &mut self,
        from: usize,
        at: impl Fn(&T) -> usize,
        scan: impl FnOnce() -> Option<T>,
    ) -> Option<T> {
        match self.0 {
            Some(None) => None,
            Some(Some(found)) if at(&found) >= from => Some(found),
            _ => *self.0.insert(scan()),
        }
    }
}
