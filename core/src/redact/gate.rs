//! The literal half of the first stage: case-sensitive literals that every match of a rule
//! starts with, found at SIMD speed.
//!
//! Most provider rules open with a fixed prefix (`ghp_`, `xoxb-`, `AKIA`, the `sk_live_` or
//! `sk_test_` of a Stripe key). Such a rule's prefixes are read off its pattern's syntax tree
//! (a finite set of literals one of which every match starts with), and the rule is then
//! triggered by them instead of by its keywords: aho-corasick's packed Teddy searchers, up to
//! 64 literals each, tell whether any occurs; only a text where one does is searched again,
//! with an automaton reporting every literal, to learn which rules to run.
//!
//! A rule is triggered by literals only when each of them holds one of its keywords (ASCII
//! case aside). The rule then runs only where the old keyword prefilter would run it, and
//! wherever it has a match, since the match starts with a literal: its findings are the same.
//! The other rules keep their keywords.

use std::collections::HashMap;
use std::sync::OnceLock;

use aho_corasick::{packed, AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::Hir;

use parking_lot::Mutex;

use super::rule::{parse, Rule};

/// The shortest literal worth a Teddy searcher: shorter ones fire on too many texts.
const MIN_LITERAL: usize = 3;

/// The most literals one rule may bring.
const MAX_RULE_LITERALS: usize = 16;

/// Literals per Teddy searcher (its limit).
const TEDDY_PATTERNS: usize = 64;

/// The case-sensitive literals one of which starts every match of `rule`, when there are few,
/// none shorter than [`MIN_LITERAL`], none a case variant of another, and each holds one of
/// the rule's keywords.
pub(crate) fn literal_trigger(rule: &Rule) -> Option<Vec<Vec<u8>>> {
    // A built-in rule's trigger is the same in every redactor: read once per process, since
    // parsing the whole catalogue would cost more than the rest of a build.
    type Cache = HashMap<(&'static str, Vec<String>), Option<Vec<Vec<u8>>>>;
    static BUILTINS: OnceLock<Mutex<Cache>> = OnceLock::new();
    let Some(pattern) = rule.static_pattern() else {
        return read_literal_trigger(rule);
    };
    let key = (pattern, rule.info.keywords.clone());
    let cache = BUILTINS.get_or_init(Mutex::default);
    if let Some(found) = cache.lock().get(&key) {
        return found.clone();
    }
    let found = read_literal_trigger(rule);
    cache.lock().insert(key, found.clone());
    found
}

fn read_literal_trigger(rule: &Rule) -> Option<Vec<Vec<u8>>> {
    let literals = prefix_literals(&parse(rule.pattern_source())?)?;
    let keywords: Vec<Vec<u8>> = rule
        .info
        .keywords
        .iter()
        .map(|k| k.as_bytes().to_ascii_lowercase())
        .collect();
    let holds_keyword = |literal: &Vec<u8>| {
        let literal = literal.to_ascii_lowercase();
        keywords
            .iter()
            .any(|k| !k.is_empty() && literal.windows(k.len()).any(|w| w == k.as_slice()))
    };
    literals.iter().all(holds_keyword).then_some(literals)
}

/// Literals one of which every match of `hir` starts with, if they suit a Teddy searcher.
fn prefix_literals(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let mut extractor = Extractor::new();
    extractor
        .kind(ExtractKind::Prefix)
        .limit_class(4)
        .limit_repeat(8)
        .limit_literal_len(16)
        .limit_total(MAX_RULE_LITERALS);
    let mut seq = extractor.extract(hir);
    seq.dedup();
    let literals = seq.literals()?;
    let mut folded: Vec<Vec<u8>> = literals
        .iter()
        .map(|l| l.as_bytes().to_ascii_lowercase())
        .collect();
    folded.sort();
    folded.dedup();
    // Case variants of one word (`(?i)fastly`) are as common in text as the word: such a rule
    // is better served by its keywords.
    let usable = !literals.is_empty()
        && literals.len() <= MAX_RULE_LITERALS
        && folded.len() == literals.len()
        && literals.iter().all(|l| l.len() >= MIN_LITERAL);
    usable.then(|| literals.iter().map(|l| l.as_bytes().to_vec()).collect())
}

/// The literal triggers of a rule set.
pub(crate) struct Literals {
    /// The literals, in the order of `every`'s patterns.
    literals: Vec<Vec<u8>>,
    /// Whether any literal occurs: Teddy where the CPU has it.
    any: AnyLiteral,
    /// Every literal, reporting overlapping matches: which rules to run.
    every: AhoCorasick,
    /// For each literal of `every`, the rules it triggers.
    rules: Vec<Vec<usize>>,
}

enum AnyLiteral {
    Packed(Vec<packed::Searcher>),
    /// No Teddy on this CPU.
    Automaton(AhoCorasick),
}

impl Literals {
    /// The literal triggers of `rules`, given each one's (`None`: keywords). `None` when no
    /// rule has literals.
    pub fn new(triggers: &[Option<Vec<Vec<u8>>>]) -> Option<Literals> {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut rules: Vec<Vec<usize>> = Vec::new();
        for (rule, trigger) in triggers.iter().enumerate() {
            for literal in trigger.iter().flatten() {
                match literals.iter().position(|l| l == literal) {
                    Some(at) => rules[at].push(rule),
                    None => {
                        literals.push(literal.clone());
                        rules.push(vec![rule]);
                    }
                }
            }
        }
        if literals.is_empty() {
            return None;
        }
        let every = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&literals)
            .expect("literals build");
        // Whether any occurs: a literal that starts with another is found through it.
        let mut shortest: Vec<&Vec<u8>> = literals
            .iter()
            .filter(|l| {
                !literals
                    .iter()
                    .any(|o| o.len() < l.len() && l.starts_with(o))
            })
            .collect();
        shortest.sort();
        let packed: Option<Vec<packed::Searcher>> = shortest
            .chunks(TEDDY_PATTERNS)
            .map(|chunk| {
                packed::Config::new()
                    .match_kind(packed::MatchKind::LeftmostFirst)
                    .builder()
                    .extend(chunk)
                    .build()
            })
            .collect();
        let any = match packed {
            Some(searchers) => AnyLiteral::Packed(searchers),
            None => AnyLiteral::Automaton(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(&shortest)
                    .expect("literals build"),
            ),
        };
        Some(Literals {
            any,
            every,
            rules,
            literals,
        })
    }

    /// How many searchers tell whether a literal occurs.
    pub fn scans(&self) -> usize {
        match &self.any {
            AnyLiteral::Packed(searchers) => searchers.len(),
            AnyLiteral::Automaton(_) => 1,
        }
    }

    /// Where the leftmost literal of searcher `scan` at or after `from` starts.
    pub fn first(&self, scan: usize, text: &[u8], from: usize) -> Option<usize> {
        match &self.any {
            AnyLiteral::Packed(searchers) => searchers[scan]
                .find_in(text, aho_corasick::Span::from(from..text.len()))
                .map(|m| m.start()),
            AnyLiteral::Automaton(automaton) => automaton
                .find(aho_corasick::Input::new(text).range(from..))
                .map(|m| m.start()),
        }
    }

    /// The literals.
    pub fn literals(&self) -> &[Vec<u8>] {
        &self.literals
    }

    /// Whether any literal occurs in `text`.
    pub fn occur_in(&self, text: &[u8]) -> bool {
        match &self.any {
            AnyLiteral::Packed(searchers) => searchers.iter().any(|s| s.find(text).is_some()),
            AnyLiteral::Automaton(automaton) => automaton.is_match(text),
        }
    }

    /// Calls `add` with every rule whose literals occur in `text`.
    pub fn rules_in(&self, text: &[u8], mut add: impl FnMut(usize)) {
        for m in self.every.find_overlapping_iter(text) {
            for &rule in &self.rules[m.pattern().as_usize()] {
                add(rule);
            }
        }
    }
}
