//! Secret redaction.
//!
//! A [`Redactor`] holds a compiled set of rules: the built-in catalogue (see
//! [`Redactor::rules`], or `tokenward rules` on the command line) plus any added from a
//! [`Config`]. Each rule has literal keywords, a pattern whose `secret` group marks the part
//! that must not survive, and optionally a validator (a checksum, an entropy floor, a
//! placeholder test) that confirms a candidate before it is redacted.
//!
//! Matching runs in two steps. An [Aho-Corasick](aho_corasick) automaton over every rule's
//! keywords scans the text once; a text with no keyword returns at once, borrowed and without
//! allocating, and [`Redactor::redact_lines`] scans a whole batch of lines this way, redacting
//! only the lines around a keyword. Only the rules whose keywords occurred run their pattern,
//! and only on a text holding every byte and pair of adjacent bytes the pattern needs (the `<`
//! of an XML element, the `@` of a URL's userinfo, a flag's `-` at a line start or after a
//! blank: read off the pattern's syntax tree and checked with `memchr`). An assignment rule
//! (`password = ...`) runs only where a key holding one of its keywords is followed by `=` or
//! `:`, and from the first such key on, so `token` in prose costs it nothing. Where a pattern
//! places its groups at fixed distances from the match's edges (`ghp_` then the secret), the
//! groups are read off the match span instead of running a capture engine. Patterns use bounded
//! repetitions and the [`regex`] crate's linear-time engines, so the cost stays linear in the
//! text whatever it holds.
//!
//! Findings of several rules that overlap are merged, so a secret is never left half-masked;
//! when a provider rule and a generic one (a `password=` assignment, an `Authorization` header)
//! find the same credential, the provider's label wins.
//!
//! ```
//! use tokenward::{Redactor, Style};
//!
//! let redactor = Redactor::builder().style(Style::Prefix).build()?;
//! let line = r#"{"msg": "login", "password": "Tr0ub4dor3"}"#;
//! assert_eq!(redactor.redact(line), r#"{"msg": "login", "password": "********"}"#);
//!
//! for finding in redactor.find(line) {
//!     assert_eq!(finding.rule.as_ref(), "password_assignment");
//!     assert_eq!(&line[finding.span], "Tr0ub4dor3");
//! }
//! # Ok::<(), tokenward::Error>(())
//! ```

mod ansi;
// The grammar's macros are used by the catalogue, so this module comes first.
#[macro_use]
mod assignment;
mod catalogue;
mod config;
mod gate;
mod layout;
mod lines;
mod required;
mod rule;
mod stream;
mod style;
pub(crate) mod validate;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind, PatternID};
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input};

pub use config::Config;
pub(crate) use rule::Candidate;
pub use rule::{RuleDef, RuleInfo};
pub use stream::StreamRedactor;
pub use style::Style;

use crate::Error;
use rule::{Compiled, Rule, Shortcut, Tail};
use style::FingerprintKey;

/// A secret found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Finding {
    /// The id of the rule that found it.
    pub rule: Arc<str>,
    /// Byte range of the credential, public prefix included (`ghp_...`).
    pub span: Range<usize>,
    /// Byte range of the part that must not survive; within `span`.
    pub secret_span: Range<usize>,
    /// True when the rule's checksum (or the structure its issuer encodes) holds. A finding
    /// with a distinctive prefix whose checksum fails (a truncated or hand-edited key) is still
    /// redacted, with `verified` false; so is every finding of a rule without a checksum
    /// ([`RuleInfo::checksum`]).
    pub verified: bool,
}

/// An immutable, compiled rule set. Cheap to clone; `Send + Sync`.
///
/// Build one with [`Redactor::new`] (the built-in catalogue, label style) or
/// [`Redactor::builder`].
#[derive(Clone)]
pub struct Redactor {
    inner: Arc<Inner>,
}

struct Inner {
    rules: Vec<Rule>,
    prefilter: Option<AhoCorasick>,
    /// For each prefilter pattern, the rules it is a keyword of.
    keyword_rules: Vec<Vec<usize>>,
    /// For each prefilter pattern, the length of the longest keyword that contains it.
    keyword_reach: Vec<usize>,
    /// Rules without keywords: they run on every text.
    unanchored: Vec<usize>,
    /// For each rule, its slot in [`KeyStarts`] if it is keyed ([`Rule::keyed`]).
    key_slots: Vec<Option<usize>>,
    /// For each prefilter pattern, whether one of its rules is keyed.
    keys_keyword: Vec<bool>,
    /// The rules triggered by literals instead of keywords ([`gate`]).
    literals: Option<gate::Literals>,
    style: Style,
    fingerprint_key: Option<FingerprintKey>,
    allow_values: HashSet<Box<[u8]>>,
    allow_patterns: Option<regex::bytes::RegexSet>,
    /// A Guard's key: minted tokens are then shown as their `TokenId`, whatever the style.
    token_key: Option<crate::token::TokenKey>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The fingerprint key and allowlisted values are deliberately not shown.
        f.debug_struct("Redactor")
            .field("rules", &self.inner.rules.len())
            .field("style", &self.inner.style)
            .field("fingerprint_key", &self.inner.fingerprint_key.is_some())
            .finish()
    }
}

