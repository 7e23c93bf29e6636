//! Byte offsets to line and column numbers.

/// A 1-based line and column; the column counts characters (a byte that is not valid UTF-8
/// counts as one character).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Line number, from 1; lines end at `\n`.
    pub line: usize,
    /// Column number, from 1, in characters.
    pub column: usize,
}

/// Turns increasing byte offsets into positions in one pass over the text, so a file with
/// many findings (even on one long line) costs time linear in its length.
pub struct Locator<'t> {
    text: &'t [u8],
    offset: usize,
    at: Position,
}

impl<'t> Locator<'t> {
    /// A locator at the start of `text`.
    pub fn new(text: &'t [u8]) -> Locator<'t> {
        Locator {
            text,
            offset: 0,
            at: Position { line: 1, column: 1 },
        }
    }

    /// The position of byte `offset`. Offsets must not decrease from call to call.
    pub fn position(&mut self, offset: usize) -> Position {
        assert!(offset >= self.offset, "offsets must not decrease");
        let offset = offset.min(self.text.len());
        let mut segment = &self.text[self.offset..offset];
        while let Some(newline) = segment.iter().position(|&b| b == b'\n') {
            self.at = Position {
                line: self.at.line + 1,
                column: 1,
            };
            segment = &segment[newline + 1..];
        }
        self.at.column += characters(segment);
        self.offset = offset;
        self.at
    }
}

fn characters(bytes: &[u8]) -> usize {
    bytes
        .utf8_chunks()
        .map(|chunk| chunk.valid().chars().count() + chunk.invalid().len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize, column: usize) -> Position {
        Position { line, column }
    }

    #[test]
    fn lines_and_character_columns() {
        let text = "ab\r\nçé key\n\nz".as_bytes();
        let mut locator = Locator::new(text);
        assert_eq!(locator.position(0), at(1, 1));
        assert_eq!(locator.position(1), at(1, 2));
        assert_eq!(locator.position(4), at(2, 1));
        // "çé " is 5 bytes and 3 characters.
        assert_eq!(locator.position(9), at(2, 4));
        assert_eq!(locator.position(text.len()), at(4, 2));
    }

    #[test]
    fn invalid_bytes_count_as_one_character_each() {
        let text = b"\xff\xfe x";
        assert_eq!(Locator::new(text).position(3), at(1, 4));
    }
}
