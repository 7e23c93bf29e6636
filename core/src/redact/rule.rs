//! Rules: what a secret looks like and how a candidate is verified.

use std::fmt;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;
use regex_automata::PatternID;
use regex_syntax::hir::Hir;
use serde::Deserialize;

use super::layout::{fixed_offsets, trailing_boundary, ByteSet, Offsets};
use super::required::{required_bytes, required_pairs, AnyOf, Pair};
use crate::Error;

/// A candidate match handed to a rule's validator after its pattern matched.
#[derive(Clone)]
pub(crate) struct Candidate<'h> {
    /// The whole credential as found, public prefix included (the `token` group, else `secret`).
    pub token: &'h str,
    /// The part that must not survive (the `secret` group).
    pub secret: &'h str,
    /// The key name, for rules that match `key = value` forms (the `key` group).
    pub key: Option<&'h str>,
    /// The text the candidate was found in.
    pub haystack: &'h [u8],
    /// Where the whole pattern match lies in the haystack.
    pub match_span: Range<usize>,
}

/// A validator: returns true when the candidate really is a secret.
pub(crate) type Validate = fn(&Candidate<'_>) -> bool;

/// A built-in rule as written in the catalogue, with the examples its tests run.
pub(crate) struct Builtin {
    pub id: &'static str,
    pub provider: &'static str,
    pub description: &'static str,
    /// Literal anchors, matched ASCII-case-insensitively by the prefilter. At least one must
    /// occur in the text for the pattern to run.
    pub keywords: &'static [&'static str],
    /// Pattern with a `secret` group (the non-public part) and optionally `token` (the whole
    /// credential including a public prefix) and `key` (a key name).
    pub pattern: &'static str,
    pub validate: Option<Validate>,
    /// Generic forms (key/value, headers, URLs) yield to provider rules on the same span.
    pub generic: bool,
    /// `(text, credential)`: the rule must find exactly `credential` in `text`.
    #[cfg_attr(not(test), allow(dead_code))]
    pub examples: &'static [(&'static str, &'static str)],
    /// Texts in which the rule must find nothing.
    #[cfg_attr(not(test), allow(dead_code))]
    pub counterexamples: &'static [&'static str],
}

impl fmt::Debug for Candidate<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field but the span holds the credential or the text around it: sizes only.
        f.debug_struct("Candidate")
            .field("token_len", &self.token.len())
            .field("secret_len", &self.secret.len())
            .field("key_len", &self.key.map(str::len))
            .field("haystack_len", &self.haystack.len())
            .field("match_span", &self.match_span)
            .finish()
    }
}

/// A user-defined rule, as written in a TOML or JSON config.
///
/// ```
/// let rule: tokenward::RuleDef = toml::from_str(r#"
///     id = "acme_key"
///     description = "ACME API key"
///     keywords = ["acme_"]
///     pattern = 'acme_(?P<secret>[a-z0-9]{32})'
/// "#).unwrap();
/// assert_eq!(rule.id, "acme_key");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Stable snake_case id, shown in labels.
    pub id: String,
    /// What the rule finds.
    #[serde(default)]
    pub description: String,
    /// Who issues the credential.
    #[serde(default)]
    pub provider: String,
    /// Literal anchors for the prefilter; a rule without keywords runs on every line.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Regex with an optional `secret` group (default: the whole match; alternatives may name
    /// theirs `secret_<suffix>`, the first that matched is used) and optional `token` and
    /// `key` groups.
    pub pattern: String,
    /// Minimum Shannon entropy of the secret in bits per character.
    #[serde(default)]
    pub min_entropy: Option<f64>,
}

/// What a rule is, for listings and reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// Stable snake_case id.
    pub id: Arc<str>,
    /// Who issues the credential (`github`, `aws`, ... or `generic`).
    pub provider: String,
    /// What the rule finds.
    pub description: String,
    /// Prefilter keywords.
    pub keywords: Vec<String>,
    /// True for rules of the built-in catalogue.
    pub builtin: bool,
    /// True when a checksum or a decodable structure verifies the rule's findings (see
    /// [`Finding::verified`](super::Finding::verified)).
    pub checksum: bool,
}