impl Default for Redactor {
    fn default() -> Redactor {
        Redactor::new()
    }
}

impl Redactor {
    /// The built-in catalogue with the label style.
    pub fn new() -> Redactor {
        // The catalogue is tested to compile, so this cannot fail.
        RedactorBuilder::new()
            .build()
            .expect("the built-in catalogue compiles")
    }

    /// A builder for a redactor with options.
    pub fn builder() -> RedactorBuilder {
        RedactorBuilder::new()
    }

    /// The style this redactor writes.
    pub fn style(&self) -> Style {
        self.inner.style
    }

    /// The rules in force, in the order they are tried.
    pub fn rules(&self) -> impl Iterator<Item = &RuleInfo> + '_ {
        self.inner.rules.iter().map(|r| &r.info)
    }

    /// The first stage's triggers: the literals (case-sensitive) and the keywords (ASCII
    /// case-insensitive) whose occurrence sends a text on to the rules' patterns. For the
    /// benchmarks' floors; not part of the stable API.
    #[doc(hidden)]
    pub fn first_stage_triggers(&self) -> (Vec<Vec<u8>>, Vec<String>) {
        let inner = &*self.inner;
        let literals = inner
            .literals
            .as_ref()
            .map_or_else(Vec::new, |l| l.literals().to_vec());
        let mut keywords: Vec<String> = inner
            .rules
            .iter()
            .enumerate()
            .filter(|(index, _)| {
                inner
                    .keyword_rules
                    .iter()
                    .any(|rules| rules.contains(index))
            })
            .flat_map(|(_, rule)| rule.info.keywords.iter().map(|k| k.to_ascii_lowercase()))
            .collect();
        keywords.sort();
        keywords.dedup();
        (literals, keywords)
    }

    /// Redacts every secret in `text`. Returns the input borrowed when nothing was found.
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match self.redact_bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            // Replacements are ASCII and spans lie on character boundaries, so the output is
            // UTF-8; the lossy path is only a guard against a user pattern written with `(?-u)`.
            Cow::Owned(bytes) => Cow::Owned(
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
        }
    }

    /// Redacts every secret in `text`, which need not be UTF-8: bytes outside redacted spans,
    /// invalid sequences included, pass through unchanged.
    pub fn redact_bytes<'t>(&self, text: &'t [u8]) -> Cow<'t, [u8]> {
        let findings = self.find_bytes(text);
        if findings.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = Vec::with_capacity(text.len() + 16 * findings.len());
        self.write_redacted(text, &findings, &mut out);
        Cow::Owned(out)
    }

    /// Appends `text` to `out` with each of `findings` (sorted, disjoint, within `text`)
    /// replaced by its rendering.
    pub(crate) fn write_redacted(&self, text: &[u8], findings: &[Finding], out: &mut Vec<u8>) {
        let mut at = 0;
        for finding in findings {
            out.extend_from_slice(&text[at..finding.span.start]);
            self.render(out, finding, text);
            at = finding.span.end;
        }
        out.extend_from_slice(&text[at..]);
    }

    /// The secrets in `text`, sorted by position and never overlapping.
    pub fn find(&self, text: &str) -> Vec<Finding> {
        self.find_bytes(text.as_bytes())
    }

    /// The secrets in `text`, which need not be UTF-8; sorted by position, never overlapping.
    ///
    /// Terminal escape sequences (colours in CI output, `ESC [ 32 m`) are read as blanks, so a
    /// coloured key or token is found as if it were plain; offsets still refer to `text`.
    pub fn find_bytes(&self, text: &[u8]) -> Vec<Finding> {
        match ansi::blank_escapes(text) {
            Some(plain) => self.find_plain(&plain),
            None => self.find_plain(text),
        }
    }

    fn find_plain(&self, text: &[u8]) -> Vec<Finding> {
        merge_overlaps(self.hits(text), None)
    }

    /// The secrets in `text` as [`find_bytes`](Self::find_bytes) gives them, each with where
    /// the match that found it began (a key name, a quote before the value): the context a
    /// stream must keep with the secret so that it is found again.
    pub(crate) fn find_with_reach(&self, text: &[u8]) -> (Vec<Finding>, Vec<usize>) {
        let hits = match ansi::blank_escapes(text) {
            Some(plain) => self.hits(&plain),
            None => self.hits(text),
        };
        let mut reach = Vec::new();
        let findings = merge_overlaps(hits, Some(&mut reach));
        (findings, reach)
    }

    /// Every rule's accepted matches in `text`, unsorted and possibly overlapping.
    fn hits(&self, text: &[u8]) -> Vec<Hit> {
        let first = self.first_keyword(text, 0);
        self.hits_after(text, first.map(|m| (m.pattern(), m.end())))
    }

    /// [`hits`](Self::hits) given the keyword match that ends first in `text` (its pattern and
    /// end; `None`: no keyword occurs), when a scan of a larger text found it already.
    fn hits_after(&self, text: &[u8], first: Option<FirstKeyword>) -> Vec<Hit> {
        let inner = &*self.inner;
        let mut candidates = RuleBits::new(inner.rules.len());
        let mut key_starts = KeyStarts([usize::MAX; MAX_KEYED]);
        self.candidates_after(text, first, &mut candidates, &mut key_starts);
        if candidates.is_empty() && inner.unanchored.is_empty() {
            return Vec::new();
        }
        let mut found = Vec::new();
        for index in candidates.iter().chain(inner.unanchored.iter().copied()) {
            let from = inner.key_slots[index].map_or(0, |slot| key_starts.0[slot]);
            self.run_rule(index, text, from, &mut found);
        }
        found
    }

    /// The rules whose triggers occur in `text`: literals, or keywords.
    #[cfg(test)]
    fn candidates(&self, text: &[u8]) -> RuleBits {
        let first = self.first_keyword(text, 0).map(|m| (m.pattern(), m.end()));
        let mut candidates = RuleBits::new(self.inner.rules.len());
        let mut key_starts = KeyStarts([usize::MAX; MAX_KEYED]);
        self.candidates_after(text, first, &mut candidates, &mut key_starts);
        candidates
    }

    /// Notes in `candidates` the rules whose triggers occur in `text`, given the keyword
    /// match that ends first, and in `key_starts` where each keyed rule's first key lies.
    fn candidates_after(
        &self,
        text: &[u8],
        first: Option<FirstKeyword>,
        candidates: &mut RuleBits,
        key_starts: &mut KeyStarts,
    ) {
        let inner = &*self.inner;
        if let Some(literals) = &inner.literals {
            // Most texts hold no literal: one pass of Teddy tells, before the exact search.
            if literals.occur_in(text) {
                literals.rules_in(text, |rule| candidates.insert(rule));
            }
        }
        let Some(prefilter) = &inner.prefilter else {
            return;
        };
        // The first keyword decides whether anything runs at all: most log lines have none,
        // and a plain `find` is much cheaper than overlapping iteration. It reports the match
        // that ends first, so another keyword either starts after it starts or contains it:
        // none starts before its end minus the longest keyword containing it.
        if let Some((pattern, end)) = first {
            let reach = inner.keyword_reach[pattern.as_usize()];
            let rest = aho_corasick::Input::new(text).range(end.saturating_sub(reach)..);
            let mut key_runs = assignment::KeyRuns::default();
            for m in prefilter.find_overlapping_iter(rest) {
                let rules = &inner.keyword_rules[m.pattern().as_usize()];
                if !inner.keys_keyword[m.pattern().as_usize()] {
                    for &rule in rules {
                        candidates.insert(rule);
                    }
                    continue;
                }
                // Where the key holding this keyword starts, if a separator follows the key:
                // asked once, and only of a keyword of a keyed rule.
                let mut key = None;
                for &rule in rules {
                    let Some(slot) = inner.key_slots[rule] else {
                        candidates.insert(rule);
                        continue;
                    };
                    let key =
                        *key.get_or_insert_with(|| key_runs.key_start(text, m.start(), m.end()));
                    if let Some(start) = key {
                        candidates.insert(rule);
                        key_starts.0[slot] = key_starts.0[slot].min(start);
                    }
                }
            }
        }
    }

    /// Whether some rule runs on every text (it has no keywords).
    fn runs_everywhere(&self) -> bool {
        !self.inner.unanchored.is_empty()
    }

    /// How many searchers find the trigger literals (none without the literal stage).
    fn literal_scans(&self) -> usize {
        self.inner.literals.as_ref().map_or(0, |l| l.scans())
    }

    /// Where the leftmost trigger literal of searcher `scan` at or after `from` starts: no
    /// literal of it lies wholly in a line before the one holding that offset.
    fn first_literal(&self, scan: usize, text: &[u8], from: usize) -> Option<usize> {
        self.inner.literals.as_ref()?.first(scan, text, from)
    }

    /// The keyword match at or after `from` that ends first: no keyword lies wholly in a line
    /// before the one holding its last byte.
    fn first_keyword(&self, text: &[u8], from: usize) -> Option<aho_corasick::Match> {
        self.inner
            .prefilter
            .as_ref()?
            .find(aho_corasick::Input::new(text).range(from..))
    }

    /// Runs rule `index` on `text`, where no match of it starts before `from`.
    fn run_rule(&self, index: usize, text: &[u8], from: usize, found: &mut Vec<Hit>) {
        let rule = &self.inner.rules[index];
        let Some(compiled) = rule.compiled() else {
            return;
        };
        if !compiled.may_match(text) {
            return;
        }
        self.run_pattern(rule, compiled, text, from, found);
    }

    /// Every accepted match of `rule`'s pattern in `text` from `from` on.
    fn run_pattern(
        &self,
        rule: &Rule,
        compiled: &Compiled,
        text: &[u8],
        from: usize,
        found: &mut Vec<Hit>,
    ) {
        let mut groups = Groups::default();
        let mut at = from;
        // The lazy DFA finds where a match lies without resolving groups; most candidate texts
        // have none. Groups are then resolved on the match alone.
        while let Some(m) = compiled.regex.search(&Input::new(text).range(at..)) {
            at = m.end().max(m.start() + 1);
            let Some(parts) = groups.resolve(compiled, text, m.range()) else {
                continue;
            };
            let found_candidate = candidate(text, m.range(), &parts);
            let accepted = match &found_candidate {
                Some(c) => self.accepts(rule, c),
                // A user pattern may match bytes that are not UTF-8; with no validator to
                // ask, such a match is still redacted.
                None => rule.validate.is_none() && rule.min_entropy.is_none(),
            };
            if accepted {
                let (token, secret) = (parts.token, parts.secret);
                let span = token.start.min(secret.start)..token.end.max(secret.end);
                let reach = m.start().min(span.start);
                let verified = match (&found_candidate, rule.checksum) {
                    (Some(c), Some(check)) => check(c),
                    _ => false,
                };
                let finding = Finding {
                    rule: rule.info.id.clone(),
                    span,
                    secret_span: secret,
                    verified,
                };
                found.push(Hit {
                    finding,
                    generic: rule.generic,
                    reach,
                });
            }
        }
    }

    fn accepts(&self, rule: &Rule, c: &Candidate<'_>) -> bool {
        let inner = &*self.inner;
        // Documentation dummies never; keys their providers publish by design, for the
        // built-in rules (a user's rule may want them).
        if validate::is_placeholder(c.secret)
            || (rule.info.builtin && validate::is_public_by_design(c.secret))
        {
            return false;
        }
        if inner.allow_values.contains(c.token.as_bytes())
            || inner.allow_values.contains(c.secret.as_bytes())
        {
            return false;
        }
        if let Some(allow) = &inner.allow_patterns {
            if allow.is_match(c.token.as_bytes()) {
                return false;
            }
        }
        if let Some(min) = rule.min_entropy {
            if validate::shannon_entropy(c.secret) < min {
                return false;
            }
        }
        rule.validate.is_none_or(|validate| validate(c))
    }

    fn render(&self, out: &mut Vec<u8>, finding: &Finding, text: &[u8]) {
        let token = &text[finding.span.clone()];
        if let Some(key) = &self.inner.token_key {
            if *finding.rule == *catalogue::tokenward::RULE_ID {
                return catalogue::tokenward::render_token_id(out, key, token);
            }
        }
        let public_len = finding.secret_span.start - finding.span.start;
        style::render(
            self.inner.style,
            out,
            &finding.rule,
            token,
            public_len,
            self.inner.fingerprint_key.as_ref(),
        );
    }
}

