//! The `key = value` grammar, and the value of such a match read by hand.
//!
//! The grammar lives with the engine, not the catalogue, because the engine implements it twice
//! over: a catalogue rule written as [`assignment_key_open!`] + key words + [`assignment_tail!`]
//! ([`is_assignment`] tells) has its groups resolved on the part after the key (the tail: an
//! optional closing quote of the key and a separator, or a subscript's `]` and `=`, then a
//! value). The capture
//! engine that does this costs a few thousand instructions per match, more than the rest of a
//! line's work. Most values are plain: bare (`password=hunter2`), or quoted with nothing
//! escaped (`"token": "abc"`, `\"token\": \"abc\"`). For those, [`read_value`] follows the
//! pattern's own order of alternatives byte by byte, and gives up (`None`) wherever that order
//! would take more than a glance: escapes inside a quoted value, an unknown shape. The engine
//! then captures as before, so giving up costs nothing but time.

/// A value after a key: double-quoted (`"..."`, `\"...\"`; a missing closing quote ends at the
/// end of the line), single-quoted, or bare. A bare value stops at whitespace, quotes, `,`, `;`,
/// `&`, `<`, `>` and `\` (a literal `\n` in an escaped string) and does not end with a closing
/// bracket (the end of a call or a map), a colon (`?token=X: 401`) or a slash (git's
/// `Authentication failed for 'https://host/?token=X/'`); `$not_first` lists characters it may not start with
/// (`-` after a flag, where it is the next flag).
macro_rules! value {
    ($not_first:expr) => {
        concat!(
            r#"(?:\\{0,3}"(?P<secret_dq>(?:[^"\\\r\n]|\\[^"\r\n])+)(?:\\{0,3}"|\r|(?m:$))|'(?P<secret_sq>[^'\r\n]+)(?:'|\r|(?m:$))|(?P<secret>[^\s"'`,;&<>\\"#,
            $not_first,
            r#"](?:[^\s"'`,;&<>\\]*[^\s"'`,;&<>\\)}\]:/])?))"#
        )
    };
}

/// What follows the key of an assignment rule: the key's closing quote, a separator and the
/// value; or the closing bracket of a subscript and `=` (`config['SECRET_KEY'] = ...`,
/// `$cfg["db_password"] = ...`; not `input[type="password"]:focus`). The key is a run of
/// `[A-Za-z0-9_.-]` and the tail starts with none of them, so the engine can resolve groups
/// on the tail alone.
macro_rules! assignment_tail {
    () => {
        concat!(
            r#"(?i-u)(?:\\{0,3}["'])?(?:\][ \t]*=|[ \t]*(?:=>|:=|[:=]))[ \t]*"#,
            value!("")
        )
    };
}

/// The tail of every assignment rule, compiled on its own to resolve groups; [`read_value`]
/// reads plain values of this grammar without the capture engine.
pub(crate) const TAIL: &str = assignment_tail!();

/// How an assignment rule's pattern opens: a case-insensitive `key` group of
/// `[A-Za-z0-9_.-]` ending in one of the rule's key words (which the rule supplies, then closes
/// the group).
macro_rules! assignment_key_open {
    () => {
        r#"(?i-u)(?P<key>[a-z0-9_.\-]*(?:"#
    };
}

/// Whether `pattern` is written in the assignment grammar (key group, then [`TAIL`]), so its
/// groups can be resolved on the tail alone.
pub(crate) fn is_assignment(pattern: &str) -> bool {
    pattern.starts_with(assignment_key_open!()) && pattern.ends_with(TAIL)
}

use std::ops::Range;

/// What a value alternative found at one place.
enum Value {
    /// The secret's span and the end of the value, closing quote included.
    Found(Range<usize>, usize),
    /// No value alternative matches here.
    Absent,
    /// The reader cannot tell without the capture engine.
    Unsure,
}