/// A rule ready to run. Built-in patterns compile on first use, so a redactor costs little to
/// build and pays only for the rules its texts actually trigger; user patterns compile at build
/// time, where their errors belong.
pub(crate) struct Rule {
    pub info: RuleInfo,
    /// The pattern: a built-in one is compiled into `compiled` on first use.
    pattern: std::borrow::Cow<'static, str>,
    value_tail: bool,
    compiled: OnceLock<Option<Compiled>>,
    pub validate: Option<Validate>,
    /// Verifies a finding the rule accepted; one that fails is still redacted, unverified.
    pub checksum: Option<Validate>,
    pub min_entropy: Option<f64>,
    pub generic: bool,
}

/// A rule's regex and the groups the engine reads.
pub(crate) struct Compiled {
    pub regex: Regex,
    /// How a match's groups are found short of capturing on the whole pattern.
    pub shortcut: Shortcut,
    /// Groups holding the secret: `secret` and any `secret_*`, of which the first that took
    /// part in a match is used (a pattern may offer the secret in several alternative forms,
    /// say quoted and bare, and the regex crate forbids one name twice). Empty: group 0.
    pub secret_groups: Vec<usize>,
    pub token_group: Option<usize>,
    pub key_group: Option<usize>,
    /// Bytes every match contains: a text lacking one is not searched.
    pub required: Vec<AnyOf>,
    /// Pairs of adjacent bytes every match contains, checked after `required`.
    pub pairs: Vec<Pair>,
}

impl Compiled {
    /// Whether `text` holds every byte and pair of bytes a match needs; false means it cannot
    /// match.
    pub fn may_match(&self, text: &[u8]) -> bool {
        self.required.iter().all(|r| r.occurs_in(text))
            && self.pairs.iter().all(|p| p.occurs_in(text))
    }
}

/// A cheaper way to a match's groups than capturing on the whole pattern.
pub(crate) enum Shortcut {
    /// Every match places the groups alike: they are read off the match span.
    Layout(Layout),
    /// A `key = value` pattern: groups are found on the value part alone, read by hand
    /// ([`read_value`](super::catalogue::read_value)) or captured.
    Tail(Tail),
    /// Neither applies.
    None,
}

/// The groups of a pattern that places them at fixed distances from a match's edges, once a
/// trailing boundary, if the pattern has one, is set aside.
pub(crate) struct Layout {
    pub secret: Offsets,
    pub token: Option<Offsets>,
    pub key: Option<Offsets>,
    /// The bytes of a trailing boundary `(?:[^...]|$)`: a match that ends with one of them ends
    /// one byte after the groups' frame.
    pub boundary: Option<ByteSet>,
}

impl Layout {
    /// `None` when some group the engine reads has no fixed place.
    fn of(
        hir: &Hir,
        secret_groups: &[usize],
        token: Option<usize>,
        key: Option<usize>,
    ) -> Option<Layout> {
        let secret = match secret_groups {
            [] => 0,
            [one] => *one,
            // Alternative secret groups: which one took part depends on the match.
            _ => return None,
        };
        let fixed = |hir: &Hir, boundary: Option<ByteSet>| {
            let place = |group: Option<usize>| match group {
                Some(g) => fixed_offsets(hir, g).map(Some),
                None => Some(None),
            };
            Some(Layout {
                secret: fixed_offsets(hir, secret)?,
                token: place(token)?,
                key: place(key)?,
                boundary,
            })
        };
        fixed(hir, None).or_else(|| {
            let (body, class) = trailing_boundary(hir)?;
            fixed(&body, Some(class))
        })
    }