/// The keyword match that ends first in a text: its pattern in the keyword automaton, and
/// its end.
type FirstKeyword = (PatternID, usize);

/// Keyed rules ([`Rule::keyed`]) a redactor tracks the first key of; any further one runs on
/// the whole text. The catalogue has three.
const MAX_KEYED: usize = 4;

/// For each keyed rule's slot, where the first key followed by a separator that holds one of
/// its keywords starts (`usize::MAX`: none, and then the rule is no candidate).
struct KeyStarts([usize; MAX_KEYED]);

/// Words of rule bits held on the stack: 1024 rules (the built-in catalogue holds over 800).
const INLINE_RULE_WORDS: usize = 16;

/// A set of rule indexes: the rules a text's keywords call for. Held on the stack for rule
/// sets of up to 1024 rules, so a line costs no allocation to note them.
struct RuleBits {
    inline: [u64; INLINE_RULE_WORDS],
    heap: Vec<u64>,
}

impl RuleBits {
    fn new(rules: usize) -> RuleBits {
        let words = rules.div_ceil(64);
        RuleBits {
            inline: [0; INLINE_RULE_WORDS],
            heap: if words > INLINE_RULE_WORDS {
                vec![0; words]
            } else {
                Vec::new()
            },
        }
    }

    fn words(&self) -> &[u64] {
        if self.heap.is_empty() {
            &self.inline
        } else {
            &self.heap
        }
    }

