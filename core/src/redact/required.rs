//! Bytes a pattern cannot match without.
//!
//! A rule runs when one of its keywords occurs, but a keyword says little for the generic
//! rules: `token` or `key` appear in most log lines. Their patterns, though, need punctuation
//! that many lines lack: an XML attribute pair needs `=` and `"`, an element needs `<`, a
//! URL's userinfo needs `@`. Checking for such bytes with `memchr` costs a few nanoseconds;
//! a regex search that finds nothing costs a hundred or more. The bytes are read off the
//! pattern's syntax tree, so they hold for user rules as much as for built-in ones.

use memchr::{memchr, memchr2, memchr3};
use regex_syntax::hir::{Class, Hir, HirKind};

/// At least one of these bytes (one to three) occurs in every match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AnyOf {
    bytes: [u8; 3],
    len: u8,
}

impl AnyOf {
    fn new(mut set: Vec<u8>) -> Option<AnyOf> {
        set.sort_unstable();
        set.dedup();
        let mut bytes = [0; 3];
        bytes.get_mut(..set.len())?.copy_from_slice(&set);
        Some(AnyOf {
            bytes,
            len: set.len() as u8,
        })
    }

    fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// Whether one of the bytes occurs in `text`.
    pub fn occurs_in(&self, text: &[u8]) -> bool {
        match *self.bytes() {
            [a] => memchr(a, text).is_some(),
            [a, b] => memchr2(a, b, text).is_some(),
            [a, b, c] => memchr3(a, b, c, text).is_some(),
            _ => true,
        }
    }
}

/// Punctuation found in most log lines (timestamps, paths, key=value pairs, JSON).
const COMMON: &[u8] = b" \t.:/-_=,\"'()[]";

/// How many requirements a rule checks: each one is a pass over the text.
const MAX_CHECKED: usize = 3;

/// The requirements worth checking before running the pattern `hir`: at most three, rare
/// punctuation first. Letters and digits are left out: they are in most lines, and in the
/// keywords that chose the rule. Empty when the pattern requires nothing useful.
pub(crate) fn required_bytes(hir: &Hir) -> Vec<AnyOf> {
    let mut found: Vec<AnyOf> = Vec::new();
    for req in requirements(hir) {
        if !found.contains(&req) {
            found.push(req);
        }
    }
    found.retain(|r| !r.bytes().iter().any(u8::is_ascii_alphanumeric));
    // Rare bytes first: a requirement filters only the lines that lack it.
    found.sort_by_key(|r| {
        (
            r.bytes().iter().filter(|b| COMMON.contains(b)).count(),
            r.len,
        )
    });
    found.truncate(MAX_CHECKED);
    found
}

/// Every requirement of `hir`, possibly with repeats.
fn requirements(hir: &Hir) -> Vec<AnyOf> {
    match hir.kind() {
        HirKind::Literal(lit) => lit.0.iter().filter_map(|&b| AnyOf::new(vec![b])).collect(),
        HirKind::Class(class) => class_bytes(class)
            .and_then(AnyOf::new)
            .into_iter()
            .collect(),
        HirKind::Repetition(rep) if rep.min > 0 => requirements(&rep.sub),
        HirKind::Capture(cap) => requirements(&cap.sub),
        HirKind::Concat(parts) => parts.iter().flat_map(requirements).collect(),
        // Each branch must supply one of the bytes: the union of one requirement per branch
        // is required, if it stays small enough to check.
        HirKind::Alternation(branches) => {
            let union: Option<Vec<u8>> = branches.iter().try_fold(Vec::new(), |mut union, b| {
                let best = requirements(b).into_iter().min_by_key(|r| r.len)?;
                union.extend_from_slice(best.bytes());
                Some(union)
            });
            union.and_then(AnyOf::new).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

/// The bytes a class matches, when they are ASCII and at most three.
fn class_bytes(class: &Class) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    match class {
        Class::Bytes(c) => {
            for r in c.iter() {
                out.extend(r.start()..=r.end());
                if out.len() > 3 {
                    return None;
                }
            }
        }
        Class::Unicode(c) => {
            for r in c.iter() {
                let (start, end) = (u32::from(r.start()), u32::from(r.end()));
                if end >= 0x80 || end - start >= 3 {
                    return None;
                }
                out.extend((start..=end).map(|b| b as u8));
                if out.len() > 3 {
                    return None;
                }
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn required(pattern: &str) -> Vec<Vec<u8>> {
        let hir = crate::redact::rule::parse(pattern).unwrap();
        required_bytes(&hir)
            .iter()
            .map(|r| r.bytes().to_vec())
            .collect()
    }

    #[test]
    fn punctuation_the_pattern_needs_is_found() {
        assert_eq!(
            required(r"<(?P<k>[a-z]+)>[^<]*</"),
            [b"<".to_vec(), b">".to_vec(), b"/".to_vec()]
        );
        assert_eq!(required(r"key[ \t]*=[ \t]*x"), [b"=".to_vec()]);
        // One of `=` and `:` from each branch of the separator.
        assert_eq!(required(r"k(?:=>|:=|[:=])v"), [b":=".to_vec()]);
        // The rare `@` goes first.
        assert_eq!(
            required(r"https?://(?P<s>[a-f0-9]{32})@x"),
            [b"@".to_vec(), b":".to_vec(), b"/".to_vec()]
        );
    }

    #[test]
    fn optional_and_open_parts_require_nothing() {
        assert!(required(r"key(?:=x)?").is_empty());
        assert!(required(r"key(?:=|\s)x").is_empty());
        assert!(required(r"key[^a-z]x").is_empty());
        assert!(required(r"(?i)token").is_empty());
    }

    #[test]
    fn a_requirement_is_met_by_any_of_its_bytes() {
        let req = AnyOf::new(vec![b':', b'=']).unwrap();
        assert!(req.occurs_in(b"a=b"));
        assert!(req.occurs_in(b"a:b"));
        assert!(!req.occurs_in(b"a b"));
        assert!(AnyOf::new(vec![1, 2, 3, 4]).is_none());
    }
}
