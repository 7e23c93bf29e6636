//! A layer that redacts recorded field values before the layer it wraps sees them.

use std::any::TypeId;
use std::borrow::Cow;
use std::fmt;

use tokenward::Redactor;
use tracing_core::field::{display, DisplayValue, Field, FieldSet, Value, ValueSet, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Dispatch, Event, Interest, LevelFilter, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// A `tracing-subscriber` [`Layer`] that redacts the values of events' and spans' fields
/// (the message included) and hands the redacted event or span to the layer it wraps.
///
/// Each text value (`%display`, `?debug`, strings, errors) is redacted together with its
/// field name, `name=value`, so key-name rules apply (`password = %pw` is caught as a
/// password assignment), and is passed on as the same kind of value: a `%display` field
/// still prints without quotes. Numbers and booleans pass unchanged. Filtering
/// (`enabled`, `register_callsite`, `event_enabled`) is the inner layer's.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use tokenward::Redactor;
/// use tokenward_tower::trace::RedactingLayer;
/// use tracing_subscriber::prelude::*;
///
/// # #[derive(Clone, Default)]
/// # struct Sink(Arc<Mutex<Vec<u8>>>);
/// # impl std::io::Write for Sink {
/// #     fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().write(buf) }
/// #     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
/// # }
/// # impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Sink {
/// #     type Writer = Sink;
/// #     fn make_writer(&'a self) -> Sink { self.clone() }
/// # }
/// let sink = Sink::default();
/// let fmt = tracing_subscriber::fmt::layer().with_writer(sink.clone()).with_ansi(false);
/// let subscriber = tracing_subscriber::registry().with(RedactingLayer::new(fmt, Redactor::new()));
/// tracing::subscriber::with_default(subscriber, || {
///     let header = "Bearer ghp_R8mQ2vX7kP4nT9wL3cY6hJ1sD5fG0aZ2bE8u";
///     tracing::info!(auth = %header, attempt = 2, "calling upstream");
/// });
/// let out = String::from_utf8(sink.0.lock().unwrap().clone())?;
/// assert!(!out.contains("ghp_R8mQ2vX7kP4nT9wL3cY6hJ1sD5fG0aZ2bE8u"), "{out}");
/// assert!(out.contains("calling upstream") && out.contains("attempt=2"), "{out}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RedactingLayer<L> {
    inner: L,
    redactor: Redactor,
}

impl<L> RedactingLayer<L> {
    /// Wraps `inner`, redacting with `redactor`.
    pub fn new(inner: L, redactor: Redactor) -> RedactingLayer<L> {
        RedactingLayer { inner, redactor }
    }

    /// Records `record`'s fields of `fields` redacted and hands them to `then` as a value set.
    fn redacted<R>(
        &self,
        fields: &FieldSet,
        record: impl FnOnce(&mut dyn Visit),
        then: impl FnOnce(&ValueSet<'_>) -> R,
    ) -> R {
        let mut collect = Collect {
            redactor: &self.redactor,
            kept: (0..fields.len()).map(|_| None).collect(),
        };
        record(&mut collect);
        let values: Vec<Option<&dyn Value>> = collect
            .kept
            .iter()
            .map(|k| k.as_ref().map(Kept::value))
            .collect();
        then(&fields.value_set_all(&values))
    }
}

impl<L: fmt::Debug> fmt::Debug for RedactingLayer<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedactingLayer")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, L> Layer<S> for RedactingLayer<L>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    L: Layer<S>,
{
    fn on_register_dispatch(&self, subscriber: &Dispatch) {
        self.inner.on_register_dispatch(subscriber);
    }

    fn on_layer(&mut self, subscriber: &mut S) {
        self.inner.on_layer(subscriber);
    }

    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        self.inner.register_callsite(metadata)
    }

    fn enabled(&self, metadata: &Metadata<'_>, ctx: Context<'_, S>) -> bool {
        self.inner.enabled(metadata, ctx)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        self.inner.max_level_hint()
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let meta = attrs.metadata();
        self.redacted(
            meta.fields(),
            |v| attrs.record(v),
            |values| {
                let redacted = match attrs.parent() {
                    Some(parent) => Attributes::child_of(parent.clone(), meta, values),
                    None if attrs.is_root() => Attributes::new_root(meta, values),
                    None => Attributes::new(meta, values),
                };
                self.inner.on_new_span(&redacted, id, ctx);
            },
        );
    }