    /// The part of the match `span` that the groups' offsets refer to.
    pub fn frame(&self, text: &[u8], span: Range<usize>) -> Range<usize> {
        match &self.boundary {
            Some(class) if span.end > span.start && class.contains(text[span.end - 1]) => {
                span.start..span.end - 1
            }
            _ => span,
        }
    }
}

/// The compiled assignment tail of a `key = value` pattern.
pub(crate) struct Tail {
    pub regex: Regex,
    pub secret_groups: Vec<usize>,
}

/// Ceiling on a compiled pattern, so a hostile user rule cannot exhaust memory.
const MAX_REGEX_SIZE: usize = 4 << 20;

impl Rule {
    pub fn from_builtin(b: &Builtin) -> Result<Rule, Error> {
        let checksum = super::catalogue::checksum_of(b.id);
        let info = RuleInfo {
            id: Arc::from(b.id),
            provider: b.provider.to_string(),
            description: b.description.to_string(),
            keywords: b.keywords.iter().map(|k| k.to_string()).collect(),
            builtin: true,
            checksum: checksum.is_some(),
        };
        Ok(Rule {
            info,
            pattern: b.pattern.into(),
            value_tail: super::assignment::is_assignment(b.pattern),
            compiled: OnceLock::new(),
            validate: b.validate,
            checksum,
            min_entropy: None,
            generic: b.generic,
        })
    }

    /// Whether the rule is a built-in assignment rule: every match opens with a key of
    /// `[A-Za-z0-9_.-]` holding one of its keywords, followed by the assignment tail. The
    /// engine then runs it only from the first key where a keyword is followed by a separator
    /// ([`KeyRuns`](super::assignment::KeyRuns)).
    pub fn keyed(&self) -> bool {
        self.value_tail
    }

    /// The compiled pattern; `None` only if a built-in pattern failed to compile, which the
    /// catalogue tests rule out (such a rule then never matches rather than panicking).
    pub fn compiled(&self) -> Option<&Compiled> {
        self.compiled
            .get_or_init(|| Compiled::new(&self.info.id, &self.pattern, self.value_tail).ok())
            .as_ref()
    }

    /// The pattern as written.
    pub fn pattern_source(&self) -> &str {
        &self.pattern
    }

    /// The pattern, when it is a built-in one (the same for every redactor).
    pub fn static_pattern(&self) -> Option<&'static str> {
        match self.pattern {
            std::borrow::Cow::Borrowed(pattern) => Some(pattern),
            std::borrow::Cow::Owned(_) => None,
        }
    }

    pub fn from_def(def: &RuleDef) -> Result<Rule, Error> {
        let invalid = |reason: String| Error::InvalidRule {
            id: def.id.clone(),
            reason,
        };
        if !is_snake_case(&def.id) {
            return Err(invalid(
                "id must be snake_case ([a-z0-9_], starting with a letter)".into(),
            ));
        }
        if def.keywords.iter().any(|k| k.is_empty()) {
            return Err(invalid("keywords must not be empty strings".into()));
        }
        if let Some(e) = def.min_entropy {
            if !(0.0..=8.0).contains(&e) {
                return Err(invalid(format!(
                    "min_entropy must be within 0..=8, got {e}"
                )));
            }
        }
        let info = RuleInfo {
            id: Arc::from(def.id.as_str()),
            provider: if def.provider.is_empty() {
                "custom".into()
            } else {
                def.provider.clone()
            },
            description: def.description.clone(),
            keywords: def.keywords.clone(),
            builtin: false,
            checksum: false,
        };
        let mut rule = Rule::compiled_now(info, &def.pattern, None)?;
        rule.min_entropy = def.min_entropy;
        Ok(rule)
    }

    /// A rule whose pattern is known only at build time (a user rule, or the tokenward rule
    /// widened to configured prefixes): compiled at once, so its errors surface in `build`.
    pub fn compiled_now(
        info: RuleInfo,
        pattern: &str,
        validate: Option<Validate>,
    ) -> Result<Rule, Error> {
        let compiled = Compiled::new(&info.id, pattern, false)?;
        Ok(Rule {
            info,
            pattern: pattern.to_owned().into(),
            value_tail: false,
            compiled: OnceLock::from(Some(compiled)),
            validate,
            checksum: None,
            min_entropy: None,
            generic: false,
        })
    }
}

