//! Endpoint scopes: `METHOD /path/pattern` with `*` (one segment) and a final `**` (any rest).

/// The most path segments a request may have; longer paths match no scope.
const MAX_SEGMENTS: usize = 64;

/// A compiled list of endpoint scopes.
///
/// ```
/// use tokenward::policy::EndpointSet;
///
/// let scopes = EndpointSet::parse(&["GET /v1/orders/*", "GET,POST /v1/carts/**", "* /health"]).unwrap();
/// assert!(scopes.allows("GET", "/v1/orders/42"));
/// assert!(!scopes.allows("DELETE", "/v1/orders/42"));
/// assert!(!scopes.allows("GET", "/v1/orders/42/items"));
/// assert!(scopes.allows("post", "/v1/carts/7/items?x=1"));
/// assert!(scopes.allows("PUT", "/health"));
/// assert!(!scopes.allows("GET", "/v1/orders/../admin"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSet {
    scopes: Box<[Scope]>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Scope {
    /// Upper-case method names; empty means any method.
    methods: Box<[Box<str>]>,
    segments: Box<[Segment]>,
    /// The pattern ends in `**`: any further segments (or none) match.
    tail: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(Box<str>),
    Any,
}

impl EndpointSet {
    /// Compiles scopes; an error gives the scope's index and the reason.
    pub fn parse<S: AsRef<str>>(scopes: &[S]) -> Result<EndpointSet, (usize, String)> {
        let scopes = scopes
            .iter()
            .enumerate()
            .map(|(i, s)| parse_scope(s.as_ref()).map_err(|reason| (i, reason)))
            .collect::<Result<_, _>>()?;
        Ok(EndpointSet { scopes })
    }

    /// True when some scope admits `method` on `path`. The query string and fragment are
    /// ignored; a path with a `.` or `..` segment, or with more than 64 segments, never matches.
    pub fn allows(&self, method: &str, path: &str) -> bool {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let Some(rest) = path.strip_prefix('/') else {
            return false;
        };
        let mut segments = [""; MAX_SEGMENTS];
        let mut count = 0;
        if !rest.is_empty() {
            for segment in rest.split('/') {
                if count == MAX_SEGMENTS || segment == "." || segment == ".." {
                    return false;
                }
                segments[count] = segment;
                count += 1;
            }
        }
        let segments = &segments[..count];
        self.scopes
            .iter()
            .any(|scope| scope.admits(method, segments))
    }
}

impl Scope {
    fn admits(&self, method: &str, path: &[&str]) -> bool {
        let method_ok =
            self.methods.is_empty() || self.methods.iter().any(|m| m.eq_ignore_ascii_case(method));
        if !method_ok {
            return false;
        }
        let fixed = self.segments.len();
        if path.len() < fixed || (!self.tail && path.len() != fixed) {
            return false;
        }
        self.segments
            .iter()
            .zip(path)
            .all(|(pattern, segment)| match pattern {
                Segment::Literal(literal) => **literal == **segment,
                Segment::Any => !segment.is_empty(),
            })
    }
}

fn parse_scope(text: &str) -> Result<Scope, String> {
    let shown = crate::error::Clip(text, 80);
    let bad = |why: &str| format!("invalid endpoint \"{shown}\": {why}");
    let mut parts = text.split_whitespace();
    let (Some(methods), Some(path), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad(
            "expected a method and a path, like \"GET /v1/orders/*\"",
        ));
    };
    let methods: Box<[Box<str>]> = if methods == "*" {
        Box::default()
    } else {
        methods
            .split(',')
            .map(|m| {
                if !m.is_empty() && m.bytes().all(|b| b.is_ascii_alphabetic()) {
                    Ok(m.to_ascii_uppercase().into_boxed_str())
                } else {
                    Err(bad("methods are letters, a comma list (GET,HEAD) or *"))
                }
            })
            .collect::<Result<_, _>>()?
    };
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| bad("the path must start with /"))?;
    let mut segments = Vec::new();
    let mut tail = false;
    let pieces: Vec<&str> = if rest.is_empty() {
        vec![]
    } else {
        rest.split('/').collect()
    };
    for (i, piece) in pieces.iter().enumerate() {
        match *piece {
            "**" if i + 1 == pieces.len() => tail = true,
            "**" => return Err(bad("** may only end a path")),
            "*" => segments.push(Segment::Any),
            "" if i + 1 == pieces.len() => segments.push(Segment::Literal("".into())),
            "" => return Err(bad("empty path segment")),
            "." | ".." => return Err(bad("dot segments are not allowed")),
            p if p.contains('*') => return Err(bad("* must be a whole segment")),
            p if p.contains(['?', '#']) => {
                return Err(bad("query strings and fragments are not matched"))
            }
            p => segments.push(Segment::Literal(p.into())),
        }
    }
    if segments.len() > MAX_SEGMENTS {
        return Err(bad("more than 64 segments"));
    }
    Ok(Scope {
        methods,
        segments: segments.into_boxed_slice(),
        tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &[&str]) -> EndpointSet {
        EndpointSet::parse(s).unwrap()
    }

    #[test]
    fn wildcards() {
        let s = set(&["GET /v1/orders/*", "GET /v1/orders/*/items"]);
        assert!(s.allows("GET", "/v1/orders/1"));
        assert!(s.allows("GET", "/v1/orders/1/items"));
        assert!(!s.allows("GET", "/v1/orders"));
        assert!(!s.allows("GET", "/v1/orders/"));
        assert!(!s.allows("GET", "/v1/orders/1/items/2"));
        let tail = set(&["* /files/**"]);
        assert!(tail.allows("GET", "/files"));
        assert!(tail.allows("PUT", "/files/a/b/c"));
        assert!(!tail.allows("GET", "/filesx"));
        let root = set(&["GET /"]);
        assert!(root.allows("GET", "/"));
        assert!(!root.allows("GET", "/x"));
        assert!(!root.allows("GET", ""));
    }

    #[test]
    fn methods_and_hostile_paths() {
        let s = set(&["GET,HEAD /a/**"]);
        assert!(s.allows("head", "/a/b"));
        assert!(!s.allows("POST", "/a/b"));
        assert!(!s.allows("GET", "/a/./b"));
        assert!(!s.allows("GET", "a/b"));
        let deep = format!("/a{}", "/x".repeat(100));
        assert!(!s.allows("GET", &deep));
    }

    #[test]
    fn errors() {
        let err = |p: &str| EndpointSet::parse(&[p]).unwrap_err().1;
        assert!(err("/v1").contains("expected a method and a path"));
        assert!(err("GET v1").contains("must start with /"));
        assert!(err("GET /a/**/b").contains("** may only end"));
        assert!(err("GET /a*").contains("whole segment"));
        assert!(err("GET /a//b").contains("empty path segment"));
        assert!(err("G-T /a").contains("methods are letters"));
    }
}
