//! Wrapper of [`tokenward::redact`]: the `Redactor` class, its findings and rule listing, the
//! module-level `redact()` helper and the async task that redacts on the libuv pool.

use std::sync::OnceLock;

use std::borrow::Cow;

use napi::bindgen_prelude::{AsyncTask, Buffer, Either};
use napi::{Env, JsString, Task};
use napi_derive::napi;
use tokenward::{Config, Style};

use crate::error::{error, from_core, guard, Code, Result};
use crate::offsets::Utf16Offsets;

/// Options for `new Redactor(options)`. Every field is optional.
#[napi(object)]
#[derive(Default)]
pub struct RedactorOptions {
    /// How secrets are written: `'label'` (default, `[REDACTED:rule]`), `'mask'` (`********`),
    /// `'prefix'` (`ghp_********`) or `'fingerprint'` (`[REDACTED:rule:8hex]`, needs
    /// `fingerprintKey`). Wins over a `style` set in `config`.
    #[napi(ts_type = "'mask' | 'prefix' | 'label' | 'fingerprint'")]
    pub style: Option<String>,
    /// A configuration document as TOML or JSON text (JSON when it starts with `{`): user
    /// rules, disabled built-ins, allowlists, style.
    pub config: Option<String>,
    /// Key material for the fingerprint style (any length); kept only in derived form.
    pub fingerprint_key: Option<Either<String, Buffer>>,
}

/// A secret found in a text.
///
/// `find()` reports offsets in UTF-16 code units, the way JS strings index, so
/// `text.slice(f.start, f.end)` is the credential; `findBuffer()` reports byte offsets.
#[napi(object)]
pub struct Finding {
    /// Id of the rule that found it, e.g. `github_classic_token`.
    pub rule: String,
    /// Start of the credential, public prefix included (`ghp_...`).
    pub start: u32,
    /// End (exclusive) of the credential.
    pub end: u32,
    /// Start of the part that must not survive; within `start..end`.
    pub secret_start: u32,
    /// End (exclusive) of the part that must not survive.
    pub secret_end: u32,
}

/// A rule in force, as listed by `rules()`.
#[napi(object)]
pub struct RuleInfo {
    /// Stable snake_case id, shown in labels.
    pub id: String,
    /// Who issues the credential (`github`, `aws`, ... or `generic`).
    pub provider: String,
    /// What the rule finds.
    pub description: String,
    /// Literal anchors of the prefilter.
    pub keywords: Vec<String>,
    /// True for rules of the built-in catalogue.
    pub builtin: bool,
}

/// A compiled, immutable rule set that redacts secrets from text.
///
/// ```js
/// const { Redactor } = require('tokenward')
/// const redactor = new Redactor({ style: 'prefix' })
/// redactor.redact('token 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') // 'token ghp_********'
/// ```
#[napi]
pub struct Redactor {
    inner: tokenward::Redactor,
}

#[napi]
impl Redactor {
    /// Compiles the built-in catalogue plus whatever `options.config` adds. Throws an error
    /// with code `TOKENWARD_CONFIG` (bad config or option) or `TOKENWARD_RULE` (bad rule).
    #[napi(constructor)]
    pub fn new(options: Option<RedactorOptions>) -> Result<Self> {
        guard(|| build(options.unwrap_or_default()).map(|inner| Redactor { inner }))
    }

    /// Returns `text` with every secret replaced (the same string when there was none).
    #[napi(ts_args_type = "text: string", ts_return_type = "string")]
    pub fn redact<'env>(&self, text: JsString<'env>) -> Result<Either<JsString<'env>, String>> {
        guard(|| redact_js(&self.inner, text))
    }

    /// Redacts raw bytes, which need not be UTF-8: bytes outside secrets, invalid sequences
    /// included, pass through unchanged. Always returns a new Buffer.
    #[napi]
    pub fn redact_buffer(&self, data: &[u8]) -> Result<Buffer> {
        guard(|| Ok(self.inner.redact_bytes(data).into_owned().into()))
    }

    /// Like `redact()`, but runs on the libuv thread pool and resolves with the result, so a
    /// large input does not block the event loop.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn redact_async(&self, text: String) -> AsyncTask<RedactTask> {
        AsyncTask::new(RedactTask {
            redactor: self.inner.clone(),
            text,
        })
    }

    /// The secrets in `text`, in order, never overlapping; offsets in UTF-16 code units.
    #[napi(ts_args_type = "text: string")]
    pub fn find(&self, text: JsString<'_>) -> Result<Vec<Finding>> {
        guard(|| {
            crate::text::with_utf8(&text, |utf8| {
                findings(&self.inner, utf8.as_bytes(), Unit::Utf16)
            })
        })
    }

    /// The secrets in `data` (any bytes), in order, never overlapping; offsets in bytes.
    #[napi]
    pub fn find_buffer(&self, data: &[u8]) -> Result<Vec<Finding>> {
        guard(|| Ok(findings(&self.inner, data, Unit::Byte)))
    }

    /// The rules in force, in the order they are tried.
    #[napi]
    pub fn rules(&self) -> Result<Vec<RuleInfo>> {
        guard(|| Ok(self.inner.rules().map(rule_info).collect()))
    }

    /// The style this redactor writes (`'label'`, `'mask'`, `'prefix'` or `'fingerprint'`).
    #[napi(getter, ts_return_type = "'mask' | 'prefix' | 'label' | 'fingerprint'")]
    pub fn style(&self) -> String {
        self.inner.style().name().to_string()
    }
}

