//! Capture groups that sit at fixed distances from a match's edges.
//!
//! Most provider patterns read `(?P<token>ghp_(?P<secret>[A-Za-z0-9]{36}))\b`: whatever the
//! match, `token` is all of it and `secret` starts four bytes in. For such a pattern the spans
//! follow from the match itself, and the capture engines (a backtracker that costs thousands
//! of instructions per match) need not run. The analysis works on the pattern's syntax tree
//! and accepts a group only when every match places it the same way; anything else falls back
//! to resolving captures.
//!
//! Many patterns end with a boundary that the `regex` crate, lacking look-ahead, has to
//! consume: `(?:[^A-Za-z0-9_-]|$)` after a token. Such a match ends one byte after the token,
//! or at the token's end when the text ends there. [`trailing_boundary`] recognises the form,
//! and when no byte the boundary consumes can end the rest of the pattern, the byte before a
//! match's end tells which alternative was taken.

use std::ops::Range;

use regex_syntax::hir::{Class, Hir, HirKind};

/// Where one edge of a group lies: a fixed number of bytes after the match's start, or before
/// its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edge {
    FromStart(usize),
    FromEnd(usize),
}

impl Edge {
    fn within(self, span: &Range<usize>) -> usize {
        match self {
            Edge::FromStart(n) => span.start + n,
            Edge::FromEnd(n) => span.end - n,
        }
    }
}

/// Where a group's two edges lie in every match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Offsets {
    pub start: Edge,
    pub end: Edge,
}

impl Offsets {
    /// The group's span within the match `span`.
    pub fn within(self, span: &Range<usize>) -> Range<usize> {
        self.start.within(span)..self.end.within(span)
    }
}

/// Where `group` (a capture index) lies in every match of the pattern `hir`, when that is
/// fixed: the group is on every path (not under an alternation or a repetition), and each of
/// its edges has a fixed length of pattern on one side: `ghp_` before the body, or a body of
/// 40 bytes before the match's end, whatever key name came first.
pub(crate) fn fixed_offsets(hir: &Hir, group: usize) -> Option<Offsets> {
    if group == 0 {
        return Some(Offsets {
            start: Edge::FromStart(0),
            end: Edge::FromEnd(0),
        });
    }
    let place = locate(hir, u32::try_from(group).ok()?)?;
    let start = match (place.before, place.len, place.after) {
        (Some(before), _, _) => Edge::FromStart(before),
        (None, Some(len), Some(after)) => Edge::FromEnd(after + len),
        _ => return None,
    };
    let end = match (place.before, place.len, place.after) {
        (_, _, Some(after)) => Edge::FromEnd(after),
        (Some(before), Some(len), None) => Edge::FromStart(before + len),
        _ => return None,
    };
    Some(Offsets { start, end })
}

/// The lengths, where fixed, of the pattern before a group, of the group, and after it.
struct Place {
    before: Option<usize>,
    len: Option<usize>,
    after: Option<usize>,
}

fn locate(hir: &Hir, group: u32) -> Option<Place> {
    match hir.kind() {
        HirKind::Capture(cap) if cap.index == group => Some(Place {
            before: Some(0),
            len: fixed_len(std::slice::from_ref(&*cap.sub)),
            after: Some(0),
        }),
        HirKind::Capture(cap) => locate(&cap.sub, group),
        HirKind::Concat(parts) => {
            let (at, inner) = parts
                .iter()
                .enumerate()
                .find_map(|(i, part)| locate(part, group).map(|o| (i, o)))?;
            let sum = |a: Option<usize>, b: Option<usize>| Some(a? + b?);
            Some(Place {
                before: sum(fixed_len(&parts[..at]), inner.before),
                len: inner.len,
                after: sum(inner.after, fixed_len(&parts[at + 1..])),
            })
        }
        // Under an alternation the group may not take part; under a repetition it may take
        // part several times. Either way its place is not fixed.
        _ => None,
    }
}

/// A set of bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ByteSet([u64; 4]);

