//! Endpoint scopes: `METHOD /path/pattern` with `*` (one segment) and a final `**` (any rest).
//!
//! Patterns and request paths are both put in canonical form ([`canonical_path`]) before
//! they meet, so `GET /v1/%7Euser` and `GET /v1/~user` are one scope, and a request path that
//! has no canonical form (`/v1/orders/..%2fadmin`) matches nothing.

use super::path::canonical_path;

/// The most segments a pattern may have.
const MAX_SEGMENTS: usize = 64;

/// A compiled list of endpoint scopes: a trie over path segments, so a check walks the
/// request path once instead of trying each pattern.
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
/// assert!(!scopes.allows("GET", "/v1/orders/1%2Fadmin"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EndpointSet {
    root: Node,
}

/// Upper-case method names; empty means any method.
type Methods = Box<[Box<str>]>;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Node {
    /// Children by literal segment, sorted for binary search.
    literals: Vec<(Box<str>, Node)>,
    /// The child for a `*` segment.
    any: Option<Box<Node>>,
    /// Methods of patterns that end at this node.
    end: Vec<Methods>,
    /// Methods of patterns that end here with `**`.
    tail: Vec<Methods>,
}

struct Scope {
    methods: Methods,
    segments: Vec<Segment>,
    /// The pattern ends in `**`: any further segments (or none) match.
    tail: bool,
}

enum Segment {
    Literal(Box<str>),
    Any,
}

impl EndpointSet {
    /// Compiles scopes; an error gives the scope's index and the reason.
    pub fn parse<S: AsRef<str>>(scopes: &[S]) -> Result<EndpointSet, (usize, String)> {
        let mut set = EndpointSet::default();
        for (i, scope) in scopes.iter().enumerate() {
            let scope = parse_scope(scope.as_ref()).map_err(|reason| (i, reason))?;
            set.root.add(scope);
        }
        Ok(set)
    }

    /// True when some scope admits `method` on the raw request path `path`. The path is
    /// canonicalised first ([`canonical_path`]: the query string and fragment are ignored); a
    /// path that has no canonical form never matches.
    pub fn allows(&self, method: &str, path: &str) -> bool {
        canonical_path(path).is_ok_and(|path| self.allows_canonical(method, &path))
    }

    /// [`allows`](Self::allows) for a path already in canonical form.
    pub(crate) fn allows_canonical(&self, method: &str, path: &str) -> bool {
        let Some(rest) = path.strip_prefix('/') else {
            return false;
        };
        let mut segments = rest.split('/');
        if rest.is_empty() {
            // "/" has no segments: consume the one empty piece `split` yields.
            segments.next();
        }
        self.root.matches(segments, method)
    }
}

impl Node {
    fn add(&mut self, scope: Scope) {
        let mut node = self;
        for segment in scope.segments {
            node = match segment {
                Segment::Any => node.any.get_or_insert_with(Box::default),
                Segment::Literal(literal) => {
                    let at = match node.literals.binary_search_by(|(l, _)| l.cmp(&literal)) {
                        Ok(at) => at,
                        Err(at) => {
                            node.literals.insert(at, (literal, Node::default()));
                            at
                        }
                    };
                    &mut node.literals[at].1
                }
            };
        }
        if scope.tail {
            node.tail.push(scope.methods);
        } else {
            node.end.push(scope.methods);
        }
    }

    /// Depth-first over the trie: each node is visited at most once, so the cost is bounded
    /// by the number of pattern segments whatever the path.
    fn matches(&self, mut segments: std::str::Split<'_, char>, method: &str) -> bool {
        if any_method(&self.tail, method) {
            return true;
        }
        let Some(segment) = segments.next() else {
            return any_method(&self.end, method);
        };
        if let Ok(at) = self.literals.binary_search_by(|(l, _)| (**l).cmp(segment)) {
            if self.literals[at].1.matches(segments.clone(), method) {
                return true;
            }
        }
        match &self.any {
            Some(any) if !segment.is_empty() => any.matches(segments, method),
            _ => false,
        }
    }
}

fn any_method(lists: &[Methods], method: &str) -> bool {
    lists
        .iter()
        .any(|methods| methods.is_empty() || methods.iter().any(|m| m.eq_ignore_ascii_case(method)))
}

fn parse_scope(text: &str) -> Result<Scope, String> {
    let bad = |why: &str| format!("invalid endpoint: {why}");
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
    if path.contains(['?', '#']) {
        return Err(bad("query strings and fragments are not matched"));
    }
    // The pattern takes the form the request paths it meets will have.
    let path = canonical_path(path).map_err(|e| bad(&e.to_string()))?;
    let rest = &path[1..];
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
            // Canonical paths have no empty segment but a trailing one (`/v1/`).
            "" => segments.push(Segment::Literal("".into())),
            p if p.contains('*') => return Err(bad("* must be a whole segment")),
            p => segments.push(Segment::Literal(p.into())),
        }
    }
    if segments.len() > MAX_SEGMENTS {
        return Err(bad("more than 64 segments"));
    }
    Ok(Scope {
        methods,
        segments,
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
        let deep = format!("/a{}", "/x".repeat(10_000));
        assert!(s.allows("GET", &deep));
        assert!(!set(&["GET /a/*"]).allows("GET", &deep));
        assert!(set(&["GET /a.b/c"]).allows("GET", "/a.b/c"));
    }

    #[test]
    fn overlapping_patterns_share_the_trie() {
        let s = set(&[
            "GET /v1/*/items",
            "POST /v1/orders/items",
            "DELETE /v1/orders/**",
            "PUT /v1/*/x/**",
        ]);
        assert!(s.allows("GET", "/v1/orders/items"));
        assert!(s.allows("POST", "/v1/orders/items"));
        assert!(s.allows("DELETE", "/v1/orders"));
        assert!(s.allows("PUT", "/v1/orders/x"));
        assert!(s.allows("PUT", "/v1/y/x/z"));
        assert!(!s.allows("PUT", "/v1/orders/items"));
        assert!(!s.allows("GET", "/v1//items"));
        let trailing = set(&["GET /v1/"]);
        assert!(trailing.allows("GET", "/v1/"));
        assert!(!trailing.allows("GET", "/v1"));
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
