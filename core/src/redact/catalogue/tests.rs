//! Every built-in rule is checked against its own examples and counterexamples.

use super::builtins;
use crate::redact::validate::is_placeholder;
use crate::Redactor;

fn only(id: &str) -> Redactor {
    let mut builder = Redactor::builder();
    for other in builtins().iter().filter(|b| b.id != id) {
        builder = builder.disable(other.id);
    }
    builder.build().unwrap()
}

/// The non-public part of `credential` must not survive in `out` as any run of 8 characters.
fn leaks(credential: &str, out: &str) -> bool {
    let chars: Vec<char> = credential.chars().collect();
    if chars.len() < 8 {
        return out.contains(credential);
    }
    chars
        .windows(8)
        .any(|w| out.contains(&w.iter().collect::<String>()))
}

#[test]
fn catalogue_is_well_formed() {
    let rules = builtins();
    let mut ids = std::collections::HashSet::new();
    for rule in &rules {
        assert!(ids.insert(rule.id), "duplicate id {}", rule.id);
        assert!(!rule.keywords.is_empty(), "{} has no keywords", rule.id);
        assert!(
            !rule.description.is_empty(),
            "{} has no description",
            rule.id
        );
        assert!(!rule.examples.is_empty(), "{} has no examples", rule.id);
        assert!(
            !rule.counterexamples.is_empty(),
            "{} has no counterexamples",
            rule.id
        );
    }
}

#[test]
fn every_rule_finds_its_examples() {
    for rule in builtins() {
        let redactor = only(rule.id);
        for (text, credential) in rule.examples {
            let found = redactor.find(text);
            assert_eq!(
                found.len(),
                1,
                "{}: expected one finding in {text:?}, got {found:?}",
                rule.id
            );
            assert_eq!(
                &text[found[0].span.clone()],
                *credential,
                "{}: in {text:?}",
                rule.id
            );
            assert!(
                !is_placeholder(credential),
                "{}: example is a placeholder",
                rule.id
            );
        }
    }
}

#[test]
fn every_example_is_fully_redacted_by_the_whole_catalogue() {
    let redactor = Redactor::new();
    for rule in builtins() {
        for (text, credential) in rule.examples {
            let out = redactor.redact(text);
            assert!(!leaks(credential, &out), "{}: {text:?} -> {out:?}", rule.id);
        }
    }
}

#[test]
fn no_rule_fires_on_its_counterexamples() {
    for rule in builtins() {
        let redactor = only(rule.id);
        for text in rule.counterexamples {
            assert_eq!(
                redactor.find(text),
                vec![],
                "{}: false positive in {text:?}",
                rule.id
            );
        }
    }
}