impl ByteSet {
    fn empty() -> ByteSet {
        ByteSet([0; 4])
    }

    pub fn contains(&self, byte: u8) -> bool {
        self.0[usize::from(byte / 64)] & (1 << (byte % 64)) != 0
    }

    fn insert_range(&mut self, from: u8, to: u8) {
        for b in from..=to {
            self.0[usize::from(b / 64)] |= 1 << (b % 64);
        }
    }

    fn union(mut self, other: &ByteSet) -> ByteSet {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
        self
    }

    fn is_disjoint(&self, other: &ByteSet) -> bool {
        self.0.iter().zip(other.0).all(|(a, b)| a & b == 0)
    }
}

/// A pattern that ends with a boundary `(?:C|<assertion>)`, C a class of single bytes none of
/// which can end the rest of the pattern: the rest, and C. In a match the boundary consumed a
/// byte exactly when the match's last byte is in C.
pub(crate) fn trailing_boundary(hir: &Hir) -> Option<(Hir, ByteSet)> {
    let HirKind::Concat(parts) = hir.kind() else {
        return None;
    };
    let (last, body) = parts.split_last()?;
    let HirKind::Alternation(alternatives) = last.kind() else {
        return None;
    };
    let [consumed, asserted] = alternatives.as_slice() else {
        return None;
    };
    let class = byte_class(consumed)?;
    if !matches!(asserted.kind(), HirKind::Look(_)) {
        return None;
    }
    let body = Hir::concat(body.to_vec());
    last_bytes(&body)
        .is_some_and(|ends| ends.is_disjoint(&class))
        .then_some((body, class))
}

/// The bytes a one-byte class matches.
fn byte_class(hir: &Hir) -> Option<ByteSet> {
    let HirKind::Class(Class::Bytes(class)) = hir.kind() else {
        return None;
    };
    let mut set = ByteSet::empty();
    for range in class.ranges() {
        set.insert_range(range.start(), range.end());
    }
    Some(set)
}

/// The bytes a match of `hir` can end with, where the pattern's shape makes that simple to
/// tell: `None` for anything that may end empty or with a look-around.
fn last_bytes(hir: &Hir) -> Option<ByteSet> {
    match hir.kind() {
        HirKind::Literal(literal) => {
            let mut set = ByteSet::empty();
            let &last = literal.0.last()?;
            set.insert_range(last, last);
            Some(set)
        }
        HirKind::Class(_) => byte_class(hir),
        HirKind::Capture(cap) => last_bytes(&cap.sub),
        HirKind::Repetition(rep) if rep.min > 0 => last_bytes(&rep.sub),
        HirKind::Concat(parts) => last_bytes(parts.last()?),
        HirKind::Alternation(alternatives) => {
            alternatives.iter().try_fold(ByteSet::empty(), |set, alt| {
                Some(set.union(&last_bytes(alt)?))
            })
        }
        _ => None,
    }
}

