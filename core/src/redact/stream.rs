//! Redaction of chunked input (pipes, sockets, files read in blocks).

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use memchr::memmem;

use super::{merge_overlaps, Finding, Hit, Redactor};

/// Redacts a stream given in arbitrary chunks.
///
/// A secret split across chunks is still caught: text is released only up to a point no
/// secret can straddle. That is the end of the last complete line, so a stream of lines
/// shorter than two windows comes out exactly as [`Redactor::redact_bytes`] would write the
/// whole text. A private-key block is held from its first open `-----BEGIN` line until its
/// `-----END` line, so it is redacted whole.
///
/// Inside a line longer than that, text is released up to about a `window` before the end of
/// what has arrived, at a point outside every match (a key name with its value, a token, a
/// key block), and secrets already found past that point stay redacted when released, though
/// their context has gone. Where no such point is near enough (one secret longer than a
/// window), the secret is masked on both sides of the cut, and what may continue it after the
/// cut too. Memory stays bounded by about three windows, whatever the stream's length.
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
pub struct StreamRedactor {
    redactor: Redactor,
    pending: Vec<u8>,
    window: usize,
    /// Secrets found in `pending` while their context (a key name, a command before them)
    /// was still held; kept so that they are redacted once that context has been released.
    carried: Vec<Finding>,
    /// A secret released unfinished that may go on in `pending`.
    open: Option<Open>,
}

/// A secret released unfinished (cut through inside a long line, or a key block held past the
/// window): what follows it in the stream, as far as it can continue it, is masked too.
struct Open {
    rule: Arc<str>,
    /// Offset in `pending` from which it may go on.
    from: usize,
    /// Whether `from` is just after a byte of the secret, not at a line start: a dash there
    /// continues a token, where at a line start it opens a `-----END` line.
    mid_token: bool,
}

impl fmt::Debug for StreamRedactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Held bytes are unredacted input, and carried findings point into them: only sizes.
        f.debug_struct("StreamRedactor")
            .field("redactor", &self.redactor)
            .field("window", &self.window)
            .field("pending", &self.pending.len())
            .field("carried", &self.carried.len())
            .field("open", &self.open.is_some())
            .finish()
    }
}

/// Longer than any built-in rule's match, PEM blocks of 8192-bit RSA keys included.
const DEFAULT_WINDOW: usize = 64 * 1024;

/// The smallest window: room for any key name with a token.
const MIN_WINDOW: usize = 256;

/// The largest window: three of them (what may be held) still fit in memory's address range.
const MAX_WINDOW: usize = isize::MAX as usize / 4;

impl StreamRedactor {
    /// A stream redactor with the default window (64 KiB).
    pub fn new(redactor: Redactor) -> StreamRedactor {
        StreamRedactor::with_window(redactor, DEFAULT_WINDOW)
    }

    /// A stream redactor holding back about `window` bytes inside a long line. It must
    /// exceed the longest secret (with its key name) that should be found as in whole text.
    /// Values below 256 bytes are raised to 256, and values above `isize::MAX / 4` lowered to
    /// that, so any `usize` is accepted.
    ///
    /// ```
    /// use tokenward::{Redactor, StreamRedactor};
    ///
    /// let mut stream = StreamRedactor::with_window(Redactor::new(), usize::MAX);
    /// let mut out = Vec::new();
    /// stream.push(b"password=Tr0ub4dor3\n", &mut out);
    /// assert_eq!(out, b"password=[REDACTED:password_assignment]\n");
    /// ```
    pub fn with_window(redactor: Redactor, window: usize) -> StreamRedactor {
        StreamRedactor {
            redactor,
            pending: Vec::new(),
            window: window.clamp(MIN_WINDOW, MAX_WINDOW),
            carried: Vec::new(),
            open: None,
        }
    }