    fn insert(&mut self, rule: usize) {
        let words = if self.heap.is_empty() {
            &mut self.inline[..]
        } else {
            &mut self.heap[..]
        };
        words[rule / 64] |= 1 << (rule % 64);
    }

    fn is_empty(&self) -> bool {
        self.words().iter().all(|&w| w == 0)
    }

    /// The rules in the set, in index order (the order rules are tried in).
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words().iter().enumerate().flat_map(|(at, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    at * 64 + bit
                })
            })
        })
    }
}

/// Where a match's groups lie.
#[derive(Debug, PartialEq)]
struct Parts {
    token: Range<usize>,
    secret: Range<usize>,
    key: Option<Range<usize>>,
}

/// Capture buffers for one rule, allocated on its first match and reused for the next.
#[derive(Default)]
struct Groups {
    whole: Option<Captures>,
    tail: Option<Captures>,
}

impl Groups {
    /// Resolves the groups of the match at `span`, by the pattern's shortcut when it has one
    /// (see [`Shortcut`]), else by capturing on the whole pattern.
    fn resolve(&mut self, compiled: &Compiled, text: &[u8], span: Range<usize>) -> Option<Parts> {
        match &compiled.shortcut {
            Shortcut::Layout(layout) => {
                let span = layout.frame(text, span);
                let secret = layout.secret.within(&span);
                return Some(Parts {
                    token: layout.token.map_or(secret.clone(), |t| t.within(&span)),
                    key: layout.key.map(|k| k.within(&span)),
                    secret,
                });
            }
            Shortcut::Tail(tail) => {
                if let Some(parts) = self.resolve_tail(tail, text, &span) {
                    return Some(parts);
                }
            }
            Shortcut::None => {}
        }
        self.resolve_by_captures(compiled, text, span)
    }

