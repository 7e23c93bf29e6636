//! Terminal escape sequences, read as blanks.
//!
//! CI logs and coloured console output wrap keys and values in ECMA-48 control sequences
//! (`ESC [ 1 ; 31 m ... ESC [ 0 m`). The sequence's last byte is a letter that sticks to what
//! follows (`32mAKIA...`), and one between a key and its `=` splits the assignment. Replacing
//! each sequence with as many spaces keeps every byte offset, so findings on the blanked text
//! apply to the original unchanged.

use memchr::memchr_iter;

const ESC: u8 = 0x1b;

/// A copy of `text` with every control sequence (CSI: `ESC [`, parameter bytes `0x30..=0x3f`,
/// intermediate bytes `0x20..=0x2f`, a final byte `0x40..=0x7e`) replaced by spaces; `None`
/// when `text` holds none, the common case, which costs one `memchr`.
pub(crate) fn blank_escapes(text: &[u8]) -> Option<Vec<u8>> {
    let mut plain: Option<Vec<u8>> = None;
    for at in memchr_iter(ESC, text) {
        if let Some(len) = sequence_len(&text[at..]) {
            plain.get_or_insert_with(|| text.to_vec())[at..at + len].fill(b' ');
        }
    }
    plain
}

/// The length of the control sequence `bytes` starts with, if it is a complete one.
fn sequence_len(bytes: &[u8]) -> Option<usize> {
    if bytes.get(1) != Some(&b'[') {
        return None;
    }
    let body = &bytes[2..];
    let params = body
        .iter()
        .take_while(|b| (0x30..=0x3f).contains(*b))
        .count();
    let inter = body[params..]
        .iter()
        .take_while(|b| (0x20..=0x2f).contains(*b))
        .count();
    let last = *body.get(params + inter)?;
    (0x40..=0x7e)
        .contains(&last)
        .then_some(2 + params + inter + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_become_spaces_of_the_same_length() {
        let text = b"\x1b[1;31mERROR\x1b[0m key\x1b[K";
        let plain = blank_escapes(text).unwrap();
        assert_eq!(plain.len(), text.len());
        assert_eq!(&plain[..], b"       ERROR     key   ");
    }

    #[test]
    fn text_without_a_sequence_is_not_copied() {
        assert_eq!(blank_escapes(b"plain line"), None);
        // A lone ESC, an unfinished sequence and other escapes are left as they are.
        assert_eq!(blank_escapes(b"a\x1b b \x1b[12"), None);
        assert_eq!(blank_escapes(b"\x1b]8;;https://x\x1b\\"), None);
    }
}