    /// Adds a chunk and appends to `out` whatever can be released.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        self.pending.extend_from_slice(chunk);
        // One chunk may hold many windows of one line: release until what is held is bounded.
        loop {
            let held = self.pending.len();
            self.release_ready(out);
            if self.pending.len() == held || self.pending.len() < 2 * self.window {
                break;
            }
        }
    }

    /// Adds a chunk whose lines are each redacted on their own, as
    /// [`Redactor::redact_lines`] does, except a private-key block, which is held from its
    /// `-----BEGIN` line and redacted whole. The output then does not depend on how the input
    /// was split into chunks, and a rule's pattern runs only on the lines that call for it.
    ///
    /// The complete lines of a chunk go out as one batch while nothing is held; a line
    /// opening a key block, and what follows it while the block is held, go through
    /// [`push`](Self::push).
    ///
    /// ```
    /// use tokenward::{Redactor, StreamRedactor};
    ///
    /// let mut stream = StreamRedactor::new(Redactor::new());
    /// let mut out = Vec::new();
    /// stream.push_lines(b"GET /health 200\npassword=Tr0ub4dor3\nGET /lo", &mut out);
    /// stream.push_lines(b"gin 302\n", &mut out);
    /// stream.finish(&mut out);
    /// let expected = "GET /health 200\npassword=[REDACTED:password_assignment]\nGET /login 302\n";
    /// assert_eq!(out, expected.as_bytes());
    /// ```
    pub fn push_lines(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        let mut rest = chunk;
        while !rest.is_empty() {
            if self.is_idle() {
                let batch = batch_len(rest);
                if batch > 0 {
                    self.redactor.write_lines(&rest[..batch], out);
                    rest = &rest[batch..];
                    continue;
                }
            }
            let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |newline| newline + 1);
            self.push(&rest[..end], out);
            rest = &rest[end..];
            // Text held past a line end (an open key block waiting for its END line): the rest
            // goes in at once, since line by line every push would rescan what is held.
            if self.pending() > 0 && !rest.is_empty() {
                self.push(rest, out);
                return;
            }
        }
    }

    /// Whether nothing is held or carried, so that a complete line pushed now comes out as
    /// [`Redactor::redact_bytes`] writes it.
    fn is_idle(&self) -> bool {
        self.pending.is_empty() && self.carried.is_empty() && self.open.is_none()
    }

    /// Ends the stream: redacts and appends everything still held.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        let cut = self.pending.len();
        self.release(cut, None, out);
        self.open = None;
    }

    /// Bytes held back, waiting for more input.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Releases what can be released now: complete lines, or part of a long line.
    fn release_ready(&mut self, out: &mut Vec<u8>) {
        let buf = &self.pending;
        let line_end = memchr::memrchr(b'\n', buf).map_or(0, |i| i + 1);
        let mut cut = line_end;
        let mut expired_block = None;
        if let Some(block) = open_key_block(&buf[..line_end]) {
            // A block's age counts from its `-----BEGIN`, not from the start of its line: a
            // long line before the header must not release the header without its body.
            // While a header is young, everything from the first open block is held; past two
            // windows, from the young header's line, moved back over every line that holds a
            // header (its body may be the next line), so no header goes out without its body.
            let young = memmem::find_iter(&buf[block..line_end], b"-----BEGIN")
                .map(|i| block + i)
                .find(|&begin| buf.len() - begin < self.window);
            if let Some(begin) = young {
                cut = if buf.len() - block < 2 * self.window {
                    block
                } else {
                    line_holding_headers(buf, begin)
                };
            } else {
                // Every block is old: out they go, but not a last header without the line
                // of its body.
                cut = line_holding_headers(buf, line_end);
                // The last block's header line: the key that may go on starts there.
                // (The walk back over header lines may end before `block`.)
                let last = memmem::rfind(&buf[..cut], b"-----BEGIN").unwrap_or(block.min(cut));
                let start = memchr::memrchr(b'\n', &buf[..last]).map_or(0, |i| i + 1);
                let header_end =
                    memchr::memchr(b'\n', &buf[last..]).map_or(buf.len(), |i| last + i);
                expired_block = Some(start..header_end);
            }
        }
        if cut == 0 && buf.len() >= 2 * self.window {
            return self.release_long_line(out);
        }
        if cut == 0 {
            return;
        }
        let tail = self.release(cut, None, out);
        // A key block held longer than the window goes out unfinished: its body goes on in
        // the lines to come, which no longer follow a header, so they are masked as it.
        // Only the key's own finding goes on: a later one on the same lines (a token after the
        // cut-short body) ends where whole-text redaction ends it.
        if let (Some(header), Some(tail)) = (expired_block, tail) {
            if header.contains(&tail.span.start) {
                self.open = Some(Open {
                    rule: tail.rule,
                    from: 0,
                    mid_token: false,
                });
            }
        }
    }

    /// Releases all but about the last window of one long line, at a point outside every
    /// match and every word; where no such point is near enough (a secret or a word longer
    /// than a window, which may be a secret not yet found whole), through it, masking it on
    /// both sides of the cut.
    fn release_long_line(&mut self, out: &mut Vec<u8>) {
        let len = self.pending.len();
        let (mut findings, reach) = self.redactor.find_with_reach(&self.pending);
        let target = len - self.window;
        let cut = safe_cut(&self.pending, &findings, &reach, target);
        if len - cut <= 2 * self.window {
            self.release(cut, Some(findings), out);
            return;
        }
        let word = word_around(&self.pending, target);
        let through = findings
            .iter()
            .find(|f| f.span.start < target && f.span.end > target);
        let rule = through.map_or_else(|| Arc::from(LONG_WORD), |f| f.rule.clone());
        // What may go on past what has arrived: the secret or the word reaching the end.
        let open = through.is_some_and(|f| f.span.end == len) || word.end == len;
        if !word.is_empty() {
            findings.push(Finding {
                rule: rule.clone(),
                span: word.clone(),
                secret_span: word,
                verified: false,
            });
        }
        // What lies past the cut is carried (see `release`).
        self.release(target, Some(merge_findings(findings)), out);
        if open {
            self.open = Some(Open {
                rule,
                from: len - target,
                mid_token: true,
            });
        }
    }

    /// Redacts `pending[..cut]` into `out` and drops it. `found` are the findings of
    /// `pending` when the caller already searched it (else `pending[..cut]` is searched);
    /// carried findings and the continuation of an open secret are added to them. A finding
    /// that runs past `cut` is masked up to it and its rest carried. Returns the last finding
    /// released when only whitespace or dashes follow it in the released text.
    fn release(
        &mut self,
        cut: usize,
        found: Option<Vec<Finding>>,
        out: &mut Vec<u8>,
    ) -> Option<Finding> {
        let mut findings = found.unwrap_or_else(|| self.redactor.find_bytes(&self.pending[..cut]));
        // Findings of one search are already merged; only added ones call for merging again.
        let added = !self.carried.is_empty() || self.open.is_some();
        findings.append(&mut self.carried);
        if let Some(open) = self.open.take() {
            let from = open.from;
            let (len, exhausted) = continuation(&self.pending[from..], open.mid_token);
            let end = from + len;
            if end > from {
                findings.push(Finding {
                    rule: open.rule.clone(),
                    span: from..end,
                    secret_span: from..end,
                    verified: false,
                });
            }
            // All that has arrived may continue it: so may what comes next.
            if exhausted {
                self.open = Some(Open {
                    from: end.saturating_sub(cut),
                    mid_token: end >= cut,
                    rule: open.rule,
                });
            }
        }
        if added {
            findings = merge_findings(findings);
        }
        let (now, later) = split_at(findings, cut);
        let text = &self.pending[..cut];
        self.redactor.write_redacted(text, &now, out);
        // Only whitespace, or a broken marker (`Y-----`), may follow a key whose body goes on.
        let tail = now
            .last()
            .filter(|f| {
                text[f.span.end..]
                    .iter()
                    .all(|b| b.is_ascii_whitespace() || *b == b'-')
            })
            .cloned();
        self.pending.drain(..cut);
        self.carried = later;
        tail
    }
}