/// Redacts `text` with the default redactor (built-in catalogue, label style), built once on
/// first use.
///
/// ```js
/// const { redact } = require('tokenward')
/// redact('key AKIA7QX2M4RB5KQ3YHV6') // 'key [REDACTED:aws_access_key_id]'
/// ```
#[napi(ts_args_type = "text: string", ts_return_type = "string")]
pub fn redact(text: JsString<'_>) -> Result<Either<JsString<'_>, String>> {
    guard(|| redact_js(default_redactor(), text))
}

/// The work of `redactAsync()`: redaction on a libuv worker thread.
pub struct RedactTask {
    redactor: tokenward::Redactor,
    text: String,
}

impl Task for RedactTask {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> napi::Result<String> {
        let text = std::mem::take(&mut self.text);
        // A panic here would unwind through libuv: catch it and reject the promise instead.
        guard(|| Ok(redact_owned(&self.redactor, text)))
            .map_err(|e| napi::Error::new(napi::Status::GenericFailure, e.reason))
    }

    fn resolve(&mut self, _env: Env, output: String) -> napi::Result<String> {
        Ok(output)
    }
}

fn default_redactor() -> &'static tokenward::Redactor {
    static DEFAULT: OnceLock<tokenward::Redactor> = OnceLock::new();
    DEFAULT.get_or_init(tokenward::Redactor::new)
}

/// Builds a core redactor: the config document first, then the explicit options, so
/// `style` passed as an option wins over the config's.
fn build(options: RedactorOptions) -> Result<tokenward::Redactor> {
    let mut builder = tokenward::Redactor::builder();
    if let Some(text) = &options.config {
        builder = builder.config(Config::parse(text).map_err(from_core)?);
    }
    if let Some(name) = &options.style {
        let style: Style = name
            .parse()
            .map_err(|e: tokenward::Error| error(Code::InvalidArg, strip_config_prefix(e)))?;
        builder = builder.style(style);
    }
    match &options.fingerprint_key {
        Some(Either::A(key)) => builder = builder.fingerprint_key(key.as_bytes()),
        Some(Either::B(key)) => builder = builder.fingerprint_key(key),
        None => {}
    }
    builder.build().map_err(from_core)
}

/// `unknown style "x" (...)` without the core's `invalid config: ` prefix, since here the
/// style is an option, not part of a config document.
fn strip_config_prefix(err: tokenward::Error) -> String {
    match err {
        tokenward::Error::Config(message) => format!("invalid option style: {message}"),
        other => other.to_string(),
    }
}

/// Redacts a JS string, handing back the same JS string when nothing was found.
fn redact_js<'env>(
    redactor: &tokenward::Redactor,
    text: JsString<'env>,
) -> Result<Either<JsString<'env>, String>> {
    crate::text::with_utf8(&text, |utf8| match redactor.redact(utf8) {
        Cow::Borrowed(_) => Either::A(text),
        Cow::Owned(out) => Either::B(out),
    })
}

/// Redacts, reusing the input's allocation when nothing was found.
fn redact_owned(redactor: &tokenward::Redactor, text: String) -> String {
    match redactor.redact(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(out) => out,
    }
}

/// The unit findings are reported in.
#[derive(Clone, Copy)]
enum Unit {
    Byte,
    Utf16,
}

fn findings(redactor: &tokenward::Redactor, text: &[u8], unit: Unit) -> Vec<Finding> {
    let mut offsets = Utf16Offsets::new(text);
    let mut at = |byte: usize| match unit {
        Unit::Byte => byte as u32,
        Unit::Utf16 => offsets.at(byte),
    };
    redactor
        .find_bytes(text)
        .into_iter()
        .map(|f| Finding {
            rule: f.rule.to_string(),
            // Ascending order keeps the UTF-16 conversion a single pass.
            start: at(f.span.start),
            secret_start: at(f.secret_span.start),
            secret_end: at(f.secret_span.end),
            end: at(f.span.end),
        })
        .collect()
}

fn rule_info(info: &tokenward::RuleInfo) -> RuleInfo {
    RuleInfo {
        id: info.id.to_string(),
        provider: info.provider.clone(),
        description: info.description.clone(),
        keywords: info.keywords.clone(),
        builtin: info.builtin,
    }
}