/// The length every match of `parts` in sequence has, if they all have one.
fn fixed_len(parts: &[Hir]) -> Option<usize> {
    parts.iter().try_fold(0, |total, part| {
        let props = part.properties();
        match (props.minimum_len(), props.maximum_len()) {
            (Some(min), Some(max)) if min == max => Some(total + min),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use Edge::{FromEnd, FromStart};

    fn parse(pattern: &str) -> Hir {
        crate::redact::rule::parse(pattern).unwrap()
    }

    fn offsets(pattern: &str, group: usize) -> Option<(Edge, Edge)> {
        fixed_offsets(&parse(pattern), group).map(|o| (o.start, o.end))
    }

    #[test]
    fn fixed_prefixes_and_suffixes_are_found() {
        let github = r"(?-u)(?P<token>gh[pousr]_(?P<secret>[A-Za-z0-9]{36}))\b";
        // A body of fixed length is placed from the end, whatever key name comes before it.
        let aws = r#"(?i-u)aws_?secret_?(?:access_?)?key[ :="]+(?P<s>[A-Za-z0-9/+]{40})\b"#;
        let cases = [
            (github, 1, FromStart(0), FromEnd(0)),
            (github, 2, FromStart(4), FromEnd(0)),
            // Alternatives of equal length keep the offset fixed.
            (
                r"sk_(?:live|test)_(?P<s>[a-z]+)",
                1,
                FromStart(8),
                FromEnd(0),
            ),
            (r"(?P<s>[a-z]+)@x\b", 1, FromStart(0), FromEnd(2)),
            (r"(?i-u)key:(?P<s>[a-z]+)", 1, FromStart(4), FromEnd(0)),
            (aws, 1, FromEnd(40), FromEnd(0)),
            (
                r"(?P<k>[a-z]+)=(?P<v>[0-9]{4})",
                1,
                FromStart(0),
                FromEnd(5),
            ),
            // Both edges of a fixed-length group follow from one side.
            (r"x(?P<s>[0-9]{4})[a-z]+", 1, FromStart(1), FromStart(5)),
        ];
        for (pattern, group, start, end) in cases {
            assert_eq!(offsets(pattern, group), Some((start, end)), "{pattern}");
        }
        // In Unicode mode `k` also matches the 3-byte Kelvin sign, so the length varies.
        assert_eq!(offsets(r"(?i)key:(?P<s>[a-z]+)", 1), None);
    }

    fn boundary(pattern: &str) -> Option<(Edge, Edge, Vec<u8>)> {
        let (body, class) = trailing_boundary(&parse(pattern))?;
        let o = fixed_offsets(&body, 1)?;
        Some((
            o.start,
            o.end,
            (0..=255).filter(|&b| class.contains(b)).collect(),
        ))
    }

    #[test]
    fn trailing_boundaries_are_split_off() {
        let url =
            r"(?-u)(?P<s>sk-(?:proj-[A-Za-z0-9_-]{40,250}|[A-Za-z0-9]{48}))(?:[^A-Za-z0-9_-]|$)";
        let (start, end, class) = boundary(url).unwrap();
        assert_eq!((start, end), (FromStart(0), FromEnd(0)));
        assert_eq!(class.len(), 256 - 64);
        assert!(class.contains(&b'.') && !class.contains(&b'_'));
        assert_eq!(
            boundary(r"(?-u)x(?P<s>[a-f]{8}=)(?:[^=]|\z)").unwrap().1,
            FromEnd(0)
        );
        // A boundary byte could also end the token: which alternative matched is unknown.
        assert_eq!(boundary(r"(?-u)(?P<s>[a-z.]+)(?:[^a-z]|$)"), None);
        // The token may end empty, or with a look-around.
        assert_eq!(boundary(r"(?-u)(?P<s>[a-z]*)(?:[^a-z]|$)"), None);
        assert_eq!(boundary(r"(?-u)(?P<s>[a-z]+\b)(?:[^a-z]|$)"), None);
        // Not a boundary of one byte or nothing.
        assert_eq!(boundary(r"(?-u)(?P<s>[a-z]+)(?:[^a-z]{2}|$)"), None);
        assert_eq!(boundary(r"(?-u)(?P<s>[a-z]+)(?:[^a-z]|x)"), None);
    }

    #[test]
    fn variable_placements_are_refused() {
        // Prefix of variable length, before a group of variable length.
        assert_eq!(offsets(r"(?:hf|api_org)_(?P<s>[a-z]{30,34})", 1), None);
        assert_eq!(offsets(r"bearer[ \t]+(?P<s>[a-z]+)", 1), None);
        // Suffix of variable length.
        assert_eq!(offsets(r"(?P<s>[a-z]+)(?:[^a-z]|$)", 1), None);
        // The group is optional, alternative or repeated.
        assert_eq!(offsets(r"x(?P<s>[a-z]+)?", 1), None);
        assert_eq!(offsets(r"x(?:(?P<s>[a-z]+)|[0-9]+)", 1), None);
        assert_eq!(offsets(r"(?:x(?P<s>[a-z]))+", 1), None);
    }
}
