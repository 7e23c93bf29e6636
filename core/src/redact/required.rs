//! Bytes, and pairs of adjacent bytes, a pattern cannot match without.
//!
//! A rule runs when one of its keywords occurs, but a keyword says little for the generic
//! rules: `token` or `key` appear in most log lines. Their patterns, though, need punctuation
//! that many lines lack: an XML attribute pair needs `=` and `"`, an element needs `<`, a
//! URL's userinfo needs `@`. Checking for such bytes with `memchr` costs a few nanoseconds;
//! a regex search that finds nothing costs a hundred or more. The bytes are read off the
//! pattern's syntax tree, so they hold for user rules as much as for built-in ones.
//!
//! Some structure is in most lines byte by byte but rare as a pair: a command-line flag
//! needs a `-` at a line start or after a blank, and a log line's `-` is mostly in a date. Such
//! [`Pair`]s are read off the tree too, where two parts of a pattern meet.

use memchr::{memchr, memchr2, memchr2_iter, memchr3, memchr3_iter, memchr_iter};
use regex_syntax::hir::{Class, Hir, HirKind, Look};

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

/// Two adjacent bytes one of which every match holds: one of `before` right before one of
/// `after`, or (`at_start`) one of `after` at the text's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pair {
    before: AnyOf,
    after: AnyOf,
    at_start: bool,
}

impl Pair {
    /// Whether the pair occurs in `text`.
    pub fn occurs_in(&self, text: &[u8]) -> bool {
        let before = self.before.bytes();
        let is_pair = |at: usize| match at.checked_sub(1) {
            None => self.at_start,
            Some(prev) => before.contains(&text[prev]),
        };
        match *self.after.bytes() {
            [a] => memchr_iter(a, text).any(is_pair),
            [a, b] => memchr2_iter(a, b, text).any(is_pair),
            [a, b, c] => memchr3_iter(a, b, c, text).any(is_pair),
            _ => true,
        }
    }
}

/// The pairs worth checking before running the pattern `hir`: at most one, made of blanks,
/// line starts and punctuation. Letters and digits are left out (the keywords that chose the
/// rule hold those), and so is a pair ending in a space: a check walks the text from one
/// `after` byte to the next, and spaces are everywhere.
pub(crate) fn required_pairs(hir: &Hir) -> Vec<Pair> {
    let mut found = Vec::new();
    pairs(hir, &mut found);
    found.retain(|p| {
        let alnum = |set: &AnyOf| set.bytes().iter().any(u8::is_ascii_alphanumeric);
        !alnum(&p.before) && !alnum(&p.after) && !p.after.bytes().contains(&b' ')
    });
    found.sort_by_key(|p| (!p.at_start, p.after.len, p.before.len));
    found.dedup();
    found.truncate(1);
    found
}

/// Every pair two parts of `hir` that must both take part in a match make where they meet.
fn pairs(hir: &Hir, found: &mut Vec<Pair>) {
    match hir.kind() {
        HirKind::Capture(cap) => pairs(&cap.sub, found),
        HirKind::Repetition(rep) if rep.min > 0 => pairs(&rep.sub, found),
        HirKind::Concat(parts) => {
            for part in parts {
                pairs(part, found);
            }
            for cut in 1..parts.len() {
                let end = Edge::of_seq(parts[..cut].iter().rev(), last_edge).filter(|e| !e.open);
                let start = Edge::of_seq(parts[cut..].iter(), first_edge)
                    .filter(|e| !e.open && !e.bytes.is_empty());
                let (Some(end), Some(start)) = (end, start) else {
                    continue;
                };
                let pair =
                    AnyOf::new(end.bytes)
                        .zip(AnyOf::new(start.bytes))
                        .map(|(before, after)| Pair {
                            before,
                            after,
                            at_start: end.at_start,
                        });
                found.extend(pair);
            }
        }
        _ => {}
    }
}

/// What one edge of every match looks like (its first byte, or its last): one of `bytes`;
/// or, for an end, the text's start (`at_start`, a match empty there); or, when `open`, the
/// match may be empty anywhere, and what lies beyond it tells. `None` where a function below
/// returns no edge: the edge may be too many bytes to tell (a wide class).
#[derive(Default)]
struct Edge {
    bytes: Vec<u8>,
    at_start: bool,
    open: bool,
}

impl Edge {
    fn closed(bytes: Vec<u8>) -> Edge {
        Edge {
            bytes,
            ..Edge::default()
        }
    }

    fn open() -> Edge {
        Edge {
            open: true,
            ..Edge::default()
        }
    }

