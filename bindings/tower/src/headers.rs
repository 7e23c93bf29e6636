//! The request's headers as the core's gate reads them.

use http::HeaderMap;
use tokenward::gate::Headers;

/// A [`HeaderMap`] seen through the core's [`Headers`] trait: every value of a header, in the
/// order received, as bytes.
///
/// ```
/// use http::HeaderMap;
/// use tokenward::gate::Headers;
/// use tokenward_tower::HeaderMapRef;
///
/// let mut map = HeaderMap::new();
/// map.append("x-forwarded-for", "203.0.113.9".parse().unwrap());
/// map.append("x-forwarded-for", "10.0.0.2".parse().unwrap());
/// let headers = HeaderMapRef(&map);
/// let values: Vec<&[u8]> = headers.values("x-forwarded-for").collect();
/// assert_eq!(values, [b"203.0.113.9".as_slice(), b"10.0.0.2".as_slice()]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct HeaderMapRef<'a>(pub &'a HeaderMap);

impl Headers for HeaderMapRef<'_> {
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        // A name that is no valid header name finds nothing (`get_all` does not panic).
        self.0.get_all(name).iter().map(|value| value.as_bytes())
    }
}
