//! Capture groups that sit at fixed distances from a match's edges.
//!
//! Most provider patterns read `(?P<token>ghp_(?P<secret>[A-Za-z0-9]{36}))\b`: whatever the
//! match, `token` is all of it and `secret` starts four bytes in. For such a pattern the spans
//! follow from the match itself, and the capture engines (a backtracker that costs thousands
//! of instructions per match) need not run. The analysis works on the pattern's syntax tree
//! and accepts a group only when every match places it the same way; anything else falls back
//! to resolving captures.

use std::ops::Range;

use regex_syntax::hir::{Hir, HirKind};

/// A group's distance from the start of the match to its start, and from its end to the end
/// of the match, both in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Offsets {
    pub from_start: usize,
    pub to_end: usize,
}

impl Offsets {
    /// The group's span within the match `span`.
    pub fn within(self, span: &Range<usize>) -> Range<usize> {
        span.start + self.from_start..span.end - self.to_end
    }
}

/// Where `group` (a capture index) lies in every match of the pattern `hir`, when that is
/// fixed: the group is on every path (not under an alternation or a repetition) and
/// everything before and after it has a fixed length.
pub(crate) fn fixed_offsets(hir: &Hir, group: usize) -> Option<Offsets> {
    if group == 0 {
        return Some(Offsets {
            from_start: 0,
            to_end: 0,
        });
    }
    locate(hir, u32::try_from(group).ok()?)
}

fn locate(hir: &Hir, group: u32) -> Option<Offsets> {
    match hir.kind() {
        HirKind::Capture(cap) if cap.index == group => Some(Offsets {
            from_start: 0,
            to_end: 0,
        }),
        HirKind::Capture(cap) => locate(&cap.sub, group),
        HirKind::Concat(parts) => {
            let (at, inner) = parts
                .iter()
                .enumerate()
                .find_map(|(i, part)| locate(part, group).map(|o| (i, o)))?;
            Some(Offsets {
                from_start: fixed_len(&parts[..at])? + inner.from_start,
                to_end: inner.to_end + fixed_len(&parts[at + 1..])?,
            })
        }
        // Under an alternation the group may not take part; under a repetition it may take
        // part several times. Either way its place is not fixed.
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

    fn offsets(pattern: &str, group: usize) -> Option<(usize, usize)> {
        let config = regex_automata::util::syntax::Config::new().utf8(false);
        let hir = regex_automata::util::syntax::parse_with(pattern, &config).unwrap();
        fixed_offsets(&hir, group).map(|o| (o.from_start, o.to_end))
    }

    #[test]
    fn fixed_prefixes_and_suffixes_are_found() {
        let github = r"(?-u)(?P<token>gh[pousr]_(?P<secret>[A-Za-z0-9]{36}))\b";
        assert_eq!(offsets(github, 1), Some((0, 0)));
        assert_eq!(offsets(github, 2), Some((4, 0)));
        // Alternatives of equal length keep the offset fixed.
        assert_eq!(offsets(r"sk_(?:live|test)_(?P<s>[a-z]+)", 1), Some((8, 0)));
        assert_eq!(offsets(r"(?P<s>[a-z]+)@x\b", 1), Some((0, 2)));
        assert_eq!(offsets(r"(?i-u)key:(?P<s>[a-z]+)", 1), Some((4, 0)));
        // In Unicode mode `k` also matches the 3-byte Kelvin sign, so the length varies.
        assert_eq!(offsets(r"(?i)key:(?P<s>[a-z]+)", 1), None);
    }

    #[test]
    fn variable_placements_are_refused() {
        // Prefix of variable length.
        assert_eq!(offsets(r"(?:hf|api_org)_(?P<s>[a-z]{34})", 1), None);
        assert_eq!(offsets(r"bearer[ \t]+(?P<s>[a-z]+)", 1), None);
        // Suffix of variable length.
        assert_eq!(offsets(r"(?P<s>[a-z]+)(?:[^a-z]|$)", 1), None);
        // The group is optional, alternative or repeated.
        assert_eq!(offsets(r"x(?P<s>[a-z]+)?", 1), None);
        assert_eq!(offsets(r"x(?:(?P<s>[a-z]+)|[0-9]+)", 1), None);
        assert_eq!(offsets(r"(?:x(?P<s>[a-z]))+", 1), None);
    }
}