impl Compiled {
    /// Compiles `pattern`; with `value_tail`, a pattern in the assignment grammar
    /// ([`is_assignment`](super::assignment::is_assignment)) gets its groups resolved on the tail.
    pub fn new(id: &str, pattern: &str, value_tail: bool) -> Result<Compiled, Error> {
        let invalid = |reason: String| Error::InvalidRule {
            id: id.to_string(),
            reason,
        };
        let regex =
            build_regex(pattern).map_err(|e| invalid(format!("pattern does not compile: {e}")))?;
        if regex.is_match(b"") {
            return Err(invalid("pattern matches the empty string".into()));
        }
        let info = regex.group_info();
        let group = |name: &str| info.to_index(PatternID::ZERO, name);
        let tail = if value_tail {
            let regex = build_regex(super::assignment::TAIL)
                .map_err(|e| invalid(format!("value tail does not compile: {e}")))?;
            Some(Tail {
                secret_groups: secret_groups(&regex),
                regex,
            })
        } else {
            None
        };
        let secret_groups = secret_groups(&regex);
        let (token_group, key_group) = (group("token"), group("key"));
        // The pattern compiled, so it parses; the analyses below read its syntax tree.
        let hir = parse(pattern);
        let shortcut = match tail {
            Some(tail) => Shortcut::Tail(tail),
            None => hir
                .as_ref()
                .and_then(|hir| Layout::of(hir, &secret_groups, token_group, key_group))
                .map_or(Shortcut::None, Shortcut::Layout),
        };
        Ok(Compiled {
            secret_groups,
            token_group,
            key_group,
            shortcut,
            required: hir.as_ref().map(required_bytes).unwrap_or_default(),
            pairs: hir.as_ref().map(required_pairs).unwrap_or_default(),
            regex,
        })
    }
}

/// Compiles with the configuration `regex::bytes::Regex` uses. The meta regex itself is kept
/// for its finer search API: spans, anchored searches, captures into a reused buffer.
fn build_regex(pattern: &str) -> Result<Regex, String> {
    Regex::builder()
        .configure(
            Regex::config()
                .nfa_size_limit(Some(MAX_REGEX_SIZE))
                .utf8_empty(false),
        )
        .syntax(syntax_config())
        .build(pattern)
        .map_err(|e| describe(&e))
}

/// Patterns match bytes, not only UTF-8 text, as in `regex::bytes`.
fn syntax_config() -> syntax::Config {
    syntax::Config::new().utf8(false)
}

/// The syntax tree of `pattern` as the regex is built from it; `None` if it does not parse.
pub(crate) fn parse(pattern: &str) -> Option<Hir> {
    syntax::parse_with(pattern, &syntax_config()).ok()
}

/// Groups holding the secret: `secret` and any `secret_*`.
fn secret_groups(regex: &Regex) -> Vec<usize> {
    regex
        .group_info()
        .pattern_names(PatternID::ZERO)
        .enumerate()
        .filter(|(_, n)| n.is_some_and(|n| n == "secret" || n.starts_with("secret_")))
        .map(|(i, _)| i)
        .collect()
}

/// A build error as the `regex` crate words it: the syntax error itself when there is one.
fn describe(error: &meta::BuildError) -> String {
    match error.syntax_error() {
        Some(syntax) => syntax.to_string(),
        None => error.to_string(),
    }
}

fn is_snake_case(id: &str) -> bool {
    let mut bytes = id.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_'))
        && id.len() <= 64
}