    fn on_record(&self, span: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        // A span the registry does not know has no field set to rebuild the values on:
        // drop the record rather than pass it on unredacted.
        let Some(meta) = ctx.metadata(span) else {
            return;
        };
        self.redacted(
            meta.fields(),
            |v| values.record(v),
            |redacted| {
                self.inner.on_record(span, &Record::new(redacted), ctx);
            },
        );
    }

    fn on_follows_from(&self, span: &Id, follows: &Id, ctx: Context<'_, S>) {
        self.inner.on_follows_from(span, follows, ctx);
    }

    fn event_enabled(&self, event: &Event<'_>, ctx: Context<'_, S>) -> bool {
        self.inner.event_enabled(event, ctx)
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        self.redacted(
            meta.fields(),
            |v| event.record(v),
            |values| {
                let redacted = match event.parent() {
                    Some(parent) => Event::new_child_of(parent.clone(), meta, values),
                    None if event.is_root() => Event::new_child_of(None, meta, values),
                    None => Event::new(meta, values),
                };
                self.inner.on_event(&redacted, ctx);
            },
        );
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        self.inner.on_enter(id, ctx);
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        self.inner.on_exit(id, ctx);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        self.inner.on_close(id, ctx);
    }

    fn on_id_change(&self, old: &Id, new: &Id, ctx: Context<'_, S>) {
        self.inner.on_id_change(old, new, ctx);
    }

    // Forwarded so that what the inner layer exposes by type (a per-layer filter's marker,
    // `fmt`'s formatted fields) stays visible through the wrapper, as `Layered` does.
    #[allow(unsafe_code)]
    unsafe fn downcast_raw(&self, id: TypeId) -> Option<*const ()> {
        if id == TypeId::of::<Self>() {
            return Some(self as *const Self as *const ());
        }
        // SAFETY: the inner layer's own `downcast_raw` upholds the contract for its types.
        unsafe { self.inner.downcast_raw(id) }
    }
}

/// A recorded value, redacted where it is text.
enum Kept {
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F64(f64),
    Bool(bool),
    /// Recorded as a string: passed on as one.
    Str(String),
    /// Recorded with `Debug` (`%display` and `?debug` fields, errors): passed on as text
    /// printed as it is.
    Text(DisplayValue<String>),
}

impl Kept {
    fn value(&self) -> &dyn Value {
        match self {
            Kept::I64(v) => v,
            Kept::U64(v) => v,
            Kept::I128(v) => v,
            Kept::U128(v) => v,
            Kept::F64(v) => v,
            Kept::Bool(v) => v,
            Kept::Str(v) => v,
            Kept::Text(v) => v,
        }
    }
}

/// Collects an event's or span's values by field index, redacting text.
struct Collect<'r> {
    redactor: &'r Redactor,
    kept: Vec<Option<Kept>>,
}

impl Collect<'_> {
    fn keep(&mut self, field: &Field, value: Kept) {
        if let Some(slot) = self.kept.get_mut(field.index()) {
            *slot = Some(value);
        }
    }

    /// `text` redacted in the context of its field name.
    fn redact(&self, field: &Field, text: &str) -> String {
        let name = field.name();
        if name == "message" {
            return self.redactor.redact(text).into_owned();
        }
        let keyed = format!("{name}={text}");
        match self.redactor.redact(&keyed) {
            Cow::Borrowed(_) => text.to_owned(),
            Cow::Owned(redacted) => {
                match redacted
                    .strip_prefix(name)
                    .and_then(|r| r.strip_prefix('='))
                {
                    Some(value) => value.to_owned(),
                    // The name went with the secret: keep the whole redacted text.
                    None => redacted,
                }
            }
        }
    }
}

impl Visit for Collect<'_> {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.keep(field, Kept::I64(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.keep(field, Kept::U64(value));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.keep(field, Kept::I128(value));
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.keep(field, Kept::U128(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.keep(field, Kept::F64(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.keep(field, Kept::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let redacted = self.redact(field, value);
        self.keep(field, Kept::Str(redacted));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let redacted = self.redact(field, &value.to_string());
        self.keep(field, Kept::Text(display(redacted)));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let redacted = self.redact(field, &format!("{value:?}"));
        self.keep(field, Kept::Text(display(redacted)));
    }
}
