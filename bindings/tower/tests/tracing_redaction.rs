//! Redacted tracing output: the field layer and the writer, each on its own and together,
//! capturing what the `fmt` layer writes.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tokenward::Redactor;
use tokenward_tower::trace::{RedactingLayer, RedactingMakeWriter};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

const GITHUB: &str = "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";
const AWS: &str = "AKIA7QX2M4RB5KQ3YHV6";
const OPAQUE: &str = "DPuFWEeAucf_AUHq7nJqxqJAKOq7ZKACBrljomWEeK";
const PASSWORD: &str = "Tr0ub4dor3-and-more";

/// Collects what is written.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Sink {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Sink {
    type Writer = Sink;
    fn make_writer(&'a self) -> Sink {
        self.clone()
    }
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug
struct Upstream {
    url: &'static str,
    key: &'static str,
}

/// Logs one of everything: display, debug, string, error and numeric fields, a secret in the
/// message, and span fields set at creation and recorded later.
fn log_everything() {
    let header = format!("Bearer {OPAQUE}");
    let upstream = Upstream {
        url: "https://api.example.com",
        key: AWS,
    };
    let error = std::io::Error::other(format!("rejected token {GITHUB}"));
    let span = tracing::info_span!("request", auth = %header, user = tracing::field::Empty);
    let _entered = span.enter();
    span.record("user", format!("alice password={PASSWORD}").as_str());
    tracing::info!(auth = %header, attempt = 3, ok = true, "calling upstream for {}", "alice");
    tracing::warn!(
        ?upstream,
        error = &error as &dyn std::error::Error,
        "upstream said no"
    );
    tracing::info!(password = %PASSWORD, "login");
    tracing::info!("using key {AWS} for GET /v1/orders");
}

fn capture(subscriber: impl tracing::Subscriber + Send + Sync) {
    tracing::subscriber::with_default(subscriber, log_everything);
}

fn fmt_layer<S>(writer: impl for<'a> MakeWriter<'a> + 'static) -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .without_time()
}

fn assert_no_secrets(out: &str) {
    for secret in [GITHUB, AWS, OPAQUE, PASSWORD] {
        assert!(!out.contains(secret), "{secret} in:\n{out}");
    }
}

/// What must survive redaction.
fn assert_intact(out: &str) {
    assert_eq!(out.lines().count(), 4, "{out}");
    for kept in [
        "calling upstream for alice",
        "attempt=3",
        "ok=true",
        "upstream said no",
        "https://api.example.com",
        "using key [REDACTED:aws_access_key_id] for GET /v1/orders",
        "login",
        "request{",
        "auth=Bearer [REDACTED",
    ] {
        assert!(out.contains(kept), "{kept:?} missing from:\n{out}");
    }
}

#[test]
fn without_redaction_the_secrets_are_printed() {
    // The baseline the other tests improve on: every secret reaches the output.
    let sink = Sink::default();
    capture(tracing_subscriber::registry().with(fmt_layer(sink.clone())));
    let out = sink.text();
    for secret in [GITHUB, AWS, OPAQUE, PASSWORD] {
        assert!(out.contains(secret), "{secret} not in:\n{out}");
    }
}

#[test]
fn the_layer_redacts_field_values_and_messages() {
    let sink = Sink::default();
    let layer = RedactingLayer::new(fmt_layer(sink.clone()), Redactor::new());
    capture(tracing_subscriber::registry().with(layer));
    let out = sink.text();
    assert_no_secrets(&out);
    assert_intact(&out);
    // Display fields still print bare, string fields quoted, as without the layer.
    assert!(out.contains("auth=Bearer [REDACTED"), "{out}");
    assert!(out.contains("user=\"alice password=[REDACTED"), "{out}");
}

#[test]
fn the_writer_redacts_formatted_output() {
    let sink = Sink::default();
    let writer = RedactingMakeWriter::new(sink.clone(), Redactor::new());
    capture(tracing_subscriber::registry().with(fmt_layer(writer)));
    let out = sink.text();
    assert_no_secrets(&out);
    assert_intact(&out);
}

#[test]
fn both_together() {
    let sink = Sink::default();
    let redactor = Redactor::new();
    let writer = RedactingMakeWriter::new(sink.clone(), redactor.clone());
    let layer = RedactingLayer::new(fmt_layer(writer), redactor);
    capture(tracing_subscriber::registry().with(layer));
    let out = sink.text();
    assert_no_secrets(&out);
    assert_intact(&out);
}

#[test]
fn a_secret_split_across_writes_is_caught() {
    let sink = Sink::default();
    let make = RedactingMakeWriter::new(sink.clone(), Redactor::new());
    let mut writer = make.make_writer();
    for piece in [
        "first line ok\nkey ",
        &AWS[..7],
        &AWS[7..15],
        &AWS[15..],
        " done\nlast",
    ] {
        writer.write_all(piece.as_bytes()).unwrap();
        writer.flush().unwrap();
    }
    // Flushing releases complete lines only.
    assert_eq!(
        sink.text(),
        "first line ok\nkey [REDACTED:aws_access_key_id] done\n"
    );
    drop(writer);
    assert_eq!(
        sink.text(),
        "first line ok\nkey [REDACTED:aws_access_key_id] done\nlast"
    );
}