/// The secret of the assignment whose key ends at `key_end` and whose match ends at `end`,
/// as the assignment tail's groups place it; `None` where the capture engine must decide.
pub(crate) fn read_value(text: &[u8], key_end: usize, end: usize) -> Option<Range<usize>> {
    let (at, subscript) = key_closed(text, key_end)?;
    let at = skip_blanks(text, at);
    // `(?:=>|:=|[:=])`, in the order the alternation tries them: after `:=` fails to lead to a
    // value, `:` is tried with the value starting at `=`. After a subscript, `=` alone.
    let separators: &[usize] = match (text.get(at), text.get(at + 1)) {
        (Some(b'='), _) if subscript => &[1],
        _ if subscript => return None,
        (Some(b'='), Some(b'>')) | (Some(b':'), Some(b'=')) => &[2, 1],
        (Some(b':' | b'='), _) => &[1],
        _ => return None,
    };
    for &len in separators {
        // The blanks are skipped greedily; giving one back never helps, as no value starts
        // with a blank.
        match value_at(text, skip_blanks(text, at + len)) {
            Value::Found(secret, value_end) => return (value_end == end).then_some(secret),
            Value::Absent => continue,
            Value::Unsure => return None,
        }
    }
    None
}

/// The value alternatives at `at`, in their order: double-quoted, single-quoted, bare.
fn value_at(text: &[u8], at: usize) -> Value {
    match text.get(at) {
        Some(b'"' | b'\\') => double_quoted(text, at),
        Some(b'\'') => single_quoted(text, at + 1),
        Some(&b) if is_bare(b) => {
            // `[bare](?:[bare]*[bare_last])?`: the longest run that ends on a byte allowed last.
            let run = text[at..].iter().take_while(|&&b| is_bare(b)).count();
            let len = text[at + 1..at + run]
                .iter()
                .rposition(|&b| may_end_bare(b))
                .map_or(1, |last| last + 2);
            Value::Found(at..at + len, at + len)
        }
        _ => Value::Absent,
    }
}

/// `\\{0,3}"(?:[^"\\\r\n]|\\[^"\r\n])+(?:\\{0,3}"|\r|$)`, read only where the content holds no
/// backslash, or ends at an escaped closing quote (`\"abc\"`).
fn double_quoted(text: &[u8], at: usize) -> Value {
    let slashes = backslashes(text, at);
    if text.get(at + slashes) != Some(&b'"') {
        // Neither quoted form starts here, and a bare value cannot start with `\`.
        return Value::Absent;
    }
    let start = at + slashes + 1;
    let content = run_until(text, start, |b| matches!(b, b'"' | b'\\' | b'\r' | b'\n'));
    let end = start + content;
    match (text.get(end), text.get(end + 1)) {
        // An escaped character: the content may go on, or the closing quote may be escaped.
        (Some(b'\\'), Some(b'"')) if content > 0 => Value::Found(start..end, end + 2),
        (Some(b'\\'), _) => Value::Unsure,
        _ if content == 0 => Value::Absent,
        (Some(b'"' | b'\r'), _) => Value::Found(start..end, end + 1),
        // `$`: a line end or the end of the text.
        _ => Value::Found(start..end, end),
    }
}

/// `'[^'\r\n]+(?:'|\r|$)` with the content starting at `start`.
fn single_quoted(text: &[u8], start: usize) -> Value {
    let content = run_until(text, start, |b| matches!(b, b'\'' | b'\r' | b'\n'));
    let end = start + content;
    match text.get(end) {
        _ if content == 0 => Value::Absent,
        Some(b'\'' | b'\r') => Value::Found(start..end, end + 1),
        _ => Value::Found(start..end, end),
    }
}

/// A byte of a bare value: `[^\s"'`,;&<>\\]`, where `\s` is ASCII whitespace, vertical tab
/// included.
fn is_bare(b: u8) -> bool {
    !matches!(
        b,
        b'\t'
            | b'\n'
            | 0x0B
            | 0x0C
            | b'\r'
            | b' '
            | b'"'
            | b'\''
            | b'`'
            | b','
            | b';'
            | b'&'
            | b'<'
            | b'>'
            | b'\\'
    )
}

