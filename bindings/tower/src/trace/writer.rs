//! A `MakeWriter` whose writers redact what passes through them.

use std::fmt;
use std::io::{self, Write};

use tokenward::{Redactor, StreamRedactor};
use tracing_core::Metadata;
use tracing_subscriber::fmt::MakeWriter;

/// A [`MakeWriter`] whose writers redact the bytes written to them before the inner
/// writer sees them.
///
/// Each writer runs a [`StreamRedactor`]: complete lines are redacted and passed on as they
/// arrive, a partial line waits for the rest (or for the writer to be dropped), so a secret
/// split across `write` calls is still caught. `tracing-subscriber`'s `fmt` layer makes one
/// writer per event, so every event is redacted whole. A failed redaction is not possible;
/// a failed inner write is reported by `write`/`flush` (or, in `drop`, lost, as it would be).
///
/// ```
/// use std::io::Write;
/// use std::sync::{Arc, Mutex};
/// use tokenward::Redactor;
/// use tokenward_tower::trace::RedactingMakeWriter;
/// use tracing_subscriber::fmt::MakeWriter;
///
/// #[derive(Clone, Default)]
/// struct Sink(Arc<Mutex<Vec<u8>>>);
/// impl Write for Sink {
///     fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
///         self.0.lock().unwrap().write(buf)
///     }
///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
/// }
///
/// let sink = Sink::default();
/// let target = sink.clone();
/// let make = RedactingMakeWriter::new(move || target.clone(), Redactor::new());
/// let mut writer = make.make_writer();
/// writer.write_all(b"key=AKIA7QX2")?;
/// writer.write_all(b"M4RB5KQ3YHV6 done\n")?;
/// drop(writer);
/// let written = String::from_utf8(sink.0.lock().unwrap().clone())?;
/// assert_eq!(written, "key=[REDACTED:aws_access_key_id] done\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RedactingMakeWriter<M> {
    inner: M,
    redactor: Redactor,
}

impl<M> RedactingMakeWriter<M> {
    /// Wraps `inner` (`std::io::stdout`, a file appender, ...), redacting with `redactor`.
    pub fn new(inner: M, redactor: Redactor) -> RedactingMakeWriter<M> {
        RedactingMakeWriter { inner, redactor }
    }
}

impl<M> fmt::Debug for RedactingMakeWriter<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedactingMakeWriter")
            .finish_non_exhaustive()
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for RedactingMakeWriter<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter::new(self.inner.make_writer(), self.redactor.clone())
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        RedactingWriter::new(self.inner.make_writer_for(meta), self.redactor.clone())
    }
}

/// A writer that redacts what is written to it, line-buffered: see
/// [`RedactingMakeWriter`]. What is still held is redacted and written when it is dropped.
pub struct RedactingWriter<W: Write> {
    inner: W,
    stream: StreamRedactor,
    /// Redacted bytes not yet handed to `inner`.
    out: Vec<u8>,
}

impl<W: Write> RedactingWriter<W> {
    /// Wraps `inner`, redacting with `redactor`.
    pub fn new(inner: W, redactor: Redactor) -> RedactingWriter<W> {
        RedactingWriter {
            inner,
            stream: StreamRedactor::new(redactor),
            out: Vec::new(),
        }
    }

    fn write_out(&mut self) -> io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let result = self.inner.write_all(&self.out);
        self.out.clear();
        result
    }
}

impl<W: Write> fmt::Debug for RedactingWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Held bytes are not redacted yet: only their count is shown.
        f.debug_struct("RedactingWriter")
            .field("pending", &self.stream.pending())
            .finish_non_exhaustive()
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.push(buf, &mut self.out);
        self.write_out()?;
        Ok(buf.len())
    }

    /// Writes out what has been redacted; a partial line stays held (flushing it would let
    /// a secret split across the flush through).
    fn flush(&mut self) -> io::Result<()> {
        self.write_out()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        self.stream.finish(&mut self.out);
        let _ = self.write_out();
        let _ = self.inner.flush();
    }
}