/// The length of the complete lines at the start of `text` before the first line holding a
/// `-----BEGIN` (which may open a key block, to be held until its END line).
fn batch_len(text: &[u8]) -> usize {
    let before = memmem::find(text, b"-----BEGIN").unwrap_or(text.len());
    memchr::memrchr(b'\n', &text[..before]).map_or(0, |newline| newline + 1)
}

/// The label of a word longer than a window, masked where a cut had to go through it.
const LONG_WORD: &str = "long_word";

/// The last point at or before `target` inside no match and no word of `text`.
fn safe_cut(text: &[u8], findings: &[Finding], reach: &[usize], target: usize) -> usize {
    let mut cut = target;
    loop {
        let moved = word_around(text, outside_matches(findings, reach, cut)).start;
        if moved == cut {
            return cut;
        }
        cut = moved;
    }
}

/// The run of token bytes that `at` falls inside of (empty at `at` when it is between two
/// runs): a cut there could split a secret not yet found whole.
fn word_around(text: &[u8], at: usize) -> Range<usize> {
    let is_word = |b: &u8| is_secret_byte(*b) || *b == b'-';
    let before = text[..at].iter().rev().take_while(|b| is_word(b)).count();
    let after = text[at..].iter().take_while(|b| is_word(b)).count();
    if before == 0 || after == 0 {
        return at..at;
    }
    at - before..at + after
}