/// The last byte of a bare value of two or more bytes: not a closing bracket, `:` or `/`.
fn may_end_bare(b: u8) -> bool {
    is_bare(b) && !matches!(b, b')' | b'}' | b']' | b':' | b'/')
}

/// Whether `b` may be in an assignment rule's key: `[A-Za-z0-9_.-]`.
fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// The keys of a text that keyword matches fall in, read once each: a key run is the run of
/// key bytes around a match, and it counts when the assignment tail's separator follows it
/// (`(?:\\{0,3}["'])?[ \t]*`, then `=` or `:`; or `]`, blanks and `=`). A key word of a
/// built-in assignment rule holds one of its keywords (tested), so a text where no keyword of
/// the rule lies in a key that counts holds no match of it, and no match starts before the
/// first such key.
///
/// Keyword matches come in the order of their ends, and every later match inside the last
/// key run read reuses it: a long run of keywords (`tokentoken…`) is read once, not once per
/// keyword, so the cost stays linear in the text.
#[derive(Default)]
pub(crate) struct KeyRuns {
    /// The last run read: its span, and its start if a separator follows it.
    last: Option<(std::ops::Range<usize>, Option<usize>)>,
}

impl KeyRuns {
    /// Where the key holding `text[start..end]` starts, if that key counts.
    pub fn key_start(&mut self, text: &[u8], start: usize, end: usize) -> Option<usize> {
        // A match with a byte no key holds is in no key.
        if !text.get(start..end)?.iter().all(|&b| is_key_byte(b)) {
            return None;
        }
        if let Some((run, key)) = &self.last {
            if run.start <= start && end <= run.end {
                return *key;
            }
        }
        let run_start = start
            - text[..start]
                .iter()
                .rev()
                .take_while(|&&b| is_key_byte(b))
                .count();
        let run_end = end + run_until(text, end, |b| !is_key_byte(b));
        let key = separator_follows(text, run_end).then_some(run_start);
        self.last = Some((run_start..run_end, key));
        key
    }
}

/// Whether the assignment tail's separator follows a key ending at `key_end`.
fn separator_follows(text: &[u8], key_end: usize) -> bool {
    key_closed(text, key_end).is_some_and(|(at, subscript)| match text.get(skip_blanks(text, at)) {
        Some(b'=') => true,
        Some(b':') => !subscript,
        _ => false,
    })
}

/// Where the tail goes on after what may close a key ending at `key_end`, and whether that
/// was a subscript: `(?:\\{0,3}["'])?`, its closing quote, maybe escaped, then maybe `]`, a
/// subscript's closing bracket (after which only `=` may follow). `None` where backslashes
/// are not followed by a quote: they can start neither a separator nor anything else the
/// tail allows.
fn key_closed(text: &[u8], key_end: usize) -> Option<(usize, bool)> {
    // More than three backslashes can start nothing the tail allows: four are enough to read.
    let slashes = text[key_end.min(text.len())..]
        .iter()
        .take(4)
        .take_while(|&&b| b == b'\\')
        .count();
    let mut at = key_end;
    match text.get(key_end + slashes) {
        Some(b'"' | b'\'') if slashes <= 3 => at += slashes + 1,
        _ if slashes > 0 => return None,
        _ => {}
    }
    if text.get(at) == Some(&b']') {
        return Some((at + 1, true));
    }
    Some((at, false))
}

/// `\\{0,3}` at `at`, greedy.
fn backslashes(text: &[u8], at: usize) -> usize {
    run_until(text, at, |b| b != b'\\').min(3)
}

fn skip_blanks(text: &[u8], at: usize) -> usize {
    at + run_until(text, at, |b| b != b' ' && b != b'\t')
}

/// How many bytes from `at` pass before one for which `stop` holds.
fn run_until(text: &[u8], at: usize, stop: impl Fn(u8) -> bool) -> usize {
    text.get(at..)
        .map_or(0, |rest| rest.iter().take_while(|&&b| !stop(b)).count())
}