    /// A `key = value` match: the key is its leading run of `[A-Za-z0-9_.-]`, and the groups
    /// are read off the rest by hand where the value is plain, else captured on the rest (see
    /// the `assignment` module).
    fn resolve_tail(&mut self, tail: &Tail, text: &[u8], span: &Range<usize>) -> Option<Parts> {
        let key_end = span.start
            + text[span.clone()]
                .iter()
                .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
                .count();
        let key = Some(span.start..key_end);
        if let Some(secret) = assignment::read_value(text, key_end, span.end) {
            return Some(Parts {
                token: secret.clone(),
                secret,
                key,
            });
        }
        let caps = self
            .tail
            .get_or_insert_with(|| tail.regex.create_captures());
        let input = Input::new(text)
            .range(key_end..span.end)
            .anchored(Anchored::Yes);
        tail.regex.search_captures(&input, caps);
        let secret = first_group(caps, &tail.secret_groups)?;
        Some(Parts {
            token: secret.clone(),
            secret,
            key,
        })
    }

    /// The groups by capturing on the whole pattern, whatever its shortcut. The search is
    /// anchored on the span, so the engines see a few dozen bytes instead of the rest of the
    /// text; look-around still sees the context.
    fn resolve_by_captures(
        &mut self,
        compiled: &Compiled,
        text: &[u8],
        span: Range<usize>,
    ) -> Option<Parts> {
        let caps = self
            .whole
            .get_or_insert_with(|| compiled.regex.create_captures());
        let input = Input::new(text).range(span).anchored(Anchored::Yes);
        compiled.regex.search_captures(&input, caps);
        let secret = if compiled.secret_groups.is_empty() {
            caps.get_group(0).map(|s| s.range())
        } else {
            first_group(caps, &compiled.secret_groups)
        }?;
        let group = |g: usize| caps.get_group(g).map(|s| s.range());
        Some(Parts {
            token: compiled
                .token_group
                .and_then(group)
                .unwrap_or(secret.clone()),
            key: compiled.key_group.and_then(group),
            secret,
        })
    }
}

/// The first of `groups` that took part in the match.
fn first_group(caps: &Captures, groups: &[usize]) -> Option<Range<usize>> {
    groups
        .iter()
        .find_map(|&g| caps.get_group(g).map(|s| s.range()))
}

/// The validator's view of a match; `None` when a part of it is not UTF-8.
fn candidate<'h>(
    haystack: &'h [u8],
    match_span: Range<usize>,
    parts: &Parts,
) -> Option<Candidate<'h>> {
    let utf8 = |r: &Range<usize>| std::str::from_utf8(&haystack[r.clone()]).ok();
    Some(Candidate {
        token: utf8(&parts.token)?,
        secret: utf8(&parts.secret)?,
        key: match &parts.key {
            Some(k) => Some(utf8(k)?),
            None => None,
        },
        haystack,
        match_span,
    })
}