/// The last point at or before `target` inside no match: not between a finding's `reach`
/// (where its match began, at its key name) and its end, so a key is never released
/// without its value nor a value without its key. Findings are sorted and disjoint.
fn outside_matches(findings: &[Finding], reach: &[usize], target: usize) -> usize {
    let mut cut = target;
    for (finding, &start) in findings.iter().zip(reach).rev() {
        if finding.span.end <= cut {
            // Ends only grow with the index, so no earlier match reaches the cut either.
            break;
        }
        if start < cut {
            cut = start;
        }
    }
    cut
}

/// Findings (each already merged, from several sources) merged again, sorted and disjoint.
fn merge_findings(findings: Vec<Finding>) -> Vec<Finding> {
    let hits = findings
        .into_iter()
        .map(|finding| Hit {
            reach: finding.span.start,
            finding,
            generic: false,
        })
        .collect();
    merge_overlaps(hits, None)
}

/// Splits sorted findings at `cut`: those released now, clipped to it, and those (or the
/// parts of them) past it, shifted to offsets after the cut.
fn split_at(findings: Vec<Finding>, cut: usize) -> (Vec<Finding>, Vec<Finding>) {
    let mut now = Vec::new();
    let mut later = Vec::new();
    for finding in findings {
        if finding.span.start < cut {
            let mut head = finding.clone();
            head.span.end = head.span.end.min(cut);
            head.secret_span.start = head.secret_span.start.min(head.span.end);
            head.secret_span.end = head.secret_span.end.min(cut);
            now.push(head);
        }
        if finding.span.end > cut {
            let start = finding.span.start.max(cut) - cut;
            let end = finding.span.end - cut;
            let secret_start = finding.secret_span.start.clamp(cut, finding.span.end) - cut;
            later.push(Finding {
                rule: finding.rule,
                span: start..end,
                secret_span: secret_start..end,
                verified: finding.verified,
            });
        }
    }
    (now, later)
}

/// Start of the line holding `at`, moved back over each line before it that holds a
/// `-----BEGIN`: a header's body starts on the line after it.
fn line_holding_headers(text: &[u8], at: usize) -> usize {
    let line_start = |at: usize| memchr::memrchr(b'\n', &text[..at]).map_or(0, |i| i + 1);
    let mut start = line_start(at);
    while start > 0 {
        let previous = line_start(start - 1);
        if memmem::find(&text[previous..start], b"-----BEGIN").is_none() {
            break;
        }
        start = previous;
    }
    start
}

/// Start of the line holding the first `-----BEGIN` after the last `-----END`, if any: the
/// first block still open, so that a key block opened before another is held too.
fn open_key_block(text: &[u8]) -> Option<usize> {
    let after_end = memmem::rfind(text, b"-----END").map_or(0, |i| i + 1);
    let begin = after_end + memmem::find(&text[after_end..], b"-----BEGIN")?;
    Some(memchr::memrchr(b'\n', &text[..begin]).map_or(0, |i| i + 1))
}

/// The length of the run at the start of `text` that may continue a secret cut through:
/// bytes that can occur in a token or a key body, lines of them (literal `\n` escapes
/// too), up to a blank, a quote or bracket, or a line opening with `-` (a `-----END`).
/// It ends on a secret byte, so a line break after the secret stays. Also whether the run
/// reached the end of `text`, so that it may go on in what comes next.
fn continuation(text: &[u8], mid_token: bool) -> (usize, bool) {
    let mut at = if mid_token {
        text.iter().take_while(|&&b| b == b'-').count()
    } else {
        0
    };
    let mut end = at;
    loop {
        match &text[at..] {
            [b'\\', b'r' | b'n', ..] => at += 2,
            [b'\r', b'\n', ..] | [b'\n', ..] => {
                at += if text[at] == b'\r' { 2 } else { 1 };
                at += text[at..]
                    .iter()
                    .take_while(|&&b| b == b' ' || b == b'\t')
                    .count();
            }
            [b, ..] if is_secret_byte(*b) => {
                at += 1;
                at += text[at..].iter().take_while(|&&b| b == b'-').count();
                end = at;
            }
            [] => return (end, true),
            _ => return (end, false),
        }
    }
}

/// Whether `b` can be part of a token, a password or a key body.
fn is_secret_byte(b: u8) -> bool {
    !(b.is_ascii_whitespace()
        || b.is_ascii_control()
        || matches!(
            b,
            b'"' | b'\''
                | b'`'
                | b'<'
                | b'>'
                | b'&'
                | b';'
                | b','
                | b'('
                | b')'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'|'
                | b'\\'
                | b'-'
        ))
}

#[cfg(test)]
mod tests;
