//! Redaction for [`tracing`](https://docs.rs/tracing) output (feature `tracing`, on by
//! default), two complementary pieces:
//!
//! - [`RedactingLayer`] wraps any `tracing-subscriber` layer (`fmt`, a JSON formatter, an
//!   exporter) and hands it events and spans whose text field values, the message included,
//!   have been redacted: `tracing::info!(auth = %header, "...")` reaches the inner layer as
//!   `auth=Bearer [REDACTED:...]`. Numbers and booleans pass as they were.
//! - [`RedactingMakeWriter`] wraps any [`MakeWriter`](tracing_subscriber::fmt::MakeWriter)
//!   and redacts the formatted bytes on their way out, line by line through a
//!   [`StreamRedactor`](tokenward::StreamRedactor), so a secret the formatter writes in two
//!   pieces is still caught. It also covers what no field holds: span names, targets, a
//!   formatter's own additions.
//!
//! Use both: the layer sees each value with its field name (so `password = %pw` is caught
//! by the key-name rules), the writer sees the final text.
//!
//! ```
//! use tokenward::Redactor;
//! use tokenward_tower::trace::{RedactingLayer, RedactingMakeWriter};
//! use tracing_subscriber::prelude::*;
//!
//! let redactor = Redactor::new();
//! let fmt = tracing_subscriber::fmt::layer()
//!     .with_writer(RedactingMakeWriter::new(std::io::stderr, redactor.clone()));
//! let subscriber = tracing_subscriber::registry().with(RedactingLayer::new(fmt, redactor));
//! tracing::subscriber::with_default(subscriber, || {
//!     tracing::info!(key = "AKIA7QX2M4RB5KQ3YHV6", "uploading");
//!     // stderr: ... uploading key="[REDACTED:aws_access_key_id]"
//! });
//! ```

mod fields;
mod writer;

pub use fields::RedactingLayer;
pub use writer::{RedactingMakeWriter, RedactingWriter};
