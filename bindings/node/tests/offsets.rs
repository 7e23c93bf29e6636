//! Tests of the UTF-16 offset conversion. The module is included by path because the crate is
//! a cdylib that only links inside Node (see Cargo.toml).

#[path = "../src/offsets.rs"]
#[allow(dead_code)]
mod offsets;

use offsets::Utf16Offsets;

#[test]
fn matches_std_utf16_length_at_every_char_boundary() {
    let text = "aé€😀b日本😀";
    for (byte, _) in text.char_indices().chain([(text.len(), ' ')]) {
        let expected = text[..byte].encode_utf16().count() as u32;
        assert_eq!(Utf16Offsets::new(text.as_bytes()).at(byte), expected);
    }
}

#[test]
fn ascending_and_descending_queries_agree() {
    let text = "😀 key 😀 end";
    let mut offsets = Utf16Offsets::new(text.as_bytes());
    assert_eq!(offsets.at(5), 3);
    assert_eq!(offsets.at(text.len()), 13);
    assert_eq!(offsets.at(5), 3);
}

#[test]
fn ascii_offsets_are_byte_offsets_and_clamped() {
    let mut offsets = Utf16Offsets::new(b"plain ascii");
    assert_eq!(offsets.at(6), 6);
    assert_eq!(offsets.at(100), 11);
}

#[test]
fn an_offset_inside_a_character_does_not_panic() {
    // Byte 2 is inside 'é' (bytes 1..3): counted as the character started, no panic.
    let mut offsets = Utf16Offsets::new("aé".as_bytes());
    assert_eq!(offsets.at(2), 2);
}