/// A rule's accepted match, before overlapping ones are merged.
struct Hit {
    finding: Finding,
    /// Whether the rule is generic: a provider rule's label wins over it.
    generic: bool,
    /// Where the match began: at or before `finding.span.start`.
    reach: usize,
}

/// Sorts findings and merges those that overlap, so every byte of every secret is covered.
/// At one start position a provider rule beats a generic one, and a longer match a shorter.
/// With `reach`, the earliest match start of each merged finding is pushed to it.
fn merge_overlaps(mut found: Vec<Hit>, mut reach: Option<&mut Vec<usize>>) -> Vec<Finding> {
    found.sort_by(|a, b| {
        a.finding
            .span
            .start
            .cmp(&b.finding.span.start)
            .then(a.generic.cmp(&b.generic))
            .then(b.finding.span.end.cmp(&a.finding.span.end))
    });
    let mut merged: Vec<Finding> = Vec::with_capacity(found.len());
    for hit in found {
        let finding = hit.finding;
        match merged.last_mut() {
            Some(last) if finding.span.start < last.span.end => {
                if finding.span.end > last.span.end {
                    last.span.end = finding.span.end;
                    last.secret_span.end = finding.span.end;
                }
                if let Some(last_reach) = reach.as_deref_mut().and_then(|r| r.last_mut()) {
                    *last_reach = (*last_reach).min(hit.reach);
                }
            }
            _ => {
                merged.push(finding);
                if let Some(reach) = reach.as_deref_mut() {
                    reach.push(hit.reach);
                }
            }
        }
    }
    merged
}

/// Options for a [`Redactor`].
///
/// ```
/// use tokenward::{Redactor, RuleDef, Style};
///
/// let redactor = Redactor::builder()
///     .style(Style::Mask)
///     .disable("jwt")
///     .rule(RuleDef {
///         id: "acme_key".into(),
///         keywords: vec!["acme_".into()],
///         pattern: "acme_[a-z0-9]{32}".into(),
///         ..RuleDef::default()
///     })
///     .build()?;
/// assert_eq!(redactor.redact("acme_0123456789abcdef0123456789abcdef"), "********");
/// # Ok::<(), tokenward::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct RedactorBuilder {
    style: Option<Style>,
    builtins: bool,
    disable: Vec<String>,
    rules: Vec<RuleDef>,
    allow: Vec<String>,
    allow_patterns: Vec<String>,
    fingerprint_key: Option<Vec<u8>>,
    token_key: Option<crate::token::TokenKey>,
    token_prefixes: Vec<String>,
    literal_stage: bool,
}

impl fmt::Debug for RedactorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedactorBuilder")
            .field("style", &self.style)
            .field("builtins", &self.builtins)
            .field("disable", &self.disable)
            .field("rules", &self.rules.len())
            .field("fingerprint_key", &self.fingerprint_key.is_some())
            .field("token_key", &self.token_key.is_some())
            .finish_non_exhaustive()
    }
}

impl RedactorBuilder {
    /// The built-in catalogue, label style, no user rules.
    pub fn new() -> RedactorBuilder {
        RedactorBuilder {
            builtins: true,
            ..RedactorBuilder::default()
        }
    }

    /// Sets the output style.
    pub fn style(mut self, style: Style) -> Self {
        self.style = Some(style);
        self
    }

    /// Whether to load the built-in catalogue (default true).
    pub fn builtins(mut self, yes: bool) -> Self {
        self.builtins = yes;
        self
    }

    /// Turns off a built-in rule by id; `build` fails for an unknown id.
    pub fn disable(mut self, id: impl Into<String>) -> Self {
        self.disable.push(id.into());
        self
    }

    /// Adds a rule.
    pub fn rule(mut self, rule: RuleDef) -> Self {
        self.rules.push(rule);
        self
    }

    /// Never redacts this exact credential value.
    pub fn allow_value(mut self, value: impl Into<String>) -> Self {
        self.allow.push(value.into());
        self
    }

    /// Never redacts a credential matching this regex.
    pub fn allow_pattern(mut self, pattern: impl Into<String>) -> Self {
        self.allow_patterns.push(pattern.into());
        self
    }

    /// Key material for [`Style::Fingerprint`]; any length, kept only in derived form.
    pub fn fingerprint_key(mut self, key: &[u8]) -> Self {
        self.fingerprint_key = Some(key.to_vec());
        self
    }