    /// The edge of `parts` in sequence, given from that edge's side (the first part first
    /// for a start, the last first for an end): parts that may be empty add their bytes, and
    /// the first that cannot closes the edge.
    fn of_seq<'h>(
        parts: impl Iterator<Item = &'h Hir>,
        edge_of: fn(&Hir) -> Option<Edge>,
    ) -> Option<Edge> {
        let mut edge = Edge::open();
        for part in parts {
            let next = edge_of(part)?;
            edge.bytes.extend(next.bytes);
            edge.at_start |= next.at_start;
            if !next.open {
                edge.open = false;
                break;
            }
        }
        edge.bytes.sort_unstable();
        edge.bytes.dedup();
        // Past three bytes no check is made: a wider edge tells nothing useful.
        (edge.bytes.len() <= 3).then_some(edge)
    }

    /// The edge of a match of any of `branches`.
    fn of_any(branches: &[Hir], edge_of: fn(&Hir) -> Option<Edge>) -> Option<Edge> {
        let mut edge = Edge::default();
        for branch in branches {
            let next = edge_of(branch)?;
            edge.bytes.extend(next.bytes);
            edge.at_start |= next.at_start;
            edge.open |= next.open;
        }
        Some(edge)
    }

    /// `self` for a repetition of `min` or more.
    fn repeated(mut self, min: u32) -> Edge {
        self.open |= min == 0;
        self
    }
}

/// How a match of `hir` starts.
fn first_edge(hir: &Hir) -> Option<Edge> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(Edge::open()),
        HirKind::Literal(lit) => Some(Edge::closed(lit.0.first().copied().into_iter().collect())),
        HirKind::Class(class) => Some(Edge::closed(class_bytes(class)?)),
        HirKind::Capture(cap) => first_edge(&cap.sub),
        HirKind::Repetition(rep) => Some(first_edge(&rep.sub)?.repeated(rep.min)),
        HirKind::Concat(parts) => Edge::of_seq(parts.iter(), first_edge),
        HirKind::Alternation(branches) => Edge::of_any(branches, first_edge),
    }
}

/// How a match of `hir` ends. A line start ends a match that is empty there after a line
/// feed or at the text's start.
fn last_edge(hir: &Hir) -> Option<Edge> {
    match hir.kind() {
        HirKind::Empty => Some(Edge::open()),
        HirKind::Look(Look::StartLF) => Some(Edge {
            bytes: vec![b'\n'],
            at_start: true,
            open: false,
        }),
        HirKind::Look(Look::Start) => Some(Edge {
            at_start: true,
            ..Edge::default()
        }),
        HirKind::Look(_) => Some(Edge::open()),
        HirKind::Literal(lit) => Some(Edge::closed(lit.0.last().copied().into_iter().collect())),
        HirKind::Class(class) => Some(Edge::closed(class_bytes(class)?)),
        HirKind::Capture(cap) => last_edge(&cap.sub),
        HirKind::Repetition(rep) => Some(last_edge(&rep.sub)?.repeated(rep.min)),
        HirKind::Concat(parts) => Edge::of_seq(parts.iter().rev(), last_edge),
        HirKind::Alternation(branches) => Edge::of_any(branches, last_edge),
    }
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

    fn pairs_of(pattern: &str) -> Vec<Pair> {
        required_pairs(&crate::redact::rule::parse(pattern).unwrap())
    }

    #[test]
    fn a_flag_needs_its_dash_at_a_line_start_or_after_a_blank() {
        let pairs = pairs_of(r"(?i-u)(?:(?m:^)|[ \t])(?P<key>--?[a-z]*pass[a-z]*)[ \t]+\S+");
        let [pair] = pairs[..] else {
            panic!("{pairs:?}")
        };
        assert!(pair.at_start);
        assert_eq!(pair.before.bytes(), b"\t\n ");
        assert_eq!(pair.after.bytes(), b"-");
        assert!(pair.occurs_in(b"-p x"));
        assert!(pair.occurs_in(b"mysql --password x"));
        assert!(pair.occurs_in(b"a\n--pass x"));
        assert!(!pair.occurs_in(b"2024-05-18 pool-3 x-y"));
    }

    #[test]
    fn a_pair_joins_parts_across_optional_blanks() {
        // `=` or a blank, then the quote.
        let [pair] = pairs_of(r#"value[ \t]*=[ \t]*"(?P<secret>[^"]+)""#)[..] else {
            panic!()
        };
        assert_eq!(pair.before.bytes(), b"\t =");
        assert_eq!(pair.after.bytes(), b"\"");
        assert!(!pair.at_start);
    }

    #[test]
    fn open_or_wide_parts_make_no_pair() {
        // Either side may be empty, or wide, or both letters.
        assert!(pairs_of(r"a?-?x").is_empty());
        assert!(pairs_of(r"[^x]-").is_empty());
        assert!(pairs_of(r"(?i)token").is_empty());
        assert!(pairs_of(r"key[ \t]+value").is_empty());
        // A match that starts the pattern may follow anything.
        assert!(pairs_of(r#"-(?P<s>\S+)"#).is_empty());
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
