//! Traffic: JSON lines, read with bounded memory and parsed without copying.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, BufRead, Read};

use serde::{Deserialize, Deserializer};
use tokenward::Timestamp;

use super::MAX_LINE;

/// One traffic line, borrowed from the input where it has no escapes.
#[derive(Deserialize)]
pub(crate) struct Line<'a> {
    #[serde(deserialize_with = "time")]
    pub ts: Timestamp,
    #[serde(borrow)]
    pub token: Text<'a>,
    #[serde(default, borrow)]
    pub ip: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub country: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub method: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub path: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub user_agent: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub subject: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub device: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub environment: Option<Text<'a>>,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
}

/// A string field: borrowed from the line unless it has escapes. (serde's own `Cow<str>`
/// borrows only as a direct field, not inside `Option`.)
pub(crate) struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text<'a>, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_string()))
            }
        }
        d.deserialize_str(Visitor).map(Text)
    }
}

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// A time as Unix ms (a number) or RFC 3339 text.
fn time<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    struct Time;
    impl serde::de::Visitor<'_> for Time {
        type Value = Timestamp;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("Unix milliseconds or an RFC 3339 time")
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Timestamp, E> {
            Ok(v)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Timestamp, E> {
            i64::try_from(v).map_err(|_| E::custom("time out of range"))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Timestamp, E> {
            if v.is_finite() && v.abs() < 9.0e15 {
                Ok(v as i64)
            } else {
                Err(E::custom("time out of range"))
            }
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
            tokenward::policy::parse_instant(v).map_err(E::custom)
        }
    }
    d.deserialize_any(Time)
}

/// serde_json's message, which quotes no input beyond a short token of it; a line that is
/// not JSON at all may hold anything, so the reason keeps only serde's classification and
/// position.
pub(crate) fn json_reason(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof => {
            format!("not JSON ({} at column {})", kind(e), e.column())
        }
        Category::Io => "read error".into(),
        Category::Data => {
            // Data errors name the field and the expected type ("missing field `token`",
            // "invalid type: integer, expected ..."); string values are not echoed by them
            // except for unknown enum variants, which this struct has none of.
            let text = e.to_string();
            match text.rfind(" at line ") {
                Some(at) => text[..at].to_string(),
                None => text,
            }
        }
    }
}

fn kind(e: &serde_json::Error) -> &'static str {
    if e.is_eof() {
        "unexpected end"
    } else {
        "syntax error"
    }
}

/// Lines of a reader, each at most [`MAX_LINE`] bytes; a longer line is consumed without
/// being buffered and returned as `None`.
pub(crate) struct Lines<R> {
    reader: R,
    buffer: Vec<u8>,
}

impl<R: BufRead> Lines<R> {
    pub fn new(reader: R) -> Lines<R> {
        Lines {
            reader,
            buffer: Vec::with_capacity(4096),
        }
    }

    /// The next line without its newline: `Ok(None)` at the end, `Ok(Some(None))` for an
    /// overlong line.
    #[allow(clippy::type_complexity)]
    pub fn next_line(&mut self) -> io::Result<Option<Option<&[u8]>>> {
        self.buffer.clear();
        let limit = MAX_LINE as u64 + 1;
        let n = io::Read::by_ref(&mut self.reader)
            .take(limit)
            .read_until(b'\n', &mut self.buffer)?;
        if n == 0 {
            return Ok(None);
        }
        if self.buffer.last() == Some(&b'\n') {
            self.buffer.pop();
            if self.buffer.last() == Some(&b'\r') {
                self.buffer.pop();
            }
            return Ok(Some(Some(&self.buffer)));
        }
        if self.buffer.len() <= MAX_LINE {
            return Ok(Some(Some(&self.buffer))); // the last line, without a newline
        }
        // Overlong: skip to the end of the line.
        loop {
            let available = self.reader.fill_buf()?;
            if available.is_empty() {
                break;
            }
            match memchr::memchr(b'\n', available) {
                Some(at) => {
                    self.reader.consume(at + 1);
                    break;
                }
                None => {
                    let n = available.len();
                    self.reader.consume(n);
                }
            }
        }
        self.buffer.clear();
        Ok(Some(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_bounded() {
        let long = "x".repeat(MAX_LINE + 10);
        let input = format!("a\r\n{long}\nb");
        let mut lines = Lines::new(io::Cursor::new(input.into_bytes()));
        assert_eq!(lines.next_line().unwrap(), Some(Some(&b"a"[..])));
        assert_eq!(lines.next_line().unwrap(), Some(None));
        assert_eq!(lines.next_line().unwrap(), Some(Some(&b"b"[..])));
        assert_eq!(lines.next_line().unwrap(), None);
    }
}
