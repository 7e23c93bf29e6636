//! Conversion of byte offsets (what the core reports) to UTF-16 code-unit offsets (how JS
//! strings index: `text.slice(start, end)`).

/// Converts ascending byte offsets of one text to UTF-16 offsets in a single pass.
///
/// Offsets must be asked for in non-decreasing order to stay linear; a smaller offset is
/// still answered correctly by rescanning from the start.
pub struct Utf16Offsets<'t> {
    text: &'t [u8],
    /// True when every byte is ASCII: then both offsets are equal.
    ascii: bool,
    byte: usize,
    unit: usize,
}

impl<'t> Utf16Offsets<'t> {
    /// A converter over `text`.
    pub fn new(text: &'t [u8]) -> Utf16Offsets<'t> {
        Utf16Offsets {
            text,
            ascii: text.is_ascii(),
            byte: 0,
            unit: 0,
        }
    }

    /// The UTF-16 offset of byte offset `byte` (clamped to the text's length).
    pub fn at(&mut self, byte: usize) -> u32 {
        let byte = byte.min(self.text.len());
        if self.ascii {
            return byte as u32;
        }
        if byte < self.byte {
            self.byte = 0;
            self.unit = 0;
        }
        self.unit += utf16_len(&self.text[self.byte..byte]);
        self.byte = byte;
        self.unit as u32
    }
}

/// UTF-16 length of UTF-8 bytes, counted from lead bytes so that a slice cut inside a
/// character cannot panic: each non-continuation byte starts one code unit, and a 4-byte
/// sequence (lead byte `0xF0..`) is a surrogate pair, one unit more.
fn utf16_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .map(|&b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0))
        .sum()
}
