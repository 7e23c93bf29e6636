//! The token checksum: six base62 digits of a CRC32 over the rest, the scheme of GitHub's
//! tokens, npm's and tokenward's own. Minting writes it and the redaction rules check it, so it
//! sits here, below both.

/// Base62 digits in the order GitHub's token checksum uses.
pub(crate) const BASE62: &[u8; 62] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `value` written in base62, left-padded with `0` to `width` digits.
pub(crate) fn base62(mut value: u64, width: usize) -> String {
    let mut digits = Vec::with_capacity(width.max(11));
    while value > 0 {
        digits.push(BASE62[(value % 62) as usize]);
        value /= 62;
    }
    while digits.len() < width {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8(digits).expect("base62 digits are ASCII")
}

/// The GitHub token checksum scheme (also npm's and tokenward's own): the last six characters
/// of `body` are the CRC32 of the characters before them, in base62.
pub(crate) fn crc32_base62_trailer(body: &str) -> bool {
    let Some(split) = body.len().checked_sub(6) else {
        return false;
    };
    if split == 0 || !body.is_char_boundary(split) {
        return false;
    }
    let (data, checksum) = body.split_at(split);
    base62(u64::from(crc32fast::hash(data.as_bytes())), 6) == checksum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base62_pads_and_orders_digits() {
        assert_eq!(base62(0, 6), "000000");
        assert_eq!(base62(61, 2), "0z");
        assert_eq!(base62(62, 2), "10");
        assert_eq!(base62(u64::from(u32::MAX), 6), "4gfFC3");
    }

    #[test]
    fn the_trailer_is_the_crc32_of_the_rest() {
        let body = "ghp_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y";
        let token = format!(
            "{body}{}",
            base62(u64::from(crc32fast::hash(body.as_bytes())), 6)
        );
        assert!(crc32_base62_trailer(&token));
        let mut altered = token.clone().into_bytes();
        altered[10] ^= 1;
        assert!(!crc32_base62_trailer(
            std::str::from_utf8(&altered).unwrap()
        ));
        for short in ["", "abcdef", "é12345"] {
            assert!(!crc32_base62_trailer(short));
        }
    }
}