    /// A Guard's [`TokenKey`](crate::token::TokenKey): tokens minted by tokenward (rule
    /// `tokenward_token`) are then redacted as `[REDACTED:tokenward_token:tid_<12 hex>]`, their
    /// `TokenId`, whatever the style, so a log line shows which registered token leaked.
    ///
    /// ```
    /// use tokenward::token::{mint, TokenKey};
    /// use tokenward::Redactor;
    ///
    /// let key = TokenKey::new(b"the guard's key");
    /// let token = mint("tw_", &[3u8; 32])?;
    /// let redactor = Redactor::builder().token_key(key.clone()).build()?;
    /// let line = format!("auth={}", token.expose());
    /// let id = key.id(token.expose().as_bytes());
    /// assert_eq!(redactor.redact(&line), format!("auth=[REDACTED:tokenward_token:{}]", id.short()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn token_key(mut self, key: crate::token::TokenKey) -> Self {
        self.token_key = Some(key);
        self
    }

    /// Also recognises tokenward tokens minted with this prefix (a Guard's `token_prefix`);
    /// `tw_` is always recognised. `build` fails for a malformed prefix.
    pub fn token_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.token_prefixes.push(prefix.into());
        self
    }

    /// Triggers the rules whose matches start with a few case-sensitive literals by those
    /// literals, found with Teddy, instead of by their keywords ([`gate`]). The findings are
    /// the same (the differential tests check it). Off by default: while the keyword automaton
    /// still runs for the other rules, the Teddy searchers add to it rather than replace it
    /// (see `benches/redact.rs`). Not part of the stable API.
    #[doc(hidden)]
    pub fn literal_stage(mut self, yes: bool) -> Self {
        self.literal_stage = yes;
        self
    }

    /// Applies a config document: its style (when set) wins over an earlier `style` call;
    /// its rules, disables and allowlists add to what is already set.
    pub fn config(mut self, config: Config) -> Self {
        if config.style.is_some() {
            self.style = config.style;
        }
        if let Some(builtins) = config.builtins {
            self.builtins = builtins;
        }
        self.disable.extend(config.disable);
        self.rules.extend(config.rules);
        self.allow.extend(config.allow);
        self.allow_patterns.extend(config.allow_patterns);
        self
    }

    /// Compiles the rule set.
    pub fn build(self) -> Result<Redactor, Error> {
        let style = self.style.unwrap_or_default();
        if style == Style::Fingerprint && self.fingerprint_key.is_none() {
            return Err(Error::MissingFingerprintKey);
        }
        let rules = self.compile_rules()?;
        let literal_triggers: Vec<Option<Vec<Vec<u8>>>> = if self.literal_stage {
            rules.iter().map(gate::literal_trigger).collect()
        } else {
            vec![None; rules.len()]
        };
        let Prefilter {
            automaton: prefilter,
            keyword_rules,
            keyword_reach,
            unanchored,
        } = build_prefilter(&rules, &literal_triggers)?;
        let key_slots = key_slots(&rules, &literal_triggers);
        let keys_keyword = keyword_rules
            .iter()
            .map(|rules| rules.iter().any(|&rule| key_slots[rule].is_some()))
            .collect();
        let literals = gate::Literals::new(&literal_triggers);
        let allow_patterns = if self.allow_patterns.is_empty() {
            None
        } else {
            for (index, pattern) in self.allow_patterns.iter().enumerate() {
                regex::bytes::Regex::new(pattern).map_err(|e| Error::InvalidAllowPattern {
                    index,
                    reason: crate::error::regex_reason(&e),
                })?;
            }
            Some(
                regex::bytes::RegexSet::new(&self.allow_patterns).map_err(|e| {
                    Error::InvalidAllowPattern {
                        index: 0,
                        reason: crate::error::regex_reason(&e),
                    }
                })?,
            )
        };
        Ok(Redactor {
            inner: Arc::new(Inner {
                rules,
                prefilter,
                keyword_rules,
                keyword_reach,
                unanchored,
                key_slots,
                keys_keyword,
                literals,
                style,
                fingerprint_key: self.fingerprint_key.as_deref().map(FingerprintKey::derive),
                allow_values: self
                    .allow
                    .into_iter()
                    .map(|v| v.into_bytes().into())
                    .collect(),
                allow_patterns,
                token_key: self.token_key,
            }),
        })
    }

    fn compile_rules(&self) -> Result<Vec<Rule>, Error> {
        let catalogue = catalogue::builtins();
        for (index, id) in self.disable.iter().enumerate() {
            if !catalogue.iter().any(|b| b.id == id) {
                return Err(Error::UnknownRule { index });
            }
        }
        let mut rules = Vec::new();
        if self.builtins {
            for builtin in catalogue
                .iter()
                .filter(|b| !self.disable.iter().any(|d| d == b.id))
            {
                // Configured minting prefixes widen the tokenward rule (the lone dynamic builtin).
                if builtin.id == catalogue::tokenward::RULE_ID && !self.token_prefixes.is_empty() {
                    rules.push(catalogue::tokenward::rule_with_prefixes(
                        &self.token_prefixes,
                    )?);
                } else {
                    rules.push(Rule::from_builtin(builtin)?);
                }
            }
        }
        let mut ids: HashSet<Arc<str>> = rules.iter().map(|r| r.info.id.clone()).collect();
        for def in &self.rules {
            let rule = Rule::from_def(def)?;
            if !ids.insert(rule.info.id.clone()) {
                return Err(Error::DuplicateRule(
                    crate::error::Clip(&def.id, 40).to_string(),
                ));
            }
            rules.push(rule);
        }
        Ok(rules)
    }
}

/// The keyword automaton of a rule set and what each of its patterns stands for.
struct Prefilter {
    automaton: Option<AhoCorasick>,
    keyword_rules: Vec<Vec<usize>>,
    keyword_reach: Vec<usize>,
    unanchored: Vec<usize>,
}

/// Keyword bytes up to which the prefilter is a full DFA. The built-in catalogue alone holds
/// about 10 KiB of keywords (600-odd provider rules and the service names of the long-tail
/// rule); its DFA takes about 3.4 MB and scans clean text several times faster than the
/// NFA, which a large set of user rules falls back to.
const DFA_KEYWORD_BYTES: usize = 16 * 1024;

/// The keyword automaton of the rules not triggered by literals (`literal_triggers`, one per
/// rule).
fn build_prefilter(
    rules: &[Rule],
    literal_triggers: &[Option<Vec<Vec<u8>>>],
) -> Result<Prefilter, Error> {
    let mut keywords: Vec<String> = Vec::new();
    let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
    let mut unanchored = Vec::new();
    // Keyword -> its index; the catalogue holds over a thousand keywords, so no linear search.
    let mut index_of: HashMap<String, usize> = HashMap::new();
    for (index, rule) in rules.iter().enumerate() {
        if rule.info.keywords.is_empty() {
            unanchored.push(index);
        }
        if literal_triggers[index].is_some() {
            continue;
        }
        for keyword in &rule.info.keywords {
            let keyword = keyword.to_ascii_lowercase();
            match index_of.get(&keyword) {
                Some(&at) => keyword_rules[at].push(index),
                None => {
                    index_of.insert(keyword.clone(), keywords.len());
                    keywords.push(keyword);
                    keyword_rules.push(vec![index]);
                }
            }
        }
    }
    if keywords.is_empty() {
        return Ok(Prefilter {
            automaton: None,
            keyword_rules,
            keyword_reach: Vec::new(),
            unanchored,
        });
    }
    // A full DFA scans several times faster than the default NFA; past `DFA_KEYWORD_BYTES`
    // (many user rules) its size is no longer worth it.
    let total: usize = keywords.iter().map(String::len).sum();
    let kind = (total <= DFA_KEYWORD_BYTES).then_some(AhoCorasickKind::DFA);
    let prefilter = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(kind)
        .build(&keywords)
        .map_err(|e| Error::Config(format!("keyword automaton: {e}")))?;
    let keyword_reach = keyword_reach(&prefilter, &keywords);
    Ok(Prefilter {
        automaton: Some(prefilter),
        keyword_rules,
        keyword_reach,
        unanchored,
    })
}

/// For each rule, its slot in [`KeyStarts`]: the first [`MAX_KEYED`] keyed rules triggered by
/// keywords have one.
fn key_slots(rules: &[Rule], literal_triggers: &[Option<Vec<Vec<u8>>>]) -> Vec<Option<usize>> {
    let mut next = 0;
    rules
        .iter()
        .zip(literal_triggers)
        .map(|(rule, literals)| {
            let keyed = rule.keyed() && literals.is_none() && !rule.info.keywords.is_empty();
            (keyed && next < MAX_KEYED).then(|| {
                next += 1;
                next - 1
            })
        })
        .collect()
}

/// For each keyword, the length of the longest keyword that contains it (itself at least).
/// Keywords are lower-cased, so containment here is containment case-insensitively; the
/// automaton finds, in each keyword, every keyword it contains.
fn keyword_reach(automaton: &AhoCorasick, keywords: &[String]) -> Vec<usize> {
    let mut reach: Vec<usize> = keywords.iter().map(String::len).collect();
    for other in keywords {
        for m in automaton.find_overlapping_iter(other.as_str()) {
            let k = m.pattern().as_usize();
            reach[k] = reach[k].max(other.len());
        }
    }
    reach
}

#[cfg(test)]
mod differential;
#[cfg(test)]
mod tests;
